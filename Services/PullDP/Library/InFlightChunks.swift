import Foundation
import Synchronization

/// The chunks a transfer in flight has named (asked about, pushed, or is pulling) and
/// when, so that a retirement's collection does not remove a chunk a version still on its
/// way will need though no stored manifest names it yet. Once the version's manifest is
/// stored its chunks are settled: the manifest keeps them from then on, and a retirement
/// of that version frees them.
///
/// Kept in memory: after a restart a push or pull in flight asks again what is missing
/// before it goes on, which names its chunks again.
final class InFlightChunks: Sendable {
    /// How long a named chunk stays protected (a transfer paused by a closed window resumes within a week).
    static let protection: TimeInterval = 7 * 24 * 3600

    private let named = Mutex([String: Date]())

    /// Notes the chunks, under the lock a collection removes under: an answer computed after
    /// this sees either the chunk kept or already gone, never a chunk removed after the answer.
    func note(_ hashes: some Sequence<String>, at now: Date) {
        named.withLock { named in
            for hash in hashes { named[hash] = now }
        }
    }

    /// Forgets chunks a stored manifest now names: they are protected by it from here on.
    func settle(_ hashes: some Sequence<String>) {
        named.withLock { named in
            for hash in hashes { named[hash] = nil }
        }
    }

    /// Runs `delete` for a chunk unless a transfer named it within the protection window;
    /// true when it was deleted. Entries older than the window are dropped on the way.
    func removeUnlessNamed(_ hash: String, now: Date, delete: () -> Bool) -> Bool {
        named.withLock { named in
            if let at = named[hash] {
                if now.timeIntervalSince(at) < Self.protection { return false }
                named[hash] = nil
            }
            return delete()
        }
    }

    /// Whether a transfer named the chunk within the protection window.
    func isNamed(_ hash: String, now: Date) -> Bool {
        named.withLock { named in named[hash].map { now.timeIntervalSince($0) < Self.protection } ?? false }
    }

    /// Forgets entries older than the protection window.
    func prune(now: Date) {
        named.withLock { named in named = named.filter { now.timeIntervalSince($0.value) < Self.protection } }
    }
}
