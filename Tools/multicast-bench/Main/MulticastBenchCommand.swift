import ArgumentParser
import ContentStore
import Foundation
import Logging
import Multicast
import MulticastAgent

/// `ferry-multicast-bench`: the agent's multicast data plane between hosts of one subnet,
/// driven by deploy/bench/multicast.sh next to uftp and udpcast.
@main
struct MulticastBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry-multicast-bench",
        abstract: "Send or receive one stored content version over Ferry's NORM multicast (benchmark).",
        subcommands: [Import.self, Send.self, Receive.self])

    struct Session: ParsableArguments {
        @Option(help: "This host's IPv4 address (its interface, and the NORM node id).") var address: String
        @Option(help: "Fixed send rate in Mbit/s.") var rate: Double = 300
        @Option(help: "The NORM group.") var group = "239.255.77.2"
        @Option(help: "The NORM port.") var port: UInt16 = 7711
        @Option(help: "KiB of chunks packed into one NORM object (default: the agent's, 512).") var bundle: Int?
        @Option(help: "Bytes of payload per NORM packet (default: the agent's, 1400).") var segment: Int?
        @Option(help: "Reed-Solomon parity segments per block of 64 (default: the agent's, 0).") var parity: Int?
        @Flag(inversion: .prefixedNo, help: "Batch scheduling for every thread, as agents have by default.") var backgroundScheduling = true

        var settings: NormSettings {
            var settings = NormSettings(group: group, port: port, interfaceAddress: address, rateBitsPerSecond: rate * 1_000_000)
            if let bundle { settings.bundleBytes = bundle << 10 }
            if let segment { settings.segmentBytes = segment }
            if let parity { settings.paritySegments = parity }
            return settings
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Chunk a folder into a store; prints the version id.")
        @Option(help: "The chunk store folder.") var store: String
        @Option(help: "The folder to import.") var source: String
        @Option(help: "Average chunk size in KiB (minimum a quarter, maximum four times it), as the site's `chunking` setting would set it.")
        var chunkAverage = ChunkingParameters.standard.averageSize / 1024

        func run() throws {
            let average = chunkAverage * 1024
            let parameters = try ChunkingParameters(minimumSize: average / 4, averageSize: average, maximumSize: average * 4).validated()
            let chunkStore = try ChunkStore(root: URL(fileURLWithPath: store, isDirectory: true))
            let result = try FolderImporter(store: chunkStore, parameters: parameters)
                .importFolder(at: URL(fileURLWithPath: source, isDirectory: true))
            print(result.versionID)
        }
    }

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Multicast every chunk of a version, then serve repairs for --linger seconds.")
        @Option(help: "The chunk store holding the version.") var store: String
        @Option(help: "The version id.") var version: String
        @Option(help: "Seconds to keep answering repair requests after the flush.") var linger: Double = 60
        @OptionGroup var session: Session

        func run() async throws {
            try MulticastAgent.prepareProcess(batchScheduling: session.backgroundScheduling)
            let chunkStore = try ChunkStore(root: URL(fileURLWithPath: store, isDirectory: true))
            try await MulticastBenchmark.send(store: chunkStore, versionID: version, settings: session.settings, linger: linger,
                                              logger: Logger(label: "bench.send")) { result in
                // Unbuffered: the benchmark script reads it while this process lingers.
                FileHandle.standardOutput.write(Data(String(format: "sent %d chunks, %d bytes in %.2f s\n", result.chunks, result.bytes, result.seconds).utf8))
            }
        }
    }

    struct Receive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep the version's chunks heard on the session, hash-checked, until all are stored.")
        @Option(help: "This receiver's chunk store.") var store: String
        @Option(help: "A store holding the version's manifest (copied into this one first).") var manifestFrom: String
        @Option(help: "The version id.") var version: String
        @Option(help: "Give up after this many seconds.") var timeout: Double = 120
        @Flag(help: "Print the bytes kept and the chunks missing every second (to standard error).") var progress = false
        @OptionGroup var session: Session

        func run() async throws {
            try MulticastAgent.prepareProcess(batchScheduling: session.backgroundScheduling)
            let own = try ChunkStore(root: URL(fileURLWithPath: store, isDirectory: true))
            let source = try ChunkStore(root: URL(fileURLWithPath: manifestFrom, isDirectory: true))
            try own.storeManifest(try source.manifestData(version), versionID: version)
            let result = try await MulticastBenchmark.receive(store: own, versionID: version, settings: session.settings,
                                                              timeout: timeout, logger: Logger(label: "bench.receive"),
                                                              progress: progress ? { Self.report(bytes: $0, missingChunks: $1) } : nil)
            print(String(format: "received %d chunks, %d bytes in %.2f s, %d rejected", result.chunks, result.bytes, result.seconds, result.rejected))
        }

        static func report(bytes: Int64, missingChunks: Int) {
            FileHandle.standardError.write(Data(String(format: "%.1f kept %d bytes, %d chunks missing\n",
                                                       Date().timeIntervalSince1970, bytes, missingChunks).utf8))
        }
    }
}
