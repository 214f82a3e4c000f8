import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts and stops service processes that outlive the CLI.
enum ProcessLauncher {
    /// Spawns `executable` in its own session (so it survives the CLI and its terminal),
    /// with stdin from /dev/null and stdout/stderr appended to `output`.
    /// Variables starting with `removingEnvironmentPrefix` are not passed on: a service's
    /// `FERRY_*` overrides belong to that service, not to whatever the admin's shell holds.
    static func spawn(executable: URL, arguments: [String], output: URL, environment: [String: String] = [:],
                      removingEnvironmentPrefix: String? = nil) throws -> Int32 {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw LaunchError("cannot find the executable \(executable.path); build with 'swift build' or set FERRY_BIN_DIR")
        }
        markInheritedDescriptorsCloseOnExec()
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(0x80)) // POSIX_SPAWN_SETSID
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var merged = ProcessInfo.processInfo.environment
        if let prefix = removingEnvironmentPrefix { merged = merged.filter { !$0.key.hasPrefix(prefix) } }
        merged.merge(environment) { $1 }
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw LaunchError("cannot start \(executable.lastPathComponent): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// A service must not keep the CLI's other descriptors (a caller's pipe, say) open for
    /// its whole life: whoever reads that pipe would never see its end.
    private static func markInheritedDescriptorsCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let descriptor = Int32(entry), descriptor > 2 else { continue }
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// True when `pid` runs and is the named executable started with `config` (a recycled
    /// pid, or the same service of another cluster, is not mistaken for it).
    static func isRunning(_ pid: Int32, executableName: String, config: String) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // A zombie child of ours has exited already.
        if let state = status.split(separator: ")").last?.split(separator: " ").first, state == "Z" { return false }
        guard let commandLine = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return true }
        let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        let first = arguments.first ?? ""
        return (first.hasSuffix("/" + executableName) || first == executableName) && arguments.contains(config)
    }

    /// Sends SIGTERM, waits up to `grace` seconds, then SIGKILL. Returns true if it had to kill.
    static func stop(_ pid: Int32, executableName: String, config: String, grace: TimeInterval) -> Bool {
        guard isRunning(pid, executableName: executableName, config: config) else { return false }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            if !isRunning(pid, executableName: executableName, config: config) { return false }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        for _ in 0..<100 where isRunning(pid, executableName: executableName, config: config) {
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)
            usleep(20_000)
        }
        return true
    }

    /// The folder holding the service executables: FERRY_BIN_DIR, else beside this `ferry`.
    static func binaryFolder() -> URL {
        if let configured = ProcessInfo.processInfo.environment["FERRY_BIN_DIR"], !configured.isEmpty {
            return URL(fileURLWithPath: configured, isDirectory: true)
        }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent()
    }

    /// Picks `count` distinct free TCP ports on 127.0.0.1.
    static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { throw LaunchError("cannot open a socket to find a free port") }
            sockets.append(descriptor)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { throw LaunchError("cannot bind a socket to find a free port") }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }
}

struct LaunchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
