import HTTPServer

/// Feeds the HTTP server's request and connection events into the metrics.
struct ServiceObserver: HTTPServerObserver {
    let metrics: ServiceMetrics

    func requestFinished(method: HTTPMethod, route: String?, status: Int, seconds: Double) {
        metrics.requestFinished(method: method.rawValue, route: route ?? "unmatched", status: status, seconds: seconds)
    }

    func connectionsChanged(open: Int) {
        metrics.connectionsChanged(open: open)
    }
}
