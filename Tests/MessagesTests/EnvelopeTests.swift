import Foundation
import Messages
import Testing

@Suite("Envelope.decodeBody")
struct EnvelopeTests {
    @Test("a missing body field is refused with the field's name",
          arguments: ["jobID", "contentName", "versionID", "version", "priority", "distributionPoint",
                      "libraryURL", "redistribute", "totalBytes", "chunkCount"])
    func missingBodyField(field: String) throws {
        var object = try Frames.object(TransferJob.example)
        var body = try #require(object["body"] as? [String: Any])
        body.removeValue(forKey: field)
        object["body"] = body
        // The envelope itself is fine: body fields are checked by decodeBody.
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        let error = try #require(throws: WireError.self) { try envelope.decodeBody(TransferJob.self) }
        #expect(error.code == .missingField)
        #expect(error.message.contains("'\(field)'"), "\(error.message)")
        #expect(error.message.hasPrefix(TransferJob.wireName))
    }

    @Test func missingNestedFieldIsNamedWithItsPath() throws {
        var object = try Frames.object(TransferJob.example)
        var body = try #require(object["body"] as? [String: Any])
        var point = try #require(body["distributionPoint"] as? [String: Any])
        point.removeValue(forKey: "publicKey")
        body["distributionPoint"] = point
        object["body"] = body
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        let error = try #require(throws: WireError.self) { try envelope.decodeBody(TransferJob.self) }
        #expect(error.code == .missingField)
        #expect(error.message.contains("'distributionPoint.publicKey'"), "\(error.message)")
    }

    @Test func optionalBodyFieldsMayBeAbsent() throws {
        var object = try Frames.object(TransferReport.example)
        var body = try #require(object["body"] as? [String: Any])
        body.removeValue(forKey: "reason")
        object["body"] = body
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        let report = try envelope.decodeBody(TransferReport.self)
        #expect(report.reason == nil)
        #expect(report.chunksPushed == TransferReport.example.chunksPushed)
    }

    @Test func nullRequiredBodyFieldIsMissing() throws {
        var object = try Frames.object(ShowContent(name: "office"))
        object["body"] = ["name": NSNull()]
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        let error = try #require(throws: WireError.self) { try envelope.decodeBody(ShowContent.self) }
        #expect(error.code == .missingField)
        #expect(error.message.contains("name"), "\(error.message)")
    }

    @Test func mistypedBodyFieldIsMalformed() throws {
        var object = try Frames.object(TransferJob.example)
        var body = try #require(object["body"] as? [String: Any])
        body["chunkCount"] = "many"
        object["body"] = body
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        let error = try #require(throws: WireError.self) { try envelope.decodeBody(TransferJob.self) }
        #expect(error.code == .malformed)
        #expect(error.message.contains("chunkCount"), "\(error.message)")
    }

    @Test func unknownEnumValueIsMalformed() throws {
        var object = try Frames.object(TransferJob.example)
        var body = try #require(object["body"] as? [String: Any])
        body["priority"] = "urgent"
        object["body"] = body
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        let error = try #require(throws: WireError.self) { try envelope.decodeBody(TransferJob.self) }
        #expect(error.code == .malformed)
        #expect(error.message.contains("priority"), "\(error.message)")
    }

    @Test func decodingAsAnotherTypeIsRefused() throws {
        let envelope = try EnvelopeCodec.decode(try EnvelopeCodec.encode(HealthQuery(), sender: "n", sentAt: Date()))
        let error = try #require(throws: WireError.self) { try envelope.decodeBody(Ack.self) }
        #expect(error.code == .unknownType)
        #expect(error.message.contains("ack"))
        #expect(error.message.contains("health.query"))
    }

    @Test func missingBodyIsRefusedAsMissingField() throws {
        var object = try Frames.object(ShowContent(name: "office"))
        object.removeValue(forKey: "body")
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        let error = try #require(throws: WireError.self) { try envelope.decodeBody(ShowContent.self) }
        #expect(error.code == .missingField)
    }

    @Test func missingBodyNamesTheBody() throws {
        var object = try Frames.object(ShowContent(name: "office"))
        object.removeValue(forKey: "body")
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        let error = try #require(throws: WireError.self) { try envelope.decodeBody(ShowContent.self) }
        #expect(error.message.contains("'body'"), "\(error.message)")
    }

    @Test("a body that is null or not an object is refused naming the body", arguments: ["null", "5", "list"])
    func bodyOfTheWrongKind(kind: String) throws {
        var object = try Frames.object(ShowContent(name: "office"))
        switch kind {
        case "null": object["body"] = NSNull()
        case "5": object["body"] = 5
        default: object["body"] = ["office"]
        }
        let envelope = try EnvelopeCodec.decode(try Frames.data(object))
        let error = try #require(throws: WireError.self) { try envelope.decodeBody(ShowContent.self) }
        #expect(error.code == (kind == "null" ? .missingField : .malformed), "\(error.message)")
        #expect(error.message.contains("'body'"), "\(error.message)")
    }

    @Test func emptyBodyStructsDecodeFromEmptyObject() throws {
        let envelope = try EnvelopeCodec.decode(try EnvelopeCodec.encode(ListContents(), sender: "n", sentAt: Date()))
        let object = try #require(try JSONSerialization.jsonObject(with: envelope.frame) as? [String: Any])
        #expect((object["body"] as? [String: Any])?.isEmpty == true)
        _ = try envelope.decodeBody(ListContents.self)
    }
}
