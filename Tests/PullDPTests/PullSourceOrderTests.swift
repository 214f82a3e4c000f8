import Messages
@testable import PullDP
import Testing

// SPEC P2: a pull DP tries its sources lowest rank first, in random order among equal ranks.
@Suite("PullSourceOrder")
struct PullSourceOrderTests {
    static func source(_ name: String, _ rank: Int) -> PullSourceAddress {
        PullSourceAddress(name: name, rank: rank, httpURL: "http://\(name)", busEndpoint: "tcp://\(name):1", publicKey: "")
    }

    /// A fixed-seed generator, so a test's shuffles are the same on every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func P2_lowerRanksComeFirstWhateverTheOrderGiven() {
        var generator = SplitMix(state: 1)
        let order = PullSourceOrder.order([Self.source("dp4", 2), Self.source("dp1", 1), Self.source("dp9", 3), Self.source("dp2", 1)],
                                          using: &generator)
        #expect(order.map(\.rank) == [1, 1, 2, 3])
        #expect(Set(order.prefix(2).map(\.name)) == ["dp1", "dp2"])
        #expect(order.suffix(2).map(\.name) == ["dp4", "dp9"])
    }

    @Test func P2_equalRanksAreTriedInEveryOrderOverManyPulls() {
        var generator = SplitMix(state: 7)
        var firsts: [String: Int] = [:]
        for _ in 0..<400 {
            let order = PullSourceOrder.order([Self.source("dp1", 1), Self.source("dp2", 1), Self.source("dp3", 1), Self.source("dp4", 2)],
                                              using: &generator)
            firsts[order[0].name, default: 0] += 1
            #expect(order.last?.name == "dp4")
        }
        // Each of the three rank-1 sources goes first about a third of the time.
        #expect(Set(firsts.keys) == ["dp1", "dp2", "dp3"])
        #expect(firsts.values.allSatisfy { (90...180).contains($0) }, "\(firsts)")
    }
}
