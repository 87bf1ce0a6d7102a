#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Digests
import Logging

/// Snapshot files `<dir>/snapshots/<through-seq>.snap`:
/// magic "RCRPSNP1" | through seq UInt64 LE | state length UInt64 LE | hash of record through-seq
/// (64 hex bytes) | state | SHA-256 of everything before it (32 bytes).
/// The chain hash ties a snapshot to the ledger it was folded from: one that does not match the
/// record at its seq (a restored older ledger, a file from elsewhere) is never loaded.
struct SnapshotStore: Sendable {
    static let magic: [UInt8] = Array("RCRPSNP1".utf8)
    static let headerSize = 8 + 8 + 8 + 64
    static let trailerSize = 32
    static let suffix = ".snap"

    let directory: String
    let kept: Int

    static func name(throughSeq: UInt64) -> String {
        let digits = String(throughSeq)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    static func throughSeq(ofName name: String) -> UInt64? {
        guard name.hasSuffix(suffix) else { return nil }
        let digits = name.dropLast(suffix.count)
        guard digits.count == 20, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt64(digits)
    }

    func write(_ state: [UInt8], throughSeq: UInt64, chainHash: String) throws(LedgerError) {
        var bytes = Self.magic
        bytes.reserveCapacity(Self.headerSize + state.count + Self.trailerSize)
        withUnsafeBytes(of: throughSeq.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(state.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: chainHash.utf8)
        bytes.append(contentsOf: state)
        bytes.append(contentsOf: SHA256.hash(bytes))

        let final = directory + "/" + Self.name(throughSeq: throughSeq)
        let temporary = final + ".tmp-" + Hex.encode(SecureRandom.bytes(6))
        let fd = try POSIXFile.openFile(temporary, flags: O_WRONLY | O_CREAT | O_EXCL)
        do {
            try POSIXFile.writeAll(fd, bytes, path: temporary)
            try POSIXFile.syncFile(fd, path: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        if rename(temporary, final) != 0 {
            let code = errno
            unlink(temporary)
            throw .io("rename \(temporary) to \(final): \(POSIXFile.errorText(code))")
        }
        try POSIXFile.syncDirectory(directory)
        try prune()
    }

    /// The newest snapshot whose checksum holds and whose chain hash `chainHash(seq)` confirms;
    /// each one passed over is logged with the reason.
    func newestValid(logger: Logger, chainHash: (UInt64) -> String?) throws(LedgerError) -> (throughSeq: UInt64, state: [UInt8])? {
        for (seq, name) in try snapshots().reversed() {
            let path = directory + "/" + name
            switch try load(path, expectedSeq: seq) {
            case .failure(let problem):
                logger.error("skipping snapshot", metadata: ["file": "\(path)", "reason": "\(problem.message)"])
            case .success(let (state, hash)):
                guard let expected = chainHash(seq) else {
                    logger.error("skipping snapshot", metadata: ["file": "\(path)", "reason": "through seq \(seq) is beyond the ledger head"])
                    continue
                }
                guard expected == hash else {
                    logger.error("skipping snapshot", metadata: ["file": "\(path)", "reason": "chain hash \(hash) differs from the ledger's \(expected) at seq \(seq)"])
                    continue
                }
                return (seq, state)
            }
        }
        return nil
    }

    /// The through seq of the newest snapshot file, by name only (not yet checked).
    func newestThroughSeq() throws(LedgerError) -> UInt64? {
        try snapshots().last?.0
    }

    /// Removes temporaries a crash left behind.
    func removeTemporaries() throws(LedgerError) {
        for name in try POSIXFile.list(directory) where name.contains(".tmp-") {
            unlink(directory + "/" + name)
        }
    }

    private struct Problem: Error {
        let message: String
    }

    /// Reads a snapshot with one copy of the state (no zero-fill, no slice copy) and checks it.
    private func load(_ path: String, expectedSeq: UInt64) throws(LedgerError) -> Result<([UInt8], String), Problem> {
        let fd = try POSIXFile.openFile(path, flags: O_RDONLY)
        defer { POSIXFile.closeFile(fd) }
        let size = try POSIXFile.size(fd, path: path)
        guard size >= Self.headerSize + Self.trailerSize else { return .failure(Problem(message: "file too short (\(size) bytes)")) }
        let header = try POSIXFile.readBytes(fd, offset: 0, count: Self.headerSize, path: path)
        guard header.starts(with: Self.magic) else { return .failure(Problem(message: "bad magic")) }
        let (seq, length) = header.withUnsafeBufferPointer { (RecordFrame.readUInt64($0, at: 8), RecordFrame.readUInt64($0, at: 16)) }
        guard seq == expectedSeq else { return .failure(Problem(message: "header says seq \(seq), name says \(expectedSeq)")) }
        guard length == UInt64(size - Self.headerSize - Self.trailerSize) else {
            return .failure(Problem(message: "state length \(length) does not match the file size \(size)"))
        }
        var failure: Int32 = 0
        let state = [UInt8](unsafeUninitializedCapacity: Int(length)) { buffer, initialized in
            var done = 0
            while done < buffer.count {
                let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(Self.headerSize + done))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    failure = n < 0 ? errno : EIO
                    break
                }
                done += n
            }
            initialized = done
        }
        if failure != 0 { throw .io("read \(path): \(POSIXFile.errorText(failure))") }
        let trailer = try POSIXFile.readBytes(fd, offset: size - Self.trailerSize, count: Self.trailerSize, path: path)
        var hasher = SHA256Hasher()
        hasher.update(header)
        hasher.update(state)
        guard hasher.finalize() == trailer else { return .failure(Problem(message: "checksum mismatch")) }
        return .success((state, String(decoding: header[24 ..< 88], as: UTF8.self)))
    }

    private func snapshots() throws(LedgerError) -> [(UInt64, String)] {
        try POSIXFile.list(directory)
            .compactMap { name in Self.throughSeq(ofName: name).map { ($0, name) } }
            .sorted { $0.0 < $1.0 }
    }

    private func prune() throws(LedgerError) {
        let all = try snapshots()
        guard all.count > kept else { return }
        for (_, name) in all.prefix(all.count - max(1, kept)) {
            unlink(directory + "/" + name)
        }
    }
}
