import Bus
import Logging
import Messages
import Store

/// The bus face of a pull DP: the PTM's notifications and status questions (SPEC T5).
struct PullRequests: Sendable {
    let downloader: PullDownloader
    let logger: Logger

    func register(on dispatcher: inout BusDispatcher) {
        let downloader = downloader, logger = logger
        dispatcher.onCommand(PullNotification.self, database: downloader.database) { notification, _, db in
            try downloader.accept(notification, db) ? .applied : .skipped("the job is known")
        } afterCommit: { notification in
            logger.info("notified: pull", metadata: [
                "job": "\(notification.jobID.uuidString.prefix(8))", "content": "\(notification.contentName)", "version": "\(notification.version)",
                "sources": "\(notification.sources.map { "\($0.name):\($0.rank)" }.joined(separator: ","))",
                "redistribute": "\(notification.redistribute)"])
            downloader.pump?.wake()
            downloader.wake()
        }
        dispatcher.on(PullStatusQuery.self) { query, _ in try await downloader.status(query) }
    }
}
