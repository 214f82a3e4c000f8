import ArgumentParser
import Bus
import Foundation
import Logging
import Messages
import ServiceKit

/// Plays the requests a service received, as its journal recorded them, against a running
/// service and compares each reply with the recorded one (SPEC X2).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay", abstract: "Replay a service's journal against a running service and compare the replies.",
        discussion: """
        Reads the JSON-lines journal a service writes with --journal (or `ferry cluster up --journal`), \
        sends every request it received to NODE, and compares each reply with the one recorded. \
        Requests keep their envelope ids, so commands already applied are acknowledged as duplicates \
        and applied nothing twice; --new-ids sends them as new commands. Exits 0 when every reply \
        has the recorded type, 1 otherwise.
        """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The journal file (JSON lines).") var journal: String
    @Option(name: .customLong("to"), help: "The node of the local cluster to replay against (site, ptm, mp, dp1…).") var node: String
    @Flag(help: "Give every replayed request a new envelope id.") var newIDs = false
    @Option(help: "Seconds to wait for each reply.") var timeout: Double = 30

    func validate() throws {
        guard timeout.isFinite, timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
    }

    struct Outcome: Codable {
        var type: String
        var recordedReply: String?
        var reply: String
        var sameType: Bool
        var sameBody: Bool
    }

    func run() async throws {
        let layout = try global.layout()
        guard let service = try layout.readDescription().service(node) else {
            throw ValidationError("no node named '\(node)' in \(layout.clusterFile.path)")
        }
        let entries = try JournalReader.read(URL(fileURLWithPath: absolute(journal)))
        let requests = entries.filter { $0.direction == "in" && $0.envelope.correlationID == nil }
        let replies = Dictionary(entries.filter { $0.direction == "out" }.compactMap { entry in
            entry.envelope.correlationID.map { ($0, entry) }
        }, uniquingKeysWith: { first, _ in first })
        var logger = Logger(label: "ferry-replay")
        logger.logLevel = .error
        // The server checks each envelope's sender against the key it connects with, so each
        // request is replayed as its recorded sender, with that node's key from the cluster.
        var clients: [String: BusClient] = [:]
        defer { clients.values.forEach { $0.close() } }
        func client(for sender: String) throws -> BusClient {
            if let existing = clients[sender] { return existing }
            let keyFile = sender == "cli" ? layout.cliKeyFile : layout.keyFile(of: sender)
            guard FileManager.default.fileExists(atPath: keyFile.path) else {
                throw ValidationError("cannot replay requests from '\(sender)': no key \(keyFile.path) in this cluster")
            }
            let identity = try CurveKeyPair.load(from: keyFile.path)
            let created = BusClient(node: sender, peer: node, endpoint: service.busEndpoint,
                                    security: BusClientSecurity(identity: identity, serverKey: try service.serverKey()), clock: SystemClock(), logger: logger)
            clients[sender] = created
            return created
        }

        var outcomes: [Outcome] = []
        for request in requests {
            var frame = request.frame
            var id = request.envelope.id
            if newIDs, var object = try JSONSerialization.jsonObject(with: frame) as? [String: Any] {
                id = UUID()
                object["id"] = id.uuidString
                frame = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            }
            let recorded = replies[request.envelope.id]
            let reply: Envelope
            do {
                reply = try await client(for: request.envelope.sender).send(frame: frame, id: id, timeout: .milliseconds(Int(timeout * 1000)))
            } catch {
                outcomes.append(Outcome(type: request.envelope.type, recordedReply: recorded?.envelope.type, reply: "no reply: \(error)",
                                        sameType: false, sameBody: false))
                continue
            }
            let sameType = recorded?.envelope.type == reply.type
            let sameBody = sameType && JournalReader.body(of: reply.frame) == recorded.flatMap { JournalReader.body(of: $0.frame) }
            outcomes.append(Outcome(type: request.envelope.type, recordedReply: recorded?.envelope.type, reply: reply.type,
                                    sameType: sameType, sameBody: sameBody))
        }
        if global.json {
            try Formatting.printJSON(outcomes)
        } else {
            print(Formatting.table(["REQUEST", "RECORDED REPLY", "REPLAYED REPLY", "MATCH"], outcomes.map {
                [$0.type, $0.recordedReply ?? "(none recorded)", $0.reply, $0.sameBody ? "same" : ($0.sameType ? "same type, body differs" : "DIFFERS")]
            }))
            print("\(outcomes.count) requests replayed: \(outcomes.filter(\.sameBody).count) identical, "
                  + "\(outcomes.filter { $0.sameType && !$0.sameBody }.count) same type, \(outcomes.filter { !$0.sameType }.count) different")
        }
        if outcomes.contains(where: { !$0.sameType }) { throw ExitCode(1) }
    }
}

/// Reads the journal lines a service wrote (see `Journal`).
enum JournalReader {
    struct Entry {
        var direction: String
        var frame: Data
        var envelope: Envelope
    }

    static func read(_ url: URL) throws -> [Entry] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ConfigurationError("cannot read the journal \(url.path)")
        }
        var entries: [Entry] = []
        for (number, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let direction = object["direction"] as? String, let frameObject = object["frame"] else {
                throw ConfigurationError("\(url.path):\(number + 1): not a journal line")
            }
            // A refused frame that was not JSON is kept as a string; it cannot be replayed as an envelope.
            guard frameObject is [String: Any], let frame = try? JSONSerialization.data(withJSONObject: frameObject, options: [.sortedKeys]),
                  let envelope = try? EnvelopeCodec.decode(frame, catalog: nil) else { continue }
            entries.append(Entry(direction: direction, frame: frame, envelope: envelope))
        }
        return entries
    }

    /// The body of a frame as canonical JSON, for comparing replies.
    static func body(of frame: Data) -> Data? {
        guard let object = try? JSONSerialization.jsonObject(with: frame) as? [String: Any], let body = object["body"] else { return nil }
        return try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .fragmentsAllowed])
    }
}
