import Foundation
import Ledger
import Testing
@testable import App

@Suite struct VerifyLedgerTests {
    @Test func dataDirectoryIsTakenForTheLedgerInsideIt() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/ledger", withIntermediateDirectories: true)
        #expect(VerifyLedgerCommand.ledgerDirectory(for: directory.path) == directory.path + "/ledger")
        #expect(VerifyLedgerCommand.ledgerDirectory(for: directory.path + "/ledger") == directory.path + "/ledger")
    }

    @Test func soundLedgerPassesAndADamagedOneFailsNamingTheSegment() async throws {
        let directory = try TemporaryDirectory()
        let ledgerPath = directory.path + "/ledger"
        let ledger = try FileLedger.open(directory: ledgerPath)
        for index in 0..<3 {
            _ = try await ledger.append([LedgerEvent(type: "test.event", actor: "test", body: ["n": .int(Int64(index))])])
        }
        ledger.close()

        var lines: [String] = []
        #expect(LedgerVerifier.run(directory: VerifyLedgerCommand.ledgerDirectory(for: directory.path)) { lines.append($0) })
        #expect(lines.first?.contains("3 records") == true)

        // Flip one byte inside the first record: not a torn tail, so verification must fail.
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: ledgerPath).first { $0.hasSuffix(".log") })
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: ledgerPath + "/" + segment))
        try handle.seek(toOffset: 40)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: 40)
        try handle.write(contentsOf: [byte ^ 0x20])
        try handle.close()

        lines = []
        #expect(!LedgerVerifier.run(directory: ledgerPath) { lines.append($0) })
        #expect(lines.joined().contains(segment))
    }
}
