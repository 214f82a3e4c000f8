import Bus
import Clocks
import Foundation
import GRDB
import Logging
import Messages
import ServiceKit
import Store

/// Adding, changing, showing and removing the site's DPs at run time (issue 16), each
/// change effective without a restart: the PTM gets the new policy and the MP a new
/// snapshot in the transaction that makes it.
struct DistributionPointAdministration: Sendable {
    let database: ServiceDatabase
    let clock: any ServiceClock
    let logger: Logger
    let topology: SiteTopology
    let policies: TransferPolicyPublisher
    /// The bus is CurveZMQ: a DP added without its public key could never be reached.
    let requiresPublicKeys: Bool

    /// What a remove does to the files in the DP's own store.
    static let filesLeftInPlace = "left in place on the DP; the site no longer counts or sends clients to them, and adding the DP again reuses every chunk it still holds"

    func add(_ request: AddDistributionPoint) async throws -> DistributionPointDetail {
        let name = try Self.validName(request.name)
        let check = SettingsValidator(file: URL(fileURLWithPath: "dp add"))
        do {
            try check.busEndpoint(request.busEndpoint, "busEndpoint")
            try check.httpURL(request.httpURL, "httpURL")
        } catch let error as ConfigurationError {
            throw WireError(code: .invalidArgument, message: error.description.replacingOccurrences(of: "/dp add: setting ", with: ""))
        }
        switch request.publicKey {
        case let key? where !CurveKeyPair.isValid(key):
            throw WireError(code: .invalidArgument, message: "the DP's public key must be 40 Z85 characters (its bus key file's .pub), got \(key.utf8.count)")
        case nil where requiresPublicKeys:
            throw WireError(code: .invalidArgument, message: "give the DP's CurveZMQ public key (--public-key or --public-key-file): the site's bus is encrypted")
        default: break
        }
        try await database.write { [policies, topology] db in
            if try DistributionPointRecord.exists(db, key: name) {
                throw WireError(code: .conflict, message: "distribution point '\(name)' already exists; change it with 'ferry dp set \(name)'")
            }
            try db.execute(sql: "DELETE FROM removedDistributionPoint WHERE name = ?", arguments: [name])
            var point = DistributionPointRecord(name: name, busEndpoint: request.busEndpoint, httpURL: request.httpURL,
                                                publicKey: request.publicKey, onSiteServer: request.onSiteServer ?? false)
            try point.insert(db)
            try policies.publish(&point, db)
            try topology.enqueueSnapshot(db)
        }
        logger.info("distribution point added", metadata: ["dp": "\(name)", "bus": "\(request.busEndpoint)", "http": "\(request.httpURL)",
                                                           "on-site-server": "\(request.onSiteServer ?? false)"])
        return try await show(name)
    }

