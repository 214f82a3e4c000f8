import Bus
import ContentStore
import ContentTransfer
import Delta
import Foundation
import HTTPTransfer
import Logging
import Messages

/// Carries out one attempt of one transfer job against a standard DP (SPEC T2, T3).
///
/// Reads the manifest from the site library, asks the DP which chunks it lacks, and moves
/// only those (every chunk on a redistribution) in blocks: one library request and one DP
/// request per block, the next block read while the current one is sent. Every chunk is
/// checked against its hash before it is pushed; the DP checks it again. Blocks go through
/// the DP's throttle (its rate limit, shared with the DP's other transfers), and before each
/// block the job's control is asked whether to stop (window closed, preempted, cancelled).
/// Then the manifest, and the DP verifies the whole version.
///
/// With a differential base (the version the DP has installed, SPEC C3) each block's
/// chunks go as zstd deltas against base chunks the planner picks where that pays, the
/// rest whole; a delta the DP cannot rebuild is sent again whole, and the manifest goes as
/// a delta against the base manifest, whole if the DP refuses it.
struct TransferExecutor: Sendable {
    struct Outcome: Sendable {
        var bytesPushed: Int64
        var chunksPushed: Int
        var chunksSkipped: Int
    }

    /// How a running attempt goes, for the worker's status lines.
    struct Progress: Sendable {
        var bytesDone: Int64
        var bytesTotal: Int64
        /// Bytes sent in this attempt and the seconds it has run.
        var bytesSent: Int64
        var seconds: Double
    }

    let http: HTTPClient
    let distributionPointTimeout: Duration
    let logger: Logger
    let distributionPoint: @Sendable (DistributionPointAddress) throws -> BusClient
    /// The job's current transfer token (one DP, one version; renewed as it nears expiry).
    let token: @Sendable (TransferJob) async throws -> String
    /// A token for another version at the job's DP: the differential base, read from the
    /// library for its manifest and reference chunks.
    let baseToken: @Sendable (TransferJob, String) async throws -> String
    let throttle: DistributionPointThrottle
    let control: JobControl
    let reportProgress: @Sendable (Progress) async -> Void

    func execute(_ job: TransferJob) async throws -> Outcome {
        let log = logger.job(job)
        let library = HTTPContentSource.siteLibrary(baseURL: job.libraryURL, http: http) { try await token(job) }
        let verified: VerifiedManifest
        do {
            verified = try await ManifestFetcher().fetch(job.versionID, from: library)
        } catch {
            throw TransferFailure("\(error)")
        }
        let manifest = verified.manifest
        let chunks = manifest.uniqueChunks
        let dp = try distributionPoint(job.distributionPoint)

        let differential = await differentialEncoder(job, target: manifest, log: log)
        // The DP verified its installed version's chunks: with a differential base only the
        // others are asked about (for a 400 MB version the full question is itself 0.4 MB).
        // Should one have gone since, the manifest push or the verification says so, and
        // `recover` sends what is missing whole.
        let assumedHeld = Set(differential?.manifest.manifest.uniqueChunks.map(\.hash) ?? [])
        let missing: [ChunkReference]
        if job.redistribute {
            missing = chunks
        } else {
            missing = try await lacking(chunks.filter { !assumedHeld.contains($0.hash) }, at: dp)
        }
        let missingBytes = missing.reduce(Int64(0)) { $0 + Int64($1.size) }
        let alreadyThere = manifest.totalSize - missingBytes
        log.info("DP lacks \(missing.count) of \(chunks.count) chunks", metadata: ["bytes": "\(missingBytes)", "redistribute": "\(job.redistribute)"])

        let blocks = Self.blocks(of: missing, bytes: await throttle.blockBytes, maximumChunks: ChunkBatch.maximumRequestHashes)
        let started = ContinuousClock.now
        var sent: Int64 = 0
        // What the DP now holds of the blocks sent (deltas rebuild to whole chunks there).
        var moved: Int64 = 0
        var deltaChunks = 0
        var next: Task<PreparedBlock, any Error>? = blocks.first.map { first in
            Task { try await prepare(first, job: job, differential: differential) }
        }
        defer { next?.cancel() }
        for index in blocks.indices {
            try control.checkpoint()
            guard let current = next else { break }
            let block = try await current.value
            next = index + 1 < blocks.count ? Task { [blocks] in try await prepare(blocks[index + 1], job: job, differential: differential) } : nil
            try control.checkpoint()
            // Fallbacks (deltas the DP could not rebuild, sent whole) count after the block.
            let extra = try await throttle.send(bytes: block.wireBytes, ready: { try control.checkpoint() }) { try await send(block, job: job) }
            let bytes = block.wireBytes + extra
            deltaChunks += block.deltas.count
            sent += Int64(bytes)
            moved += Int64(block.chunks.reduce(0) { $0 + $1.data.count })
            await reportProgress(Progress(bytesDone: min(manifest.totalSize, alreadyThere + moved), bytesTotal: manifest.totalSize,
                                          bytesSent: sent, seconds: started.duration(to: .now).timeInterval))
        }
        let seconds = max(0.001, started.duration(to: .now).timeInterval)
        log.info("pushed \(missing.count) chunks in \(blocks.count) blocks", metadata: [
            "bytes": "\(sent)", "as-deltas": "\(deltaChunks)", "seconds": "\(String(format: "%.2f", seconds))",
            "mb-per-s": "\(String(format: "%.1f", Double(sent) / seconds / 1_000_000))"])

        try control.checkpoint()
        do {
            try await pushManifest(verified, job: job, base: differential)
        } catch let failure as TransferFailure where !assumedHeld.isEmpty {
            log.warning("the DP refused the manifest; asking about every chunk", metadata: ["reason": "\(failure)"])
            sent += try await recover(try await lacking(chunks, at: dp), job: job)
            try await pushManifest(verified, job: job, base: nil)
        }
        var verification = try await dp.request(VerifyVersion(contentName: job.contentName, versionID: job.versionID),
                                                timeout: verificationTimeout(bytes: manifest.totalSize))
        if !verification.complete, !assumedHeld.isEmpty {
            // The DP removed what was corrupt: send what it lists whole, once, and look again.
            let bad = Set(verification.missing + verification.corrupt)
            log.warning("verification found chunks missing or corrupt; sending them whole", metadata: ["chunks": "\(bad.count)"])
            sent += try await recover(chunks.filter { bad.contains($0.hash) }, job: job)
            try await pushManifest(verified, job: job, base: nil)
            verification = try await dp.request(VerifyVersion(contentName: job.contentName, versionID: job.versionID),
                                                timeout: verificationTimeout(bytes: manifest.totalSize))
        }
        guard verification.complete else {
            throw TransferFailure("verification on \(job.distributionPoint.name) failed: \(verification.missing.count) chunks missing, \(verification.corrupt.count) corrupt")
        }
        log.info("verified on DP", metadata: ["outcome": "installed"])
        return Outcome(bytesPushed: sent, chunksPushed: missing.count, chunksSkipped: chunks.count - missing.count)
    }

