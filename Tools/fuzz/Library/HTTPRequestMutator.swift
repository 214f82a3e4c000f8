import ContentTransfer
import Foundation

/// Builds HTTP/1.1 requests for a service's routes the way a hostile client would: odd
/// methods, paths with traversal, encodings and wrong ids, junk and lying headers, valid
/// and invalid tokens, bodies that do not match, and raw bytes flipped or cut short.
public struct HTTPRequestMutator: Sendable {
    /// Valid tokens the fuzzer minted with the site's key, so requests get past the token
    /// check and reach the code behind it.
    public var tokens: [String]
    /// Versions and chunk hashes that exist on the cluster, used for some ids in paths so
    /// requests with a valid token reach the code that serves them.
    public var versions: [String]
    public var chunks: [String]

    public init(tokens: [String], versions: [String] = [], chunks: [String] = []) {
        self.tokens = tokens
        self.versions = versions
        self.chunks = chunks
    }

    static let dataPlaneRoutes = DataPlanePath.all.map(\.template) + ["/health", "/metrics", "/", "/{junk}"]

    public enum Strategy: String, CaseIterable, Sendable { case wellFormed, junkHeaders, lyingLength, flipBytes, truncate }

    /// One request's bytes, and whether it is deliberately incomplete (no answer expected).
    public func request(host: String, using random: inout SeededGenerator) -> (bytes: Data, strategy: Strategy) {
        let roll = Int.random(in: 0..<100, using: &random)
        let strategy: Strategy = roll < 45 ? .wellFormed : roll < 70 ? .junkHeaders : roll < 80 ? .lyingLength : roll < 97 ? .flipBytes : .truncate
        let method = ["GET", "GET", "GET", "HEAD", "PUT", "PUT", "POST", "DELETE", "OPTIONS", "PATCH", "G\u{0}T", "CONNECT"]
            .randomElement(using: &random)!
        let path = path(using: &random)
        var headers = ["Host: \(host)", "Connection: close"]
        switch Int.random(in: 0..<5, using: &random) {
        case 0: break
        case 1, 2: if let token = tokens.randomElement(using: &random) { headers.append("Authorization: Bearer \(token)") }
        case 3: headers.append("Authorization: Bearer \(FrameMutator.junkString(using: &random).filter { $0 != "\r" && $0 != "\n" })")
        default: headers.append("Authorization: \(["Basic Zm9vOmJhcg==", "Bearer", "Bearer a.b", "Bearer ..", "bearer x.y"].randomElement(using: &random)!)")
        }
        if random.chance(40) {
            headers.append("Range: " + ["bytes=0-0", "bytes=-1", "bytes=-0", "bytes=5-1", "bytes=0-", "bytes=99999999999999999999-",
                                        "bytes=0-1,2-3", "bytes=abc", "items=0-1", "bytes=-99999999999", "bytes= 0 - 10"].randomElement(using: &random)!)
        }
        if random.chance(15) { headers.append("If-Range: \"\(FrameMutator.junkString(using: &random).prefix(8))\"") }
        var body = Data()
        if method == "PUT" || method == "POST" || random.chance(5) {
            body = Data(random.bytes(Int.random(in: 0...(random.chance(10) ? 200_000 : 2_000), using: &random)))
            if random.chance(30) {
                body = Data(#"{"formatVersion":1,"entries":[{"path":"a","kind":"file","mode":420,"size":99999999999999,"chunks":[]}]}"#.utf8)
            }
        }
        switch strategy {
        case .junkHeaders:
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                headers.append([
                    "X-\(Int.random(in: 0...999, using: &random)): " + String(repeating: "a", count: Int.random(in: 0...20_000, using: &random)),
                    "Transfer-Encoding: chunked", "Content-Length: -1", "Content-Length: 1, 2", "Expect: 100-continue",
                    ": no name", "NoColon", "Host: other", "Content-Type: \u{7F}",
                ].randomElement(using: &random)!)
            }
        case .lyingLength:
            headers.append("Content-Length: \([0, 1, body.count + 1, body.count * 2 + 10, 1 << 40].randomElement(using: &random)!)")
        default:
            if !body.isEmpty { headers.append("Content-Length: \(body.count)") }
        }
        if strategy != .lyingLength, !body.isEmpty, !headers.contains(where: { $0.hasPrefix("Content-Length") }) {
            headers.append("Content-Length: \(body.count)")
        }
        var bytes = Data("\(method) \(path) HTTP/1.1\r\n\(headers.joined(separator: "\r\n"))\r\n\r\n".utf8) + body
        switch strategy {
        case .flipBytes:
            for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            }
        case .truncate:
            bytes = bytes.prefix(Int.random(in: 1..<max(2, bytes.count), using: &random))
        default:
            break
        }
        return (bytes, strategy)
    }

    func path(using random: inout SeededGenerator) -> String {
        var path = Self.dataPlaneRoutes.randomElement(using: &random)!
        func hex(_ random: inout SeededGenerator, known: [String]) -> String {
            if !known.isEmpty, random.chance(50) { return known.randomElement(using: &random)! }
            switch Int.random(in: 0..<6, using: &random) {
            case 0: return String(repeating: "0", count: 64)
            case 1: return String(repeating: "f", count: 63)
            case 2: return String(repeating: "A", count: 64)
            case 3: return "..%2F..%2Fetc%2Fpasswd"
            default: return random.bytes(32).map { String(format: "%02x", $0) }.joined()
            }
        }
        while let range = path.range(of: "{hash}") { path.replaceSubrange(range, with: hex(&random, known: chunks)) }
        while let range = path.range(of: "{version}") { path.replaceSubrange(range, with: hex(&random, known: versions)) }
        if let range = path.range(of: "{path}") {
            path.replaceSubrange(range, with: ["setup.bin", "notes/readme.txt", "a.exe", "../../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "dir/../../x", "a%00b", "/abs", "",
                                               String(repeating: "d/", count: 2_000) + "f", "%C0%AE%C0%AE/x"].randomElement(using: &random)!)
        }
        if let range = path.range(of: "{junk}") {
            path.replaceSubrange(range, with: String(FrameMutator.junkString(using: &random).unicodeScalars.filter { $0.value > 32 && $0 != "?" && $0 != "#" })
                .addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "x")
        }
        if random.chance(10) { path += "?" + ["a=b", "x=%zz", String(repeating: "q", count: 10_000)].randomElement(using: &random)! }
        return path
    }
}
