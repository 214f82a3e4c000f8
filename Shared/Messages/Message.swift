import Foundation

/// A message type on Ferry's bus: a stable wire name, a schema version, and a body.
///
/// Every type is listed in ``MessageCatalog/all`` so receivers can validate it and
/// `ferry schema` can print it. `example` is a fully populated value used to document the
/// fields and to test that every type round-trips.
public protocol Message: Codable, Sendable {
    /// The name carried in ``Envelope/type``; never change it once shipped.
    static var wireName: String { get }
    /// The newest schema version this build writes and understands.
    static var version: Int { get }
    /// What the message is for, one line, for `ferry schema`.
    static var summary: String { get }
    /// A fully populated value: documents the fields.
    static var example: Self { get }
    /// The roles that may send this message to a service; a server refuses it from any
    /// other with ``ErrorCode/notAuthorized``. Empty (replies): nobody may send it as a request.
    static var allowedSenders: Set<PeerRole> { get }
}

extension Message {
    public static var version: Int { 1 }
    /// Deny by default: a type that does not say who may send it is refused from everyone.
    public static var allowedSenders: Set<PeerRole> { [] }
}
