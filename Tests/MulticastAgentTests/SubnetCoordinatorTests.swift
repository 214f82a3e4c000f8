import Clocks
import Foundation
import Logging
import Multicast
@testable import MulticastAgent
import Testing

/// The election rules, driven by handing the coordinator datagrams directly (the real
/// control channel between hosts is covered by the Testbed suite, which needs namespaces).
@Suite("SubnetCoordinator")
struct SubnetCoordinatorTests {
    static let version = String(repeating: "cd", count: 32)

    func coordinator(address: String = "10.77.1.12", discovery: Double = 0.15, failover: Double = 0.6) -> SubnetCoordinator {
        var settings = SubnetSettings()
        settings.discoverySeconds = discovery
        settings.failoverSeconds = failover
        settings.lingerSeconds = 0.2
        return SubnetCoordinator(node: "agent-\(address)", address: address, httpURL: "http://\(address):8001", settings: settings,
                                 clock: SystemClock(), logger: Logger(label: "test")) { _ in (false, false) }
    }

    func announce(from address: String, state: SubnetMessage.SessionState = .downloading) -> SubnetMessage {
        SubnetMessage(kind: .announce, versionID: Self.version, node: "agent-\(address)", address: address,
                      httpURL: "http://\(address):8001", state: state, multicast: true, startsInSeconds: 0)
    }

    func isRepresentative(_ role: SubnetCoordinator.Role) -> Bool {
        if case .representative = role { return true }
        return false
    }

    @Test("alone in the subnet, an agent becomes the representative")
    func alone() async {
        let subnet = coordinator()
        #expect(isRepresentative(await subnet.elect(Self.version, multicast: true, startDelay: 5)))
        let leading = subnet.leadingState(Self.version)
        #expect(leading?.multicast == true)
        #expect(leading?.steppedDown == false)
        #expect((leading?.startsAt.timeIntervalSinceNow ?? 0) > 4)
    }

    @Test("an agent that hears a live session joins it instead of volunteering")
    func joinsExistingSession() async {
        let subnet = coordinator()
        subnet.handle(announce(from: "10.77.1.20"))
        let role = await subnet.elect(Self.version, multicast: true, startDelay: 5)
        guard case .member(let session) = role else {
            Issue.record("expected a member, got \(role)")
            return
        }
        #expect(session.address == "10.77.1.20")
        #expect(subnet.leadingState(Self.version) == nil)
    }

    @Test("a representative steps down for a lower address and keeps the session against a higher one")
    func stepDown() async {
        let subnet = coordinator(address: "10.77.1.12")
        _ = await subnet.elect(Self.version, multicast: true, startDelay: 0)
        subnet.handle(announce(from: "10.77.1.30"))
        #expect(subnet.leadingState(Self.version)?.steppedDown == false)
        subnet.handle(announce(from: "10.77.1.5"))
        #expect(subnet.leadingState(Self.version)?.steppedDown == true)
        #expect(subnet.session(Self.version)?.address == "10.77.1.5")
    }

    @Test("while a lower address's session is live, a higher one's announce does not replace it")
    func lowerSessionWins() {
        let subnet = coordinator()
        subnet.handle(announce(from: "10.77.1.3"))
        subnet.handle(announce(from: "10.77.1.40"))
        #expect(subnet.session(Self.version)?.address == "10.77.1.3")
    }

    @Test("a session is forgotten once its heartbeat has been silent for the failover time")
    func failover() async throws {
        let subnet = coordinator(failover: 0.3)
        subnet.handle(announce(from: "10.77.1.20"))
        #expect(subnet.session(Self.version) != nil)
        try await Task.sleep(for: .milliseconds(500))
        #expect(subnet.session(Self.version) == nil)
    }

    @Test("a lower volunteer wins the election once it announces")
    func lowerVolunteerWins() async {
        // Query phase 0-0.6 s, volunteering 0.6-1.2 s; the lower volunteer is heard in between.
        let subnet = coordinator(address: "10.77.1.12", discovery: 0.6, failover: 3)
        let election = Task { await subnet.elect(Self.version, multicast: true, startDelay: 0) }
        try? await Task.sleep(for: .milliseconds(700))
        subnet.handle(SubnetMessage(kind: .volunteer, versionID: Self.version, node: "low", address: "10.77.1.4"))
        try? await Task.sleep(for: .milliseconds(800))
        #expect(subnet.leadingState(Self.version) == nil, "it waits for the lower volunteer")
        subnet.handle(announce(from: "10.77.1.4"))
        let role = await election.value
        guard case .member(let session) = role else {
            Issue.record("expected a member, got \(role)")
            return
        }
        #expect(session.address == "10.77.1.4")
    }

    @Test("a lower volunteer that never announces does not block the subnet")
    func silentVolunteer() async {
        let subnet = coordinator(address: "10.77.1.12", failover: 0.3)
        subnet.handle(SubnetMessage(kind: .volunteer, versionID: Self.version, node: "low", address: "10.77.1.4"))
        #expect(isRepresentative(await subnet.elect(Self.version, multicast: false, startDelay: 0)))
    }

    @Test("its own datagrams looped back are ignored")
    func ignoresItself() {
        let subnet = coordinator(address: "10.77.1.12")
        subnet.handle(announce(from: "10.77.1.12"))
        #expect(subnet.session(Self.version) == nil)
    }

    @Test("a higher volunteer does not stop an agent from representing")
    func higherVolunteer() async {
        let subnet = coordinator(address: "10.77.1.12")
        subnet.handle(SubnetMessage(kind: .volunteer, versionID: Self.version, node: "high", address: "10.77.1.90"))
        #expect(isRepresentative(await subnet.elect(Self.version, multicast: true, startDelay: 0)))
    }
}
