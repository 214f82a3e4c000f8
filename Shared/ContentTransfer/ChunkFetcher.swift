import Synchronization
public import Clocks
public import ContentStore
import Foundation
public import Logging

/// The one way chunks are fetched: from one source or several in turn, a bounded number of
/// requests in flight, every chunk checked against its SHA-256 before the destination gets
/// it, chunks the destination already holds not fetched again, bytes counted per source.
///
/// One request per chunk waits a WAN round trip each: at 50 ms and 20 Mbit/s a 64 KiB chunk
/// would spend twice as long waiting as arriving, so a few requests stay in flight to keep
/// the link busy. Chunks are asked for in the order given.
public struct ChunkFetcher: Sendable {
    /// What to do when a source fails a chunk (does not hold it, serves it corrupt, refuses).
    public enum FailurePolicy: Sendable {
        /// Stop asking this source (a DP that fails one chunk is not trusted with the rest):
        /// no further chunk is asked for, the requests in flight are cancelled (those that
        /// still complete are kept and counted), and the next source gets what is left.
        case abandonSource
        /// Leave the chunk for the next source and go on (a peer may hold only part of a version).
        case skipChunk
    }

    /// How far a fetch got, reported at most once per ``progressInterval`` of clock time.
    public struct Progress: Sendable {
        /// Bytes fetched so far in this call, over every source.
        public var bytesFetched: Int64
        /// The source being asked.
        public var source: ContentSourceID
    }

    /// What a fetch did.
    public struct Report: Sendable {
        /// Bytes verified and taken by the destination in this call.
        public var bytesFetched: Int64 = 0
        public var chunksFetched = 0
        /// Chunks no source gave, in the order asked.
        public var unfetched: [ChunkReference] = []
        /// Why sources failed, one line each, naming the source.
        public var failures: [String] = []
        /// The source after which nothing was left to fetch (the first source when nothing was).
        public var completedBy: ContentSourceID?

        /// Throws ``ContentTransferError/exhausted(what:failures:)`` unless every chunk was fetched.
        public func requireComplete(_ what: String) throws {
            guard unfetched.isEmpty else { throw ContentTransferError.exhausted(what: what, failures: failures) }
        }
    }

    /// Requests kept in flight at once, per source (at least 1).
    public var requestsInFlight: Int
    /// The service clock, for progress reports.
    public let clock: any ServiceClock
    public var progressInterval: Duration = .milliseconds(500)
    /// Where a source that is abandoned is logged (nil: not logged).
    public var logger: Logger?

    public init(requestsInFlight: Int, clock: any ServiceClock, logger: Logger? = nil) {
        self.requestsInFlight = requestsInFlight
        self.clock = clock
        self.logger = logger
    }

    /// Fetches `chunks` of the version from `sources` in turn: each source is asked for what
    /// the ones before it did not give. `versionChunks` is the version's whole unique chunk
    /// list (for a peer's have list); nil when `chunks` is that list.
    ///
    /// Counts into `tally`; reports progress through `progress`. Throws only when cancelled:
    /// what no source gave is in the report (``Report/requireComplete(_:)`` turns it into an error).
    public func fetch(_ chunks: [ChunkReference], of versionID: String, versionChunks: [ChunkReference]? = nil,
                      from sources: [any ContentSource], into destination: any ChunkDestination, whenAChunkFails policy: FailurePolicy,
                      tally: ByteTally = ByteTally(), progress: (Progress) async -> Void = { _ in }) async throws -> Report {
        var seen = Set<String>()
        var report = Report()
        report.unfetched = chunks.filter { seen.insert($0.hash).inserted && !destination.holds($0.hash) }
        // A box, not a `var` the closure below captures: with a captured var, Swift 6.3.1's
        // release builds corrupted the task group's results after the first progress call.
        let throttle = ThrottleBox(ProgressThrottle(clock: clock, interval: progressInterval))
        for source in sources {
            if report.unfetched.isEmpty { break }
            let before = report.bytesFetched
            let attempt = try await fetch(report.unfetched, of: versionID, versionChunks: versionChunks ?? chunks, from: source,
                                          into: destination, policy: policy, tally: tally) { bytes in
                if throttle.isDue() { await progress(Progress(bytesFetched: before + bytes, source: source.id)) }
            }
            report.bytesFetched += attempt.bytesFetched
            report.chunksFetched += attempt.chunksFetched
            report.unfetched = attempt.unfetched
            report.failures += attempt.failures
            if report.unfetched.isEmpty { report.completedBy = source.id }
        }
        if report.unfetched.isEmpty, report.completedBy == nil { report.completedBy = sources.first?.id }
        return report
    }

