@testable import ContentTransfer
import Testing

/// Issue 15 item 3, SPEC P2: a pull DP's source DPs are asked lowest priority value first, at
/// random among equal values, and the next value is tried when the content is missing.
@Suite("RankedSources")
struct RankedSourcesTests {
    /// A deterministic generator (Knuth's MMIX linear congruential one: weak randomness, but
    /// each seed gives its own draws), so a test picks the random order by picking the seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    static let sources = RankedSources([
        .init("c1", priority: 3), .init("a1", priority: 1), .init("b1", priority: 2),
        .init("a2", priority: 1), .init("b2", priority: 2), .init("a3", priority: 1),
    ])

    @Test("SPEC P2: the lowest priority value first, every value's sources before the next value's")
    func lowestValueFirst() {
        #expect(Self.sources.tiers == [["a1", "a2", "a3"], ["b1", "b2"], ["c1"]])
        for seed in 0..<50 {
            var generator = SeededGenerator(state: UInt64(seed))
            let order = Self.sources.order(using: &generator)
            #expect(Set(order.prefix(3)) == ["a1", "a2", "a3"])
            #expect(Set(order.dropFirst(3).prefix(2)) == ["b1", "b2"])
            #expect(order.last == "c1")
        }
    }

    @Test("SPEC P2: random among equal values, from the injected generator")
    func randomAmongEqual() {
        var firsts = Set<String>()
        for seed in 0..<60 {
            var generator = SeededGenerator(state: UInt64(seed))
            firsts.insert(Self.sources.order(using: &generator)[0])
            var again = SeededGenerator(state: UInt64(seed))
            var same = SeededGenerator(state: UInt64(seed))
            #expect(Self.sources.order(using: &again) == Self.sources.order(using: &same), "the same generator gives the same order")
        }
        #expect(firsts == ["a1", "a2", "a3"], "each source of the lowest value comes first for some draw")
    }

    @Test("SPEC P2: the next value is tried when the content is missing; nil when no source has it")
    func nextValueWhenMissing() async {
        var generator = SeededGenerator(state: 7)
        var asked: [String] = []
        let found = await Self.sources.first(using: &generator) { source in
            asked.append(source)
            return source.hasPrefix("b")
        }
        #expect(found?.hasPrefix("b") == true)
        #expect(Set(asked.prefix(3)) == ["a1", "a2", "a3"], "every source of value 1 was asked first")
        #expect(asked.count == 4, "no source was asked after the one that has it")

        var other = SeededGenerator(state: 8)
        var none: [String] = []
        let missing = await Self.sources.first(using: &other) { none.append($0); return false }
        #expect(missing == nil)
        #expect(none.count == 6, "every source was asked once")
    }
}
