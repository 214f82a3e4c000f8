import Dispatch
import Foundation
internal import CCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Public types

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased; when a header repeats, the last value wins.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// 200...299.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// Case-insensitive header lookup.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

public struct HTTPRequestOptions: Sendable {
    /// Extra request headers. An empty value sends the header with an empty value.
    public var headers: [String: String] = [:]
    /// Whole-transfer limit; <= 0 or non-finite means none.
    public var timeoutSeconds: Double = 300
    /// Connection-phase limit; <= 0 or non-finite uses curl's default (300 s).
    public var connectTimeoutSeconds: Double = 10
    /// With `lowSpeedTimeSeconds`: abort when slower than this for that long. 0 disables.
    public var lowSpeedLimitBytesPerSecond: Int = 1
    public var lowSpeedTimeSeconds: Int = 30
    /// CURLOPT_INTERFACE: "host!127.0.2.10" (or a bare address / "if!eth0") so requests leave from it.
    public var localAddress: String? = nil
    public var maxReceiveBytesPerSecond: Int64? = nil
    public var maxSendBytesPerSecond: Int64? = nil

    public init(headers: [String: String] = [:],
                timeoutSeconds: Double = 300,
                connectTimeoutSeconds: Double = 10,
                lowSpeedLimitBytesPerSecond: Int = 1,
                lowSpeedTimeSeconds: Int = 30,
                localAddress: String? = nil,
                maxReceiveBytesPerSecond: Int64? = nil,
                maxSendBytesPerSecond: Int64? = nil) {
        self.headers = headers
        self.timeoutSeconds = timeoutSeconds
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.lowSpeedLimitBytesPerSecond = lowSpeedLimitBytesPerSecond
        self.lowSpeedTimeSeconds = lowSpeedTimeSeconds
        self.localAddress = localAddress
        self.maxReceiveBytesPerSecond = maxReceiveBytesPerSecond
        self.maxSendBytesPerSecond = maxSendBytesPerSecond
    }
}

public enum HTTPTransferError: Error, CustomStringConvertible, Sendable {
    /// A transport failure reported by libcurl (code is the CURLcode: 7 connection refused,
    /// 28 timeout, 18 body cut short, 45 local address unusable, …).
    case curl(code: Int, message: String, url: String)
    case invalidURL(String)
    case io(String)

    public var description: String {
        switch self {
        case let .curl(code, message, url): "HTTP transfer failed for \(url): curl error \(code): \(message)"
        case let .invalidURL(url): "invalid URL (only http:// and https:// are supported): \(url)"
        case let .io(message): "HTTP transfer I/O error: \(message)"
        }
    }
}

/// A libcurl HTTP client. Blocking libcurl work runs on Dispatch threads, never on Swift's cooperative
/// pool. Easy handles are pooled, so requests to one server reuse its connections. Redirects are not followed; any
/// HTTP status (including 4xx/5xx) is returned, only transport failures throw. Cancelling the calling
/// task aborts the transfer (within about a second) and throws `CancellationError`.
public final class HTTPClient: Sendable {
    public static let shared = HTTPClient()

    private static let globalInit: CURLcode = ccurl_global_init_default()

    public init() {
        _ = HTTPClient.globalInit
    }

    public func get(_ url: String, range: String? = nil, options: HTTPRequestOptions = .init()) async throws -> HTTPResponse {
        var spec = RequestSpec(method: "GET", url: url, options: options)
        if let range {
            let trimmed = range.trimmingCharacters(in: .whitespaces)
            spec.range = trimmed.lowercased().hasPrefix("bytes=") ? trimmed : "bytes=\(trimmed)"
        }
        return try await run(spec)
    }

    public func head(_ url: String, options: HTTPRequestOptions = .init()) async throws -> HTTPResponse {
        try await run(RequestSpec(method: "HEAD", url: url, options: options))
    }

    public func put(_ url: String, body: Data, options: HTTPRequestOptions = .init()) async throws -> HTTPResponse {
        var spec = RequestSpec(method: "PUT", url: url, options: options)
        spec.body = body
        return try await run(spec)
    }

