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

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func hex(_ digest: SHA256.Digest) -> String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
