import ContentStore
import Foundation
import Logging
import Multicast

/// The agent's one NORM session in its subnet: it keeps every chunk it hears that a
/// version it waits for needs, after checking the chunk's hash, and it sends chunks when
/// the agent represents a version.
///
/// A forged or corrupt chunk fails the hash check and is dropped (counted in `rejected`).
final class MulticastHub: @unchecked Sendable {
    let settings: NormSettings
    let store: ChunkStore
    let logger: Logger
    private let lock = NSLock()
    private var channel: NormChannel?
    /// Chunk hash → the versions waiting for it.
    private var wanted: [String: Set<String>] = [:]
    private var received: [String: Int64] = [:]
    /// Version → wanted chunks not kept yet.
    private var pending: [String: Int] = [:]
    private var senders = 0
    private(set) var rejected = 0

    init(settings: NormSettings, store: ChunkStore, logger: Logger) {
        self.settings = settings
        self.store = store
        self.logger = logger
    }

    /// Opens the NORM session on first use.
    func open() throws -> NormChannel {
        lock.lock()
        defer { lock.unlock() }
        if let channel { return channel }
        guard let interface = IPv4.interfaceName(for: settings.interfaceAddress) else {
            throw NormError("no interface has the agent's address \(settings.interfaceAddress)")
        }
        let opened = try NormChannel(settings: settings, interfaceName: interface) { [weak self] info, data, sender in
            self?.heard(info: info, data: data, from: sender)
        }
        channel = opened
        logger.info("joined the subnet's multicast session", metadata: ["group": "\(settings.group):\(settings.port)", "interface": "\(interface)"])
        return opened
    }

    /// Starts keeping the version's chunks that are heard from now on.
    func want(_ version: String, chunks: [String]) throws {
        _ = try open()
        lock.withLock {
            for hash in Set(chunks) where !store.contains(hash) {
                if wanted[hash, default: []].insert(version).inserted { pending[version, default: 0] += 1 }
            }
        }
    }

    /// Stops keeping the version's chunks; returns the bytes kept for it.
    @discardableResult
    func release(_ version: String) -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        for (hash, versions) in wanted where versions.contains(version) {
            let rest = versions.subtracting([version])
            wanted[hash] = rest.isEmpty ? nil : rest
        }
        pending[version] = nil
        return received.removeValue(forKey: version) ?? 0
    }

    /// How many of the version's wanted chunks have not been heard (and kept) yet.
    func pendingCount(_ version: String) -> Int {
        lock.withLock { pending[version] ?? 0 }
    }

    /// NORM objects (bundles) the session gave up on; their chunks come from peers instead.
    var abandonedObjects: Int {
        lock.withLock { channel }?.abandonedObjects ?? 0
    }

    func bytesReceived(_ version: String) -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        return received[version] ?? 0
    }

    /// One NORM object heard: a bundle of chunks. Each wanted chunk is verified and kept
    /// on its own, so one forged chunk costs only itself.
    private func heard(info: String, data: Data, from sender: String) {
        guard info == ChunkBundle.info else {
            logger.debug("ignored a multicast object that is not a chunk bundle", metadata: ["sender": "\(sender)"])
            return
        }
        let entries: [ChunkBundle.Entry]
        do {
            entries = try ChunkBundle.decode(data)
        } catch {
            lock.withLock { rejected += 1 }
            logger.warning("dropped a malformed multicast bundle", metadata: ["sender": "\(sender)", "error": "\(error)"])
            return
        }
        for entry in entries {
            keep(hash: entry.hash, data: data[entry.range], from: sender)
        }
    }

    private func keep(hash: String, data: Data, from sender: String) {
        let versions = lock.withLock { wanted[hash] }
        guard let versions, !store.contains(hash) else { return }
        do {
            try store.write(data, expectedHash: hash)
        } catch {
            lock.withLock { rejected += 1 }
            logger.warning("dropped a multicast chunk that does not match its hash", metadata: ["chunk": "\(hash.prefix(12))", "sender": "\(sender)"])
            return
        }
        lock.withLock {
            for version in versions {
                received[version, default: 0] += Int64(data.count)
                pending[version, default: 1] -= 1
            }
            wanted[hash] = nil
        }
    }

    // MARK: Sending

    func beginSending() throws -> NormChannel {
        let channel = try open()
        try channel.startSending()
        lock.lock()
        senders += 1
        lock.unlock()
        return channel
    }

    /// Ends one sending session; NORM keeps answering repair requests for `linger` seconds.
    func endSending(linger: Double) {
        Task {
            try? await Task.sleep(for: .milliseconds(Int(linger * 1000)))
            let (idle, channel) = self.lock.withLock {
                self.senders -= 1
                return (self.senders == 0, self.channel)
            }
            if idle { channel?.stopSending() }
        }
    }

    func close() {
        lock.lock()
        let channel = self.channel
        self.channel = nil
        lock.unlock()
        channel?.close()
    }
}
