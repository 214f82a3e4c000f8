public import Foundation

/// One datagram of the subnet's control channel: how agents find or elect the subnet's
/// representative for a content version and find peers that hold its chunks.
///
/// Datagrams are JSON, at most `maximumSize` bytes; anything else is dropped by the
/// receiver. They are hints, never trusted for data: every chunk is verified by hash.
public struct SubnetMessage: Codable, Sendable, Equatable {
    public static let maximumSize = 2048

    public enum Kind: String, Codable, Sendable {
        /// "Is anyone the representative for this version?"
        case query
        /// "I would like to be the representative"; the lowest address wins.
        case volunteer
        /// The representative's heartbeat, with its session's state.
        case announce
        /// "Who holds chunks of this version?"
        case whoHas = "who-has"
        /// An answer to `whoHas`, or an agent saying it finished.
        case has
    }

    /// Where a representative's session stands.
    public enum SessionState: String, Codable, Sendable {
        /// Downloading from a DP; multicast starts when the start delay has passed.
        case downloading
        /// Multicasting chunks (possibly while still downloading the rest).
        case sending
        /// Every chunk has been sent; receivers fetch what they missed from peers.
        case done
    }

    public var kind: Kind
    public var versionID: String
    public var node: String
    /// The sender's IPv4 address: its rank in elections and its identity as a peer.
    public var address: String
    /// The sender's peer cache (`http://address:port`).
    public var httpURL: String?
    public var state: SessionState?
    /// Whether the representative multicasts (false: peers fetch from its cache).
    public var multicast: Bool?
    /// Seconds until the representative starts multicasting.
    public var startsInSeconds: Double?
    /// Whether the sender holds every chunk of the version.
    public var complete: Bool?

    public init(kind: Kind, versionID: String, node: String, address: String, httpURL: String? = nil, state: SessionState? = nil,
                multicast: Bool? = nil, startsInSeconds: Double? = nil, complete: Bool? = nil) {
        self.kind = kind
        self.versionID = versionID
        self.node = node
        self.address = address
        self.httpURL = httpURL
        self.state = state
        self.multicast = multicast
        self.startsInSeconds = startsInSeconds
        self.complete = complete
    }

    public func encoded() throws -> Data {
        let data = try JSONEncoder().encode(self)
        guard data.count <= Self.maximumSize else { throw SubnetMessageError("a subnet message is \(data.count) bytes; the limit is \(Self.maximumSize)") }
        return data
    }

    /// Decodes a datagram, rejecting oversized, malformed and impossible ones.
    public static func decode(_ data: Data) throws -> SubnetMessage {
        guard data.count <= maximumSize else { throw SubnetMessageError("datagram of \(data.count) bytes is over the limit") }
        let message: SubnetMessage
        do {
            message = try JSONDecoder().decode(SubnetMessage.self, from: data)
        } catch {
            throw SubnetMessageError("malformed subnet message: \(error)")
        }
        guard message.versionID.count == 64, message.versionID.allSatisfy(\.isHexDigit) else {
            throw SubnetMessageError("subnet message names version '\(message.versionID.prefix(80))', not a SHA-256")
        }
        guard IPv4.parse(message.address) != nil else { throw SubnetMessageError("subnet message from address '\(message.address.prefix(40))'") }
        return message
    }

    /// Election rank: the lower address wins, so every agent reaches the same answer.
    public var rank: UInt32 { IPv4.parse(address) ?? .max }
}

public struct SubnetMessageError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
