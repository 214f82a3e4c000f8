import Foundation

/// The one wrapper for everything on the bus.
///
/// On the wire it is a single JSON object: `{"id","type","version","sender",
/// "correlationID","sentAt","body"}`. ``EnvelopeCodec`` turns frames into envelopes and
/// back, and reports anything it cannot trust as a ``WireError``.
public struct Envelope: Sendable {
    public var id: UUID
    public var type: String
    public var version: Int
    public var sender: String
    /// The id of the request this envelope answers, if it is a reply.
    public var correlationID: UUID?
    public var sentAt: Date
    /// The whole frame as received or encoded; the body is decoded from it on demand.
    public var frame: Data
    /// Who sent it, as the bus server authenticated the connection (not part of the frame);
    /// nil outside a server's dispatch.
    public var peer: BusPeer?

    /// Decodes the body as `M`, mapping decoding failures to a ``WireError``.
    public func decodeBody<M: Message>(_: M.Type = M.self) throws(WireError) -> M {
        guard type == M.wireName else {
            throw WireError(code: .unknownType, message: "expected \(M.wireName), got \(type)")
        }
        do {
            return try EnvelopeCodec.decoder.decode(BodyContainer<M>.self, from: frame).body
        } catch let error as DecodingError {
            throw WireError(decoding: error, type: type)
        } catch {
            throw WireError(code: .malformed, message: "\(type): \(error)")
        }
    }
}

struct BodyContainer<M: Message>: Codable {
    var body: M
}

struct EnvelopeHeader: Codable {
    var id: UUID
    var type: String
    var version: Int
    var sender: String
    var correlationID: UUID?
    var sentAt: Date
}

struct EncodedEnvelope<M: Message>: Encodable {
    var id: UUID
    var type: String
    var version: Int
    var sender: String
    var correlationID: UUID?
    var sentAt: Date
    var body: M
}
