public import Foundation

/// The endpoints a running service actually bound, written to `<data>/endpoints.json`.
///
/// Tools read it to find a service started with port 0, and to know it is up.
public struct EndpointsFile: Codable, Sendable, Equatable {
    public var service: String
    public var node: String
    public var busEndpoint: String
    public var httpURL: String
    public var processID: Int32
    public var startedAt: Date

    public init(service: String, node: String, busEndpoint: String, httpURL: String,
                processID: Int32 = ProcessInfo.processInfo.processIdentifier, startedAt: Date) {
        self.service = service
        self.node = node
        self.busEndpoint = busEndpoint
        self.httpURL = httpURL
        self.processID = processID
        self.startedAt = startedAt
    }

    public static func url(in dataDirectory: URL) -> URL {
        dataDirectory.appendingPathComponent("endpoints.json")
    }

    public func write(to dataDirectory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(self).write(to: Self.url(in: dataDirectory), options: .atomic)
    }

    public static func read(from dataDirectory: URL) throws -> EndpointsFile {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(EndpointsFile.self, from: Data(contentsOf: url(in: dataDirectory)))
    }
}
