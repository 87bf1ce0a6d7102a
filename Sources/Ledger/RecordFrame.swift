import Digests

/// On-disk framing of one record: payload length (UInt32 LE), CRC-32 of the payload (UInt32 LE),
/// then the payload. The CRC finds torn writes and bit rot; the hash chain finds edits.
enum RecordFrame {
    static let headerSize = 8
    /// The format's hard ceiling, independent of the configurable append limit, so that lowering
    /// `maxRecordBytes` never makes an existing log unreadable.
    static let maxPayloadBytes = 16 << 20

    static func append(payload: [UInt8], to buffer: inout [UInt8]) {
        let length = UInt32(payload.count).littleEndian
        let crc = CRC32.checksum(payload).littleEndian
        withUnsafeBytes(of: length) { buffer.append(contentsOf: $0) }
        withUnsafeBytes(of: crc) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: payload)
    }

    static func readUInt32(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    static func readUInt64(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt64 {
        UInt64(readUInt32(bytes, at: offset)) | UInt64(readUInt32(bytes, at: offset + 4)) << 32
    }
}
