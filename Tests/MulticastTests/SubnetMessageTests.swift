import Foundation
import Multicast
import Testing

@Suite("SubnetMessage")
struct SubnetMessageTests {
    static let version = String(repeating: "ab", count: 32)

    func json(_ fields: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: fields)
    }

    @Test("a message survives encode and decode")
    func roundTrip() throws {
        let message = SubnetMessage(kind: .announce, versionID: Self.version, node: "s1a1", address: "10.77.1.11",
                                    httpURL: "http://10.77.1.11:8001", state: .sending, multicast: true, startsInSeconds: 2.5, complete: false)
        #expect(try SubnetMessage.decode(message.encoded()) == message)
    }

    @Test("the wire names of kinds and states are the documented ones")
    func wireNames() throws {
        let decoded = try SubnetMessage.decode(json(["kind": "who-has", "versionID": Self.version, "node": "n", "address": "10.0.0.1"]))
        #expect(decoded.kind == .whoHas)
        let announce = try SubnetMessage.decode(json(["kind": "announce", "versionID": Self.version, "node": "n", "address": "10.0.0.1",
                                                      "state": "done"]))
        #expect(announce.state == .done)
    }

    @Test("bad datagrams are rejected", arguments: [
        ("not JSON", "hello"),
        ("empty", ""),
        ("unknown kind", #"{"kind":"takeover","versionID":"\#(version)","node":"n","address":"10.0.0.1"}"#),
        ("unknown state", #"{"kind":"announce","versionID":"\#(version)","node":"n","address":"10.0.0.1","state":"paused"}"#),
        ("missing address", #"{"kind":"query","versionID":"\#(version)","node":"n"}"#),
        ("version not a SHA-256", #"{"kind":"query","versionID":"../../etc/passwd","node":"n","address":"10.0.0.1"}"#),
        ("version too short", #"{"kind":"query","versionID":"abcd","node":"n","address":"10.0.0.1"}"#),
        ("address not IPv4", #"{"kind":"query","versionID":"\#(version)","node":"n","address":"10.0.0.256"}"#),
        ("address a host name", #"{"kind":"query","versionID":"\#(version)","node":"n","address":"evil.example"}"#),
        ("wrong type", #"{"kind":"query","versionID":"\#(version)","node":7,"address":"10.0.0.1"}"#),
    ])
    func badDatagrams(name: String, datagram: String) {
        #expect(throws: SubnetMessageError.self, "\(name)") { try SubnetMessage.decode(Data(datagram.utf8)) }
    }

    @Test("datagrams over the size limit are rejected before parsing, and cannot be sent")
    func oversized() throws {
        var fields: [String: Any] = ["kind": "query", "versionID": Self.version, "node": String(repeating: "n", count: 3000), "address": "10.0.0.1"]
        #expect(throws: SubnetMessageError.self) { try SubnetMessage.decode(try json(fields)) }
        fields["node"] = "n"
        #expect(try SubnetMessage.decode(json(fields)).node == "n")
        let big = SubnetMessage(kind: .query, versionID: Self.version, node: String(repeating: "n", count: 3000), address: "10.0.0.1")
        #expect(throws: SubnetMessageError.self) { try big.encoded() }
    }

    @Test("the lower address ranks first, numerically rather than as text")
    func rank() {
        let low = SubnetMessage(kind: .volunteer, versionID: Self.version, node: "a", address: "10.77.1.9")
        let high = SubnetMessage(kind: .volunteer, versionID: Self.version, node: "b", address: "10.77.1.10")
        #expect(low.rank < high.rank)
    }
}
