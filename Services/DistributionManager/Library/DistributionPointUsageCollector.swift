import Bus
import Messages
import ServiceKit

/// Each DP's own usage figures (SPEC P6), asked of all DPs at once and briefly, so one
/// unreachable DP only leaves its own figures empty.
struct DistributionPointUsageCollector: Sendable {
    let directory: DistributionPointDirectory
    let connections: PeerConnections

    /// Fills in `usage` of every summary whose DP answers within two seconds.
    func fill(_ points: inout [DistributionPointSummary]) async throws {
        let keys = try await directory.publicKeys()
        let snapshot = points
        await withTaskGroup(of: (Int, DistributionPointUsageReply?).self) { group in
            for (index, point) in snapshot.enumerated() {
                let client = try? connections.client(name: point.name, endpoint: point.busEndpoint, publicKey: keys[point.name])
                group.addTask {
                    (index, try? await client?.request(DistributionPointUsageQuery(), timeout: .seconds(2)))
                }
            }
            for await (index, usage) in group { points[index].usage = usage }
        }
    }
}
