import Foundation
import JSON
import Synchronization
import Testing
@testable import Ledger

@Suite struct FileLedgerTests {
    @Test func appendedRecordsReadBackIdentically() async throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        let first = try await ledger.append([LedgerFixture.event(1), LedgerFixture.event(2)])
        let second = try await ledger.append([LedgerFixture.event(3)])
        let appended = first + second

        #expect(appended.map(\.seq) == [1, 2, 3])
        #expect(appended[0].prevHash == String(repeating: "0", count: 64))
        #expect(appended[1].prevHash == appended[0].hash)
        #expect(try ledger.records(from: 1, limit: 10) == appended)
        #expect(try ledger.records(from: 2, limit: 1) == [appended[1]])
        #expect(try ledger.records(from: 4, limit: 10).isEmpty)
        #expect(ledger.head.seq == 3 && ledger.head.hash == appended[2].hash)
        #expect(ledger.failure == nil)

        let json = appended[2].json
        #expect(json.objectValue?.keys == ["seq", "at", "type", "actor", "body", "prev_hash", "hash"])
        #expect(json["seq"]?.intValue == 3)
        #expect(json["body"]?["notes"]?.stringValue == "caf\u{e9} \"quoted\"")
        let verified = try ledger.verify()
        #expect(verified.records == 3 && verified.headHash == appended[2].hash)
    }

    @Test func emptyLedgerHasGenesisHead() throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        #expect(ledger.head.seq == 0 && ledger.head.hash == String(repeating: "0", count: 64))
        #expect(try ledger.verify().records == 0)
        #expect(try ledger.records(from: 1, limit: 10).isEmpty)
    }

    @Test func reopenContinuesTheChain() async throws {
        let dir = TemporaryDirectory()
        var ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        let before = try await LedgerFixture.appendAll(ledger, 1...5)
        ledger.close()

        ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        #expect(ledger.head.seq == 5 && ledger.head.hash == before[4].hash)
        let after = try await ledger.append([LedgerFixture.event(6)])
        #expect(after[0].seq == 6 && after[0].prevHash == before[4].hash)
        #expect(try ledger.records(from: 1, limit: 100) == before + after)
        #expect(try ledger.verify().records == 6)
    }

    @Test func secondOpenOfTheSameDirectoryIsRefused() throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        let error = #expect(throws: LedgerError.self) { try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options()) }
        guard case .io(let message)? = error else { Issue.record("expected .io, got \(String(describing: error))"); return }
        #expect(message.contains("in use"))
    }

    @Test func oversizedRecordIsRefusedAndTheLedgerStaysWritable() async throws {
        let dir = TemporaryDirectory()
        var options = LedgerFixture.options()
        options.maxRecordBytes = 2048
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        let big = LedgerEvent(type: "call.received", actor: "key-1", body: ["notes": .string(String(repeating: "x", count: 4096))])
        await #expect(throws: LedgerError.recordTooLarge) { try await ledger.append([big]) }
        #expect(ledger.failure == nil)
        #expect(try await ledger.append([LedgerFixture.event(1)]).first?.seq == 1)
    }

    @Test func concurrentAppendersGetGapFreeOrderedSeq() async throws {
        let dir = TemporaryDirectory()
        let synced = Mutex((syncs: 0, records: 0))
        var options = LedgerFixture.options(segmentBytes: 64 << 10)
        options.syncObserver = { seconds, records in
            #expect(seconds >= 0)
            synced.withLock { $0 = ($0.syncs + 1, $0.records + records) }
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        let tasks = 64
        let perTask = 40
        let perAppender: [[UInt64]] = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for t in 0 ..< tasks {
                group.addTask {
                    var seqs: [UInt64] = []
                    for i in 0 ..< perTask {
                        let events = i % 5 == 0 ? [LedgerFixture.event(t * 1000 + i), LedgerFixture.event(t * 1000 + i + 500)] : [LedgerFixture.event(t * 1000 + i)]
                        let records = try await ledger.append(events)
                        // One append's records are consecutive.
                        #expect(zip(records, records.dropFirst()).allSatisfy { $0.seq + 1 == $1.seq })
                        seqs += records.map(\.seq)
                    }
                    return seqs
                }
            }
            var all: [[UInt64]] = []
            for try await seqs in group { all.append(seqs) }
            return all
        }
        let total = tasks * (perTask + perTask / 5)
        for seqs in perAppender { #expect(seqs == seqs.sorted()) }
        #expect(perAppender.flatMap { $0 }.sorted() == Array(1 ... UInt64(total)))
        #expect(ledger.head.seq == UInt64(total))
        #expect(try ledger.verify().records == UInt64(total))
        #expect(try LedgerFixture.segments(dir.ledger).count > 1)
        // Every record was covered by exactly one observed sync, and syncs were shared.
        let observed = synced.withLock { $0 }
        #expect(observed.records == total)
        #expect(observed.syncs < tasks * perTask)
        #expect(try ledger.records(from: 1, limit: .max).count == total)
    }

    @Test func burstOfLargeRecordsCommitsInOrder() async throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options(segmentBytes: 4 << 20))
        defer { ledger.close() }
        let notes = String(repeating: "n", count: 500_000)
        let seqs = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for n in 0 ..< 40 {
                group.addTask {
                    try await ledger.append([LedgerEvent(type: "call.received", actor: "key-\(n)", body: ["notes": .string(notes)])])[0].seq
                }
            }
            var all: [UInt64] = []
            for try await seq in group { all.append(seq) }
            return all
        }
        #expect(seqs.sorted() == Array(1...40))
        #expect(try ledger.verify().records == 40)
        #expect(try ledger.records(from: 17, limit: 2).map { $0.body["notes"]?.stringValue?.count } == [500_000, 500_000])
    }

    @Test func segmentsRotateBySizeAndReadAcrossThem() async throws {
        let dir = TemporaryDirectory()
        let options = LedgerFixture.options(segmentBytes: 4096, indexStride: 3)
        var ledger = try FileLedger.open(directory: dir.ledger, options: options)
        let appended = try await LedgerFixture.appendAll(ledger, 1...120)
        let names = try LedgerFixture.segments(dir.ledger)
        #expect(names.count > 5)
        #expect(names.first == "00000000000000000001.log")
        // Every segment but the last is at least the target size; names are the first seq.
        for name in names {
            let firstSeq = UInt64(name.dropLast(4))!
            #expect(try ledger.records(from: firstSeq, limit: 1).first?.seq == firstSeq)
        }
        for start in stride(from: 1, through: 125, by: 1) {
            let page = try ledger.records(from: UInt64(start), limit: 7)
            let expected = Array(appended.dropFirst(start - 1).prefix(7))
            #expect(page == expected, "page from \(start)")
        }
        #expect(try ledger.records(from: 1, limit: 500) == appended)
        ledger.close()

        ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        #expect(try ledger.records(from: 57, limit: 3) == Array(appended[56 ..< 59]))
        #expect(try ledger.verify() == (120, appended[119].hash))
        let offline = try LedgerVerifier.verify(directory: dir.ledger)
        #expect(offline.records == 120 && offline.segments == names.count && offline.tornTail == nil)
    }

    @Test func injectedFsyncFailureFailsClosed() async throws {
        let dir = TemporaryDirectory()
        let failing = Mutex(false)
        let syncCalls = Mutex(0)
        var options = LedgerFixture.options()
        // No zero region: its fill's sync after the first commit would race with turning the
        // failure on (ZeroRegionTests covers a failed fill).
        options.zeroFillBytes = 0
        options.sync = { fd in
            syncCalls.withLock { $0 += 1 }
            return failing.withLock { $0 } ? EIO : (fdatasync(fd) == 0 ? 0 : errno)
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        let ok = try await ledger.append([LedgerFixture.event(1)])
        #expect(ok.first?.seq == 1)

        failing.withLock { $0 = true }
        let results = await withTaskGroup(of: Result<[LedgerRecord], LedgerError>.self) { group in
            for n in 2 ... 20 {
                group.addTask {
                    do throws(LedgerError) { return .success(try await ledger.append([LedgerFixture.event(n)])) } catch { return .failure(error) }
                }
            }
            var all: [Result<[LedgerRecord], LedgerError>] = []
            for await result in group { all.append(result) }
            return all
        }
        for result in results {
            guard case .failure(.failed(let reason)) = result else { Issue.record("append acknowledged after fsync failure: \(result)"); continue }
            #expect(reason.contains("fdatasync"))
        }
        #expect(ledger.failure?.contains("Input/output error") == true)
        #expect(ledger.head.seq == 1 && ledger.head.hash == ok[0].hash)

        // Failed for good: even with a healthy disk again, nothing is written or synced.
        failing.withLock { $0 = false }
        let callsBefore = syncCalls.withLock { $0 }
        await #expect(throws: LedgerError.self) { try await ledger.append([LedgerFixture.event(99)]) }
        #expect(syncCalls.withLock { $0 } == callsBefore)
        #expect(try ledger.records(from: 1, limit: 10) == ok)
    }

    @Test func closedLedgerRefusesAppends() async throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        ledger.close()
        await #expect(throws: LedgerError.self) { try await ledger.append([LedgerFixture.event(1)]) }
    }
}
