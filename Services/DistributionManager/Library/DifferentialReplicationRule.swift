import Messages

/// Which contents reach DPs as deltas (SPEC C3, the seed's rule): applications always,
/// packages only when the administrator turns it on, other types as the site's default says.
struct DifferentialReplicationRule: Sendable {
    /// The setting for content types other than applications and packages.
    var siteDefault: Bool

    /// Whether a content of `type` with its own `setting` (nil: never set) uses it.
    func applies(to type: ContentType, setting: Bool?) -> Bool {
        switch type {
        case .application: true
        case .package: setting ?? false
        default: setting ?? siteDefault
        }
    }

    /// Refuses a setting the rule cannot honour: an application cannot turn it off.
    func check(_ setting: Bool, for type: ContentType, name: String) throws {
        if type == .application, !setting {
            throw WireError(code: .invalidArgument,
                            message: "'\(name)' is an application, and applications always use binary differential replication")
        }
    }
}
