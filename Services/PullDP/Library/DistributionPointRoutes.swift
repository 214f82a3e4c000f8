import ContentStore
import ContentTransfer
import Delta
import Foundation
import HTTPTransfer
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceKit
import Metrics

/// The DP's HTTP data plane: pushes from the PTM (with a site token), and manifests,
/// chunks and whole files for readers, with HEAD and single-range requests.
struct DistributionPointRoutes: Sendable {
    /// This DP's node: tokens must name it in their audience.
    let node: String
    let content: DistributionPointContent
    let verifier: SiteTokenVerifier
    let maximumChunkSize: Int

    var store: ChunkStore { content.store }

    func register(on router: Router<ServiceRequestContext>) {
        router.put(RouterPath(DataPlanePath.storedChunk.pattern)) { request, context -> Response in
            if let refusal = authorize(request) { return refusal }
            let hash = context.parameters.get(DataPlanePath.Parameter.hash) ?? ""
            guard ContentHash.isValid(hash) else { return HTTPResponses.error(.badRequest, "invalid chunk hash") }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maximumChunkSize)
            } catch {
                content.metrics.counter("ferry_dp_push_refused_total", labels: [("reason", "too-large")]).increment()
                return HTTPResponses.error(.contentTooLarge, "a chunk may be at most \(maximumChunkSize) bytes")
            }
            do {
                let stored = try content.acceptChunk(Data(buffer: body), hash: hash)
                return HTTPResponses.text("{\"stored\":\(stored)}\n", status: stored ? .created : .ok, contentType: "application/json")
            } catch let error as ContentStoreError {
                content.metrics.counter("ferry_dp_push_refused_total", labels: [("reason", "hash-mismatch")]).increment()
                content.logger.warning("refused a pushed chunk", metadata: ["chunk": "\(hash)", "reason": "\(error)"])
                return HTTPResponses.error(.unprocessableContent, error.description)
            }
        }
        router.post(RouterPath(DataPlanePath.storedPrestaged.pattern)) { request, _ -> Response in
            try await importPrestaged(request)
        }
        router.post(RouterPath(DataPlanePath.storedChunkBatch.pattern)) { request, _ -> Response in
            if let refusal = authorize(request) { return refusal }
            // Frames are stored as they arrive: a batch is never held whole.
            var reader = ChunkBatch.Reader(maximumChunkSize: maximumChunkSize)
            var stored = 0, present = 0
            do {
                for try await buffer in request.body {
                    reader.append(buffer.readableBytesView)
                    while let (hash, data) = try reader.next() {
                        if try content.acceptChunk(data, hash: hash) { stored += 1 } else { present += 1 }
                    }
                }
                guard reader.pendingBytes == 0 else { throw ChunkBatchError("the body ends inside a frame") }
            } catch {
                let reason = error is ContentStoreError ? "hash-mismatch" : "bad-batch"
                content.metrics.counter("ferry_dp_push_refused_total", labels: [("reason", reason)]).increment()
                content.logger.warning("refused a pushed batch", metadata: ["stored-before": "\(stored)", "reason": "\(error)"])
                return HTTPResponses.error(.unprocessableContent, "\(error) (\(stored) chunks of the batch stored before it)")
            }
            return HTTPResponses.text("{\"stored\":\(stored),\"present\":\(present)}\n", status: .ok, contentType: "application/json")
        }
        router.post(RouterPath(DataPlanePath.versionDeltaBatch.pattern)) { request, context -> Response in
            let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
            guard ContentHash.isValid(version) else { return HTTPResponses.error(.badRequest, "invalid version id") }
            if let refusal = authorizeDownload(request, context: context, version: version) { return refusal }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: (ChunkBatch.maximumRequestHashes + 1) * 65)
            } catch {
                return HTTPResponses.error(.contentTooLarge, "ask for at most \(ChunkBatch.maximumRequestHashes) chunks at once")
            }
            guard let lines = ChunkBatch.hashes(inRequest: Data(buffer: body)), let base = lines.first else {
                return HTTPResponses.error(.badRequest, "the body must be the base version id, then chunk hashes, one per line")
            }
            let hashes = Array(lines.dropFirst())
            guard let target = content.served(version) else { return HTTPResponses.error(.notFound, "no version \(version)") }
            guard let held = content.served(base) else { return HTTPResponses.error(.notFound, "this DP does not hold the base version \(base)") }
            if let outside = hashes.first(where: { !target.chunks.contains($0) }) {
                return HTTPResponses.error(.forbidden, "chunk \(outside) is not part of version \(version)")
            }
            let store = store
            let frames = try await Blocking.run { () -> [DeltaBatch.Frame] in
                var encoder = LocalDeltaEncoder(base: held.manifest, target: target.manifest) { try? store.read($0) }
                let chunks = hashes.compactMap { hash in (try? store.read(hash)).flatMap { try? VerifiedBytes(data: $0, hash: hash) } }
                return encoder.frames(for: chunks)
            }
            var reply = Data()
            for frame in frames { DeltaBatch.append(frame, to: &reply) }
            content.metrics.counter("ferry_dp_served_delta_bytes_total").increment(by: reply.count)
            return HTTPResponses.data(reply)
        }
        router.post(RouterPath(DataPlanePath.storedDeltaBatch.pattern)) { request, _ -> Response in
            if let refusal = authorize(request) { return refusal }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: 64 * 1024 * 1024)
            } catch {
                return HTTPResponses.error(.contentTooLarge, "a delta batch may be at most 64 MiB")
            }
            do {
                let reply = try content.acceptDeltas(DeltaBatch.frames(in: Data(buffer: body), maximumChunkSize: maximumChunkSize))
                return HTTPResponses.json(reply)
            } catch {
                content.metrics.counter("ferry_dp_push_refused_total", labels: [("reason", "bad-delta-batch")]).increment()
                return HTTPResponses.error(.unprocessableContent, "\(error)")
            }
        }
        router.put(RouterPath(DataPlanePath.storedManifest.pattern)) { request, context -> Response in
            let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
            if let refusal = authorize(request, versionID: version) { return refusal }
            guard ContentHash.isValid(version) else { return HTTPResponses.error(.badRequest, "invalid version id") }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: 256 * 1024 * 1024)
            } catch {
                return HTTPResponses.error(.contentTooLarge, "manifest too large")
            }
            var manifest = Data(buffer: body)
            if let base = request.headers[HTTPField.Name(ManifestDelta.baseHeader)!] {
                // A delta against a manifest this DP holds (SPEC C3); one that does not
                // rebuild to the version is refused as a conflict: the sender sends it whole.
                let size = request.headers[HTTPField.Name(ManifestDelta.sizeHeader)!].flatMap { Int($0) } ?? -1
                guard ContentHash.isValid(base), (0...(256 * 1024 * 1024)).contains(size) else {
                    return HTTPResponses.error(.badRequest, "a manifest delta needs a base version id and the manifest's size")
                }
                guard let reference = try? store.manifestData(base) else {
                    return HTTPResponses.error(.conflict, "this DP does not hold the base manifest \(base); send the manifest whole")
                }
                switch ChunkDelta.rebuild(manifest, reference: reference, size: size, hash: version) {
                case .success(let rebuilt): manifest = rebuilt
                case .failure(let failure):
                    content.logger.warning("a manifest delta did not rebuild; asking for it whole", metadata: ["version-id": "\(version)", "reason": "\(failure)"])
                    return HTTPResponses.error(.conflict, "the manifest delta did not rebuild: \(failure); send the manifest whole")
                }
            }
            do {
                try content.acceptManifest(manifest, versionID: version)
                return HTTPResponses.text("{\"stored\":true}\n", status: .created, contentType: "application/json")
            } catch {
                content.logger.warning("refused a pushed manifest", metadata: ["version-id": "\(version)", "reason": "\(error)"])
                return HTTPResponses.error(.unprocessableContent, "\(error)")
            }
        }
        for method in [HTTPRequest.Method.get, .head] {
            // Site-internal reads by hash (the PTM, pull DPs): transfer token only.
            router.on(RouterPath(DataPlanePath.storedChunk.pattern), method: method) { request, context -> Response in
                if let refusal = authorize(request) { return refusal }
                let hash = context.parameters.get(DataPlanePath.Parameter.hash) ?? ""
                guard ContentHash.isValid(hash) else { return HTTPResponses.error(.badRequest, "invalid chunk hash") }
                guard let data = try? store.read(hash) else { return HTTPResponses.error(.notFound, "no chunk \(hash)") }
                return RangeResponder.data(data, request: request)
            }
            router.on(RouterPath(DataPlanePath.storedManifest.pattern), method: method) { request, context -> Response in
                if let refusal = authorize(request) { return refusal }
                let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
                guard ContentHash.isValid(version) else { return HTTPResponses.error(.badRequest, "invalid version id") }
                guard let data = try? store.manifestData(version) else { return HTTPResponses.error(.notFound, "no manifest \(version)") }
                return RangeResponder.data(data, request: request, contentType: "application/json")
            }
            // Client reads of one version: a download token for that version (or a transfer token).
            router.on(RouterPath(DataPlanePath.versionManifest.pattern), method: method) { request, context -> Response in
                let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
                guard ContentHash.isValid(version) else { return HTTPResponses.error(.badRequest, "invalid version id") }
                if let refusal = authorizeDownload(request, context: context, version: version) { return refusal }
                guard content.served(version) != nil, let data = try? store.manifestData(version) else {
                    return HTTPResponses.error(.notFound, "no version \(version)")
                }
                return RangeResponder.data(data, request: request, contentType: "application/json")
            }
            router.on(RouterPath(DataPlanePath.versionChunk.pattern), method: method) { request, context -> Response in
                let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
                let hash = context.parameters.get(DataPlanePath.Parameter.hash) ?? ""
                guard ContentHash.isValid(version), ContentHash.isValid(hash) else {
                    return HTTPResponses.error(.badRequest, "invalid version id or chunk hash")
                }
                if let refusal = authorizeDownload(request, context: context, version: version) { return refusal }
                guard content.versionContains(version, chunk: hash) else {
                    return HTTPResponses.error(.notFound, "chunk \(hash) is not part of version \(version)")
                }
                guard let data = try? store.read(hash) else { return HTTPResponses.error(.notFound, "no chunk \(hash)") }
                if request.method == .get {
                    content.metrics.counter("ferry_dp_served_chunk_bytes_total").increment(by: data.count)
                }
                return RangeResponder.data(data, request: request)
            }
            router.on(RouterPath(DataPlanePath.versionFile.pattern), method: method) { request, context -> Response in
                let version = context.parameters.get(DataPlanePath.Parameter.version) ?? ""
                guard ContentHash.isValid(version) else { return HTTPResponses.error(.badRequest, "invalid version id") }
                if let refusal = authorizeDownload(request, context: context, version: version) { return refusal }
                let segments = context.parameters.getCatchAll().map { String($0).removingPercentEncoding ?? String($0) }
                let path: String
                do {
                    path = try PathSafety.normalise(segments.joined(separator: "/"))
                } catch {
                    return HTTPResponses.error(.badRequest, "\(error)")
                }
                guard let served = content.served(version) else { return HTTPResponses.error(.notFound, "no version \(version)") }
                guard let entry = served.files[path] else {
                    return HTTPResponses.error(.notFound, "no file '\(path)' in version \(version)")
                }
                return RangeResponder.file(entry, store: store, request: request)
            }
        }
    }

    /// A download token for `version`, issued for this DP to the address that connects (it
    /// is counted as a client of the content), a pull token naming this DP among a pull DP's
    /// sources (the pull DP is counted), or a transfer token for this DP; 401 without
    /// a token, 403 with a wrong, forged, expired, replayed or foreign one.
    private func authorizeDownload(_ request: Request, context: ServiceRequestContext, version: String) -> Response? {
        if case .success = verifier.check(request, scope: "transfer", versionID: version, audience: node) { return nil }
        // A pull DP reading from this source is one of its clients (SPEC P6), counted by its name.
        if case .success(let claims) = verifier.check(request, scope: SiteTokenClaims.pullScope, versionID: version, audience: node) {
            content.recordClient("pull DP \(claims.subject)", version: version)
            return nil
        }
        let client = context.remoteAddress?.ipAddress ?? "?"
        switch verifier.check(request, scope: "download", versionID: version, audience: node, subject: client) {
        case .success:
            content.recordClient(client, version: version)
            return nil
        case .failure(let refusal):
            content.metrics.counter("ferry_dp_download_refused_total", labels: [("reason", refusal.reason)]).increment()
            return refusal.response
        }
    }

    /// Reads an uploaded prestaged file as it arrives (SPEC C9): the token must name this DP
    /// and, once the header is read, the file's version; chunks are stored as they verify and
    /// the version is installed only once the whole file checked out. A refused file keeps nothing.
    private func importPrestaged(_ request: Request) async throws -> Response {
        if let refusal = authorize(request) { return refusal }
        let session = PrestagedImport(store: store, maximumChunkSize: maximumChunkSize)
        do {
            for try await buffer in request.body {
                if try session.consume(buffer.readableBytesView) == .awaitingApproval, let header = session.header {
                    if let refusal = authorize(request, versionID: header.versionID) { return refusal }
                    session.approve()
                    try session.consume(EmptyCollection<UInt8>())
                }
            }
            let manifest = try session.finish()
            guard let header = session.header else { throw PrestagedFileError("the file is truncated") }
            let summary = try await content.installPrestaged(manifest, header: header, session: session)
            return HTTPResponses.json(summary)
        } catch {
            content.rollBack(session)
            content.metrics.counter("ferry_dp_prestaged_refused_total").increment()
            content.logger.warning("refused a prestaged file", metadata: ["reason": "\(error)", "bytes-read": "\(session.bytesRead)"])
            return HTTPResponses.error(.unprocessableContent, "prestaged file refused: \(error)")
        }
    }

    /// A transfer token for this DP (and for `versionID`, where the route names one).
    private func authorize(_ request: Request, versionID: String? = nil) -> Response? {
        guard case .failure(let refusal) = verifier.check(request, scope: "transfer", versionID: versionID, audience: node) else { return nil }
        content.metrics.counter("ferry_dp_push_refused_total", labels: [("reason", refusal.reason)]).increment()
        if refusal.reason == "bad-token" {
            content.logger.warning("refused a push", metadata: ["reason": "\(refusal.message)"])
        }
        return refusal.response
    }
}

