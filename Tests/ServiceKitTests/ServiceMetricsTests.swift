import Bus
import Foundation
import HTTPTransfer
import Messages
import Metrics
import ServiceKit
import Testing

/// Issue 15 item 7: `/metrics` through swift-metrics and swift-prometheus, one registry per
/// service, histograms for bus and HTTP request time.
@Suite("ServiceMetrics")
struct ServiceMetricsTests {
    @Test("issue 15 item 7: counters render in Prometheus text format with their labels")
    func countersRenderInPrometheusTextFormat() {
        let metrics = ServiceMetrics()
        metrics.counter("ferry_pushes_total", labels: [("dp", "dp1")]).increment()
        metrics.counter("ferry_pushes_total", labels: [("dp", "dp1")]).increment(by: 2)
        metrics.counter("ferry_pushes_total", labels: [("dp", "dp2")]).increment()
        metrics.counter("ferry_bytes_total").increment(by: 209_715_200)
        let lines = metrics.render().split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE ferry_pushes_total counter"))
        #expect(lines.contains(#"ferry_pushes_total{dp="dp1"} 3"#))
        #expect(lines.contains(#"ferry_pushes_total{dp="dp2"} 1"#))
        #expect(lines.contains("ferry_bytes_total 209715200"))
    }

    @Test("issue 15 item 7: two services in one process keep their own series")
    func servicesInOneProcessKeepTheirOwnSeries() {
        let first = ServiceMetrics()
        let second = ServiceMetrics()
        first.counter("ferry_dp_stored_chunks_total").increment()
        first.timer("ferry_ptm_transfer_duration_seconds", labels: [("outcome", "installed")]).record(duration: .seconds(2))
        #expect(first.render().contains("ferry_dp_stored_chunks_total 1"))
        #expect(first.render().contains(#"ferry_ptm_transfer_duration_seconds_count{outcome="installed"} 1"#))
        #expect(second.render().isEmpty)
    }

    @Test("issue 15 item 7: label values are escaped")
    func labelValuesAreEscaped() {
        let metrics = ServiceMetrics()
        metrics.counter("ferry_errors_total", labels: [("reason", "bad \"quote\"\\ and\nnewline")]).increment()
        #expect(metrics.render().contains(#"ferry_errors_total{reason="bad \"quote\"\\ and\nnewline"} 1"#))
    }

    @Test("issue 15 item 7: durations land in seconds buckets from 100 µs to an hour")
    func durationsUseSecondsBuckets() {
        let metrics = ServiceMetrics()
        metrics.timer("ferry_ptm_transfer_duration_seconds", labels: [("outcome", "installed")]).record(duration: .seconds(42))
        let text = metrics.render()
        #expect(text.contains("# TYPE ferry_ptm_transfer_duration_seconds histogram"))
        #expect(text.contains(#"ferry_ptm_transfer_duration_seconds_bucket{outcome="installed",le="30.0"} 0"#))
        #expect(text.contains(#"ferry_ptm_transfer_duration_seconds_bucket{outcome="installed",le="60.0"} 1"#))
        #expect(text.contains(#"ferry_ptm_transfer_duration_seconds_bucket{outcome="installed",le="0.0001"} 0"#))
        #expect(text.contains(#"ferry_ptm_transfer_duration_seconds_sum{outcome="installed"} 42.0"#))
    }

    @Test("issue 15 item 7: the bus dispatcher records handler time per message type, also for types registered after")
    func busHandlerTimeIsAHistogramPerMessageType() async throws {
        let metrics = ServiceMetrics()
        var dispatcher = BusDispatcher(clock: SystemClock(), logger: .init(label: "test"))
        dispatcher.on(HealthQuery.self, allowedSenders: [.site]) { _, _ in
            HealthReply(service: "test", node: "n", startedAt: Date(timeIntervalSince1970: 0), busEndpoint: "", httpURL: nil)
        }
        dispatcher.measureHandlers(with: metrics.factory)
        dispatcher.on(ListContents.self, allowedSenders: [.site]) { _, _ in throw WireError(code: .notFound, message: "none") }
        for message in [HealthQuery() as any Message, HealthQuery(), ListContents()] {
            func envelope<M: Message>(_ body: M) throws -> Envelope {
                var envelope = try EnvelopeCodec.decode(try EnvelopeCodec.encode(body, sender: "site", sentAt: Date()))
                envelope.peer = BusPeer(node: "site", role: .site)
                return envelope
            }
            _ = await dispatcher.dispatch(try envelope(message), node: "n")
        }
        let text = metrics.render()
        #expect(text.contains("# TYPE \(BusDispatcher.requestDurationMetric) histogram"))
        #expect(text.contains(#"ferry_bus_request_duration_seconds_count{type="health.query"} 2"#))
        // A handler that refuses is timed too: its time is still the service's.
        #expect(text.contains(#"ferry_bus_request_duration_seconds_count{type="\#(ListContents.wireName)"} 1"#))
    }

    @Test("issue 15 item 7: /metrics shows HTTP request time per route pattern, method and status")
    func httpRequestTimeIsAHistogramPerRoute() async throws {
        try await HTTPServerTimeoutTests.withServer(idleTimeout: 30) { port in
            let base = "http://127.0.0.1:\(port)"
            #expect(try await HTTPClient.shared.get(base + "/health").status == 200)
            for _ in 0..<2 {
                #expect(try await HTTPClient.shared.get(base + "/no/such/\(UUID().uuidString)").status == 404)
            }
            let response = try await HTTPClient.shared.get(base + "/metrics")
            #expect(response.status == 200)
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(text.contains(#"ferry_http_request_duration_seconds_count{route="/health",method="GET",status="200"} 1"#))
            // Unknown paths share one series: a path never becomes a label.
            let notFound = text.split(separator: "\n").filter { $0.hasPrefix("ferry_http_request_duration_seconds_count{") && $0.contains(#"status="404""#) }
            #expect(notFound.count == 1)
            #expect(notFound.first?.hasSuffix(" 2") == true)
            #expect(!text.contains("/no/such"))
        }
    }
}
