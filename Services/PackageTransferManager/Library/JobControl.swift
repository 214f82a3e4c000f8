import Foundation
import ServiceKit

/// Tells a running transfer to stop at its next block, and why.
///
/// The worker sets it (a window closed, a higher-priority job needs the slot, the job was
/// superseded or its DP removed); the executor looks at it before each block and stops
/// there, so everything the DP already holds stays and the next attempt sends none of it.
final class JobControl: Sendable {
    enum Interruption: Equatable, Sendable {
        /// The DP's schedule closed for the job's priority; it waits for the window.
        case windowClosed(until: Date?)
        /// A higher-priority content took its slot; it waits its turn.
        case preempted(by: String)
        /// The job is not wanted any more: no report is sent.
        case cancelled(String)
    }

    private let state = Mutex<Interruption?>(nil)

    /// Asks the transfer to stop; the first reason given is kept.
    func interrupt(_ reason: Interruption) {
        state.withLock { current in if current == nil { current = reason } }
    }

    var interruption: Interruption? { state.withLock { $0 } }

    /// Throws ``TransferInterrupted`` once the transfer has been asked to stop.
    func checkpoint() throws {
        if let interruption { throw TransferInterrupted(reason: interruption) }
    }
}

/// A transfer stopped on request at a block boundary (not a failure: no retry is counted).
struct TransferInterrupted: Error, CustomStringConvertible {
    let reason: JobControl.Interruption
    var description: String { "stopped: \(reason)" }
}
