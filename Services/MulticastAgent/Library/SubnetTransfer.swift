import Clocks
import ContentStore
import ContentTransfer
import Foundation
import HTTPTransfer
import Logging
import Messages
import Multicast

/// Brings one version into the agent's store through its subnet: as the representative
/// (from peers, else the DP, then multicast), or as a member (multicast, then peers, and
/// the DP only for what no peer has). SPEC S2–S4, M6.
struct SubnetTransfer: Sendable {
    struct Outcome: Sendable {
        var manifest: Manifest
        var representative = false
        var fromMulticast: Int64 = 0
        var fromPeers: Int64 = 0
        var fromDistributionPoint: Int64 = 0
        /// The DP it used, if any.
        var distributionPoint: String?
    }

    let coordinator: SubnetCoordinator
    /// Nil when multicast cannot run here (no NORM session); peers still work.
    let hub: MulticastHub?
    let downloader: ContentDownloader
    let settings: SubnetSettings
    let logger: Logger

    var store: ChunkStore { downloader.store }
    var clock: any ServiceClock { downloader.clock }

    typealias Progress = @Sendable (_ done: Int64, _ total: Int64, _ source: String) async -> Void

    func obtain(versionID: String, points: [LocatedDistributionPoint], token: String, multicast: Bool, startDelay: Double,
                progress: @escaping Progress) async throws -> Outcome {
        let tally = ByteTally()
        var representative = false
        func outcome(_ manifest: Manifest) -> Outcome {
            Outcome(manifest: manifest, representative: representative, fromMulticast: hub?.release(versionID) ?? 0,
                    fromPeers: tally.bytes(from: .peer), fromDistributionPoint: tally.bytes(from: .distributionPoint),
                    distributionPoint: tally.largest(of: .distributionPoint)?.name)
        }
        var role = await coordinator.elect(versionID, multicast: multicast && hub != nil, startDelay: startDelay)
        while true {
            try Task.checkCancellation()
            switch role {
            case .representative:
                representative = true
                if let manifest = try await lead(versionID, points: points, token: token, multicast: multicast && hub != nil,
                                                 tally: tally, progress: progress) {
                    return outcome(manifest)
                }
                // Stepped down: a representative with a lower address exists.
                representative = false
                role = await coordinator.elect(versionID, multicast: multicast && hub != nil, startDelay: startDelay)
            case .member(let session):
                if let manifest = try await follow(versionID, session: session, points: points, token: token, tally: tally, progress: progress) {
                    return outcome(manifest)
                }
                // The representative went silent: the members elect another, which starts at once.
                logger.warning("the subnet's representative went silent; electing another", metadata: ["version": "\(versionID.prefix(12))", "was": "\(session.address)"])
                role = await coordinator.elect(versionID, multicast: multicast && hub != nil, startDelay: min(startDelay, 0.5))
            }
        }
    }

    // MARK: Representative

    private func lead(_ version: String, points: [LocatedDistributionPoint], token: String, multicast: Bool,
                      tally: ByteTally, progress: @escaping Progress) async throws -> Manifest? {
        let manifest: Manifest
        do {
            manifest = try await obtainManifest(version, firstFrom: nil, points: points, token: token)
        } catch {
            coordinator.resign(version)
            throw error
        }
        let chunks = manifest.uniqueChunks
        let total = chunks.reduce(Int64(0)) { $0 + Int64($1.size) }
        let finished = Flag()
        let fetch = Task {
            defer { finished.set() }
            try await fetchMissing(version, chunks: chunks, preferred: nil, points: points, token: token, allowDistributionPoint: true,
                                   tally: tally, total: total, progress: progress)
        }
        defer { fetch.cancel() }
        if multicast, let hub {
            while let mine = coordinator.leadingState(version), mine.startsAt > clock.now, !mine.steppedDown {
                try await Task.sleep(for: .milliseconds(100))
            }
            if coordinator.leadingState(version)?.steppedDown ?? true {
                coordinator.resign(version)
                return nil
            }
            coordinator.update(version, state: .sending)
            let channel = try hub.beginSending()
            defer { hub.endSending(linger: settings.linger) }
            var stalled = false
            var bundler = ChunkBundler(targetBytes: hub.settings.bundleBytes)
            logger.info("multicasting", metadata: ["version": "\(version.prefix(12))", "chunks": "\(chunks.count)", "bytes": "\(total)"])
            // NORM took nothing for 30 s: end the session so members turn to peers (and the
            // DP) instead of waiting on a stalled multicast.
            func send(_ bundle: Data?) -> Bool {
                guard let bundle else { return true }
                if channel.send(bundle, info: ChunkBundle.info, timeout: 30) { return true }
                logger.warning("multicast stalled; ending the session, members fetch the rest from peers",
                               metadata: ["version": "\(version.prefix(12))"])
                stalled = true
                return false
            }
            sending: for chunk in chunks {
                // Chunks go out as soon as they are here: the subnet is done soon after the
                // WAN download. A part-filled bundle goes out when the download lags.
                var waited = 0
                while !store.contains(chunk.hash) {
                    if finished.isSet {
                        try await fetch.value
                        throw ContentTransferError.notStored(chunk: chunk.hash, reason: "the download ended without it")
                    }
                    try await Task.sleep(for: .milliseconds(20))
                    waited += 1
                    if waited == 25 /* 0.5 s */, !send(try bundler.take()) { break sending }
                    if coordinator.leadingState(version)?.steppedDown ?? true { break }
                }
                if coordinator.leadingState(version)?.steppedDown ?? true {
                    coordinator.resign(version)
                    return nil
                }
                guard send(try bundler.add(hash: chunk.hash, data: try store.read(chunk.hash))) else { break }
            }
            if !stalled, send(try bundler.take()) {
                // What is queued drains at the rate; then receivers get 30 s to acknowledge.
                // Members fetch what they still miss from peers once the session is done, so
                // a receiver that died must not hold the others for longer.
                let seconds = Double(hub.settings.sendBufferBytes) * 8 / settings.rateBitsPerSecond + 30
                _ = channel.flush(timeout: seconds)
            }
        }
        do {
            try await fetch.value
        } catch {
            coordinator.resign(version)
            throw error
        }
        coordinator.update(version, state: .done)
        logger.info("representative done", metadata: ["version": "\(version.prefix(12))"])
        return manifest
    }

