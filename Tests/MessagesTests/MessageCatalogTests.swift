import Foundation
import Messages
import Testing

@Suite("MessageCatalog")
struct MessageCatalogTests {
    let catalog = MessageCatalog.standard

    @Test func wireNamesAreUniqueAndResolvable() {
        let names = catalog.types.map { $0.wireName }
        #expect(names.count >= 31, "every message type of the build is in the catalog")
        #expect(Set(names).count == names.count, "duplicate wire names would silently shadow each other")
        for name in names {
            #expect(catalog.type(named: name)?.wireName == name)
        }
        #expect(catalog.type(named: "no.such.type") == nil)
        #expect(catalog.type(named: "") == nil)
    }

    @Test func everyTypeHasAVersionAndSummary() {
        for type in catalog.types {
            #expect(type.version >= 1, "\(type.wireName)")
            #expect(!type.summary.isEmpty, "\(type.wireName)")
            #expect(!type.wireName.isEmpty)
        }
    }

    @Test func customCatalogKnowsOnlyItsTypes() {
        let small = MessageCatalog([Ack.self, ErrorReply.self])
        #expect(small.types.count == 2)
        #expect(small.type(named: "ack") != nil)
        #expect(small.type(named: "health.query") == nil)
    }

    @Test func customCatalogRefusesTypesItLacks() throws {
        let frame = try EnvelopeCodec.encode(HealthQuery(), sender: "n", sentAt: Date())
        let small = MessageCatalog([Ack.self])
        #expect(throws: WireError(code: .unknownType, message: "unknown message type 'health.query'")) {
            try EnvelopeCodec.decode(frame, catalog: small)
        }
    }

    @Test func schemaListsEveryType() {
        let schema = catalog.schema()
        #expect(schema.map(\.wireName) == catalog.types.map { $0.wireName })
        for entry in schema {
            #expect(!entry.summary.isEmpty, "\(entry.wireName)")
            #expect(entry.version >= 1, "\(entry.wireName)")
            #expect(entry.example.hasPrefix("{"), "\(entry.wireName)")
        }
    }

    @Test func schemaDescribesTransferJobFields() throws {
        let entry = try #require(catalog.schema().first { $0.wireName == TransferJob.wireName })
        #expect(entry.fields.map(Self.describe) == [
            "jobID: UUID",
            "contentName: String",
            "versionID: String",
            "version: Int",
            "priority: Priority",
            "distributionPoint: DistributionPointAddress",
            "libraryURL: String",
            "redistribute: Bool",
            "totalBytes: Int64",
            "chunkCount: Int",
            "pullSources: Optional<Array<PullSourceAddress>>", "differentialBase: Optional<String>", "awaitPrestaged: Optional<Bool>",
        ])
        #expect(entry.version == TransferJob.version)
        #expect(entry.summary == TransferJob.summary)
    }

    @Test func schemaNamesOptionalAndCollectionTypes() throws {
        let schema = catalog.schema()
        let progress = try #require(schema.first { $0.wireName == TransferProgress.wireName })
        #expect(progress.fields.map(Self.describe).contains("lastError: Optional<String>"))
        #expect(progress.fields.map(Self.describe).contains("nextAttemptAt: Optional<Date>"))
        let list = try #require(schema.first { $0.wireName == ContentList.wireName })
        #expect(list.fields.map(Self.describe) == ["contents: Array<ContentSummary>"])
    }

    @Test func typesWithFieldsListThemAndEmptyRequestsListNone() throws {
        let schema = catalog.schema()
        for entry in schema {
            let type = try #require(catalog.type(named: entry.wireName))
            let exampleKeys = try Self.exampleKeys(type)
            #expect(Set(entry.fields.map(\.name)).isSuperset(of: exampleKeys), "\(entry.wireName)")
        }
        for empty in [HealthQuery.wireName, ListContents.wireName, ListDistributionPoints.wireName] {
            #expect(schema.first { $0.wireName == empty }?.fields.isEmpty == true, "\(empty)")
        }
        #expect(schema.first { $0.wireName == Ack.wireName }?.fields.map(\.name) == ["messageID", "duplicate"])
    }

    @Test func schemaExampleDecodesBackToTheType() throws {
        let entry = try #require(catalog.schema().first { $0.wireName == TransferJob.wireName })
        let job = try EnvelopeCodec.value(TransferJob.self, from: Data(entry.example.utf8))
        #expect(try Frames.json(job) == Frames.json(TransferJob.example))
    }

    static func describe(_ field: SchemaField) -> String { "\(field.name): \(field.type)" }

    private static func exampleKeys<M: Message>(_: M.Type) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: try EnvelopeCodec.json(M.example)) as? [String: Any]
        return Set((object ?? [:]).keys)
    }
}
