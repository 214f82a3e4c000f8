import ContentStore
import Foundation
import Testing

@Suite("ContentHash")
struct ContentHashTests {
    @Test("raw bytes and hex convert both ways; only valid hashes have raw bytes")
    func rawBytes() throws {
        let hash = ContentHash.sha256Hex(Data("ferry".utf8))
        let raw = try #require(ContentHash.rawBytes(hash))
        #expect(raw.count == 32)
        #expect(ContentHash.hex(raw) == hash)
        #expect(ContentHash.hex([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        for invalid in ["", String(hash.dropLast()), hash.uppercased(), String(hash.dropLast()) + "g", hash + "0"] {
            #expect(ContentHash.rawBytes(invalid) == nil, "\(invalid)")
        }
    }
}
