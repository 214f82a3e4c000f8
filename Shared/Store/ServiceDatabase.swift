public import Foundation
public import GRDB

/// One service's own SQLite database: WAL mode, migrations, and the messaging tables.
///
/// Only the owning service opens this file. Open it once per process and share the value;
/// GRDB's pool serialises writes and lets reads run beside them.
public final class ServiceDatabase: Sendable {
    public let pool: DatabasePool
    public let url: URL

    /// Opens (creating if needed) the database at `url` and runs `migrator` plus the outbox
    /// and inbox migrations every bus user needs.
    public init(url: URL, migrator: DatabaseMigrator) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: url.path, configuration: configuration)
        self.url = url
        var all = migrator
        MessagingTables.register(in: &all)
        try all.migrate(pool)
    }

    /// Runs `body` in one write transaction.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    /// Runs `body` on a read-only snapshot.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }
}
