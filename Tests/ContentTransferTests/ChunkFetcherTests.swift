import Clocks
import ContentStore
@testable import ContentTransfer
import Foundation
import HTTPTransfer
import Synchronization
import Testing

/// Issue 15 item 3: the one chunk fetcher, against real HTTP servers on port 0.
@Suite("ChunkFetcher")
struct ChunkFetcherTests {
    static func fetcher(_ inFlight: Int = 4) -> ChunkFetcher { ChunkFetcher(requestsInFlight: inFlight, clock: ManualClock()) }

    static func dp(_ name: String, _ url: String, token: String = "t") -> HTTPContentSource {
        .distributionPoint(name: name, baseURL: url, http: HTTPClient(), localAddress: "127.0.0.1", token: token)
    }

    @Test("Issue 15 item 3: a corrupted chunk is refused and not stored; the next source gives the good one")
    func corruptChunkRefused() async throws {
        let fixture = try Fixture(files: 6)
        defer { fixture.remove() }
        let bad = fixture.chunks[1]
        let corrupting = TestSourceServer(store: fixture.source, .init(delay: .milliseconds(50), corrupt: [bad.hash]))
        try await corrupting.serving { url in
            let report = try await Self.fetcher().fetch(fixture.chunks, of: fixture.versionID, from: [Self.dp("dp1", url)],
                                                        into: fixture.target, whenAChunkFails: .abandonSource)
            #expect(report.unfetched.contains(bad))
            #expect(report.failures.count == 1 && report.failures[0].contains("corrupt chunk"), "\(report.failures)")
            #expect(throws: ContentTransferError.self) { try report.requireComplete("the version") }
        }
        #expect(!fixture.target.contains(bad.hash), "the corrupt bytes were not stored")
        // The window was 4 wide when chunk 1 failed: the chunks after it were never asked for.
        #expect(corrupting.chunksAsked.count < fixture.chunks.count)

        let good = TestSourceServer(store: fixture.source)
        try await corrupting.serving { badURL in
            try await good.serving { goodURL in
                let report = try await Self.fetcher().fetch(fixture.chunks, of: fixture.versionID,
                                                            from: [Self.dp("dp1", badURL), Self.dp("dp2", goodURL)],
                                                            into: fixture.target, whenAChunkFails: .abandonSource)
                try report.requireComplete("the version")
                #expect(report.completedBy?.name == "dp2")
            }
        }
        #expect(fixture.target.isIntact(bad.hash))
        #expect(fixture.target.missing(fixture.chunks.map(\.hash)).isEmpty)
    }

    @Test("Issue 15 item 3: resume — chunks already in the local store are not fetched again")
    func resumeFetchesOnlyMissing() async throws {
        let fixture = try Fixture(files: 4)
        defer { fixture.remove() }
        let already = fixture.chunks.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        for chunk in already { try fixture.target.write(try fixture.source.read(chunk.hash), expectedHash: chunk.hash) }
        let missing = fixture.chunks.filter { !already.contains($0) }
        let server = TestSourceServer(store: fixture.source)
        try await server.serving { url in
            // One at a time, so the order asked is the order the server sees.
            let report = try await Self.fetcher(1).fetch(fixture.chunks, of: fixture.versionID, from: [Self.dp("dp1", url)],
                                                         into: fixture.target, whenAChunkFails: .abandonSource)
            try report.requireComplete("the version")
            #expect(report.bytesFetched == fixture.bytes(of: missing))
            #expect(report.chunksFetched == missing.count)
        }
        #expect(server.chunksAsked == missing.map(\.hash), "asked only for the missing chunks, in manifest order")
        #expect(fixture.chunks.allSatisfy { fixture.target.isIntact($0.hash) })
    }

    @Test("Issue 15 item 3: no more chunk requests in flight than the bound, and the bound is used", arguments: [1, 3])
    func inFlightBound(_ bound: Int) async throws {
        let fixture = try Fixture(files: 6)
        defer { fixture.remove() }
        #expect(fixture.chunks.count >= 8)
        let server = TestSourceServer(store: fixture.source, .init(delay: .milliseconds(100)))
        try await server.serving { url in
            let report = try await Self.fetcher(bound).fetch(fixture.chunks, of: fixture.versionID, from: [Self.dp("dp1", url)],
                                                             into: fixture.target, whenAChunkFails: .abandonSource)
            try report.requireComplete("the version")
        }
        #expect(server.mostInFlight == bound)
    }

