import Foundation
import Yams

/// Command-line flags of `serve` that beat both the file and the environment.
public struct CommandLineOverrides: Sendable, Equatable {
    public var host: String?
    public var port: Int?
    public var dataDirectory: String?

    public init(host: String? = nil, port: Int? = nil, dataDirectory: String? = nil) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
    }
}

/// A configuration as loaded, with where each file-system setting came from (for error messages
/// about files that turn out missing) and warnings worth printing but not worth refusing to start.
public struct LoadedConfiguration: Sendable {
    public var configuration: RouterConfiguration
    /// Setting path → the file:line, environment variable or flag that set it.
    public var sources: [String: String]
    public var warnings: [String]
}

/// Reads the configuration strictly: defaults, then the YAML file, then `RCRP_<PATH>` environment
/// variables, then command-line flags. The first problem stops the load with one message that
/// names the setting.
public enum ConfigurationLoader {
    /// Loads `path`. A missing file is an error when `required` (the operator named it with
    /// `--config`); otherwise the defaults and the environment are used and a warning says so.
    public static func load(path: String, required: Bool, environment: [String: String],
                            overrides: CommandLineOverrides = .init()) throws(ConfigurationError) -> LoadedConfiguration {
        var warnings: [String] = []
        let text: String
        if FileManager.default.fileExists(atPath: path) {
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ConfigurationError(source: path, field: "", problem: "cannot read the file: \(reason(error))")
            }
        } else if required {
            throw ConfigurationError(source: path, field: "", problem: "no such file (give --config an existing file)")
        } else {
            text = ""
            warnings.append("\(path): no configuration file; using the built-in defaults and RCRP_* environment variables")
        }
        var loaded = try parse(yaml: text, file: path, environment: environment)
        loaded.warnings.insert(contentsOf: warnings, at: 0)
        apply(overrides, to: &loaded)
        return loaded
    }

    /// Parses configuration YAML (already read) with the environment's `RCRP_*` variables over it.
    public static func parse(yaml: String, file: String, environment: [String: String]) throws(ConfigurationError) -> LoadedConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(source: file, field: "", problem: "not valid YAML: \(describe(error))")
        } catch {
            throw ConfigurationError(source: file, field: "", problem: "not valid YAML: \(error)")
        }
        let usage = EnvironmentUsage()
        var reader = try ConfigurationReader(root: root, file: file, environment: environment, usage: usage)
        var config = RouterConfiguration()
        var sources: [String: String] = [:]

        var listen = try reader.section("listen")
        config.listen.host = try listen.string("host", default: config.listen.host)
        config.listen.port = try listen.int("port", default: config.listen.port, in: 0...65535)
        config.listen.eventLoops = try listen.int("event_loops", default: 0, in: 0...256)
        try listen.rejectUnknownKeys()

        var tls = try reader.section("tls")
        let certificate = try tls.optionalString("certificate_chain_file")
        let privateKey = try tls.optionalString("private_key_file")
        switch (certificate, privateKey) {
        case let (certificate?, privateKey?):
            config.tls = .init(certificateChainFile: certificate, privateKeyFile: privateKey)
            sources["tls.certificate_chain_file"] = tls.location(of: "certificate_chain_file")
            sources["tls.private_key_file"] = tls.location(of: "private_key_file")
        case (nil, nil):
            config.tls = nil
        case (_?, nil):
            throw tls.error(tls.location(of: "certificate_chain_file"), "private_key_file",
                            "must be set together with tls.certificate_chain_file")
        case (nil, _?):
            throw tls.error(tls.location(of: "private_key_file"), "certificate_chain_file",
                            "must be set together with tls.private_key_file")
        }
        try tls.rejectUnknownKeys()

        var limits = try reader.section("limits")
        let kib = 1024, mib = 1024 * 1024
        config.limits.maxRequestLineBytes = try limits.int("max_request_line_bytes", default: config.limits.maxRequestLineBytes, in: 256...(1 * mib))
        config.limits.maxHeaderBytes = try limits.int("max_header_bytes", default: config.limits.maxHeaderBytes, in: kib...(16 * mib))
        config.limits.maxHeaderCount = try limits.int("max_header_count", default: config.limits.maxHeaderCount, in: 8...10_000)
        config.limits.maxBodyBytes = try limits.int("max_body_bytes", default: config.limits.maxBodyBytes, in: kib...(256 * mib))
        config.limits.maxDecompressedBodyBytes = try limits.int("max_decompressed_body_bytes", default: config.limits.maxDecompressedBodyBytes, in: kib...(1024 * mib))
        config.limits.maxPipelinedRequests = try limits.int("max_pipelined_requests", default: config.limits.maxPipelinedRequests, in: 1...1024)
        config.limits.maxConnections = try limits.int("max_connections", default: config.limits.maxConnections, in: 1...1_000_000)
        if config.limits.maxDecompressedBodyBytes < config.limits.maxBodyBytes {
            throw limits.error(limits.location(of: "max_decompressed_body_bytes"), "max_decompressed_body_bytes",
                               "must be at least limits.max_body_bytes (\(config.limits.maxBodyBytes))")
        }
        try limits.rejectUnknownKeys()

        var timeouts = try reader.section("timeouts")
        let hour = 3600
        config.timeouts.headerReadSeconds = try timeouts.int("header_read_seconds", default: config.timeouts.headerReadSeconds, in: 1...hour)
        config.timeouts.bodyReadSeconds = try timeouts.int("body_read_seconds", default: config.timeouts.bodyReadSeconds, in: 1...hour)
        config.timeouts.idleSeconds = try timeouts.int("idle_seconds", default: config.timeouts.idleSeconds, in: 1...hour)
        config.timeouts.writeSeconds = try timeouts.int("write_seconds", default: config.timeouts.writeSeconds, in: 1...hour)
        config.timeouts.tlsHandshakeSeconds = try timeouts.int("tls_handshake_seconds", default: config.timeouts.tlsHandshakeSeconds, in: 1...hour)
        config.timeouts.shutdownGraceSeconds = try timeouts.int("shutdown_grace_seconds", default: config.timeouts.shutdownGraceSeconds, in: 0...hour)
        try timeouts.rejectUnknownKeys()

        config.dataDirectory = try reader.string("data_dir", default: config.dataDirectory)
        sources["data_dir"] = reader.location(of: "data_dir")
        config.rulesPath = try reader.string("rules_path", default: config.rulesPath)
        sources["rules_path"] = reader.location(of: "rules_path")
        config.agenciesFile = try reader.optionalString("agencies_file")
        sources["agencies_file"] = reader.location(of: "agencies_file")

        config.keys = try readKeys(&reader)

        var deadlines = try reader.section("deadlines")
        let acknowledge = try deadlines.int("acknowledge_within_minutes", default: config.deadlines.acknowledgeWithinMinutes, in: 1...10_080)
        let accept = try deadlines.int("accept_within_minutes", default: config.deadlines.acceptWithinMinutes, in: 1...10_080)
        if accept < acknowledge {
            throw deadlines.error(deadlines.location(of: "accept_within_minutes"), "accept_within_minutes",
                                  "must not be shorter than deadlines.acknowledge_within_minutes (\(acknowledge))")
        }
        config.deadlines = .init(acknowledgeWithinMinutes: acknowledge, acceptWithinMinutes: accept)
        try deadlines.rejectUnknownKeys()

        var hours = try reader.section("officer_hours")
        for callType in RouterConfiguration.callTypes {
            config.officerHours[callType] = try hours.double(callType, default: 5.7, in: 0...1000)
        }
        try hours.rejectUnknownKeys()

        var repeatContact = try reader.section("repeat_contact")
        config.repeatContact.calls = try repeatContact.int("calls", default: config.repeatContact.calls, in: 2...1000)
        config.repeatContact.days = try repeatContact.int("days", default: config.repeatContact.days, in: 1...3660)
        try repeatContact.rejectUnknownKeys()

        var longPoll = try reader.section("long_poll")
        config.longPollMaxWaitSeconds = try longPoll.int("max_wait_seconds", default: config.longPollMaxWaitSeconds, in: 0...300)
        try longPoll.rejectUnknownKeys()

        var snapshot = try reader.section("snapshot")
        config.snapshotIntervalRecords = try snapshot.int("interval_records", default: config.snapshotIntervalRecords, in: 100...10_000_000)
        config.snapshotTailFraction = try snapshot.double("tail_fraction", default: config.snapshotTailFraction, in: 0...100)
        try snapshot.rejectUnknownKeys()

        var log = try reader.section("log")
        config.logLevel = try log.choice("level", default: config.logLevel, among: RouterConfiguration.logLevels)
        config.logFormat = try log.choice("format", default: config.logFormat, among: RouterConfiguration.logFormats)
        try log.rejectUnknownKeys()

        try reader.rejectUnknownKeys()

        // A misspelt variable (RCRP_LISTEN_PROT) would otherwise be ignored and the service would
        // start on a setting the operator did not choose: refuse it, as an unknown YAML key is.
        // The prefix belongs to the service, but for RCRP_BIN: the benchmark scripts (ours and the
        // shared Hummingbird comparison) name the binary with it, and the server inherits it.
        let unknown = environment.keys.filter { $0.hasPrefix("RCRP_") && $0 != "RCRP_BIN" && !usage.used.contains($0) }.min()
        if let unknown {
            var problem = "not a configuration setting"
            if let nearest = usage.known.min(by: { ConfigurationReader.distance($0, unknown) < ConfigurationReader.distance($1, unknown) }),
               ConfigurationReader.distance(nearest, unknown) <= max(2, unknown.count / 4) {
                problem += "; did you mean \(nearest)?"
            }
            throw ConfigurationError(source: unknown, field: "", problem: problem)
        }
        return LoadedConfiguration(configuration: config, sources: sources, warnings: [])
    }

    private static func readKeys(_ reader: inout ConfigurationReader) throws(ConfigurationError) -> [RouterConfiguration.Key] {
        guard let items = try reader.list("keys") else { return [] }
        var keys: [RouterConfiguration.Key] = []
        for var item in items {
            let id = try item.string("id", default: "")
            if id.isEmpty { throw item.error(item.location(of: "id"), "id", "required: a name for the key, e.g. control-room-1") }
            let role = try item.choice("role", default: "", among: RouterConfiguration.roles)
            if role.isEmpty { throw item.error(item.location(of: "role"), "role", "required: one of \(RouterConfiguration.roles.joined(separator: ", "))") }
            let agencyID = try item.optionalString("agency_id")
            let hash = try item.string("sha256", default: "").lowercased()
            try item.rejectUnknownKeys()
            if hash.count != 64 || !hash.allSatisfy({ $0.isHexDigit }) {
                throw item.error(item.location(of: "sha256"), "sha256",
                                 "expected the 64 hex digits that `rcrp-router hash-key KEY` prints, never the key itself")
            }
            if role == "agency" && agencyID == nil {
                throw item.error(item.location(of: "role"), "agency_id", "required for a key with role agency")
            }
            if role != "agency" && agencyID != nil {
                throw item.error(item.location(of: "agency_id"), "agency_id", "only a key with role agency belongs to an agency")
            }
            if keys.contains(where: { $0.id == id }) {
                throw item.error(item.location(of: "id"), "id", "\(ConfigurationReader.quote(id)) is used by another key")
            }
            if keys.contains(where: { $0.sha256 == hash }) {
                throw item.error(item.location(of: "sha256"), "sha256", "the same key hash is configured twice")
            }
            keys.append(.init(id: id, role: role, agencyID: agencyID, sha256: hash))
        }
        return keys
    }

    private static func apply(_ overrides: CommandLineOverrides, to loaded: inout LoadedConfiguration) {
        if let host = overrides.host { loaded.configuration.listen.host = host }
        if let port = overrides.port { loaded.configuration.listen.port = port }
        if let directory = overrides.dataDirectory {
            loaded.configuration.dataDirectory = directory
            loaded.sources["data_dir"] = "--data-dir"
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let where_ = "line \(mark.line), column \(mark.column)"
            if let context { return "\(problem) \(context.text) (\(where_))" }
            return "\(problem) (\(where_))"
        default:
            return ConfigurationReader.firstLine(String(describing: error))
        }
    }

    static func reason(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return (error as NSError).localizedDescription
    }
}
