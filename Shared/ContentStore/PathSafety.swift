import Foundation

/// Checks and normalises the relative paths that manifests carry, so no path can leave the content root.
public enum PathSafety {
    /// Returns the normalised relative path ("/"-separated, NFC, no "." or empty components, no trailing
    /// slash), or throws `.unsafePath`: empty, NUL, absolute ("/x", "\x", "C:…"), or any ".." component
    /// (also between backslashes, which Windows would treat as separators).
    public static func normalise(_ relativePath: String) throws -> String {
        func unsafe(_ reason: String) -> ContentStoreError { .unsafePath(relativePath, reason: reason) }
        guard !relativePath.isEmpty else { throw unsafe("the path is empty") }
        guard !relativePath.utf8.contains(0) else { throw unsafe("the path contains a NUL character") }
        let path = relativePath.precomposedStringWithCanonicalMapping
        let utf8 = Array(path.utf8.prefix(3))
        if utf8.first == UInt8(ascii: "/") { throw unsafe("the path is absolute") }
        if utf8.first == UInt8(ascii: "\\") { throw unsafe("the path is absolute (it starts with a backslash)") }
        if utf8.count >= 2, utf8[1] == UInt8(ascii: ":"),
           (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(utf8[0] | 0x20) {
            throw unsafe("the path starts with a drive letter")
        }
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == "." { continue }
            if component == ".." { throw unsafe("the path has a \"..\" component") }
            if component.contains("\\"),
               component.split(separator: "\\", omittingEmptySubsequences: true).contains("..") {
                throw unsafe("the path has a \"..\" component between backslashes")
            }
            components.append(component)
        }
        guard !components.isEmpty else { throw unsafe("the path names no file (empty after normalisation)") }
        return components.joined(separator: "/")
    }

    /// Throws `.unsafePath` when a symbolic link at `linkPath` (normalised) with `target` would resolve, lexically
    /// and through the other links in `links` (normalised path → target), to a place outside the root.
    /// Targets must be relative; a dangling target that stays inside is accepted.
    static func checkLink(at linkPath: String, target: String, links: [String: String]) throws {
        func outside(_ reason: String) -> ContentStoreError {
            .unsafePath(linkPath, reason: "symbolic link to \(ContentStoreError.quoted(target)) \(reason)")
        }
        guard !target.isEmpty else { throw outside("has an empty target") }
        guard !target.utf8.contains(0) else { throw outside("has a NUL character in its target") }
        let first = target.utf8.first
        if first == UInt8(ascii: "/") || first == UInt8(ascii: "\\") { throw outside("has an absolute target") }
        let head = Array(target.utf8.prefix(2))
        if head.count == 2, head[1] == UInt8(ascii: ":"), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(head[0] | 0x20) {
            throw outside("has a target that starts with a drive letter")
        }
        for component in target.split(separator: "/") where component.contains("\\") {
            if component.split(separator: "\\").contains("..") { throw outside("has a \"..\" component between backslashes") }
        }
        var resolved = linkPath.split(separator: "/").dropLast().map(String.init)
        var pending = Array(components(of: target).reversed())
        var expansions = 0
        while let component = pending.popLast() {
            if component == ".." {
                guard !resolved.isEmpty else { throw outside("leads outside the content root") }
                resolved.removeLast()
                continue
            }
            resolved.append(component)
            // A link in the middle of the path is followed (as the kernel would) before going on.
            if !pending.isEmpty, let next = links[resolved.joined(separator: "/")] {
                expansions += 1
                guard expansions <= 40 else { throw outside("goes through too many symbolic links (a loop?)") }
                let nextFirst = next.utf8.first
                if next.isEmpty || nextFirst == UInt8(ascii: "/") || nextFirst == UInt8(ascii: "\\") {
                    throw outside("goes through a symbolic link with an absolute or empty target")
                }
                resolved.removeLast()
                pending.append(contentsOf: components(of: next).reversed())
            }
        }
    }

    /// Components of a link target, without empty and "." components (the resolver handles "..").
    private static func components(of target: String) -> [String] {
        target.precomposedStringWithCanonicalMapping
            .split(separator: "/", omittingEmptySubsequences: true)
            .filter { $0 != "." }
            .map(String.init)
    }
}
