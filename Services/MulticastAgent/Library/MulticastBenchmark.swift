import Clocks
public import ContentStore
import Foundation
public import Logging
public import Multicast

/// Ferry's multicast data plane on its own, for `deploy/bench/multicast.sh`: the agent's
/// `MulticastHub` sends a stored version, and hubs receive it, checking every chunk's hash
/// and storing it, as agents do. Elections and HTTP are left out so the time compares with
/// uftp and udpcast, which move a file the sender already has.
public enum MulticastBenchmark {
    /// What one side measured.
    public struct Result: Sendable {
        public var seconds: Double
        public var bytes: Int64
        public var chunks: Int
        /// Chunks heard whose hash did not match (kept: none).
        public var rejected: Int
    }

    /// Sends every chunk of the version at the fixed rate and waits for NORM's flush rounds;
    /// `sent` gets the numbers, then repairs are answered for `linger` seconds.
    public static func send(store: ChunkStore, versionID: String, settings: NormSettings, linger: Double, logger: Logger,
                            sent: (Result) -> Void) async throws {
        let manifest = try store.manifest(versionID)
        let hub = MulticastHub(settings: settings, store: store, logger: logger)
        defer { hub.close() }
        let channel = try hub.beginSending()
        // A benchmark measures elapsed real time: the monotonic clock, not service time.
        let started = ContinuousClock.now
        var bytes: Int64 = 0
        var bundler = ChunkBundler(targetBytes: settings.bundleBytes)
        func send(_ bundle: Data?) throws {
            guard let bundle else { return }
            guard channel.send(bundle, info: ChunkBundle.info) else { throw NormError("the NORM session closed while sending") }
        }
        for chunk in manifest.uniqueChunks {
            let data = try store.read(chunk.hash)
            try send(try bundler.add(hash: chunk.hash, data: data))
            bytes += Int64(data.count)
        }
        try send(try bundler.take())
        let flushed = channel.flush(timeout: Double(bytes) * 8 / settings.rateBitsPerSecond * 2 + 10)
        if !flushed { logger.warning("the flush rounds did not complete; receivers may still be repairing") }
        sent(Result(seconds: (ContinuousClock.now - started).timeInterval, bytes: bytes, chunks: manifest.uniqueChunks.count, rejected: 0))
        try await Task.sleep(for: .milliseconds(Int(linger * 1000)))
    }

    /// Keeps every chunk of the version heard on the session until all are stored, or
    /// throws after `timeout` seconds. The manifest must already be in `store`. `progress`,
    /// if given, gets the bytes kept and the chunks still missing about once a second.
    public static func receive(store: ChunkStore, versionID: String, settings: NormSettings, timeout: Double,
                               logger: Logger, progress: ((_ bytes: Int64, _ missingChunks: Int) -> Void)? = nil) async throws -> Result {
        let manifest = try store.manifest(versionID)
        let hashes = manifest.uniqueChunks.map(\.hash)
        let hub = MulticastHub(settings: settings, store: store, logger: logger)
        defer { hub.close() }
        try hub.want(versionID, chunks: hashes)
        var started: ContinuousClock.Instant?
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        // The hub counts what it stores; the store is scanned only to confirm the end.
        var lastReport = ContinuousClock.now
        while hub.pendingCount(versionID) > 0 || !store.missing(hashes).isEmpty {
            if started == nil, hub.bytesReceived(versionID) > 0 { started = ContinuousClock.now }
            if let progress, ContinuousClock.now - lastReport >= .seconds(1) {
                lastReport = ContinuousClock.now
                progress(hub.bytesReceived(versionID), hub.pendingCount(versionID))
            }
            if ContinuousClock.now > deadline {
                throw NormError("\(store.missing(hashes).count) of \(hashes.count) chunks still missing after \(Int(timeout)) s"
                                + " (\(hub.abandonedObjects) NORM objects abandoned)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let bytes = hub.release(versionID)
        return Result(seconds: started.map { (ContinuousClock.now - $0).timeInterval } ?? 0, bytes: bytes, chunks: hashes.count, rejected: hub.rejected)
    }
}
