#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The buffer the writer hands to `pwrite` when the segment is open with `O_DIRECT`: block-
/// aligned in memory, written at a block-aligned offset, a whole number of blocks long. It
/// starts with the bytes of the block the data ends in (already on disk; written again,
/// unchanged, with what follows them), then the batch, then zeros to the block's end. After a
/// write it keeps the new last partial block at its front for the next one.
///
/// Only the writer touches it, under the writer's lock (hence `@unchecked Sendable`).
final class DirectStaging: @unchecked Sendable {
    /// The alignment of memory, offsets and lengths: a page, which covers any logical block size
    /// up to it (512 and 4096 in practice).
    static let block = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))

    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    /// How many bytes at the front are the data of the block the segment's data ends in.
    private(set) var tailCount = 0

    init(capacity: Int = 256 << 10) {
        self.capacity = Self.roundUp(max(capacity, Self.block))
        base = Self.allocate(self.capacity)
    }

    deinit {
        free(base)
    }

    static func roundUp(_ count: Int) -> Int {
        (count + block - 1) / block * block
    }

    static func roundDown(_ count: Int) -> Int {
        count / block * block
    }

    private static func allocate(_ count: Int) -> UnsafeMutableRawPointer {
        var pointer: UnsafeMutableRawPointer?
        guard posix_memalign(&pointer, block, count) == 0, let pointer else {
            fatalError("DirectStaging: cannot allocate \(count) aligned bytes")
        }
        return pointer
    }

    /// Sets the partial block the data ends in: the last `count % block` bytes before `end`
    /// (read from the segment by the caller).
    func setTail(_ bytes: [UInt8]) {
        precondition(bytes.count < Self.block, "a tail is shorter than a block")
        bytes.withUnsafeBytes { raw in
            if let source = raw.baseAddress { base.copyMemory(from: source, byteCount: raw.count) }
        }
        tailCount = bytes.count
    }

    /// Lays out the tail, then `data`, then zeros to a block boundary, and calls `write` with the
    /// whole buffer (to be written at the offset of the tail's block). When it succeeds (nil),
    /// the new last partial block moves to the front; when it fails, nothing changes.
    func write(_ data: UnsafeRawBufferPointer, _ write: (UnsafeRawBufferPointer) -> Int32?) -> Int32? {
        let used = tailCount + data.count
        let padded = Self.roundUp(used)
        if padded > capacity {
            let larger = Self.allocate(padded)
            larger.copyMemory(from: base, byteCount: tailCount)
            free(base)
            base = larger
            capacity = padded
        }
        if let source = data.baseAddress { (base + tailCount).copyMemory(from: source, byteCount: data.count) }
        (base + used).initializeMemory(as: UInt8.self, repeating: 0, count: padded - used)
        if let code = write(UnsafeRawBufferPointer(start: base, count: padded)) { return code }
        let newTail = used % Self.block
        // The regions may overlap only when the write was within one block (then it is a no-op).
        if used >= Self.block { base.copyMemory(from: base + (used - newTail), byteCount: newTail) }
        tailCount = newTail
        return nil
    }

    /// `count` zeros, block-aligned, shared by every zero fill of that size, direct or not
    /// (never written to; the chunk size does not change, so there is one).
    static func zeros(count: Int) -> UnsafeRawBufferPointer {
        let address = zeroChunks.withLock { chunks -> UInt in
            if let address = chunks[count] { return address }
            let chunk = allocate(count)
            chunk.initializeMemory(as: UInt8.self, repeating: 0, count: count)
            let address = UInt(bitPattern: chunk)
            chunks[count] = address
            return address
        }
        return UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: count)
    }

    /// The aligned zero chunks by size, as addresses: allocated once, kept for the process's life.
    private static let zeroChunks = Mutex<[Int: UInt]>([:])
}
