import Bus
import Foundation
import Messages

/// Sends mutated envelopes of every message type to every service, as every client each
/// service accepts, and checks that each is answered with a readable envelope (an error,
/// mostly) or dropped, and that no service dies.
public struct BusFuzzer: Sendable {
    public let targets: [FuzzTarget]
    public let cases: Int
    public let seed: UInt64
    /// Frames sent before waiting for replies (the bus pipelines; so does an attacker).
    public let window: Int
    /// Called every 10,000 cases with the number done, so a long run shows it is moving.
    public let progress: @Sendable (Int) -> Void

    public init(targets: [FuzzTarget], cases: Int, seed: UInt64, window: Int = 32, progress: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.targets = targets
        self.cases = cases
        self.seed = seed
        self.window = window
        self.progress = progress
    }

    /// Runs on a thread of its own (it blocks on sockets) and returns the tally.
    public func run() async -> FuzzReport {
        // runBlocking does not throw.
        (try? await onThread(named: "bus-fuzzer") { self.runBlocking() }) ?? FuzzReport(kind: "bus", seed: seed)
    }

    func runBlocking() -> FuzzReport {
        var report = FuzzReport(kind: "bus", seed: seed)
        let started = Date()
        var random = SeededGenerator(seed: seed)
        let types = MessageCatalog.standard.types
        let names = types.map { $0.wireName }
        let mutator = FrameMutator()
        // One connection per (service, client identity).
        // Each connection carries every type's example encoded for its sender, once, not per case.
        var connections: [(target: FuzzTarget, client: FuzzTarget.Client, dealer: CurveDealer, inFlight: Int, examples: [Data])] = []
        var examples: [String: [Data]] = [:]
        for target in targets {
            for client in target.clients {
                do {
                    let dealer = try CurveDealer(endpoint: target.busEndpoint, serverKey: target.serverKey,
                                                 publicKey: client.keys.publicKey, secretKey: client.keys.secretKey)
                    let frames = examples[client.node] ?? types.map { Self.frame($0, sender: client.node) }
                    examples[client.node] = frames
                    connections.append((target, client, dealer, 0, frames))
                } catch {
                    report.setupFailures.append("\(target.node) as \(client.node): \(error)")
                }
            }
        }
        guard !connections.isEmpty else { return report }
        func collect(_ index: Int, waitMilliseconds: Int) {
            while connections[index].inFlight > 0, let reply = connections[index].dealer.receive(milliseconds: waitMilliseconds) {
                connections[index].inFlight -= 1
                report.record(reply: reply, from: connections[index].target.node)
            }
        }
        for number in 0..<cases {
            let index = Int.random(in: 0..<connections.count, using: &random)
            guard let example = connections[index].examples.randomElement(using: &random) else { continue }
            let (frame, strategy) = mutator.mutate(example, otherTypes: names, using: &random)
            report.count(strategy: strategy.rawValue)
            if !connections[index].dealer.send(frame) {
                collect(index, waitMilliseconds: 2_000)
                guard connections[index].dealer.send(frame) else { report.unsent += 1; continue }
            }
            report.sent += 1
            connections[index].inFlight += 1
            if connections[index].inFlight >= window { collect(index, waitMilliseconds: 2_000) }
            if number % 2_000 == 1_999 { report.noteDeaths(targets) }
            if number % 10_000 == 9_999 { progress(number + 1) }
        }
        // Stragglers: a handler may take a while (a DP usage query, a database write).
        for index in connections.indices { collect(index, waitMilliseconds: 5_000) }
        for connection in connections { report.unanswered += connection.inFlight }
        report.noteDeaths(targets)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    static func frame(_ type: any Message.Type, sender: String) -> Data {
        func encode<M: Message>(_ type: M.Type) -> Data { (try? EnvelopeCodec.encode(M.example, sender: sender, sentAt: Date())) ?? Data() }
        return encode(type)
    }
}
