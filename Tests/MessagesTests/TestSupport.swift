import Foundation
import Messages
import Testing

/// Frames built by hand, so tests can send what a well-behaved encoder never would.
enum Frames {
    static let fixedID = UUID()
    static let fixedCorrelation = UUID()
    static let fixedDate = Date(timeIntervalSince1970: 1_700_000_000.125)

    /// A valid frame for `body`, as a mutable JSON object.
    static func object<M: Message>(_ body: M, id: UUID = fixedID) throws -> [String: Any] {
        let frame = try EnvelopeCodec.encode(body, id: id, sender: "test-node", correlationID: fixedCorrelation, sentAt: fixedDate)
        return try #require(try JSONSerialization.jsonObject(with: frame) as? [String: Any])
    }

    static func data(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// The compact JSON of a value, for comparing values that are not Equatable.
    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try EnvelopeCodec.json(value), as: UTF8.self)
    }
}
