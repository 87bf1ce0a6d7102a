#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// Scans a whole ledger: every segment on its own, in parallel (CRC-32 over the log is most of
/// the cost of start-up), then joins them in order — seq continuity and the chain link from
/// each segment's last record to the next one's first.
enum LedgerScan {
    struct Segment: Sendable {
        let file: SegmentFile
        var scan: SegmentScan
    }

    /// - Parameters:
    ///   - limits: bytes of each segment to look at (committed ends); nil for whole files.
    ///   - tornTailAllowed: whether the last segment may end in a torn record.
    ///   - after: a record already checked in the first file — its seq, its hash and the
    ///     offset just past it: the scan starts there instead of at seq 1.
    ///   - lastMayShrink: another process may cut the last file while it is scanned (a running
    ///     ledger rotating cuts its zero tail off), so read it into memory rather than map it:
    ///     touching a mapped page past a cut raises SIGBUS.
    static func run(
        _ files: [SegmentFile], limits: [Int]? = nil, tornTailAllowed: Bool, depth: ScanDepth, indexStride: Int,
        after: (seq: UInt64, hash: [UInt8], offset: Int)? = nil, lastMayShrink: Bool = false
    ) throws(LedgerError) -> [Segment] {
        let results = Mutex<[Int: Result<SegmentScan, LedgerError>]>([:])
        DispatchQueue.concurrentPerform(iterations: files.count) { position in
            let file = files[position]
            let isLast = position == files.count - 1
            let result = Result { () throws(LedgerError) -> SegmentScan in
                // Past a verified prefix only the tail is read: fault in just the pages touched.
                try withMappedFile(file.path, limit: limits?[position], populate: position > 0 || after == nil,
                                   copy: isLast && lastMayShrink) { bytes throws(LedgerError) in
                    if let limit = limits?[position], bytes.count < limit {
                        throw .corrupt(segment: file.name, offset: bytes.count, reason: "segment shorter than its committed end \(limit)")
                    }
                    if position == 0, let after {
                        return try SegmentScanner.scan(
                            bytes, segment: file, expectedSeq: after.seq + 1, prevHash: after.hash,
                            isLast: isLast && tornTailAllowed, depth: depth, indexStride: indexStride, startOffset: after.offset)
                    }
                    return try SegmentScanner.scan(
                        bytes, segment: file, expectedSeq: file.firstSeq, prevHash: position == 0 ? RecordLayout.genesisHashBytes : nil,
                        isLast: isLast && tornTailAllowed, depth: depth, indexStride: indexStride)
                }
            }
            results.withLock { $0[position] = result }
        }
        let scans = results.withLock { $0 }
        var out: [Segment] = []
        var expectedSeq: UInt64 = after.map { $0.seq + 1 } ?? 1
        var prevHash = after?.hash ?? RecordLayout.genesisHashBytes
        for (position, file) in files.enumerated() {
            guard file.firstSeq == expectedSeq || (position == 0 && after != nil) else {
                throw .corrupt(segment: file.name, offset: 0,
                               reason: "segment starts at seq \(file.firstSeq), expected \(expectedSeq) (gap or overlap between segments)")
            }
            var scan = try scans[position]!.get()
            if let first = scan.firstPrevHash, first != prevHash {
                throw .corrupt(segment: file.name, offset: SegmentFile.headerSize,
                               reason: "seq \(file.firstSeq): prev_hash does not match the previous record's hash (chain broken)")
            }
            if scan.records == 0 { scan.lastHash = prevHash }
            expectedSeq = scan.lastSeq + 1
            prevHash = scan.lastHash
            out.append(Segment(file: file, scan: scan))
        }
        return out
    }

    /// Maps a file (or its first `limit` bytes) read-only for the duration of `body`; or, with
    /// `copy`, reads it into memory (for a file that may be cut meanwhile).
    static func withMappedFile<R>(
        _ path: String, limit: Int?, populate: Bool = true, copy: Bool = false, _ body: (UnsafeBufferPointer<UInt8>) throws(LedgerError) -> R
    ) throws(LedgerError) -> R {
        if copy {
            let bytes = try POSIXFile.readAll(path, limit: limit)
            return try bytes.withUnsafeBufferPointer { buffer throws(LedgerError) in try body(buffer) }
        }
        let fd = try POSIXFile.openFile(path, flags: O_RDONLY)
        defer { POSIXFile.closeFile(fd) }
        let size = min(try POSIXFile.size(fd, path: path), limit ?? Int.max)
        if size == 0 { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        #if os(Linux)
        let flags = populate ? MAP_PRIVATE | MAP_POPULATE : MAP_PRIVATE
        #else
        let flags = MAP_PRIVATE
        #endif
        guard let address = mmap(nil, size, PROT_READ, flags, fd, 0), address != MAP_FAILED else {
            throw .io("mmap \(path): \(POSIXFile.errorText(errno))")
        }
        defer { munmap(address, size) }
        return try body(UnsafeBufferPointer(start: address.assumingMemoryBound(to: UInt8.self), count: size))
    }
}
