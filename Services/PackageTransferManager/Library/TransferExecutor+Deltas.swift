import ContentStore
import ContentTransfer
import Delta
import Foundation
import HTTPTransfer
import Logging
import Messages

extension TransferExecutor {
    /// The differential base of a job, read once: its manifest and the encoder planned
    /// from it against the version being sent.
    struct Differential: Sendable {
        let manifest: VerifiedManifest
        let encoder: DeltaBlockEncoder
        /// For chunks whose own place in the old file holds nothing like them.
        let resemblance: BaseResemblance
    }

    /// One block as it goes to the DP: every chunk (for a fallback), the deltas and the
    /// chunks sent whole.
    struct PreparedBlock: Sendable {
        var chunks: [VerifiedBytes]
        var deltas: [DeltaBatch.Frame]
        var whole: [VerifiedBytes]
        var wireBytes: Int
    }

    /// The job's base read from the library, or nil (whole chunks) without one, on a
    /// redistribution, or when the base cannot be read (said in the log: the transfer goes on).
    func differentialEncoder(_ job: TransferJob, target: Manifest, log: Logger) async -> Differential? {
        guard let base = job.differentialBase, base != job.versionID, !job.redistribute else { return nil }
        let library = HTTPContentSource.siteLibrary(baseURL: job.libraryURL, http: http) { try await baseToken(job, base) }
        do {
            let manifest = try await ManifestFetcher().fetch(base, from: library)
            log.info("sending what the DP lacks as deltas against the version it holds", metadata: ["base": "\(base.prefix(12))"])
            let resemblance = BaseResemblance { hashes in try await readLibrary(hashes, job: job, token: try await baseToken(job, base)) }
            return Differential(manifest: manifest, encoder: DeltaBlockEncoder(planner: DeltaReferencePlanner(base: manifest.manifest, target: target)),
                                resemblance: resemblance)
        } catch {
            log.warning("cannot read the differential base; sending whole chunks", metadata: ["base": "\(base.prefix(12))", "error": "\(error)"])
            return nil
        }
    }

    /// Reads a block from the library and, with a differential base, its reference chunks,
    /// then encodes it: against the old chunks at each chunk's place first, then, for those
    /// that gave nothing good, against the old chunks most like them in the same file.
    func prepare(_ block: [ChunkReference], job: TransferJob, differential: Differential?) async throws -> PreparedBlock {
        let chunks = try await fetch(block, job: job)
        guard let differential, let base = job.differentialBase else {
            return PreparedBlock(chunks: chunks, deltas: [], whole: chunks, wireBytes: chunks.reduce(0) { $0 + $1.data.count })
        }
        let encoder = differential.encoder
        var references: [String: Data] = [:]
        func load(_ names: [String]) async {
            let wanted = names.filter { references[$0] == nil }
            for start in stride(from: 0, to: wanted.count, by: ChunkBatch.maximumRequestHashes) {
                let part = Array(wanted[start..<min(wanted.count, start + ChunkBatch.maximumRequestHashes)])
                // A reference the library cannot give only costs its chunks their delta.
                for (hash, data) in (try? await readLibrary(part, job: job, token: try await baseToken(job, base))) ?? [:] {
                    references[hash] = data
                }
            }
        }
        await load(encoder.referenceHashes(for: chunks))
        let encoded = encoder.encode(chunks, references: references)
        var deltas = Dictionary(encoded.deltas.map { ($0.hash, $0) }, uniquingKeysWith: { first, _ in first })
        for chunk in chunks where encoder.worthLookingFurther(deltas[chunk.hash], for: chunk) {
            guard let file = encoder.planner.baseFile(for: chunk.hash),
                  let names = try? await differential.resemblance.references(for: chunk.data, file: file.path, chunks: file.chunks,
                                                                             budget: encoder.planner.maximumReferenceBytes),
                  !names.isEmpty else { continue }
            await load(names)
            guard let frame = encoder.frame(chunk, against: names, references: references),
                  frame.encodedSize < (deltas[chunk.hash]?.encodedSize ?? chunk.data.count) else { continue }
            deltas[chunk.hash] = frame
        }
        let frames = chunks.compactMap { deltas[$0.hash] }
        let whole = chunks.filter { deltas[$0.hash] == nil }
        return PreparedBlock(chunks: chunks, deltas: frames, whole: whole,
                             wireBytes: frames.reduce(0) { $0 + $1.encodedSize } + whole.reduce(0) { $0 + $1.data.count })
    }

    /// Sends a prepared block: the deltas, then the whole chunks with those the DP could not
    /// rebuild. Returns the bytes sent beyond the block's planned ``PreparedBlock/wireBytes``.
    func send(_ block: PreparedBlock, job: TransferJob) async throws -> Int {
        var whole = block.whole
        var extra = 0
        if !block.deltas.isEmpty {
            var body = Data()
            body.reserveCapacity(block.deltas.reduce(0) { $0 + $1.encodedSize })
            for frame in block.deltas { DeltaBatch.append(frame, to: &body) }
            let response = try await http.post(job.distributionPoint.httpURL + DataPlanePath.storedDeltaBatch.path(), body: body,
                                               options: try await authorization(job))
            guard response.isSuccess, let reply = try? JSONDecoder().decode(DeltaBatch.Reply.self, from: response.body) else {
                throw TransferFailure("DP \(job.distributionPoint.name) refused a block of \(block.deltas.count) deltas: HTTP \(response.status) \(ResponseText.text(response.body))")
            }
            if !reply.failed.isEmpty {
                let failed = Set(reply.failed)
                let again = block.chunks.filter { failed.contains($0.hash) }
                logger.job(job).warning("the DP could not rebuild \(again.count) deltas; sending those chunks whole")
                whole += again
                extra = again.reduce(0) { $0 + $1.data.count }
            }
        }
        if !whole.isEmpty { try await push(whole, job: job) }
        return extra
    }
}