    /// The chunks of `chunks` the DP says it lacks.
    private func lacking(_ chunks: [ChunkReference], at dp: BusClient) async throws -> [ChunkReference] {
        var lacking = Set<String>()
        for start in stride(from: 0, to: chunks.count, by: 4000) {
            let batch = chunks[start..<min(chunks.count, start + 4000)].map(\.hash)
            let reply = try await dp.request(MissingChunksQuery(hashes: batch), timeout: distributionPointTimeout)
            lacking.formUnion(reply.missing)
        }
        return chunks.filter { lacking.contains($0.hash) }
    }

    /// Sends `chunks` whole, through the DP's throttle; the bytes sent.
    private func recover(_ chunks: [ChunkReference], job: TransferJob) async throws -> Int64 {
        var sent: Int64 = 0
        for block in Self.blocks(of: chunks, bytes: await throttle.blockBytes, maximumChunks: ChunkBatch.maximumRequestHashes) {
            try control.checkpoint()
            let fetched = try await fetch(block, job: job)
            let bytes = fetched.reduce(0) { $0 + $1.data.count }
            try await throttle.send(bytes: bytes, ready: { try control.checkpoint() }) { try await push(fetched, job: job) }
            sent += Int64(bytes)
        }
        return sent
    }

    /// Consecutive runs of whole chunks of at most `bytes` each (a larger chunk alone).
    static func blocks(of chunks: [ChunkReference], bytes: Int, maximumChunks: Int) -> [[ChunkReference]] {
        var blocks: [[ChunkReference]] = []
        var current: [ChunkReference] = []
        var size = 0
        for chunk in chunks {
            if !current.isEmpty, size + chunk.size > bytes || current.count >= maximumChunks {
                blocks.append(current)
                current = []
                size = 0
            }
            current.append(chunk)
            size += chunk.size
        }
        if !current.isEmpty { blocks.append(current) }
        return blocks
    }

    /// One block from the site library, every chunk checked against its hash.
    func fetch(_ block: [ChunkReference], job: TransferJob) async throws -> [VerifiedBytes] {
        let received = try await readLibrary(block.map(\.hash), job: job, token: try await token(job))
        return try block.map { chunk in
            guard let data = received[chunk.hash] else { throw TransferFailure("the site library lacks chunk \(chunk.hash)") }
            do {
                return try VerifiedBytes(data: data, hash: chunk.hash)
            } catch {
                throw TransferFailure("the site library gave a corrupt chunk \(chunk.hash.prefix(12)): \(error)")
            }
        }
    }

