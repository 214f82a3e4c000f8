import Hummingbird
import Logging
import ServiceLifecycle
import Testing

/// Runs a real Hummingbird server for `router` on 127.0.0.1, port 0, while `body` gets its
/// base URL; stops it afterwards, also when `body` throws.
func serving<Router: HTTPResponderBuilder>(_ router: Router, label: String, _ body: (String) async throws -> Void) async throws
where Router.Responder.Context: InitializableFromSource<ApplicationRequestContextSource> {
    let port = AsyncStream<Int>.makeStream()
    let application = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                  onServerRunning: { channel in port.continuation.yield(channel.localAddress?.port ?? 0) },
                                  logger: Logger(label: label))
    let group = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: label)))
    let server = Task { try await group.run() }
    var ports = port.stream.makeAsyncIterator()
    let bound = try #require(await ports.next())
    var failure: (any Error)?
    do { try await body("http://127.0.0.1:\(bound)") } catch { failure = error }
    await group.triggerGracefulShutdown()
    try await server.value
    if let failure { throw failure }
}
