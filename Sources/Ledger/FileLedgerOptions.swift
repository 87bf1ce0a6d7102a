#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Tunables of the file ledger; the defaults suit production.
public struct FileLedgerOptions: Sendable {
    /// A segment is closed and a new one started once it holds at least this many bytes.
    public var segmentBytes: Int = 64 << 20
    /// The largest payload one record may have (JSON of type, actor and body plus ~400 bytes).
    public var maxRecordBytes: Int = 1 << 20
    /// Every how many records of a segment the in-memory seq index keeps an offset.
    public var indexStride: Int = 64
    /// How many snapshots to keep (the newest ones); older ones are removed after a write.
    public var snapshotsKept: Int = 3
    /// Recompute every record's SHA-256 on open, not only the links (slower start-up).
    public var verifyHashesOnOpen: Bool = false
    /// Makes a segment's written data durable: 0, or the errno it failed with. Tests inject
    /// failures here; production uses fdatasync.
    public var sync: @Sendable (Int32) -> Int32 = { fd in POSIXFile.dataSync(fd) == 0 ? 0 : errno }
    /// How far ahead of the data the last segment is kept filled with written and synced zeros,
    /// in chunks of this size (0: never). Records then overwrite blocks the file already has, so
    /// a group commit's fdatasync writes data only, not the inode's size (see docs/LEDGER.md).
    public var zeroFillBytes: Int = 2 << 20
    /// Drop a segment's pages from the page cache once they are synced (at least 1 MiB at a
    /// time; the page the data ends in stays, so the next write need not read it back). The
    /// ledger is written once and read rarely (start-up, audit, verify-ledger), so caching it
    /// only takes memory; and every fresh page costs a fault and a clear that a recycled one
    /// does not (docs/LEDGER.md, "Page cache").
    public var dropSyncedPages: Bool = true
    /// Write the last segment with `O_DIRECT` where the file system takes it (Linux; otherwise,
    /// and where `open` refuses the flag, the page cache is used as before). Batches then go
    /// from one reused, block-aligned buffer straight to the disk: no page-cache page is taken,
    /// filled and dropped per 4 KiB of records, and a failed write is reported by that write.
    /// Each write starts at the block the data ends in and is padded with zeros to a block
    /// (docs/LEDGER.md, "Direct I/O").
    public var directIO: Bool = true
    /// Writes a batch (or a chunk of zeros) to a segment at an offset: nil, or the errno it
    /// failed with. Tests inject failures here.
    var write: @Sendable (Int32, UnsafeRawBufferPointer, Int) -> Int32? = { fd, bytes, offset in POSIXFile.writeAll(fd, bytes, at: offset) }
    /// Opens a segment for writing with `O_DIRECT`, or nil where that is refused. Tests inject
    /// the refusal here (every file system this runs on may take the flag).
    var openDirect: @Sendable (String) -> Int32? = { POSIXFile.openDirect($0) }
    /// Called after each group commit's sync with its duration in seconds and the number of
    /// records it made durable (for the fsync-latency metric); on the sync queue, so keep it quick.
    public var syncObserver: (@Sendable (_ seconds: Double, _ records: Int) -> Void)?
    public var logger = Logger(label: "rcrp.ledger")

    public init() {}
}