    /// Chunks by hash from the site library with `token` (the chunks of its version only),
    /// as received: the caller checks them. Chunks the library lacks are left out.
    func readLibrary(_ hashes: [String], job: TransferJob, token: String) async throws -> [String: Data] {
        let response: HTTPResponse
        do {
            response = try await http.post(job.libraryURL + DataPlanePath.libraryChunkBatch.path(), body: ChunkBatch.request(hashes: hashes),
                                           options: HTTPRequestOptions(headers: ["Authorization": "Bearer \(token)"], timeoutSeconds: 120))
        } catch {
            throw TransferFailure("the site library did not answer: \(error)")
        }
        guard response.isSuccess else {
            throw TransferFailure("the site library refused a block: HTTP \(response.status) \(ResponseText.text(response.body))")
        }
        var reader = ChunkBatch.Reader(maximumChunkSize: Int(UInt32.max))
        reader.append(response.body)
        var received: [String: Data] = [:]
        while let (hash, data) = try reader.next() { received[hash] = data }
        return received
    }

    func push(_ block: [VerifiedBytes], job: TransferJob) async throws {
        var body = Data()
        body.reserveCapacity(block.reduce(0) { $0 + $1.data.count + ChunkBatch.headerSize })
        for chunk in block { ChunkBatch.append(hash: chunk.hash, data: chunk.data, to: &body) }
        let response = try await http.post(job.distributionPoint.httpURL + DataPlanePath.storedChunkBatch.path(), body: body,
                                           options: try await authorization(job))
        guard response.isSuccess else {
            throw TransferFailure("DP \(job.distributionPoint.name) refused a block of \(block.count) chunks: HTTP \(response.status) \(ResponseText.text(response.body))")
        }
    }

    /// Pushes the manifest (after its chunks: the DP refuses one naming chunks it lacks), as a
    /// delta against the base manifest when there is one; whole when the DP cannot rebuild it.
    private func pushManifest(_ manifest: VerifiedManifest, job: TransferJob, base: Differential?) async throws {
        let url = job.distributionPoint.httpURL + DataPlanePath.storedManifest.path(version: manifest.versionID)
        if let base, let delta = try? ChunkDelta.encode(manifest.data, reference: base.manifest.data, level: 9), delta.count < manifest.data.count {
            var options = try await authorization(job)
            options.headers[ManifestDelta.baseHeader] = base.manifest.versionID
            options.headers[ManifestDelta.sizeHeader] = "\(manifest.data.count)"
            let response = try await http.put(url, body: delta, options: options)
            if response.isSuccess { return }
            guard response.status == 409 else {
                throw TransferFailure("DP \(job.distributionPoint.name) refused the manifest: HTTP \(response.status) \(ResponseText.text(response.body))")
            }
            logger.job(job).warning("the DP could not rebuild the manifest delta; sending it whole", metadata: ["reason": "\(ResponseText.text(response.body))"])
        }
        let response = try await http.put(url, body: manifest.data, options: try await authorization(job))
        guard response.isSuccess else {
            throw TransferFailure("DP \(job.distributionPoint.name) refused the manifest: HTTP \(response.status) \(ResponseText.text(response.body))")
        }
    }

    /// How long the DP may take to hash the whole version: its bus timeout plus 30 s, plus a
    /// second per 20 MB, at most 30 minutes. A DP that restarts mid-verification never
    /// answers; a wait sized to the version lets the attempt fail and be retried (it pushes
    /// nothing again) instead of hanging for the full 30 minutes (found by the chaos run).
    func verificationTimeout(bytes: Int64) -> Duration {
        Self.verificationTimeout(bytes: bytes, requestTimeout: distributionPointTimeout)
    }

    /// The same wait for any request that has a DP hash a version (validations too).
    static func verificationTimeout(bytes: Int64, requestTimeout: Duration) -> Duration {
        let base = Double(requestTimeout.components.seconds) + 30
        return .milliseconds(Int(min(1800, base + Double(bytes) / 20_000_000) * 1000))
    }

    func authorization(_ job: TransferJob) async throws -> HTTPRequestOptions {
        HTTPRequestOptions(headers: ["Authorization": "Bearer \(try await token(job))"], timeoutSeconds: 120)
    }
}

/// Why an attempt failed, in words for the log and `ferry status`.
struct TransferFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Logger {
    /// A logger whose lines carry the job, content, version and DP, as pkgxfermgr.log should.
    func job(_ job: TransferJob) -> Logger {
        var logger = self
        logger[metadataKey: "job"] = "\(job.jobID.uuidString.prefix(8))"
        logger[metadataKey: "content"] = "\(job.contentName)"
        logger[metadataKey: "version"] = "\(job.version)"
        logger[metadataKey: "dp"] = "\(job.distributionPoint.name)"
        return logger
    }
}
