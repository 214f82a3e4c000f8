import Bus
import Logging
import Messages
import Store

/// The bus face of the content catalog: contents, versions, distributions and the PTM's
/// progress and reports.
struct ContentRequests: Sendable {
    let catalog: ContentCatalog
    let distributions: Distributions
    let administration: DistributionPointAdministration
    let database: ServiceDatabase
    let pump: OutboxPump
    let logger: Logger

    func register(on dispatcher: inout BusDispatcher) {
        let catalog = catalog, distributions = distributions, administration = administration, pump = pump, logger = logger
        dispatcher.on(CreateContent.self) { request, _ in
            defer { pump.wake() }
            return try await catalog.create(request)
        }
        dispatcher.on(UpdateContent.self) { request, _ in
            defer { pump.wake() }
            return try await catalog.update(request)
        }
        dispatcher.on(SetContent.self) { request, _ in
            defer { pump.wake() }
            return try await catalog.set(request)
        }
        dispatcher.on(ListContents.self) { _, _ in try await catalog.list() }
        dispatcher.on(ShowContent.self) { request, _ in try await catalog.show(request.name) }
        dispatcher.on(Distribute.self) { request, _ in
            let (accepted, queued) = try await distributions.distribute(request)
            if queued > 0 { pump.wake() }
            return accepted
        }
        dispatcher.on(DistributionStatusQuery.self) { request, _ in try await distributions.status(request.name) }
        dispatcher.on(TransferProgress.self) { progress, envelope in
            try await distributions.applyProgress(progress)
            return Ack(messageID: envelope.id, duplicate: false)
        }
        dispatcher.onCommand(TransferReport.self, database: database) { report, _, db in
            guard try distributions.applyReport(report, db) else { return .skipped("the target has its end already, or its DP was removed") }
            try administration.recordTransfer(report, db)
            return .applied
        } afterCommit: { report in
            pump.wake()
            logger.info("distribution \(report.outcome.rawValue)", metadata: [
                "dp": "\(report.distributionPoint)", "version-id": "\(report.versionID)", "job": "\(report.jobID)",
                "bytes-pushed": "\(report.bytesPushed)", "chunks-pushed": "\(report.chunksPushed)",
                "reason": "\(report.reason ?? "-")"])
        }
        dispatcher.onCommand(PullStatusReport.self, database: database) { report, _, db in
            try distributions.applyPullStatus(report, db) ? .applied : .skipped("no pull job waits for this status")
        } afterCommit: { report in
            pump.wake()
            let status = report.status
            logger.info("pull DP status", metadata: [
                "dp": "\(status.distributionPoint)", "content": "\(status.contentName)", "version-id": "\(status.versionID)",
                "job": "\(status.jobID)", "state": "\(status.state.rawValue)", "source": "\(status.source ?? "-")",
                "bytes": "\(status.bytesDone)", "detail": "\(status.detail ?? "-")"])
        }
        dispatcher.onCommand(OnDemandDistribution.self, database: database) { request, _, db in
            _ = try distributions.applyOnDemand(request, db)
            return .applied
        } afterCommit: { request in
            pump.wake()
            logger.info("on-demand distribution requested", metadata: [
                "content": "\(request.content)", "version-id": "\(request.versionID)", "client": "\(request.clientAddress)",
                "dps": "\(request.distributionPoints.joined(separator: ","))"])
        }
    }
}
