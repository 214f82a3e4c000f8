import Clocks
import Bus
import ContentStore
import Foundation
import GRDB
import HTTPTransfer
import Logging
import Messages
import ServiceKit
import ServiceLifecycle
import Store

/// The agent's loop: register, poll policy, and carry each deployment through locate,
/// download, cache and (once per version) run, reporting every step to the MP.
///
/// Final reports go through the outbox in the transaction that records the state, so a
/// crash loses none and repeats none; progress reports are best effort.
final class AgentWorker: Service, Sendable {
    static let managementPointPeer = "management-point"

    let name: String
    let settings: MulticastAgentSettings
    let database: ServiceDatabase
    let store: ChunkStore
    let cacheFolder: URL
    let managementPoint: BusClient
    let pump: OutboxPump
    let downloader: ContentDownloader
    /// The subnet path (election, multicast, peers); nil where the control channel cannot run.
    let subnet: SubnetTransfer?
    /// The service clock: policy cycles, retries and deadlines are service time.
    let clock: any ServiceClock
    let metrics: ServiceMetrics
    let logger: Logger

    /// Each download's time (subnet or DPs, until every chunk is verified), by path and outcome.
    static let downloadDurationMetric = "ferry_agent_download_duration_seconds"

    init(name: String, settings: MulticastAgentSettings, database: ServiceDatabase, store: ChunkStore, cacheFolder: URL,
         managementPoint: BusClient, pump: OutboxPump, subnet: SubnetTransfer?, clock: any ServiceClock, metrics: ServiceMetrics,
         logger: Logger) {
        self.metrics = metrics
        self.subnet = subnet
        self.clock = clock
        self.name = name
        self.settings = settings
        self.database = database
        self.store = store
        self.cacheFolder = cacheFolder
        self.managementPoint = managementPoint
        self.pump = pump
        self.logger = logger
        downloader = ContentDownloader(store: store, http: HTTPClient.shared, localAddress: settings.address, clock: clock, logger: logger,
                                       parallelRequests: settings.parallelDownloadCount)
    }

    var policyInterval: Double { settings.policyIntervalSeconds ?? 3600 }
    var retryInterval: Double { settings.retryIntervalSeconds ?? 3600 }

