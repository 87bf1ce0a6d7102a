import ArgumentParser
import Foundation
import Logging

/// `rcrp-router serve`: load and check the configuration, open the ledger, load the rules, start
/// the service and the HTTP server, print where it listens, then run until SIGTERM or SIGINT
/// (graceful stop, exit 0); SIGHUP reloads the rules.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the service.",
        discussion: """
            Settings come from the configuration file, then RCRP_* environment variables, then these \
            flags. --dev adds demo agencies of every kind and the documented development keys \
            (dev-admin, dev-control-room, dev-supervisor, dev-auditor, dev-agency-<id>): never with real data.
            """
    )

    static let defaultConfigPath = "config/rcrp-router.yaml"

    @Option(name: .long, help: "Configuration file (default: \(ServeCommand.defaultConfigPath); may be absent with --dev).")
    var config: String?

    @Option(name: .long, help: "Address to listen on (default: listen.host, 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on; 0 picks a free one (default: listen.port, 8080).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Directory for the ledger (default: data_dir, ./data).")
    var dataDir: String?

    @Flag(name: .long, help: "Development mode: demo agencies and public development keys.")
    var dev = false

    func validate() throws {
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if let host, host.isEmpty { throw ValidationError("--host must not be empty") }
    }

    func run() async throws {
        let loaded: LoadedConfiguration
        let seeds: [AgencySeed]
        do {
            loaded = try ConfigurationLoader.load(
                path: config ?? Self.defaultConfigPath, required: config != nil,
                environment: ProcessInfo.processInfo.environment,
                overrides: CommandLineOverrides(host: host, port: port, dataDirectory: dataDir))
            try ConfigurationLoader.checkFiles(loaded)
            seeds = try loaded.configuration.agenciesFile.map { file throws(ConfigurationError) in try AgencySeed.load(path: file) } ?? []
        } catch {
            Self.standardError("rcrp-router: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        for warning in loaded.warnings { Self.standardError("rcrp-router: warning: \(warning)") }

        let settings = loaded.configuration
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        let json = settings.logFormat == "json"
        LoggingSystem.bootstrap { label in
            json ? JSONLogHandler(label: label, level: level) as any LogHandler
                 : { var handler = StreamLogHandler.standardError(label: label); handler.logLevel = level; return handler }()
        }
        let logger = Logger(label: "rcrp.router")
        if dev { Self.standardError(Self.developmentBanner) }

        // Before anything starts, so that a SIGTERM that arrives as soon as we print the address
        // (a supervisor, a test) still means a graceful stop.
        let signals = SignalStream(signals: [SIGTERM, SIGINT, SIGHUP])
        let running: RunningService
        do {
            running = try await RunningService.start(settings, seeds: seeds, development: dev, logger: logger)
        } catch {
            Self.standardError("rcrp-router: \(error)")
            throw ExitCode(1)
        }
        if settings.keys.isEmpty && !dev {
            logger.warning("no API keys configured: every /v1 request will be refused; add keys (rcrp-router hash-key) or try --dev")
        }
        Self.standardOutput("listening on \(running.url)")
        logger.info("listening", metadata: ["url": "\(running.url)", "development": "\(dev)"])

        for await signal in signals.events {
            if signal == SIGHUP {
                running.reloadRules()
                continue
            }
            logger.info("stopping", metadata: ["signal": "\(signal == SIGTERM ? "SIGTERM" : "SIGINT")"])
            break
        }
        signals.cancel()
        await running.stop()
        logger.info("stopped")
    }

    static let developmentBanner = """
        ****************************************************************************
        *  DEVELOPMENT MODE (--dev): DEVELOPMENT KEYS ARE ACTIVE.                  *
        *  Anyone can use dev-admin, dev-control-room, dev-supervisor, dev-auditor *
        *  and dev-agency-<id>. Demo agencies cover every area. NEVER use --dev    *
        *  with real calls or personal data.                                       *
        ****************************************************************************
        """

    static func standardError(_ line: String) {
        JSONLogHandler.writeAll(Array((line + "\n").utf8), to: 2)
    }

    /// Written with write(2) so that it reaches a pipe at once; scripts wait for this line.
    static func standardOutput(_ line: String) {
        JSONLogHandler.writeAll(Array((line + "\n").utf8), to: 1)
    }
}
