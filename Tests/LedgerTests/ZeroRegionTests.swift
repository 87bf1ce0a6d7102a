import Foundation
import Synchronization
import Testing
@testable import Ledger

/// The zeros the writer keeps ahead of the data end of the last segment (so that a group
/// commit's fdatasync overwrites blocks the file has and need not write its size), and what
/// rotation and failures do with them.
@Suite struct ZeroRegionTests {
    private static func isZeros(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 == 0 } }

    @Test func zerosAreKeptAheadOfTheDataEnd() async throws {
        let dir = TemporaryDirectory()
        let chunk = 64 << 10
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options(zeroFillBytes: chunk))
        _ = try await LedgerFixture.appendAll(ledger, 1...40)
        // close() waits for the sync stage, which extends the zeros after resuming the callers.
        ledger.close()
        let bytes = try LedgerFixture.read(dir.ledger + "/00000000000000000001.log")
        let end = LedgerFixture.dataEnd(bytes)
        #expect(LedgerFixture.frames(bytes).count == 40)
        #expect(bytes.count - end >= chunk / 2, "file \(bytes.count) bytes, data end \(end)")
        #expect(Self.isZeros(Array(bytes[end...])))
    }

    /// Through the page cache; written directly, the file ends at the block the data ends in
    /// (DirectIOTests).
    @Test func noZeroFillKeepsTheFileAtItsDataEnd() async throws {
        let dir = TemporaryDirectory()
        var options = LedgerFixture.options(zeroFillBytes: 0)
        options.directIO = false
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        _ = try await LedgerFixture.appendAll(ledger, 1...10)
        ledger.close()
        let bytes = try LedgerFixture.read(dir.ledger + "/00000000000000000001.log")
        #expect(bytes.count == LedgerFixture.dataEnd(bytes))
    }

    @Test func rotationLeavesSealedSegmentsWithoutAZeroTail() async throws {
        let dir = TemporaryDirectory()
        let segmentBytes = 4096
        let chunk = 2048
        let options = LedgerFixture.options(segmentBytes: segmentBytes, zeroFillBytes: chunk)
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        let appended = try await LedgerFixture.appendAll(ledger, 1...60)
        ledger.close()
        let names = try LedgerFixture.segments(dir.ledger)
        #expect(names.count > 3)
        for name in names.dropLast() {
            let bytes = try LedgerFixture.read(dir.ledger + "/" + name)
            #expect(bytes.count == LedgerFixture.dataEnd(bytes), "sealed segment \(name) has \(bytes.count - LedgerFixture.dataEnd(bytes)) bytes after its data")
        }
        // Only the last one has zeros, and never more than one chunk past the rotation size.
        let last = try LedgerFixture.read(dir.ledger + "/" + names[names.count - 1])
        let end = LedgerFixture.dataEnd(last)
        #expect(last.count > end && Self.isZeros(Array(last[end...])))
        #expect(last.count <= max(end, segmentBytes + chunk))
        let verified = try LedgerVerifier.verify(directory: dir.ledger)
        #expect(verified.records == 60 && verified.headHash == appended[59].hash && verified.tornTail == nil)
    }

    /// A failed write of the zeros is a failed write: closed for good, and the append waiting
    /// behind it is not acknowledged.
    @Test func failedZeroFillClosesTheLedgerForWrites() async throws {
        let dir = TemporaryDirectory()
        var options = LedgerFixture.options()
        let chunk = options.zeroFillBytes
        options.write = { fd, bytes, offset in
            if bytes.count == chunk && bytes.allSatisfy({ $0 == 0 }) { return ENOSPC }
            return POSIXFile.writeAll(fd, bytes, at: offset)
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        // The first commit is acknowledged; the zero fill after it fails before the next sync.
        let first = try await ledger.append([LedgerFixture.event(1)])
        #expect(first[0].seq == 1)
        let error = await #expect(throws: LedgerError.self) { try await ledger.append([LedgerFixture.event(2)]) }
        guard case .failed(let reason)? = error else { Issue.record("expected .failed, got \(String(describing: error))"); return }
        #expect(reason.contains("zero-filling ahead of the data"))
        #expect(ledger.failure == reason)
        #expect(ledger.head.seq == 1)
    }

    @Test func failedZeroFillSyncClosesTheLedgerForWrites() async throws {
        let dir = TemporaryDirectory()
        // The sync right after a zero chunk was written (the writer is idle then) fails.
        final class Flag: Sendable { let zerosWritten = Mutex(false) }
        let flag = Flag()
        var options = LedgerFixture.options()
        let chunk = options.zeroFillBytes
        options.write = { fd, bytes, offset in
            if bytes.count == chunk && bytes.allSatisfy({ $0 == 0 }) { flag.zerosWritten.withLock { $0 = true } }
            return POSIXFile.writeAll(fd, bytes, at: offset)
        }
        options.sync = { fd in
            if flag.zerosWritten.withLock({ $0 }) { return EIO }
            return fdatasync(fd) == 0 ? 0 : errno
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        defer { ledger.close() }
        _ = try await ledger.append([LedgerFixture.event(1)])
        await #expect(throws: LedgerError.self) { try await ledger.append([LedgerFixture.event(2)]) }
        #expect(ledger.failure?.contains("zero-filling ahead of the data") == true)
        #expect(ledger.head.seq == 1)
    }
}
