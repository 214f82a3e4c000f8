public import Bus

/// Bus connections to peers known only at run time (DPs named in jobs or in the site's
/// list), made on first use and kept for the life of the process.
public final class PeerConnections: Sendable {
    private let host: ServiceHost
    private let clients = Mutex([String: BusClient]())

    public init(host: ServiceHost) { self.host = host }

    /// The connection to `name` at `endpoint`; a changed endpoint or key gets a new one.
    public func client(name: String, endpoint: String, publicKey: String?) throws -> BusClient {
        let key = "\(name)|\(endpoint)|\(publicKey ?? "")"
        if let existing = clients.withLock({ $0[key] }) { return existing }
        let created = try host.client(peer: name, settings: PeerSettings(endpoint: endpoint, publicKey: publicKey))
        return clients.withLock { clients in
            if let existing = clients[key] {
                created.close()
                return existing
            }
            clients[key] = created
            return created
        }
    }

    public func closeAll() {
        clients.withLock { clients in clients.values.forEach { $0.close() } }
    }
}
