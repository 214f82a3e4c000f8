public import ServiceKit
public import Store
import Bus
import ServiceLifecycle

/// The package transfer manager: carries out the distribution manager's transfer jobs so
/// the distribution manager is never blocked by many DPs (SPEC T1–T2, T4, T6).
///
/// ``build(configuration:clock:journal:insecureBus:echoLogToStandardOutput:)`` makes the
/// value with its bus bound; ``run()`` serves until the enclosing graceful shutdown.
public struct PackageTransferManager: Service {
    public static let serviceName = "package-transfer-manager"

    public let host: ServiceHost
    /// The service's own SQLite state (the transfer jobs).
    public let database: ServiceDatabase
    /// The bound inbox (its endpoint is known once `build` returns).
    public let busServer: BusServer
    let pump: OutboxPump
    let worker: TransferWorker
    let pulls: PullJobSupervisor
    let validations: ValidationRunner
    let retirements: RetirementRunner
    let prestaged: PrestagedWaiter
    let application: any Service
    let distributionManager: BusClient
    let distributionPoints: PeerConnections

    public func run() async throws {
        defer {
            distributionManager.close()
            distributionPoints.closeAll()
        }
        try await host.runParts([busServer, pump, worker, pulls, validations, retirements, prestaged, application])
    }
}
