import Foundation

extension ClusterManager {
    /// Where a local cluster's distribution manager may import from unless `cluster up
    /// --source-root` says otherwise: the system temporary folder and the user's home folder.
    public static var defaultSourceRoots: [String] {
        var roots = [FileManager.default.temporaryDirectory.resolvingSymlinksInPath().standardizedFileURL.path]
        let home = FileManager.default.homeDirectoryForCurrentUser.resolvingSymlinksInPath().standardizedFileURL.path
        if home != "/", !roots.contains(home) { roots.append(home) }
        return roots.map { $0.count > 1 && $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }
}
