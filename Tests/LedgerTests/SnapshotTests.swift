import Foundation
import JSON
import Testing
@testable import Ledger

@Suite struct SnapshotTests {
    private func ledgerWith(_ count: Int, in dir: TemporaryDirectory, kept: Int = 3) async throws -> FileLedger {
        var options = LedgerFixture.options()
        options.snapshotsKept = kept
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        _ = try await LedgerFixture.appendAll(ledger, 1...count)
        return ledger
    }

    @Test func latestSnapshotIsTheNewestWritten() async throws {
        let dir = TemporaryDirectory()
        let ledger = try await ledgerWith(30, in: dir)
        defer { ledger.close() }
        #expect(try ledger.latestSnapshot() == nil)
        try ledger.writeSnapshot(Array("state at 10".utf8), throughSeq: 10)
        try ledger.writeSnapshot(Array("state at 20".utf8), throughSeq: 20)
        let latest = try #require(try ledger.latestSnapshot())
        #expect(latest.throughSeq == 20 && latest.state == Array("state at 20".utf8))
        #expect(try ledger.records(from: latest.throughSeq + 1, limit: 100).map(\.seq) == Array(21...30))
    }

    @Test func emptyStateAndSeqZeroAreValid() async throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        try ledger.writeSnapshot([], throughSeq: 0)
        let latest = try #require(try ledger.latestSnapshot())
        #expect(latest.throughSeq == 0 && latest.state.isEmpty)
    }

    @Test func corruptNewestSnapshotFallsBackToThePrevious() async throws {
        let dir = TemporaryDirectory()
        let ledger = try await ledgerWith(30, in: dir)
        defer { ledger.close() }
        try ledger.writeSnapshot(Array("state at 10".utf8), throughSeq: 10)
        try ledger.writeSnapshot(Array("state at 20".utf8), throughSeq: 20)
        let newest = dir.ledger + "/snapshots/" + SnapshotStore.name(throughSeq: 20)
        var bytes = try LedgerFixture.read(newest)
        bytes[SnapshotStore.headerSize + 2] ^= 0x01
        try LedgerFixture.write(bytes, to: newest)
        #expect(try ledger.latestSnapshot()?.throughSeq == 10)

        try LedgerFixture.write(Array(bytes.prefix(20)), to: newest)
        #expect(try ledger.latestSnapshot()?.throughSeq == 10)
    }

    @Test func snapshotFromAnotherLedgerIsNotLoaded() async throws {
        let dirA = TemporaryDirectory()
        let dirB = TemporaryDirectory()
        let a = try await ledgerWith(5, in: dirA)
        defer { a.close() }
        try a.writeSnapshot(Array("a".utf8), throughSeq: 5)
        let b = try FileLedger.open(directory: dirB.ledger, options: LedgerFixture.options())
        defer { b.close() }
        _ = try await b.append((1...5).map { LedgerFixture.event($0, type: "other") })
        let name = SnapshotStore.name(throughSeq: 5)
        try FileManager.default.copyItem(atPath: dirA.ledger + "/snapshots/" + name, toPath: dirB.ledger + "/snapshots/" + name)
        #expect(try b.latestSnapshot() == nil)
    }

    @Test func snapshotBeyondTheHeadIsRefused() async throws {
        let dir = TemporaryDirectory()
        let ledger = try await ledgerWith(3, in: dir)
        defer { ledger.close() }
        #expect(throws: LedgerError.self) { try ledger.writeSnapshot([1, 2, 3], throughSeq: 4) }
    }

    @Test func onlyTheNewestFewAreKept() async throws {
        let dir = TemporaryDirectory()
        let ledger = try await ledgerWith(10, in: dir, kept: 2)
        defer { ledger.close() }
        for seq in [2, 4, 6, 8] as [UInt64] { try ledger.writeSnapshot(Array("\(seq)".utf8), throughSeq: seq) }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.ledger + "/snapshots").sorted()
        #expect(files == [SnapshotStore.name(throughSeq: 6), SnapshotStore.name(throughSeq: 8)])
    }

    @Test func leftoverTemporariesAreRemovedOnOpen() async throws {
        let dir = TemporaryDirectory()
        var ledger = try await ledgerWith(2, in: dir)
        ledger.close()
        let leftover = dir.ledger + "/snapshots/" + SnapshotStore.name(throughSeq: 2) + ".tmp-abcdef"
        try LedgerFixture.write([1, 2, 3], to: leftover)
        ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(try ledger.latestSnapshot() == nil)
    }
}