    public func post(_ url: String, body: Data, options: HTTPRequestOptions = .init()) async throws -> HTTPResponse {
        var spec = RequestSpec(method: "POST", url: url, options: options)
        spec.body = body
        return try await run(spec)
    }

    /// Downloads to `file`. With resume = true and an existing partial file, asks for `bytes=<size>-`
    /// and appends (206 → append at the Content-Range start; 200 → server ignored the range: truncate
    /// and rewrite; 416 whose `Content-Range: bytes */N` equals the file size → already complete,
    /// reported as status 200). The file is written only for 200/206, so an error status leaves it
    /// untouched (and does not create it). `progress` gets the cumulative byte count of the file.
    /// Returns the response with an empty body.
    public func download(_ url: String, to file: URL, resume: Bool = true, options: HTTPRequestOptions = .init(),
                         progress: (@Sendable (Int64) -> Void)? = nil) async throws -> HTTPResponse {
        guard file.isFileURL else { throw HTTPTransferError.io("download destination is not a file URL: \(file)") }
        var spec = RequestSpec(method: "GET", url: url, options: options)
        spec.download = DownloadSpec(path: file.path, resume: resume, progress: progress)
        return try await run(spec)
    }

    // MARK: Running on Dispatch

    private func run(_ spec: RequestSpec) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let flag = CancelFlag()
        // A private serial queue per request: it targets Dispatch's overcommit pool, so blocked
        // transfers each get their own thread (a shared concurrent queue is capped near the CPU count).
        let queue = DispatchQueue(label: "ferry.http-transfer", qos: .utility)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                queue.async {
                    continuation.resume(with: Result { try Transfer.perform(spec, cancel: flag) })
                }
            }
        } onCancel: {
            flag.cancel()
        }
    }
}

// MARK: - Internals

private final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    func cancel() { lock.withLock { cancelled = true } }
    var isCancelled: Bool { lock.withLock { cancelled } }
}

private struct DownloadSpec: Sendable {
    var path: String
    var resume: Bool
    var progress: (@Sendable (Int64) -> Void)?
}

private struct RequestSpec: Sendable {
    var method: String
    var url: String
    var options: HTTPRequestOptions
    var body: Data? = nil
    var range: String? = nil
    var download: DownloadSpec? = nil

    init(method: String, url: String, options: HTTPRequestOptions) {
        self.method = method
        self.url = url
        self.options = options
    }
}

/// Writes a download's body to its file; only created once the status is known to be 200/206.
private final class FileSink {
    let path: String
    let progress: (@Sendable (Int64) -> Void)?
    private var fd: Int32 = -1
    private(set) var offset: Int64 = 0
    private(set) var opened = false
    private(set) var error: String?

    init(path: String, progress: (@Sendable (Int64) -> Void)?) {
        self.path = path
        self.progress = progress
    }

    /// Opens the file for a 200 (truncate) or 206 (position at the Content-Range start).
    func begin(status: Int, headers: [String: String]) -> Bool {
        guard !opened else { return error == nil }
        opened = true
        if status == 200 {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { return fail("cannot open \(path): \(errnoText())") }
            offset = 0
            return true
        }
        // 206
        guard let cr = headers["content-range"], let parsed = ByteRange.parseContentRange(cr),
              let range = parsed.range else {
            return fail("206 response without a usable Content-Range (\(headers["content-range"] ?? "none"))")
        }
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return fail("cannot open \(path): \(errnoText())") }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return fail("cannot stat \(path): \(errnoText())") }
        let size = Int64(st.st_size)
        guard range.lowerBound <= size else {
            return fail("server resumed at byte \(range.lowerBound) but \(path) has only \(size) bytes")
        }
        if range.lowerBound < size, ftruncate(fd, off_t(range.lowerBound)) != 0 {
            return fail("cannot truncate \(path): \(errnoText())")
        }
        guard lseek(fd, off_t(range.lowerBound), SEEK_SET) >= 0 else {
            return fail("cannot seek in \(path): \(errnoText())")
        }
        offset = range.lowerBound
        return true
    }

    func append(_ buffer: UnsafeRawBufferPointer) -> Bool {
        guard fd >= 0, error == nil else { return false }
        var done = 0
        while done < buffer.count {
            let n = write(fd, buffer.baseAddress! + done, buffer.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return fail("cannot write \(path): \(errnoText())")
            }
            done += n
        }
        offset += Int64(done)
        progress?(offset)
        return true
    }

    /// Closes the file; returns false (and sets `error`) if closing failed.
    @discardableResult
    func finish() -> Bool {
        guard fd >= 0 else { return error == nil }
        let rc = close(fd)
        fd = -1
        if rc != 0 { return fail("cannot close \(path): \(errnoText())") }
        return error == nil
    }

    private func fail(_ message: String) -> Bool {
        if error == nil { error = message }
        return false
    }
}

