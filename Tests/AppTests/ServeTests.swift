import ArgumentParser
import Foundation
import Logging
import Testing
@testable import App

/// The built `rcrp-router` beside the test bundle, when `swift build` has made one.
let builtBinary: String? = {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rcrp-router").path,
        repositoryRoot + "/.build/debug/rcrp-router",
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

@Suite(.serialized) struct ServeTests {
    private func settings(in directory: TemporaryDirectory) -> RouterConfiguration {
        var settings = RouterConfiguration()
        settings.listen.port = 0
        settings.listen.eventLoops = 1
        settings.dataDirectory = directory.path + "/data"
        settings.rulesPath = repositoryRoot + "/config/rules"
        settings.timeouts.shutdownGraceSeconds = 2
        return settings
    }

    @Test func serviceStartsOnAFreePortAnswersReadyAndStops() async throws {
        let directory = try TemporaryDirectory()
        let running = try await RunningService.start(settings(in: directory), development: true, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(running.port > 0)
        #expect(running.url == "http://127.0.0.1:\(running.port)")
        let ready = HTTPProbe.get(host: "127.0.0.1", port: running.port, path: "/readyz", timeoutSeconds: 5)
        #expect((try? ready.get()) == 200)
        await running.stop()
        let after = HTTPProbe.get(host: "127.0.0.1", port: running.port, path: "/healthz", timeoutSeconds: 1)
        #expect((try? after.get()) == nil, "the port still answers after stop")
    }

    @Test func brokenRuleSetStopsStartUpNamingIt() async throws {
        let directory = try TemporaryDirectory()
        var settings = settings(in: directory)
        settings.rulesPath = directory.path + "/rules.yaml"
        try "name: broken\nrules: [".write(toFile: settings.rulesPath, atomically: true, encoding: .utf8)
        await #expect {
            _ = try await RunningService.start(settings, development: true, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        } throws: { error in
            (error as? StartupError)?.description.hasPrefix("rules_path: \(settings.rulesPath)") == true
        }
    }

    @Test func developmentModeAddsTheDocumentedKeysAndDemoAgencies() {
        let production = RunningService.serviceConfiguration(RouterConfiguration(), seeds: [], development: false)
        #expect(production.keys.isEmpty)
        #expect(production.seedAgencies.isEmpty)
        let development = RunningService.serviceConfiguration(RouterConfiguration(), seeds: [], development: true)
        let keyIDs = Set(development.keys.map(\.id))
        for key in ["dev-admin", "dev-control-room", "dev-supervisor", "dev-auditor", "dev-agency-demo-mh-trust"] {
            #expect(keyIDs.contains(key))
        }
        #expect(development.seedAgencies.count == 8)
    }

    @Test func configurationReachesTheService() throws {
        let settings = try ConfigurationLoader.parse(yaml: """
            keys: [{id: cad, role: control_room, sha256: \(String(repeating: "ab", count: 32))}]
            deadlines: {acknowledge_within_minutes: 7, accept_within_minutes: 21}
            officer_hours: {awol: 4.5}
            repeat_contact: {calls: 4, days: 10}
            long_poll: {max_wait_seconds: 12}
            snapshot: {interval_records: 2500, tail_fraction: 0.75}
            """, file: "t.yaml", environment: [:]).configuration
        let service = RunningService.serviceConfiguration(settings, seeds: [], development: false)
        #expect(service.keys.map(\.id) == ["cad"])
        #expect(service.keys.first?.sha256 == String(repeating: "ab", count: 32))
        #expect(service.keys.first?.role.rawValue == "control_room")
        #expect(service.defaultDeadlines.acknowledge == 7)
        #expect(service.defaultDeadlines.accept == 21)
        #expect(service.officerHours(for: "awol") == 4.5)
        #expect(service.officerHours(for: "walk_out") == 5.7)
        #expect(service.repeatContact.calls == 4)
        #expect(service.repeatContact.days == 10)
        #expect(service.longPoll.maxWaitSeconds == 12)
        #expect(service.snapshotInterval == 2500)
        #expect(service.snapshotTailFraction == 0.75)
        #expect(service.openAPIDocument.hasPrefix("openapi: 3.1"))
    }

    @Test func badConfigurationMakesServeExitNonZero() async throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/bad.yaml"
        try "limits:\n  max_body_bytes: lots\n".write(toFile: file, atomically: true, encoding: .utf8)
        let command = try ServeCommand.parse(["--config", file])
        await #expect(throws: ExitCode(78)) { try await command.run() }
    }

    @Test func badAgenciesFileMakesServeExitNonZeroBeforeAnythingStarts() async throws {
        let directory = try TemporaryDirectory()
        let agencies = directory.path + "/agencies.yaml"
        try "agencies:\n  - {id: x, name: X, kind: fire_brigade, areas: ['*']}\n".write(toFile: agencies, atomically: true, encoding: .utf8)
        let file = directory.path + "/rcrp-router.yaml"
        try """
            data_dir: \(directory.path)/data
            rules_path: \(repositoryRoot)/config/rules
            agencies_file: \(agencies)
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let command = try ServeCommand.parse(["--config", file])
        await #expect(throws: ExitCode(78)) { try await command.run() }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/data/ledger"), "the ledger was opened")
    }

    // MARK: The built binary, as an operator runs it

    @Test(.enabled(if: builtBinary != nil)) func builtBinaryPrintsWhereItListensAndStopsCleanlyOnSIGTERM() throws {
        let directory = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: builtBinary!)
        process.arguments = ["serve", "--dev", "--port", "0", "--data-dir", directory.path + "/data"]
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        var printed = Data()
        while !String(decoding: printed, as: UTF8.self).contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed.append(chunk)
        }
        let line = String(decoding: printed, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        #expect(line.hasPrefix("listening on http://127.0.0.1:"))
        let port = Int(line.split(separator: ":").last ?? "") ?? 0
        #expect((try? HTTPProbe.get(host: "127.0.0.1", port: port, path: "/readyz", timeoutSeconds: 5).get()) == 200)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test(.enabled(if: builtBinary != nil)) func builtBinaryRefusesABadConfigurationInOneLine() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/bad.yaml"
        try "listen:\n  port: 8080\n  colour: blue\n".write(toFile: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: builtBinary!)
        process.arguments = ["serve", "--config", file]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(text == "rcrp-router: \(file):3: listen.colour: unknown setting\n" || text.hasPrefix("rcrp-router: \(file):3: listen.colour: unknown setting"))
        #expect(text.split(separator: "\n").count == 1)
    }
}

@Suite struct TLSServeTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func withTLSTheAddressIsHTTPS() async throws {
        let directory = try TemporaryDirectory()
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                             "-keyout", directory.path + "/key.pem", "-out", directory.path + "/cert.pem"]
        openssl.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0)

        var settings = RouterConfiguration()
        settings.listen.port = 0
        settings.listen.eventLoops = 1
        settings.dataDirectory = directory.path + "/data"
        settings.rulesPath = repositoryRoot + "/config/rules"
        settings.tls = .init(certificateChainFile: directory.path + "/cert.pem", privateKeyFile: directory.path + "/key.pem")
        let running = try await RunningService.start(settings, development: false,
                                                     logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(running.url == "https://127.0.0.1:\(running.port)")
        await running.stop()
    }
}
