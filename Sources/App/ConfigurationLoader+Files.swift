import Foundation

extension ConfigurationLoader {
    /// Checks what the configuration points at on disk before anything starts: the data directory
    /// exists (created if need be) and is readable and writable, the TLS files can be read, and the
    /// rule set is there. Each problem names the setting and where it was set.
    public static func checkFiles(_ loaded: LoadedConfiguration) throws(ConfigurationError) {
        let config = loaded.configuration
        func source(_ field: String) -> String { loaded.sources[field] ?? "configuration" }

        try checkDataDirectory(config.dataDirectory, source: source("data_dir"))
        if let tls = config.tls {
            try checkReadableFile(tls.certificateChainFile, field: "tls.certificate_chain_file", source: source("tls.certificate_chain_file"))
            try checkReadableFile(tls.privateKeyFile, field: "tls.private_key_file", source: source("tls.private_key_file"))
        }
        if !FileManager.default.fileExists(atPath: config.rulesPath) {
            throw ConfigurationError(source: source("rules_path"), field: "rules_path",
                                     problem: "\(config.rulesPath): no such file or directory")
        }
        if let agencies = config.agenciesFile {
            try checkReadableFile(agencies, field: "agencies_file", source: source("agencies_file"))
        }
    }

    /// The ledger must be able to create, fsync and rename files here; find out now, not on the first call.
    static func checkDataDirectory(_ path: String, source: String) throws(ConfigurationError) {
        func fail(_ problem: String) -> ConfigurationError {
            ConfigurationError(source: source, field: "data_dir", problem: "\(path): \(problem)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw fail("exists but is not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw fail("cannot create the directory: \(reason(error))")
            }
        }
        guard access(path, R_OK | X_OK) == 0 else { throw fail("not readable: \(String(cString: strerror(errno)))") }
        // access(2) says yes to root even on a read-only mount, so try a real write.
        let probe = RouterConfiguration.join(path, ".write-test-\(getpid())")
        let fd = open(probe, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        guard fd >= 0 else { throw fail("not writable: \(String(cString: strerror(errno)))") }
        close(fd)
        unlink(probe)
    }

    static func checkReadableFile(_ path: String, field: String, source: String) throws(ConfigurationError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigurationError(source: source, field: field, problem: "\(path): no such file")
        }
        guard !isDirectory.boolValue else {
            throw ConfigurationError(source: source, field: field, problem: "\(path): is a directory, expected a file")
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ConfigurationError(source: source, field: field, problem: "\(path): cannot be read: \(String(cString: strerror(errno)))")
        }
        close(fd)
    }
}
