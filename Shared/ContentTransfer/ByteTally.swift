import Synchronization

/// Bytes fetched per source, shared by the tasks of one transfer.
///
/// Counts only chunks that were verified and taken by the destination: what a source
/// really contributed, not what it sent.
public final class ByteTally: Sendable {
    private let counts = Mutex([ContentSourceID: Int64]())

    public init() {}

    /// Adds `bytes` to `source`'s count.
    public func add(_ bytes: Int64, from source: ContentSourceID) {
        counts.withLock { $0[source, default: 0] += bytes }
    }

    /// The bytes from one source.
    public func bytes(from source: ContentSourceID) -> Int64 { counts.withLock { $0[source] ?? 0 } }

    /// The bytes from every source of one kind.
    public func bytes(from kind: ContentSourceID.Kind) -> Int64 {
        counts.withLock { $0.filter { $0.key.kind == kind }.values.reduce(0, +) }
    }

    /// The source of `kind` that gave the most bytes (the first name on a tie); nil when none gave any.
    public func largest(of kind: ContentSourceID.Kind) -> ContentSourceID? {
        counts.withLock { counts in
            counts.filter { $0.key.kind == kind && $0.value > 0 }
                .max { $0.value == $1.value ? $0.key.name > $1.key.name : $0.value < $1.value }?.key
        }
    }

    /// Every source's count.
    public var all: [ContentSourceID: Int64] { counts.withLock { $0 } }
}
