import CoreMetrics
import HTTPServer
import Prometheus

/// The Prometheus metrics of API.md, kept in the service's own registry (no process-global
/// bootstrap, so that tests and several services in one process do not share counters).
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let openConnections: CoreMetrics.Gauge
    private let fsyncSeconds: CoreMetrics.Timer
    private let recordsAppended: CoreMetrics.Counter
    private let waitingPolls: CoreMetrics.Gauge

    init() {
        factory = PrometheusMetricsFactory(registry: registry)
        openConnections = CoreMetrics.Gauge(label: "rcrp_open_connections", factory: factory)
        fsyncSeconds = CoreMetrics.Timer(label: "rcrp_ledger_append_seconds", factory: factory)
        recordsAppended = CoreMetrics.Counter(label: "rcrp_ledger_records_total", factory: factory)
        waitingPolls = CoreMetrics.Gauge(label: "rcrp_long_polls_waiting", factory: factory)
    }

    func requestFinished(method: String, route: String, status: Int, seconds: Double) {
        CoreMetrics.Counter(label: "rcrp_http_requests_total",
                            dimensions: [("method", method), ("route", route), ("status", String(status))],
                            factory: factory).increment()
        CoreMetrics.Timer(label: "rcrp_http_request_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func connectionsChanged(open: Int) {
        openConnections.record(open)
    }

    /// One ledger append (one fsync covering the batch).
    func ledgerAppended(seconds: Double, records: Int) {
        fsyncSeconds.recordNanoseconds(Int64(seconds * 1e9))
        recordsAppended.increment(by: records)
    }

    func decided(outcome: String) {
        CoreMetrics.Counter(label: "rcrp_decisions_total", dimensions: [("outcome", outcome)], factory: factory).increment()
    }

    func handoffsByStatus(_ counts: [String: Int]) {
        for (status, count) in counts {
            CoreMetrics.Gauge(label: "rcrp_handoffs", dimensions: [("status", status)], factory: factory).record(count)
        }
    }

    func escalated(cause: String) {
        CoreMetrics.Counter(label: "rcrp_escalations_total", dimensions: [("cause", cause)], factory: factory).increment()
    }

    func pollsWaiting(_ count: Int) {
        waitingPolls.record(count)
    }

    func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
