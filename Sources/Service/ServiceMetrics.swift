import CoreMetrics
import HTTPServer
import Prometheus
import Synchronization

/// The Prometheus metrics of API.md, kept in the service's own registry (no process-global
/// bootstrap, so that tests and several services in one process do not share counters).
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let openConnections: CoreMetrics.Gauge
    private let fsyncSeconds: CoreMetrics.Timer
    private let commitWaitSeconds: CoreMetrics.Timer
    private let recordsAppended: CoreMetrics.Counter
    private let waitingPolls: CoreMetrics.Gauge
    /// The handlers of each (method, route, status) and of each outcome, made once: building a
    /// labelled metric looks it up in the registry by a key string under the registry's lock,
    /// which cost ~4% of a request. Bounded, since a method is any token a client sends.
    private let requestHandlers = Mutex<[RequestKey: RequestHandlers]>([:])
    private let decisionCounters = Mutex<[String: CoreMetrics.Counter]>([:])
    private static let maxCachedHandlers = 1024

    private struct RequestKey: Hashable {
        var method: String
        var route: String
        var status: Int
    }

    private struct RequestHandlers: Sendable {
        var count: CoreMetrics.Counter
        var seconds: CoreMetrics.Timer
    }

    init() {
        factory = PrometheusMetricsFactory(registry: registry)
        openConnections = CoreMetrics.Gauge(label: "rcrp_open_connections", factory: factory)
        fsyncSeconds = CoreMetrics.Timer(label: "rcrp_ledger_append_seconds", factory: factory)
        commitWaitSeconds = CoreMetrics.Timer(label: "rcrp_commit_wait_seconds", factory: factory)
        recordsAppended = CoreMetrics.Counter(label: "rcrp_ledger_records_total", factory: factory)
        waitingPolls = CoreMetrics.Gauge(label: "rcrp_long_polls_waiting", factory: factory)
    }

    func requestFinished(method: String, route: String, status: Int, seconds: Double) {
        let key = RequestKey(method: method, route: route, status: status)
        let handlers = requestHandlers.withLock { $0[key] } ?? {
            let made = RequestHandlers(
                count: CoreMetrics.Counter(label: "rcrp_http_requests_total",
                                           dimensions: [("method", method), ("route", route), ("status", String(status))],
                                           factory: factory),
                seconds: CoreMetrics.Timer(label: "rcrp_http_request_seconds", dimensions: [("route", route)], factory: factory))
            requestHandlers.withLock { if $0.count < Self.maxCachedHandlers { $0[key] = made } }
            return made
        }()
        handlers.count.increment()
        handlers.seconds.recordNanoseconds(Int64(seconds * 1e9))
    }

    func connectionsChanged(open: Int) {
        openConnections.record(open)
    }

    /// One ledger append (one fsync covering the batch).
    func ledgerAppended(seconds: Double, records: Int) {
        fsyncSeconds.recordNanoseconds(Int64(seconds * 1e9))
        recordsAppended.increment(by: records)
    }

    /// How long a batch's oldest command waited for the committer before its batch began.
    func commitWaited(seconds: Double) {
        commitWaitSeconds.recordNanoseconds(Int64(seconds * 1e9))
    }

    func decided(outcome: String) {
        let counter = decisionCounters.withLock { $0[outcome] } ?? {
            let made = CoreMetrics.Counter(label: "rcrp_decisions_total", dimensions: [("outcome", outcome)], factory: factory)
            decisionCounters.withLock { if $0.count < Self.maxCachedHandlers { $0[outcome] = made } }
            return made
        }()
        counter.increment()
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
