import Foundation

/// Encodes and decodes bus frames.
///
/// Decoding checks, in order: frame size, JSON syntax, the envelope's own fields, that the
/// type is known (when a catalog is given) and that its version is supported. Body fields
/// are checked when the handler calls ``Envelope/decodeBody(_:)``.
public enum EnvelopeCodec {
    /// Frames above this size are refused with ``ErrorCode/oversizedFrame``.
    public static let defaultMaximumFrameSize = 8 * 1024 * 1024

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601withFractionalSeconds
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601withFractionalSeconds
        return decoder
    }()

    /// Builds a frame for `body`.
    public static func encode<M: Message>(
        _ body: M, id: UUID = UUID(), sender: String, correlationID: UUID? = nil, sentAt: Date
    ) throws -> Data {
        try encoder.encode(EncodedEnvelope(
            id: id, type: M.wireName, version: M.version, sender: sender,
            correlationID: correlationID, sentAt: sentAt, body: body))
    }

    /// Parses a frame's envelope; the body is decoded later with ``Envelope/decodeBody(_:)``.
    public static func decode(
        _ frame: Data, maximumFrameSize: Int = defaultMaximumFrameSize, catalog: MessageCatalog? = .standard
    ) throws(WireError) -> Envelope {
        guard frame.count <= maximumFrameSize else {
            throw WireError(code: .oversizedFrame,
                            message: "frame of \(frame.count) bytes exceeds the limit of \(maximumFrameSize)")
        }
        guard (try? JSONSerialization.jsonObject(with: frame)) is [String: Any] else {
            throw WireError(code: .malformed, message: "frame is not a JSON object")
        }
        let header: EnvelopeHeader
        do {
            header = try decoder.decode(EnvelopeHeader.self, from: frame)
        } catch let error as DecodingError {
            throw WireError(decoding: error, type: "envelope")
        } catch {
            throw WireError(code: .malformed, message: "envelope: \(error)")
        }
        if let catalog {
            guard let type = catalog.type(named: header.type) else {
                throw WireError(code: .unknownType, message: "unknown message type '\(header.type)'")
            }
            guard header.version >= 1, header.version <= type.version else {
                throw WireError(code: .unsupportedVersion,
                                message: "\(header.type) version \(header.version) is not supported (this build speaks 1...\(type.version))")
            }
        }
        return Envelope(id: header.id, type: header.type, version: header.version, sender: header.sender,
                        correlationID: header.correlationID, sentAt: header.sentAt, frame: frame)
    }

    /// Encodes any value as compact JSON with the bus's conventions (used by journals and CLI output).
    public static func json<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        if pretty {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601withFractionalSeconds
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            return try encoder.encode(value)
        }
        return try encoder.encode(value)
    }

    /// Decodes a value encoded with ``json(_:pretty:)``.
    public static func value<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decoder.decode(type, from: data)
    }
}

extension JSONEncoder.DateEncodingStrategy {
    static let iso8601withFractionalSeconds = JSONEncoder.DateEncodingStrategy.custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
    }
}

extension JSONDecoder.DateDecodingStrategy {
    static let iso8601withFractionalSeconds = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let date = try? withFraction.parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 date")
    }
}

extension EnvelopeCodec {
    private struct IDOnly: Decodable { var id: UUID? }

    /// The envelope id of a frame that failed validation, if one can be read, so the error
    /// reply can still be correlated.
    public static func peekID(_ frame: Data) -> UUID? {
        (try? decoder.decode(IDOnly.self, from: frame))?.id
    }
}
