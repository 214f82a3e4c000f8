import Foundation
import ServiceKit
import Testing

@Suite("MetricsRegistry")
struct MetricsRegistryTests {
    @Test func anEmptyRegistryRendersAnEmptyBody() {
        #expect(MetricsRegistry().render() == "\n")
    }

    @Test func rendersSortedSamplesWithHelpAndLabels() {
        let metrics = MetricsRegistry()
        metrics.increment("ferry_transfers_total", labels: ["outcome": "installed", "dp": "dp1"], help: "Transfers that ended.")
        metrics.increment("ferry_transfers_total", labels: ["dp": "dp1", "outcome": "installed"])
        metrics.increment("ferry_transfers_total", labels: ["outcome": "failed", "dp": "dp2"])
        metrics.set("ferry_queue_depth", 3)
        metrics.set("ferry_ratio", 0.25)
        #expect(metrics.render() == """
            ferry_queue_depth 3
            ferry_ratio 0.25
            # HELP ferry_transfers_total Transfers that ended.
            ferry_transfers_total{dp="dp1",outcome="installed"} 2
            ferry_transfers_total{dp="dp2",outcome="failed"} 1

            """)
    }

    @Test func helpIsPrintedOncePerMetric() {
        let metrics = MetricsRegistry()
        for dp in ["a", "b", "c"] {
            metrics.increment("ferry_pushes_total", labels: ["dp": dp], help: "Pushes.")
        }
        let lines = metrics.render().split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("# HELP ferry_pushes_total") }.count == 1)
        #expect(lines.first == "# HELP ferry_pushes_total Pushes.")
        #expect(lines.count == 4)
    }

    @Test func valuesAccumulateAndCanBeRead() {
        let metrics = MetricsRegistry()
        metrics.increment("bytes", by: 1_000)
        metrics.increment("bytes", by: 24)
        #expect(metrics.value("bytes") == 1_024)
        #expect(metrics.value("bytes", labels: ["x": "y"]) == 0)
        #expect(metrics.value("never") == 0)
        metrics.set("bytes", 5)
        #expect(metrics.value("bytes") == 5)
        #expect(metrics.render() == "bytes 5\n")
    }

    @Test func integersPrintWithoutAFractionAndLargeCountsStayExact() {
        let metrics = MetricsRegistry()
        metrics.set("big", 209_715_200)
        metrics.set("negative", -2)
        metrics.set("half", 1.5)
        #expect(metrics.render() == "big 209715200\nhalf 1.5\nnegative -2\n")
    }

    @Test func concurrentIncrementsAreNotLost() async {
        let metrics = MetricsRegistry()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask { for _ in 0..<500 { metrics.increment("hits") } }
            }
        }
        #expect(metrics.value("hits") == 4_000)
    }

    @Test func labelValuesAreEscaped() {
        let metrics = MetricsRegistry()
        metrics.increment("ferry_errors_total", labels: ["reason": "bad \"quote\"\\ and\nnewline"])
        #expect(metrics.render() == "ferry_errors_total{reason=\"bad \\\"quote\\\"\\\\ and\\nnewline\"} 1\n")
    }

    @Test func nonFiniteAndHugeValuesRenderWithoutCrashing() async {
        await #expect(processExitsWith: .success) {
            let metrics = MetricsRegistry()
            metrics.set("ferry_rate", .infinity)
            metrics.set("ferry_big", 1e20)
            let text = metrics.render()
            if !text.contains("ferry_rate +Inf") { exit(1) }
        }
    }
}
