import Crypto
import Foundation

/// SHA-256 content hashes as lowercase hexadecimal strings (the names of chunks and manifest versions).
public enum ContentHash {
    /// The lowercase hexadecimal SHA-256 of `data`.
    public static func sha256Hex(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    /// The lowercase hexadecimal SHA-256 of raw bytes (no copy).
    static func sha256Hex(bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return hex(hasher.finalize())
    }

    /// True when `hex` is exactly 64 lowercase hexadecimal characters.
    public static func isValid(_ hex: String) -> Bool {
        var count = 0
        for byte in hex.utf8 {
            count += 1
            guard count <= 64 else { return false }
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"): continue
            default: return false
            }
        }
        return count == 64
    }

    /// Throws `.invalidHash` unless `hex` is valid.
    static func require(_ hex: String) throws {
        guard isValid(hex) else { throw ContentStoreError.invalidHash(hex) }
    }

    /// Throws `.invalidHash` unless `hex` is valid, `.hashMismatch` unless `data` hashes to it.
    static func require(_ data: Data, hashesTo hex: String) throws {
        try require(hex)
        let actual = sha256Hex(data)
        guard actual == hex else { throw ContentStoreError.hashMismatch(expected: hex, actual: actual) }
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Raw hash bytes (e.g. a digest, or 32 bytes read off the wire) as lowercase hexadecimal.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 32 raw bytes of a valid hash; nil unless `hex` is 64 lowercase hexadecimal characters.
    public static func rawBytes(_ hex: String) -> [UInt8]? {
        guard isValid(hex) else { return nil }
        func nibble(_ character: UInt8) -> UInt8 {
            character <= UInt8(ascii: "9") ? character - UInt8(ascii: "0") : character - UInt8(ascii: "a") + 10
        }
        let characters = Array(hex.utf8)
        return stride(from: 0, to: 64, by: 2).map { nibble(characters[$0]) << 4 | nibble(characters[$0 + 1]) }
    }
}
