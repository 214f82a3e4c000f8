public import ContentStore
public import Foundation

/// Finds, among chunks a DP holds, those that share most content with a new chunk, wherever
/// they sit (SPEC C3): blocks moved within a file, data copied from another place.
///
/// Each chunk gets a sketch of ``featureCount`` features: a rolling (gear) hash runs over
/// its bytes, and at sampled positions each feature keeps the largest of its own
/// permutation of the hash. Two chunks sharing much of their bytes share many features;
/// unrelated ones almost none. A pure type: it sees bytes, never the network.
public struct ChunkResemblance: Sendable {
    public static let featureCount = 16
    /// Keep a sketch's features only from positions where these hash bits are zero (1 in 16).
    static let sampleMask: UInt64 = 0xF

    public typealias Sketch = [UInt64]

    private var index: [[UInt64: [Int]]] = Array(repeating: [:], count: ChunkResemblance.featureCount)
    private var hashes: [String] = []

    public init() {}

    public var count: Int { hashes.count }

    /// Adds a held chunk's sketch.
    public mutating func add(_ hash: String, sketch: Sketch) {
        let position = hashes.count
        hashes.append(hash)
        for (feature, value) in sketch.enumerated() where feature < Self.featureCount { index[feature][value, default: []].append(position) }
    }

    /// The held chunks sharing at least `minimumShared` features with `sketch`, most shared
    /// first (ties in the order they were added), at most `limit`. Features are 64-bit
    /// maxima: one shared by chance is rare, so one is already a lead worth a try.
    public func similar(to sketch: Sketch, limit: Int = 4, minimumShared: Int = 1) -> [String] {
        var shared: [Int: Int] = [:]
        for (feature, value) in sketch.enumerated() where feature < Self.featureCount {
            for position in index[feature][value] ?? [] { shared[position, default: 0] += 1 }
        }
        return shared.filter { $0.value >= minimumShared }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(limit).map { hashes[$0.key] }
    }

    /// The held chunks of one file (`chunks`, in file order, all added to this index) most like
    /// `data`, each with the ones before and after it (a moved block seldom starts at an old
    /// chunk's start), at most `budget` bytes and ``DeltaBatch/maximumReferences`` chunks.
    public func references(similarTo data: Data, in chunks: [ChunkReference], budget: Int) -> [String] {
        let order = Dictionary(chunks.enumerated().map { ($0.element.hash, $0.offset) }, uniquingKeysWith: { first, _ in first })
        var chosen: [String] = []
        var bytes = 0
        for hash in similar(to: Self.sketch(data)) {
            let position = order[hash] ?? 0
            for index in [position, position + 1, position - 1] where chunks.indices.contains(index) {
                let chunk = chunks[index]
                guard !chosen.contains(chunk.hash), bytes + chunk.size <= budget, chosen.count < DeltaBatch.maximumReferences else { continue }
                chosen.append(chunk.hash)
                bytes += chunk.size
            }
        }
        return chosen
    }

    /// A chunk's sketch.
    public static func sketch(_ data: Data) -> Sketch {
        var features = Sketch(repeating: 0, count: featureCount)
        var rolling: UInt64 = 0
        data.withUnsafeBytes { bytes in
            for byte in bytes {
                rolling = (rolling << 1) &+ gear[Int(byte)]
                guard rolling & sampleMask == 0 else { continue }
                for feature in 0..<featureCount {
                    let value = rolling &* multipliers[feature] &+ increments[feature]
                    if value > features[feature] { features[feature] = value }
                }
            }
        }
        return features
    }

    private static let gear: [UInt64] = {
        var state: UInt64 = 0x5EED_F00D_1234_5678
        return (0..<256).map { _ in splitMix(&state) }
    }()
    private static let multipliers: [UInt64] = {
        var state: UInt64 = 0xA5A5_0000_C3C3_0001
        return (0..<featureCount).map { _ in splitMix(&state) | 1 }
    }()
    private static let increments: [UInt64] = {
        var state: UInt64 = 0x0F0F_7777_3333_9999
        return (0..<featureCount).map { _ in splitMix(&state) }
    }()

    private static func splitMix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}
