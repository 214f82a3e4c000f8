import ArgumentParser
import Bus
import Foundation
import Messages

struct DistributionPointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dp", abstract: "Distribution points: add, change, show, remove (every change applies at once).",
        subcommands: [List.self, Show.self, Add.self, Set.self, Remove.self, Validate.self, Repair.self, Import.self, MoveLibrary.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the site's distribution points.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let reply = try await global.connection().request(ListDistributionPoints())
            if global.json { return try Formatting.printJSON(reply) }
            print(Formatting.table(["NAME", "INSTALLED", "PENDING", "PRIORITY", "SCHEDULE", "RATE", "FALLBACK", "GROUPS", "UNIQUE CLIENTS", "HTTP"],
                                   reply.points.map {
                [$0.name, "\($0.installedVersions)", "\($0.pendingVersions)", DistributionPointCommand.priority($0),
                 DistributionPointCommand.schedule($0), DistributionPointCommand.rate($0),
                 $0.allowFallback == true ? "allowed" : "no",
                 ($0.groups ?? []).isEmpty ? "-" : ($0.groups ?? []).joined(separator: ", "),
                 $0.usage.map { usage in
                     "\(usage.uniqueClients)" + (usage.contents.isEmpty ? "" : " (" + usage.contents.map { "\($0.content): \($0.uniqueClients)" }.joined(separator: ", ") + ")")
                 } ?? "? (no answer)",
                 $0.httpURL]
            }))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One DP: schedule, rate limit, priority, its transfers and usage.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The distribution point.") var name: String

        func run() async throws {
            let reply = try await global.connection().request(ShowDistributionPoint(name: name))
            try DistributionPointCommand.printDetail(reply, json: global.json)
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash a DP's content now (SPEC C10); 'ferry status CONTENT' shows what was found.",
            discussion: "The site also validates every DP on a schedule (validationIntervalSeconds, default weekly). A version with missing or corrupt chunks is no longer offered to clients until 'ferry dp repair'.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The distribution point.") var name: String
        @Option(help: "Only this content.") var content: String?

        func run() async throws {
            let reply = try await global.connection().request(ValidateDistributionPoint(name: name, content: content))
            try DistributionPointCommand.printWork(reply, verb: "validation queued", json: global.json)
        }
    }

    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a DP again only the chunks its validation found missing or corrupt.",
            discussion: "'ferry redistribute' (distribute --redistribute) still copies every chunk again.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The distribution point.") var name: String

        func run() async throws {
            let reply = try await global.connection().request(RepairDistributionPoint(name: name))
            try DistributionPointCommand.printWork(reply, verb: "repair queued", json: global.json)
        }
    }

    static func printWork(_ reply: DistributionPointWorkAccepted, verb: String, json: Bool) throws {
        if json { return try Formatting.printJSON(reply) }
        print("\(reply.distributionPoint): \(verb) for \(reply.queued.isEmpty ? "nothing" : reply.queued.joined(separator: ", "))")
        for line in reply.skipped { print("  left alone: \(line)") }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a distribution point to the site.",
            discussion: "It starts always open, unlimited, with the shared default priority; change those with 'ferry dp set'.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The DP's name (letters, digits, '.', '_', '-').") var name: String
        @Option(name: .customLong("bus"), help: "The DP's bus endpoint, e.g. tcp://10.0.3.2:7101.") var busEndpoint: String
        @Option(name: .customLong("http"), help: "The DP's HTTP URL, e.g. http://10.0.3.2:8101.") var httpURL: String
        @Option(help: "The DP's CurveZMQ public key (40 Z85 characters).") var publicKey: String?
        @Option(help: "The file holding it (the DP's bus key file + .pub).") var publicKeyFile: String?
        @Flag(help: "The DP runs on the site server: no schedule and no rate limit apply.") var onSiteServer = false

        func validate() throws {
            if publicKey != nil, publicKeyFile != nil { throw ValidationError("give --public-key or --public-key-file, not both") }
        }

        func run() async throws {
            var key = publicKey
            if let publicKeyFile {
                do {
                    key = try String(contentsOfFile: publicKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                } catch {
                    throw ValidationError("cannot read --public-key-file \(publicKeyFile): \(error.localizedDescription)")
                }
            }
            let reply = try await global.connection().request(AddDistributionPoint(
                name: name, busEndpoint: busEndpoint, httpURL: httpURL, publicKey: key, onSiteServer: onSiteServer))
            try DistributionPointCommand.printDetail(reply, json: global.json)
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a distribution point's properties.",
            discussion: """
                Schedules are hourly cells for the week in the site's time zone, written as rules applied in order:
                  --schedule open                          every hour open to all priorities (the default)
                  --schedule "mon-fri 08-18 closed"        no transfers on weekdays 08:00 to 18:00
                  --schedule "sat,sun all high"            only high-priority content at weekends (medium-high: medium and high)
                  --schedule "daily all closed"            closed all week
                Rate limits: unlimited; pulse:KB:SECONDS (send KB, then wait); 20% (all day); 00-08=100,08-18=20,18-24=50 (per hour).
                Priority: a number, lower first among contents of equal priority; 'auto' measures it again from transfers.
                Pull DPs: --pull --source dp1:1 --source dp2:1 --source dp4:2 makes it download each distributed version from
                  its sources itself (lowest rank first, random among equal ranks); the site sends it nothing and its schedule
                  and rate limit are kept but unused. --no-pull makes it a standard DP again.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The distribution point.") var name: String
        @Option(help: "Clients outside its boundary groups may use it as a (slow) fallback source: true or false.")
        var allowFallback: Bool?
        @Option(help: "A schedule rule (repeatable, applied in order; the first replaces the whole schedule).")
        var schedule: [String] = []
        @Option(help: "The rate limit: unlimited, pulse:KB:SECONDS, P% or HH-HH=P,….") var rate: String?
        @Option(help: "The DP priority: a number from 1 to 1000000 (lower first), or auto.") var priority: String?
        @Option(help: "The DP runs on the site server (no schedule, no rate limit): true or false.") var onSiteServer: Bool?
        @Flag(inversion: .prefixedNo, help: "Make it a pull DP (with --source), or a standard DP again (--no-pull).") var pull: Bool?
        @Option(help: "A pull DP's source as NAME:RANK (repeatable; rank 1-1000, lower first; NAME alone is rank 1).")
        var source: [String] = []
        @Option(help: ArgumentHelp("Enable for prestaged content: each content's --prestage mode decides what it is sent; a pull DP so enabled pulls nothing.",
                                   valueName: "on|off"))
        var prestaged: OnOff?
        @Option(name: .customLong("validate-every"),
                help: ArgumentHelp("How often the site re-hashes this DP's content (SPEC C10): 7d, 12h, 90m, never, or site (the site's interval, weekly unless configured).",
                                   valueName: "DURATION|never|site"))
        var validateEvery: String?

        func validate() throws {
            // "Nothing to change" is said in run(): here it would hide an unknown option's error.
            _ = try request()
        }

        /// `7d`, `12h`, `90m`, `never` (0) or `site` (-1: the site's interval).
        static func validationInterval(_ text: String) throws -> Double {
            switch text.lowercased() {
            case "never": return 0
            case "site": return -1
            default:
                let units: [Character: Double] = ["m": 60, "h": 3600, "d": 86_400]
                guard let unit = text.last.flatMap({ units[$0] }), let count = Double(text.dropLast()), count > 0 else {
                    throw ValidationError("--validate-every is a number with m, h or d (7d, 12h, 90m), never, or site; got '\(text)'")
                }
                return count * unit
            }
        }

        /// `NAME:RANK` (or `NAME`, rank 1).
        static func pullSource(_ text: String) throws -> PullSource {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(parts.count), !parts[0].isEmpty else { throw ValidationError("--source is NAME:RANK, got '\(text)'") }
            guard parts.count == 2 else { return PullSource(name: parts[0], rank: 1) }
            guard let rank = Int(parts[1]) else { throw ValidationError("--source \(text): the rank is a whole number, got '\(parts[1])'") }
            return PullSource(name: parts[0], rank: rank)
        }

        func request() throws -> SetDistributionPoint {
            do {
                var request = SetDistributionPoint(name: name, allowFallback: allowFallback, onSiteServer: onSiteServer,
                                                   prestaged: prestaged.map { $0 == .on },
                                                   validationIntervalSeconds: try validateEvery.map(Self.validationInterval))
                switch (pull, source.isEmpty) {
                case (false?, false): throw ValidationError("--no-pull takes no --source")
                case (false?, true): request.pullSources = []
                case (true?, true): throw ValidationError("--pull needs at least one --source NAME:RANK")
                case (nil, false): throw ValidationError("--source goes with --pull")
                case (true?, false): request.pullSources = try source.map(Self.pullSource)
                case (nil, true): break
                }
                if !schedule.isEmpty { request.schedule = try TransferSchedule.parse(schedule) }
                if let rate { request.rateLimit = try RateLimit.parse(rate) }
                switch priority {
                case nil: break
                case "auto"?: request.automaticPriority = true
                case let text?:
                    guard let value = Int(text) else { throw TransferPolicyError("--priority is a whole number or 'auto', got '\(text)'") }
                    request.priority = value
                }
                return request
            } catch let error as TransferPolicyError {
                throw ValidationError(error.description)
            }
        }

        func run() async throws {
            if allowFallback == nil, schedule.isEmpty, rate == nil, priority == nil, onSiteServer == nil, pull == nil, source.isEmpty, prestaged == nil,
               validateEvery == nil {
                throw ValidationError("nothing to change: give --schedule, --rate, --priority, --on-site-server, --allow-fallback, --pull, --no-pull, --prestaged on|off or --validate-every")
            }
            let reply = try await global.connection().request(try request())
            try DistributionPointCommand.printDetail(reply, json: global.json)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a distribution point from the site.",
            discussion: "Its transfers stop, its versions leave the site's view (no client is sent there), and it leaves its DP and boundary groups. The files on the DP stay.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The distribution point.") var name: String

        func run() async throws {
            let reply = try await global.connection().request(RemoveDistributionPoint(name: name))
            if global.json { return try Formatting.printJSON(reply) }
            Swift.print("\(reply.name) removed: \(reply.forgottenVersions) installed version(s) forgotten, \(reply.stoppedTransfers) transfer(s) stopped")
            if !reply.groups.isEmpty { Swift.print("  left DP groups: \(reply.groups.joined(separator: ", "))") }
            if !reply.boundaryGroups.isEmpty { Swift.print("  left boundary groups: \(reply.boundaryGroups.joined(separator: ", "))") }
            Swift.print("  files: \(reply.filesOnDistributionPoint)")
        }
    }

    static func printDetail(_ reply: DistributionPointDetail, json: Bool) throws {
        if json { return try Formatting.printJSON(reply) }
        let point = reply.point
        Swift.print("\(point.name): \(point.httpURL), bus \(point.busEndpoint)")
        var measured = ""
        if let seconds = reply.lastTransferSeconds, let bytes = reply.lastTransferBytes {
            measured = "; last transfer \(Formatting.bytes(bytes)) in \(String(format: "%.1f", seconds)) s"
        }
        Swift.print("  priority:   \(priority(point))\(point.priorityIsManual == true ? " (set by hand)" : " (measured)")\(measured)")
        if let sources = point.pullSources, !sources.isEmpty {
            Swift.print("  pull DP:    sources \(DistributionPointCommand.sources(point)) (lowest rank first); the site sends it nothing")
            Swift.print("  schedule and rate limit (kept, unused while it pulls): \((point.schedule ?? ["open"]).joined(separator: "; ")); \(point.rateLimit ?? "unlimited")")
        } else if point.onSiteServer == true {
            Swift.print("  on the site server: no schedule and no rate limit apply")
        } else {
            Swift.print("  schedule:   \((point.schedule ?? ["open"]).joined(separator: "; "))")
            Swift.print("  rate limit: \(point.rateLimit ?? "unlimited")")
        }
        Swift.print("  validation: \(validation(point))")
        if point.prestaged == true {
            Swift.print("  prestaged:  enabled; each content's prestage mode decides what is sent\(point.pullSources?.isEmpty == false ? " (a pull DP so enabled pulls nothing)" : "")")
        }
        Swift.print("  fallback:   \(point.allowFallback == true ? "allowed" : "not allowed"); DP groups: \((point.groups ?? []).isEmpty ? "-" : (point.groups ?? []).joined(separator: ", "))")
        Swift.print("  usage:      \(point.usage.map { "\($0.uniqueClients) unique clients" } ?? "? (the DP did not answer)")")
        guard !reply.queue.isEmpty else { return Swift.print("  no content distributed to it") }
        Swift.print(Formatting.table(["CONTENT", "VERSION", "STATE", "ATTEMPTS", "WHY"], reply.queue.map {
            [$0.content, "\($0.target.version)", Formatting.targetState($0.target), "\($0.target.attempts)", $0.target.reason ?? "-"]
        }))
    }

    static func validation(_ point: DistributionPointSummary) -> String {
        guard point.validationIntervalIsOwn == true, let seconds = point.validationIntervalSeconds else {
            return "on the site's schedule (weekly unless configured)"
        }
        guard seconds > 0 else { return "never on a schedule (its own setting); 'ferry dp validate' still runs one" }
        let text = seconds.truncatingRemainder(dividingBy: 86_400) == 0 ? "\(Int(seconds / 86_400))d"
            : seconds.truncatingRemainder(dividingBy: 3600) == 0 ? "\(Int(seconds / 3600))h" : "\(Int(seconds / 60))m"
        return "every \(text) (its own setting)"
    }

    static func priority(_ point: DistributionPointSummary) -> String {
        point.priority.map { "\($0)\(point.priorityIsManual == true ? " (manual)" : "")" } ?? "-"
    }

    static func schedule(_ point: DistributionPointSummary) -> String {
        if let sources = point.pullSources, !sources.isEmpty { return "pull from \(DistributionPointCommand.sources(point))" }
        return point.onSiteServer == true ? "site server" : (point.schedule ?? ["open"]).joined(separator: "; ")
    }

    static func rate(_ point: DistributionPointSummary) -> String {
        if let sources = point.pullSources, !sources.isEmpty { return "-" }
        return point.onSiteServer == true ? "-" : point.rateLimit ?? "unlimited"
    }

    /// "dp1:1, dp2:1, dp4:2".
    static func sources(_ point: DistributionPointSummary) -> String {
        (point.pullSources ?? []).sorted { ($0.rank, $0.name) < ($1.rank, $1.name) }.map { "\($0.name):\($0.rank)" }.joined(separator: ", ")
    }
}
