import Foundation
import Messages
import Testing

@Suite("EnvelopeCodec")
struct EnvelopeCodecTests {
    // MARK: Round trips

    static let wireNames: [String] = MessageCatalog.standard.types.map { type in type.wireName }

    @Test("every catalog type round-trips through encode, decode and decodeBody",
          arguments: Self.wireNames)
    func roundTrip(wireName: String) throws {
        let type = try #require(MessageCatalog.standard.type(named: wireName))
        try Self.checkRoundTrip(type)
    }

    private static func checkRoundTrip<M: Message>(_: M.Type) throws {
        let id = UUID()
        let correlation = UUID()
        let sentAt = Date(timeIntervalSince1970: 1_700_000_000.125)
        let frame = try EnvelopeCodec.encode(M.example, id: id, sender: "node-a", correlationID: correlation, sentAt: sentAt)

        let envelope = try EnvelopeCodec.decode(frame)
        #expect(envelope.id == id)
        #expect(envelope.type == M.wireName)
        #expect(envelope.version == M.version)
        #expect(envelope.sender == "node-a")
        #expect(envelope.correlationID == correlation)
        #expect(abs(envelope.sentAt.timeIntervalSince(sentAt)) < 0.001)
        #expect(envelope.frame == frame)

        let body = try envelope.decodeBody(M.self)
        #expect(try Frames.json(body) == Frames.json(M.example))
    }

    @Test func replyWithoutCorrelationDecodesNil() throws {
        let frame = try EnvelopeCodec.encode(HealthQuery(), sender: "n", sentAt: Date())
        let envelope = try EnvelopeCodec.decode(frame)
        #expect(envelope.correlationID == nil)
        let object = try #require(try JSONSerialization.jsonObject(with: frame) as? [String: Any])
        #expect(object["correlationID"] == nil)
    }

    @Test func framesAreSingleLineJSONWithSortedKeys() throws {
        let job = try EnvelopeCodec.encode(TransferJob.example, sender: "site", sentAt: Date())
        #expect(!String(decoding: job, as: UTF8.self).contains("\n"))
        #expect(String(decoding: job, as: UTF8.self).contains("\"libraryURL\":\"http://127.0.0.1:8001\""), "slashes are not escaped")
        // An empty body, so the envelope's own keys are the only ones.
        let frame = try EnvelopeCodec.encode(HealthQuery(), sender: "site", correlationID: UUID(), sentAt: Date())
        let text = String(decoding: frame, as: UTF8.self)
        let keys = ["\"body\"", "\"correlationID\"", "\"id\"", "\"sender\"", "\"sentAt\"", "\"type\"", "\"version\""]
            .filter { text.contains($0) }
        let positions = keys.compactMap { text.range(of: $0)?.lowerBound }
        #expect(positions.count == 7)
        #expect(positions == positions.sorted())
    }

    @Test func sentAtIsISO8601WithFractionalSeconds() throws {
        let frame = try EnvelopeCodec.encode(HealthQuery(), sender: "n", sentAt: Date(timeIntervalSince1970: 0.5))
        let object = try #require(try JSONSerialization.jsonObject(with: frame) as? [String: Any])
        #expect(object["sentAt"] as? String == "1970-01-01T00:00:00.500Z")
    }

    @Test func sentAtWithoutFractionIsAccepted() throws {
        var object = try Frames.object(HealthQuery())
        object["sentAt"] = "2024-03-01T12:00:00Z"
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        #expect(envelope.sentAt == Date(timeIntervalSince1970: 1_709_294_400))
    }

    // MARK: Refusals

    @Test("malformed JSON is refused", arguments: ["{not json", "", "{\"id\":", "\u{FF}\u{FE}"])
    func malformedJSON(text: String) {
        #expect(Self.refusal(Data(text.utf8)) == .malformed)
    }

    @Test("a JSON value that is not an object is refused", arguments: ["[1,2,3]", "\"text\"", "42", "null", "true"])
    func nonObject(text: String) throws {
        let error = try #require(Self.error(Data(text.utf8)))
        #expect(error.code == .malformed)
        #expect(error.message.contains("not a JSON object"))
    }

    @Test func unknownTypeIsRefused() throws {
        var object = try Frames.object(HealthQuery())
        object["type"] = "no.such.type"
        let error = try #require(Self.error(try Frames.data(object)))
        #expect(error.code == .unknownType)
        #expect(error.message.contains("no.such.type"))
    }

    @Test func unknownTypeIsAcceptedWithoutCatalog() throws {
        var object = try Frames.object(HealthQuery())
        object["type"] = "no.such.type"
        object["version"] = 99
        let envelope = try EnvelopeCodec.decode(try Frames.data(object), catalog: nil)
        #expect(envelope.type == "no.such.type")
        #expect(envelope.version == 99)
    }