    func run() async throws {
        try await recoverInterruptedRuns()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.cycle()
                try? await self.clock.sleep(for: .milliseconds(Int(min(self.policyInterval, self.retryInterval) * 1000)))
            }
        }
    }

    /// A command that was started but has no recorded result was cut off by a crash: it is
    /// not run again (effectively once); the administrator sees why.
    private func recoverInterruptedRuns() async throws {
        try await database.write { [self] db in
            for row in try Row.fetchAll(db, sql: "SELECT * FROM deploymentState WHERE state = ?", arguments: [AgentDeploymentPhase.running.rawValue]) {
                let id: String = row["id"]
                try record(db, id: id, content: row["content"], versionID: row["versionID"], state: .failed,
                           detail: "the agent stopped while the command ran; it is not run twice", exitCode: nil, nextAttempt: .infinity)
            }
        }
        pump.wake()
    }

    func cycle() async {
        do {
            _ = try await database.write { [self] db in
                try Outbox.enqueue(db, AgentRegistration(agent: name, address: settings.address, subnet: settings.subnet,
                                                         cachedVersions: try cachedVersions(db)),
                                   to: Self.managementPointPeer, sender: name, now: clock.now)
            }
            pump.wake()
            let policy = try await managementPoint.request(PolicyQuery(agent: name), timeout: .seconds(10))
            for deployment in policy.deployments {
                guard try await isDue(deployment) else { continue }
                await carryOut(deployment)
            }
        } catch {
            logger.warning("policy cycle failed; will try again", metadata: ["error": "\(error)"])
        }
    }

    private func isDue(_ deployment: DeploymentPolicy) async throws -> Bool {
        let now = clock.now.timeIntervalSince1970
        return try await database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT state, nextAttemptAt FROM deploymentState WHERE id = ?", arguments: [deployment.id]) else {
                return true
            }
            let state = AgentDeploymentPhase(rawValue: row["state"]) ?? .failed
            let next: Double = row["nextAttemptAt"]
            return !state.isSettled && next <= now
        }
    }

    private func carryOut(_ deployment: DeploymentPolicy) async {
        let log = logger.with(deployment: deployment)
        await progress(deployment, state: .locating, done: 0, total: 0, source: nil)
        let location: ContentLocationReply
        do {
            location = try await managementPoint.request(
                ContentLocationQuery(content: deployment.content, versionID: deployment.versionID, clientAddress: settings.address,
                                     allowFallback: deployment.allowFallback), timeout: .seconds(10))
        } catch {
            await finish(deployment, state: .failed, detail: "content location failed: \(error)", retry: true)
            return
        }
        // The same rule `ferry locate --agent` explains with.
        let decision = LocationDecision.decide(location, allowFallback: deployment.allowFallback, slowNetwork: deployment.slowNetwork,
                                               hasToken: location.downloadToken != nil)
        guard decision.kind == .download, let token = location.downloadToken else {
            let next = clock.now.addingTimeInterval(retryInterval)
            log.info("content not available", metadata: ["reason": "\(decision.reason)", "retry-at": "\(next)"])
            await finish(deployment, state: .contentNotAvailable,
                         detail: "\(decision.reason); next try at \(next.formatted(date: .omitted, time: .standard))", retry: true,
                         answer: location.distributionPoints)
            return
        }
        let usable = decision.distributionPoints.compactMap { name in location.distributionPoints.first { $0.name == name } }
        // Wall time of the transfer itself (a benchmark-style duration, not service time).
        let started = ContinuousClock.now
        let recordDuration = { [metrics] (path: String, outcome: String) in
            metrics.timer(Self.downloadDurationMetric, labels: [("path", path), ("outcome", outcome)])
                .record(duration: started.duration(to: .now))
        }
        if let subnet {
            let multicast = deployment.multicast ?? settings.subnetSettings.isEnabled
            let delay = deployment.multicastDelaySeconds ?? settings.subnetSettings.startDelay
            do {
                let outcome = try await subnet.obtain(versionID: deployment.versionID, points: usable, token: token, multicast: multicast,
                                                      startDelay: delay) { done, total, source in
                    await self.progress(deployment, state: .downloading, done: done, total: total, source: source)
                }
                recordDuration("subnet", "obtained")
                log.info("content obtained", metadata: [
                    "representative": "\(outcome.representative)", "bytes-multicast": "\(outcome.fromMulticast)",
                    "bytes-peers": "\(outcome.fromPeers)", "bytes-dp": "\(outcome.fromDistributionPoint)"])
                let folder = try materialize(deployment, manifest: outcome.manifest)
                let source = outcome.distributionPoint ?? (outcome.fromMulticast > 0 ? "multicast" : "peers")
                await complete(deployment, folder: folder, source: source, total: outcome.manifest.totalSize, answer: location.distributionPoints,
                               transfer: outcome)
            } catch {
                recordDuration("subnet", "failed")
                log.warning("subnet download failed; will try again", metadata: ["error": "\(error)"])
                await finish(deployment, state: .failed, detail: "download failed (\(error)); will try again", retry: true,
                             answer: location.distributionPoints)
            }
            return
        }
        do {
            let result = try await downloader.download(versionID: deployment.versionID, base: await heldVersion(of: deployment),
                                                       from: usable, token: token) { done, total, source in
                await self.progress(deployment, state: .downloading, done: done, total: total, source: source)
            }
            recordDuration("distribution-point", "obtained")
            log.info("downloaded", metadata: ["dp": "\(result.source)", "bytes-fetched": "\(result.bytesFetched)"])
            let folder = try materialize(deployment, manifest: result.manifest)
            await complete(deployment, folder: folder, source: result.source, total: result.manifest.totalSize, answer: location.distributionPoints)
        } catch {
            recordDuration("distribution-point", "failed")
            log.warning("download failed; will try again", metadata: ["error": "\(error)"])
            await finish(deployment, state: .failed, detail: "download failed (\(error)); will try again", retry: true,
                         answer: location.distributionPoints)
        }
    }

    /// The version's files in the cache folder, rebuilt from the store once.
    /// The newest other version of the deployment's content this agent holds, to ask for
    /// deltas against (SPEC C3); nil when there is none.
    private func heldVersion(of deployment: DeploymentPolicy) async -> String? {
        let held = AgentDeploymentPhase.allCases.filter(\.holdsContent).map(\.rawValue)
        let candidates = (try? await database.read { db in
            try String.fetchAll(db, sql: """
                SELECT versionID FROM deploymentState WHERE content = ? AND versionID != ? AND state IN (\(held.map { _ in "?" }.joined(separator: ",")))
                ORDER BY updatedAt DESC
                """, arguments: StatementArguments([deployment.content, deployment.versionID] + held))
        }) ?? []
        return candidates.first { store.hasManifest($0) }
    }

    private func materialize(_ deployment: DeploymentPolicy, manifest: Manifest) throws -> URL {
        let folder = cacheFolder.appendingPathComponent(deployment.content).appendingPathComponent(deployment.versionID)
        if !FileManager.default.fileExists(atPath: folder.path) {
            let staging = cacheFolder.appendingPathComponent(".staging-\(UUID().uuidString)")
            try FolderRebuilder(store: store).rebuild(manifest, into: staging)
            try FileManager.default.createDirectory(at: folder.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: staging, to: folder)
        }
        return folder
    }

    private func complete(_ deployment: DeploymentPolicy, folder: URL, source: String, total: Int64, answer: [LocatedDistributionPoint],
                          transfer: SubnetTransfer.Outcome? = nil) async {
        guard let command = deployment.command, !deployment.cacheOnly else {
            await finish(deployment, state: .cached, detail: "in \(folder.path)", retry: false, source: source, total: total, answer: answer, transfer: transfer)
            return
        }
        if let deadline = deployment.deadline, deadline > clock.now {
            // Content is ready before the deadline; the command waits for it.
            await finish(deployment, state: .waitingDeadline, detail: "cached; runs at \(deadline.formatted(date: .abbreviated, time: .standard))",
                         retry: false, source: source, total: total, nextAttempt: deadline.timeIntervalSince1970, answer: answer, transfer: transfer)
            return
        }
        // Record the start before running, so a crash during the command never runs it twice.
        do {
            try await database.write { [self] db in
                try record(db, id: deployment.id, content: deployment.content, versionID: deployment.versionID, state: .running,
                           detail: command, exitCode: nil, nextAttempt: .infinity, report: false)
            }
        } catch {
            logger.error("cannot record the command start; not running it", metadata: ["error": "\(error)"])
            return
        }
        let exitCode = Self.run(command, in: folder)
        logger.with(deployment: deployment).info("command finished", metadata: ["exit-code": "\(exitCode)"])
        await finish(deployment, state: exitCode == 0 ? .installed : .failed, detail: "command exited \(exitCode)", retry: false,
                     source: source, total: total, exitCode: exitCode, answer: answer, transfer: transfer)
    }

    static func run(_ command: String, in folder: URL) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = folder
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return 127
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    private func finish(_ deployment: DeploymentPolicy, state: AgentDeploymentPhase, detail: String, retry: Bool, source: String? = nil,
                        total: Int64 = 0, exitCode: Int32? = nil, nextAttempt: Double? = nil, answer: [LocatedDistributionPoint]? = nil,
                        transfer: SubnetTransfer.Outcome? = nil) async {
        let next = nextAttempt ?? (retry ? clock.now.timeIntervalSince1970 + retryInterval : Double.infinity)
        do {
            try await database.write { [self] db in
                try record(db, id: deployment.id, content: deployment.content, versionID: deployment.versionID,
                           state: state == .failed && !retry ? .failedFinal : state, detail: detail, exitCode: exitCode,
                           nextAttempt: next, reportState: state, source: source, total: total, answer: answer, transfer: transfer)
            }
            pump.wake()
        } catch {
            logger.error("cannot record a deployment state", metadata: ["error": "\(error)"])
        }
    }

    /// Writes the local state and, in the same transaction, the report to the MP.
    private func record(_ db: Database, id: String, content: String, versionID: String, state: AgentDeploymentPhase, detail: String?,
                        exitCode: Int32?, nextAttempt: Double, report: Bool = true, reportState: AgentDeploymentPhase? = nil,
                        source: String? = nil, total: Int64 = 0, answer: [LocatedDistributionPoint]? = nil,
                        transfer: SubnetTransfer.Outcome? = nil) throws {
        let now = clock.now
        try db.execute(sql: """
            INSERT OR REPLACE INTO deploymentState (id, content, versionID, state, detail, exitCode, nextAttemptAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, content, versionID, state.rawValue, detail, exitCode, nextAttempt.isFinite ? nextAttempt : 1e15, now.timeIntervalSince1970])
        guard report else { return }
        var status = AgentDeploymentState(agent: name, deploymentID: id, state: reportState ?? state, bytesDone: total, bytesTotal: total,
                                          source: source, exitCode: exitCode, detail: detail, updatedAt: now, answer: answer)
        if let transfer {
            status.representative = transfer.representative
            status.bytesFromMulticast = transfer.fromMulticast
            status.bytesFromPeers = transfer.fromPeers
            status.bytesFromDistributionPoint = transfer.fromDistributionPoint
        }
        try Outbox.enqueue(db, AgentStatusReport(status: status), to: Self.managementPointPeer, sender: name, now: clock.now)
    }

    private func progress(_ deployment: DeploymentPolicy, state: AgentDeploymentPhase, done: Int64, total: Int64, source: String?) async {
        let status = AgentDeploymentState(agent: name, deploymentID: deployment.id, state: state, bytesDone: done, bytesTotal: total,
                                          source: source, exitCode: nil, detail: nil, updatedAt: clock.now)
        _ = try? await managementPoint.request(AgentStatusReport(status: status), timeout: .seconds(2))
    }

    private func cachedVersions(_ db: Database) throws -> [String] {
        // "content@versionID", so inventories can name what is cached.
        let held = AgentDeploymentPhase.allCases.filter(\.holdsContent).map(\.rawValue)
        return try String.fetchAll(db, sql: "SELECT content || '@' || versionID FROM deploymentState WHERE state IN (?, ?, ?) ORDER BY content",
                                   arguments: StatementArguments(held))
    }
}

extension Logger {
    func with(deployment: DeploymentPolicy) -> Logger {
        var logger = self
        logger[metadataKey: "deployment"] = "\(deployment.id)"
        return logger
    }
}
