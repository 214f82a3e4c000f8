import Foundation

/// Where a DP's library move stands (SPEC C11).
public enum LibraryMovePhase: String, Codable, Sendable {
    /// No move was ever asked for.
    case idle
    /// Copying and checking; the old folder is the library.
    case copying
    /// The DP serves from the new folder; the old one is being removed.
    case switched
    /// Finished: the new folder is the library and the configuration names it.
    case done
    /// Stopped with the reason; the old folder is still the library.
    case failed
}

/// Admin to site: move a DP's content library to another folder on its host, or (no
/// folder) say how the last move stands; relayed to the DP.
public struct MoveLibrary: Message {
    public static let wireName = "dp.library.move"
    public static let summary = "Move a DP's content library to another folder (online, verified, resumable), or with no folder show the move's state; replies dp.library.status."
    public static let example = MoveLibrary(distributionPoint: "dp1", folder: "/srv/ferry/library")
    public var distributionPoint: String
    /// An absolute folder on the DP's host, absent or empty; nil: the state only.
    public var folder: String?
    public init(distributionPoint: String, folder: String?) {
        self.distributionPoint = distributionPoint
        self.folder = folder
    }
}

/// A DP's library move as it stands.
public struct LibraryMoveStatus: Message {
    public static let wireName = "dp.library.status"
    public static let summary = "A DP's library folder and its move: phase, target, chunks and bytes copied, corrupt chunks left behind."
    public static let example = LibraryMoveStatus(distributionPoint: "dp1", libraryFolder: "/srv/ferry/dp1/store", phase: .copying,
                                                  target: "/srv/ferry/library", copiedChunks: 1200, totalChunks: 3200,
                                                  copiedBytes: 78_643_200, totalBytes: 209_715_200, corruptChunks: 0, detail: "pass 1")
    public var distributionPoint: String
    /// The folder the DP serves from now.
    public var libraryFolder: String
    public var phase: LibraryMovePhase
    public var target: String?
    public var copiedChunks: Int
    public var totalChunks: Int
    public var copiedBytes: Int64
    public var totalBytes: Int64
    /// Chunks that no longer hash to their name: not copied (validation then finds them missing; a repair sends them).
    public var corruptChunks: Int
    public var detail: String?
    public init(distributionPoint: String, libraryFolder: String, phase: LibraryMovePhase, target: String?, copiedChunks: Int, totalChunks: Int,
                copiedBytes: Int64, totalBytes: Int64, corruptChunks: Int, detail: String?) {
        self.distributionPoint = distributionPoint
        self.libraryFolder = libraryFolder
        self.phase = phase
        self.target = target
        self.copiedChunks = copiedChunks
        self.totalChunks = totalChunks
        self.copiedBytes = copiedBytes
        self.totalBytes = totalBytes
        self.corruptChunks = corruptChunks
        self.detail = detail
    }
}
