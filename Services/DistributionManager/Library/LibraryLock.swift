/// Imports share the site library; its garbage collection needs it alone: an import stores
/// chunks before the version that names them is recorded, and a collection must not take
/// them for unreferenced (SPEC C3).
///
/// An import holds it shared from its first chunk until its version row is committed.
actor LibraryLock {
    private var readers = 0
    private var writing = false
    private var waiting: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    func lockShared() async {
        if !writing, !waiting.contains(where: \.exclusive) {
            readers += 1
            return
        }
        await withCheckedContinuation { waiting.append((false, $0)) }
    }

    func unlockShared() {
        readers -= 1
        resumeWaiting()
    }

    func lockExclusive() async {
        if !writing, readers == 0 {
            writing = true
            return
        }
        await withCheckedContinuation { waiting.append((true, $0)) }
    }

    func unlockExclusive() {
        writing = false
        resumeWaiting()
    }

    /// Lets in the next writer alone, or every reader queued before the next writer.
    private func resumeWaiting() {
        guard !writing, let first = waiting.first else { return }
        if first.exclusive {
            guard readers == 0 else { return }
            waiting.removeFirst()
            writing = true
            first.continuation.resume()
            return
        }
        while let next = waiting.first, !next.exclusive {
            waiting.removeFirst()
            readers += 1
            next.continuation.resume()
        }
    }
}

extension LibraryLock {
    /// Runs `body` holding the library shared (an import).
    nonisolated func shared<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await lockShared()
        do {
            let value = try await body()
            await unlockShared()
            return value
        } catch {
            await unlockShared()
            throw error
        }
    }
}
