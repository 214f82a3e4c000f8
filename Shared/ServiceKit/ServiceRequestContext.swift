public import Hummingbird
public import NIOCore

/// The request context of every Ferry HTTP server: the basics plus the peer's address,
/// so a DP sees which client (which source address) asks.
public struct ServiceRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
