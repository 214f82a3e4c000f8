import Foundation
import Messages

/// Which folders the site may import content from (SPEC C1; issue 14's source roots).
///
/// A source must be an absolute path that, links resolved, is one of the configured roots
/// or lies inside one (checked before anything about the path is told), must exist, and
/// must overlap none of the site's own folders (its data, its keys).
struct SourceFolderPolicy: Sendable {
    /// The roots, links resolved.
    let roots: [String]
    /// Folders a source may neither be, contain, nor lie inside.
    let protectedFolders: [URL]

    init(roots: [String], protectedFolders: [URL]) {
        self.roots = roots.map(Self.resolved)
        self.protectedFolders = protectedFolders
    }

    /// The folder to import for `path`, links resolved; a clear refusal otherwise.
    func folder(for path: String) throws -> URL {
        guard path.hasPrefix("/") else {
            throw WireError(code: .invalidArgument, message: "source folder must be an absolute path on the site server: '\(path)'")
        }
        let sourcePath = Self.resolved(path)
        guard roots.contains(where: { root in sourcePath == root || sourcePath.hasPrefix(root == "/" ? "/" : root + "/") }) else {
            throw WireError(code: .invalidArgument, message: """
                source folder '\(path)' is outside the site's source roots (\(roots.joined(separator: ", "))); \
                the distribution manager imports only from the folders its configuration lists under sourceRoots
                """)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WireError(code: .notFound, message: "source folder '\(path)' does not exist or is not a folder")
        }
        for folder in protectedFolders {
            let protected = folder.resolvingSymlinksInPath().standardizedFileURL.path
            if protected == sourcePath || protected.hasPrefix(sourcePath == "/" ? "/" : sourcePath + "/")
                || sourcePath.hasPrefix(protected + "/") {
                throw WireError(code: .invalidArgument,
                                message: "source folder '\(path)' overlaps the site's own data or keys (\(protected)); choose a folder of its own")
            }
        }
        return URL(fileURLWithPath: sourcePath, isDirectory: true)
    }

    /// `path` standardized with every symbolic link resolved (as far as the path exists).
    static func resolved(_ path: String) -> String {
        var text = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        while text.count > 1 && text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
