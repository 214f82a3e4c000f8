public import ServiceKit
public import Store
import Bus
import ServiceLifecycle

/// The distribution point service: its own chunk store and database, the HTTP data plane,
/// the bus queries the PTM asks (SPEC P1, T2), and, when the site makes it a pull DP, the
/// downloads from its sources (SPEC P2–P6).
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
    let downloader: PullDownloader
    let pump: OutboxPump?
    let managementPoint: BusClient?
    let mover: LibraryMover

    /// The MP's peer name in the outbox.
    static let managementPointPeer = "management-point"

    public func run() async throws {
        defer { managementPoint?.close() }
        try await host.runParts([busServer, application, downloader, mover] + (pump.map { [$0] } ?? []))
    }
}