    // MARK: Member

    /// Returns nil when the representative went silent before this agent had everything.
    private func follow(_ version: String, session: SubnetMessage, points: [LocatedDistributionPoint], token: String,
                        tally: ByteTally, progress: @escaping Progress) async throws -> Manifest? {
        let manifest = try await obtainManifest(version, firstFrom: session.httpURL, points: points, token: token)
        let chunks = manifest.uniqueChunks
        let total = chunks.reduce(Int64(0)) { $0 + Int64($1.size) }
        let hashes = chunks.map(\.hash)
        let present = total - store.missingBytes(of: chunks)
        if session.multicast == true, let hub { try hub.want(version, chunks: hashes) }
        var throttle = ProgressThrottle(clock: clock)
        while true {
            guard let current = coordinator.session(version) else {
                return store.missing(hashes).isEmpty ? manifest : nil
            }
            if current.multicast == true, current.state != .done, let hub, hub.pendingCount(version) > 0 {
                // Still arriving by multicast: the hub counts what it keeps, so the store
                // (one file per chunk) is not scanned every round.
                if throttle.isDue() {
                    await progress(present + hub.bytesReceived(version), total, "multicast from \(current.node)")
                }
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            if store.missing(hashes).isEmpty { return manifest }
            if current.multicast != true || current.state == .done {
                // The representative's cache first: it has (or is getting) everything.
                try await fetchMissing(version, chunks: chunks, preferred: current, points: points, token: token,
                                       allowDistributionPoint: current.state == .done, tally: tally, total: total, progress: progress)
            }
            if throttle.isDue() {
                let have = total - store.missingBytes(of: chunks)
                await progress(have, total, current.multicast == true && current.state != .done ? "multicast from \(current.node)" : "peers")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    // MARK: Sources

    /// The manifest from the store, a peer, or a DP; always checked against the version id.
    private func obtainManifest(_ version: String, firstFrom peerURL: String?, points: [LocatedDistributionPoint], token: String) async throws -> Manifest {
        if store.hasManifest(version) { return try store.manifest(version) }
        let peerURLs = await peerURLs(holding: version, first: peerURL)
        return try await downloader.manifests.manifest(version, store: store, sources: downloader.peers(peerURLs, token: token)
                                                            + downloader.distributionPoints(points, token: token))
    }

    /// Fetches every missing chunk it can: from the preferred peer, other peers, then (if
    /// allowed) the DPs in order. A peer that fails a chunk is not trusted less: the chunk is
    /// asked of the next source. A DP that fails one is left for the next DP.
    private func fetchMissing(_ version: String, chunks: [ChunkReference], preferred: SubnetMessage?, points: [LocatedDistributionPoint],
                              token: String, allowDistributionPoint: Bool, tally: ByteTally, total: Int64, progress: Progress) async throws {
        let missing = chunks.filter { !store.contains($0.hash) }
        guard !missing.isEmpty else { return }
        let peerURLs = await peerURLs(holding: version, first: preferred?.httpURL)
        let present = total - missing.reduce(Int64(0)) { $0 + Int64($1.size) }
        let fetcher = downloader.fetcher
        let fromPeers = try await fetcher.fetch(missing, of: version, versionChunks: chunks, from: downloader.peers(peerURLs, token: token),
                                                into: store, whenAChunkFails: .skipChunk, tally: tally) { step in
            await progress(present + step.bytesFetched, total, "peers")
        }
        guard allowDistributionPoint, !fromPeers.unfetched.isEmpty else { return }
        let fromPoints = try await fetcher.fetch(fromPeers.unfetched, of: version, versionChunks: chunks,
                                                 from: downloader.distributionPoints(points, token: token), into: store,
                                                 whenAChunkFails: .abandonSource, tally: tally) { step in
            await progress(present + fromPeers.bytesFetched + step.bytesFetched, total, step.source.name)
        }
        try fromPoints.requireComplete("every chunk of version \(version.prefix(12)) from the DPs")
    }

    /// The caches of the subnet's peers that hold the version, `first` (the representative's) first.
    private func peerURLs(holding version: String, first: String?) async -> [String] {
        var urls: [String] = first.map { [$0] } ?? []
        for peer in await coordinator.peers(holding: version) {
            if let url = peer.httpURL, !urls.contains(url) { urls.append(url) }
        }
        return urls
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
