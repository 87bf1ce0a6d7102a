import CZlib

/// CRC-32 (IEEE 802.3, as zlib computes it) for framing ledger records.
public enum CRC32 {
    public static func checksum<Bytes: Collection>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        update(0, bytes)
    }

    /// Continues a running checksum over more bytes.
    public static func update<Bytes: Collection>(_ crc: UInt32, _ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ buffer -> UInt32 in
            UInt32(crc32(uLong(crc), buffer.baseAddress, uInt(buffer.count)))
        }) {
            return result
        }
        return Array(bytes).withUnsafeBufferPointer { buffer in
            UInt32(crc32(uLong(crc), buffer.baseAddress, uInt(buffer.count)))
        }
    }
}
