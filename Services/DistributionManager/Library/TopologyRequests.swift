import Bus
import Messages

/// The bus face of the site's topology: boundary groups and DP settings.
struct TopologyRequests: Sendable {
    let topology: SiteTopology
    let directory: DistributionPointDirectory
    let pump: OutboxPump

    func register(on dispatcher: inout BusDispatcher) {
        let topology = topology, directory = directory, pump = pump
        dispatcher.on(CreateBoundaryGroup.self) { request, _ in
            defer { pump.wake() }
            return try await topology.createGroup(request)
        }
        dispatcher.on(AddBoundaryGroupMember.self) { request, _ in
            defer { pump.wake() }
            return try await topology.addMember(request)
        }
        dispatcher.on(ListBoundaryGroups.self) { _, _ in try await topology.list() }
        dispatcher.on(SetDistributionPoint.self) { request, _ in
            // The PTM enforces schedules, rate limits and DP priorities from the policies the
            // site sends it; the site does not record or send them yet, so refuse them
            // rather than accept and ignore them.
            if request.schedule != nil || request.rateLimit != nil || request.priority != nil || request.automaticPriority != nil
                || request.onSiteServer != nil {
                throw WireError(code: .invalidArgument,
                                message: "schedules, rate limits, priorities and the site-server flag cannot be set through the site yet; only --allow-fallback")
            }
            defer { pump.wake() }
            try await topology.setDistributionPoint(request)
            let list = try await directory.list()
            guard let point = list.points.first(where: { $0.name == request.name }) else {
                throw WireError(code: .notFound, message: "no distribution point named '\(request.name)'")
            }
            return DistributionPointDetail(point: point, lastTransferSeconds: nil, lastTransferBytes: nil, queue: [])
        }
    }
}
