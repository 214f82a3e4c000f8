import Foundation

/// Acknowledges a command: the receiver applied it (or had already applied it).
public struct Ack: Message {
    public static let wireName = "ack"
    public static let summary = "A command was applied; duplicate is true when it had been applied before."
    public static let example = Ack(messageID: UUID(uuidString: "6F9619FF-8B86-D011-B42D-00CF4FC964FF") ?? UUID(), duplicate: false)
    public var messageID: UUID
    public var duplicate: Bool
    public init(messageID: UUID, duplicate: Bool) {
        self.messageID = messageID
        self.duplicate = duplicate
    }
}

/// A refusal with a typed reason.
public struct ErrorReply: Message {
    public static let wireName = "error"
    public static let summary = "A request or frame was refused; code says why."
    public static let example = ErrorReply(code: .notFound, message: "no content named 'office'")
    public var code: ErrorCode
    public var message: String
    public init(code: ErrorCode, message: String) {
        self.code = code
        self.message = message
    }
    public init(_ error: WireError) {
        self.init(code: error.code, message: error.message)
    }
}

/// Asks a service whether it is up.
public struct HealthQuery: Message {
    public static let wireName = "health.query"
    public static let summary = "Is the service up? Answered with health.reply."
    public static let example = HealthQuery()
    public init() {}
}

/// A service's health and endpoints.
public struct HealthReply: Message {
    public static let wireName = "health.reply"
    public static let summary = "The service's name, node, start time and endpoints."
    public static let example = HealthReply(service: "distribution-manager", node: "site", startedAt: Date(timeIntervalSince1970: 0),
                                            busEndpoint: "tcp://127.0.0.1:7001", httpURL: "http://127.0.0.1:8001")
    public var service: String
    public var node: String
    public var startedAt: Date
    public var busEndpoint: String
    public var httpURL: String?
    public init(service: String, node: String, startedAt: Date, busEndpoint: String, httpURL: String?) {
        self.service = service
        self.node = node
        self.startedAt = startedAt
        self.busEndpoint = busEndpoint
        self.httpURL = httpURL
    }
}
