import HTTPTransfer
import Testing

@Suite struct ByteRangeTests {
    @Test func noHeaderIsWhole() {
        #expect(ByteRange.resolve(nil, length: 1234) == .whole)
    }

    @Test func closedRange() {
        #expect(ByteRange.resolve("bytes=0-499", length: 1234) == .partial(0..<500))
        #expect(ByteRange.resolve("bytes=500-999", length: 1234) == .partial(500..<1000))
        #expect(ByteRange.resolve("bytes=7-7", length: 1234) == .partial(7..<8))
        #expect(ByteRange.resolve("bytes=1233-1233", length: 1234) == .partial(1233..<1234))
    }

    @Test func endPastTheEndIsClamped() {
        #expect(ByteRange.resolve("bytes=1000-5000", length: 1234) == .partial(1000..<1234))
        #expect(ByteRange.resolve("bytes=0-1233", length: 1234) == .partial(0..<1234))
        #expect(ByteRange.resolve("bytes=0-99999999999999999999999", length: 1234) == .partial(0..<1234))
    }

    @Test func openEnded() {
        #expect(ByteRange.resolve("bytes=0-", length: 1234) == .partial(0..<1234))
        #expect(ByteRange.resolve("bytes=1000-", length: 1234) == .partial(1000..<1234))
        #expect(ByteRange.resolve("bytes=1233-", length: 1234) == .partial(1233..<1234))
    }

    @Test func suffixIsTheLastBytes() {
        #expect(ByteRange.resolve("bytes=-500", length: 1234) == .partial(734..<1234))
        #expect(ByteRange.resolve("bytes=-1", length: 1234) == .partial(1233..<1234))
        #expect(ByteRange.resolve("bytes=-1234", length: 1234) == .partial(0..<1234))
        #expect(ByteRange.resolve("bytes=-5000", length: 1234) == .partial(0..<1234))
        #expect(ByteRange.resolve("bytes=-99999999999999999999999", length: 1234) == .partial(0..<1234))
        #expect(ByteRange.resolve("bytes=-0", length: 1234) == .unsatisfiable)
    }

    @Test func startAtOrPastTheEndIsUnsatisfiable() {
        #expect(ByteRange.resolve("bytes=2000-", length: 1234) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=1234-", length: 1234) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=1234-2000", length: 1234) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=99999999999999999999999-", length: 1234) == .unsatisfiable)
    }

    @Test func emptyRepresentation() {
        #expect(ByteRange.resolve("bytes=0-", length: 0) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=0-10", length: 0) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=-10", length: 0) == .unsatisfiable)
        #expect(ByteRange.resolve("bytes=abc", length: 0) == .whole)
        #expect(ByteRange.resolve(nil, length: 0) == .whole)
    }

    @Test(arguments: [
        "", "bytes", "bytes=", "bytes=-", "bytes=abc", "bytes=5-2", "bytes=1-2-3", "bytes=+1-2",
        "bytes=1-x", "bytes=x-1", "bytes 0-10", "=0-10", "bytes=0x10-", "bytes=- 5",
    ])
    func malformedIsWhole(header: String) {
        #expect(ByteRange.resolve(header, length: 1234) == .whole)
    }

    @Test func otherUnitIsWhole() {
        #expect(ByteRange.resolve("items=0-5", length: 1234) == .whole)
        #expect(ByteRange.resolve("none", length: 1234) == .whole)
    }

    @Test func multipleRangesAreWhole() {
        #expect(ByteRange.resolve("bytes=0-1,5-6", length: 1234) == .whole)
        #expect(ByteRange.resolve("bytes=0-1, -5", length: 1234) == .whole)
    }

    @Test func lenientSyntax() {
        #expect(ByteRange.resolve("Bytes=0-9", length: 1234) == .partial(0..<10))
        #expect(ByteRange.resolve("  bytes=0-9  ", length: 1234) == .partial(0..<10))
        #expect(ByteRange.resolve("bytes= 0-9", length: 1234) == .partial(0..<10))
        #expect(ByteRange.resolve("bytes=0-9,", length: 1234) == .partial(0..<10))
    }

    @Test func contentRangeHeaders() {
        #expect(ByteRange.contentRangeHeader(0..<500, length: 1234) == "bytes 0-499/1234")
        #expect(ByteRange.contentRangeHeader(734..<1234, length: 1234) == "bytes 734-1233/1234")
        #expect(ByteRange.unsatisfiedContentRangeHeader(length: 1234) == "bytes */1234")
    }

    @Test func parseContentRange() {
        let a = ByteRange.parseContentRange("bytes 0-499/1234")
        #expect(a?.range == 0..<500 && a?.length == 1234)
        let b = ByteRange.parseContentRange("bytes */1234")
        #expect(b != nil && b?.range == nil && b?.length == 1234)
        let c = ByteRange.parseContentRange("bytes 10-19/*")
        #expect(c?.range == 10..<20 && c != nil && c?.length == nil)
        #expect(ByteRange.parseContentRange("bytes 5-2/10") == nil)
        #expect(ByteRange.parseContentRange("bytes 0-10/10") == nil)
        #expect(ByteRange.parseContentRange("items 0-1/10") == nil)
        #expect(ByteRange.parseContentRange("bytes */*") == nil)
    }
}
