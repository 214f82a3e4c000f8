/// Which source content came from: the kind of hop and its name, for logs and byte counts.
public struct ContentSourceID: Sendable, Hashable, CustomStringConvertible {
    /// The kinds of hop content is fetched from.
    public enum Kind: String, Sendable, Hashable {
        /// The site server's content library.
        case siteLibrary
        /// A distribution point (standard or pull).
        case distributionPoint
        /// Another agent's peer cache in the same subnet.
        case peer
    }

    public var kind: Kind
    /// The DP's name, or the peer's or library's base URL.
    public var name: String

    public init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    public var description: String { name }
}
