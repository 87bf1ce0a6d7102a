import ArgumentParser
import Foundation
import Ledger

/// `rcrp-router verify-ledger [DIR]`: framing, checksums and the hash chain, end to end; exit
/// non-zero naming the segment and offset of the first fault. Reads only, so it is safe beside a
/// running server and on a backup copy.
struct VerifyLedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-ledger",
        abstract: "Check a ledger's framing, checksums and hash chain."
    )

    @Argument(help: "The ledger directory, or the data directory holding it (default: ./data/ledger).")
    var directory = "./data/ledger"

    func run() throws {
        let target = Self.ledgerDirectory(for: directory)
        let ok = LedgerVerifier.run(directory: target) { print($0) }
        if !ok { throw ExitCode(1) }
    }

    /// Accepts the data directory as well as the ledger inside it, the way operators think of a backup.
    static func ledgerDirectory(for path: String) -> String {
        let nested = RouterConfiguration.join(path, "ledger")
        var isDirectory: ObjCBool = false
        let hasSegments = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).contains { $0.hasSuffix(".log") }
        if !hasSegments, FileManager.default.fileExists(atPath: nested, isDirectory: &isDirectory), isDirectory.boolValue {
            return nested
        }
        return path
    }
}
