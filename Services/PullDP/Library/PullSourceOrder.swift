import Messages

/// The order a pull DP tries its sources in (SPEC P2): lowest rank value first; among equal
/// values, a random order, so pull DPs sharing sources spread over them.
enum PullSourceOrder {
    static func order<Generator: RandomNumberGenerator>(_ sources: [PullSourceAddress], using generator: inout Generator) -> [PullSourceAddress] {
        let ranks = Set(sources.map(\.rank)).sorted()
        return ranks.flatMap { rank in sources.filter { $0.rank == rank }.shuffled(using: &generator) }
    }

    static func order(_ sources: [PullSourceAddress]) -> [PullSourceAddress] {
        var generator = SystemRandomNumberGenerator()
        return order(sources, using: &generator)
    }
}
