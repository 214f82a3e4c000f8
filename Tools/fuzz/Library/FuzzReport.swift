import Foundation
import Messages

/// What a fuzzing run sent and got back. A crash (a service process that died) or an
/// answer that is not a readable envelope is a finding; errors and drops are not.
public struct FuzzReport: Sendable, Codable {
    public var kind: String
    public var seed: UInt64
    public var sent = 0
    public var unsent = 0
    /// Replies that are readable envelopes, by type (error replies by code).
    public var replies: [String: Int] = [:]
    /// Replies that are not envelopes at all: a finding.
    public var unreadableReplies = 0
    /// Sent and never answered (a frame too broken to answer, or a lost reply); HTTP: the
    /// server closed the connection without a status.
    public var unanswered = 0
    /// HTTP: requests the server kept open without answering, by strategy (waiting for bytes
    /// a lying or cut request promised).
    public var heldOpen: [String: Int] = [:]
    /// HTTP: whole, well-formed requests left unanswered: findings.
    public var hangs: [String] = []
    /// HTTP: answers by status class; server errors (5xx) are listed as findings too.
    public var statuses: [String: Int] = [:]
    public var serverErrors: [String] = []
    /// Services whose process died during the run: the findings that matter most.
    public var crashed: [String] = []
    public var strategies: [String: Int] = [:]
    public var setupFailures: [String] = []
    /// HTTP: the real versions and chunks the cases named (held by the cluster's DPs).
    public var realVersions = 0
    public var realChunks = 0
    public var seconds: Double = 0

    public init(kind: String, seed: UInt64) {
        self.kind = kind
        self.seed = seed
    }

    /// No crash, no unreadable reply, no server error, no hang, and something was actually sent.
    public var passed: Bool {
        crashed.isEmpty && unreadableReplies == 0 && serverErrors.isEmpty && hangs.isEmpty && setupFailures.isEmpty && sent > 0
    }

    mutating func count(strategy: String) { strategies[strategy, default: 0] += 1 }

    mutating func record(reply frame: Data, from node: String) {
        guard let envelope = try? EnvelopeCodec.decode(frame) else {
            unreadableReplies += 1
            return
        }
        if envelope.type == ErrorReply.wireName, let error = try? envelope.decodeBody(ErrorReply.self) {
            replies["error:\(error.code.rawValue)", default: 0] += 1
            if error.code == .internalError, serverErrors.count < 20 { serverErrors.append("\(node): \(error.message.prefix(200))") }
        } else {
            replies[envelope.type, default: 0] += 1
        }
    }

    mutating func noteDeaths(_ targets: [FuzzTarget]) {
        for target in targets where !target.isAlive && !crashed.contains(target.node) { crashed.append(target.node) }
    }

    /// A few lines for a person: totals, then the findings.
    public var summary: String {
        var lines = ["\(kind) fuzz, seed \(seed): \(sent) cases in \(String(format: "%.1f", seconds)) s"
                     + " (\(sent > 0 && seconds > 0 ? Int(Double(sent) / seconds) : 0)/s)"]
        if !replies.isEmpty {
            lines.append("  replies: " + replies.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if !statuses.isEmpty {
            lines.append("  statuses: " + statuses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if kind == "http" { lines.append("  real versions named: \(realVersions) (\(realChunks) chunks)") }
        lines.append("  unanswered (dropped) \(unanswered), unsent \(unsent)")
        if !heldOpen.isEmpty {
            lines.append("  held open (incomplete or lying requests): " + heldOpen.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
        if kind == "http" { lines.append("  hangs on well-formed requests: \(hangs.count)\(hangs.isEmpty ? "" : " (" + hangs.prefix(5).joined(separator: "; ") + ")")") }
        lines.append("  crashed: \(crashed.isEmpty ? "0" : crashed.joined(separator: ", "))")
        lines.append("  unreadable replies: \(unreadableReplies)")
        lines.append("  server errors: \(serverErrors.count)\(serverErrors.isEmpty ? "" : " (" + serverErrors.prefix(5).joined(separator: "; ") + ")")")
        if !setupFailures.isEmpty { lines.append("  setup failures: " + setupFailures.joined(separator: "; ")) }
        lines.append(passed ? "  PASSED" : "  FAILED")
        return lines.joined(separator: "\n")
    }
}