    /// Applies the fields given; refuses the whole change, and changes nothing, if one is wrong.
    func set(_ request: SetDistributionPoint) async throws -> DistributionPointDetail {
        let policyFields = request.schedule != nil || request.rateLimit != nil || request.priority != nil
            || request.automaticPriority != nil || request.onSiteServer != nil
        guard policyFields || request.allowFallback != nil || request.pullSources != nil || request.prestaged != nil
                || request.validationIntervalSeconds != nil else {
            throw WireError(code: .invalidArgument, message: "nothing to change for '\(request.name)'")
        }
        if request.priority != nil, request.automaticPriority == true {
            throw WireError(code: .invalidArgument, message: "give either a priority or 'auto', not both")
        }
        let manualPriority = try request.priority.map(DistributionPointPriorityMeter.validManual)
        if let schedule = request.schedule, !schedule.isWellFormed {
            throw WireError(code: .invalidArgument, message: "a schedule has \(TransferSchedule.hoursPerWeek) hourly cells, got \(schedule.cells.count)")
        }
        if let rateLimit = request.rateLimit, !rateLimit.isWellFormed {
            throw WireError(code: .invalidArgument, message: "the rate limit '\(rateLimit.text)' is malformed")
        }
        let changed = try await database.write { [policies, topology] db -> DistributionPointRecord in
            var point = try DistributionPointRecord.require(request.name, db)
            let onSiteServer = request.onSiteServer ?? point.onSiteServer
            if onSiteServer, request.schedule != nil || request.rateLimit != nil {
                throw WireError(code: .invalidArgument,
                                message: "\(point.name) is on the site server, where no schedule or rate limit applies (SPEC T3); give --on-site-server false to make it a remote DP")
            }
            if let sources = request.pullSources {
                try Self.checkPull(point, onSiteServer: onSiteServer, sources: sources, db)
                point.pullSources = sources.isEmpty ? nil : try EnvelopeCodec.json(sources)
            } else if onSiteServer, point.isPull {
                throw WireError(code: .invalidArgument,
                                message: "\(point.name) is a pull DP; a DP on the site server cannot pull (SPEC P2): give --no-pull first")
            }
            if request.prestaged ?? point.prestaged, onSiteServer {
                throw WireError(code: .invalidArgument,
                                message: "\(point.name) is on the site server, which reads the site library itself: it cannot be enabled for prestaged content (SPEC C9)")
            }
            if let prestaged = request.prestaged { point.prestaged = prestaged }
            if let seconds = request.validationIntervalSeconds {
                guard seconds.isFinite, seconds <= 366 * 86_400, seconds < 0 || seconds == 0 || seconds >= 60 else {
                    throw WireError(code: .invalidArgument, message: "a validation interval is 0 (never) or 1 minute to 366 days")
                }
                point.validationIntervalSeconds = seconds < 0 ? nil : seconds
            }
            point.onSiteServer = onSiteServer
            if let schedule = request.schedule { point.schedule = try EnvelopeCodec.json(schedule) }
            if let rateLimit = request.rateLimit { point.rateLimit = try EnvelopeCodec.json(rateLimit) }
            if let manualPriority {
                point.priority = manualPriority
                point.priorityManual = true
            }
            if request.automaticPriority == true, point.priorityManual {
                point.priorityManual = false
                point.priority = point.lastTransferSeconds.flatMap { seconds in
                    point.lastTransferBytes.flatMap { DistributionPointPriorityMeter.measured(seconds: seconds, bytes: $0) }
                } ?? DistributionPointPolicy.defaultPriority
            }
            if let allowFallback = request.allowFallback { point.allowFallback = allowFallback }
            try point.update(db)
            if policyFields { try policies.publish(&point, db) }
            if request.allowFallback != nil || request.pullSources != nil { try topology.enqueueSnapshot(db) }
            return point
        }
        let policy = try changed.policy()
        logger.info("distribution point changed", metadata: [
            "dp": "\(changed.name)", "on-site-server": "\(changed.onSiteServer)", "schedule": "\(policy.schedule.rules.joined(separator: "; "))",
            "rate": "\(policy.rateLimit.text)", "priority": "\(changed.priority)\(changed.priorityManual ? " (manual)" : "")",
            "fallback": "\(changed.allowFallback)", "revision": "\(changed.policyRevision)",
            "pull-sources": "\((try? changed.rankedSources())?.map { "\($0.name):\($0.rank)" }.joined(separator: ",") ?? "-")",
            "prestaged": "\(changed.prestaged)"])
        return try await show(changed.name)
    }

    func show(_ name: String) async throws -> DistributionPointDetail {
        try await database.read { db in
            let point = try DistributionPointRecord.require(name, db)
            let targets = try TargetRecord.filter(Column("distributionPoint") == point.name)
                .order(Column("updatedAt").desc, Column("contentName")).fetchAll(db)
            return DistributionPointDetail(point: try DistributionPointDirectory.summary(point, db),
                                           lastTransferSeconds: point.lastTransferSeconds, lastTransferBytes: point.lastTransferBytes,
                                           queue: targets.map { DistributionQueueEntry(content: $0.contentName, target: $0.status) })
        }
    }

