#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Bus
import Foundation
import Hummingbird
import Logging
import ServiceKit
import ServiceLifecycle
import Testing

@Suite("HTTP server timeouts", .serialized)
struct HTTPServerTimeoutTests {
    /// Runs a real service host's HTTP application on a free loopback port with the given idle
    /// timeout, calls `body` with the port, then shuts the server down.
    static func withServer(idleTimeout: Double, _ body: (Int) async throws -> Void) async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let config = try folder.write("service.yaml", """
            node: web1
            dataDirectory: '\(folder.url.appendingPathComponent("data").path)'
            bus: {bind: 'tcp://127.0.0.1:0'}
            http: {host: 127.0.0.1, port: 0, idleTimeoutSeconds: \(idleTimeout)}
            """)
        let settings = try ConfigurationFile(url: config, environment: [:]).decode(CommonSettings.self)
        // Only its HTTP server runs here: no bus keys needed.
        let host = try ServiceHost(service: "timeout-test", settings: settings, defaultLogName: "test.log", insecureBus: true,
                                   echoLogToStandardOutput: false, clock: SystemClock())
        let busServer = host.makeBusServer(dispatcher: host.makeDispatcher())
        let application = host.makeHTTPApplication(router: host.makeRouter(), busServer: busServer)
        let group = ServiceGroup(configuration: .init(services: [.init(service: application)], logger: host.logger))
        let running = Task { try await group.run() }
        defer { running.cancel() }
        var port: Int?
        for _ in 0..<200 {
            if let url = host.httpURL, let found = URL(string: url)?.port { port = found; break }
            try await Task.sleep(for: .milliseconds(25))
        }
        let bound = try #require(port, "the HTTP server did not start")
        do {
            try await body(bound)
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }

    /// A blocking TCP connection to 127.0.0.1:`port`.
    static func connectSocket(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED) }
        return fd
    }

    static func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// True once the server has closed `fd` (end of file or a reset), without blocking.
    static func isClosedByServer(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return false }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_DONTWAIT))
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    @Test("Issue 14 item 5: 500 half-open requests (partial headers, some trickled byte by byte) are closed by the server within a bounded time")
    func halfOpenRequestsAreClosed() async throws {
        try await Self.withServer(idleTimeout: 1) { port in
            // Blocking socket calls run on a thread of their own: on Swift's cooperative pool
            // (two threads here) they would starve every other test's tasks in this process.
            let outcome = try await Self.onThread { () throws -> HalfOpenOutcome in try Self.halfOpen(port: port) }
            #expect(outcome.stillOpen == 0, "half-open connections still open after 8 s")
            #expect(outcome.trickleClosedAfter.count == 5)
            #expect(outcome.trickleClosedAfter.allSatisfy { $0 >= .milliseconds(900) && $0 <= .seconds(4) }, "\(outcome.trickleClosedAfter)")
            #expect(outcome.rounds >= 8, "trickling went on until the timeout")
            #expect(outcome.freshAnswer.hasPrefix("HTTP/1.1 200"), "\(outcome.freshAnswer)")
        }
    }

    struct HalfOpenOutcome: Sendable {
        var stillOpen: Int
        var trickleClosedAfter: [Duration]
        var rounds: Int
        var freshAnswer: String
    }

    /// 500 connections that send part of a request head, 5 that trickle it, then one whole request.
    static func halfOpen(port: Int) throws -> HalfOpenOutcome {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        for _ in 0..<500 {
            let fd = try connectSocket(port)
            sockets.append(fd)
            send(fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Partial: ")
        }
        // Five more keep trickling header bytes: a header timeout, not only an idle one.
        let trickleStart = ContinuousClock.now
        var trickling: [Int32] = []
        for _ in 0..<5 {
            let fd = try connectSocket(port)
            trickling.append(fd)
            sockets.append(fd)
            send(fd, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        }
        var open = Set(sockets)
        var rounds = 0
        var trickleClosedAfter: [Duration] = []
        while !open.isEmpty, ContinuousClock.now - trickleStart < .seconds(8) {
            for fd in trickling where open.contains(fd) { send(fd, "a") }
            rounds += 1
            for fd in open where isClosedByServer(fd) {
                open.remove(fd)
                if trickling.contains(fd) { trickleClosedAfter.append(ContinuousClock.now - trickleStart) }
            }
            usleep(100_000)
        }
        // The server still answers a complete request at once.
        let fresh = try connectSocket(port)
        defer { close(fresh) }
        send(fresh, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fresh, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fresh, &buffer, buffer.count, 0)
        return HalfOpenOutcome(stillOpen: open.count, trickleClosedAfter: trickleClosedAfter, rounds: rounds,
                               freshAnswer: String(decoding: buffer[0..<max(n, 0)], as: UTF8.self))
    }

    /// Runs blocking work on a new thread and waits for it without holding a pool thread.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }
}
