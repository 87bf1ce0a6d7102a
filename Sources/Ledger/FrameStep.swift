import Digests

/// What lies at one offset of a segment's bytes: the one place that decides between a whole
/// record, a torn tail and damage, shared by the start-up scanner (whole files) and the reader
/// (committed bytes, read in bounded pieces), so that a fix to one is a fix to both.
enum FrameStep: Equatable {
    /// A frame whose length is possible and whose CRC verifies: `payload` is its range.
    case record(payload: Range<Int>)
    /// Cut short or half-persisted at the very end of the data: a torn tail where one is allowed.
    case torn(String)
    /// A frame header of length 0 with nothing but zeros from it to the end of the data: where
    /// the records of the last segment end and its zero-filled region begins.
    case end
    /// Anything else that is wrong.
    case corrupt(String)
    /// The frame needs this many bytes from its offset, and more data follows the bytes given.
    case needMore(Int)

    /// - Parameter atEndOfData: whether `bytes` end where the data ends (the file, or the
    ///   committed end); only then can a frame be torn rather than simply not read yet.
    static func at(_ offset: Int, in bytes: UnsafeBufferPointer<UInt8>, atEndOfData: Bool) -> FrameStep {
        let remaining = bytes.count - offset
        if remaining < RecordFrame.headerSize {
            guard atEndOfData else { return .needMore(RecordFrame.headerSize) }
            return zeros(bytes, from: offset) ? .end : .torn("frame header cut short (\(remaining) bytes)")
        }
        let length = Int(RecordFrame.readUInt32(bytes, at: offset))
        let crc = RecordFrame.readUInt32(bytes, at: offset + 4)
        let payloadStart = offset + RecordFrame.headerSize
        let frameEnd = payloadStart + length
        if length == 0 {
            // Never a record (the CRC-32 of an empty payload is 0, so a zeroed header would pass
            // as one): the end of the written data. Stray bytes after it are a batch whose pages
            // reached the disk out of order, torn like any other; but a whole record after it may
            // have been acknowledged (a sector lost after its sync), so that stops start-up.
            guard atEndOfData else { return .corrupt("frame length 0 (the end-of-data marker) inside the data") }
            if let stray = firstNonZero(bytes, from: offset) {
                if let later = laterFrameVerifies(bytes, after: offset) {
                    return .corrupt("frame length 0, but a whole record follows at offset \(later) (damage mid-log, not a torn tail)")
                }
                return .torn("non-zero byte at offset \(stray) after the end of the data (frame length 0)")
            }
            return .end
        }
        if length > RecordFrame.maxPayloadBytes {
            guard atEndOfData else { return .corrupt("impossible frame length \(length)") }
            if frameEnd > bytes.count {
                if let later = laterFrameVerifies(bytes, after: offset) {
                    return .corrupt("impossible frame length \(length), but a whole record follows at offset \(later) (damage mid-log, not a torn tail)")
                }
                return .torn("frame length \(length) runs past the end")
            }
            return .corrupt("impossible frame length \(length)")
        }
        if frameEnd > bytes.count {
            guard atEndOfData else { return .needMore(RecordFrame.headerSize + length) }
            // A bad length can come from a torn write (nothing after it) or from bit rot mid-log
            // (whole records after it). Only the first may be cut.
            if let later = laterFrameVerifies(bytes, after: offset) {
                return .corrupt("frame length \(length) runs past the end, but a whole record follows at offset \(later) (damage mid-log, not a torn tail)")
            }
            return .torn("record cut short: \(length) bytes framed, \(remaining - RecordFrame.headerSize) present")
        }
        if CRC32.checksum(UnsafeBufferPointer(rebasing: bytes[payloadStart ..< frameEnd])) != crc {
            // A partly persisted write can only be the very last thing in the data: at the end of
            // the file, or just before the zero length that marks where the data ends.
            // (A damaged length can also make a mid-log frame end in the zeros: whole records
            // after its start show that it is damage.)
            guard atEndOfData, endsTheData(bytes, at: frameEnd) else { return .corrupt("CRC mismatch") }
            if let later = laterFrameVerifies(bytes, after: offset) {
                return .corrupt("CRC mismatch, but a whole record follows at offset \(later) (damage mid-log, not a torn tail)")
            }
            return .torn("CRC mismatch in the final record")
        }
        return .record(payload: payloadStart ..< frameEnd)
    }

    private static func zeros(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> Bool {
        firstNonZero(bytes, from: offset) == nil
    }

    private static func firstNonZero(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int) -> Int? {
        var i = offset
        while i < bytes.count { if bytes[i] != 0 { return i }; i += 1 }
        return nil
    }

    /// Whether nothing follows `offset`, or a frame length of 0 (the end-of-data marker; fewer
    /// than its 4 bytes left, all zero, count as one).
    private static func endsTheData(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Bool {
        var i = offset
        while i < min(bytes.count, offset + 4) { if bytes[i] != 0 { return false }; i += 1 }
        return true
    }

    /// The offset of a later frame whose length is plausible and whose CRC verifies. Frames are
    /// found by the `{"seq":` that opens every payload, so the CRC is computed only there.
    private static func laterFrameVerifies(_ bytes: UnsafeBufferPointer<UInt8>, after offset: Int) -> Int? {
        let prefix = RecordLayout.seqPrefix
        var start = offset + RecordFrame.headerSize
        while start + RecordFrame.headerSize + prefix.count <= bytes.count {
            let payloadStart = start + RecordFrame.headerSize
            if bytes[payloadStart] == prefix[0], prefix.indices.allSatisfy({ bytes[payloadStart + $0] == prefix[$0] }) {
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
}

/// The checks of one whole record's payload that both the scanner and the reader make.
enum RecordCheck {
    struct Links {
        let seq: UInt64
        let prev: UnsafeBufferPointer<UInt8>
        let hash: UnsafeBufferPointer<UInt8>
    }

    /// Layout, seq (`expectedSeq` if given), the link to `prevHash` if given, and the SHA-256 if
    /// `verifyHash`. Returns the reason on failure.
    static func check(
        _ payload: UnsafeBufferPointer<UInt8>, expectedSeq: UInt64?, prevHash: [UInt8]?, verifyHash: Bool
    ) -> Result<Links, FrameProblem> {
        guard let seq = RecordLayout.seq(payload) else { return .failure(FrameProblem("payload does not start with {\"seq\":N,")) }
        if let expectedSeq, seq != expectedSeq { return .failure(FrameProblem("seq \(seq) where \(expectedSeq) was expected")) }
        guard let links = RecordLayout.links(payload) else {
            return .failure(FrameProblem("seq \(seq): payload does not end with the prev_hash and hash members"))
        }
        if let prevHash, !links.prev.elementsEqual(prevHash) {
            return .failure(FrameProblem("seq \(seq): prev_hash does not match the previous record's hash (chain broken)"))
        }
        if verifyHash, !RecordLayout.computedHash(payload).elementsEqual(links.hash) {
            return .failure(FrameProblem("seq \(seq): hash does not match the record's content (edited record)"))
        }
        return .success(Links(seq: seq, prev: links.prev, hash: links.hash))
    }
}

struct FrameProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