private func errnoText() -> String { String(cString: strerror(errno)) }

/// State shared with libcurl's callbacks during one `curl_easy_perform` (one thread).
private final class TransferContext {
    let cancel: CancelFlag
    let sink: FileSink?
    var status = 0
    var headers: [String: String] = [:]
    var body = Data()
    var bodyStarted = false
    var ioError: String?
    /// Request body (PUT/POST) sent by the read callback.
    var upload: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    var uploadOffset = 0
    var receivePacer: Pacer?
    var sendPacer: Pacer?

    init(cancel: CancelFlag, sink: FileSink?) {
        self.cancel = cancel
        self.sink = sink
    }

    static func from(_ pointer: UnsafeMutableRawPointer?) -> TransferContext {
        Unmanaged<TransferContext>.fromOpaque(pointer!).takeUnretainedValue()
    }
}

/// Keeps a byte stream at or under `bytesPerSecond` by sleeping in curl's callbacks (curl's own
/// MAX_*_SPEED options overshoot badly on short transfers). Sleeps in short slices so a cancelled
/// task still aborts promptly.
private struct Pacer {
    let bytesPerSecond: Int64
    private var start: UInt64?
    private var bytes: Int64 = 0

    init(bytesPerSecond: Int64) { self.bytesPerSecond = bytesPerSecond }

    /// Records `count` bytes moved (the clock starts with the first bytes).
    mutating func add(_ count: Int) {
        if start == nil { start = DispatchTime.now().uptimeNanoseconds }
        bytes += Int64(count)
    }

    /// Sleeps until the bytes recorded so far are due; returns false if cancelled meanwhile.
    func wait(cancel: CancelFlag) -> Bool {
        guard let start else { return !cancel.isCancelled }
        let due = start &+ UInt64(Double(bytes) / Double(bytesPerSecond) * 1e9)
        while true {
            if cancel.isCancelled { return false }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < due else { return true }
            usleep(useconds_t(min(due - now, 50_000_000) / 1000))
        }
    }
}

private func headerCallback(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ nmemb: Int,
                            _ userdata: UnsafeMutableRawPointer?) -> Int {
    let count = size * nmemb
    let ctx = TransferContext.from(userdata)
    guard let ptr, count > 0 else { return count }
    let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: count), as: UTF8.self)
        .trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        // A new response (e.g. after "100 Continue"): start over.
        let parts = line.split(separator: " ", maxSplits: 2)
        ctx.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        ctx.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        if !name.isEmpty { ctx.headers[name] = value }
    }
    return count
}

private func writeCallback(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ nmemb: Int,
                           _ userdata: UnsafeMutableRawPointer?) -> Int {
    let count = size * nmemb
    let ctx = TransferContext.from(userdata)
    if ctx.cancel.isCancelled { return 0 }
    guard let ptr, count > 0 else { return count }
    let buffer = UnsafeRawBufferPointer(start: ptr, count: count)
    guard let sink = ctx.sink else {
        ctx.body.append(contentsOf: buffer)
        return pace(ctx, count)
    }
    if !ctx.bodyStarted {
        ctx.bodyStarted = true
        if ctx.status == 200 || ctx.status == 206 {
            guard sink.begin(status: ctx.status, headers: ctx.headers) else {
                ctx.ioError = sink.error
                return 0
            }
        }
    }
    guard sink.opened else { return count }   // error status: discard the body, never touch the file
    guard sink.append(buffer) else {
        ctx.ioError = sink.error
        return 0
    }
    return pace(ctx, count)
}

