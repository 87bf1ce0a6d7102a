import Foundation
import Testing
@testable import App

/// The repository root, for the committed configuration files.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

private func parse(_ yaml: String, environment: [String: String] = [:]) throws(ConfigurationError) -> RouterConfiguration {
    try ConfigurationLoader.parse(yaml: yaml, file: "test.yaml", environment: environment).configuration
}

private func parseError(_ yaml: String, environment: [String: String] = [:]) -> ConfigurationError? {
    do {
        _ = try ConfigurationLoader.parse(yaml: yaml, file: "test.yaml", environment: environment)
        return nil
    } catch {
        return error
    }
}

@Suite struct ConfigurationLoaderTests {
    @Test func emptyFileGivesTheDocumentedDefaults() throws {
        let config = try parse("")
        #expect(config == RouterConfiguration())
        #expect(config.listen.host == "127.0.0.1")
        #expect(config.listen.port == 8080)
        #expect(config.dataDirectory == "./data")
        #expect(config.rulesPath == "config/rules")
        #expect(config.officerHours["walk_out"] == 5.7)
        #expect(config.repeatContact == .init(calls: 3, days: 30))
        #expect(config.tls == nil)
        #expect(config.keys.isEmpty)
    }

    @Test func committedConfigurationStatesTheDefaults() throws {
        let path = repositoryRoot + "/config/rcrp-router.yaml"
        let loaded = try ConfigurationLoader.load(path: path, required: true, environment: [:])
        #expect(loaded.configuration == RouterConfiguration())
        #expect(loaded.warnings.isEmpty)
    }