    @Test("Issue 15 item 3: bytes are counted per source; a peer without a chunk leaves it to the DP")
    func bytesPerSource() async throws {
        let fixture = try Fixture(files: 4)
        defer { fixture.remove() }
        let peerLacks = Set(fixture.chunks.suffix(2).map(\.hash))
        let peer = TestSourceServer(store: fixture.source, .init(absent: peerLacks))
        let dp = TestSourceServer(store: fixture.source)
        let tally = ByteTally()
        try await peer.serving { peerURL in
            try await dp.serving { dpURL in
                let peerSource = HTTPContentSource.peer(baseURL: peerURL, http: HTTPClient(), localAddress: "127.0.0.1", token: "t")
                let fetcher = Self.fetcher()
                let fromPeers = try await fetcher.fetch(fixture.chunks, of: fixture.versionID, from: [peerSource], into: fixture.target,
                                                        whenAChunkFails: .skipChunk, tally: tally)
                #expect(Set(fromPeers.unfetched.map(\.hash)) == peerLacks, "the peer's 404s did not stop it")
                let fromDP = try await fetcher.fetch(fromPeers.unfetched, of: fixture.versionID, versionChunks: fixture.chunks,
                                                     from: [Self.dp("dp1", dpURL)], into: fixture.target,
                                                     whenAChunkFails: .abandonSource, tally: tally)
                try fromDP.requireComplete("the rest")
                #expect(tally.bytes(from: peerSource.id) == fixture.bytes(of: fixture.chunks.filter { !peerLacks.contains($0.hash) }))
            }
        }
        let lacked = fixture.chunks.filter { peerLacks.contains($0.hash) }
        #expect(tally.bytes(from: ContentSourceID(kind: .distributionPoint, name: "dp1")) == fixture.bytes(of: lacked))
        #expect(tally.bytes(from: .peer) + tally.bytes(from: .distributionPoint) == fixture.totalBytes)
        #expect(tally.largest(of: .distributionPoint)?.name == "dp1")
        #expect(Set(dp.chunksAsked) == Set(lacked.map(\.hash)) && dp.chunksAsked.count == lacked.count, "the DP was asked only for what the peer lacked")
    }

    @Test("Issue 15 item 3: a peer's have list spares a request per chunk it lacks")
    func haveListSparesRequests() async throws {
        let fixture = try Fixture(files: 2)
        defer { fixture.remove() }
        let list = String(fixture.chunks.indices.map { $0 == 0 ? "1" : "0" })
        let peer = TestSourceServer(store: fixture.source, .init(haveList: list))
        try await peer.serving { url in
            let source = HTTPContentSource.peer(baseURL: url, http: HTTPClient(), localAddress: "127.0.0.1", token: "t")
            let report = try await Self.fetcher().fetch(fixture.chunks, of: fixture.versionID, from: [source], into: fixture.target,
                                                        whenAChunkFails: .skipChunk)
            #expect(report.unfetched == Array(fixture.chunks.dropFirst()))
            #expect(report.failures.isEmpty)
        }
        #expect(peer.chunksAsked == [fixture.chunks[0].hash])
    }

    @Test("Issue 15 item 3: every request carries the download token as a bearer token, on the DP's wire paths")
    func tokenAndPaths() async throws {
        let fixture = try Fixture(files: 1)
        defer { fixture.remove() }
        let server = TestSourceServer(store: fixture.source)
        try await server.serving { url in
            let source = Self.dp("dp1", url, token: "download-token")
            _ = try await ManifestFetcher().manifest(fixture.versionID, store: fixture.target, sources: [source])
            let report = try await Self.fetcher().fetch(fixture.chunks, of: fixture.versionID, from: [source], into: fixture.target,
                                                        whenAChunkFails: .abandonSource)
            try report.requireComplete("the version")
        }
        #expect(server.records.allSatisfy { $0.authorization == "Bearer download-token" })
        #expect(server.records.first?.path == "/content/\(fixture.versionID)/manifest")
        #expect(Set(server.records.dropFirst().map(\.path)) == Set(fixture.chunks.map { "/content/\(fixture.versionID)/chunks/\($0.hash)" }))
    }

    @Test("Issue 15 item 3: the site library is read at /library/… with a token asked for each request")
    func siteLibrary() async throws {
        let fixture = try Fixture(files: 1)
        defer { fixture.remove() }
        let server = TestSourceServer(store: fixture.source)
        let issued = TokenCount()
        try await server.serving { url in
            let library = HTTPContentSource.siteLibrary(baseURL: url, http: HTTPClient()) {
                issued.increment()
                return "transfer-token"
            }
            let verified = try await ManifestFetcher().fetch(fixture.versionID, from: library)
            #expect(verified.manifest.uniqueChunks == fixture.chunks)
            let report = try await Self.fetcher().fetch(fixture.chunks, of: fixture.versionID, from: [library], into: fixture.target,
                                                        whenAChunkFails: .abandonSource)
            try report.requireComplete("the version")
        }
        #expect(server.records.first?.path == "/library/manifests/\(fixture.versionID)")
        #expect(Set(server.records.dropFirst().map(\.path)) == Set(fixture.chunks.map { "/library/chunks/\($0.hash)" }))
        #expect(server.records.allSatisfy { $0.authorization == "Bearer transfer-token" })
        #expect(issued.value == server.records.count, "a token asked for each request (so a renewed one is used at once)")
    }
}

/// How many tokens a source asked for.
final class TokenCount: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