/// Builds 200/206/416 responses for a byte range of a representation (RFC 9110), since
/// the stock file middleware gets suffix ranges and out-of-range starts wrong.
enum RangeResponder {
    static func data(_ data: Data, request: Request, contentType: String = "application/octet-stream") -> Response {
        let length = Int64(data.count)
        switch ByteRange.resolve(request.headers[.range], length: length) {
        case .whole:
            return respond(request, status: .ok, length: length, contentType: contentType, range: nil) { writer in
                try await writer.write(ByteBuffer(bytes: data))
            }
        case .partial(let range):
            let slice = data[Int(range.lowerBound)..<Int(range.upperBound)]
            return respond(request, status: .partialContent, length: length, contentType: contentType, range: range) { writer in
                try await writer.write(ByteBuffer(bytes: slice))
            }
        case .unsatisfiable:
            return unsatisfiable(length)
        }
    }

    static func file(_ entry: ManifestEntry, store: ChunkStore, request: Request) -> Response {
        let length = entry.size
        let resolution = ByteRange.resolve(request.headers[.range], length: length)
        let range: Range<Int64>
        switch resolution {
        case .whole: range = 0..<length
        case .partial(let partial): range = partial
        case .unsatisfiable: return unsatisfiable(length)
        }
        let segments = Manifest.segments(of: entry, covering: range)
        let status: HTTPResponse.Status = resolution == .whole ? .ok : .partialContent
        return respond(request, status: status, length: length, contentType: "application/octet-stream",
                       range: status == .partialContent ? range : nil) { writer in
            for segment in segments {
                let chunk = try store.read(segment.chunkHash)
                guard ContentHash.sha256Hex(chunk) == segment.chunkHash else {
                    throw ContentStoreError.hashMismatch(expected: segment.chunkHash, actual: ContentHash.sha256Hex(chunk))
                }
                guard segment.offsetInChunk >= 0, segment.offsetInChunk + segment.length <= chunk.count else {
                    throw ContentStoreError.malformedManifest("chunk \(segment.chunkHash) is shorter than the manifest says")
                }
                try await writer.write(ByteBuffer(bytes: chunk[segment.offsetInChunk..<(segment.offsetInChunk + segment.length)]))
            }
        }
    }

    private static func respond(_ request: Request, status: HTTPResponse.Status, length: Int64, contentType: String,
                                range: Range<Int64>?, body: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        let bodyLength = range.map { $0.upperBound - $0.lowerBound } ?? length
        var headers: HTTPFields = [.contentType: contentType, .acceptRanges: "bytes", .contentLength: "\(bodyLength)"]
        if let range { headers[.contentRange] = ByteRange.contentRangeHeader(range, length: length) }
        if request.method == .head {
            return Response(status: status, headers: headers, body: ResponseBody(contentLength: Int(bodyLength)) { writer in
                try await writer.finish(nil)
            })
        }
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: Int(bodyLength)) { writer in
            try await body(&writer)
            try await writer.finish(nil)
        })
    }

    private static func unsatisfiable(_ length: Int64) -> Response {
        Response(status: .rangeNotSatisfiable,
                 headers: [.contentRange: ByteRange.unsatisfiedContentRangeHeader(length: length), .contentLength: "0"],
                 body: ResponseBody())
    }
}
