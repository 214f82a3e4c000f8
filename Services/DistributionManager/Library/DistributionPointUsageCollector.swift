import Bus
import Messages
import ServiceKit

/// Answers the DP list with each DP's own usage figures (SPEC P6), asked of all DPs at
/// once and briefly, so one unreachable DP only leaves its own figures empty.
struct DistributionPointUsageCollector: Sendable {
    let directory: DistributionPointDirectory
    let configured: [DistributionPointSettings]
    let connections: PeerConnections

    func register(on dispatcher: inout BusDispatcher) {
        let collector = self
        dispatcher.on(ListDistributionPoints.self) { _, _ in try await collector.list() }
    }

    func list() async throws -> DistributionPointList {
        var list = try await directory.list()
        await withTaskGroup(of: (Int, DistributionPointUsageReply?).self) { group in
            for (index, point) in list.points.enumerated() {
                let key = configured.first { $0.name == point.name }?.publicKey
                let client = try? connections.client(name: point.name, endpoint: point.busEndpoint, publicKey: key)
                group.addTask {
                    (index, try? await client?.request(DistributionPointUsageQuery(),
                                                       timeout: .seconds(2)))
                }
            }
            for await (index, usage) in group { list.points[index].usage = usage }
        }
        return list
    }
}
