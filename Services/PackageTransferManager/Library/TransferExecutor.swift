import Bus
import ContentStore
import Foundation
import HTTPTransfer
import Logging
import Messages

/// Carries out one attempt of one transfer job against a standard DP (SPEC T2).
///
/// Reads the manifest from the site library, asks the DP which chunks it lacks, pushes only
/// those (every chunk on a redistribution), pushes the manifest, and asks the DP to verify
/// the whole version. Chunks are checked against their hash before they are pushed.
struct TransferExecutor: Sendable {
    struct Outcome: Sendable {
        var bytesPushed: Int64
        var chunksPushed: Int
        var chunksSkipped: Int
    }

    let http: HTTPClient
    let transfersPerJob: Int
    let distributionPointTimeout: Duration
    let logger: Logger
    let distributionPoint: @Sendable (DistributionPointAddress) throws -> BusClient
    /// The job's current transfer token (one DP, one version; renewed as it nears expiry).
    let token: @Sendable (TransferJob) async throws -> String
    let reportProgress: @Sendable (_ bytesDone: Int64) async -> Void

    func execute(_ job: TransferJob) async throws -> Outcome {
        let log = logger.job(job)
        let manifestData = try await fetch("\(job.libraryURL)/library/manifests/\(job.versionID)", options: try await authorization(job),
                                           what: "manifest")
        guard ContentHash.sha256Hex(manifestData) == job.versionID else {
            throw TransferFailure("the site library's manifest does not match version \(job.versionID)")
        }
        let manifest = try Manifest.decode(manifestData)
        let chunks = manifest.uniqueChunks
        let dp = try distributionPoint(job.distributionPoint)

        let missing: [ChunkReference]
        if job.redistribute {
            missing = chunks
        } else {
            var lacking = Set<String>()
            for start in stride(from: 0, to: chunks.count, by: 4000) {
                let batch = chunks[start..<min(chunks.count, start + 4000)].map(\.hash)
                let reply = try await dp.request(MissingChunksQuery(hashes: batch), expecting: MissingChunksReply.self, timeout: distributionPointTimeout)
                lacking.formUnion(reply.missing)
            }
            missing = chunks.filter { lacking.contains($0.hash) }
        }
        let missingBytes = missing.reduce(Int64(0)) { $0 + Int64($1.size) }
        let alreadyThere = manifest.totalSize - missingBytes
        log.info("DP lacks \(missing.count) of \(chunks.count) chunks", metadata: ["bytes": "\(missingBytes)", "redistribute": "\(job.redistribute)"])

        let pushed = PushCounter()
        let started = Date()
        try await withThrowingTaskGroup(of: Int64.self) { group in
            var iterator = missing.makeIterator()
            var lastReport = Date.distantPast
            func addNext() -> Bool {
                guard let chunk = iterator.next() else { return false }
                group.addTask { try await push(chunk, job: job, options: try await authorization(job)) }
                return true
            }
            for _ in 0..<max(1, transfersPerJob) where !addNext() { break }
            while let bytes = try await group.next() {
                let total = pushed.add(bytes)
                if Date().timeIntervalSince(lastReport) >= 0.5 {
                    lastReport = Date()
                    await reportProgress(min(manifest.totalSize, alreadyThere + total))
                }
                _ = addNext()
            }
        }
        let seconds = max(0.001, Date().timeIntervalSince(started))
        let bytesPushed = pushed.value
        log.info("pushed \(missing.count) chunks", metadata: [
            "bytes": "\(bytesPushed)", "seconds": "\(String(format: "%.2f", seconds))",
            "mb-per-s": "\(String(format: "%.1f", Double(bytesPushed) / seconds / 1_000_000))"])

        let manifestPush = try await http.put("\(job.distributionPoint.httpURL)/manifests/\(job.versionID)", body: manifestData,
                                            options: try await authorization(job))
        guard manifestPush.isSuccess else {
            throw TransferFailure("DP \(job.distributionPoint.name) refused the manifest: HTTP \(manifestPush.status) \(Self.text(manifestPush.body))")
        }
        await reportProgress(manifest.totalSize)
        let verification = try await dp.request(VerifyVersion(contentName: job.contentName, versionID: job.versionID),
                                                expecting: VerifyVersionReply.self, timeout: verificationTimeout(bytes: manifest.totalSize))
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

    private func push(_ chunk: ChunkReference, job: TransferJob, options: HTTPRequestOptions) async throws -> Int64 {
        let data = try await fetch("\(job.libraryURL)/library/chunks/\(chunk.hash)", options: options, what: "chunk \(chunk.hash)")
        guard ContentHash.sha256Hex(data) == chunk.hash else {
            throw TransferFailure("the site library's chunk \(chunk.hash) is corrupt")
        }
        let response = try await http.put("\(job.distributionPoint.httpURL)/chunks/\(chunk.hash)", body: data, options: options)
        guard response.isSuccess else {
            throw TransferFailure("DP \(job.distributionPoint.name) refused chunk \(chunk.hash): HTTP \(response.status) \(Self.text(response.body))")
        }
        return Int64(data.count)
    }

    private func fetch(_ url: String, options: HTTPRequestOptions, what: String) async throws -> Data {
        let response = try await http.get(url, options: options)
        guard response.status == 200 else {
            throw TransferFailure("the site library answered HTTP \(response.status) for \(what): \(Self.text(response.body))")
        }
        return response.body
    }

    static func text(_ body: Data) -> String {
        String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Why an attempt failed, in words for the log and `ferry status`.
struct TransferFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

final class PushCounter: Sendable {
    private let total = Mutex(Int64(0))
    func add(_ bytes: Int64) -> Int64 { total.withLock { $0 += bytes; return $0 } }
    var value: Int64 { total.withLock { $0 } }
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
