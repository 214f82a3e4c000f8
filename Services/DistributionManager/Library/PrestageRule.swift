import Messages

/// Whether a version goes to a DP over the network or waits for a prestaged file (SPEC C9,
/// P4; the seed's per-content options for DPs enabled for prestaged content).
enum PrestageRule {
    /// True: send nothing; the DP is to get the version from a prestaged file, and the PTM
    /// waits until it holds it.
    ///
    /// - Parameters:
    ///   - holdsAVersion: the DP has some version of the content installed (after that, with
    ///     "send only changes", updates go over the network).
    static func awaitsPrestaged(pointPrestaged: Bool, pointIsPull: Bool, mode: PrestageMode, holdsAVersion: Bool) -> Bool {
        guard pointPrestaged else { return false }
        // The seed: a pull DP enabled for prestaged content waits for it and pulls nothing.
        if pointIsPull { return true }
        switch mode {
        case .automatic: return false
        case .changesOnly: return !holdsAVersion
        case .manual: return true
        }
    }
}
