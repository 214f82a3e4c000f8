import Foundation
import HTTPTransfer
import Testing

private func tempFile(_ name: String = #function) -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("ht-tests-\(getpid())-\(UUID().uuidString)", isDirectory: true)
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("file.bin")
}

private func curlCode(_ error: any Error) -> Int? {
    if case let HTTPTransferError.curl(code, _, _) = error { return code }
    return nil
}

/// Collects progress reports from curl's thread.
private final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int64] = []
    func record(_ v: Int64) { lock.withLock { values.append(v) } }
    var all: [Int64] { lock.withLock { values } }
}

@Suite struct HTTPClientTests {
    let client = HTTPClient()

    @Test func getReturnsBodyAndStatus() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let r = try await client.get("\(server.baseURL)/data")
        #expect(r.status == 200)
        #expect(r.body == server.payload)
        #expect(r.headers["content-length"] == "\(server.payload.count)")
        #expect(r.headers["accept-ranges"] == "bytes")
        #expect(r.header("Content-Length") == "\(server.payload.count)")
        #expect(server.requests.first?.method == "GET")
    }

    @Test func errorStatusIsReturnedNotThrown() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let r = try await client.get("\(server.baseURL)/status/404")
        #expect(r.status == 404)
        #expect(String(decoding: r.body, as: UTF8.self) == "status 404 body")
        #expect(!r.isSuccess)
        let r500 = try await client.post("\(server.baseURL)/status/503", body: Data("x".utf8))
        #expect(r500.status == 503)
    }

    @Test func headHasNoBodyButContentLength() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let r = try await client.head("\(server.baseURL)/data")
        #expect(r.status == 200)
        #expect(r.body.isEmpty)
        #expect(r.headers["content-length"] == "\(server.payload.count)")
        #expect(server.requests.first?.method == "HEAD")
    }

    @Test func putSendsBodyAndHeaders() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let body = TestHTTPServer.pattern(count: 70_000)
        let options = HTTPRequestOptions(headers: ["X-Custom": "hello world", "Content-Type": "application/x-ferry"])
        let r = try await client.put("\(server.baseURL)/echo", body: body, options: options)
        #expect(r.status == 200)
        #expect(r.body == body)
        #expect(r.headers["x-echo-method"] == "PUT")
        #expect(r.headers["x-echo-x-custom"] == "hello world")
        #expect(r.headers["x-echo-content-type"] == "application/x-ferry")
        #expect(r.headers["x-echo-content-length"] == "70000")
        #expect(r.headers["x-echo-expect"] == nil)
    }

    @Test func postSendsBodyAndHeaders() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let body = Data(#"{"a":1}"#.utf8)
        let r = try await client.post("\(server.baseURL)/echo", body: body,
                                      options: .init(headers: ["Authorization": "Bearer t0k"]))
        #expect(r.status == 200)
        #expect(r.body == body)
        #expect(r.headers["x-echo-method"] == "POST")
        #expect(r.headers["x-echo-authorization"] == "Bearer t0k")
        #expect(r.headers["x-echo-content-type"] == "application/octet-stream")
        #expect(server.requests.first?.body == body)

        let empty = try await client.post("\(server.baseURL)/echo", body: Data())
        #expect(empty.status == 200)
        #expect(empty.body.isEmpty)
        #expect(empty.headers["x-echo-content-length"] == "0")
    }

    @Test func rangeGetReturns206Slice() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let r = try await client.get("\(server.baseURL)/data", range: "bytes=1000-1999")
        #expect(r.status == 206)
        #expect(r.body == server.payload.subdata(in: 1000..<2000))
        #expect(r.headers["content-range"] == "bytes 1000-1999/\(server.payload.count)")

        let suffix = try await client.get("\(server.baseURL)/data", range: "-500")
        #expect(suffix.status == 206)
        #expect(suffix.body == server.payload.suffix(500))
        #expect(server.requests.last?.headers["range"] == "bytes=-500")

        let past = try await client.get("\(server.baseURL)/data", range: "bytes=\(server.payload.count)-")
        #expect(past.status == 416)
        #expect(past.headers["content-range"] == "bytes */\(server.payload.count)")
    }

    @Test func downloadResumesAfterMidBodyDisconnect() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let file = tempFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let url = "\(server.baseURL)/cut"

        await #expect { try await client.download(url, to: file) } throws: { curlCode($0) == 18 }
        let partial = try Data(contentsOf: file)
        #expect(partial.count == server.cutAt)
        #expect(partial == server.payload.prefix(server.cutAt))

        let log = ProgressLog()
        let r = try await client.download(url, to: file, progress: { log.record($0) })
        #expect(r.status == 206)
        #expect(r.body.isEmpty)
        #expect(server.requests.last?.headers["range"] == "bytes=\(server.cutAt)-")
        #expect(try Data(contentsOf: file) == server.payload)
        #expect(log.all.last == Int64(server.payload.count))
        #expect((log.all.first ?? 0) > Int64(server.cutAt))
        #expect(log.all == log.all.sorted())
    }

    @Test func downloadRewritesWhenServerIgnoresRange() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let file = tempFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try Data(repeating: 0xEE, count: 5000).write(to: file)
        let r = try await client.download("\(server.baseURL)/norange", to: file)
        #expect(r.status == 200)
        #expect(server.requests.last?.headers["range"] == "bytes=5000-")
        #expect(try Data(contentsOf: file) == server.payload)
    }

    @Test func downloadWithoutResumeTruncates() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let file = tempFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try Data(repeating: 0xEE, count: 400_000).write(to: file)
        let r = try await client.download("\(server.baseURL)/data", to: file, resume: false)
        #expect(r.status == 200)
        #expect(server.requests.last?.headers["range"] == nil)
        #expect(try Data(contentsOf: file) == server.payload)
    }

    @Test func downloadOfCompleteFileIs416Complete() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let file = tempFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try server.payload.write(to: file)
        let r = try await client.download("\(server.baseURL)/data", to: file)
        #expect(r.status == 200)
        #expect(r.headers["content-range"] == "bytes */\(server.payload.count)")
        #expect(try Data(contentsOf: file) == server.payload)

        // A local file longer than the remote one is not "complete": 416 is returned as is.
        try (server.payload + Data([1, 2, 3])).write(to: file)
        let longer = try await client.download("\(server.baseURL)/data", to: file)
        #expect(longer.status == 416)
    }

    @Test func downloadErrorStatusLeavesFileAlone() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let file = tempFile()
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        let r = try await client.download("\(server.baseURL)/status/500", to: file)
        #expect(r.status == 500)
        #expect(r.body.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: file.path))

        let existing = Data("partial content".utf8)
        try existing.write(to: file)
        let r404 = try await client.download("\(server.baseURL)/status/404", to: file)
        #expect(r404.status == 404)
        #expect(try Data(contentsOf: file) == existing)
    }

    @Test func connectionRefusedThrowsCurl() async throws {
        let port = TestHTTPServer.unusedPort()
        await #expect { try await client.get("http://127.0.0.1:\(port)/") } throws: { error in
            guard case let HTTPTransferError.curl(code, message, url) = error else { return false }
            return code == 7 && !message.isEmpty && url.contains("\(port)")
        }
    }

    @Test func timeoutThrows() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        await #expect {
            try await client.get("\(server.baseURL)/slow?ms=3000", options: .init(timeoutSeconds: 0.3))
        } throws: { curlCode($0) == 28 }   // without the timeout: 200 after 3 s
    }

    @Test func invalidURLs() async throws {
        for bad in ["", "not a url", "ftp://127.0.0.1/x", "file:///etc/passwd"] {
            await #expect { try await client.get(bad) } throws: { error in
                if case HTTPTransferError.invalidURL = error { return true }
                return false
            }
        }
    }

    @Test func localAddressIsUsed() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let a = try await client.get("\(server.baseURL)/data", options: .init(localAddress: "127.0.0.1"))
        #expect(a.status == 200)
        let b = try await client.get("\(server.baseURL)/data", options: .init(localAddress: "host!127.0.0.2"))
        #expect(b.status == 200)
        let c = try await client.get("\(server.baseURL)/data", options: .init(localAddress: "127.0.0.3"))
        #expect(c.status == 200)
        #expect(server.requests.map(\.peerAddress) == ["127.0.0.1", "127.0.0.2", "127.0.0.3"])

        // An address this host does not have cannot be bound.
        await #expect {
            try await client.get("\(server.baseURL)/data", options: .init(localAddress: "host!192.0.2.1"))
        } throws: { curlCode($0) == 45 }
    }

    @Test func cancellationAbortsTheTransfer() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = self.client
        let url = "\(server.baseURL)/stall"
        let task = Task { try await client.get(url) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        // Without cancellation the server's 5 s stall ends in curl error 18, not CancellationError.
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func requestsRunConcurrently() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let client = self.client
        let url = "\(server.baseURL)/slow?ms=800"
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await client.get(url).status } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses == Array(repeating: 200, count: 8))
        // Blocking transfers must not be capped at the CPU count (2 here).
        #expect(server.maxConcurrentSlow == 8)
    }

    @Test func receiveRateLimit() async throws {
        let server = try TestHTTPServer(payload: TestHTTPServer.pattern(count: 150_000))
        defer { server.stop() }
        let start = ContinuousClock.now
        let r = try await client.get("\(server.baseURL)/data", options: .init(maxReceiveBytesPerSecond: 100_000))
        let elapsed = ContinuousClock.now - start
        #expect(r.body == server.payload)
        #expect(elapsed > .milliseconds(1200))
        #expect(elapsed < .seconds(30), "the limit must not stall the transfer")
    }

    @Test func sendRateLimit() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        let body = TestHTTPServer.pattern(count: 150_000)
        let start = ContinuousClock.now
        let r = try await client.put("\(server.baseURL)/echo", body: body, options: .init(maxSendBytesPerSecond: 100_000))
        let elapsed = ContinuousClock.now - start
        #expect(r.status == 200)
        #expect(r.body == body)
        #expect(elapsed > .milliseconds(1200))
        #expect(elapsed < .seconds(30), "the limit must not stall the transfer")
    }

    @Test func stalledTransferIsAbortedByLowSpeedLimit() async throws {
        let server = try TestHTTPServer()
        defer { server.stop() }
        await #expect {
            try await client.get("\(server.baseURL)/stall",
                                 options: .init(lowSpeedLimitBytesPerSecond: 1000, lowSpeedTimeSeconds: 1))
        } throws: { curlCode($0) == 28 }
    }

    @Test func errorDescriptionIsOneLine() {
        let e = HTTPTransferError.curl(code: 7, message: "Connection refused", url: "http://x/")
        #expect(e.description.contains("curl error 7") && e.description.contains("http://x/"))
        #expect(!e.description.contains("\n"))
        #expect(HTTPTransferError.invalidURL("foo").description.contains("foo"))
        #expect(HTTPTransferError.io("disk full").description.contains("disk full"))
    }
}