    /// Forgets the DP: its targets, the versions it held, its group memberships. Its own
    /// files are not touched (the site cannot reach a DP it no longer trusts to ask).
    func remove(_ request: RemoveDistributionPoint) async throws -> DistributionPointRemoved {
        let removed = try await database.write { [clock, policies, topology] db -> DistributionPointRemoved in
            let point = try DistributionPointRecord.require(request.name, db)
            let dependents = PullSourceRules.dependents(of: point.name, points: try Self.pullRulePoints(db))
            guard dependents.isEmpty else {
                throw WireError(code: .conflict, message: "\(point.name) is a source of pull DP(s) \(dependents.joined(separator: ", ")); give them other sources first ('ferry dp set NAME --source ...')")
            }
            let targets = TargetRecord.filter(Column("distributionPoint") == point.name)
            let stopped = try targets.filter([DistributionState.waiting.rawValue, DistributionState.inProgress.rawValue].contains(Column("state")))
                .fetchCount(db)
            try targets.deleteAll(db)
            let forgotten = try InstalledVersionRecord.filter(Column("distributionPoint") == point.name).deleteAll(db)
            let groups = try String.fetchAll(db, sql: "SELECT groupName FROM distributionPointGroupMember WHERE distributionPoint = ? ORDER BY groupName",
                                             arguments: [point.name])
            try db.execute(sql: "DELETE FROM distributionPointGroupMember WHERE distributionPoint = ?", arguments: [point.name])
            try db.execute(sql: "DELETE FROM validationFinding WHERE distributionPoint = ?", arguments: [point.name])
            try db.execute(sql: "DELETE FROM validationSchedule WHERE distributionPoint = ?", arguments: [point.name])
            let boundaryGroups = try String.fetchAll(db, sql: "SELECT groupName FROM boundaryMember WHERE distributionPoint = ? ORDER BY groupName",
                                                     arguments: [point.name])
            try db.execute(sql: "DELETE FROM boundaryMember WHERE distributionPoint = ?", arguments: [point.name])
            try point.delete(db)
            try db.execute(sql: "INSERT OR REPLACE INTO removedDistributionPoint (name, removedAt) VALUES (?, ?)",
                           arguments: [point.name, clock.now.timeIntervalSince1970])
            try policies.publishRemoval(of: point.name, db)
            try topology.enqueueSnapshot(db)
            return DistributionPointRemoved(name: point.name, forgottenVersions: forgotten, stoppedTransfers: stopped, groups: groups,
                                            boundaryGroups: boundaryGroups, filesOnDistributionPoint: Self.filesLeftInPlace)
        }
        logger.notice("distribution point removed", metadata: [
            "dp": "\(removed.name)", "forgotten-versions": "\(removed.forgottenVersions)", "stopped-transfers": "\(removed.stoppedTransfers)",
            "dp-groups": "\(removed.groups.joined(separator: ","))", "boundary-groups": "\(removed.boundaryGroups.joined(separator: ","))",
            "files": "\(removed.filesOnDistributionPoint)"])
        return removed
    }

    /// Measures the DP's priority from a finished transfer, unless it is set by hand;
    /// runs in the report's inbox transaction.
    func recordTransfer(_ report: TransferReport, _ db: Database) throws {
        guard report.outcome == .installed, let seconds = report.durationSeconds,
              var point = try DistributionPointRecord.fetchOne(db, key: report.distributionPoint),
              let measured = DistributionPointPriorityMeter.measured(seconds: seconds, bytes: report.bytesPushed) else { return }
        point.lastTransferSeconds = seconds
        point.lastTransferBytes = report.bytesPushed
        guard !point.priorityManual, measured != point.priority else { return try point.update(db) }
        point.priority = measured
        try point.update(db)
        try policies.publish(&point, db)
    }

    /// Refuses a pull configuration ``PullSourceRules`` does not allow, with its reason.
    private static func checkPull(_ point: DistributionPointRecord, onSiteServer: Bool, sources: [PullSource], _ db: Database) throws {
        var rulePoint = try point.pullRulePoint()
        rulePoint.onSiteServer = onSiteServer
        let points = try pullRulePoints(db)
        do {
            try PullSourceRules.check(rulePoint, sources: sources, points: points)
        } catch {
            throw WireError(code: .invalidArgument, message: error.description)
        }
    }

    /// Every DP of the site as ``PullSourceRules`` sees it.
    static func pullRulePoints(_ db: Database) throws -> [String: PullSourceRules.Point] {
        Dictionary(try DistributionPointRecord.fetchAll(db).map { ($0.name, try $0.pullRulePoint()) }, uniquingKeysWith: { $1 })
    }

    /// A DP's name: 1–64 letters, digits, '.', '_' or '-' (it appears in commands, logs and URLs).
    static func validName(_ name: String) throws -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-"))
        guard !name.isEmpty, name.count <= 64, name.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
            throw WireError(code: .invalidArgument, message: "invalid DP name '\(name)': use 1-64 letters, digits, '.', '_' or '-'")
        }
        return name
    }
}
