import Bus
import Messages

/// The bus face of DP administration: list, add, set, show, remove.
struct DistributionPointRequests: Sendable {
    let directory: DistributionPointDirectory
    let administration: DistributionPointAdministration
    let usage: DistributionPointUsageCollector
    let pump: OutboxPump

    func register(on dispatcher: inout BusDispatcher) {
        let directory = directory, administration = administration, usage = usage, pump = pump
        dispatcher.on(ListDistributionPoints.self) { _, _ in
            var list = try await directory.list()
            try await usage.fill(&list.points)
            return list
        }
        dispatcher.on(ShowDistributionPoint.self) { request, _ in
            var detail = try await administration.show(request.name)
            var points = [detail.point]
            try await usage.fill(&points)
            detail.point = points[0]
            return detail
        }
        dispatcher.on(AddDistributionPoint.self) { request, _ in
            defer { pump.wake() }
            return try await administration.add(request)
        }
        dispatcher.on(SetDistributionPoint.self) { request, _ in
            defer { pump.wake() }
            return try await administration.set(request)
        }
        dispatcher.on(RemoveDistributionPoint.self) { request, _ in
            defer { pump.wake() }
            return try await administration.remove(request)
        }
    }
}
