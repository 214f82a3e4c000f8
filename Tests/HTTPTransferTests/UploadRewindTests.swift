import Foundation
import HTTPTransfer
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A keep-alive HTTP/1.1 server that reads the second request on a reused connection in full
/// and then closes that connection without answering, once: curl then retries the request on a
/// fresh connection and must send the body again.
private final class DroppingServer: @unchecked Sendable {
    private let listenFD: Int32
    private(set) var port = 0
    private let lock = NSLock()
    private var dropped = false

    var droppedOne: Bool { lock.withLock { dropped } }

    init() throws {
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listenFD, 16) == 0 else { close(listenFD); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in
            while true {
                let fd = accept(listenFD, nil, nil)
                if fd < 0 { if errno == EINTR { continue }; break }
                Thread { [self] in serve(fd); close(fd) }.start()
            }
            close(listenFD)
        }.start()
    }

    func stop() { shutdown(listenFD, Int32(SHUT_RDWR)) }

    private func serve(_ fd: Int32) {
        var buffer = Data()
        var index = 0
        while let body = readRequest(fd, &buffer) {
            index += 1
            let drop = lock.withLock { () -> Bool in
                guard index == 2, !dropped else { return false }
                dropped = true
                return true
            }
            if drop { return }
            let reply = "HTTP/1.1 200 OK\r\nContent-Length: \(String(body.count).utf8.count)\r\nConnection: keep-alive\r\n\r\n\(body.count)"
            let bytes = Array(reply.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
    }

    /// One request's body (headers read up to the blank line, then Content-Length bytes).
    private func readRequest(_ fd: Int32, _ buffer: inout Data) -> Data? {
        func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            guard n > 0 else { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        let separator = Data("\r\n\r\n".utf8)
        var headEnd = buffer.range(of: separator)
        while headEnd == nil {
            guard fill() else { return nil }
            headEnd = buffer.range(of: separator)
        }
        guard let end = headEnd else { return nil }
        let head = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self).lowercased()
        let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        buffer.removeSubrange(buffer.startIndex..<end.upperBound)
        while buffer.count < length { guard fill() else { return nil } }
        let body = Data(buffer.prefix(length))
        buffer.removeSubrange(buffer.startIndex..<(buffer.startIndex + length))
        return body
    }
}

@Suite("Upload rewind")
struct UploadRewindTests {
    @Test("Issue 14 (smaller): a PUT retried on a fresh connection after its reused one died sends its body again (no curl error 65)")
    func retriedPutRewindsItsBody() async throws {
        let server = try DroppingServer()
        defer { server.stop() }
        let client = HTTPClient()
        let url = "http://127.0.0.1:\(server.port)/chunks/x"
        let first = Data(repeating: 0x41, count: 100_000)
        let second = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        // Other tests share the handle pool; try until the second PUT went over the reused connection.
        for _ in 0..<5 where !server.droppedOne {
            #expect(try await client.put(url, body: first).status == 200)
            // A PUT that cannot rewind throws curl error 65 here.
            let response = try await client.put(url, body: second)
            #expect(response.status == 200)
            #expect(String(decoding: response.body, as: UTF8.self) == "\(second.count)")
        }
        #expect(server.droppedOne, "the second PUT never reused a connection")
    }
}
