// swift-tools-version: 6.1
import PackageDescription

/// Ferry: content distribution for software deployment.
///
/// Shared/ holds libraries every service uses; Services/ holds one folder per executable
/// (its logic as a library that tests drive, and a thin `@main`); Tools/ferry is the CLI.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "distribution-manager", targets: ["DistributionManagerMain"]),
        .executable(name: "package-transfer-manager", targets: ["PackageTransferManagerMain"]),
        .executable(name: "management-point", targets: ["ManagementPointMain"]),
        .executable(name: "pull-dp", targets: ["PullDPMain"]),
        .executable(name: "fetch-smoke", targets: ["FetchSmoke"]),
        .executable(name: "multicast-agent", targets: ["MulticastAgentMain"]),
        .executable(name: "ferry", targets: ["FerryMain"]),
        .executable(name: "ferry-multicast-bench", targets: ["MulticastBenchMain"]),
        .executable(name: "ferry-fuzz", targets: ["FerryFuzzMain"]),
        .executable(name: "ferry-location-bench", targets: ["LocationBenchMain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CZeroMQ", path: "Shared/CZeroMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CCurl", path: "Shared/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),
        // NRL NORM (RFC 5740), no pkg-config file: the module links -lnorm.
        .systemLibrary(name: "CZstd", path: "Shared/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CNorm", path: "Shared/CNorm", providers: [.apt(["libnorm-dev"])]),

        // Shared libraries.
        // The service clock (below Bus and ServiceKit, which both keep time).
        .target(name: "Clocks", path: "Shared/Clocks", swiftSettings: swiftSettings),
        // The one IPv4 parser (below Multicast and ServiceKit, which both read addresses).
        .target(name: "Addressing", path: "Shared/Addressing", swiftSettings: swiftSettings),
        .target(name: "Messages", path: "Shared/Messages", swiftSettings: swiftSettings),
        .target(name: "Store",
                dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
                path: "Shared/Store", swiftSettings: swiftSettings),
        .target(name: "Bus",
                dependencies: ["CZeroMQ", "Clocks", "Messages", "Store",
                               .product(name: "Logging", package: "swift-log"),
                               // The metrics API only: the service decides where measurements go.
                               .product(name: "Metrics", package: "swift-metrics"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                path: "Shared/Bus", swiftSettings: swiftSettings),
        .target(name: "ContentStore",
                dependencies: [.product(name: "Crypto", package: "swift-crypto")],
                path: "Shared/ContentStore", swiftSettings: swiftSettings),
        .target(name: "Multicast", dependencies: ["Addressing", "CNorm", "ContentStore"], path: "Shared/Multicast", swiftSettings: swiftSettings),
        .target(name: "HTTPTransfer", dependencies: ["CCurl"],
                path: "Shared/HTTPTransfer", swiftSettings: swiftSettings),
        // How every hop fetches content: sources, the verifying chunk fetcher, ranked sources, the data plane's paths.
        // Binary differential replication (SPEC C3): zstd deltas of chunks against chunks a DP holds.
        .target(name: "Delta", dependencies: ["CZstd", "ContentStore", "ContentTransfer", "HTTPTransfer"], path: "Shared/Delta", swiftSettings: swiftSettings),
        .target(name: "ContentTransfer",
                dependencies: ["Clocks", "ContentStore", "HTTPTransfer", .product(name: "Logging", package: "swift-log")],
                path: "Shared/ContentTransfer", swiftSettings: swiftSettings),
        .executableTarget(name: "FetchSmoke", dependencies: ["ContentTransfer", "ContentStore", "Clocks"],
                          path: "Tools/fetch-smoke/Main", swiftSettings: swiftSettings),
        .target(name: "ServiceKit",
                dependencies: ["Addressing", "Clocks", "ContentStore", "Messages", "Bus", "Store",
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                               .product(name: "ArgumentParser", package: "swift-argument-parser"),
                               .product(name: "Yams", package: "Yams"),
                               .product(name: "Metrics", package: "swift-metrics"),
                               .product(name: "Prometheus", package: "swift-prometheus")],
                path: "Shared/ServiceKit", swiftSettings: swiftSettings),

        // Services: logic as a library, a thin executable over it.
        .target(name: "DistributionManager",
                dependencies: ["ServiceKit", "ContentStore", "ContentTransfer", "HTTPTransfer", .product(name: "Metrics", package: "swift-metrics")],
                path: "Services/DistributionManager/Library", swiftSettings: swiftSettings),
        .executableTarget(name: "DistributionManagerMain", dependencies: ["DistributionManager"],
                          path: "Services/DistributionManager/Main", swiftSettings: swiftSettings),
        .target(name: "PackageTransferManager",
                dependencies: ["ServiceKit", "ContentStore", "ContentTransfer", "Delta", "HTTPTransfer", .product(name: "Metrics", package: "swift-metrics")],
                path: "Services/PackageTransferManager/Library", swiftSettings: swiftSettings),
        .executableTarget(name: "PackageTransferManagerMain", dependencies: ["PackageTransferManager"],
                          path: "Services/PackageTransferManager/Main", swiftSettings: swiftSettings),
        .target(name: "ManagementPoint",
                dependencies: ["ServiceKit"],
                path: "Services/ManagementPoint/Library", swiftSettings: swiftSettings),
        .executableTarget(name: "ManagementPointMain", dependencies: ["ManagementPoint"],
                          path: "Services/ManagementPoint/Main", swiftSettings: swiftSettings),
        .target(name: "PullDP",
                dependencies: ["ServiceKit", "ContentStore", "ContentTransfer", "Delta", "HTTPTransfer", .product(name: "Metrics", package: "swift-metrics")],
                path: "Services/PullDP/Library", swiftSettings: swiftSettings),
        .executableTarget(name: "PullDPMain", dependencies: ["PullDP"],
                          path: "Services/PullDP/Main", swiftSettings: swiftSettings),

        .target(name: "MulticastAgent",
                dependencies: ["Multicast", "ServiceKit", "ContentStore", "ContentTransfer", "Delta", "HTTPTransfer"],
                path: "Services/MulticastAgent/Library", swiftSettings: swiftSettings),
        .executableTarget(name: "MulticastAgentMain", dependencies: ["MulticastAgent"],
                          path: "Services/MulticastAgent/Main", swiftSettings: swiftSettings),

        // The administrator's CLI.
        // The services' libraries for their settings types: `cluster up` writes each service's
        // config by encoding them (no service imports another; the CLI is not a service).
        .target(name: "FerryCLI",
                dependencies: ["ServiceKit", "ContentStore", "ContentTransfer", "HTTPTransfer",
                               "DistributionManager", "PackageTransferManager", "ManagementPoint", "PullDP", "MulticastAgent",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                path: "Tools/ferry/Library", swiftSettings: swiftSettings),
        .executableTarget(name: "FerryMain", dependencies: ["FerryCLI"],
                          path: "Tools/ferry/Main", swiftSettings: swiftSettings),

        // deploy/bench/multicast.sh: the agent's multicast data plane on its own.
        .executableTarget(name: "MulticastBenchMain",
                          dependencies: ["MulticastAgent", "Multicast", "ContentStore",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          path: "Tools/multicast-bench/Main", swiftSettings: swiftSettings),

        // ferry-fuzz: the fuzzing campaign against a local cluster (issue 14 item 7).
        .target(name: "FerryFuzz",
                dependencies: ["FerryCLI", "Bus", "ContentStore", "ContentTransfer", "Messages", "ServiceKit", "CZeroMQ",
                               .product(name: "ArgumentParser", package: "swift-argument-parser")],
                path: "Tools/fuzz/Library", swiftSettings: swiftSettings),
        .executableTarget(name: "FerryFuzzMain", dependencies: ["FerryFuzz"], path: "Tools/fuzz/Main", swiftSettings: swiftSettings),

        // ferry-location-bench: content-location answers per second from a real MP (issue 15 item 8).
        .executableTarget(name: "LocationBenchMain",
                          dependencies: ["FerryFuzz", "Bus", "Messages", "ServiceKit", "ContentStore", "CZeroMQ",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          path: "Tools/location-bench/Main", swiftSettings: swiftSettings),

        // Tests.
        .testTarget(name: "ClocksTests", dependencies: ["Clocks"], swiftSettings: swiftSettings),
        .testTarget(name: "MessagesTests", dependencies: ["Messages"], swiftSettings: swiftSettings),
        .testTarget(name: "StoreTests", dependencies: ["Store"], swiftSettings: swiftSettings),
        .testTarget(name: "BusTests", dependencies: ["Bus", "Clocks", "Store", "Messages"], swiftSettings: swiftSettings),
        .testTarget(name: "ContentStoreTests", dependencies: ["ContentStore"], swiftSettings: swiftSettings),
        .testTarget(name: "HTTPTransferTests", dependencies: ["HTTPTransfer"], swiftSettings: swiftSettings),
        .testTarget(name: "DeltaTests", dependencies: ["Delta", "ContentStore"], path: "Tests/DeltaTests", swiftSettings: swiftSettings),
        .testTarget(name: "ContentTransferTests",
                    dependencies: ["ContentTransfer", "Clocks", "ContentStore", "HTTPTransfer",
                                   .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "Logging", package: "swift-log"),
                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ServiceKitTests",
                    dependencies: ["ServiceKit", "Bus", "Messages", "HTTPTransfer", .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "Metrics", package: "swift-metrics"),
                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "MulticastTests", dependencies: ["Multicast", "ServiceKit"], swiftSettings: swiftSettings),
        .testTarget(name: "MulticastAgentTests",
                    dependencies: ["MulticastAgent", "Multicast", "Clocks", "ContentStore", "ContentTransfer", "HTTPTransfer", "Messages", "ServiceKit",
                                   .product(name: "Logging", package: "swift-log"), .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "ManagementPointTests", dependencies: ["ManagementPoint", "Messages", "ServiceKit", "Store", .product(name: "GRDB", package: "GRDB.swift")], swiftSettings: swiftSettings),
        .testTarget(name: "DistributionManagerTests", dependencies: ["DistributionManager", "Messages"], swiftSettings: swiftSettings),
        .testTarget(name: "PackageTransferManagerTests", dependencies: ["PackageTransferManager", "Clocks"], swiftSettings: swiftSettings),
        .testTarget(name: "PullDPTests", dependencies: ["PullDP", "Messages"], swiftSettings: swiftSettings),
        .testTarget(name: "SiteServicesTests",
                    dependencies: ["DistributionManager", "PackageTransferManager", "PullDP", "ManagementPoint", "ServiceKit", "Bus", "Messages",
                                   "Clocks", "ContentStore",
                                   "HTTPTransfer", .product(name: "GRDB", package: "GRDB.swift"),
                                   .product(name: "Logging", package: "swift-log"),
                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    swiftSettings: swiftSettings),
        .testTarget(name: "IntegrationTests",
                    dependencies: ["FerryCLI", "FerryFuzz", "ServiceKit",
                                   "DistributionManager", "PackageTransferManager", "ManagementPoint", "PullDP", "MulticastAgent", "ContentStore", "HTTPTransfer", "Bus", "Messages", "CZeroMQ", "Multicast", "Yams"],
                    swiftSettings: swiftSettings),
    ]
)
