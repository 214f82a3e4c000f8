public import Foundation
public import ServiceKit
public import ContentStore

/// The distribution manager's configuration file.
public struct DistributionManagerSettings: Codable, Sendable, Equatable {
    public var packageTransferManager: PeerSettings
    /// The management point that answers clients; it receives the site's snapshots.
    public var managementPoint: PeerSettings?
    /// The site's distribution points.
    public var distributionPoints: [DistributionPointSettings]
    /// The site's Ed25519 signing key (base64), written by `ferry cluster up`.
    public var siteSigningKeyFile: String
    /// The folders content may be imported from (absolute paths). A `content create` or
    /// `content update` whose source folder, links resolved, is not one of them or inside one
    /// is refused, so the CLI cannot make the site read what it should not. Required.
    public var sourceRoots: [String]
    public var chunking: ChunkingParameters?
    /// How long a transfer token (one DP, one version) stays valid; default 1 hour. The PTM
    /// asks for a new one at each attempt and before the one it holds expires.
    public var transferTokenLifetimeSeconds: Double?
    /// Binary differential replication for content types other than applications (always)
    /// and packages (per content, off unless set): default off (SPEC C3).
    public var differentialByDefault: Bool?
    /// Seconds between scheduled validations of each DP's content (SPEC C10); default a
    /// week, 0 for none.
    public var validationIntervalSeconds: Double?

    public init(packageTransferManager: PeerSettings, managementPoint: PeerSettings? = nil,
                distributionPoints: [DistributionPointSettings], siteSigningKeyFile: String, sourceRoots: [String],
                chunking: ChunkingParameters? = nil, transferTokenLifetimeSeconds: Double? = nil, differentialByDefault: Bool? = nil) {
        self.differentialByDefault = differentialByDefault
        self.packageTransferManager = packageTransferManager
        self.managementPoint = managementPoint
        self.distributionPoints = distributionPoints
        self.siteSigningKeyFile = siteSigningKeyFile
        self.sourceRoots = sourceRoots
        self.chunking = chunking
        self.transferTokenLifetimeSeconds = transferTokenLifetimeSeconds
    }
}

/// One distribution point as the site's configuration lists it.
public struct DistributionPointSettings: Codable, Sendable, Equatable {
    public var name: String
    public var busEndpoint: String
    public var httpURL: String
    public var publicKey: String?
    /// Or the file holding it (`FILE.pub` from `ferry keys generate`), read at start.
    public var publicKeyFile: String?

    public init(name: String, busEndpoint: String, httpURL: String, publicKey: String?, publicKeyFile: String? = nil) {
        self.name = name
        self.busEndpoint = busEndpoint
        self.httpURL = httpURL
        self.publicKey = publicKey
        self.publicKeyFile = publicKeyFile
    }
}

extension DistributionManagerSettings: ValidatableSettings {
    /// The signing key and its public half exist and are readable; source roots are absolute
    /// existing folders; peers' endpoints and DPs' URLs are well formed; the token lifetime is
    /// positive.
    public func validate(in file: URL) throws {
        let check = SettingsValidator(file: file)
        try check.readableFile(siteSigningKeyFile, "siteSigningKeyFile")
        try check.readableFile(siteSigningKeyFile + ".pub", "siteSigningKeyFile (its public key, the same path + .pub)")
        guard !sourceRoots.isEmpty else {
            throw check.failure("sourceRoots", "must list at least one folder content may be imported from")
        }
        for (index, root) in sourceRoots.enumerated() {
            try check.existingFolder(root, "sourceRoots[\(index)]")
        }
        if let chunking {
            do { _ = try chunking.validated() } catch { throw check.failure("chunking", "is invalid: \(error)") }
        }
        try packageTransferManager.validate(with: check, "packageTransferManager")
        try managementPoint?.validate(with: check, "managementPoint")
        var names = Set<String>()
        for (index, point) in distributionPoints.enumerated() {
            try check.nonEmpty(point.name, "distributionPoints[\(index)].name")
            guard names.insert(point.name).inserted else {
                throw check.failure("distributionPoints[\(index)].name", "repeats the name '\(point.name)'")
            }
            try check.busEndpoint(point.busEndpoint, "distributionPoints[\(index)].busEndpoint")
            try check.httpURL(point.httpURL, "distributionPoints[\(index)].httpURL")
        }
        if let transferTokenLifetimeSeconds {
            try check.number(transferTokenLifetimeSeconds, in: 1...(366 * 24 * 3600), "transferTokenLifetimeSeconds", unit: " seconds")
        }
    }
}
