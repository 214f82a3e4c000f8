import ContentStore
import Delta
import Foundation

extension DistributionPointContent {
    /// Rebuilds and stores chunks pushed as deltas against chunks this DP holds (SPEC C3).
    ///
    /// Each chunk is kept only when it hashes to its name; one whose reference is missing or
    /// corrupt, or whose delta does not rebuild, is listed as failed for the sender to push
    /// whole. Nothing is stored from a failed frame.
    func acceptDeltas(_ frames: [DeltaBatch.Frame]) -> DeltaBatch.Reply {
        var stored = 0
        var failed: [String] = []
        var firstReason: String?
        for frame in frames {
            // What crossed the network, as the whole-chunk path counts its bytes.
            metrics.counter("ferry_dp_received_delta_bytes_total").increment(by: frame.encodedSize)
            if holdsIntact(frame.hash) {
                stored += 1
                continue
            }
            switch frame.rebuild(reading: { try? store.read($0) }) {
            case .success(let data):
                do {
                    _ = try storeChecked(data, hash: frame.hash)
                    stored += 1
                } catch {
                    failed.append(frame.hash)
                    firstReason = firstReason ?? "\(error)"
                }
            case .failure(let reason):
                failed.append(frame.hash)
                firstReason = firstReason ?? reason.description
            }
        }
        if !failed.isEmpty {
            metrics.counter("ferry_dp_delta_failed_total").increment(by: failed.count)
            logger.warning("deltas that did not rebuild; the sender sends those chunks whole",
                           metadata: ["failed": "\(failed.count)", "of": "\(frames.count)", "first-reason": "\(firstReason ?? "-")"])
        }
        return DeltaBatch.Reply(stored: stored, failed: failed)
    }
}
