import Synchronization

/// A bounded memo of what was worked out from a version's manifest (its chunk list, what a
/// DP serves of it), so a request or datagram about the version does not decode the
/// manifest from disk again. A version's manifest never changes: its id is its hash.
///
/// Holds at most `capacity` versions; the one remembered first is forgotten first.
public final class VersionCache<Value: Sendable>: Sendable {
    private struct State {
        var values: [String: Value] = [:]
        var order: [String] = []
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    /// The remembered value for `version`, if any.
    public func value(_ version: String) -> Value? { state.withLock { $0.values[version] } }

    /// The remembered value, or the one `load` works out (remembered unless nil).
    /// `load` runs outside the lock: two callers may both load; the first stays.
    public func value(_ version: String, load: () -> Value?) -> Value? {
        if let known = value(version) { return known }
        guard let loaded = load() else { return nil }
        return state.withLock { state in
            if let known = state.values[version] { return known }
            insert(loaded, for: version, into: &state)
            return loaded
        }
    }

    /// Forgets what was remembered for `version` (its chunks changed on disk).
    public func forget(_ version: String) {
        state.withLock { state in
            if state.values.removeValue(forKey: version) != nil { state.order.removeAll { $0 == version } }
        }
    }

    /// Remembers `value` for `version`, replacing what was remembered.
    public func remember(_ value: Value, for version: String) {
        state.withLock { insert(value, for: version, into: &$0) }
    }

    private func insert(_ value: Value, for version: String, into state: inout State) {
        if state.values.updateValue(value, forKey: version) == nil {
            state.order.append(version)
            if state.order.count > capacity { state.values[state.order.removeFirst()] = nil }
        }
    }
}
