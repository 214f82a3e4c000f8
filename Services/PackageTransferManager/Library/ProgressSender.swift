import Foundation
import Messages
import ServiceKit

/// Sends progress reports without holding up the transfer: at most one report is in
/// flight, and while it is, only the newest report per job is kept. Progress is best
/// effort; a lost report is replaced by the next.
final class ProgressSender: Sendable {
    private let state = Mutex<(sending: Bool, pending: [UUID: TransferProgress])>((false, [:]))
    private let send: @Sendable (TransferProgress) async -> Void

    init(send: @escaping @Sendable (TransferProgress) async -> Void) {
        self.send = send
    }

    func submit(_ progress: TransferProgress) {
        let start = state.withLock { state -> Bool in
            state.pending[progress.jobID] = progress
            if state.sending { return false }
            state.sending = true
            return true
        }
        if start { Task { await drain() } }
    }

    private func drain() async {
        while true {
            let next = state.withLock { state -> [TransferProgress] in
                let batch = Array(state.pending.values)
                state.pending.removeAll()
                if batch.isEmpty { state.sending = false }
                return batch
            }
            if next.isEmpty { return }
            for progress in next { await send(progress) }
        }
    }
}
