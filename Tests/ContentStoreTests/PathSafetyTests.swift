import Foundation
import Testing
@testable import ContentStore

@Suite("PathSafety")
struct PathSafetyTests {
    @Test("unsafe paths are refused with .unsafePath naming the path",
          arguments: ["../x", "a/../../b", "a/..", "..", "/etc/passwd", "/", "", "a\u{0}b", "\\server\\share",
                      "\\x", "C:\\Windows", "c:x", "a\\..\\b", ".", "./", "//", "./."])
    func refused(path: String) {
        #expect {
            try PathSafety.normalise(path)
        } throws: { error in
            guard case let .unsafePath(reported, reason)? = error as? ContentStoreError else { return false }
            return reported == path && !reason.isEmpty
        }
    }

    @Test("safe paths are normalised",
          arguments: [("a//b/./c", "a/b/c"), ("./a/", "a"), ("a/b/", "a/b"), ("a", "a"),
                      ("dir with space/file name.txt", "dir with space/file name.txt"),
                      ("e\u{301}t\u{e9}/caf\u{65}\u{301}", "\u{e9}t\u{e9}/caf\u{e9}"),
                      ("...", "..."), ("a/..b/c..", "a/..b/c.."), (".hidden/x", ".hidden/x"), ("日本語/ファイル", "日本語/ファイル")])
    func normalised(input: String, expected: String) throws {
        let result = try PathSafety.normalise(input)
        #expect(result == expected)
        #expect(Array(result.unicodeScalars) == Array(expected.unicodeScalars))
        #expect(try PathSafety.normalise(result) == result)
    }

    @Test("error descriptions are one readable line, with control characters escaped")
    func descriptions() {
        let error = ContentStoreError.unsafePath("a\u{0}b\nc", reason: "the path contains a NUL character")
        #expect(error.description == #"unsafe path "a\u{0}b\u{a}c": the path contains a NUL character"#)
        let all: [ContentStoreError] = [
            .unsafePath("../x", reason: "r"), .hashMismatch(expected: sampleHashA, actual: sampleHashB),
            .missingChunk(sampleHashA), .malformedManifest("m"), .notADirectory("/nope"), .invalidHash("xyz"), .io("boom"),
        ]
        for error in all {
            #expect(!error.description.contains("\n"))
            #expect(error.description.count > 5)
        }
        #expect(ContentStoreError.invalidHash("xyz").description.contains("64 lowercase hexadecimal"))
    }

    @Test("links are checked lexically and through other links")
    func linkResolution() throws {
        let links = ["current": "v2", "up": "..", "a/up": "..", "lib/loop1": "loop2/x", "lib/loop2": "loop1/x"]
        try PathSafety.checkLink(at: "bin", target: "current/bin", links: links)
        try PathSafety.checkLink(at: "a/b/link", target: "../../c", links: links)
        try PathSafety.checkLink(at: "a/link", target: "./x/../y", links: links)
        try PathSafety.checkLink(at: "a/up", target: "..", links: links)
        for (path, target) in [("x", ".."), ("a/b/link", "../../../c"), ("a/x", "up/.."), ("l", "/etc/passwd"),
                               ("l", ""), ("l", "..\\..\\x"), ("lib/loop1", "loop2/x")] {
            #expect(throws: ContentStoreError.self, "\(path) -> \(target)") {
                try PathSafety.checkLink(at: path, target: target, links: links)
            }
        }
    }
}
