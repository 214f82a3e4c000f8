import Bus
import Clocks
import ContentStore
import ContentTransfer
import Delta
import Foundation
import GRDB
import HTTPTransfer
import Logging
import Messages
import ServiceLifecycle
import ServiceKit
import Store
import Synchronization

/// A pull DP's transfers (SPEC P2, P3, P4): for each job the PTM notified, the sources in
/// ``PullSourceOrder``, the manifest from the first that holds the version, then only the
/// chunks this DP lacks (every chunk on a redistribution, SPEC C5), each verified before it
/// is stored, then the whole version verified. When no source has it, it waits
/// `sourceRetry` (seed: 30 minutes) and starts again. Site rate limits and retry settings
/// do not apply.
///
/// Each change of state is written, with its status report to the MP, in one transaction;
/// a job interrupted by a crash starts again at its next start and fetches only the chunks
/// not yet stored (a stored chunk was verified before it was stored).
final class PullDownloader: Service, Sendable {
    let node: String
    let content: DistributionPointContent
    let clock: any ServiceClock
    let logger: Logger
    let sourceRetry: TimeInterval
    let requestsInFlight: Int
    let http: HTTPClient
    let tokens: PullTokenSource?
    /// Statuses go to the MP through the outbox; nil when the DP has no MP configured (the
    /// PTM then learns them by asking).
    let managementPointPeer: String?
    let pump: OutboxPump?
    private let running = Mutex(Set<String>())
    private let signal = WakeSignal()

    var database: ServiceDatabase { content.database }
    var store: ChunkStore { content.store }

    init(node: String, content: DistributionPointContent, clock: any ServiceClock, logger: Logger, sourceRetry: TimeInterval,
         requestsInFlight: Int, http: HTTPClient, tokens: PullTokenSource?, managementPointPeer: String?, pump: OutboxPump?) {
        self.node = node
        self.content = content
        self.clock = clock
        self.logger = logger
        self.sourceRetry = sourceRetry
        self.requestsInFlight = requestsInFlight
        self.http = http
        self.tokens = tokens
        self.managementPointPeer = managementPointPeer
        self.pump = pump
    }

    func wake() { signal.wake() }

    // MARK: Jobs from the PTM

    /// Keeps the job (a second notification of it changes nothing); runs in the command's
    /// inbox transaction. An older job for the same content not yet over is superseded.
    func accept(_ notification: PullNotification, _ db: Database) throws -> Bool {
        guard try !PullJobRecord.exists(db, key: notification.jobID.uuidString) else { return false }
        guard tokens != nil else {
            throw WireError(code: .unavailable, message: "\(node) has no managementPoint in its configuration, so it cannot get tokens for its sources; it cannot pull")
        }
        let now = clock.now
        for var older in try PullJobRecord.filter(Column("contentName") == notification.contentName).fetchAll(db) where !older.state.isFinal {
            older.state = .failed
            older.detail = "superseded by version \(notification.version)"
            older.updatedAt = now.timeIntervalSince1970
            try older.update(db)
        }
        let record = try PullJobRecord(notification, now: now)
        try record.insert(db)
        try enqueueStatus(record, db)
        return true
    }

    /// The job's status; `unknown` when this DP has no such job.
    func status(_ query: PullStatusQuery) async throws -> PullStatusReply {
        let record = try await database.read { db in try PullJobRecord.fetchOne(db, key: query.jobID.uuidString) }
        guard let record else {
            return PullStatusReply(status: PullJobStatus(jobID: query.jobID, distributionPoint: node, contentName: "", versionID: "",
                                                         state: .unknown, bytesDone: 0, bytesTotal: 0, source: nil,
                                                         detail: "no such pull job on \(node)", nextAttemptAt: nil, updatedAt: clock.now))
        }
        return PullStatusReply(status: record.status(distributionPoint: node))
    }

