import Foundation
import Handoffs
import HTTPServer
import Ledger
import Logging
import Service
import Triage

/// The live process: ledger, service and HTTP server started in that order from a checked
/// configuration, and stopped in the reverse order. `serve` runs one; tests start one in-process.
final class RunningService: Sendable {
    /// `http://HOST:PORT` (https with TLS) with the bound port (a free one when the configuration said 0).
    let url: String
    let port: Int
    private let service: RCRPService
    private let server: HTTPServer
    private let ledger: FileLedger
    private let logger: Logger

    private init(url: String, port: Int, service: RCRPService, server: HTTPServer, ledger: FileLedger, logger: Logger) {
        self.url = url
        self.port = port
        self.service = service
        self.server = server
        self.ledger = ledger
        self.logger = logger
    }

    /// `seeds` are the agencies of `agencies_file`, read and checked with the configuration.
    static func start(_ settings: RouterConfiguration, seeds: [AgencySeed] = [], development: Bool,
                      logger: Logger) async throws(StartupError) -> RunningService {
        let ruleSet: RuleSet
        do {
            ruleSet = try RuleSetLoader.load(path: settings.rulesPath)
        } catch {
            throw .rules(path: settings.rulesPath, problems: error.description)
        }
        let configuration = serviceConfiguration(settings, seeds: seeds.map(\.agency), development: development)

        let ledger: FileLedger
        do {
            ledger = try FileLedger.open(directory: settings.ledgerDirectory)
        } catch {
            throw .ledger(directory: settings.ledgerDirectory, reason: "\(error)")
        }
        let service: RCRPService
        do {
            service = try RCRPService(configuration: configuration, ledger: ledger, ruleSet: ruleSet,
                                      rulesPath: settings.rulesPath, clock: { Date() }, logger: logger)
            try await service.start()
        } catch {
            ledger.close()
            throw .service("\(error)")
        }
        let server = HTTPServer(configuration: settings.httpServerConfiguration, router: service.makeRouter(),
                                logger: logger, observer: service.observer)
        do {
            try server.start()
        } catch {
            service.stop()
            ledger.close()
            throw .listen(address: "\(settings.listen.host):\(settings.listen.port)", reason: "\(error)")
        }
        let host = settings.listen.host.contains(":") ? "[\(settings.listen.host)]" : settings.listen.host
        logger.info("rule set loaded", metadata: ["name": "\(ruleSet.name)", "version": "\(ruleSet.version)",
                                                  "revision": "\(ruleSet.revision)", "rules": "\(ruleSet.rules.count)"])
        let scheme = settings.tls == nil ? "http" : "https"
        return RunningService(url: "\(scheme)://\(host):\(server.port)", port: server.port, service: service,
                              server: server, ledger: ledger, logger: logger)
    }

    /// SIGHUP: swap in the rules from disk, or keep the running set and log every problem.
    func reloadRules() {
        switch service.reloadRules() {
        case .success(let ruleSet):
            logger.notice("rules reloaded", metadata: ["name": "\(ruleSet.name)", "revision": "\(ruleSet.revision)"])
        case .failure(let error):
            logger.error("rules NOT reloaded; the running set is kept", metadata: ["problems": "\(error)"])
        }
    }

    /// Wakes waiting long polls (they answer at once with what they have), stops accepting, lets
    /// in-flight requests finish within the grace period, then closes the ledger.
    func stop() async {
        service.stop()
        await server.shutdown()
        ledger.close()
    }

    static func serviceConfiguration(_ settings: RouterConfiguration, seeds: [Agency], development: Bool) -> ServiceConfiguration {
        var keys = settings.keys.compactMap { key in
            Role(rawValue: key.role).map { ServiceConfiguration.Key(id: key.id, sha256: key.sha256, role: $0, agencyID: key.agencyID) }
        }
        var agencies = seeds
        if development {
            keys += DevelopmentFixtures.keys
            agencies += DevelopmentFixtures.agencies.filter { demo in !seeds.contains { $0.id == demo.id } }
        }
        return ServiceConfiguration(
            keys: keys,
            seedAgencies: agencies,
            defaultDeadlines: DeadlineMinutes(acknowledge: settings.deadlines.acknowledgeWithinMinutes,
                                              accept: settings.deadlines.acceptWithinMinutes),
            repeatContact: .init(calls: settings.repeatContact.calls, days: settings.repeatContact.days),
            officerHours: settings.officerHours,
            longPoll: .init(maxWaitSeconds: settings.longPollMaxWaitSeconds),
            snapshotInterval: settings.snapshotIntervalRecords,
            snapshotTailFraction: settings.snapshotTailFraction,
            openAPIDocument: OpenAPIDocument.yaml)
    }
}
