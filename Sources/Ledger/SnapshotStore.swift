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
            switch check(try POSIXFile.readAll(path), expectedSeq: seq) {
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

    /// Removes temporaries a crash left behind.
    func removeTemporaries() throws(LedgerError) {
        for name in try POSIXFile.list(directory) where name.contains(".tmp-") {
            unlink(directory + "/" + name)
        }
    }

    private struct Problem: Error {
        let message: String
    }

    private func check(_ bytes: [UInt8], expectedSeq: UInt64) -> Result<([UInt8], String), Problem> {
        guard bytes.count >= Self.headerSize + Self.trailerSize else { return .failure(Problem(message: "file too short (\(bytes.count) bytes)")) }
        guard bytes.starts(with: Self.magic) else { return .failure(Problem(message: "bad magic")) }
        let body = bytes[0 ..< bytes.count - Self.trailerSize]
        guard SHA256.hash(body).elementsEqual(bytes[(bytes.count - Self.trailerSize)...]) else {
            return .failure(Problem(message: "checksum mismatch"))
        }
        return bytes.withUnsafeBufferPointer { raw in
            let seq = RecordFrame.readUInt64(raw, at: 8)
            let length = RecordFrame.readUInt64(raw, at: 16)
            guard seq == expectedSeq else { return .failure(Problem(message: "header says seq \(seq), name says \(expectedSeq)")) }
            guard length == UInt64(bytes.count - Self.headerSize - Self.trailerSize) else {
                return .failure(Problem(message: "state length \(length) does not match the file size"))
            }
            let hash = String(decoding: raw[24 ..< 88], as: UTF8.self)
            return .success((Array(raw[Self.headerSize ..< bytes.count - Self.trailerSize]), hash))
        }
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
