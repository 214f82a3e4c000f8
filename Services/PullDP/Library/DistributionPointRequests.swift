import Bus
import Messages

/// The bus face of a DP: what it is missing, verifying a pushed version, its usage, retiring versions.
struct DistributionPointRequests: Sendable {
    let content: DistributionPointContent

    func register(on dispatcher: inout BusDispatcher) {
        let content = content
        dispatcher.on(MissingChunksQuery.self) { query, _ in try content.missing(query) }
        dispatcher.on(VerifyVersion.self) { request, _ in try await content.verify(request) }
        dispatcher.on(DistributionPointUsageQuery.self) { _, _ in try await content.usage() }
        dispatcher.on(VersionHeldQuery.self) { query, _ in try await content.held(query) }
        dispatcher.on(RetireVersions.self) { request, _ in try await content.retire(request) }
    }
}