/// Applies the receive rate limit after `count` bytes were consumed; returns what the write callback returns.
private func pace(_ ctx: TransferContext, _ count: Int) -> Int {
    guard ctx.receivePacer != nil else { return count }
    ctx.receivePacer!.add(count)
    return ctx.receivePacer!.wait(cancel: ctx.cancel) ? count : 0
}

private func readCallback(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ nmemb: Int,
                          _ userdata: UnsafeMutableRawPointer?) -> Int {
    let abort = Int(CURL_READFUNC_ABORT)
    let ctx = TransferContext.from(userdata)
    guard let ptr else { return abort }
    if ctx.cancel.isCancelled { return abort }
    var count = min(size * nmemb, ctx.upload.count - ctx.uploadOffset)
    if count <= 0 { return 0 }
    if ctx.sendPacer != nil {
        // Small slices so pacing is smooth: about 1/20 s of data, at least 1 KiB.
        count = min(count, Int(max(1024, min(ctx.sendPacer!.bytesPerSecond / 20, 1 << 20))))
        guard ctx.sendPacer!.wait(cancel: ctx.cancel) else { return abort }
    }
    UnsafeMutableRawPointer(ptr).copyMemory(from: ctx.upload.baseAddress! + ctx.uploadOffset, byteCount: count)
    ctx.uploadOffset += count
    ctx.sendPacer?.add(count)
    return count
}

/// Rewinds the upload body when curl must send it again (a reused connection that died, an
/// auth round): without it a retried PUT fails with curl error 65.
private func seekCallback(_ userdata: UnsafeMutableRawPointer?, _ offset: curl_off_t, _ origin: Int32) -> Int32 {
    let ctx = TransferContext.from(userdata)
    let target: Int
    switch origin {
    case SEEK_SET: target = Int(offset)
    case SEEK_CUR: target = ctx.uploadOffset + Int(offset)
    case SEEK_END: target = ctx.upload.count + Int(offset)
    default: return Int32(CURL_SEEKFUNC_CANTSEEK)
    }
    guard target >= 0, target <= ctx.upload.count else { return Int32(CURL_SEEKFUNC_FAIL) }
    ctx.uploadOffset = target
    return Int32(CURL_SEEKFUNC_OK)
}

private func xferInfoCallback(_ clientp: UnsafeMutableRawPointer?, _ dltotal: curl_off_t, _ dlnow: curl_off_t,
                              _ ultotal: curl_off_t, _ ulnow: curl_off_t) -> Int32 {
    TransferContext.from(clientp).cancel.isCancelled ? 1 : 0
}

/// Idle easy handles. A reused handle keeps its live connections (curl_easy_reset clears
/// options, not the connection cache), so the thousands of small chunk requests a transfer
/// makes to one server do not each pay for a new TCP connection.
private final class HandlePool: @unchecked Sendable {
    // `idle` is only touched under `lock`.
    static let shared = HandlePool()
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private let capacity = 64

    func take() -> UnsafeMutableRawPointer? {
        lock.lock()
        let reused = idle.popLast()
        lock.unlock()
        return reused ?? curl_easy_init()
    }

    func give(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        lock.lock()
        if idle.count < capacity {
            idle.append(handle)
            lock.unlock()
        } else {
            lock.unlock()
            curl_easy_cleanup(handle)
        }
    }
}

