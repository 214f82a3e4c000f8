public import Foundation
public import Logging
public import Bus
public import Messages
public import Hummingbird
public import ServiceLifecycle
import NIOCore

/// What every Ferry service process shares: settings, log, keys, journal, metrics, and the
/// way it runs its parts until SIGTERM.
///
/// A service's `build` function creates one host, adds its own logic, and calls ``run(_:)``.
public final class ServiceHost: Sendable {
    public let service: String
    public let settings: CommonSettings
    public let logger: Logger
    public let journal: Journal?
    public let identity: CurveKeyPair?
    public let metrics = MetricsRegistry()
    public let startedAt = Date()
    private let bound = Mutex<(bus: String?, http: String?)>((nil, nil))

    /// - Parameters:
    ///   - service: the executable's name, e.g. `distribution-manager`.
    ///   - defaultLogName: the log file name under the data folder when the config names none.
    public init(service: String, settings: CommonSettings, defaultLogName: String, journalOverride: String? = nil,
                echoLogToStandardOutput: Bool = true) throws {
        self.service = service
        self.settings = settings
        try FileManager.default.createDirectory(at: settings.dataURL, withIntermediateDirectories: true)
        let logURL = settings.logFile.map { URL(fileURLWithPath: $0) } ?? settings.dataURL.appendingPathComponent(defaultLogName)
        let sink = try LogSink(fileURL: logURL, echoToStandardOutput: echoLogToStandardOutput)
        let level = settings.logLevel.flatMap(Logger.Level.init(rawValue:)) ?? .info
        logger = sink.logger(label: settings.node, level: level)
        journal = try (journalOverride ?? settings.journal).map { try Journal(url: URL(fileURLWithPath: $0)) }
        identity = try settings.bus.keyFile.map { try CurveKeyPair.load(from: $0) }
    }

    /// The server-side Curve settings, or nil when this service runs without keys.
    public var serverSecurity: BusServerSecurity? {
        identity.map { BusServerSecurity(identity: $0, allowedClientKeys: Set(settings.bus.allowedClientKeys ?? [])) }
    }

    /// A connection to another service's inbox.
    public func client(peer: String, settings peerSettings: PeerSettings) throws -> BusClient {
        var security: BusClientSecurity?
        if let identity {
            guard let serverKey = peerSettings.publicKey else {
                throw ConfigurationError("the public key of \(peer) is missing from the configuration")
            }
            security = BusClientSecurity(identity: identity, serverKey: serverKey)
        }
        return BusClient(node: settings.node, peer: peer, endpoint: peerSettings.endpoint, security: security,
                         journal: journal, logger: logger)
    }

    /// The service's inbox, with `health.query` answered.
    public func makeBusServer(dispatcher: BusDispatcher) -> BusServer {
        var dispatcher = dispatcher
        dispatcher.on(HealthQuery.self) { [self] _, _ in
            let endpoints = bound.withLock { $0 }
            return HealthReply(service: service, node: settings.node, startedAt: startedAt,
                               busEndpoint: endpoints.bus ?? settings.bus.bind, httpURL: endpoints.http)
        }
        return BusServer(node: settings.node, endpoint: settings.bus.bind, security: serverSecurity,
                         dispatcher: dispatcher, journal: journal, logger: logger)
    }

    /// Adds `/health` and `/metrics` to `router` and wraps it in an HTTP application on the
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
                    try EndpointsFile(service: service, node: settings.node, busEndpoint: busEndpoint, httpURL: url)
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

    /// Runs `services` until SIGTERM or SIGINT, then shuts them down gracefully.
    public func run(_ services: [any Service]) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("\(service) stopped")
    }
}