    // MARK: The loop

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                while !Task.isCancelled {
                    for record in await self.claimDueJobs() {
                        group.addTask { await self.pull(record) }
                    }
                    await self.signal.idle()
                }
            }
        }
    }

    private func claimDueJobs() async -> [PullJobRecord] {
        let now = clock.now.timeIntervalSince1970
        let due = (try? await database.read { db in
            try PullJobRecord.filter([PullState.waitingForSource.rawValue, PullState.downloading.rawValue].contains(Column("state")))
                .filter(Column("nextAttemptAt") <= now).order(Column("createdAt")).fetchAll(db)
        }) ?? []
        return running.withLock { running in due.filter { running.insert($0.jobID).inserted } }
    }

    // MARK: One attempt

    private func pull(_ record: PullJobRecord) async {
        defer {
            running.withLock { _ = $0.remove(record.jobID) }
            wake()
        }
        let notification: PullNotification
        do { notification = try record.decodedNotification() } catch {
            await update(record.jobID) { $0.state = .failed; $0.detail = "unreadable job: \(error)" }
            return
        }
        let log = logger.pull(notification)
        let attempt = record.attempts + 1
        await update(record.jobID) { $0.attempts = attempt }
        let order = PullSourceOrder.order(notification.sources)
        log.info("pull started", metadata: ["attempt": "\(attempt)", "order": "\(order.map { "\($0.name):\($0.rank)" }.joined(separator: ","))",
                                            "redistribute": "\(notification.redistribute)"])
        let sources = order.map { source in
            HTTPContentSource(id: ContentSourceID(kind: .distributionPoint, name: source.name), baseURL: source.httpURL, layout: .distributionPoint,
                              http: http, timeoutSeconds: 300) { [tokens] in
                guard let tokens else { throw ContentTransferError.exhausted(what: "a pull token", failures: ["no management point configured"]) }
                return try await tokens.token(versionID: notification.versionID)
            }
        }
        var skipped: [String] = []
        for (index, source) in sources.enumerated() {
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            let address = order[index]
            let verified: VerifiedManifest
            do {
                verified = try await ManifestFetcher().fetch(notification.versionID, from: source)
            } catch ContentTransferError.notHeld {
                log.info("source skipped: it lacks the version", metadata: ["source": "\(address.name)", "rank": "\(address.rank)"])
                skipped.append("\(address.name) lacks it")
                continue
            } catch {
                log.warning("source skipped: cannot read the manifest", metadata: ["source": "\(address.name)", "rank": "\(address.rank)",
                                                                                   "error": "\(error)"])
                skipped.append("\(address.name): \(error)")
                continue
            }
            if await download(notification, manifest: verified, from: Array(sources[index...]), first: address, log: log) { return }
            skipped.append("\(address.name) gave only part of it")
            break
        }
        if Task.isCancelled || Task.isShuttingDownGracefully { return }
        let next = clock.now.addingTimeInterval(sourceRetry)
        let why = skipped.isEmpty ? "no source listed" : skipped.joined(separator: "; ")
        log.info("no source has the version; waiting", metadata: ["tried": "\(why)", "retry-at": "\(Self.format(next))"])
        await update(record.jobID) {
            $0.state = .waitingForSource
            $0.nextAttemptAt = next.timeIntervalSince1970
            $0.source = nil
            $0.detail = "no source has version \(notification.version) (\(why)); trying again at \(Self.format(next))"
        }
    }

    /// Fetches what is missing from `sources` (the one that served the manifest first), then
    /// stores the manifest and verifies the version. False when the chunks could not all be had.
    private func download(_ notification: PullNotification, manifest verified: VerifiedManifest, from sources: [any ContentSource],
                          first: PullSourceAddress, log: Logger) async -> Bool {
        let chunks = verified.manifest.uniqueChunks
        content.caches.inFlight.note(chunks.map(\.hash), at: clock.now)
        if let base = notification.differentialBase, base != notification.versionID, !notification.redistribute, store.hasManifest(base) {
            await pullDeltas(notification, base: base, chunks: chunks.filter { !store.contains($0.hash) }, from: first, log: log)
        }
        let destination: any ChunkDestination = notification.redistribute ? Recopy(store: store) : store
        let held = chunks.filter { destination.holds($0.hash) }.reduce(Int64(0)) { $0 + Int64($1.size) }
        let total = chunks.reduce(Int64(0)) { $0 + Int64($1.size) }
        await update(notification.jobID.uuidString) {
            $0.state = .downloading
            $0.source = first.name
            $0.bytesDone = held
            $0.bytesTotal = total
            $0.detail = "downloading from \(first.name) (rank \(first.rank))"
        }
        var fetcher = ChunkFetcher(requestsInFlight: requestsInFlight, clock: clock, logger: log)
        fetcher.progressInterval = .seconds(5)
        let started = ContinuousClock.now
        let report: ChunkFetcher.Report
        do {
            report = try await fetcher.fetch(chunks, of: notification.versionID, from: sources, into: destination,
                                             whenAChunkFails: .abandonSource) { step in
                // Written on its own task: the fetcher's task group must not wait on a database
                // write while its children complete (with Swift 6.3.1 that crashed the release build
                // in the runtime's TaskGroup::offer). A late write cannot undo the end: update()
                // leaves a finished job as it is.
                Task {
                    await self.update(notification.jobID.uuidString) {
                        $0.bytesDone = held + step.bytesFetched
                        $0.source = step.source.name
                        $0.detail = "downloading from \(step.source.name)"
                    }
                }
            }
        } catch {
            return false
        }
        let seconds = max(0.001, started.duration(to: .now).timeInterval)
        log.info("chunks fetched", metadata: ["source": "\(report.completedBy?.name ?? first.name)", "bytes": "\(report.bytesFetched)",
                                              "chunks": "\(report.chunksFetched)", "already-held-bytes": "\(held)",
                                              "missing": "\(report.unfetched.count)", "seconds": "\(String(format: "%.2f", seconds))",
                                              "failures": "\(report.failures.joined(separator: " | "))"])
        guard report.unfetched.isEmpty else { return false }
        do {
            try store.storeManifest(verified)
            content.caches.inFlight.settle(chunks.map(\.hash))
            let verification = try await content.verify(VerifyVersion(contentName: notification.contentName, versionID: notification.versionID))
            guard verification.complete else {
                log.warning("verification failed", metadata: ["missing": "\(verification.missing.count)", "corrupt": "\(verification.corrupt.count)"])
                await update(notification.jobID.uuidString) {
                    $0.detail = "verification failed: \(verification.missing.count) missing, \(verification.corrupt.count) corrupt; fetching again"
                }
                return false
            }
        } catch {
            log.error("cannot store or verify the version", metadata: ["error": "\(error)"])
            return false
        }
        let source = report.completedBy?.name ?? first.name
        log.info("version verified; pull done", metadata: ["source": "\(source)", "bytes": "\(report.bytesFetched)", "outcome": "installed"])
        await update(notification.jobID.uuidString) {
            $0.state = .installed
            $0.bytesDone = total
            $0.source = source
            $0.detail = "installed from \(source) (\(report.bytesFetched) bytes fetched, \(held) already held)"
        }
        return true
    }

    /// Asks the source for the missing chunks as deltas against the base version this DP
    /// holds (SPEC C3); what it leaves out or what does not rebuild is fetched whole
    /// afterwards, as without deltas.
    private func pullDeltas(_ notification: PullNotification, base: String, chunks: [ChunkReference], from source: PullSourceAddress,
                            log: Logger) async {
        guard let tokens, !chunks.isEmpty else { return }
        let outcome = await DeltaFetcher(store: store, http: http).fetch(chunks, of: notification.versionID, base: base, from: source.httpURL) {
            HTTPRequestOptions(headers: ["Authorization": "Bearer \(try await tokens.token(versionID: notification.versionID))"], timeoutSeconds: 300)
        }
        content.metrics.counter("ferry_dp_pulled_delta_bytes_total").increment(by: outcome.bytes)
        log.info("chunks rebuilt from deltas", metadata: ["source": "\(source.name)", "base": "\(base.prefix(12))", "rebuilt": "\(outcome.rebuilt)",
                                                           "of": "\(chunks.count)", "failed": "\(outcome.failed)", "bytes": "\(outcome.bytes)",
                                                           "stopped": "\(outcome.stoppedBecause ?? "-")"])
    }

    // MARK: State and reports

    /// Changes the job and queues its status to the MP, in one transaction.
    private func update(_ jobID: String, _ change: @escaping @Sendable (inout PullJobRecord) -> Void) async {
        do {
            try await database.write { [clock] db in
                guard var record = try PullJobRecord.fetchOne(db, key: jobID) else { return }
                // A superseded job stays over.
                guard !record.state.isFinal else { return }
                change(&record)
                record.updatedAt = clock.now.timeIntervalSince1970
                try record.update(db)
                try self.enqueueStatus(record, db)
            }
            pump?.wake()
        } catch {
            logger.error("cannot record a pull job's state", metadata: ["job": "\(jobID)", "error": "\(error)"])
        }
    }

    private func enqueueStatus(_ record: PullJobRecord, _ db: Database) throws {
        guard let managementPointPeer else { return }
        try Outbox.enqueue(db, PullStatusReport(status: record.status(distributionPoint: node)), to: managementPointPeer, sender: node,
                           now: clock.now)
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// The destination of a redistribution: every chunk is copied again, over the one held.
private final class Recopy: ChunkDestination {
    let store: ChunkStore
    let copied = Mutex(Set<String>())

    init(store: ChunkStore) { self.store = store }

    func holds(_ hash: String) -> Bool { copied.withLock { $0.contains(hash) } }

    func accept(_ chunk: VerifiedBytes) async throws {
        try store.replace(chunk)
        _ = copied.withLock { $0.insert(chunk.hash) }
    }
}

extension Logger {
    /// A logger whose lines carry the pull job's id, content and version (pulldp.log, SPEC P3).
    fileprivate func pull(_ notification: PullNotification) -> Logger {
        var logger = self
        logger[metadataKey: "job"] = "\(notification.jobID.uuidString.prefix(8))"
        logger[metadataKey: "content"] = "\(notification.contentName)"
        logger[metadataKey: "version"] = "\(notification.version)"
        return logger
    }
}
