@testable import ManagementPoint
import Messages
import Testing

/// Issue 14 item 1: a forged snapshot with sequence 2⁶³−1 made the MP ignore every real one
/// after it; implausible jumps are now refused.
@Suite("SnapshotSequenceRule")
struct SnapshotSequenceRuleTests {
    let rule = SnapshotSequenceRule(maximumJump: 1_000)

    @Test func aNewerSequenceWithinTheJumpReplacesTheHeldOne() throws {
        #expect(try rule.decide(received: 8, held: 7) == .newer)
        #expect(try rule.decide(received: 1_007, held: 7) == .newer)
    }

    @Test func anOlderOrEqualSequenceIsSkipped() throws {
        #expect(try rule.decide(received: 6, held: 7) == .older)
        #expect(try rule.decide(received: 7, held: 7) == .older)
        #expect(try rule.decide(received: Int64.min, held: 7) == .older)
    }

    @Test("Issue 14: a jump past the limit is refused, also to a fresh MP")
    func implausibleJumpsAreRefused() {
        #expect(throws: WireError.self) { try rule.decide(received: 1_008, held: 7) }
        #expect(throws: WireError.self) { try rule.decide(received: Int64.max, held: 7) }
        #expect(throws: WireError.self) { try rule.decide(received: Int64.max, held: 0) }
    }

    @Test func aFreshMPAcceptsTheSitesCounterWhereverItStands() throws {
        #expect(try rule.decide(received: 5_000_000, held: 0) == .newer)
    }
}
