import Digests

/// How much a scan checks. Start-up checks framing, CRCs, seq continuity and the chain links
/// (prev_hash equals the previous hash) without parsing JSON; `hashes` also recomputes every
/// SHA-256 (all that tampering can be caught by); `full` also parses every payload.
enum ScanDepth: Sendable {
    case links
    case hashes
    case full
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
    /// A torn or partly written tail (only ever in the last segment) and why it counts as torn.
    var torn: (offset: Int, reason: String)?
    var index: [SegmentIndexEntry] = []
}

/// Walks the frames of one segment held in memory.
enum SegmentScanner {
    /// Throws `.corrupt` for anything that is not a torn tail of the last segment.
    /// - Parameters:
    ///   - expectedSeq: the seq the segment's first record must have.
    ///   - prevHash: 64 hex bytes the first record's prev_hash must equal; nil to scan the
    ///     segment on its own (the caller then checks `firstPrevHash`).
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, segment: SegmentFile, expectedSeq: UInt64, prevHash: [UInt8]?,
        isLast: Bool, depth: ScanDepth, indexStride: Int
    ) throws(LedgerError) -> SegmentScan {
        var scan = SegmentScan(lastSeq: expectedSeq &- 1, lastHash: prevHash ?? [], end: 0)
        func corrupt(_ offset: Int, _ reason: String) -> LedgerError {
            .corrupt(segment: segment.name, offset: offset, reason: reason)
        }
        func zeroFrom(_ offset: Int) -> Bool {
            var i = offset
            while i < bytes.count { if bytes[i] != 0 { return false }; i += 1 }
            return true
        }

        // A bad length can come from a torn write (nothing after it) or from bit rot mid-log
        // (whole records after it). Only the first may be cut, so look for any later frame whose
        // length is plausible and whose CRC verifies. Frames are found by the `{"seq":` that
        // opens every payload, so the CRC is computed only at candidate offsets.
        func laterFrameVerifies(after offset: Int) -> Int? {
            let prefix = RecordLayout.seqPrefix
            var start = offset + RecordFrame.headerSize
            while start + RecordFrame.headerSize + prefix.count <= bytes.count {
                let payloadStart = start + RecordFrame.headerSize
                if bytes[payloadStart] == prefix[0],
                   prefix.indices.allSatisfy({ bytes[payloadStart + $0] == prefix[$0] }) {
                    let length = Int(RecordFrame.readUInt32(bytes, at: start))
                    if length > 0, length <= RecordFrame.maxPayloadBytes, payloadStart + length <= bytes.count,
                       CRC32.checksum(UnsafeBufferPointer(rebasing: bytes[payloadStart ..< payloadStart + length]))
                        == RecordFrame.readUInt32(bytes, at: start + 4) {
                        return start
                    }
                }
                start += 1
            }
            return nil
        }

        // Header.
        guard segment.firstSeq == expectedSeq else {
            throw corrupt(0, "segment starts at seq \(segment.firstSeq), expected \(expectedSeq) (gap or overlap between segments)")
        }
        if bytes.count < SegmentFile.headerSize {
            if isLast { scan.torn = (0, "segment header incomplete (\(bytes.count) bytes)"); return scan }
            throw corrupt(0, "segment header incomplete (\(bytes.count) bytes)")
        }
        if !SegmentFile.magic.indices.allSatisfy({ bytes[$0] == SegmentFile.magic[$0] }) {
            if isLast && zeroFrom(0) { scan.torn = (0, "segment header never written (zeros)"); return scan }
            throw corrupt(0, "not a ledger segment (bad magic)")
        }
        let headerSeq = RecordFrame.readUInt64(bytes, at: SegmentFile.magic.count)
        guard headerSeq == segment.firstSeq else {
            throw corrupt(0, "header says first seq \(headerSeq), file name says \(segment.firstSeq)")
        }
        scan.end = SegmentFile.headerSize

        var offset = SegmentFile.headerSize
        while offset < bytes.count {
            let remaining = bytes.count - offset
            if remaining < RecordFrame.headerSize {
                if isLast { scan.torn = (offset, "frame header cut short (\(remaining) bytes)"); return scan }
                throw corrupt(offset, "frame header cut short (\(remaining) bytes) before the end of a segment that is not the last")
            }
            let length = Int(RecordFrame.readUInt32(bytes, at: offset))
            let crc = RecordFrame.readUInt32(bytes, at: offset + 4)
            let payloadStart = offset + RecordFrame.headerSize
            let frameEnd = payloadStart + length
            if length == 0 || length > RecordFrame.maxPayloadBytes {
                if isLast && zeroFrom(offset) {
                    scan.torn = (offset, "the tail is zeros")
                    return scan
                }
                if isLast && frameEnd > bytes.count {
                    if let later = laterFrameVerifies(after: offset) {
                        throw corrupt(offset, "impossible frame length \(length), but a whole record follows at offset \(later) (damage mid-log, not a torn tail)")
                    }
                    scan.torn = (offset, "frame length \(length) runs past the end")
                    return scan
                }
                throw corrupt(offset, "impossible frame length \(length)")
            }
            if frameEnd > bytes.count {
                if isLast {
                    if let later = laterFrameVerifies(after: offset) {
                        throw corrupt(offset, "frame length \(length) runs past the end, but a whole record follows at offset \(later) (damage mid-log, not a torn tail)")
                    }
                    scan.torn = (offset, "record cut short: \(length) bytes framed, \(remaining - RecordFrame.headerSize) present")
                    return scan
                }
                throw corrupt(offset, "record runs past the end of a segment that is not the last")
            }
            let payload = UnsafeBufferPointer(rebasing: bytes[payloadStart ..< frameEnd])
            if CRC32.checksum(payload) != crc {
                // A partly persisted write can only be the very last thing in the file.
                if isLast && frameEnd == bytes.count { scan.torn = (offset, "CRC mismatch in the final record"); return scan }
                throw corrupt(offset, "CRC mismatch")
            }
            // From here on the bytes are what was written: any problem is corruption or tampering.
            let expected = scan.lastSeq &+ 1
            guard let seq = RecordLayout.seq(payload) else { throw corrupt(offset, "payload does not start with {\"seq\":N,") }
            guard seq == expected else { throw corrupt(offset, "seq \(seq) where \(expected) was expected") }
            guard let links = RecordLayout.links(payload) else {
                throw corrupt(offset, "seq \(seq): payload does not end with the prev_hash and hash members")
            }
            if scan.records == 0 { scan.firstPrevHash = Array(links.prev) }
            guard (scan.records == 0 && prevHash == nil) || links.prev.elementsEqual(scan.lastHash) else {
                throw corrupt(offset, "seq \(seq): prev_hash does not match the previous record's hash (chain broken)")
            }
            if depth != .links {
                guard RecordLayout.computedHash(payload).elementsEqual(links.hash) else {
                    throw corrupt(offset, "seq \(seq): hash does not match the record's content (edited record)")
                }
            }
            if depth == .full {
                if case .failure(let problem) = RecordDecoder.decode(payload) {
                    throw corrupt(offset, "seq \(seq): \(problem.message)")
                }
            }
            if scan.records % UInt64(max(1, indexStride)) == 0 {
                scan.index.append(SegmentIndexEntry(seq: seq, offset: offset))
            }
            scan.records += 1
            scan.lastSeq = seq
            scan.lastHash = Array(links.hash)
            offset = frameEnd
            scan.end = frameEnd
        }
        return scan
    }
}
