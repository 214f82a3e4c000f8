public import Clocks
public import Foundation
public import Logging
public import Bus
import Messages
public import Hummingbird
public import ServiceLifecycle
public import Store
import NIOCore

/// What every Ferry service process shares: settings, clock, log, keys, journal, metrics,
/// and the way it runs its parts.
///
/// A service's `build` function creates one host and its own parts; the service's `run()`
/// runs the parts with ``runParts(_:)``. `@main` runs the service with
/// ``ServiceHost/runUntilTerminated(_:logger:)``, which owns the signal handling, so tests
/// can run the same value in-process and stop it with a graceful shutdown.
public final class ServiceHost: Sendable {
    public let service: String
    public let settings: CommonSettings
    public let logger: Logger
    public let journal: Journal?
    public let identity: CurveKeyPair?
    /// The clients the service's inbox accepts, from `bus.clients`.
    public let clients: PeerDirectory
    /// The service's own Prometheus registry, rendered at `/metrics`.
    public let metrics = ServiceMetrics()
    /// Every timestamp, timer and delay of the service goes through this clock.
    public let clock: any ServiceClock
    public let startedAt: Date
    private let bound = Mutex<(bus: String?, http: String?)>((nil, nil))

    /// - Parameters:
    ///   - service: the executable's name, e.g. `distribution-manager`.
    ///   - defaultLogName: the log file name under the data folder when the config names none.
    ///   - insecureBus: run without CurveZMQ when no key file is configured (`--insecure-bus`);
    ///     without it, a missing key file refuses the start.
    public init(service: String, settings: CommonSettings, defaultLogName: String, journalOverride: String? = nil,
                insecureBus: Bool = false, echoLogToStandardOutput: Bool = true, clock: any ServiceClock) throws {
        self.service = service
        self.settings = settings
        self.clock = clock
        startedAt = clock.now
        try FileManager.default.createDirectory(at: settings.dataURL, withIntermediateDirectories: true)
        // The database, store and journal are the service's alone (a journal holds every
        // envelope, tokens included): nobody else on the host may read them.
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: settings.dataURL.path)
        let logURL = settings.logFile.map { URL(fileURLWithPath: $0) } ?? settings.dataURL.appendingPathComponent(defaultLogName)
        let sink = try LogSink(fileURL: logURL, echoToStandardOutput: echoLogToStandardOutput, clock: clock)
        let level = settings.logLevel.flatMap(Logger.Level.init(rawValue:)) ?? .info
        logger = sink.logger(label: settings.node, level: level)
        journal = try (journalOverride ?? settings.journal).map { try Journal(url: URL(fileURLWithPath: $0), clock: clock) }
        identity = try Self.loadIdentity(settings.bus, insecureBus: insecureBus)
        let clients = try (settings.bus.clients ?? []).map { client in
            var resolved = client
            resolved.publicKey = try CurveKeyPair.publicKey(inline: client.publicKey, file: client.publicKeyFile, setting: "bus.clients[\(client.node)]")
            return resolved
        }
        if identity != nil, let keyless = clients.first(where: { $0.publicKey.map(CurveKeyPair.isValid) != true }) {
            throw ConfigurationError("bus.clients: '\(keyless.node)' needs a publicKey (a 40-character Z85 key); without one it could never connect")
        }
        do {
            self.clients = try PeerDirectory(clients)
        } catch {
            throw ConfigurationError(error.description)
        }
        if identity == nil {
            logger.warning("INSECURE BUS: --insecure-bus and no bus.keyFile: no CurveZMQ, so anyone who can reach \(settings.bus.bind) can send anything as any client listed in bus.clients. Use it for tests only.")
        }
    }

    /// The service's Curve key pair; nil only for an explicitly insecure bus.
    static func loadIdentity(_ bus: BusSettings, insecureBus: Bool) throws -> CurveKeyPair? {
        switch (bus.keyFile, insecureBus) {
        case (let path?, false):
            guard FileManager.default.fileExists(atPath: path) else {
                throw ConfigurationError("bus.keyFile: \(path) does not exist (create a key pair with 'ferry keys generate --out \(path)')")
            }
            return try CurveKeyPair.load(from: path)
        case (nil, false):
            throw ConfigurationError("bus.keyFile is not set: every service needs a Curve key pair (create one with 'ferry keys generate --out FILE'); --insecure-bus runs without one, for tests only")
        case (_?, true):
            throw ConfigurationError("--insecure-bus was given but bus.keyFile is set: remove one of them")
        case (nil, true):
            return nil
        }
    }

    /// The server-side Curve settings, or nil when this service runs without keys.
    public var serverSecurity: BusServerSecurity? {
        identity.map { BusServerSecurity(identity: $0) }
    }

    /// A connection to another service's inbox.
    ///
    /// - Parameter sourceAddress: the local address the connection leaves from (agents).
    public func client(peer: String, settings peerSettings: PeerSettings, sourceAddress: String? = nil) throws -> BusClient {
        var security: BusClientSecurity?
        if let identity {
            guard let serverKey = try CurveKeyPair.publicKey(inline: peerSettings.publicKey, file: peerSettings.publicKeyFile, setting: peer) else {
                throw ConfigurationError("the public key of \(peer) is missing from the configuration")
            }
            security = BusClientSecurity(identity: identity, serverKey: serverKey)
        }
        return BusClient(node: settings.node, peer: peer, endpoint: peerSettings.endpoint, security: security,
                         sourceAddress: sourceAddress, journal: journal, clock: clock, logger: logger)
    }

    /// The service's inbox, with `health.query` answered and handler times measured.
    public func makeBusServer(dispatcher: BusDispatcher, admitted: AdmittedPeers? = nil) -> BusServer {
        var dispatcher = dispatcher
        dispatcher.measureHandlers(with: metrics.factory)
        dispatcher.on(HealthQuery.self) { [self] _, _ in
            let endpoints = bound.withLock { $0 }
            return HealthReply(service: service, node: settings.node, startedAt: startedAt,
                               busEndpoint: endpoints.bus ?? settings.bus.bind, httpURL: endpoints.http)
        }
        return BusServer(node: settings.node, endpoint: settings.bus.bind, security: serverSecurity, clients: clients, admitted: admitted,
                         dispatcher: dispatcher, journal: journal, logger: logger)
    }

    /// A router whose every route's request time is measured (``HTTPMetricsMiddleware``): a
    /// middleware applies only to routes added after it, so services start from this router.
    public func makeRouter() -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.add(middleware: HTTPMetricsMiddleware(factory: metrics.factory))
        return router
    }

    /// Adds `/health` and `/metrics` to `router` (from ``makeRouter()``) and wraps it in an HTTP application on the
    /// configured address, closing connections idle for `http.idleTimeoutSeconds`. When the
    /// server is up, the endpoints file is written.
    public func makeHTTPApplication(router: Router<ServiceRequestContext>, busServer: BusServer) -> some ApplicationProtocol {
        router.get("/health") { [self] _, _ -> Response in
            let endpoints = bound.withLock { $0 }
            return HTTPResponses.json(["service": service, "node": settings.node, "status": "ok", "bus": endpoints.bus ?? ""])
        }
        router.get("/metrics") { [self] _, _ -> Response in
            HTTPResponses.text(metrics.render(), contentType: "text/plain; version=0.0.4")
        }
        // A connection that never completes a request head, or idles between requests, is closed:
        // half-open requests cannot pile up (issue 14 item 5).
        let idleTimeout = settings.http.idleTimeoutSeconds ?? HTTPSettings.defaultIdleTimeoutSeconds
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64((idleTimeout * 1000).rounded())))),
            configuration: .init(address: .hostname(settings.http.host, port: settings.http.port), serverName: service),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? settings.http.port
                let url = settings.http.advertisedURL ?? "http://\(settings.http.host):\(port)"
                let busEndpoint = busServer.endpoint ?? settings.bus.bind
                bound.withLock { $0 = (busEndpoint, url) }
                do {
                    try EndpointsFile(service: service, node: settings.node, busEndpoint: busEndpoint, httpURL: url, startedAt: startedAt)
                        .write(to: settings.dataURL)
                } catch {
                    logger.error("cannot write the endpoints file", metadata: ["error": "\(error)"])
                }
                logger.info("\(service) ready", metadata: ["bus": "\(busEndpoint)", "http": "\(url)", "pid": "\(getpid())"])
            },
            logger: logger)
    }

    /// The HTTP base URL once the server runs.
    public var httpURL: String? { bound.withLock { $0.http } }

    /// A dispatcher on this service's clock and log.
    public func makeDispatcher() -> BusDispatcher {
        BusDispatcher(clock: clock, logger: logger)
    }

    /// An outbox pump on this service's database, clock and log.
    public func makePump(database: ServiceDatabase, client: @escaping @Sendable (String) -> BusClient?) -> OutboxPump {
        OutboxPump(database: database, clock: clock, logger: logger, client: client)
    }

    /// Runs a service's parts together until the enclosing graceful shutdown (SIGTERM in
    /// `@main`, the test's in-process), then stops them; one part failing stops the rest.
    public func runParts(_ parts: [any Service]) async throws {
        let group = ServiceGroup(configuration: .init(
            services: parts.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            logger: logger))
        try await group.run()
        logger.info("\(service) stopped")
    }

    /// Runs a built service until SIGTERM or SIGINT, then shuts it down gracefully.
    public static func runUntilTerminated(_ service: some Service, logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(
            services: [ServiceGroupConfiguration.ServiceConfiguration(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
    }
}
