import Foundation
import Synchronization

/// Buffers for whole received NORM objects, kept for reuse after they are freed, within a
/// fixed bound.
///
/// NORM receives each object into a buffer it allocates (through
/// `NormSetAllocationFunctions`) and frees when the object ends. At bundle size malloc maps
/// each one afresh (the agent maps buffers of 512 KiB and more on their own, SPEC S8), so
/// every bundle cost a page fault per 4 KiB and an unmap: 69 k faults per 200 MB, about a
/// tenth of a receiver's CPU. Freed buffers of 128 KiB to 4 MiB are kept instead, by size
/// rounded up to 128 KiB, and handed out again already faulted in; at most `idleLimit`
/// bytes are kept, so memory stays flat. (The sender's buffers are not pooled: NORM holds
/// a send cache of them, and rounding each up cost more memory than the faults cost CPU.)
///
/// Thread-safe: NORM allocates on its protocol thread and frees wherever an object ends.
final class ObjectBufferPool: Sendable {
    /// The pool NORM sessions use.
    static let shared = ObjectBufferPool()

    /// Sizes are rounded up to a multiple of this; smaller buffers are not kept.
    static let granule = 128 << 10
    /// Larger buffers are not kept either (bundles are 512 KiB of chunks by default).
    static let largestKept = 4 << 20
    /// Room before each buffer for its size class, so `release` needs only the pointer.
    static let headerBytes = 16

    /// Bytes of freed buffers the pool may keep.
    let idleLimit: Int
    private let state = Mutex(State())

    /// A freed buffer: the pool owns it, and the lock orders every use of it.
    struct Freed: @unchecked Sendable {
        let header: UnsafeMutableRawPointer
    }

    struct State {
        /// Size class (rounded bytes) → freed buffers (their header's address).
        var idle: [Int: [Freed]] = [:]
        var idleBytes = 0
        var allocated = 0
        var reused = 0
    }

    init(idleLimit: Int = 4 << 20) {
        self.idleLimit = idleLimit
    }

    /// Buffers handed out so far, how many of them were reused, and the bytes kept idle now.
    var counts: (allocated: Int, reused: Int, idleBytes: Int) {
        state.withLock { ($0.allocated, $0.reused, $0.idleBytes) }
    }

    /// A buffer of at least `byteCount` bytes, aligned to 16; give it back with `release`.
    /// Nil only if the system has no memory left.
    func allocate(_ byteCount: Int) -> UnsafeMutableRawPointer? {
        let size = Self.sizeClass(byteCount)
        let kept: Freed? = state.withLock { state in
            state.allocated += 1
            guard size > 0, let freed = state.idle[size]?.popLast() else { return nil }
            state.idleBytes -= size
            state.reused += 1
            return freed
        }
        if let kept { return kept.header + Self.headerBytes }
        guard let header = malloc(max(size, byteCount) + Self.headerBytes) else { return nil }
        header.storeBytes(of: size, as: Int.self)
        return header + Self.headerBytes
    }

    /// Takes back a buffer from `allocate`: kept for reuse, or freed if the pool is full.
    func release(_ buffer: UnsafeMutableRawPointer) {
        let header = buffer - Self.headerBytes
        let size = header.load(as: Int.self)
        let freed = Freed(header: header)
        let kept = size > 0 && state.withLock { state in
            guard state.idleBytes + size <= idleLimit else { return false }
            state.idle[size, default: []].append(freed)
            state.idleBytes += size
            return true
        }
        if !kept { free(header) }
    }

    /// Frees every kept buffer (a session that closes).
    func drain() {
        let buffers = state.withLock { state in
            defer { state.idle = [:]; state.idleBytes = 0 }
            return state.idle.values.flatMap { $0 }
        }
        for freed in buffers { free(freed.header) }
    }

    /// The rounded size a request is kept under, or 0 when buffers of its size are not kept.
    static func sizeClass(_ byteCount: Int) -> Int {
        guard byteCount >= granule, byteCount <= largestKept else { return 0 }
        return (byteCount + granule - 1) / granule * granule
    }
}
