public import ServiceKit
import Bus
import Clocks
import Foundation
import HTTPTransfer
import Hummingbird
import Messages
import Store

extension PackageTransferManager {
    /// Builds the service from its configuration file: job database, worker, bus (bound).
    ///
    /// - Parameters:
    ///   - clock: every timestamp and timer (retry times, token expiry); `SystemClock()` outside tests.
    ///   - journal: a JSON-lines file recording every envelope (overrides the config's).
    ///   - insecureBus: run without CurveZMQ when no key file is configured (tests only).
    public static func build(configuration: ConfigurationFile, clock: any ServiceClock, journal: String? = nil,
                             insecureBus: Bool = false, echoLogToStandardOutput: Bool = true) async throws -> PackageTransferManager {
        let common = try configuration.decode(CommonSettings.self)
        let settings = try configuration.decode(PackageTransferManagerSettings.self)
        let host = try ServiceHost(service: serviceName, settings: common, defaultLogName: "pkgxfermgr.log", journalOverride: journal,
                                   insecureBus: insecureBus, echoLogToStandardOutput: echoLogToStandardOutput, clock: clock)
        let database = try ServiceDatabase(url: common.dataURL.appendingPathComponent("pkgxfermgr.sqlite"),
                                           migrator: TransferJobStore.migrator)
        let distributionManager = try host.client(peer: TransferWorker.distributionManagerPeer, settings: settings.distributionManager)
        let pump = host.makePump(database: database) { peer in
            peer == TransferWorker.distributionManagerPeer ? distributionManager : nil
        }
        let connections = PeerConnections(host: host)
        let progressSender = ProgressSender { progress in
            _ = try? await distributionManager.request(progress, timeout: .seconds(2))
        }
        let progress: @Sendable (TransferProgress) async -> Void = { progressSender.submit($0) }
        let tokens = TransferTokenSource(clock: clock) { request in
            try await distributionManager.request(request, timeout: .seconds(10))
        }
        let logger = host.logger
        let timeout = Duration.milliseconds(Int((settings.distributionPointTimeoutSeconds ?? 60) * 1000))
        let executor: TransferWorker.ExecutorFactory = { job, throttle, control, progress in
            TransferExecutor(http: HTTPClient.shared, distributionPointTimeout: timeout, logger: logger,
                             distributionPoint: { address in
                                 try connections.client(name: address.name, endpoint: address.busEndpoint,
                                                        publicKey: address.publicKey.isEmpty ? nil : address.publicKey)
                             },
                             token: { job in
                                 try await tokens.token(distributionPoint: job.distributionPoint.name, versionID: job.versionID)
                             },
                             baseToken: { job, version in
                                 try await tokens.token(distributionPoint: job.distributionPoint.name, versionID: version)
                             },
                             throttle: throttle, control: control, reportProgress: progress)
        }
        let scheduler = TransferJobScheduler(maximumContents: settings.maximumConcurrentContents ?? 3,
                                             maximumDistributionPointsPerContent: settings.maximumDistributionPointsPerContent ?? 5)
        let worker = TransferWorker(
            database: database, clock: clock, timeZone: settings.siteTimeZone(default: clock.timeZone), executorFactory: executor,
            retry: settings.retry ?? .seedDefaults, scheduler: scheduler, node: common.node, logger: logger, pump: pump,
            metrics: host.metrics, reportProgress: progress)

        let pulls = PullJobSupervisor(
            database: database, clock: clock, timeZone: settings.siteTimeZone(default: clock.timeZone), cycle: settings.pullCycle,
            node: common.node, logger: logger, pump: pump, requestTimeout: timeout,
            distributionPoint: { name, endpoint, publicKey in
                try connections.client(name: name, endpoint: endpoint, publicKey: publicKey.isEmpty ? nil : publicKey)
            },
            reportProgress: progress)

        let validations = ValidationRunner(
            database: database, clock: clock, node: common.node, logger: logger, pump: pump, requestTimeout: timeout,
            distributionPoint: { name, endpoint, publicKey in
                try connections.client(name: name, endpoint: endpoint, publicKey: publicKey.isEmpty ? nil : publicKey)
            })

        let retirements = RetirementRunner(
            database: database, clock: clock, logger: logger, retryDelay: (settings.retry ?? .seedDefaults).delaySeconds, requestTimeout: timeout,
            distributionPoint: { name, endpoint, publicKey in
                try connections.client(name: name, endpoint: endpoint, publicKey: publicKey.isEmpty ? nil : publicKey)
            })

        let prestaged = PrestagedWaiter(
            database: database, clock: clock, node: common.node, logger: logger, pump: pump,
            checkInterval: settings.prestagedCheckSeconds ?? PrestagedWaiter.defaultCheckInterval, requestTimeout: timeout,
            distributionPoint: { name, endpoint, publicKey in
                try connections.client(name: name, endpoint: endpoint, publicKey: publicKey.isEmpty ? nil : publicKey)
            },
            reportProgress: progress)

        var dispatcher = host.makeDispatcher()
        TransferJobRequests(worker: worker, pulls: pulls, validations: validations, retirements: retirements, prestaged: prestaged,
                            database: database, logger: logger)
            .register(on: &dispatcher)
        let busServer = host.makeBusServer(dispatcher: dispatcher)
        try busServer.start()
        let application = host.makeHTTPApplication(router: host.makeRouter(), busServer: busServer)
        return PackageTransferManager(host: host, database: database, busServer: busServer, pump: pump, worker: worker, pulls: pulls,
                                      validations: validations, retirements: retirements, prestaged: prestaged,
                                      application: application, distributionManager: distributionManager,
                                      distributionPoints: connections)
    }
}
