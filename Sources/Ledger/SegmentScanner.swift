import Digests

/// How much a scan checks. Every scan checks framing, CRCs, seq continuity and the chain links
/// (prev_hash equals the previous hash) without parsing JSON; records from `hashesFrom` on also
/// have their SHA-256 recomputed (all that tampering can be caught by); `parse` also parses
/// every payload.
struct ScanDepth: Sendable {
    var hashesFrom: UInt64
    var parse = false

    static let links = ScanDepth(hashesFrom: .max)
    static let hashes = ScanDepth(hashesFrom: 0)
    static let full = ScanDepth(hashesFrom: 0, parse: true)
}

/// Where a record starts; a sparse list of these per segment lets readers seek to any seq.
struct SegmentIndexEntry: Sendable, Hashable {
    let seq: UInt64
    let offset: Int
}

/// What scanning one segment found.
struct SegmentScan: Sendable {
    var records: UInt64 = 0
    /// firstSeq - 1 when the segment holds no records.
    var lastSeq: UInt64
    /// 64 hex bytes: the hash of the last record, or the incoming prev hash when empty
    /// (empty when none was given).
    var lastHash: [UInt8]
    /// The first record's prev_hash, for joining segments scanned independently.
    var firstPrevHash: [UInt8]?
    /// Offset just past the last whole record.
    var end: Int
    /// Bytes of zeros after `end` (the last segment's zero-filled region): not damage, kept.
    var zeroTail = 0
    /// A torn or partly written tail (only ever in the last segment) and why it counts as torn.
    var torn: (offset: Int, reason: String)?
    var index: [SegmentIndexEntry] = []
}

/// Walks the frames of one segment held in memory.
enum SegmentScanner {
    /// Throws `.corrupt` for anything that is not a torn tail of the last segment.
    /// - Parameters:
    ///   - expectedSeq: the seq the segment's (or `startOffset`'s) first record must have.
    ///   - prevHash: 64 hex bytes the first record's prev_hash must equal; nil to scan the
    ///     segment on its own (the caller then checks `firstPrevHash`).
    ///   - startOffset: where to start, past records already checked; nil for the whole
    ///     segment, header included.
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, segment: SegmentFile, expectedSeq: UInt64, prevHash: [UInt8]?,
        isLast: Bool, depth: ScanDepth, indexStride: Int, startOffset: Int? = nil
    ) throws(LedgerError) -> SegmentScan {
        var scan = SegmentScan(lastSeq: expectedSeq &- 1, lastHash: prevHash ?? [], end: 0)
        func corrupt(_ offset: Int, _ reason: String) -> LedgerError {
            .corrupt(segment: segment.name, offset: offset, reason: reason)
        }

        if let startOffset {
            scan.end = startOffset
        } else {
            guard segment.firstSeq == expectedSeq else {
                throw corrupt(0, "segment starts at seq \(segment.firstSeq), expected \(expectedSeq) (gap or overlap between segments)")
            }
            if bytes.count < SegmentFile.headerSize {
                if isLast { scan.torn = (0, "segment header incomplete (\(bytes.count) bytes)"); return scan }
                throw corrupt(0, "segment header incomplete (\(bytes.count) bytes)")
            }
            if !SegmentFile.magic.indices.allSatisfy({ bytes[$0] == SegmentFile.magic[$0] }) {
                if isLast && bytes.allSatisfy({ $0 == 0 }) { scan.torn = (0, "segment header never written (zeros)"); return scan }
                throw corrupt(0, "not a ledger segment (bad magic)")
            }
            let headerSeq = RecordFrame.readUInt64(bytes, at: SegmentFile.magic.count)
            guard headerSeq == segment.firstSeq else {
                throw corrupt(0, "header says first seq \(headerSeq), file name says \(segment.firstSeq)")
            }
            scan.end = SegmentFile.headerSize
        }

        var offset = scan.end
        while offset < bytes.count {
            let payloadRange: Range<Int>
            switch FrameStep.at(offset, in: bytes, atEndOfData: true) {
            case .record(let payload): payloadRange = payload
            case .torn(let reason):
                if isLast { scan.torn = (offset, reason); return scan }
                throw corrupt(offset, reason + " before the end of a segment that is not the last")
            case .end:
                if isLast { scan.zeroTail = bytes.count - offset; return scan }
                throw corrupt(offset, "frame length 0 (a zero-filled tail) in a segment that is not the last; only the last may have one")
            case .corrupt(let reason): throw corrupt(offset, reason)
            case .needMore: throw corrupt(offset, "frame runs past the end of the segment")
            }
            // From here on the bytes are what was written: any problem is corruption or tampering.
            let payload = UnsafeBufferPointer(rebasing: bytes[payloadRange])
            let expected = scan.lastSeq &+ 1
            let linkTo: [UInt8]? = scan.records == 0 && prevHash == nil ? nil : scan.lastHash
            let links: RecordCheck.Links
            switch RecordCheck.check(payload, expectedSeq: expected, prevHash: linkTo, verifyHash: expected >= depth.hashesFrom) {
            case .success(let checked): links = checked
            case .failure(let problem): throw corrupt(offset, problem.message)
            }
            if scan.records == 0 { scan.firstPrevHash = Array(links.prev) }
            if depth.parse, case .failure(let problem) = RecordDecoder.decode(payload) {
                throw corrupt(offset, "seq \(links.seq): \(problem.message)")
            }
            if scan.records % UInt64(max(1, indexStride)) == 0 {
                scan.index.append(SegmentIndexEntry(seq: links.seq, offset: offset))
            }
            scan.records += 1
            scan.lastSeq = links.seq
            scan.lastHash = Array(links.hash)
            offset = payloadRange.upperBound
            scan.end = offset
        }
        return scan
    }
}