    @Test("an unsupported version is refused", arguments: [99, 0, -1, 2])
    func unsupportedVersion(version: Int) throws {
        var object = try Frames.object(TransferJob.example)
        object["version"] = version
        let error = try #require(Self.error(try Frames.data(object)))
        #expect(error.code == .unsupportedVersion)
        #expect(error.message.contains("\(version)"))
    }

    @Test func oversizedFrameIsRefused() throws {
        let frame = try EnvelopeCodec.encode(TransferJob.example, sender: "n", sentAt: Date())
        let error = try #require(Self.error(frame, maximumFrameSize: frame.count - 1))
        #expect(error.code == .oversizedFrame)
        #expect(error.message.contains("\(frame.count)"))
        // Exactly at the limit is fine.
        #expect(throws: Never.self) { try EnvelopeCodec.decode(frame, maximumFrameSize: frame.count) }
    }

    @Test func oversizedIsCheckedBeforeSyntax() {
        let garbage = Data(repeating: UInt8(ascii: "x"), count: 100)
        #expect(Self.refusal(garbage, maximumFrameSize: 10) == .oversizedFrame)
    }

    @Test func defaultLimitIsEightMebibytes() throws {
        #expect(EnvelopeCodec.defaultMaximumFrameSize == 8 * 1024 * 1024)
        let big = MissingChunksQuery(hashes: Array(repeating: String(repeating: "ab", count: 32), count: 130_000))
        let frame = try EnvelopeCodec.encode(big, sender: "n", sentAt: Date())
        #expect(frame.count > EnvelopeCodec.defaultMaximumFrameSize)
        #expect(Self.refusal(frame) == .oversizedFrame)
    }

    @Test("a missing envelope field is refused and named", arguments: ["id", "type", "version", "sender", "sentAt"])
    func missingEnvelopeField(field: String) throws {
        var object = try Frames.object(HealthQuery())
        object.removeValue(forKey: field)
        let error = try #require(Self.error(try Frames.data(object)))
        #expect(error.code == .missingField)
        #expect(error.message.contains("'\(field)'"))
    }

    @Test("a null envelope field is refused as missing", arguments: ["id", "type", "sender"])
    func nullEnvelopeField(field: String) throws {
        var object = try Frames.object(HealthQuery())
        object[field] = NSNull()
        let error = try #require(Self.error(try Frames.data(object)))
        #expect(error.code == .missingField)
        #expect(error.message.contains(field))
    }

    @Test func mistypedEnvelopeFieldsAreMalformed() throws {
        let cases: [(String, Any)] = [("version", "one"), ("id", "not-a-uuid"), ("sentAt", "yesterday"), ("sender", 12)]
        for (field, value) in cases {
            var object = try Frames.object(HealthQuery())
            object[field] = value
            let error = try #require(Self.error(try Frames.data(object)), "\(field)")
            #expect(error.code == .malformed, "\(field)")
            #expect(error.message.contains(field), "\(field): \(error.message)")
        }
    }

    // MARK: peekID

    @Test func peekIDReadsTheIDOfARefusedFrame() throws {
        let id = UUID()
        var object = try Frames.object(TransferJob.example, id: id)
        object["type"] = "no.such.type"
        object["version"] = 99
        object.removeValue(forKey: "sender")
        #expect(EnvelopeCodec.peekID(try Frames.data(object)) == id)
    }

    @Test func peekIDIsNilWhenThereIsNoReadableID() throws {
        #expect(EnvelopeCodec.peekID(Data("{not json".utf8)) == nil)
        #expect(EnvelopeCodec.peekID(Data("[1]".utf8)) == nil)
        #expect(EnvelopeCodec.peekID(Data("{\"type\":\"ack\"}".utf8)) == nil)
        #expect(EnvelopeCodec.peekID(Data("{\"id\":\"not-a-uuid\"}".utf8)) == nil)
        #expect(EnvelopeCodec.peekID(Data()) == nil)
    }

    // MARK: json / value

    @Test func jsonHelperRoundTripsAndPrettyPrints() throws {
        let compact = try EnvelopeCodec.json(ContentSummary.example)
        let pretty = try EnvelopeCodec.json(ContentSummary.example, pretty: true)
        #expect(!String(decoding: compact, as: UTF8.self).contains("\n"))
        #expect(String(decoding: pretty, as: UTF8.self).contains("\n"))
        #expect(try EnvelopeCodec.value(ContentSummary.self, from: compact) == ContentSummary.example)
        #expect(try EnvelopeCodec.value(ContentSummary.self, from: pretty) == ContentSummary.example)
    }

    // MARK: Helpers

    static func error(_ frame: Data, maximumFrameSize: Int = EnvelopeCodec.defaultMaximumFrameSize) -> WireError? {
        do {
            _ = try EnvelopeCodec.decode(frame, maximumFrameSize: maximumFrameSize)
            return nil
        } catch {
            return error
        }
    }

    static func refusal(_ frame: Data, maximumFrameSize: Int = EnvelopeCodec.defaultMaximumFrameSize) -> ErrorCode? {
        error(frame, maximumFrameSize: maximumFrameSize)?.code
    }
}
