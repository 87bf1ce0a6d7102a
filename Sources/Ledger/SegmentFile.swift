/// One segment of the log: `<first-seq>.log`, zero-padded to 20 digits so names sort by seq.
/// It starts with a 16-byte header (magic and version, then the first seq) so that a file
/// renamed or copied into the wrong place is caught.
struct SegmentFile: Sendable, Hashable {
    static let magic: [UInt8] = Array("RCRPLOG1".utf8)
    static let headerSize = 16
    static let suffix = ".log"

    let firstSeq: UInt64
    let name: String
    let path: String

    init(directory: String, firstSeq: UInt64) {
        self.firstSeq = firstSeq
        let digits = String(firstSeq)
        self.name = String(repeating: "0", count: max(0, 20 - digits.count)) + digits + Self.suffix
        self.path = directory + "/" + name
    }

    /// The first seq a segment file name stands for; nil for anything else in the directory
    /// (torn copies, snapshots, the lock file).
    static func firstSeq(ofName name: String) -> UInt64? {
        guard name.hasSuffix(suffix) else { return nil }
        let digits = name.dropLast(suffix.count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    /// The segments in `directory`, oldest first.
    static func list(directory: String) throws(LedgerError) -> [SegmentFile] {
        try POSIXFile.list(directory)
            .compactMap { name in firstSeq(ofName: name).map { SegmentFile(directory: directory, firstSeq: $0) } }
            .sorted { $0.firstSeq < $1.firstSeq }
    }

    var header: [UInt8] {
        var bytes = Self.magic
        withUnsafeBytes(of: firstSeq.littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }
}
