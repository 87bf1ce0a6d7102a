#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSON
import Testing
@testable import Ledger

/// Synced segment pages leave the page cache (`FileLedgerOptions.dropSyncedPages`): the ledger
/// is written once and read rarely, and a recycled page costs less than a fresh one.
@Suite(.serialized) struct PageCacheTests {
    /// ~10 KB records, appended in groups, so that a few MiB are written and synced.
    private static func appendMiB(_ ledger: FileLedger, _ mebibytes: Int) async throws {
        let notes = String(repeating: "x", count: 10_000)
        for group in 0..<(mebibytes * 100 / 8) {
            let events = (0..<8).map { LedgerEvent(type: "call.received", actor: "key", body: ["n": .int(group * 8 + $0), "notes": .string(notes)]) }
            _ = try await ledger.append(events)
        }
    }

    /// How many of the first `count` bytes of the file are in the page cache.
    private static func cachedBytes(_ path: String, count: Int) throws -> Int {
        #if os(Linux)
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages = count / page
        guard pages > 0, let map = mmap(nil, pages * page, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            Issue.record("mmap failed")
            return 0
        }
        defer { munmap(map, pages * page) }
        var vector = [UInt8](repeating: 0, count: pages)
        try #require(mincore(map, pages * page, &vector) == 0)
        return vector.reduce(0) { $0 + Int($1 & 1) } * page
        #else
        return 0
        #endif
    }

    @Test func syncedPagesLeaveThePageCache() async throws {
        #if os(Linux)
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        try await Self.appendMiB(ledger, 4)
        let path = dir.ledger + "/00000000000000000001.log"
        let end = LedgerFixture.dataEnd(try LedgerFixture.read(path))
        // Reading the file above cached it again: append once more so that the next drop
        // covers all of it, then look before anything else reads it.
        ledger.close()
        let reopened = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        try await Self.appendMiB(reopened, 2)
        let cached = try Self.cachedBytes(path, count: end)
        reopened.close()
        // Start-up read the old part back in: the appends after it dropped all of it.
        #expect(cached == 0, "\(cached) of the first \(end) bytes are still cached")
        #endif
    }

    @Test func withoutTheOptionSyncedPagesStayCached() async throws {
        #if os(Linux)
        let dir = TemporaryDirectory()
        var options = LedgerFixture.options()
        options.dropSyncedPages = false
        options.directIO = false
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        try await Self.appendMiB(ledger, 4)
        let cached = try Self.cachedBytes(dir.ledger + "/00000000000000000001.log", count: 3 << 20)
        ledger.close()
        // The control: the kernel keeps freshly written pages unless told (on a quiet machine
        // with memory to spare, which is where tests run).
        #expect(cached > 2 << 20, "only \(cached) bytes cached")
        #endif
    }

    /// Written with `O_DIRECT`, records never enter the page cache, even with the drops off.
    @Test func directWritesLeaveNothingInThePageCache() async throws {
        #if os(Linux)
        let dir = TemporaryDirectory()
        var options = LedgerFixture.options()
        options.dropSyncedPages = false
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        // Where the file system refuses O_DIRECT the ledger writes through the cache, which the
        // test above covers; DirectIOTests checks that the choice follows the file system.
        guard ledger.writesDirectly else { ledger.close(); return }
        try await Self.appendMiB(ledger, 4)
        let cached = try Self.cachedBytes(dir.ledger + "/00000000000000000001.log", count: 3 << 20)
        ledger.close()
        #expect(cached == 0, "\(cached) bytes cached")
        #endif
    }

    @Test func aRotatedSegmentLeavesThePageCacheWhole() async throws {
        #if os(Linux)
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options(segmentBytes: 1 << 20))
        try await Self.appendMiB(ledger, 3)
        let names = try LedgerFixture.segments(dir.ledger)
        try #require(names.count >= 3)
        var cached: [String: Int] = [:]
        for name in names.dropLast() {
            cached[name] = try Self.cachedBytes(dir.ledger + "/" + name, count: 1 << 20)
        }
        ledger.close()
        #expect(cached.values.allSatisfy { $0 == 0 }, "sealed segments still cached: \(cached)")
        #endif
    }
}
