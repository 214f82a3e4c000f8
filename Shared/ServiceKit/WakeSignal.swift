/// How a worker loop waits between rounds: until something wakes it, or half a second.
///
/// The PTM's scheduler, its pull cycle and a pull DP's downloader each look at their
/// tables again when woken (a job arrived, an attempt ended) and otherwise twice a second,
/// which is also how a manual clock's advance reaches them in tests.
public final class WakeSignal: Sendable {
    private let woken = Mutex(false)

    public init() {}

    /// The next ``idle()`` returns at once.
    public func wake() { woken.withLock { $0 = true } }

    /// Returns when woken, when the task is cancelled or shutting down, or after about 500 ms.
    public func idle() async {
        for _ in 0..<10 {
            if woken.withLock({ flag in defer { flag = false }; return flag }) { return }
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
