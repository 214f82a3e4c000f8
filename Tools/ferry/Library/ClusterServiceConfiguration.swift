import DistributionManager
import ManagementPoint
import MulticastAgent
import PackageTransferManager
import PullDP
import ServiceKit

/// What `ferry cluster up` writes into one service's configuration file: the settings every
/// service has and the service's own, as the service's own settings types (encoded with
/// Yams by ``ConfigurationDocument``), so the file says exactly what the service decodes.
struct ClusterServiceConfiguration {
    /// The service's own settings.
    enum Specific {
        case distributionManager(DistributionManagerSettings)
        case packageTransferManager(PackageTransferManagerSettings)
        case managementPoint(ManagementPointSettings)
        case pullDP(PullDPSettings)
        case multicastAgent(MulticastAgentSettings)
    }

    var common: CommonSettings
    var specific: Specific
    /// Written at the top of the file.
    var comment: String

    /// The file's YAML text.
    func yaml() throws -> String {
        var document = ConfigurationDocument(comment: comment)
        try document.add(common)
        switch specific {
        case .distributionManager(let settings): try document.add(settings)
        case .packageTransferManager(let settings): try document.add(settings)
        case .managementPoint(let settings): try document.add(settings)
        case .pullDP(let settings): try document.add(settings)
        case .multicastAgent(let settings): try document.add(settings)
        }
        return try document.yaml()
    }
}
