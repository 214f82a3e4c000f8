import Messages

/// Which site snapshot the MP keeps: a newer sequence replaces the held one, an older one
/// is ignored, and an implausible jump is refused.
///
/// The site adds one to the sequence per change, so a jump of more than `maximumJump` is
/// not the site's: a forged 2⁶³−1 would otherwise make every real snapshot after it look old.
struct SnapshotSequenceRule: Sendable {
    static let defaultMaximumJump: Int64 = 1_000_000
    /// A fresh MP (holding nothing) accepts a first sequence up to this.
    static let firstSequenceLimit: Int64 = 1 << 40

    enum Decision: Equatable { case newer, older }

    let maximumJump: Int64

    func decide(received: Int64, held: Int64) throws(WireError) -> Decision {
        guard received > held else { return .older }
        let limit = held == 0 ? Self.firstSequenceLimit : (held > Int64.max - maximumJump ? Int64.max : held + maximumJump)
        guard received > 0, received <= limit else {
            throw WireError(code: .invalidArgument,
                            message: "site snapshot sequence \(received) jumps implausibly far past \(held) (at most \(held == 0 ? limit : maximumJump) ahead); refused")
        }
        return .newer
    }
}
