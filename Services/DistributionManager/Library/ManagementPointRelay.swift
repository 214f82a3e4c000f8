import Bus
import Messages

/// Keeps the site the CLI's single entry point for answers that are the MP's own: agent
/// lists and content location are passed to the management point and back.
struct ManagementPointRelay: Sendable {
    let managementPoint: BusClient?

    func register(on dispatcher: inout BusDispatcher) {
        let relay = self
        dispatcher.on(ListAgents.self) { request, _ in try await relay.relay(request) }
        dispatcher.on(ContentLocationQuery.self) { query, _ in try await relay.relay(query) }
        dispatcher.on(LocationExplainQuery.self) { query, _ in try await relay.relay(query) }
    }

    /// The MP's refusals keep their code; an unreachable MP is `unavailable`.
    func relay<R: Request>(_ request: R) async throws -> R.Reply {
        guard let managementPoint else {
            throw WireError(code: .unavailable, message: "no management point is configured for this site")
        }
        do {
            return try await managementPoint.request(request, timeout: .seconds(10))
        } catch let error as BusError {
            if case .remote(_, let wire) = error { throw wire }
            throw WireError(code: .unavailable, message: "\(error)")
        }
    }
}