private enum Transfer {
    static func perform(_ spec: RequestSpec, cancel: CancelFlag) throws -> HTTPResponse {
        try validate(url: spec.url)
        if cancel.isCancelled { throw CancellationError() }

        var existingSize: Int64 = 0
        var sink: FileSink?
        var range = spec.range
        if let dl = spec.download {
            sink = FileSink(path: dl.path, progress: dl.progress)
            if dl.resume {
                var st = stat()
                if stat(dl.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size > 0 {
                    existingSize = Int64(st.st_size)
                    range = "bytes=\(existingSize)-"
                }
            }
        }

        // Request headers.
        var headerLines: [String] = []
        var userHeaderNames = Set<String>()
        for (name, value) in spec.options.headers {
            let n = name.trimmingCharacters(in: .whitespaces)
            guard !n.isEmpty, !n.contains(":"), !(n + value).contains(where: { $0 == "\r" || $0 == "\n" }) else {
                throw HTTPTransferError.curl(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue),
                                             message: "invalid request header \(name.debugDescription)", url: spec.url)
            }
            if range != nil && n.lowercased() == "range" { continue }
            userHeaderNames.insert(n.lowercased())
            headerLines.append(value.isEmpty ? "\(n);" : "\(n): \(value)")
        }
        if let range { headerLines.append("Range: \(range)") }
        if spec.body != nil {
            if !userHeaderNames.contains("expect") { headerLines.append("Expect:") }
            if !userHeaderNames.contains("content-type") { headerLines.append("Content-Type: application/octet-stream") }
        }

        guard let handle = HandlePool.shared.take() else { throw HTTPTransferError.io("curl_easy_init failed") }
        defer { HandlePool.shared.give(handle) }
        var slist: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(slist) }
        for line in headerLines {
            guard let next = curl_slist_append(slist, line) else { throw HTTPTransferError.io("curl_slist_append failed") }
            slist = next
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }

        let ctx = TransferContext(cancel: cancel, sink: sink)
        let ctxPointer = Unmanaged.passUnretained(ctx).toOpaque()
        let url = spec.url
        let o = spec.options

        func check(_ code: CURLcode, _ what: String) throws {
            guard code == CURLE_OK else {
                throw HTTPTransferError.curl(code: Int(code.rawValue),
                                             message: "\(what): \(String(cString: curl_easy_strerror(code)))", url: url)
            }
        }

