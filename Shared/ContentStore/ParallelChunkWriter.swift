import Dispatch
import Foundation
import Synchronization

/// Writes new chunks to a `ChunkStore` on background queues while the importer goes on chunking and hashing.
/// On a real file system, creating one file per chunk costs more kernel time than chunking and hashing together,
/// so overlapping them roughly doubles import speed on two cores. Memory in flight is bounded.
final class ParallelChunkWriter: Sendable {
    private struct State: Sendable {
        var pending: Set<String> = []
        var error: ContentStoreError?
        var newChunks = 0
        var newBytes: Int64 = 0
        var alreadyStored = 0
        var nextQueue = 0
    }

    private let store: ChunkStore
    private let queues: [DispatchQueue]
    private let slots: DispatchSemaphore
    private let group = DispatchGroup()
    private let state = Mutex(State())

    init(store: ChunkStore, writers: Int = 2, maximumChunksInFlight: Int = 64) {
        self.store = store
        self.queues = (0..<max(1, writers)).map { DispatchQueue(label: "ContentStore.ParallelChunkWriter.\($0)") }
        self.slots = DispatchSemaphore(value: max(1, maximumChunksInFlight))
    }

    /// Queues the chunk for writing unless it is stored or queued already. Returns true if queued.
    /// Throws the first error a background write met.
    func submit(_ bytes: UnsafeRawBufferPointer, hash: String) throws -> Bool {
        let (failure, queued) = state.withLock { ($0.error, $0.pending.contains(hash)) }
        if let failure { throw failure }
        if queued || store.contains(hash) { return false }
        let data = Data(bytes)
        slots.wait()
        group.enter()
        let queue = state.withLock { state -> DispatchQueue in
            state.pending.insert(hash)
            state.nextQueue = (state.nextQueue + 1) % queues.count
            return queues[state.nextQueue]
        }
        queue.async { [self] in
            defer {
                slots.signal()
                group.leave()
            }
            do {
                let stored = try data.withUnsafeBytes { try store.storeVerified($0, hash: hash) }
                state.withLock {
                    if stored {
                        $0.newChunks += 1
                        $0.newBytes += Int64(data.count)
                    } else {
                        $0.alreadyStored += 1
                    }
                    $0.pending.remove(hash)
                }
            } catch {
                let failure = (error as? ContentStoreError) ?? .io("cannot store chunk \(hash): \(error)")
                state.withLock {
                    if $0.error == nil { $0.error = failure }
                    $0.pending.remove(hash)
                }
            }
        }
        return true
    }

    /// Waits for every queued write.
    func waitForWrites() {
        group.wait()
    }

    /// Waits for every queued write; returns what was newly stored and what another writer stored first,
    /// or throws the first write error.
    func finish() throws -> (newChunks: Int, newBytes: Int64, alreadyStored: Int) {
        group.wait()
        return try state.withLock {
            if let failure = $0.error { throw failure }
            return ($0.newChunks, $0.newBytes, $0.alreadyStored)
        }
    }
}
