import Bus
import Logging
import Messages
import Store

/// The bus face of validation and repair (SPEC C10): the CLI's requests and the PTM's reports.
struct ValidationRequests: Sendable {
    let validations: Validations
    let database: ServiceDatabase
    let logger: Logger

    func register(on dispatcher: inout BusDispatcher) {
        let validations = validations, logger = logger
        dispatcher.on(ValidateDistributionPoint.self) { request, _ in try await validations.validate(request) }
        dispatcher.on(RepairDistributionPoint.self) { request, _ in try await validations.repair(request) }
        dispatcher.onCommand(ValidationReport.self, database: database) { report, _, db in
            try validations.apply(report, db) ? .applied : .skipped("the DP's target moved on since the validation began")
        } afterCommit: { report in
            validations.pump.wake()
            logger.info(report.intact ? "validation: intact" : "validation: damaged", metadata: [
                "dp": "\(report.distributionPoint)", "content": "\(report.contentName)", "version-id": "\(report.versionID)",
                "missing": "\(report.missingChunks)", "corrupt": "\(report.corruptChunks)", "error": "\(report.error ?? "-")"])
        }
    }
}
