import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension MulticastAgent {
    /// Sets up the process as every agent does at start: large buffers mapped on their own,
    /// and, if asked, batch scheduling (which may throw). The multicast benchmark calls it
    /// too, so it measures what agents run.
    public static func prepareProcess(batchScheduling: Bool) throws {
        mapLargeBuffers()
        if batchScheduling { try useBatchScheduling() }
    }

    /// Puts every thread of this process under Linux's batch scheduling policy; threads
    /// started later inherit it. Call once at start, before the NORM session opens.
    ///
    /// A receiver's NORM thread wakes for every packet, and a woken thread normally
    /// preempts whatever runs: the user's work on an endpoint, and on a shared host the
    /// other receivers and the sender, each switch costing microseconds. Batch threads are
    /// not favoured at wakeup, so packets wait in the socket buffer (4 MiB, about 35 ms at
    /// line rate) and are read in runs. Priority (nice) is unchanged; no privilege is needed.
    static func useBatchScheduling() throws {
        var parameters = sched_param(sched_priority: 0)
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        for entry in threads {
            guard let thread = Int32(entry) else { continue }
            // A thread may end between the listing and the call (ESRCH): nothing to change.
            if sched_setscheduler(thread, batchPolicy, &parameters) != 0 && errno != ESRCH {
                throw SchedulingError(description: "cannot use batch scheduling: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Linux's `SCHED_BATCH`, which Swift's Glibc module does not export (it is a GNU extension).
    static let batchPolicy: Int32 = 3
}

/// Why the agent's scheduling policy could not be set.
public struct SchedulingError: Error, CustomStringConvertible {
    public var description: String
}