    /// One source's turn.
    private func fetch(_ chunks: [ChunkReference], of versionID: String, versionChunks: [ChunkReference], from source: any ContentSource,
                       into destination: any ChunkDestination, policy: FailurePolicy, tally: ByteTally,
                       fetched: (Int64) async -> Void) async throws -> Report {
        var report = Report()
        var askedChunks = chunks
        if let held = await source.heldChunks(of: versionID, among: versionChunks) {
            // Its have list spares a 404 per chunk it lacks.
            askedChunks = chunks.filter { held.contains($0.hash) }
        }
        // Children put their outcome in `finished` and return nothing; the loop keeps its state
        // inside the group's closure and returns it. The earlier form (children returning
        // (ChunkReference, Result) to a loop whose state a nested function captured) crashed
        // Swift 6.3.1 release builds on their first chunks.
        let asked = askedChunks
        let inFlightLimit = max(1, requestsInFlight)
        let finished = FinishedChunks()
        let outcome = try await withThrowingTaskGroup(of: Void.self,
                                                      returning: (succeeded: Set<String>, report: Report, abandoned: (any Error)?).self) { group in
            var succeeded = Set<String>()
            var abandoned: (any Error)?
            var partial = Report()
            var nextIndex = 0
            var inFlight = 0
            while true {
                while abandoned == nil, inFlight < inFlightLimit, nextIndex < asked.count {
                    let index = nextIndex
                    let chunk = asked[index]
                    nextIndex += 1
                    inFlight += 1
                    group.addTask {
                        let result: Result<Int64, any Error>
                        do {
                            result = .success(try await fetchOne(chunk, of: versionID, from: source, into: destination, tally: tally))
                        } catch {
                            result = .failure(error)
                        }
                        finished.add(index, result)
                    }
                }
                guard try await group.next() != nil else { break }
                let done = finished.takeAll()
                for (index, result) in done {
                    inFlight -= 1
                    switch result {
                    case .success(let bytes):
                        succeeded.insert(asked[index].hash)
                        partial.bytesFetched += bytes
                        if bytes > 0 { partial.chunksFetched += 1 }
                    case .failure(let error):
                        // Failures after the source was abandoned are the cancelled requests.
                        guard abandoned == nil, !(error is CancellationError) else { break }
                        partial.failures.append("\(error)")
                        if policy == .abandonSource {
                            abandoned = error
                            group.cancelAll()
                        }
                    }
                }
                if !done.isEmpty { await fetched(partial.bytesFetched) }
            }
            return (succeeded, partial, abandoned)
        }
        let succeeded = outcome.succeeded
        let abandoned = outcome.abandoned
        report.bytesFetched = outcome.report.bytesFetched
        report.chunksFetched = outcome.report.chunksFetched
        report.failures = outcome.report.failures
        if Task.isCancelled { throw CancellationError() }
        if let abandoned {
            logger?.warning("download failed; trying the next source", metadata: ["source": "\(source.id)", "error": "\(abandoned)"])
        }
        // Failed, cancelled, never asked, or not on the have list: the next source gets them.
        report.unfetched = chunks.filter { !succeeded.contains($0.hash) && !destination.holds($0.hash) }
        return report
    }

    /// Fetches, verifies and hands over one chunk; 0 bytes when the destination got it meanwhile (say by multicast).
    private func fetchOne(_ chunk: ChunkReference, of versionID: String, from source: any ContentSource,
                          into destination: any ChunkDestination, tally: ByteTally) async throws -> Int64 {
        if destination.holds(chunk.hash) { return 0 }
        try Task.checkCancellation()
        guard let data = try await source.chunkData(chunk.hash, of: versionID) else {
            throw ContentTransferError.notHeld(source: source.id, what: "chunk \(chunk.hash)")
        }
        let verified: VerifiedBytes
        do {
            verified = try VerifiedBytes(data: data, hash: chunk.hash)
        } catch {
            throw ContentTransferError.corrupt(source: source.id, what: "chunk \(chunk.hash.prefix(12))", reason: "\(error)")
        }
        do {
            try await destination.accept(verified)
        } catch let error as ContentTransferError {
            throw error
        } catch {
            throw ContentTransferError.notStored(chunk: chunk.hash, reason: "\(error)")
        }
        tally.add(Int64(data.count), from: source.id)
        return Int64(data.count)
    }
}

/// A ``ProgressThrottle`` shared by reference between a fetch and its progress closure.
private final class ThrottleBox: Sendable {
    private let throttle: Mutex<ProgressThrottle>

    init(_ throttle: ProgressThrottle) { self.throttle = Mutex(throttle) }

    func isDue() -> Bool { throttle.withLock { $0.isDue() } }
}

/// The outcomes of a fetch's finished requests, waiting for the fetch's loop to take them.
private final class FinishedChunks: Sendable {
    private let outcomes = Mutex([(index: Int, result: Result<Int64, any Error>)]())

    func add(_ index: Int, _ result: Result<Int64, any Error>) { outcomes.withLock { $0.append((index, result)) } }

    func takeAll() -> [(index: Int, result: Result<Int64, any Error>)] {
        outcomes.withLock { list in
            defer { list.removeAll() }
            return list
        }
    }
}
