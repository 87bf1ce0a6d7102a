#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSON
import Synchronization
import Testing
@testable import Ledger

/// The last segment written with `O_DIRECT` (`FileLedgerOptions.directIO`): whole blocks from a
/// block-aligned buffer, starting at the block the data ends in; and the page cache where the
/// file system refuses the flag.
@Suite struct DirectIOTests {
    private static let block = DirectStaging.block

    /// Events whose bodies run from a few bytes to several blocks, so that batches end at every
    /// kind of offset within a block.
    private static func events(_ range: ClosedRange<Int>) -> [LedgerEvent] {
        range.map { n in
            LedgerEvent(type: "call.received", actor: "key", body: ["n": .int(n), "notes": .string(String(repeating: "r", count: (n * 977) % 9_000))])
        }
    }

    @Test func theStagingBufferIsWholeAlignedBlocksThatStartWithTheTail() throws {
        let staging = DirectStaging(capacity: Self.block)
        staging.setTail(Array(repeating: 7, count: 100))
        var seen: [[UInt8]] = []
        let write = { (data: [UInt8]) -> Int32? in
            data.withUnsafeBytes { bytes in
                staging.write(bytes) { whole in
                    #expect(Int(bitPattern: whole.baseAddress) % Self.block == 0)
                    #expect(whole.count % Self.block == 0)
                    seen.append(Array(whole))
                    return nil
                }
            }
        }
        // Within the first block, then across two more (the buffer grows), then a failure.
        #expect(write(Array(repeating: 1, count: 50)) == nil)
        #expect(seen[0].count == Self.block)
        #expect(Array(seen[0][..<150]) == Array(repeating: 7, count: 100) + Array(repeating: 1, count: 50))
        #expect(seen[0][150...].allSatisfy { $0 == 0 })
        #expect(staging.tailCount == 150)
        let long = (0..<(2 * Self.block)).map { UInt8(truncatingIfNeeded: $0 % 251 + 1) }
        #expect(write(long) == nil)
        #expect(seen[1].count == 3 * Self.block)
        #expect(Array(seen[1][150..<(150 + long.count)]) == long)
        #expect(seen[1][(150 + long.count)...].allSatisfy { $0 == 0 })
        #expect(staging.tailCount == 150)
        // The new tail is the last partial block of what was written.
        let tail = Array(long[(long.count - 150)...])
        let failed = Array(repeating: UInt8(9), count: 10).withUnsafeBytes { bytes in
            staging.write(bytes) { whole in
                #expect(Array(whole[..<150]) == tail)
                return EIO
            }
        }
        #expect(failed == EIO)
        #expect(staging.tailCount == 150, "a failed write changes nothing")
        #expect(write([5]) == nil)
        #expect(Array(seen[2][..<151]) == tail + [5])
    }

    /// Whether the ledger writes directly follows what the file system takes.
    @Test func directIOIsUsedWhereTheFileSystemTakesIt() throws {
        let dir = TemporaryDirectory()
        let probe = dir.path + "/probe"
        try #require(FileManager.default.createFile(atPath: probe, contents: Data()))
        let probed = POSIXFile.openDirect(probe)
        if let probed { POSIXFile.closeFile(probed) }
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        #expect(ledger.writesDirectly == (probed != nil))
        var off = LedgerFixture.options()
        off.directIO = false
        let other = TemporaryDirectory()
        let buffered = try FileLedger.open(directory: other.ledger, options: off)
        defer { buffered.close() }
        #expect(!buffered.writesDirectly)
    }

    /// Batches that end anywhere in a block, a reopen at such an end, and rotations: every record
    /// reads back as appended, the chain verifies, and only zeros follow the data.
    @Test(arguments: [0, 8192])
    func recordsReadBackAcrossReopensAndRotations(zeroFillBytes: Int) async throws {
        let dir = TemporaryDirectory()
        let options = LedgerFixture.options(segmentBytes: 48 << 10, zeroFillBytes: zeroFillBytes)
        var appended: [LedgerRecord] = []
        var direct = false
        for (round, range) in [1...9, 10...23, 24...40].enumerated() {
            let ledger = try FileLedger.open(directory: dir.ledger, options: options)
            direct = ledger.writesDirectly
            let events = Self.events(range)
            var index = 0
            while index < events.count {
                let count = min(events.count - index, 1 + (index + round) % 4)
                appended += try await ledger.append(Array(events[index..<(index + count)]))
                index += count
            }
            ledger.close()
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        let read = try ledger.records(from: 1, limit: 100)
        ledger.close()
        #expect(read == appended)
        #expect(read.count == 40)
        let verified = try LedgerVerifier.verify(directory: dir.ledger)
        #expect(verified.records == 40 && verified.headHash == appended[39].hash && verified.tornTail == nil)
        let names = try LedgerFixture.segments(dir.ledger)
        #expect(names.count > 2, "the segments rotated")
        for name in names.dropLast() {
            let bytes = try LedgerFixture.read(dir.ledger + "/" + name)
            #expect(bytes.count == LedgerFixture.dataEnd(bytes), "sealed segment \(name) ends at its data")
        }
        let last = try LedgerFixture.read(dir.ledger + "/" + names[names.count - 1])
        let end = LedgerFixture.dataEnd(last)
        #expect(last[end...].allSatisfy { $0 == 0 })
        if zeroFillBytes == 0 {
            // Direct writes are whole blocks: the file ends at the block the data ends in.
            #expect(last.count == (direct ? DirectStaging.roundUp(end) : end))
        }
    }

    /// Where `O_DIRECT` is refused, the ledger writes through the page cache as before.
    @Test func aRefusedDirectOpenFallsBackToThePageCache() async throws {
        let dir = TemporaryDirectory()
        var options = LedgerFixture.options(segmentBytes: 16 << 10, zeroFillBytes: 0)
        let attempts = Mutex(0)
        options.openDirect = { _ in
            attempts.withLock { $0 += 1 }
            return nil
        }
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        #expect(!ledger.writesDirectly)
        var appended: [LedgerRecord] = []
        for event in Self.events(1...12) { appended += try await ledger.append([event]) }
        #expect(appended.count == 12)
        #expect(try ledger.records(from: 1, limit: 20) == appended)
        ledger.close()
        #expect(attempts.withLock { $0 } >= 2, "asked at open and again at each rotation")
        let bytes = try LedgerFixture.read(dir.ledger + "/" + (try LedgerFixture.segments(dir.ledger)).last!)
        #expect(bytes.count == LedgerFixture.dataEnd(bytes))
    }
}
