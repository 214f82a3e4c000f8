import ContentStore
import Synchronization

/// Where the DP's content library is now: every reader and writer asks for the store at
/// the moment it needs it, so a library move switches them all at once (SPEC C11).
final class LibraryLocation: Sendable {
    private let store: Mutex<ChunkStore>

    init(_ store: ChunkStore) { self.store = Mutex(store) }

    var current: ChunkStore { store.withLock { $0 } }

    func switchTo(_ store: ChunkStore) { self.store.withLock { $0 = store } }
}
