import Foundation
import Multicast
import Testing

@Suite("ChunkBundle")
struct ChunkBundleTests {
    static let hashA = String(repeating: "ab", count: 32)
    static let hashB = String(repeating: "0f", count: 32)

    @Test("chunks come back with their hashes and bytes, in order")
    func roundTrip() throws {
        let a = Data("first chunk".utf8), b = Data((0..<1000).map { UInt8($0 % 251) })
        let bundle = try ChunkBundle.encode([(Self.hashA, a), (Self.hashB, b)])
        let entries = try ChunkBundle.decode(bundle)
        #expect(entries.map(\.hash) == [Self.hashA, Self.hashB])
        #expect(bundle[entries[0].range] == a)
        #expect(bundle[entries[1].range] == b)
    }

    @Test("ranges stay right for a slice that does not start at index 0")
    func sliceOffsets() throws {
        let bundle = try ChunkBundle.encode([(Self.hashA, Data("x".utf8)), (Self.hashB, Data("yz".utf8))])
        let framed = Data([9, 9, 9]) + bundle
        let slice = framed[3...]
        let entries = try ChunkBundle.decode(slice)
        #expect(slice[entries[1].range] == Data("yz".utf8))
    }

    @Test("an empty chunk is allowed; an empty bundle or a bad hash is not")
    func encodeLimits() throws {
        let bundle = try ChunkBundle.encode([(Self.hashA, Data())])
        #expect(try ChunkBundle.decode(bundle).map(\.range.count) == [0])
        #expect(throws: ChunkBundle.FormatError.self) { try ChunkBundle.encode([]) }
        #expect(throws: ChunkBundle.FormatError.self) { try ChunkBundle.encode([("ABCD", Data())]) }
        #expect(throws: ChunkBundle.FormatError.self) { try ChunkBundle.encode([(String(repeating: "AB", count: 32), Data())]) }
    }

    @Test("malformed bundles are rejected, never read past their end")
    func malformed() throws {
        let good = try ChunkBundle.encode([(Self.hashA, Data("hello".utf8)), (Self.hashB, Data("world!".utf8))])
        var zeroCount = good
        zeroCount[4] = 0
        zeroCount[5] = 0
        var hugeCount = good
        hugeCount[4] = 0xFF
        var longLength = good
        longLength[6 + 35] = 200   // first chunk claims 200 bytes
        let cases: [(String, Data)] = [
            ("empty", Data()),
            ("too short", Data("FYB".utf8)),
            ("bad magic", Data("XXXX".utf8) + good.dropFirst(4)),
            ("no entries", zeroCount),
            ("too many entries", hugeCount),
            ("header cut short", good.prefix(6 + 36)),
            ("chunk past the end", longLength),
            ("last chunk cut short", good.dropLast()),
            ("trailing bytes", good + Data([0])),
        ]
        for (name, data) in cases {
            #expect(throws: ChunkBundle.FormatError.self, "\(name)") { try ChunkBundle.decode(data) }
        }
    }

    @Test("the bundler fills bundles up to the target and hands over the rest on take")
    func bundler() throws {
        var bundler = ChunkBundler(targetBytes: 10)
        #expect(try bundler.add(hash: Self.hashA, data: Data(count: 6)) == nil)
        let full = try #require(try bundler.add(hash: Self.hashB, data: Data(count: 6)))
        #expect(try ChunkBundle.decode(full).map(\.hash) == [Self.hashA, Self.hashB])
        #expect(bundler.isEmpty)
        #expect(try bundler.take() == nil)
        #expect(try bundler.add(hash: Self.hashA, data: Data(count: 3)) == nil)
        let rest = try #require(try bundler.take())
        #expect(try ChunkBundle.decode(rest).map(\.range.count) == [3])
        #expect(bundler.isEmpty)
    }
}
