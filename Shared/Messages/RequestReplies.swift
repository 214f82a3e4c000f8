// Every request's reply type, in one place (issue 15 item 5). A command is acknowledged
// with an Ack once applied; a query gets its answer.

extension HealthQuery: Request { public typealias Reply = HealthReply }

// Contents and distributions (CLI → distribution manager).
extension CreateContent: Request { public typealias Reply = ContentVersionReply }
extension UpdateContent: Request { public typealias Reply = ContentVersionReply }
extension ListContents: Request { public typealias Reply = ContentList }
extension ShowContent: Request { public typealias Reply = ContentDetail }
extension SetContent: Request { public typealias Reply = ContentDetail }
extension Distribute: Request { public typealias Reply = DistributeAccepted }
extension DistributionStatusQuery: Request { public typealias Reply = DistributionStatusReply }
extension ListDistributionPoints: Request { public typealias Reply = DistributionPointList }
extension SetDistributionPoint: Request { public typealias Reply = DistributionPointDetail }
extension AddDistributionPoint: Request { public typealias Reply = DistributionPointDetail }
extension RemoveDistributionPoint: Request { public typealias Reply = DistributionPointRemoved }
extension ShowDistributionPoint: Request { public typealias Reply = DistributionPointDetail }

// Topology, DP groups, collections, deployments.
extension CreateBoundaryGroup: Request { public typealias Reply = BoundaryGroupsReply }
extension AddBoundaryGroupMember: Request { public typealias Reply = BoundaryGroupsReply }
extension ListBoundaryGroups: Request { public typealias Reply = BoundaryGroupsReply }
extension CreateDistributionPointGroup: Request { public typealias Reply = DistributionPointGroupsReply }
extension AddDistributionPointGroupMember: Request { public typealias Reply = DistributionPointGroupsReply }
extension RemoveDistributionPointGroupMember: Request { public typealias Reply = DistributionPointGroupsReply }
extension ListDistributionPointGroups: Request { public typealias Reply = DistributionPointGroupsReply }
extension AssociateCollection: Request { public typealias Reply = DistributionPointGroupsReply }
extension CreateCollection: Request { public typealias Reply = CollectionList }
extension ListCollections: Request { public typealias Reply = CollectionList }
extension Deploy: Request { public typealias Reply = DeploymentReply }
extension DeploymentStatusQuery: Request { public typealias Reply = DeploymentReply }

// Transfers (site ↔ PTM ↔ DPs).
extension TransferJob: Request { public typealias Reply = Ack }
extension TransferProgress: Request { public typealias Reply = Ack }
extension TransferReport: Request { public typealias Reply = Ack }
extension TransferPolicyUpdate: Request { public typealias Reply = Ack }
extension TransferTokenRequest: Request { public typealias Reply = TransferTokenReply }
extension MissingChunksQuery: Request { public typealias Reply = MissingChunksReply }
extension VerifyVersion: Request { public typealias Reply = VerifyVersionReply }
extension DistributionPointUsageQuery: Request { public typealias Reply = DistributionPointUsageReply }

// Pull DPs (PTM ↔ pull DP, pull DP → MP → site → PTM).
extension PullNotification: Request { public typealias Reply = Ack }
extension PullStatusQuery: Request { public typealias Reply = PullStatusReply }
extension PullStatusReport: Request { public typealias Reply = Ack }
extension PullStatusNotice: Request { public typealias Reply = Ack }
extension VersionHeldQuery: Request { public typealias Reply = VersionHeldReply }
extension PullTokenRequest: Request { public typealias Reply = PullTokenReply }

// The management point and its agents.
extension SiteSnapshot: Request { public typealias Reply = Ack }
extension OnDemandDistribution: Request { public typealias Reply = Ack }
extension ContentLocationQuery: Request { public typealias Reply = ContentLocationReply }
extension LocationExplainQuery: Request { public typealias Reply = LocationExplanation }
extension AgentRegistration: Request { public typealias Reply = Ack }
extension PolicyQuery: Request { public typealias Reply = PolicyReply }
extension AgentStatusReport: Request { public typealias Reply = Ack }
extension ListAgents: Request { public typealias Reply = AgentList }
extension ValidateDistributionPoint: Request { public typealias Reply = DistributionPointWorkAccepted }
extension RepairDistributionPoint: Request { public typealias Reply = DistributionPointWorkAccepted }
extension ValidationJob: Request { public typealias Reply = Ack }
extension ValidationReport: Request { public typealias Reply = Ack }
extension VersionRetirementJob: Request { public typealias Reply = Ack }
extension RetireVersions: Request { public typealias Reply = RetireVersionsReply }
extension ExportContent: Request { public typealias Reply = ContentExportTicket }
extension PrestagedImportTicketRequest: Request { public typealias Reply = UploadTicket }
extension RecordPrestagedImport: Request { public typealias Reply = PrestagedImportRecorded }
extension LibraryRestoreTicketRequest: Request { public typealias Reply = UploadTicket }
extension MoveLibrary: Request { public typealias Reply = LibraryMoveStatus }
