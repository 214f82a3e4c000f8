import CNorm
public import Foundation

/// How a subnet's NORM session is set up (PLATFORM.md: LAN settings, fixed rate).
public struct NormSettings: Sendable, Equatable {
    /// The multicast group the session uses (administratively scoped, TTL 1).
    public var group: String
    public var port: UInt16
    /// The IPv4 address of the interface to send and receive on; also the NORM node id.
    public var interfaceAddress: String
    /// Fixed send rate in bits per second.
    public var rateBitsPerSecond: Double
    /// Bytes the receiver buffers per remote sender.
    public var receiveBufferBytes: Int
    /// Bytes of sent objects kept for repairs.
    public var sendBufferBytes: Int
    /// About how many bytes of chunks go into one NORM object (`ChunkBundle`). 512 KiB and
    /// 4 MiB measured alike for speed; the smaller object holds less memory on both sides and
    /// a late joiner, who cannot use an object it heard only in part, loses less.
    public var bundleBytes: Int
    /// Bytes of payload per NORM data packet. With NORM's, UDP's and IP's headers a packet
    /// must fit the LAN's frame (1400 for a 1500-byte MTU): a fragmented packet is lost whole.
    public var segmentBytes: Int
    /// Reed-Solomon parity segments per block of 64 data segments; 0 repairs by resending
    /// the lost segments. NORM computes parity for every block as it sends, whether or not
    /// anyone asks for a repair: 8 cost the sender 0.7 s of CPU per 200 MB, and at 1 % loss
    /// plain resending was faster here (docs/PERFORMANCE.md).
    public var paritySegments: Int

    public init(group: String = "239.255.77.2", port: UInt16 = 7711, interfaceAddress: String,
                rateBitsPerSecond: Double = 300_000_000, receiveBufferBytes: Int = 64 << 20, sendBufferBytes: Int = 64 << 20,
                bundleBytes: Int = 512 << 10, segmentBytes: Int = 1400, paritySegments: Int = 0) {
        self.group = group
        self.port = port
        self.interfaceAddress = interfaceAddress
        self.rateBitsPerSecond = rateBitsPerSecond
        self.receiveBufferBytes = receiveBufferBytes
        self.sendBufferBytes = sendBufferBytes
        self.bundleBytes = bundleBytes
        self.segmentBytes = segmentBytes
        self.paritySegments = paritySegments
    }
}

/// Why a NORM session could not be set up or used.
public struct NormError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One NORM (RFC 5740) session on one interface: it always receives, and sends objects
/// when asked. Each object is a data object with a short info string (for content, a
/// `ChunkBundle`).
///
/// NORM runs its own protocol thread; this type adds one thread that reads its events.
/// Data handed to `send` is copied and freed when NORM purges the object, so memory is
/// bounded by the send buffer, not by the content size.
public final class NormChannel: @unchecked Sendable {
    /// Called on the event thread for every object received whole: its info and bytes.
    /// The bytes are NORM's own buffer, valid only during the call: copy what must outlive
    /// it. The receiver must verify the bytes; NORM only protects against loss.
    public typealias ObjectHandler = @Sendable (_ info: String, _ data: Data, _ senderAddress: String) -> Void

    let settings: NormSettings
    private let instance: NormInstanceHandle
    private let session: NormSessionHandle
    private let onObject: ObjectHandler
    private let lock = MonotonicCondition()
    private var sending = false
    private var flushes = 0
    private var pinned: [UInt: UnsafeMutableRawPointer] = [:]
    private var lastObject: NormObjectHandle?
    private var eventThread: Thread?
    private var stopped = false
    private let updateCoalescingMicroseconds: UInt32 = 2_000
    private var abandoned = 0

    /// Objects this receiver gave up on (the sender no longer had them for repair, or the
    /// receive buffer overflowed); their chunks must come from somewhere else.
    public var abandonedObjects: Int {
        lock.lock()
        defer { lock.unlock() }
        return abandoned
    }

