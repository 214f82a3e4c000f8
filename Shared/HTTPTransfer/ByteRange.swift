/// Resolution of an HTTP Range header against a representation of `length` bytes (RFC 9110).
public enum ByteRangeResolution: Equatable, Sendable {
    /// No Range header, or one we ignore (malformed, other unit, several ranges) → 200 with everything.
    case whole
    /// → 206 with `Content-Range: bytes a-b/length` (see `ByteRange.contentRangeHeader`).
    case partial(Range<Int64>)
    /// → 416 with `Content-Range: bytes */length` (see `ByteRange.unsatisfiedContentRangeHeader`).
    case unsatisfiable
}

/// HTTP Range parsing for servers (RFC 9110 §14).
public enum ByteRange {
    /// Resolves a Range header value such as `bytes=0-499` against a representation of `length` bytes.
    ///
    /// - `bytes=a-b`: `a..<min(b+1, length)`; `b < a` is malformed (ignored → `.whole`).
    /// - `bytes=a-`: `a..<length`.
    /// - `bytes=-n`: the last `n` bytes; `n > length` → `0..<length`; `n == 0` → `.unsatisfiable`.
    /// - A start at or past the end → `.unsatisfiable` (so any range on an empty representation is
    ///   unsatisfiable).
    /// - A malformed header or a unit other than `bytes` → `.whole`.
    /// - Several ranges (`bytes=0-1,5-6`) → `.whole`: we serve everything rather than multipart.
    ///
    /// Numbers too large for Int64 are read as "very large": a huge last position or suffix length is
    /// clamped, a huge first position is past the end.
    public static func resolve(_ header: String?, length: Int64) -> ByteRangeResolution {
        guard let header else { return .whole }
        let length = max(0, length)
        let value = Substring(header).trimmingOWS()
        guard let eq = value.firstIndex(of: "=") else { return .whole }
        let unit = value[..<eq].trimmingOWS()
        guard unit.lowercased() == "bytes" else { return .whole }
        let set = value[value.index(after: eq)...].trimmingOWS()
        // Empty list elements are allowed by the list syntax (`bytes=0-1,`); count only real ones.
        let specs = set.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingOWS() }
            .filter { !$0.isEmpty }
        guard specs.count == 1 else { return .whole }
        let spec = specs[0]
        guard let dash = spec.firstIndex(of: "-") else { return .whole }
        let firstText = spec[..<dash]
        let lastText = spec[spec.index(after: dash)...]

        if firstText.isEmpty {
            // suffix-range: "-n"
            guard let n = parseDigits(lastText) else { return .whole }
            if n == 0 || length == 0 { return .unsatisfiable }
            return .partial(max(0, length - n)..<length)
        }
        guard let first = parseDigits(firstText) else { return .whole }
        if lastText.isEmpty {
            return first < length ? .partial(first..<length) : .unsatisfiable
        }
        guard let last = parseDigits(lastText) else { return .whole }
        guard last >= first else { return .whole }       // invalid range-spec: ignore the header
        guard first < length else { return .unsatisfiable }
        let end = last >= length - 1 ? length : last + 1
        return .partial(first..<end)
    }

    /// `Content-Range` value for a 206: `bytes 0-499/1234`. `range` must be non-empty.
    public static func contentRangeHeader(_ range: Range<Int64>, length: Int64) -> String {
        "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(length)"
    }

    /// `Content-Range` value for a 416: `bytes */1234`.
    public static func unsatisfiedContentRangeHeader(length: Int64) -> String {
        "bytes */\(length)"
    }

    /// Parses a `Content-Range` response value (`bytes a-b/len`, `bytes a-b/*`, `bytes */len`).
    /// Returns the range (nil for the unsatisfied form) and the complete length (nil when `*`),
    /// or nil when malformed.
    public static func parseContentRange(_ value: String) -> (range: Range<Int64>?, length: Int64?)? {
        let v = Substring(value).trimmingOWS()
        guard v.count > 6, v.prefix(6).lowercased() == "bytes " else { return nil }
        let rest = v.dropFirst(6).trimmingOWS()
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let rangeText = rest[..<slash].trimmingOWS()
        let lengthText = rest[rest.index(after: slash)...].trimmingOWS()
        var length: Int64? = nil
        if lengthText != "*" {
            guard let l = parseDigits(lengthText), l < Int64.max else { return nil }
            length = l
        }
        if rangeText == "*" {
            guard length != nil else { return nil }
            return (nil, length)
        }
        guard let dash = rangeText.firstIndex(of: "-"),
              let a = parseDigits(rangeText[..<dash]),
              let b = parseDigits(rangeText[rangeText.index(after: dash)...]),
              a <= b, b < Int64.max else { return nil }
        if let length, b >= length { return nil }
        return (a..<(b + 1), length)
    }

    /// 1*DIGIT → value, saturating at Int64.max; nil when empty or not all ASCII digits.
    private static func parseDigits(_ s: Substring) -> Int64? {
        guard !s.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in s.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let digit = Int64(byte - 0x30)
            if value > (Int64.max - digit) / 10 {
                value = Int64.max
            } else if value != Int64.max {
                value = value * 10 + digit
            }
        }
        return value
    }
}

extension Substring {
    /// Strips optional whitespace (SP / HTAB) at both ends.
    func trimmingOWS() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
