internal import CZstd
public import Foundation

/// A chunk encoded against bytes the receiver already holds (SPEC C3): a zstd frame whose
/// matches may point into a reference, given to both sides as zstd's "prefix".
///
/// The reference is the concatenation of the reference chunks in the order the planner
/// listed them; sender and receiver must build the same bytes. The decoder is told the
/// chunk's size and refuses anything else; the caller still checks the SHA-256, since a
/// wrong reference decodes to wrong bytes without any error from zstd.
public enum ChunkDelta {
    /// The largest reference plus chunk the window covers (zstd's window log 27: 128 MiB,
    /// far above a few chunks; the decoder's limit is the same).
    public static let maximumWindowLog: Int32 = 27

    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Encodes `target` against `reference` at zstd `level`.
    public static func encode(_ target: Data, reference: Data, level: Int32 = 3) throws -> Data {
        guard let context = ZSTD_createCCtx() else { throw Failure("zstd: no compression context") }
        defer { ZSTD_freeCCtx(context) }
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, windowLog(reference.count + target.count)))
        let bound = ZSTD_compressBound(target.count)
        var output = Data(count: bound)
        let written = try reference.withUnsafeBytes { referenceBytes in
            if referenceBytes.count > 0 {
                try check(ZSTD_CCtx_refPrefix(context, referenceBytes.baseAddress, referenceBytes.count))
            }
            return try target.withUnsafeBytes { source in
                try output.withUnsafeMutableBytes { destination in
                    try check(ZSTD_compress2(context, destination.baseAddress, bound, source.baseAddress, source.count))
                }
            }
        }
        output.count = written
        return output
    }

    /// Rebuilds a chunk of `size` bytes from `delta` and the same `reference` it was encoded
    /// against. Throws on a frame that is not one or does not give exactly `size` bytes.
    public static func decode(_ delta: Data, reference: Data, size: Int) throws -> Data {
        guard size >= 0, size <= 1 << maximumWindowLog else { throw Failure("a chunk of \(size) bytes is out of range") }
        guard let context = ZSTD_createDCtx() else { throw Failure("zstd: no decompression context") }
        defer { ZSTD_freeDCtx(context) }
        try check(ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, maximumWindowLog))
        var output = Data(count: size)
        let produced = try reference.withUnsafeBytes { referenceBytes in
            if referenceBytes.count > 0 {
                try check(ZSTD_DCtx_refPrefix(context, referenceBytes.baseAddress, referenceBytes.count))
            }
            return try delta.withUnsafeBytes { source in
                try output.withUnsafeMutableBytes { destination in
                    try check(ZSTD_decompressDCtx(context, destination.baseAddress, size, source.baseAddress, source.count))
                }
            }
        }
        guard produced == size else { throw Failure("the delta gave \(produced) bytes, not the chunk's \(size)") }
        return output
    }

    static func windowLog(_ bytes: Int) -> Int32 {
        var log: Int32 = 10
        while log < maximumWindowLog, (1 << log) < bytes { log += 1 }
        return log
    }

    @discardableResult
    private static func check(_ result: Int) throws -> Int {
        if ZSTD_isError(result) != 0 { throw Failure("zstd: \(String(cString: ZSTD_getErrorName(result)))") }
        return result
    }
}
