import Clocks
import Foundation
import Logging
import Multicast

/// The agent's view of its subnet: who represents which version, who volunteers, which
/// peers hold chunks; and the elections it takes part in (SPEC S2).
///
/// Election: an agent asks for an existing session, then volunteers three times; the
/// lowest address among volunteers wins, so agents that start at the same instant agree.
/// A representative that hears another with a lower address steps down, which resolves
/// the rare split when every volunteer datagram of one agent was lost. Members elect
/// again when the heartbeat stops (the representative died).
final class SubnetCoordinator: @unchecked Sendable {
    enum Role: Sendable {
        case representative
        case member(SubnetMessage)
    }

    struct Heard {
        var message: SubnetMessage
        var at: Date
    }

    /// A version this agent represents.
    struct Leading {
        var state: SubnetMessage.SessionState
        var multicast: Bool
        var startsAt: Date
        var steppedDown = false
        var doneAt: Date?
    }

    let node: String
    let address: String
    let httpURL: String
    let settings: SubnetSettings
    let logger: Logger
    /// Whether this agent holds chunks of a version: (any, every one).
    let holdings: @Sendable (String) -> (any: Bool, complete: Bool)
    private let lock = NSLock()
    private var sessions: [String: Heard] = [:]
    private var volunteers: [String: [String: Heard]] = [:]
    private var peers: [String: [String: Heard]] = [:]
    private var leading: [String: Leading] = [:]
    /// When this agent last sent who-has for a version.
    private var askedAt: [String: Date] = [:]
    private var channel: SubnetChannel?
    private var heartbeat: Task<Void, Never>?

    /// The service clock: the election's discovery, failover and linger periods are service time.
    let clock: any ServiceClock

    init(node: String, address: String, httpURL: String, settings: SubnetSettings, clock: any ServiceClock, logger: Logger,
         holdings: @escaping @Sendable (String) -> (any: Bool, complete: Bool)) {
        self.clock = clock
        self.node = node
        self.address = address
        self.httpURL = httpURL
        self.settings = settings
        self.logger = logger
        self.holdings = holdings
    }

    var rank: UInt32 { IPv4.parse(address) ?? .max }

