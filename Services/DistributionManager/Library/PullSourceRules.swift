import Messages

/// Which DPs may pull and from where (SPEC P2, P5): a pure rule over the site's DPs.
///
/// A pull DP is not on the site server and not a cloud DP; its sources are other known DPs,
/// none of them a cloud DP, each named once with a rank of 1–1,000; and following sources
/// from source to source never comes back to the DP (a loop would wait for itself forever).
enum PullSourceRules {
    /// What the rule needs to know of each DP.
    struct Point: Sendable, Equatable {
        var name: String
        var onSiteServer: Bool
        var isCloud: Bool
        var pullSources: [PullSource]

        init(name: String, onSiteServer: Bool = false, isCloud: Bool = false, pullSources: [PullSource] = []) {
            self.name = name
            self.onSiteServer = onSiteServer
            self.isCloud = isCloud
            self.pullSources = pullSources
        }
    }

    /// Why a pull configuration is refused, in one line an administrator can act on.
    struct Refusal: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    /// Checks that `point` may pull from `sources`, given every DP of the site by name.
    /// An empty list (a standard DP again) is always allowed.
    static func check(_ point: Point, sources: [PullSource], points: [String: Point]) throws(Refusal) {
        guard !sources.isEmpty else { return }
        if point.onSiteServer {
            throw Refusal(description: "\(point.name) is on the site server, which cannot be a pull DP (SPEC P2)")
        }
        if point.isCloud { throw Refusal(description: "\(point.name) is a cloud DP, which cannot be a pull DP (SPEC P5)") }
        var seen = Set<String>()
        for source in sources {
            guard seen.insert(source.name).inserted else {
                throw Refusal(description: "source \(source.name) is named twice; give each source once with its rank")
            }
            guard PullSource.validRanks.contains(source.rank) else {
                throw Refusal(description: "source \(source.name) has rank \(source.rank); ranks are \(PullSource.validRanks.lowerBound)-\(PullSource.validRanks.upperBound), lower first")
            }
            guard source.name != point.name else { throw Refusal(description: "\(point.name) cannot be its own source") }
            guard let known = points[source.name] else {
                throw Refusal(description: "no distribution point named '\(source.name)' to pull from (known: \(points.keys.sorted().joined(separator: ", ")))")
            }
            if known.isCloud { throw Refusal(description: "\(source.name) is a cloud DP, which cannot be a source of a pull DP (SPEC P5)") }
        }
        if let loop = loop(from: point.name, sources: sources.map(\.name), points: points) {
            throw Refusal(description: "the sources make a chain that loops: \(loop.joined(separator: " → "))")
        }
    }

    /// A path from `start` through sources back to `start`, if there is one.
    static func loop(from start: String, sources: [String], points: [String: Point]) -> [String]? {
        var visited = Set<String>()
        func walk(_ name: String, path: [String]) -> [String]? {
            if name == start { return path + [name] }
            guard visited.insert(name).inserted, let point = points[name] else { return nil }
            for next in point.pullSources.map(\.name) {
                if let found = walk(next, path: path + [name]) { return found }
            }
            return nil
        }
        for source in sources {
            if let found = walk(source, path: [start]) { return found }
        }
        return nil
    }

    /// The pull DPs that name `name` among their sources.
    static func dependents(of name: String, points: [String: Point]) -> [String] {
        points.values.filter { $0.pullSources.contains { $0.name == name } }.map(\.name).sorted()
    }
}
