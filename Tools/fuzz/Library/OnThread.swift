import Foundation

/// Runs blocking work (socket loops) on a thread of its own and waits for it without
/// holding one of Swift's cooperative threads (two on this machine).
public func onThread<T: Sendable>(named name: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.name = name
        thread.start()
    }
}