    /// Joins the control channel; throws when the interface cannot multicast.
    func start() throws {
        let logger = logger
        channel = try SubnetChannel(group: settings.group, port: settings.port, interfaceAddress: address,
                                    handler: { [weak self] message in self?.handle(message) },
                                    rejected: { reason in logger.debug("dropped a subnet datagram", metadata: ["reason": "\(reason)"]) })
        let clock = clock
        heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                self?.announceAll()
                try? await clock.sleep(for: .milliseconds(400))
            }
        }
    }

    func stop() {
        heartbeat?.cancel()
        channel?.close()
    }

    // MARK: What the subnet says

    func handle(_ message: SubnetMessage) {
        guard message.node != node, message.address != address else { return }
        let version = message.versionID
        let now = clock.now
        lock.lock()
        var reply: SubnetMessage.Kind?
        switch message.kind {
        case .query:
            if leading[version] != nil { reply = .announce }
        case .volunteer:
            volunteers[version, default: [:]][message.address] = Heard(message: message, at: now)
            if leading[version] != nil { reply = .announce }
        case .announce:
            // Two representatives (a lost election datagram): the lower address keeps the session.
            if let current = sessions[version], current.message.address != message.address,
               now.timeIntervalSince(current.at) < settings.failover, current.message.rank < message.rank {
                break
            }
            sessions[version] = Heard(message: message, at: now)
            if var mine = leading[version] {
                if message.rank < rank {
                    if !mine.steppedDown { logger.info("another representative has a lower address; stepping down", metadata: ["version": "\(version.prefix(12))", "representative": "\(message.address)"]) }
                    mine.steppedDown = true
                    leading[version] = mine
                } else {
                    reply = .announce
                }
            }
        case .whoHas:
            reply = .has
        case .has:
            peers[version, default: [:]][message.address] = Heard(message: message, at: now)
        }
        lock.unlock()
        switch reply {
        case .announce?: announce(version)
        case .has?:
            let holding = holdings(version)
            if holding.any {
                channel?.send(SubnetMessage(kind: .has, versionID: version, node: node, address: address, httpURL: httpURL, complete: holding.complete))
            }
        default: break
        }
    }

    /// The live session for a version: its latest announce, nil when none was heard within the failover time.
    func session(_ version: String) -> SubnetMessage? {
        lock.lock()
        defer { lock.unlock() }
        guard let heard = sessions[version], clock.now.timeIntervalSince(heard.at) < settings.failover else { return nil }
        return heard.message
    }

    /// Peers that said they hold chunks of the version, those with every chunk first.
    /// Asks the subnet at most once a second per version; within that second the answers
    /// already heard are returned at once (a member polling its peers would flood otherwise).
    func peers(holding version: String) async -> [SubnetMessage] {
        let ask = lock.withLock {
            guard clock.now.timeIntervalSince(askedAt[version] ?? .distantPast) >= 1 else { return false }
            askedAt[version] = clock.now
            return true
        }
        if ask {
            channel?.send(SubnetMessage(kind: .whoHas, versionID: version, node: node, address: address))
            try? await clock.sleep(for: .milliseconds(Int(max(0.1, settings.discovery / 3) * 1000)))
        }
        let fresh = lock.withLock { (peers[version] ?? [:]).values.filter { clock.now.timeIntervalSince($0.at) < 30 }.map(\.message) }
        return fresh.sorted { ($0.complete == true ? 0 : 1, $0.rank) < ($1.complete == true ? 0 : 1, $1.rank) }
    }

    // MARK: Elections

    /// Finds the version's session or becomes its representative.
    func elect(_ version: String, multicast: Bool, startDelay: Double) async -> Role {
        channel?.send(SubnetMessage(kind: .query, versionID: version, node: node, address: address))
        if let session = await waitForSession(version, seconds: settings.discovery) { return .member(session) }
        while !Task.isCancelled {
            for _ in 0..<3 {
                channel?.send(SubnetMessage(kind: .volunteer, versionID: version, node: node, address: address, httpURL: httpURL))
                if let session = await waitForSession(version, seconds: settings.discovery / 3) { return .member(session) }
            }
            guard lowerVolunteer(version) else { break }
            // Someone with a lower address volunteered: it wins unless it never announces.
            if let session = await waitForSession(version, seconds: settings.failover) { return .member(session) }
            forgetVolunteers(version)
        }
        lock.withLock {
            leading[version] = Leading(state: .downloading, multicast: multicast, startsAt: clock.now.addingTimeInterval(startDelay))
        }
        announce(version)
        logger.info("representative for the subnet", metadata: ["version": "\(version.prefix(12))", "multicast": "\(multicast)"])
        return .representative
    }

    private func waitForSession(_ version: String, seconds: Double) async -> SubnetMessage? {
        let deadline = clock.now.addingTimeInterval(seconds)
        repeat {
            if let session = session(version) { return session }
            try? await clock.sleep(for: .milliseconds(50))
        } while clock.now < deadline
        return session(version)
    }

    private func lowerVolunteer(_ version: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return (volunteers[version] ?? [:]).values.contains {
            clock.now.timeIntervalSince($0.at) < settings.discovery * 2 && $0.message.rank < rank
        }
    }

    private func forgetVolunteers(_ version: String) {
        lock.lock()
        volunteers[version] = nil
        lock.unlock()
    }

    // MARK: Leading

    func leadingState(_ version: String) -> Leading? {
        lock.lock()
        defer { lock.unlock() }
        return leading[version]
    }

    func update(_ version: String, state: SubnetMessage.SessionState) {
        lock.lock()
        leading[version]?.state = state
        if state == .done { leading[version]?.doneAt = clock.now }
        lock.unlock()
        announce(version)
    }

    /// Stops representing the version (stepped down, or failed).
    func resign(_ version: String) {
        lock.lock()
        leading[version] = nil
        lock.unlock()
    }

    private func announce(_ version: String) {
        lock.lock()
        guard let mine = leading[version], !mine.steppedDown else {
            lock.unlock()
            return
        }
        let message = SubnetMessage(kind: .announce, versionID: version, node: node, address: address, httpURL: httpURL, state: mine.state,
                                    multicast: mine.multicast, startsInSeconds: max(0, mine.startsAt.timeIntervalSinceNow))
        lock.unlock()
        channel?.send(message)
    }

    private func announceAll() {
        lock.lock()
        // A finished session is announced for the linger time, then forgotten.
        for (version, mine) in leading {
            if let doneAt = mine.doneAt, clock.now.timeIntervalSince(doneAt) > settings.linger { leading[version] = nil }
        }
        let versions = Array(leading.keys)
        lock.unlock()
        versions.forEach(announce)
    }
}