    /// Joins the group on the interface and starts receiving.
    public init(settings: NormSettings, interfaceName: String, onObject: @escaping ObjectHandler) throws {
        guard let nodeID = IPv4.parse(settings.interfaceAddress) else {
            throw NormError("'\(settings.interfaceAddress)' is not an IPv4 address")
        }
        self.settings = settings
        self.onObject = onObject
        instance = NormCreateInstance(false)
        guard instance != NORM_INSTANCE_INVALID else { throw NormError("cannot create a NORM instance") }
        // Received objects land in reused buffers (ObjectBufferPool: no page faults per bundle).
        NormSetAllocationFunctions(instance, { byteCount in
            ObjectBufferPool.shared.allocate(byteCount)?.bindMemory(to: CChar.self, capacity: byteCount)
        }, { buffer in
            if let buffer { ObjectBufferPool.shared.release(UnsafeMutableRawPointer(buffer)) }
        })
        // Node ids must be unique in the group; the interface address is (PLATFORM.md).
        session = NormCreateSession(instance, settings.group, settings.port, NormNodeId(nodeID))
        guard session != NORM_SESSION_INVALID else {
            NormDestroyInstance(instance)
            throw NormError("cannot create a NORM session on \(settings.group):\(settings.port)")
        }
        NormSetMulticastInterface(session, interfaceName)
        NormSetTTL(session, 1)
        NormSetRxPortReuse(session, true, nil, nil, 0)
        NormSetGrttEstimate(session, 0.001)
        NormSetBackoffFactor(session, 0)
        NormSetGroupSize(session, 10)
        NormSetDefaultSyncPolicy(session, NORM_SYNC_ALL)
        // NORM's default of 256 pending objects per sender made receivers abandon objects
        // still awaiting repair at line rate when each chunk was its own object; bundles
        // need far fewer, but a sender of small objects must not cost a receiver its data.
        NormSetRxCacheLimit(session, 16_384)
        guard NormStartReceiver(session, UInt32(settings.receiveBufferBytes)) else {
            NormDestroySession(session)
            NormDestroyInstance(instance)
            throw NormError("cannot receive on \(settings.group):\(settings.port) via \(interfaceName)")
        }
        // The kernel's default socket buffer overflows in a burst; 4 MiB is the host's cap (PLATFORM.md).
        _ = NormSetRxSocketBuffer(session, 4 << 20)
        let thread = Thread { [self] in readEvents() }
        thread.name = "norm-events"
        eventThread = thread
        thread.start()
    }

    deinit {
        close()
    }

    /// Starts sending at the fixed rate; `send` may be called after this.
    public func startSending() throws {
        lock.lock()
        defer { lock.unlock() }
        guard !sending else { return }
        // Segments: a 9000-byte jumbo frame at most. Parity: Reed-Solomon over GF(2^8) keeps a
        // block's data and parity segments under 256.
        guard (64...8_800).contains(settings.segmentBytes), (0...128).contains(settings.paritySegments) else {
            throw NormError("segment size \(settings.segmentBytes) (64–8800 bytes) or parity \(settings.paritySegments) (0–128 per block of 64) is out of range")
        }
        NormSetTxRate(session, settings.rateBitsPerSecond)
        // Keep at most the send buffer's worth of objects for repairs.
        NormSetTxCacheBounds(session, NormSize(settings.sendBufferBytes), 16, 4096)
        guard NormStartSender(session, NormSessionId(UInt16.random(in: 1...UInt16.max)), UInt32(settings.sendBufferBytes), UInt16(settings.segmentBytes), 64, UInt16(settings.paritySegments), 0) else {
            throw NormError("cannot start sending on \(settings.group):\(settings.port)")
        }
        NormSetAutoParity(session, 0)
        // Receivers that ask for repairs are asked to acknowledge each flush (see `flush`).
        NormSetAutoAckingNodes(session, NORM_TRACK_RECEIVERS)
        _ = NormSetTxSocketBuffer(session, 4 << 20)
        sending = true
    }

    /// Queues one object, waiting while the send queue is full. Returns false if the
    /// channel closed first or the queue stayed full for `timeout` seconds.
    @discardableResult
    public func send(_ data: Data, info: String, timeout: TimeInterval = .infinity) -> Bool {
        // A transport wait: the monotonic clock, not a service clock.
        let deadline = Self.deadline(after: timeout)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        data.copyBytes(to: buffer.assumingMemoryBound(to: UInt8.self), count: data.count)
        let infoBytes = Array(info.utf8)
        lock.lock()
        defer { lock.unlock() }
        while !stopped && ContinuousClock.now < deadline {
            let handle = infoBytes.withUnsafeBufferPointer { infoPointer in
                infoPointer.withMemoryRebound(to: CChar.self) {
                    NormDataEnqueue(session, buffer.assumingMemoryBound(to: CChar.self), UInt32(data.count), $0.baseAddress, UInt32(infoBytes.count))
                }
            }
            if handle != NORM_OBJECT_INVALID {
                pinned[UInt(bitPattern: handle)] = buffer
                lastObject = handle
                return true
            }
            // Woken by NORM_TX_QUEUE_VACANCY; the timeout guards against a missed event.
            lock.wait(seconds: 0.2)
        }
        buffer.deallocate()
        return false
    }

