/// Who may send each request on the bus: one table, so a review sees every grant at once.
///
/// The administrator's CLI reaches the site only; the site relays the MP's answers. A type
/// missing here is refused from everyone (``Message/allowedSenders`` defaults to none).

extension HealthQuery { public static var allowedSenders: Set<PeerRole> { Set(PeerRole.allCases) } }

// The administrator, at the distribution manager.
extension CreateContent { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension UpdateContent { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension ListContents { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension ShowContent { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension SetContent { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension ListDistributionPoints { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension SetDistributionPoint { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension AddDistributionPoint { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension RemoveDistributionPoint { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension ShowDistributionPoint { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension Distribute { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension DistributionStatusQuery { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension CreateBoundaryGroup { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension AddBoundaryGroupMember { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension ListBoundaryGroups { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension Deploy { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension DeploymentStatusQuery { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension CreateCollection { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension ListCollections { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension CreateDistributionPointGroup { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension AddDistributionPointGroupMember { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension RemoveDistributionPointGroupMember { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension ListDistributionPointGroups { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension AssociateCollection { public static var allowedSenders: Set<PeerRole> { [.admin] } }

// Asked of the site by the administrator, and relayed by the site to the MP.
extension ListAgents { public static var allowedSenders: Set<PeerRole> { [.admin, .site] } }
extension LocationExplainQuery { public static var allowedSenders: Set<PeerRole> { [.admin, .site] } }
/// Agents ask for themselves (the MP takes their address from the connection); the
/// administrator may ask for any address through the site.
extension ContentLocationQuery { public static var allowedSenders: Set<PeerRole> { [.agent, .admin, .site] } }

// Between the site's services.
extension SiteSnapshot { public static var allowedSenders: Set<PeerRole> { [.site] } }
extension TransferJob { public static var allowedSenders: Set<PeerRole> { [.site] } }
extension ValidationJob { public static var allowedSenders: Set<PeerRole> { [.site] } }
extension ValidationReport { public static var allowedSenders: Set<PeerRole> { [.transferManager] } }
extension VersionRetirementJob { public static var allowedSenders: Set<PeerRole> { [.site] } }
extension RetireVersions { public static var allowedSenders: Set<PeerRole> { [.transferManager] } }
extension ExportContent { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension PrestagedImportTicketRequest { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension RecordPrestagedImport { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension LibraryRestoreTicketRequest { public static var allowedSenders: Set<PeerRole> { [.admin] } }
// The admin asks the site; the site relays to the DP.
extension MoveLibrary { public static var allowedSenders: Set<PeerRole> { [.admin, .site] } }
extension ValidateDistributionPoint { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension RepairDistributionPoint { public static var allowedSenders: Set<PeerRole> { [.admin] } }
extension TransferPolicyUpdate { public static var allowedSenders: Set<PeerRole> { [.site] } }
extension TransferProgress { public static var allowedSenders: Set<PeerRole> { [.transferManager] } }
extension TransferReport { public static var allowedSenders: Set<PeerRole> { [.transferManager] } }
extension TransferTokenRequest { public static var allowedSenders: Set<PeerRole> { [.transferManager] } }
extension OnDemandDistribution { public static var allowedSenders: Set<PeerRole> { [.managementPoint] } }
extension MissingChunksQuery { public static var allowedSenders: Set<PeerRole> { [.transferManager, .site] } }
extension VerifyVersion { public static var allowedSenders: Set<PeerRole> { [.transferManager, .site] } }
extension DistributionPointUsageQuery { public static var allowedSenders: Set<PeerRole> { [.site, .admin] } }

// Pull DPs: the PTM notifies and asks; the pull DP reports to its MP (about itself only),
// which relays to the site, which tells the PTM.
extension PullNotification { public static var allowedSenders: Set<PeerRole> { [.transferManager] } }
extension PullStatusQuery { public static var allowedSenders: Set<PeerRole> { [.transferManager, .site] } }
extension VersionHeldQuery { public static var allowedSenders: Set<PeerRole> { [.transferManager, .site] } }
extension PullStatusReport { public static var allowedSenders: Set<PeerRole> { [.distributionPoint, .managementPoint] } }
extension PullStatusNotice { public static var allowedSenders: Set<PeerRole> { [.site] } }
extension PullTokenRequest { public static var allowedSenders: Set<PeerRole> { [.distributionPoint] } }

// From agents (about themselves only), and relayed by the MP to the site.
extension AgentRegistration { public static var allowedSenders: Set<PeerRole> { [.agent] } }
extension PolicyQuery { public static var allowedSenders: Set<PeerRole> { [.agent] } }
extension AgentStatusReport { public static var allowedSenders: Set<PeerRole> { [.agent, .managementPoint] } }
