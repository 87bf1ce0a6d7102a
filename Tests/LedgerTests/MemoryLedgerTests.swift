import Foundation
import JSON
import Testing
@testable import Ledger

@Suite struct MemoryLedgerTests {
    @Test func memoryLedgerHashesLikeTheFileLedger() async throws {
        let fixed = Date(timeIntervalSince1970: 1_795_000_000.25)
        let dir = TemporaryDirectory()
        let file = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options(), clock: { fixed })
        defer { file.close() }
        let memory = MemoryLedger(clock: { fixed })
        let events = (1...5).map { LedgerFixture.event($0) }
        let fromFile = try await file.append(events)
        let fromMemory = try await memory.append(events)
        #expect(fromFile == fromMemory)
        #expect(try memory.verify() == (5, fromFile[4].hash))
        #expect(try memory.records(from: 3, limit: 2) == Array(fromFile[2...3]))
        #expect(try memory.records(from: 9, limit: 2).isEmpty)
    }

    @Test func memoryLedgerFailsClosedWhenTold() async throws {
        let memory = MemoryLedger()
        _ = try await memory.append([LedgerFixture.event(1)])
        memory.failWrites(reason: "disk on fire")
        #expect(memory.failure == "disk on fire")
        await #expect(throws: LedgerError.failed(reason: "disk on fire")) { try await memory.append([LedgerFixture.event(2)]) }
        #expect(memory.head.seq == 1)
    }
}
