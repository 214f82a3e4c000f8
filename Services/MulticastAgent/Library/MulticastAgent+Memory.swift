import Foundation

extension MulticastAgent {
    /// Makes malloc map every buffer of 512 KiB or more on its own; call once at start.
    ///
    /// Multicast moves bundle-sized buffers between threads (bundles, NORM objects). Mapped
    /// and unmapped, their memory returns to the system at once instead of piling up as free
    /// space in per-thread malloc arenas (SPEC S8).
    static func mapLargeBuffers() {
        // Swift's Glibc module leaves out malloc.h: mallopt is looked up; M_MMAP_THRESHOLD is -3.
        typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
        if let mallopt = dlsym(nil, "mallopt") { _ = unsafeBitCast(mallopt, to: MallocOption.self)(-3, 512 << 10) }
    }
}
