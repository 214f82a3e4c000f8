import Foundation

/// The set of message types a receiver knows.
public struct MessageCatalog: Sendable {
    public let types: [any Message.Type]
    private let byName: [String: any Message.Type]

    public init(_ types: [any Message.Type]) {
        self.types = types
        var byName: [String: any Message.Type] = [:]
        for type in types { byName[type.wireName] = type }
        self.byName = byName
    }

    public func type(named name: String) -> (any Message.Type)? { byName[name] }

    /// Every message type of this build.
    public static let standard = MessageCatalog([
        Ack.self, ErrorReply.self,
        HealthQuery.self, HealthReply.self,
        CreateContent.self, UpdateContent.self, ContentVersionReply.self,
        ListContents.self, ContentList.self, ShowContent.self, ContentDetail.self,
        ListDistributionPoints.self, DistributionPointList.self,
        Distribute.self, DistributeAccepted.self,
        DistributionStatusQuery.self, DistributionStatusReply.self,
        TransferJob.self, TransferProgress.self, TransferReport.self, TransferTokenRequest.self, TransferTokenReply.self,
        MissingChunksQuery.self, MissingChunksReply.self,
        VerifyVersion.self, VerifyVersionReply.self,
        CreateBoundaryGroup.self, AddBoundaryGroupMember.self, ListBoundaryGroups.self, BoundaryGroupsReply.self,
        SiteSnapshot.self, ContentLocationQuery.self, ContentLocationReply.self,
        DistributionPointUsageQuery.self, DistributionPointUsageReply.self,
        Deploy.self, DeploymentReply.self,
        DeploymentStatusQuery.self, AgentRegistration.self, PolicyQuery.self, PolicyReply.self,
        AgentStatusReport.self, ListAgents.self, AgentList.self,
        CreateCollection.self, ListCollections.self, CollectionList.self,
        SetContent.self, SetDistributionPoint.self,
        CreateDistributionPointGroup.self, AddDistributionPointGroupMember.self, RemoveDistributionPointGroupMember.self,
        ListDistributionPointGroups.self, AssociateCollection.self, DistributionPointGroupsReply.self,
        LocationExplainQuery.self, LocationExplanation.self, OnDemandDistribution.self,
        AddDistributionPoint.self, RemoveDistributionPoint.self, DistributionPointRemoved.self, ShowDistributionPoint.self,
        DistributionPointDetail.self, TransferPolicyUpdate.self,
        PullNotification.self, PullStatusQuery.self, PullStatusReply.self, PullStatusReport.self, PullStatusNotice.self,
        VersionHeldQuery.self, VersionHeldReply.self, PullTokenRequest.self, PullTokenReply.self,
        ValidateDistributionPoint.self, RepairDistributionPoint.self, DistributionPointWorkAccepted.self, ValidationJob.self, ValidationReport.self,
        VersionRetirementJob.self, RetireVersions.self, RetireVersionsReply.self,
        ExportContent.self, ContentExportTicket.self, PrestagedImportTicketRequest.self, UploadTicket.self, RecordPrestagedImport.self,
        PrestagedImportRecorded.self, LibraryRestoreTicketRequest.self, MoveLibrary.self, LibraryMoveStatus.self,
    ])
}

/// One field of a message type, as `ferry schema` prints it.
public struct SchemaField: Sendable, Codable, Equatable {
    public var name: String
    public var type: String
}

/// One message type, as `ferry schema` prints it.
public struct SchemaEntry: Sendable, Codable {
    public var wireName: String
    public var version: Int
    public var summary: String
    public var fields: [SchemaField]
    /// The fields of the structured types the message's fields use, by type name.
    public var nestedTypes: [SchemaNestedType]
    public var example: String
}

/// A structured type used inside messages, with its fields.
public struct SchemaNestedType: Sendable, Codable, Equatable {
    public var name: String
    public var fields: [SchemaField]
}

extension MessageCatalog {
    /// Documents every type from its code: fields come from reflecting `example`.
    public func schema() -> [SchemaEntry] {
        types.map { type in
            let example = type.example
            let fields = Mirror(reflecting: example).children.compactMap { child -> SchemaField? in
                guard let label = child.label else { return nil }
                return SchemaField(name: label, type: Self.typeName(of: child.value))
            }
            let exampleJSON = (try? EnvelopeCodec.json(example)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
            var nested: [SchemaNestedType] = []
            Self.collectNested(example, into: &nested)
            return SchemaEntry(wireName: type.wireName, version: type.version, summary: type.summary,
                               fields: fields, nestedTypes: nested, example: exampleJSON)
        }
    }

    /// Walks struct-typed field values (and the first element of arrays and optionals)
    /// to document every structured type a message carries.
    private static func collectNested(_ value: Any, into nested: inout [SchemaNestedType]) {
        for child in Mirror(reflecting: value).children {
            var candidate: Any = child.value
            let mirror = Mirror(reflecting: candidate)
            if mirror.displayStyle == .collection || mirror.displayStyle == .optional {
                guard let first = mirror.children.first?.value else { continue }
                candidate = first
            }
            let candidateMirror = Mirror(reflecting: candidate)
            guard candidateMirror.displayStyle == .struct, !(candidate is Date), !(candidate is UUID), !(candidate is String) else { continue }
            let name = typeName(of: candidate)
            guard !nested.contains(where: { $0.name == name }) else { continue }
            let fields = candidateMirror.children.compactMap { field -> SchemaField? in
                field.label.map { SchemaField(name: $0, type: typeName(of: field.value)) }
            }
            nested.append(SchemaNestedType(name: name, fields: fields))
            collectNested(candidate, into: &nested)
        }
    }

    private static func typeName(of value: Any) -> String {
        String(describing: Swift.type(of: value))
            .replacingOccurrences(of: "Swift.", with: "")
            .replacingOccurrences(of: "Foundation.", with: "")
            .replacingOccurrences(of: "Messages.", with: "")
    }
}
