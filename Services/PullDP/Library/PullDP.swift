public import ServiceKit
public import Store
import Bus
import ServiceLifecycle

/// The distribution point service (standard mode): its own chunk store and database, the
/// HTTP data plane, and the bus queries the PTM asks (SPEC P1, T2).
///
/// ``build(configuration:clock:journal:insecureBus:echoLogToStandardOutput:)`` makes the
/// value with its bus bound; ``run()`` serves until the enclosing graceful shutdown.
public struct PullDP: Service {
    public static let serviceName = "pull-dp"

    public let host: ServiceHost
    /// The service's own SQLite state (served versions, clients).
    public let database: ServiceDatabase
    /// The bound inbox (its endpoint is known once `build` returns).
    public let busServer: BusServer
    let application: any Service

    public func run() async throws {
        try await host.runParts([busServer, application])
    }
}
