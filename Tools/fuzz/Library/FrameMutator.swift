import Foundation

/// Turns a valid bus frame into one a careless or hostile sender might send: bytes
/// flipped, cut short or padded, fields removed, retyped or replaced with extreme values,
/// wrong type names and versions, forged senders, deep nesting.
public struct FrameMutator: Sendable {
    public enum Strategy: String, CaseIterable, Sendable {
        case flipBytes, truncate, insertJunk, replaceValue, removeField, addField, retype, reversion, forgeSender, nest, empty, valid
    }

    public init() {}

    public func mutate(_ frame: Data, otherTypes: [String], using random: inout SeededGenerator) -> (Data, Strategy) {
        let strategy = Strategy.allCases.randomElement(using: &random)!
        return (apply(strategy, to: frame, otherTypes: otherTypes, using: &random), strategy)
    }

    func apply(_ strategy: Strategy, to frame: Data, otherTypes: [String], using random: inout SeededGenerator) -> Data {
        var bytes = [UInt8](frame)
        switch strategy {
        case .valid:
            return frame
        case .empty:
            return Data()
        case .flipBytes:
            for _ in 0..<Int.random(in: 1...8, using: &random) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            }
            return Data(bytes)
        case .truncate:
            return Data(bytes.prefix(Int.random(in: 0..<max(1, bytes.count), using: &random)))
        case .insertJunk:
            let at = Int.random(in: 0...bytes.count, using: &random)
            bytes.insert(contentsOf: random.bytes(Int.random(in: 1...64, using: &random)), at: at)
            return Data(bytes)
        case .nest:
            let depth = Int.random(in: 100...20_000, using: &random)
            return Data(String(repeating: "[", count: depth).utf8) + frame + Data(String(repeating: "]", count: depth).utf8)
        case .replaceValue, .removeField, .addField, .retype, .reversion, .forgeSender:
            guard var object = (try? JSONSerialization.jsonObject(with: frame)) as? [String: Any] else { return frame }
            switch strategy {
            case .retype:
                object["type"] = random.chance(70) ? (otherTypes.randomElement(using: &random) ?? "x") : Self.junkString(using: &random)
            case .reversion:
                object["version"] = [0, -1, 2, 99, Int.max, Int.min].randomElement(using: &random)!
            case .forgeSender:
                object["sender"] = ["site", "ptm", "mp", "dp1", "agent1", "cli", "", Self.junkString(using: &random)].randomElement(using: &random)!
            default:
                object = Self.mutateTree(object, strategy: strategy, using: &random) as? [String: Any] ?? object
            }
            return (try? JSONSerialization.data(withJSONObject: object)) ?? frame
        }
    }

    /// Mutates one randomly chosen place in a JSON tree.
    static func mutateTree(_ value: Any, strategy: Strategy, using random: inout SeededGenerator) -> Any {
        if var object = value as? [String: Any] {
            let keys = object.keys.sorted()
            let descend = !keys.isEmpty && random.chance(60)
            if descend, let key = keys.randomElement(using: &random),
               object[key] is [String: Any] || object[key] is [Any] {
                object[key] = mutateTree(object[key]!, strategy: strategy, using: &random)
                return object
            }
            switch strategy {
            case .removeField:
                if let key = keys.randomElement(using: &random) { object.removeValue(forKey: key) }
            case .addField:
                object[junkString(using: &random)] = junkValue(using: &random)
            default:
                if let key = keys.randomElement(using: &random) { object[key] = junkValue(using: &random) }
            }
            return object
        }
        if var array = value as? [Any] {
            if !array.isEmpty, random.chance(70) {
                let index = Int.random(in: 0..<array.count, using: &random)
                array[index] = mutateTree(array[index], strategy: strategy, using: &random)
            } else if random.chance(50) {
                array.append(junkValue(using: &random))
            } else {
                array = Array(repeating: array.first ?? 0, count: Int.random(in: 0...5_000, using: &random))
            }
            return array
        }
        return junkValue(using: &random)
    }

    static func junkValue(using random: inout SeededGenerator) -> Any {
        switch Int.random(in: 0..<9, using: &random) {
        case 0: return NSNull()
        case 1: return [Int.max, Int.min, 0, -1, 1 << 53, Int(Int32.max) + 1].randomElement(using: &random)!
        case 2: return Double.random(in: -1e300...1e300, using: &random)
        case 3: return random.chance(50)
        case 4: return [junkString(using: &random)]
        case 5: return ["k": junkString(using: &random)]
        case 6: return String(repeating: "A", count: Int.random(in: 1_000...500_000, using: &random))
        case 7: return ["../../etc/passwd", "/etc/shadow", "C:\\Windows", "%2e%2e/", "\u{0}", "a\nb\r\nc", "0000000000000000000000000000000000000000000000000000000000000000",
                        "2026-13-45T99:99:99Z", "-1", "NaN", "🚢", "\u{202E}evil"].randomElement(using: &random)!
        default: return junkString(using: &random)
        }
    }

    static func junkString(using random: inout SeededGenerator) -> String {
        let length = Int.random(in: 0...64, using: &random)
        return String(String.UnicodeScalarView((0..<length).compactMap { _ in
            Unicode.Scalar(UInt32.random(in: 0...0x2FFF, using: &random)).map { $0 }
        }))
    }
}
