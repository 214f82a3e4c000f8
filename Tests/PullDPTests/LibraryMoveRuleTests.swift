@testable import PullDP
import Testing

/// SPEC C11: where a DP's library may move, as a plain rule.
@Suite struct LibraryMoveRuleTests {
    func refusal(_ target: String, entries: [String]? = nil, free: Int64? = 10_000) -> String? {
        LibraryMoveRule.refusal(current: "/srv/dp1/store", target: target, targetEntries: entries, libraryBytes: 1_000, freeBytes: free)
    }

    @Test func C11_aFreshFolderElsewhereWithRoomIsAccepted() {
        #expect(refusal("/mnt/big/library") == nil)
        #expect(refusal("/mnt/big/library", entries: []) == nil, "an empty folder")
        #expect(refusal("/srv/dp1/store-2") == nil, "a sibling whose name starts the same")
    }

    @Test func C11_overlapsFullFoldersAndNoRoomAreRefusedWithTheReason() {
        #expect(refusal("relative/path")?.contains("not an absolute folder") == true)
        #expect(refusal("/srv/dp1/store/")?.contains("already in") == true)
        #expect(refusal("/srv/dp1/store/inner")?.contains("inside the current library") == true)
        #expect(refusal("/srv")?.contains("is inside /srv") == true)
        #expect(refusal("/mnt/used", entries: ["x"])?.contains("not empty") == true)
        #expect(refusal("/mnt/small", free: 1_020)?.contains("bytes free") == true, "5 % headroom")
    }
}
