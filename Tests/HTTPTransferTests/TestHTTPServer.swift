import Foundation
import HTTPTransfer
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server for tests: POSIX sockets on 127.0.0.1, an accept loop on a background
/// Thread, one thread and one request per connection (`Connection: close`).
///
/// Routes:
/// - `/data`: `payload`, honouring Range via `ByteRange.resolve`; HEAD supported.
/// - `/norange`: `payload`, always 200 (ignores Range).
/// - `/cut`: like `/data`, but the first request without a Range header announces the whole length
///   and closes the connection after `cutAt` bytes.
/// - `/status/<code>`: that status with body "status <code> body".
/// - `/echo`: 200, body = request body, `x-echo-method` and `x-echo-<name>` for every request header.
/// - `/slow?ms=N`: sleeps N ms, then 200 "slow".
/// - `/stall`: headers and 10 bytes of a 1 MB body, then sleeps 5 s.
final class TestHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [String: String]   // lowercased names
        var body: Data
        var peerAddress: String
    }

    let payload: Data
    let cutAt: Int
    private(set) var port: Int = 0
    private let listenFD: Int32
    private let lock = NSLock()
    private var _requests: [Request] = []
    private var cutServed = false
    private var slowActive = 0
    private var _maxSlowActive = 0
    private var stopped = false

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [Request] { lock.withLock { _requests } }
    /// The most `/slow` requests that were being handled at the same time.
    var maxConcurrentSlow: Int { lock.withLock { _maxSlowActive } }

    init(payload: Data = TestHTTPServer.pattern(count: 300_000), cutAt: Int? = nil) throws {
        self.payload = payload
        self.cutAt = cutAt ?? payload.count * 3 / 8
        listenFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listenFD >= 0 else { throw POSIXError(.EIO) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listenFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listenFD, 64) == 0 else {
            close(listenFD)
            throw POSIXError(.EADDRINUSE)
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listenFD, $0, &len) }
        }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        if first { shutdown(listenFD, Int32(SHUT_RDWR)) }   // wakes accept(); the loop closes the fd
    }

    /// Deterministic, non-repeating-looking bytes.
    static func pattern(count: Int) -> Data {
        var state: UInt32 = 2_463_534_242
        var bytes = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            bytes[i] = UInt8(truncatingIfNeeded: state)
        }
        return Data(bytes)
    }

    /// A port on 127.0.0.1 that nothing listens on (bound, then closed).
    static func unusedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    // MARK: Connection handling

    private func acceptLoop() {
        while true {
            var peer = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let fd = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listenFD, $0, &len) }
            }
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                break
            }
            var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &peer.sin_addr, &buf, socklen_t(buf.count))
            let peerAddress = String(decoding: buf.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let thread = Thread { [self] in
                handle(fd: fd, peerAddress: peerAddress)
                close(fd)
            }
            thread.start()
        }
        close(listenFD)
    }

    private func handle(fd: Int32, peerAddress: String) {
        guard let request = readRequest(fd: fd, peerAddress: peerAddress) else { return }
        lock.withLock { _requests.append(request) }
        let isHead = request.method == "HEAD"
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        let query = request.path.contains("?") ? String(request.path.split(separator: "?", maxSplits: 1)[1]) : ""

        switch path {
        case "/data":
            serveRanged(fd: fd, request: request, head: isHead)
        case "/norange":
            respond(fd: fd, status: 200, headers: [:], body: payload, head: isHead)
        case "/cut":
            let cutNow = lock.withLock { () -> Bool in
                guard request.headers["range"] == nil, !cutServed else { return false }
                cutServed = true
                return true
            }
            if cutNow {
                sendAll(fd: fd, head(status: 200, headers: ["Content-Length": "\(payload.count)"]))
                sendAll(fd: fd, payload.prefix(cutAt))
                usleep(20_000)
                return   // the caller closes the connection mid-body
            }
            serveRanged(fd: fd, request: request, head: isHead)
        case "/echo":
            var headers = ["X-Echo-Method": request.method]
            for (name, value) in request.headers { headers["X-Echo-\(name)"] = value }
            respond(fd: fd, status: 200, headers: headers, body: request.body, head: isHead)
        case "/slow":
            let ms = query.hasPrefix("ms=") ? Int(query.dropFirst(3)) ?? 1000 : 1000
            lock.withLock { slowActive += 1; _maxSlowActive = max(_maxSlowActive, slowActive) }
            usleep(UInt32(ms * 1000))
            lock.withLock { slowActive -= 1 }
            respond(fd: fd, status: 200, headers: [:], body: Data("slow".utf8), head: isHead)
        case "/stall":
            sendAll(fd: fd, head(status: 200, headers: ["Content-Length": "1000000"]))
            sendAll(fd: fd, Data(repeating: 0x41, count: 10))
            sleep(5)
        default:
            if path.hasPrefix("/status/"), let code = Int(path.dropFirst("/status/".count)) {
                respond(fd: fd, status: code, headers: [:], body: Data("status \(code) body".utf8), head: isHead)
            } else {
                respond(fd: fd, status: 404, headers: [:], body: Data("no route \(path)".utf8), head: isHead)
            }
        }
    }

    private func serveRanged(fd: Int32, request: Request, head isHead: Bool) {
        let length = Int64(payload.count)
        switch ByteRange.resolve(request.headers["range"], length: length) {
        case .whole:
            respond(fd: fd, status: 200, headers: ["Accept-Ranges": "bytes"], body: payload, head: isHead)
        case .partial(let r):
            respond(fd: fd, status: 206,
                    headers: ["Content-Range": ByteRange.contentRangeHeader(r, length: length)],
                    body: payload.subdata(in: Int(r.lowerBound)..<Int(r.upperBound)), head: isHead)
        case .unsatisfiable:
            respond(fd: fd, status: 416,
                    headers: ["Content-Range": ByteRange.unsatisfiedContentRangeHeader(length: length)],
                    body: Data("unsatisfiable".utf8), head: isHead)
        }
    }

    private func head(status: Int, headers: [String: String]) -> Data {
        var text = "HTTP/1.1 \(status) \(status < 400 ? "OK" : "Error")\r\nConnection: close\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Data(text.utf8)
    }

    private func respond(fd: Int32, status: Int, headers: [String: String], body: Data, head isHead: Bool) {
        var all = headers
        all["Content-Length"] = "\(body.count)"
        sendAll(fd: fd, head(status: status, headers: all))
        if !isHead { sendAll(fd: fd, body) }
    }

    @discardableResult
    private func sendAll(fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Bool in
            var sent = 0
            while sent < raw.count {
                let n = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 { if errno == EINTR { continue }; return false }
                sent += n
            }
            return true
        }
    }

    private func readRequest(fd: Int32, peerAddress: String) -> Request? {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        let separator = Data("\r\n\r\n".utf8)
        var headerEnd: Range<Data.Index>?
        while headerEnd == nil {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
            headerEnd = buffer.range(of: separator)
            if buffer.count > 1 << 20 { return nil }
        }
        let headText = String(decoding: buffer[..<headerEnd!.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(buffer[headerEnd!.upperBound...])
        let expected = Int(headers["content-length"] ?? "0") ?? 0
        while body.count < expected {
            let n = recv(fd, &chunk, min(chunk.count, expected - body.count), 0)
            if n <= 0 { return nil }
            body.append(contentsOf: chunk[0..<n])
        }
        return Request(method: String(requestLine[0]), path: String(requestLine[1]),
                       headers: headers, body: body, peerAddress: peerAddress)
    }
}
