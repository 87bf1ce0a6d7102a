import Logging
import Synchronization

/// What every loop of one server shares: routes, configuration, the connection count.
final class ServerCore: Sendable {
    let router: Router
    let configuration: HTTPServerConfiguration
    let logger: Logger
    let observer: (any HTTPServerObserver)?
    let tls: TLSContext?
    let serverName: [UInt8]
    let openConnections = Atomic<Int>(0)

    init(router: Router, configuration: HTTPServerConfiguration, logger: Logger,
         observer: (any HTTPServerObserver)?, tls: TLSContext?) {
        self.router = router
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.tls = tls
        self.serverName = Array(configuration.serverName.utf8)
    }
}
