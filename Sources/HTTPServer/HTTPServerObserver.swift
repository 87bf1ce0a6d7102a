/// A metrics hook; called on the event-loop thread after a response is queued, so keep it quick.
public protocol HTTPServerObserver: Sendable {
    func requestFinished(method: HTTPMethod, route: String?, status: Int, seconds: Double)
    func connectionsChanged(open: Int)
}
