public import ContentStore

extension ServiceHost {
    /// The service's chunk store in `folder` under its data folder, with temporary files a
    /// day older than the service clock's time (left by interrupted writes) removed.
    public func openStore(_ folder: String) throws -> ChunkStore {
        let store = try ChunkStore(root: settings.dataURL.appendingPathComponent(folder, isDirectory: true))
        store.removeStaleTemporaryFiles(olderThan: 24 * 3600, now: clock.now)
        return store
    }
}
