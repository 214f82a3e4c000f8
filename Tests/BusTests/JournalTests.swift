import Clocks
import Bus
import Foundation
import Messages
import Testing

@Suite("Journal")
struct JournalTests {
    struct Line {
        var direction: String
        var type: String?
        var at: String
        var frame: Any?
    }

    static func lines(_ url: URL) throws -> [Line] {
        let text = try String(contentsOf: url, encoding: .utf8)
        #expect(text.isEmpty || text.hasSuffix("\n"))
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { raw in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any], "\(raw)")
            let frame = object["frame"]
            return Line(direction: try #require(object["direction"] as? String), type: (frame as? [String: Any])?["type"] as? String,
                        at: try #require(object["at"] as? String), frame: frame)
        }
    }

    @Test func writesOneLinePerEnvelopeInAndOut() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let serverJournal = try Journal(url: folder.file("logs/server.jsonl"), clock: SystemClock())
        let clientJournal = try Journal(url: folder.file("logs/client.jsonl"), clock: SystemClock())
        let (server, endpoint) = try startServer(journal: serverJournal)
        defer { server.stop() }
        let client = makeClient(endpoint, journal: clientJournal)
        defer { client.close() }

        _ = try await client.request(HealthQuery(), timeout: .seconds(5))
        _ = try await client.request(ShowContent(name: "office"), timeout: .seconds(5))

        let serverLines = try Self.lines(serverJournal.url)
        #expect(serverLines.map(\.direction) == ["in", "out", "in", "out"])
        #expect(serverLines.map(\.type) == [HealthQuery.wireName, HealthReply.wireName, ShowContent.wireName, ContentDetail.wireName])
        let clientLines = try Self.lines(clientJournal.url)
        #expect(clientLines.map(\.direction) == ["out", "in", "out", "in"])
        #expect(clientLines.map(\.type) == serverLines.map(\.type))
        for line in serverLines + clientLines {
            #expect(line.at.hasSuffix("Z"))
            #expect(line.at.contains("."), "fractional seconds")
        }
    }

    @Test func journalFramesReplayAsTheOriginalEnvelopes() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try Journal(url: folder.file("j.jsonl"), clock: SystemClock())
        let id = UUID()
        let frame = try EnvelopeCodec.encode(TransferJob.example, id: id, sender: "site", sentAt: Date())
        journal.record(direction: .outgoing, frame: frame)
        let line = try #require(try Self.lines(journal.url).first)
        let replayed = try JSONSerialization.data(withJSONObject: try #require(line.frame))
        let envelope = try EnvelopeCodec.decode(replayed)
        #expect(envelope.id == id)
        #expect(try Frames.json(envelope.decodeBody(TransferJob.self)) == Frames.json(TransferJob.example))
    }

    @Test func refusedGarbageIsKeptAsAStringOnItsOwnLine() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try Journal(url: folder.file("server.jsonl"), clock: SystemClock())
        let (server, endpoint) = try startServer(journal: journal)
        defer { server.stop() }
        let dealer = try RawDealer(endpoint: endpoint)
        defer { dealer.close() }
        try dealer.send(Data("{broken\n\"json".utf8))
        _ = try errorReply(await dealer.receive())
        let lines = try Self.lines(journal.url)
        #expect(lines.count == 2)
        #expect(lines.first?.direction == "in")
        #expect(lines.first?.frame as? String == "{broken\n\"json")
        #expect(lines.last?.direction == "out")
        #expect(lines.last?.type == ErrorReply.wireName)
    }

    @Test func appendsToAnExistingJournal() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let url = folder.file("j.jsonl")
        let frame = try EnvelopeCodec.encode(HealthQuery(), sender: "a", sentAt: Date())
        do {
            let journal = try Journal(url: url, clock: SystemClock())
            journal.record(direction: .incoming, frame: frame)
        }
        let reopened = try Journal(url: url, clock: SystemClock())
        reopened.record(direction: .outgoing, frame: frame)
        #expect(try Self.lines(url).map(\.direction) == ["in", "out"])
    }

    @Test func concurrentRecordsDoNotInterleave() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try Journal(url: folder.file("j.jsonl"), clock: SystemClock())
        let frame = try EnvelopeCodec.encode(MissingChunksQuery(hashes: Array(repeating: String(repeating: "cd", count: 32), count: 50)),
                                             sender: "a", sentAt: Date())
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                group.addTask { journal.record(direction: index.isMultiple(of: 2) ? .incoming : .outgoing, frame: frame) }
            }
        }
        let lines = try Self.lines(journal.url)
        #expect(lines.count == 200)
        #expect(lines.allSatisfy { $0.type == MissingChunksQuery.wireName })
    }

    @Test func aPrettyPrintedFrameStillTakesOneLine() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let journal = try Journal(url: folder.file("server.jsonl"), clock: SystemClock())
        let (server, endpoint) = try startServer(journal: journal)
        defer { server.stop() }
        let dealer = try RawDealer(endpoint: endpoint)
        defer { dealer.close() }
        // A valid envelope, just pretty-printed: the server accepts it.
        let compact = try EnvelopeCodec.encode(HealthQuery(), sender: "raw", sentAt: Date())
        let object = try JSONSerialization.jsonObject(with: compact)
        try dealer.send(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted]))
        let reply = try EnvelopeCodec.decode(try #require(await dealer.receive()))
        #expect(reply.type == HealthReply.wireName)
        let text = try String(contentsOf: journal.url, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2, "\(text)")
        let lines = try Self.lines(journal.url)
        #expect(lines.map(\.direction) == ["in", "out"])
        #expect(lines.map(\.type) == [HealthQuery.wireName, HealthReply.wireName])
    }
}

/// The compact JSON of a value, for comparing values that are not Equatable.
enum Frames {
    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try EnvelopeCodec.json(value), as: UTF8.self)
    }
}
