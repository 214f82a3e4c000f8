public import CoreMetrics
import Metrics
import Prometheus

/// One service's measurements: a Prometheus registry of its own, the swift-metrics factory
/// that records into it, and the text `/metrics` serves.
///
/// swift-metrics' global `MetricsSystem.bootstrap` may run once per process, while tests build
/// several services in one process; so nothing here bootstraps. Every counter, timer and
/// histogram is made with this service's ``factory`` (swift-metrics' `factory:` parameter),
/// and two services in one process never share a series.
public final class ServiceMetrics: Sendable {
    /// The registry `/metrics` renders.
    let registry: PrometheusCollectorRegistry
    /// Pass it as `factory:` to swift-metrics' `Counter`, `Timer`, `Recorder`…
    public let factory: any MetricsFactory

    /// Seconds, from 100 µs (a bus query) to an hour (a large transfer to a slow DP): one set
    /// for every timer, so bus, HTTP and transfer durations share the same scale.
    public static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
        .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
    ]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.durationBuckets
        self.factory = factory
    }

    /// A counter of this service, e.g. `counter("ferry_dp_stored_chunks_total")`.
    ///
    /// A name must keep one label set: Prometheus refuses a name used with and without labels.
    public func counter(_ name: String, labels: [(String, String)] = []) -> CoreMetrics.Counter {
        Counter(label: name, dimensions: labels, factory: factory)
    }

    /// A duration histogram of this service (a name ending in `_seconds`).
    public func timer(_ name: String, labels: [(String, String)] = []) -> CoreMetrics.Timer {
        Timer(label: name, dimensions: labels, preferredDisplayUnit: .seconds, factory: factory)
    }

    /// The Prometheus text exposition of every series recorded so far.
    public func render() -> String {
        registry.emitToString()
    }
}
