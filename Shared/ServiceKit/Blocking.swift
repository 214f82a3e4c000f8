import Foundation

/// Runs blocking work (file hashing, big imports) on a Dispatch thread, never on Swift's
/// small cooperative pool, which the bus and HTTP handlers need to stay responsive.
public enum Blocking {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
