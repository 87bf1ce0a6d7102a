import Foundation
import Testing
@testable import App

@Suite struct ConfigurationFilesTests {
    private func loaded(_ yaml: String, in directory: TemporaryDirectory, environment: [String: String] = [:]) throws -> LoadedConfiguration {
        let file = directory.path + "/rcrp-router.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return try ConfigurationLoader.load(path: file, required: true, environment: environment)
    }

    private func makeRules(in directory: TemporaryDirectory) throws -> String {
        let rules = directory.path + "/rules"
        try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
        return rules
    }

    @Test func missingDataDirectoryIsCreated() throws {
        let directory = try TemporaryDirectory()
        let rules = try makeRules(in: directory)
        let config = try loaded("data_dir: \(directory.path)/a/b\nrules_path: \(rules)\n", in: directory)
        try ConfigurationLoader.checkFiles(config)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: directory.path + "/a/b", isDirectory: &isDirectory) && isDirectory.boolValue)
    }

    @Test func dataDirectoryThatIsAFileStopsStartUp() throws {
        let directory = try TemporaryDirectory()
        let rules = try makeRules(in: directory)
        try "x".write(toFile: directory.path + "/plain", atomically: true, encoding: .utf8)
        let config = try loaded("data_dir: \(directory.path)/plain\nrules_path: \(rules)\n", in: directory)
        #expect {
            try ConfigurationLoader.checkFiles(config)
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.field == "data_dir" && error?.source == directory.path + "/rcrp-router.yaml:1"
                && error?.problem == "\(directory.path)/plain: exists but is not a directory"
        }
    }

    @Test func dataDirectoryThatCannotBeCreatedStopsStartUp() throws {
        let directory = try TemporaryDirectory()
        let rules = try makeRules(in: directory)
        try "x".write(toFile: directory.path + "/plain", atomically: true, encoding: .utf8)
        let config = try loaded("data_dir: \(directory.path)/plain/sub\nrules_path: \(rules)\n", in: directory)
        #expect {
            try ConfigurationLoader.checkFiles(config)
        } throws: { error in
            (error as? ConfigurationError)?.problem.contains("cannot create the directory") == true
        }
    }

    @Test func unwritableDataDirectoryStopsStartUp() throws {
        // Root ignores permission bits, but not a read-only file system: /proc is one everywhere.
        let directory = try TemporaryDirectory()
        let rules = try makeRules(in: directory)
        let config = try loaded("data_dir: /proc/self\nrules_path: \(rules)\n", in: directory)
        #expect {
            try ConfigurationLoader.checkFiles(config)
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.field == "data_dir" && error?.problem.contains("not writable") == true
        }
    }

    @Test func missingTLSFileStopsStartUpNamingTheSetting() throws {
        let directory = try TemporaryDirectory()
        let rules = try makeRules(in: directory)
        try "cert".write(toFile: directory.path + "/cert.pem", atomically: true, encoding: .utf8)
        let config = try loaded("""
            data_dir: \(directory.path)/data
            rules_path: \(rules)
            tls:
              certificate_chain_file: \(directory.path)/cert.pem
              private_key_file: \(directory.path)/missing.pem
            """, in: directory)
        #expect {
            try ConfigurationLoader.checkFiles(config)
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.description == "\(directory.path)/rcrp-router.yaml:5: tls.private_key_file: \(directory.path)/missing.pem: no such file"
        }
    }

    @Test func tlsFileFromTheEnvironmentIsBlamedOnTheVariable() throws {
        let directory = try TemporaryDirectory()
        let rules = try makeRules(in: directory)
        let config = try loaded("data_dir: \(directory.path)/data\nrules_path: \(rules)\n", in: directory, environment: [
            "RCRP_TLS_CERTIFICATE_CHAIN_FILE": directory.path + "/nope.pem",
            "RCRP_TLS_PRIVATE_KEY_FILE": directory.path + "/nope.key",
        ])
        #expect {
            try ConfigurationLoader.checkFiles(config)
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.source == "RCRP_TLS_CERTIFICATE_CHAIN_FILE" && error?.field == "tls.certificate_chain_file"
        }
    }

    @Test func missingRuleSetStopsStartUp() throws {
        let directory = try TemporaryDirectory()
        let config = try loaded("data_dir: \(directory.path)/data\nrules_path: \(directory.path)/no-rules\n", in: directory)
        #expect {
            try ConfigurationLoader.checkFiles(config)
        } throws: { error in
            (error as? ConfigurationError)?.field == "rules_path"
        }
    }

    @Test func dataDirectoryFlagIsBlamedOnTheFlag() throws {
        let directory = try TemporaryDirectory()
        let rules = try makeRules(in: directory)
        let file = directory.path + "/rcrp-router.yaml"
        try "rules_path: \(rules)\n".write(toFile: file, atomically: true, encoding: .utf8)
        let config = try ConfigurationLoader.load(path: file, required: true, environment: [:],
                                                  overrides: .init(dataDirectory: "/proc/self/x"))
        #expect {
            try ConfigurationLoader.checkFiles(config)
        } throws: { error in
            (error as? ConfigurationError)?.source == "--data-dir"
        }
    }
}
