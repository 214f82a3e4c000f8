import Foundation

/// Reads a prestaged file as its bytes arrive (an HTTP body, a file read in pieces) and
/// checks everything on the way: the magic, the header, the manifest against the version id,
/// every chunk against the hash the manifest gives it, the seal, and that the file ends right
/// after it. Holds at most one chunk and the bytes not yet read.
public struct PrestagedFileReader {
    public enum Event {
        case header(PrestagedHeader, VerifiedManifest)
        case chunk(VerifiedBytes)
        /// The seal matched; nothing may follow.
        case end
    }

    private enum State {
        case magic
        case headerLength
        case header(length: Int)
        case manifest(PrestagedHeader, headerBytes: [UInt8])
        case chunks(index: Int)
        case trailer
        case done
    }

    private var state = State.magic
    private var buffer: [UInt8] = []
    private var offset = 0
    private var seal = ""
    private var chunks: [ChunkReference] = []
    private let maximumChunkSize: Int
    /// Bytes read so far, for progress.
    public private(set) var bytesRead: Int64 = 0

    public init(maximumChunkSize: Int = 256 << 20) {
        self.maximumChunkSize = maximumChunkSize
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if offset > (1 << 20), offset * 2 > buffer.count {
            buffer.removeFirst(offset)
            offset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    private var available: Int { buffer.count - offset }

    private mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard available >= count else { return nil }
        defer {
            offset += count
            bytesRead += Int64(count)
        }
        return buffer[offset..<(offset + count)]
    }

    /// The next event, or nil when more bytes are needed. Throws on the first thing wrong.
    public mutating func next() throws -> Event? {
        while true {
            switch state {
            case .magic:
                guard let magic = take(PrestagedFile.magic.count) else { return nil }
                guard Array(magic) == PrestagedFile.magic else { throw PrestagedFileError("not a Ferry prestaged content file") }
                state = .headerLength
            case .headerLength:
                guard let bytes = take(4) else { return nil }
                let length = bytes.reduce(0) { $0 << 8 | Int($1) }
                guard length > 0, length <= PrestagedFile.maximumHeaderLength else {
                    throw PrestagedFileError("the file's header length (\(length) bytes) is not plausible")
                }
                state = .header(length: length)
            case .header(let length):
                guard let bytes = take(length) else { return nil }
                let header: PrestagedHeader
                do {
                    header = try PrestagedHeader.decoder.decode(PrestagedHeader.self, from: Data(bytes))
                } catch {
                    throw PrestagedFileError("the file's header is not readable: \(error)")
                }
                guard header.format == 1 else { throw PrestagedFileError("prestaged file format \(header.format) is not supported (this site reads 1)") }
                guard ContentHash.isValid(header.versionID), header.manifestSize > 0, header.manifestSize <= 256 << 20,
                      header.chunkCount >= 0, header.chunkBytes >= 0 else {
                    throw PrestagedFileError("the file's header is not plausible")
                }
                state = .manifest(header, headerBytes: Array(bytes))
            case .manifest(let header, let headerBytes):
                guard let bytes = take(header.manifestSize) else { return nil }
                let data = Data(bytes)
                let manifest: VerifiedManifest
                do {
                    manifest = try VerifiedManifest(data: data, versionID: header.versionID)
                } catch {
                    throw PrestagedFileError("the manifest does not match version \(header.versionID): \(error)")
                }
                chunks = manifest.manifest.uniqueChunks
                let total = chunks.reduce(Int64(0)) { $0 + Int64($1.size) }
                guard chunks.count == header.chunkCount, total == header.chunkBytes else {
                    throw PrestagedFileError("the header says \(header.chunkCount) chunks of \(header.chunkBytes) bytes; the manifest names \(chunks.count) of \(total)")
                }
                if let large = chunks.first(where: { $0.size > maximumChunkSize }) {
                    throw PrestagedFileError("chunk \(large.hash) is \(large.size) bytes, more than the \(maximumChunkSize) allowed")
                }
                seal = PrestagedFile.seal(header: headerBytes, manifest: data)
                state = chunks.isEmpty ? .trailer : .chunks(index: 0)
                return .header(header, manifest)
            case .chunks(let index):
                let reference = chunks[index]
                guard let bytes = take(reference.size) else { return nil }
                let chunk: VerifiedBytes
                do {
                    chunk = try VerifiedBytes(data: Data(bytes), hash: reference.hash)
                } catch {
                    throw PrestagedFileError("chunk \(index + 1) of \(chunks.count) (\(reference.hash)) is damaged: its bytes do not hash to its name")
                }
                state = index + 1 < chunks.count ? .chunks(index: index + 1) : .trailer
                return .chunk(chunk)
            case .trailer:
                guard let bytes = take(PrestagedFile.trailerLength) else { return nil }
                let text = String(decoding: bytes, as: UTF8.self)
                guard text == String(decoding: PrestagedFile.trailerPrefix, as: UTF8.self) + seal + "\n" else {
                    throw PrestagedFileError("the file's seal does not match its header and manifest: it was changed after export")
                }
                state = .done
                return .end
            case .done:
                guard available == 0 else { throw PrestagedFileError("the file goes on after its end") }
                return nil
            }
        }
    }

    /// Call once the input has ended: throws unless the whole file, seal included, was read.
    public func finish() throws {
        switch state {
        case .done:
            guard available == 0 else { throw PrestagedFileError("the file goes on after its end") }
        case .magic where bytesRead == 0 && available < PrestagedFile.magic.count:
            throw PrestagedFileError("the file is empty or not a Ferry prestaged content file")
        case .chunks(let index):
            throw PrestagedFileError("the file is truncated: it ends after \(index) of \(chunks.count) chunks")
        default:
            throw PrestagedFileError("the file is truncated")
        }
    }
}