    /// Waits until every receiver NORM has heard from acknowledged everything queued, or
    /// the timeout; true if they all did (or none was heard). After a timeout, receivers
    /// that did not acknowledge are not asked again.
    ///
    /// Flush commands alone end within a few GRTTs. On a loaded host, receivers are still
    /// working through their buffers then, and repairs they ask for later, if lost, waited
    /// for NORM's next probe (up to 30 s). Asking for acknowledgements, and asking again
    /// while any is missing, keeps repairs going until every receiver has everything.
    public func flush(timeout: TimeInterval) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let lastObject else { return true }
        let deadline = Self.deadline(after: timeout)
        var before = flushes
        NormSetWatermark(session, lastObject, true)
        while !stopped && ContinuousClock.now < deadline {
            if flushes != before {
                switch NormGetAckingStatus(session, NORM_NODE_ANY) {
                case NORM_ACK_SUCCESS, NORM_ACK_INVALID:
                    return true
                default:
                    // A receiver did not acknowledge within NORM's rounds: ask again.
                    before = flushes
                    _ = NormResetWatermark(session)
                }
            }
            lock.wait(seconds: min(0.2, Self.seconds(until: deadline)))
        }
        if !stopped { forgetSilentReceivers() }
        return false
    }

    /// Stops asking receivers that never acknowledged (gone, most likely), so they do not
    /// hold up the next flush too. Lock held.
    private func forgetSilentReceivers() {
        var node = NORM_NODE_NONE
        var status = NORM_ACK_INVALID
        var silent: [NormNodeId] = []
        while NormGetNextAckingNode(session, &node, &status) {
            if status != NORM_ACK_SUCCESS { silent.append(node) }
        }
        for node in silent { NormRemoveAckingNode(session, node) }
    }

    /// Stops sending; receiving goes on.
    public func stopSending() {
        lock.lock()
        defer { lock.unlock() }
        guard sending else { return }
        NormStopSender(session)
        sending = false
        for buffer in pinned.values { buffer.deallocate() }
        pinned.removeAll()
    }

    /// Leaves the group and stops the event thread.
    public func close() {
        lock.lock()
        if stopped {
            lock.unlock()
            return
        }
        stopped = true
        lock.broadcast()
        lock.unlock()
        NormStopInstance(instance)
        while let thread = eventThread, !thread.isFinished { usleep(1000) }
        NormDestroyInstance(instance)
        for buffer in pinned.values { buffer.deallocate() }
        pinned.removeAll()
        // An agent opens one channel for good; the benchmark and tests open many.
        ObjectBufferPool.shared.drain()
    }

    private func readEvents() {
        var event = NormEvent()
        while NormGetNextEvent(instance, &event, true) {
            switch event.type {
            case NORM_TX_QUEUE_VACANCY, NORM_TX_QUEUE_EMPTY:
                lock.lock()
                lock.broadcast()
                lock.unlock()
            case NORM_TX_WATERMARK_COMPLETED, NORM_TX_FLUSH_COMPLETED:
                lock.lock()
                flushes += 1
                lock.broadcast()
                lock.unlock()
            case NORM_TX_OBJECT_PURGED:
                lock.lock()
                pinned.removeValue(forKey: UInt(bitPattern: event.object))?.deallocate()
                lock.unlock()
            case NORM_RX_OBJECT_COMPLETED:
                deliver(event.object, from: event.sender)
            case NORM_RX_OBJECT_ABORTED:
                lock.lock()
                abandoned += 1
                lock.unlock()
            case NORM_RX_OBJECT_UPDATED:
                // NORM posts one update per object until it is read: read at once, that is
                // one event, pipe write and thread switch per packet. Waiting a little lets
                // updates merge; completed objects still arrive in order behind them.
                usleep(updateCoalescingMicroseconds)
            default:
                break
            }
        }
    }

    private func deliver(_ object: NormObjectHandle, from sender: NormNodeHandle) {
        guard NormObjectGetType(object) == NORM_OBJECT_DATA else { return }
        let infoLength = Int(NormObjectGetInfoLength(object))
        guard infoLength > 0, infoLength <= 256 else { return }
        var infoBytes = [CChar](repeating: 0, count: infoLength)
        _ = NormObjectGetInfo(object, &infoBytes, UInt16(infoLength))
        let info = String(decoding: infoBytes.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let size = Int(NormObjectGetSize(object))
        guard let pointer = NormDataAccessData(object) else { return }
        // No copy: NORM keeps the object until the next event is read, and objects are MiBs.
        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: pointer), count: size, deallocator: .none)
        onObject(info, data, IPv4.format(UInt32(NormNodeGetId(sender))))
    }
}

extension NormChannel {
    /// A monotonic deadline `timeout` seconds from now (far away for an infinite timeout).
    static func deadline(after timeout: TimeInterval) -> ContinuousClock.Instant {
        let bounded = timeout.isFinite ? max(0, timeout) : 100 * 365 * 86_400
        return ContinuousClock.now + .milliseconds(Int64(bounded * 1000))
    }

    /// Seconds left until `deadline` (negative once it passed).
    static func seconds(until deadline: ContinuousClock.Instant) -> TimeInterval {
        let left = deadline - ContinuousClock.now
        return Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
    }
}
