/// The order a pull DP asks its source DPs in (SPEC P2): the lowest priority value first,
/// at random among equal values, and the next value when content is missing.
///
/// Every source of one value is tried (in random order) before the next value is: a source
/// that lacks the content does not end its value's turn while another of the same value may
/// have it. When no source has it, the caller waits (30 minutes in the seed) and starts again.
public struct RankedSources<Source: Sendable>: Sendable {
    /// One source and its priority (lower values are asked first).
    public struct Candidate: Sendable {
        public var source: Source
        public var priority: Int

        public init(_ source: Source, priority: Int) {
            self.source = source
            self.priority = priority
        }
    }

    public let candidates: [Candidate]

    public init(_ candidates: [Candidate]) { self.candidates = candidates }

    /// The sources grouped by priority value, lowest first; each group in the order given.
    public var tiers: [[Source]] {
        Dictionary(grouping: candidates, by: \.priority).sorted { $0.key < $1.key }.map { $0.value.map(\.source) }
    }

    /// Every source in the order to ask them: tiers lowest first, each shuffled with `generator`.
    public func order(using generator: inout some RandomNumberGenerator) -> [Source] {
        tiers.flatMap { $0.shuffled(using: &generator) }
    }

    /// The first source, in ``order(using:)``, for which `holds` is true; nil when none is.
    /// `holds` is not asked about the sources after that one.
    public func first(using generator: inout some RandomNumberGenerator,
                      holding holds: (Source) async throws -> Bool) async rethrows -> Source? {
        for source in order(using: &generator) where try await holds(source) { return source }
        return nil
    }
}
