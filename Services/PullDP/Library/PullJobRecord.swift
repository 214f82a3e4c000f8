import Foundation
import GRDB
import Messages
import Store

/// One pull job as the pull DP keeps it: the PTM's notification and where the pull stands.
struct PullJobRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "pullJob"
    var jobID: String
    var notification: Data
    var contentName: String
    var versionID: String
    var state: PullState
    var bytesDone: Int64
    var bytesTotal: Int64
    var source: String?
    var detail: String?
    var nextAttemptAt: Double
    var attempts: Int
    var createdAt: Double
    var updatedAt: Double

    init(_ notification: PullNotification, now: Date) throws {
        jobID = notification.jobID.uuidString
        self.notification = try EnvelopeCodec.json(notification)
        contentName = notification.contentName
        versionID = notification.versionID
        state = .waitingForSource
        bytesDone = 0
        bytesTotal = notification.totalBytes
        detail = "notified; starting"
        nextAttemptAt = now.timeIntervalSince1970
        attempts = 0
        createdAt = now.timeIntervalSince1970
        updatedAt = now.timeIntervalSince1970
    }

    func decodedNotification() throws -> PullNotification { try EnvelopeCodec.value(PullNotification.self, from: notification) }

    func status(distributionPoint: String) -> PullJobStatus {
        PullJobStatus(jobID: UUID(uuidString: jobID) ?? UUID(), distributionPoint: distributionPoint, contentName: contentName,
                      versionID: versionID, state: state, bytesDone: bytesDone, bytesTotal: bytesTotal, source: source, detail: detail,
                      nextAttemptAt: state == .waitingForSource ? Date(timeIntervalSince1970: nextAttemptAt) : nil,
                      updatedAt: Date(timeIntervalSince1970: updatedAt))
    }
}
