import Foundation

/// The kinds of content a site distributes (SPEC C1).
public enum ContentType: String, Codable, Sendable, CaseIterable {
    case application
    case package
    case softwareUpdate = "software-update"
    case driverPackage = "driver-package"
    case bootImage = "boot-image"
    case osImage = "os-image"
}

/// Distribution priority (SPEC C1, C6): high content goes before lower, whatever the DP.
public enum Priority: String, Codable, Sendable, CaseIterable, Comparable {
    case high, medium, low

    var rank: Int {
        switch self {
        case .high: 0
        case .medium: 1
        case .low: 2
        }
    }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}

/// Where one content version stands on one distribution point.
public enum DistributionState: String, Codable, Sendable, CaseIterable {
    case waiting
    case inProgress = "in-progress"
    case installed
    case failed
}

/// Whether a transfer ended with the version installed.
public enum TransferOutcome: String, Codable, Sendable {
    case installed, failed
}
