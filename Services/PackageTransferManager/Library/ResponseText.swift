import Foundation

/// The start of a DP's or the library's answer body, for an error line.
enum ResponseText {
    static func text(_ body: Data) -> String {
        String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
