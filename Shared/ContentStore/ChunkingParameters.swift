/// The sizes a content-defined chunker aims for, in bytes.
public struct ChunkingParameters: Sendable, Equatable, Codable {
    /// No chunk is shorter than this, except the last chunk of a file.
    public var minimumSize: Int
    /// The size the chunker aims for (rounded down to a power of two for its masks).
    public var averageSize: Int
    /// No chunk is longer than this.
    public var maximumSize: Int

    public init(minimumSize: Int, averageSize: Int, maximumSize: Int) {
        self.minimumSize = minimumSize
        self.averageSize = averageSize
        self.maximumSize = maximumSize
    }

    /// 16 KiB / 64 KiB / 256 KiB: small chunks win scattered edits and reorders (PLATFORM.md, delta anchors).
    public static let standard = ChunkingParameters(minimumSize: 16 * 1024, averageSize: 64 * 1024, maximumSize: 256 * 1024)

    /// The smallest allowed minimum size (one gear-hash window).
    public static let smallestMinimumSize = 64
    /// The largest allowed maximum size: a chunk is one file in the store and is read whole.
    public static let largestMaximumSize = 64 * 1024 * 1024

    /// Returns `self` if 64 ≤ minimum ≤ average ≤ maximum ≤ 64 MiB, else throws `ChunkingParametersError`.
    public func validated() throws -> Self {
        func fail(_ why: String) -> ChunkingParametersError {
            ChunkingParametersError(message: "chunking parameters \(minimumSize)/\(averageSize)/\(maximumSize): \(why)")
        }
        guard minimumSize >= Self.smallestMinimumSize else {
            throw fail("minimum size must be at least \(Self.smallestMinimumSize) bytes")
        }
        guard minimumSize <= averageSize else { throw fail("minimum size must not exceed the average size") }
        guard averageSize <= maximumSize else { throw fail("average size must not exceed the maximum size") }
        guard maximumSize <= Self.largestMaximumSize else {
            throw fail("maximum size must not exceed \(Self.largestMaximumSize) bytes")
        }
        return self
    }

    /// The nearest valid parameters (what a chunker built from invalid parameters uses).
    func clamped() -> Self {
        let low = Self.smallestMinimumSize, high = Self.largestMaximumSize
        let minimum = Swift.min(Swift.max(minimumSize, low), high)
        let maximum = Swift.min(Swift.max(maximumSize, minimum), high)
        let average = Swift.min(Swift.max(averageSize, minimum), maximum)
        return ChunkingParameters(minimumSize: minimum, averageSize: average, maximumSize: maximum)
    }
}

/// Chunking parameters that break the rules of `ChunkingParameters.validated()`.
public struct ChunkingParametersError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
