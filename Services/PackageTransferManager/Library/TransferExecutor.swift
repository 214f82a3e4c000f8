import Bus
import Clocks
import ContentStore
import ContentTransfer
import Foundation
import HTTPTransfer
import Logging
import Messages

/// Carries out one attempt of one transfer job against a standard DP (SPEC T2).
///
/// Reads the manifest from the site library, asks the DP which chunks it lacks, pushes only
/// those (every chunk on a redistribution), pushes the manifest, and asks the DP to verify
/// the whole version. The library is read through ContentTransfer's fetchers, so every
/// chunk is checked against its hash before it is pushed.
struct TransferExecutor: Sendable {
    struct Outcome: Sendable {
        var bytesPushed: Int64
        var chunksPushed: Int
        var chunksSkipped: Int
    }

    let http: HTTPClient
    let clock: any ServiceClock
    let transfersPerJob: Int
    let distributionPointTimeout: Duration
    let logger: Logger
    let distributionPoint: @Sendable (DistributionPointAddress) throws -> BusClient
    /// The job's current transfer token (one DP, one version; renewed as it nears expiry).
    let token: @Sendable (TransferJob) async throws -> String
    let reportProgress: @Sendable (_ bytesDone: Int64) async -> Void

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

        let missing: [ChunkReference]
        if job.redistribute {
            missing = chunks
        } else {
            var lacking = Set<String>()
            for start in stride(from: 0, to: chunks.count, by: 4000) {
                let batch = chunks[start..<min(chunks.count, start + 4000)].map(\.hash)
                let reply = try await dp.request(MissingChunksQuery(hashes: batch), timeout: distributionPointTimeout)
                lacking.formUnion(reply.missing)
            }
            missing = chunks.filter { lacking.contains($0.hash) }
        }
        let missingBytes = missing.reduce(Int64(0)) { $0 + Int64($1.size) }
        let alreadyThere = manifest.totalSize - missingBytes
        log.info("DP lacks \(missing.count) of \(chunks.count) chunks", metadata: ["bytes": "\(missingBytes)", "redistribute": "\(job.redistribute)"])

        let push = DistributionPointPush(http: http, distributionPoint: job.distributionPoint) { try await authorization(job) }
        let fetcher = ChunkFetcher(requestsInFlight: transfersPerJob, clock: clock)
        let started = clock.now
        let report = try await fetcher.fetch(missing, of: job.versionID, versionChunks: chunks, from: [library], into: push,
                                             whenAChunkFails: .abandonSource) { progress in
            await reportProgress(min(manifest.totalSize, alreadyThere + progress.bytesFetched))
        }
        guard report.unfetched.isEmpty else { throw TransferFailure(report.failures.first ?? "the site library did not give every chunk") }
        let seconds = max(0.001, clock.now.timeIntervalSince(started))
        let bytesPushed = report.bytesFetched
        log.info("pushed \(missing.count) chunks", metadata: [
            "bytes": "\(bytesPushed)", "seconds": "\(String(format: "%.2f", seconds))",
            "mb-per-s": "\(String(format: "%.1f", Double(bytesPushed) / seconds / 1_000_000))"])

        try await push.pushManifest(verified)
        await reportProgress(manifest.totalSize)
        let verification = try await dp.request(VerifyVersion(contentName: job.contentName, versionID: job.versionID), timeout: verificationTimeout(bytes: manifest.totalSize))
        guard verification.complete else {
            throw TransferFailure("verification on \(job.distributionPoint.name) failed: \(verification.missing.count) chunks missing, \(verification.corrupt.count) corrupt")
        }
        log.info("verified on DP", metadata: ["outcome": "installed"])
        return Outcome(bytesPushed: bytesPushed, chunksPushed: missing.count, chunksSkipped: chunks.count - missing.count)
    }

    /// How long the DP may take to hash the whole version: its bus timeout plus 30 s, plus a
    /// second per 20 MB, at most 30 minutes. A DP that restarts mid-verification never
    /// answers; a wait sized to the version lets the attempt fail and be retried (it pushes
    /// nothing again) instead of hanging for the full 30 minutes (found by the chaos run).
    func verificationTimeout(bytes: Int64) -> Duration {
        let base = Double(distributionPointTimeout.components.seconds) + 30
        return .milliseconds(Int(min(1800, base + Double(bytes) / 20_000_000) * 1000))
    }

    private func authorization(_ job: TransferJob) async throws -> HTTPRequestOptions {
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
