import Foundation
@testable import Multicast
import Testing

@Suite("ObjectBufferPool")
struct ObjectBufferPoolTests {
    @Test("a freed bundle-sized buffer is handed out again for a request of the same size class")
    func reusesBuffers() throws {
        let pool = ObjectBufferPool(idleLimit: 4 << 20)
        defer { pool.drain() }
        let first = try #require(pool.allocate(600_000))
        first.storeBytes(of: 0xFEED, toByteOffset: 599_990, as: UInt32.self)
        pool.release(first)
        #expect(pool.counts.idleBytes == 640 << 10)
        // 600 000 and 620 000 bytes both round up to 640 KiB.
        let second = try #require(pool.allocate(620_000))
        #expect(second == first)
        #expect(pool.counts.reused == 1)
        #expect(pool.counts.idleBytes == 0)
        // The whole request is usable: write its last byte.
        second.storeBytes(of: 1, toByteOffset: 619_999, as: UInt8.self)
        pool.release(second)
    }

    @Test("buffers of another size class, too small or too large are not reused")
    func keepsOnlyItsSizeClasses() throws {
        let pool = ObjectBufferPool(idleLimit: 16 << 20)
        defer { pool.drain() }
        let bundle = try #require(pool.allocate(600_000))
        pool.release(bundle)
        let larger = try #require(pool.allocate(800_000))
        #expect(larger != bundle)
        let small = try #require(pool.allocate(1_000))
        pool.release(small)
        let huge = try #require(pool.allocate(5 << 20))
        pool.release(huge)
        #expect(pool.counts.idleBytes == 640 << 10)
        #expect(pool.counts.reused == 0)
        pool.release(larger)
    }

    @Test("the pool keeps at most its idle limit; the rest is freed")
    func boundsIdleMemory() throws {
        let pool = ObjectBufferPool(idleLimit: 2 << 20)
        defer { pool.drain() }
        let buffers = try (0..<8).map { _ in try #require(pool.allocate(512 << 10)) }
        for buffer in buffers { pool.release(buffer) }
        #expect(pool.counts.idleBytes == 2 << 20)
        pool.drain()
        #expect(pool.counts.idleBytes == 0)
    }

    @Test("every size class rounds up to 128 KiB and covers the request")
    func sizeClasses() {
        #expect(ObjectBufferPool.sizeClass(100) == 0)
        #expect(ObjectBufferPool.sizeClass(128 << 10) == 128 << 10)
        #expect(ObjectBufferPool.sizeClass((512 << 10) + 1) == 640 << 10)
        #expect(ObjectBufferPool.sizeClass(4 << 20) == 4 << 20)
        #expect(ObjectBufferPool.sizeClass((4 << 20) + 1) == 0)
    }
}