    @Test func everySettingIsRead() throws {
        let config = try parse("""
            listen: {host: 0.0.0.0, port: 9000, event_loops: 2}
            limits: {max_body_bytes: 2048, max_decompressed_body_bytes: 4096, max_connections: 50}
            timeouts: {idle_seconds: 5, shutdown_grace_seconds: 0}
            data_dir: /var/lib/rcrp-router
            rules_path: /etc/rcrp-router/rules
            agencies_file: /etc/rcrp-router/agencies.yaml
            keys:
              - {id: cad, role: control_room, sha256: \(String(repeating: "AB", count: 32))}
              - {id: cpft, role: agency, agency_id: cpft-crisis, sha256: \(String(repeating: "cd", count: 32))}
            deadlines: {acknowledge_within_minutes: 3, accept_within_minutes: 9}
            officer_hours: {awol: 4}
            repeat_contact: {calls: 5, days: 7}
            long_poll: {max_wait_seconds: 20}
            snapshot: {interval_records: 500, tail_fraction: 2.5}
            log: {level: debug, format: text}
            """)
        #expect(config.listen == .init(host: "0.0.0.0", port: 9000, eventLoops: 2))
        #expect(config.limits.maxBodyBytes == 2048)
        #expect(config.limits.maxConnections == 50)
        #expect(config.timeouts.idleSeconds == 5)
        #expect(config.timeouts.shutdownGraceSeconds == 0)
        #expect(config.dataDirectory == "/var/lib/rcrp-router")
        #expect(config.ledgerDirectory == "/var/lib/rcrp-router/ledger")
        #expect(config.agenciesFile == "/etc/rcrp-router/agencies.yaml")
        #expect(config.keys == [
            .init(id: "cad", role: "control_room", agencyID: nil, sha256: String(repeating: "ab", count: 32)),
            .init(id: "cpft", role: "agency", agencyID: "cpft-crisis", sha256: String(repeating: "cd", count: 32)),
        ])
        #expect(config.deadlines == .init(acknowledgeWithinMinutes: 3, acceptWithinMinutes: 9))
        #expect(config.officerHours["awol"] == 4)
        #expect(config.officerHours["walk_out"] == 5.7)
        #expect(config.repeatContact == .init(calls: 5, days: 7))
        #expect(config.longPollMaxWaitSeconds == 20)
        #expect(config.snapshotIntervalRecords == 500)
        #expect(config.snapshotTailFraction == 2.5)
        #expect(config.logLevel == "debug")
        #expect(config.logFormat == "text")
    }

    @Test func wrongTypeNamesTheFieldTheLineAndTheValue() {
        let error = parseError("""
            limits:
              max_body_bytes: lots
            """)
        #expect(error?.description == #"test.yaml:2: limits.max_body_bytes: expected an integer, got "lots""#)
    }

    @Test func quotedNumberIsNotAnInteger() {
        #expect(parseError("listen:\n  port: \"8080\"\n")?.field == "listen.port")
    }

    @Test func unknownKeyIsRejectedWithTheNearestKnownOne() {
        let error = parseError("""
            limits:
              max_body_byte: 1024
            """)
        #expect(error?.source == "test.yaml:2")
        #expect(error?.field == "limits.max_body_byte")
        #expect(error?.problem == "unknown setting (did you mean limits.max_body_bytes?)")
    }

    @Test func unknownTopLevelSectionIsRejected() {
        #expect(parseError("metrics:\n  enabled: true\n")?.field == "metrics")
    }

    @Test func sectionGivenAsAValueIsRejected() {
        #expect(parseError("limits: 5\n")?.description == #"test.yaml:1: limits: expected a mapping, got "5""#)
    }

    @Test func keyGivenTwiceIsRejected() {
        #expect(parseError("listen:\n  port: 1\n  port: 2\n")?.description == "test.yaml:3: listen.port: given twice")
    }

    @Test func outOfRangeValueIsRejected() {
        #expect(parseError("listen: {port: 70000}")?.problem == "must be between 0 and 65535, got 70000")
    }

    @Test func invalidYAMLIsReportedWithItsPosition() {
        let error = parseError("listen: {port: 80\n")
        #expect(error?.source == "test.yaml")
        #expect(error?.problem.hasPrefix("not valid YAML") == true)
        #expect(error?.problem.contains("line") == true)
    }

    @Test(arguments: ["data_dir:\n", "data_dir: ~\n", "data_dir: null\n", "rules_path: \"\"\n"])
    func anEmptyPathIsRejectedNotDefaulted(_ yaml: String) {
        #expect(parseError(yaml)?.problem == "must not be empty")
    }

    @Test func unknownChoiceListsTheAllowedOnes() {
        #expect(parseError("log: {level: loud}")?.problem == #"expected one of trace, debug, info, notice, warning, error, critical, got "loud""#)
    }

    @Test func tlsNeedsBothFiles() {
        let error = parseError("tls: {certificate_chain_file: /etc/cert.pem}")
        #expect(error?.field == "tls.private_key_file")
    }

    @Test func keyHashMustBeSixtyFourHexDigits() {
        let error = parseError("keys: [{id: a, role: admin, sha256: dev-admin}]")
        #expect(error?.field == "keys[0].sha256")
    }

    @Test func agencyKeyNeedsItsAgency() {
        let error = parseError("keys: [{id: a, role: agency, sha256: \(String(repeating: "0", count: 64))}]")
        #expect(error?.field == "keys[0].agency_id")
    }

    @Test func onlyAgencyKeysBelongToAnAgency() {
        let error = parseError("keys: [{id: a, role: admin, agency_id: x, sha256: \(String(repeating: "0", count: 64))}]")
        #expect(error?.field == "keys[0].agency_id")
    }

    @Test func unknownRoleIsRejected() {
        let error = parseError("keys: [{id: a, role: god, sha256: \(String(repeating: "0", count: 64))}]")
        #expect(error?.field == "keys[0].role")
    }

    @Test func twoKeysWithOneHashAreRejected() {
        let hash = String(repeating: "1", count: 64)
        let error = parseError("keys: [{id: a, role: admin, sha256: \(hash)}, {id: b, role: auditor, sha256: \(hash)}]")
        #expect(error?.field == "keys[1].sha256")
    }

    @Test func acceptDeadlineShorterThanAcknowledgeIsRejected() {
        let error = parseError("deadlines: {acknowledge_within_minutes: 20, accept_within_minutes: 10}")
        #expect(error?.field == "deadlines.accept_within_minutes")
    }

    @Test func unknownCallTypeUnderOfficerHoursIsRejected() {
        #expect(parseError("officer_hours: {jaywalking: 2}")?.field == "officer_hours.jaywalking")
    }

    @Test func decompressedLimitBelowBodyLimitIsRejected() {
        let error = parseError("limits: {max_body_bytes: 8192, max_decompressed_body_bytes: 4096}")
        #expect(error?.field == "limits.max_decompressed_body_bytes")
    }

    // MARK: Environment and flags

    @Test func snapshotTailFractionComesFromTheEnvironmentAndIsBounded() throws {
        #expect(try parse("", environment: ["RCRP_SNAPSHOT_TAIL_FRACTION": "0.25"]).snapshotTailFraction == 0.25)
        #expect(parseError("snapshot: {tail_fraction: -1}")?.description.contains("snapshot.tail_fraction") == true)
    }

    @Test func environmentBeatsTheFile() throws {
        let config = try parse("listen: {port: 9000}\nlimits: {max_body_bytes: 4096}\n", environment: [
            "RCRP_LISTEN_PORT": "9100",
            "RCRP_LIMITS_MAX_BODY_BYTES": "2048",
            "RCRP_DEADLINES_ACCEPT_WITHIN_MINUTES": "20",
            "RCRP_OFFICER_HOURS_AWOL": "3.5",
            "RCRP_DATA_DIR": "/data",
            "RCRP_LOG_LEVEL": "warning",
        ])
        #expect(config.listen.port == 9100)
        #expect(config.limits.maxBodyBytes == 2048)
        #expect(config.deadlines.acceptWithinMinutes == 20)
        #expect(config.officerHours["awol"] == 3.5)
        #expect(config.dataDirectory == "/data")
        #expect(config.logLevel == "warning")
    }

    @Test func badEnvironmentValueNamesTheVariable() {
        let error = parseError("", environment: ["RCRP_LIMITS_MAX_BODY_BYTES": "lots"])
        #expect(error?.description == #"RCRP_LIMITS_MAX_BODY_BYTES: limits.max_body_bytes: expected an integer, got "lots""#)
    }

    @Test func keysComeFromTheEnvironmentInFlowStyle() throws {
        let hash = String(repeating: "e", count: 64)
        let config = try parse("keys: []\n", environment: [
            "RCRP_KEYS": "[{id: cad, role: control_room, sha256: \(hash)}]",
        ])
        #expect(config.keys == [.init(id: "cad", role: "control_room", agencyID: nil, sha256: hash)])
        let error = parseError("", environment: ["RCRP_KEYS": "[{id: cad, role: nobody, sha256: \(hash)}]"])
        #expect(error?.source == "RCRP_KEYS")
        #expect(error?.field == "keys[0].role")
    }

    @Test func tlsFilesComeFromTheEnvironment() throws {
        let config = try parse("", environment: [
            "RCRP_TLS_CERTIFICATE_CHAIN_FILE": "/run/secrets/cert.pem",
            "RCRP_TLS_PRIVATE_KEY_FILE": "/run/secrets/key.pem",
        ])
        #expect(config.tls == .init(certificateChainFile: "/run/secrets/cert.pem", privateKeyFile: "/run/secrets/key.pem"))
    }

    @Test func aMisspeltEnvironmentVariableStopsTheLoadNamingTheNearestSetting() throws {
        #expect(throws: ConfigurationError(source: "RCRP_LISTEN_PROT", field: "",
                                           problem: "not a configuration setting; did you mean RCRP_LISTEN_PORT?")) {
            try ConfigurationLoader.parse(yaml: "", file: "test.yaml", environment: ["RCRP_LISTEN_PROT": "1", "HOME": "/root"])
        }
        #expect(throws: ConfigurationError(source: "RCRP_LOG", field: "", problem: "not a configuration setting")) {
            try ConfigurationLoader.parse(yaml: "", file: "test.yaml", environment: ["RCRP_LOG": "debug"])
        }
        // The benchmark scripts' name for the binary, inherited by the server they start.
        #expect(try ConfigurationLoader.parse(yaml: "", file: "test.yaml", environment: ["RCRP_BIN": "/usr/bin/x"]).warnings.isEmpty)
        // Every documented kind of setting is known: nested, per call type, and whole lists.
        let loaded = try ConfigurationLoader.parse(yaml: "", file: "test.yaml", environment: [
            "RCRP_TIMEOUTS_IDLE_SECONDS": "30", "RCRP_OFFICER_HOURS_AWOL": "3", "RCRP_KEYS": "[]", "OTHER_PROT": "1",
        ])
        #expect(loaded.configuration.officerHours["awol"] == 3)
        #expect(loaded.warnings.isEmpty)
    }

    @Test func flagsBeatTheEnvironmentAndTheFile() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/config.yaml"
        try "listen: {host: 10.0.0.1, port: 9000}\ndata_dir: /from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        let loaded = try ConfigurationLoader.load(
            path: file, required: true,
            environment: ["RCRP_LISTEN_PORT": "9100", "RCRP_LISTEN_HOST": "10.0.0.2"],
            overrides: .init(host: "127.0.0.1", port: 0, dataDirectory: directory.path + "/data"))
        #expect(loaded.configuration.listen.host == "127.0.0.1")
        #expect(loaded.configuration.listen.port == 0)
        #expect(loaded.configuration.dataDirectory == directory.path + "/data")
        #expect(loaded.sources["data_dir"] == "--data-dir")
    }

    @Test func namedConfigurationFileMustExist() {
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(path: "/nonexistent/rcrp.yaml", required: true, environment: [:])
        }
    }

    @Test func defaultConfigurationFileMayBeAbsent() throws {
        let loaded = try ConfigurationLoader.load(path: "/nonexistent/rcrp.yaml", required: false, environment: ["RCRP_LISTEN_PORT": "81"])
        #expect(loaded.configuration.listen.port == 81)
        #expect(loaded.warnings.count == 1)
    }
}
