/// What went wrong in the ledger, with what an operator needs to find it.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A write or fsync failed: the ledger is closed for writes for good (the kernel may have
    /// dropped the dirty pages, so retrying could acknowledge data that is not on disk).
    case failed(reason: String)
    /// One record's payload would exceed `FileLedgerOptions.maxRecordBytes`.
    case recordTooLarge
    /// A record that is not a torn tail fails framing, CRC, seq or hash checks.
    case corrupt(segment: String, offset: Int, reason: String)
    /// Any other I/O problem (opening, reading, snapshots), with the path and errno text.
    case io(String)

    public var description: String {
        switch self {
        case .failed(let reason): "ledger failed, closed for writes: \(reason)"
        case .recordTooLarge: "ledger record too large"
        case .corrupt(let segment, let offset, let reason): "ledger corrupt in segment \(segment) at offset \(offset): \(reason)"
        case .io(let message): "ledger I/O error: \(message)"
        }
    }
}
