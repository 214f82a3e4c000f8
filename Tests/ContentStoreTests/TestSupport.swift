import Foundation
@testable import ContentStore

/// A fresh folder under the system temporary folder, removed when `body` returns or throws.
func withTemporaryFolder<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("ContentStoreTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { removeTree(url) }
    return try body(url)
}

/// Removes a tree even if parts of it were made read-only.
func removeTree(_ url: URL) {
    if let walker = FileManager.default.enumerator(atPath: url.path) {
        for case let relative as String in walker {
            let path = url.appendingPathComponent(relative).path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            }
        }
    }
    try? FileManager.default.removeItem(at: url)
}

/// Deterministic pseudo-random bytes (SplitMix64), fast enough for tens of MiB in a debug build.
func pseudoRandomData(count: Int, seed: UInt64) -> Data {
    var data = Data(count: count)
    data.withUnsafeMutableBytes { raw in
        var state = seed
        var offset = 0
        while offset < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            let n = min(8, count - offset)
            withUnsafeBytes(of: z.littleEndian) { word in
                raw.baseAddress!.advanced(by: offset).copyMemory(from: word.baseAddress!, byteCount: n)
            }
            offset += n
        }
    }
    return data
}

/// Writes `data` to `relative` under `root`, creating folders, and sets `mode`.
@discardableResult
func writeFile(_ relative: String, in root: URL, data: Data, mode: Int = 0o644) throws -> URL {
    let url = root.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try data.write(to: url)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    return url
}

func makeFolder(_ relative: String, in root: URL, mode: Int = 0o755) throws {
    let url = root.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
}

func makeLink(_ relative: String, in root: URL, to target: String) throws {
    let url = root.appendingPathComponent(relative)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
}

/// What a tree holds, by relative path: kind, permission bits, content hash or link target.
struct TreeItem: Equatable, CustomStringConvertible {
    var kind: String
    var mode: Int
    var detail: String
    var description: String { "\(kind) \(String(mode, radix: 8)) \(detail)" }
}

func snapshot(of root: URL) throws -> [String: TreeItem] {
    var items: [String: TreeItem] = [:]
    let manager = FileManager.default
    var pending = [""]
    while let folder = pending.popLast() {
        let folderPath = folder.isEmpty ? root.path : root.path + "/" + folder
        for name in try manager.contentsOfDirectory(atPath: folderPath) {
            let relative = folder.isEmpty ? name : folder + "/" + name
            let path = root.path + "/" + relative
            let attributes = try manager.attributesOfItem(atPath: path)
            let mode = (attributes[.posixPermissions] as? Int) ?? -1
            switch attributes[.type] as? FileAttributeType {
            case .typeDirectory?:
                items[relative] = TreeItem(kind: "dir", mode: mode, detail: "")
                pending.append(relative)
            case .typeSymbolicLink?:
                items[relative] = TreeItem(kind: "link", mode: 0, detail: try manager.destinationOfSymbolicLink(atPath: path))
            case .typeRegular?:
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                items[relative] = TreeItem(kind: "file", mode: mode, detail: "\(data.count) \(ContentHash.sha256Hex(data))")
            default:
                items[relative] = TreeItem(kind: "other", mode: mode, detail: "")
            }
        }
    }
    return items
}

let sampleHashA = String(repeating: "a", count: 64)
let sampleHashB = String(repeating: "b", count: 64)
let sampleHashC = String(repeating: "c", count: 64)
