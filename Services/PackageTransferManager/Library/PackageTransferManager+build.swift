public import ServiceKit
import Bus
import Clocks
import Foundation
import HTTPTransfer
import Hummingbird
import Logging
import Messages
import Store

/// The package transfer manager: carries out the distribution manager's transfer jobs so
/// the distribution manager is never blocked by many DPs (SPEC T1–T2, T4, T6).
public enum PackageTransferManager {
    public static let serviceName = "package-transfer-manager"

    /// Builds the service from its configuration file and runs it until SIGTERM.
    public static func run(configuration: ConfigurationFile, journal: String? = nil, insecureBus: Bool = false) async throws {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(PackageTransferManagerSettings.self)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "pkgxfermgr.log", journalOverride: journal,
                                   insecureBus: insecureBus)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("pkgxfermgr.sqlite"),
                                           migrator: TransferJobStore.migrator)
        let distributionManager = try host.client(peer: TransferWorker.distributionManagerPeer, settings: settings.distributionManager)
        let pump = OutboxPump(database: database, logger: host.logger) { peer in
            peer == TransferWorker.distributionManagerPeer ? distributionManager : nil
        }
        let connections = PeerConnections(host: host)
        let progressSender = ProgressSender { progress in
            _ = try? await distributionManager.request(progress, expecting: Ack.self, timeout: .seconds(2))
        }
        let progress: @Sendable (TransferProgress) async -> Void = { progressSender.submit($0) }
        let metrics = host.metrics
        let tokens = TransferTokenSource { request in
            try await distributionManager.request(request, expecting: TransferTokenReply.self, timeout: .seconds(10))
        }
        let worker = TransferWorkerBox()
        let executor: @Sendable (TransferJob) -> TransferExecutor = { job in
            TransferExecutor(http: HTTPClient.shared, clock: SystemClock(), transfersPerJob: settings.transfersPerJob ?? 5,
                             distributionPointTimeout: .milliseconds(Int((settings.distributionPointTimeoutSeconds ?? 60) * 1000)),
                             logger: host.logger,
                             distributionPoint: { address in
                                 try connections.client(name: address.name, endpoint: address.busEndpoint,
                                                        publicKey: address.publicKey.isEmpty ? nil : address.publicKey)
                             },
                             token: { job in
                                 try await tokens.token(distributionPoint: job.distributionPoint.name, versionID: job.versionID)
                             },
                             reportProgress: { bytes in
                                 await progress(TransferProgress(jobID: job.jobID, distributionPoint: job.distributionPoint.name,
                                                                 versionID: job.versionID, bytesDone: bytes, bytesTotal: job.totalBytes,
                                                                 attempt: 0, lastError: nil, nextAttemptAt: nil))
                             })
        }
        let transferWorker = TransferWorker(
            database: database, executorFactory: executor, retry: settings.retry ?? .seedDefaults,
            maximumConcurrentJobs: settings.maximumConcurrentJobs ?? 3, node: common.node, logger: host.logger, pump: pump,
            metrics: metrics, reportProgress: progress)
        worker.set(transferWorker)

        var dispatcher = BusDispatcher(logger: host.logger)
        dispatcher.onCommand(TransferJob.self, database: database) { job, _, db in
            try TransferWorker.accept(job, db)
            return .applied
        } afterCommit: { job in
            host.logger.job(job).info("job received", metadata: ["bytes": "\(job.totalBytes)", "redistribute": "\(job.redistribute)"])
            worker.wake()
        }
        let busServer = host.makeBusServer(dispatcher: dispatcher)
        try busServer.start()
        let application = host.makeHTTPApplication(router: Router(context: ServiceRequestContext.self), busServer: busServer)
        try await host.run([busServer, pump, transferWorker, application])
        distributionManager.close()
        connections.closeAll()
    }
}

/// Lets the bus handler wake the worker, which is built after the dispatcher's closures.
final class TransferWorkerBox: Sendable {
    private let worker = Mutex<TransferWorker?>(nil)
    func set(_ value: TransferWorker) { worker.withLock { $0 = value } }
    func wake() { worker.withLock { $0 }?.wake() }
}

/// Sends progress reports without holding up the transfer: at most one report is in
/// flight, and while it is, only the newest report per job is kept. Progress is best
/// effort; a lost report is replaced by the next.
final class ProgressSender: Sendable {
    private let state = Mutex<(sending: Bool, pending: [UUID: TransferProgress])>((false, [:]))
    private let send: @Sendable (TransferProgress) async -> Void

    init(send: @escaping @Sendable (TransferProgress) async -> Void) {
        self.send = send
    }

    func submit(_ progress: TransferProgress) {
        let start = state.withLock { state -> Bool in
            state.pending[progress.jobID] = progress
            if state.sending { return false }
            state.sending = true
            return true
        }
        if start { Task { await drain() } }
    }

    private func drain() async {
        while true {
            let next = state.withLock { state -> [TransferProgress] in
                let batch = Array(state.pending.values)
                state.pending.removeAll()
                if batch.isEmpty { state.sending = false }
                return batch
            }
            if next.isEmpty { return }
            for progress in next { await send(progress) }
        }
    }
}