        let body = spec.body ?? Data()
        let code: CURLcode = try withExtendedLifetime(ctx) {
            try body.withUnsafeBytes { (bodyBytes: UnsafeRawBufferPointer) -> CURLcode in
                try check(ccurl_setopt_string(handle, CURLOPT_URL, url), "URL")
                try check(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
                try check(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
                try check(ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION")
                try check(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "ERRORBUFFER")
                try check(ccurl_setopt_string(handle, CURLOPT_USERAGENT, "Ferry-HTTPTransfer/1"), "USERAGENT")
                try check(ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, slist), "HTTPHEADER")

                try check(ccurl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, headerCallback), "HEADERFUNCTION")
                try check(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, ctxPointer), "HEADERDATA")
                try check(ccurl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, writeCallback), "WRITEFUNCTION")
                try check(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, ctxPointer), "WRITEDATA")
                try check(ccurl_setopt_xferinfo_callback(handle, CURLOPT_XFERINFOFUNCTION, xferInfoCallback), "XFERINFOFUNCTION")
                try check(ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, ctxPointer), "XFERINFODATA")
                try check(ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0), "NOPROGRESS")

                if let ms = milliseconds(o.timeoutSeconds) {
                    try check(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, ms), "TIMEOUT_MS")
                }
                if let ms = milliseconds(o.connectTimeoutSeconds) {
                    try check(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, ms), "CONNECTTIMEOUT_MS")
                }
                if o.lowSpeedLimitBytesPerSecond > 0, o.lowSpeedTimeSeconds > 0 {
                    try check(ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, o.lowSpeedLimitBytesPerSecond), "LOW_SPEED_LIMIT")
                    try check(ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, o.lowSpeedTimeSeconds), "LOW_SPEED_TIME")
                }
                if let local = o.localAddress, !local.isEmpty {
                    try check(ccurl_setopt_string(handle, CURLOPT_INTERFACE, local), "INTERFACE")
                }
                // Rate limits: curl's own limiter (accurate on long transfers) plus our pacing in the
                // callbacks (accurate on short ones too).
                if let rate = o.maxReceiveBytesPerSecond, rate > 0 {
                    try check(ccurl_setopt_off(handle, CURLOPT_MAX_RECV_SPEED_LARGE, curl_off_t(rate)), "MAX_RECV_SPEED_LARGE")
                    _ = ccurl_setopt_long(handle, CURLOPT_BUFFERSIZE, Int(min(max(rate / 20, 1024), 16 * 1024)))
                    ctx.receivePacer = Pacer(bytesPerSecond: rate)
                }
                if let rate = o.maxSendBytesPerSecond, rate > 0 {
                    try check(ccurl_setopt_off(handle, CURLOPT_MAX_SEND_SPEED_LARGE, curl_off_t(rate)), "MAX_SEND_SPEED_LARGE")
                    ctx.sendPacer = Pacer(bytesPerSecond: rate)
                }

                switch spec.method {
                case "HEAD":
                    try check(ccurl_setopt_long(handle, CURLOPT_NOBODY, 1), "NOBODY")
                case "POST", "PUT":
                    // The body is read from `bodyBytes` by the read callback without copying (it outlives
                    // the perform call).
                    ctx.upload = bodyBytes
                    try check(ccurl_setopt_data_callback(handle, CURLOPT_READFUNCTION, readCallback), "READFUNCTION")
                    try check(ccurl_setopt_pointer(handle, CURLOPT_READDATA, ctxPointer), "READDATA")
                    try check(ccurl_setopt_seek_callback(handle, CURLOPT_SEEKFUNCTION, seekCallback), "SEEKFUNCTION")
                    try check(ccurl_setopt_pointer(handle, CURLOPT_SEEKDATA, ctxPointer), "SEEKDATA")
                    if spec.method == "PUT" {
                        try check(ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1), "UPLOAD")
                        try check(ccurl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bodyBytes.count)), "INFILESIZE_LARGE")
                    } else {
                        try check(ccurl_setopt_long(handle, CURLOPT_POST, 1), "POST")
                        try check(ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyBytes.count)), "POSTFIELDSIZE_LARGE")
                    }
                default:
                    try check(ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1), "HTTPGET")
                }
                return curl_easy_perform(handle)
            }
        }

        // The file is closed whatever happened, so a partial download stays on disk for a later resume.
        let closed = sink?.finish() ?? true

        if code != CURLE_OK {
            if cancel.isCancelled { throw CancellationError() }
            if let ioError = ctx.ioError ?? sink?.error { throw HTTPTransferError.io(ioError) }
            if code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL {
                throw HTTPTransferError.invalidURL(url)
            }
            let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
            throw HTTPTransferError.curl(code: Int(code.rawValue), message: detail, url: url)
        }

        var responseCode: Int = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &responseCode)
        var status = responseCode != 0 ? responseCode : ctx.status

        guard let sink else {
            return HTTPResponse(status: status, headers: ctx.headers, body: ctx.body)
        }
        guard closed else { throw HTTPTransferError.io(sink.error ?? "cannot close \(sink.path)") }

        if (status == 200 || status == 206) && !sink.opened {
            // Empty body: still create / truncate the file.
            guard sink.begin(status: status, headers: ctx.headers), sink.finish() else {
                throw HTTPTransferError.io(sink.error ?? "cannot write \(sink.path)")
            }
            sink.progress?(sink.offset)
        } else if status == 416, existingSize > 0,
                  let cr = ctx.headers["content-range"], let parsed = ByteRange.parseContentRange(cr),
                  parsed.range == nil, parsed.length == existingSize {
            // We asked for bytes past the end of a file that is already complete.
            status = 200
            sink.progress?(existingSize)
        }
        return HTTPResponse(status: status, headers: ctx.headers, body: Data())
    }

    /// Rejects URLs libcurl cannot parse and schemes other than http/https.
    static func validate(url: String) throws {
        guard !url.isEmpty, let u = curl_url() else { throw HTTPTransferError.invalidURL(url) }
        defer { curl_url_cleanup(u) }
        guard curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK else { throw HTTPTransferError.invalidURL(url) }
        var scheme: UnsafeMutablePointer<CChar>? = nil
        guard curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK, let scheme else {
            throw HTTPTransferError.invalidURL(url)
        }
        defer { curl_free(scheme) }
        let s = String(cString: scheme).lowercased()
        guard s == "http" || s == "https" else { throw HTTPTransferError.invalidURL(url) }
    }

    /// Seconds → whole milliseconds for curl (nil: leave curl's default / no limit).
    static func milliseconds(_ seconds: Double) -> Int? {
        guard seconds.isFinite, seconds > 0 else { return nil }
        return Int(min(max(seconds * 1000, 1), Double(Int32.max)).rounded(.up))
    }
}
