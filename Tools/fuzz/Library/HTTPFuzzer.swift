import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Sends mutated HTTP requests to every service's HTTP server (DP data plane, site
/// library, health and metrics, agents' peer caches) over raw TCP, several connections at
/// once, and checks that each is answered or dropped and that no service dies. A 5xx
/// answer is a finding.
public struct HTTPFuzzer: Sendable {
    public let targets: [FuzzTarget]
    public let cases: Int
    public let seed: UInt64
    public let mutator: HTTPRequestMutator
    public let workers: Int
    /// Called every 10,000 cases (all workers together) with the number done.
    public let progress: @Sendable (Int) -> Void
    private let done = SharedCount()

    public init(targets: [FuzzTarget], cases: Int, seed: UInt64, mutator: HTTPRequestMutator, workers: Int = 8,
                progress: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.progress = progress
        self.targets = targets
        self.cases = cases
        self.seed = seed
        self.mutator = mutator
        self.workers = max(1, workers)
    }

    public func run() async -> FuzzReport {
        let started = Date()
        // Each worker has its own seeded sequence: the run as a whole is reproducible.
        let shares = (0..<workers).map { cases / workers + ($0 < cases % workers ? 1 : 0) }
        var report = FuzzReport(kind: "http", seed: seed)
        let partials = await withTaskGroup(of: FuzzReport.self) { group in
            for (worker, share) in shares.enumerated() {
                group.addTask {
                    // runWorker does not throw.
                    (try? await onThread(named: "http-fuzzer-\(worker)") { self.runWorker(worker, cases: share) })
                        ?? FuzzReport(kind: "http", seed: self.seed)
                }
            }
            var all: [FuzzReport] = []
            for await partial in group { all.append(partial) }
            return all
        }
        for partial in partials {
            report.sent += partial.sent
            report.unanswered += partial.unanswered
            report.heldOpen.merge(partial.heldOpen, uniquingKeysWith: +)
            report.hangs += partial.hangs.prefix(max(0, 20 - report.hangs.count))
            report.unsent += partial.unsent
            report.statuses.merge(partial.statuses, uniquingKeysWith: +)
            report.strategies.merge(partial.strategies, uniquingKeysWith: +)
            report.serverErrors += partial.serverErrors.prefix(max(0, 20 - report.serverErrors.count))
        }
        report.noteDeaths(targets)
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    func runWorker(_ worker: Int, cases: Int) -> FuzzReport {
        var report = FuzzReport(kind: "http", seed: seed)
        var random = SeededGenerator(seed: seed &+ UInt64(worker) &* 0x1000_0000_0001)
        let servers = targets.compactMap { target -> (node: String, host: String, port: UInt16)? in
            guard let url = URL(string: target.httpURL), let host = url.host, let port = url.port else { return nil }
            return (target.node, host, UInt16(port))
        }
        guard !servers.isEmpty else { return report }
        for _ in 0..<cases {
            let server = servers.randomElement(using: &random)!
            let (bytes, strategy) = mutator.request(host: "\(server.host):\(server.port)", using: &random)
            report.count(strategy: strategy.rawValue)
            report.sent += 1
            let total = done.increment()
            if total % 10_000 == 0 { progress(total) }
            switch Self.exchange(bytes, host: server.host, port: server.port, waitSeconds: strategy == .truncate ? 0.3 : 10) {
            case .answered(let status):
                report.statuses["\(status / 100)xx", default: 0] += 1
                if status >= 500, report.serverErrors.count < 20 {
                    report.serverErrors.append("\(server.node): HTTP \(status) for \(String(decoding: bytes.prefix(120), as: UTF8.self).split(separator: "\r\n").first ?? "")")
                }
            case .closed:
                report.unanswered += 1
            case .silent:
                // A request that is whole and well formed must be answered: a server that sits
                // on it is a finding. Others may legitimately wait for bytes that never come
                // (a longer Content-Length, a chunked body, a cut request) until the idle timeout.
                report.heldOpen[strategy.rawValue, default: 0] += 1
                if strategy == .wellFormed, report.hangs.count < 20 {
                    report.hangs.append("\(server.node): no answer in 10 s to \(String(decoding: bytes.prefix(120), as: UTF8.self).split(separator: "\r\n").first ?? "")")
                }
            }
        }
        return report
    }

    /// What became of one request.
    enum Outcome: Equatable {
        /// The server answered with this status.
        case answered(Int)
        /// It closed the connection (or refused it) without a status line.
        case closed
        /// It said nothing within the wait and kept the connection open.
        case silent
    }

    /// Sends `bytes` on a new connection and reads the status line of the answer.
    static func exchange(_ bytes: Data, host: String, port: UInt16, waitSeconds: Double) -> Outcome {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return .closed }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: Int(waitSeconds), tv_usec: Int((waitSeconds - Double(Int(waitSeconds))) * 1_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return .closed }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            // The server may answer (413, 400) and close before taking a whole body.
            if written <= 0 { break }
            offset += written
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var timedOut = false
        while received.count < 64 * 1024 {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { timedOut = true }
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
            if received.range(of: Data("\r\n".utf8)) != nil { break }
        }
        guard received.starts(with: Data("HTTP/1.".utf8)), received.count >= 12,
              let status = Int(String(decoding: received[received.startIndex + 9..<received.startIndex + 12], as: UTF8.self)) else {
            return timedOut && received.isEmpty ? .silent : .closed
        }
        return .answered(status)
    }
}

/// A count several worker threads add to.
final class SharedCount: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}
