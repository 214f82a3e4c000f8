import CZeroMQ
import Foundation

/// A CurveZMQ key pair in Z85 text (40 characters each).
public struct CurveKeyPair: Codable, Sendable, Equatable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Generates a new key pair with libzmq.
    public static func generate() throws -> CurveKeyPair {
        var publicBuffer = [CChar](repeating: 0, count: 41)
        var secretBuffer = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicBuffer, &secretBuffer) == 0 else {
            throw ZMQError.last("zmq_curve_keypair")
        }
        return CurveKeyPair(publicKey: Self.string(publicBuffer), secretKey: Self.string(secretBuffer))
    }

    /// True when `key` looks like a Z85 Curve key.
    public static func isValid(_ key: String) -> Bool {
        key.utf8.count == 40
    }

    static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func z85(_ binary: Data) -> String {
        var buffer = [CChar](repeating: 0, count: binary.count * 5 / 4 + 1)
        _ = binary.withUnsafeBytes { zmq_z85_encode(&buffer, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), $0.count) }
        return string(buffer)
    }
}
