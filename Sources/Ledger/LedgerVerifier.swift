/// What an offline check of a ledger directory found.
public struct LedgerVerification: Sendable, Hashable {
    public var records: UInt64
    public var headHash: String
    public var segments: Int
    /// A torn tail of the last segment (a crash mid-write, or a write in progress): not damage;
    /// the next start-up cuts it off after copying the segment aside.
    public var tornTail: TornTail?
    /// Zeros after the last record of the last segment: the region the writer keeps filled
    /// ahead of itself. Not damage; start-up keeps it and writes there.
    public var zeroTailBytes = 0

    public struct TornTail: Sendable, Hashable {
        public var segment: String
        public var offset: Int
        public var reason: String
    }
}

/// `rcrp-router verify-ledger [DIR]`: framing, CRCs, seq continuity, every SHA-256 and the
/// chain end to end, reading the files only (safe next to a running server).
public enum LedgerVerifier {
    /// Throws `.corrupt` naming the first bad segment and offset.
    public static func verify(directory: String) throws(LedgerError) -> LedgerVerification {
        var files = try SegmentFile.list(directory: directory)
        // Given the data directory rather than the ledger's, look where the server keeps it.
        if files.isEmpty, POSIXFile.exists(directory + "/ledger") {
            files = try SegmentFile.list(directory: directory + "/ledger")
        }
        guard !files.isEmpty else { throw .io("no ledger segments (<20 digits>.log) in \(directory) or \(directory)/ledger") }
        // Next to a running ledger, whose rotation cuts the last segment's zero tail off.
        let scanned = try LedgerScan.run(files, tornTailAllowed: true, depth: .full, indexStride: Int.max, lastMayShrink: true)
        let last = scanned[scanned.count - 1]
        let torn = last.scan.torn.map { LedgerVerification.TornTail(segment: last.file.name, offset: $0.offset, reason: $0.reason) }
        let expectedSeq = last.scan.lastSeq + 1
        let prevHash = last.scan.lastHash
        return LedgerVerification(records: expectedSeq - 1, headHash: String(decoding: prevHash, as: UTF8.self),
                                  segments: files.count, tornTail: torn, zeroTailBytes: last.scan.zeroTail)
    }

    /// Prints the count and head hash (or the first bad place); true when the ledger is sound.
    public static func run(directory: String, print: (String) -> Void) -> Bool {
        do {
            let result = try verify(directory: directory)
            print("ledger \(directory): ok, \(result.records) records in \(result.segments) segments")
            print("head hash \(result.headHash)")
            if let torn = result.tornTail {
                print("note: torn tail in \(torn.segment) at offset \(torn.offset) (\(torn.reason)); the next start-up cuts it off after copying the segment aside")
            }
            return true
        } catch {
            switch error {
            case .corrupt(let segment, let offset, let reason):
                print("ledger \(directory): CORRUPT in segment \(segment) at offset \(offset): \(reason)")
            default:
                print("ledger \(directory): \(error)")
            }
            return false
        }
    }
}
