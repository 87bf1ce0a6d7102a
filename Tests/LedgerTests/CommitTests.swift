import Foundation
import Synchronization
import Testing
@testable import Ledger

/// What the group commit promises about durability and ordering, checked through the sync and
/// write hooks: nothing is returned before a sync covers it, rotation makes the old segment
/// durable before the new one exists, and failures leave no descriptor behind.
@Suite struct CommitTests {
    /// The path a descriptor refers to, and the file's size now.
    static func describe(_ fd: Int32) -> (path: String, size: Int) {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? "?"
        var info = stat()
        _ = fstat(fd, &info)
        return (path, Int(info.st_size))
    }

    /// Descriptors of this process that point into `directory`.
    static func openDescriptors(under directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
            .filter { $0.hasPrefix(directory) }
    }

    /// Where the whole records of a segment file end now (its size without the zero region).
    static func wholeRecordsEnd(_ path: String) -> Int {
        guard let bytes = try? LedgerFixture.read(path), bytes.count >= SegmentFile.headerSize else { return 0 }
        var offset = SegmentFile.headerSize
        bytes.withUnsafeBufferPointer { buffer in
            while case .record(let payload) = FrameStep.at(offset, in: buffer, atEndOfData: true) { offset = payload.upperBound }
        }
        return offset
    }

    /// With and without the zero region: with it the file's size says nothing about what was
    /// written, so the whole records present when the sync starts are what it covers.
    @Test(arguments: [0, 64 << 10])
    func noAppendReturnsBeforeASyncCoversItsRecord(zeroFillBytes: Int) async throws {
        let dir = TemporaryDirectory()
        // Bytes of each segment known durable: the data end at the start of a successful sync.
        final class Durable: Sendable { let bytes = Mutex<[String: Int]>([:]) }
        let durable = Durable()
        var options = LedgerFixture.options(segmentBytes: 16 << 10, zeroFillBytes: zeroFillBytes)
        options.sync = { fd in
            let (path, fileSize) = Self.describe(fd)
            let size = zeroFillBytes == 0 ? fileSize : Self.wholeRecordsEnd(path)
            guard fdatasync(fd) == 0 else { return errno }
            durable.bytes.withLock { $0[path] = max($0[path] ?? 0, size) }
            return 0
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        let ledgerPath = dir.ledger
        let uncovered = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for t in 0 ..< 16 {
                group.addTask {
                    var uncovered: [UInt64] = []
                    for i in 0 ..< 25 {
                        let records = try await ledger.append([LedgerFixture.event(t * 100 + i)])
                        // Where the record ends in its segment, read back from the file now.
                        let seq = records[0].seq
                        let segments = try LedgerFixture.segments(ledgerPath)
                        for name in segments {
                            let path = ledgerPath + "/" + name
                            let bytes = try LedgerFixture.read(path)
                            guard let frame = LedgerFixture.frames(bytes).first(where: { frame in
                                LedgerFixture.payload(bytes, frame).starts(with: Array("{\"seq\":\(seq),".utf8))
                            }) else { continue }
                            let end = frame.offset + 8 + frame.length
                            let real = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? path
                            let covered = durable.bytes.withLock { $0[path] ?? $0[real] ?? 0 }
                            if covered < end { uncovered.append(seq) }
                        }
                    }
                    return uncovered
                }
            }
            return try await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        #expect(uncovered.isEmpty)
        #expect(try LedgerFixture.segments(dir.ledger).count > 1)
        #expect(try ledger.verify().records == 16 * 25)
    }

    @Test func rotationMakesTheOldSegmentDurableBeforeTheNewOneExists() async throws {
        let dir = TemporaryDirectory()
        // Each sync: the segment synced, its size, and the segments that existed at the time.
        let syncs = Mutex<[(path: String, size: Int, existing: [String])]>([])
        var options = LedgerFixture.options(segmentBytes: 2048)
        let ledgerPath = dir.ledger
        options.sync = { fd in
            let (path, size) = Self.describe(fd)
            let existing = (try? LedgerFixture.segments(ledgerPath)) ?? []
            // Slow, so that batches are written to a segment while an earlier sync runs.
            usleep(1000)
            guard fdatasync(fd) == 0 else { return errno }
            syncs.withLock { $0.append((path, size, existing)) }
            return 0
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0 ..< 8 {
                group.addTask { _ = try await LedgerFixture.appendAll(ledger, (t * 10 + 1) ... (t * 10 + 10)) }
            }
            try await group.waitForAll()
        }
        let segments = try LedgerFixture.segments(dir.ledger)
        #expect(segments.count > 2)
        for (position, name) in segments.dropLast().enumerated() {
            let size = try LedgerFixture.read(dir.ledger + "/" + name).count
            let next = segments[position + 1]
            // A sync that saw the old segment at its final size while the next did not exist yet.
            let covered = syncs.withLock { list in
                list.contains { $0.path.hasSuffix("/" + name) && $0.size == size && !$0.existing.contains(next) }
            }
            #expect(covered, "segment \(name) was not synced whole before \(next) was created")
        }
    }

    @Test func failedWriteAfterRotationLeavesNoDescriptorOpen() async throws {
        let dir = TemporaryDirectory()
        var options = LedgerFixture.options(segmentBytes: 2048)
        // Fail the first batch written into the second segment.
        options.write = { fd, bytes, offset in
            if Self.describe(fd).path.hasSuffix("/00000000000000000001.log") { return POSIXFile.writeAll(fd, bytes, at: offset) }
            return EIO
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        var appended = 0
        do {
            for n in 1 ... 50 {
                _ = try await ledger.append([LedgerFixture.event(n)])
                appended += 1
            }
            Issue.record("no append failed")
        } catch {
            guard case .failed(let reason) = error else { Issue.record("expected .failed, got \(error)"); return }
            #expect(reason.contains("write to"))
        }
        #expect(appended > 0)
        #expect(ledger.failure != nil)
        #expect(ledger.head.seq == UInt64(appended))
        ledger.close()
        #expect(Self.openDescriptors(under: dir.path).isEmpty)
    }

    @Test func syncFailureFailsEveryWaiterAndLaterAppends() async throws {
        let dir = TemporaryDirectory()
        let failing = Mutex(false)
        var options = LedgerFixture.options()
        options.sync = { fd in
            // Slow enough that the appenders below pile up behind one sync.
            usleep(2000)
            return failing.withLock { $0 } ? EIO : (fdatasync(fd) == 0 ? 0 : errno)
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        // A first cohort, so that the next sync waits for it to come back (the gathering path).
        _ = try await withThrowingTaskGroup(of: [LedgerRecord].self) { group in
            for n in 1 ... 32 { group.addTask { try await ledger.append([LedgerFixture.event(n)]) } }
            return try await group.reduce(into: [LedgerRecord]()) { $0 += $1 }
        }
        failing.withLock { $0 = true }
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for n in 100 ..< 164 {
                group.addTask {
                    do throws(LedgerError) {
                        _ = try await ledger.append([LedgerFixture.event(n)])
                        return true
                    } catch { return false }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.count == 64 && !outcomes.contains(true))
        #expect(ledger.head.seq == 32)
        #expect(try ledger.records(from: 1, limit: 100).count == 32)
    }
}
