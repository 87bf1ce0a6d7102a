import CZlib

/// gzip through zlib, for responses (compress) and request bodies (bounded decompress).
enum Gzip {
    enum DecodeError: Error, Equatable {
        /// The decompressed body would pass the limit (a zip bomb, or just too big): 413.
        case tooLarge(limit: Int)
        /// Not a valid gzip stream: 400.
        case corrupt
    }

    /// Bodies smaller than this are not worth compressing.
    static let minimumBodyBytes = 1024

    static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8]? {
        var stream = z_stream()
        // windowBits 15 + 16 asks zlib for a gzip wrapper; memLevel 8 is zlib's default.
        guard rcrp_deflateInit2(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK else { return nil }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        let status: Int32 = input.withUnsafeBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
                stream.avail_in = uInt(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { return nil }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }

    /// Gunzips `input`, refusing to produce more than `limit` bytes.
    static func decompress(_ input: [UInt8], limit: Int) throws(DecodeError) -> [UInt8] {
        var stream = z_stream()
        guard rcrp_inflateInit2(&stream, 15 + 16) == Z_OK else { throw .corrupt }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var result: Result<Void, DecodeError> = .success(())
        input.withUnsafeBufferPointer { inp in
            stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
            stream.avail_in = uInt(inp.count)
            while true {
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let s = inflate(&stream, Z_NO_FLUSH)
                    return (s, out.count - Int(stream.avail_out))
                }
                if output.count + produced > limit {
                    result = .failure(.tooLarge(limit: limit))
                    return
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_STREAM_END {
                    // Trailing bytes after the gzip member are not a body we understand.
                    if stream.avail_in != 0 { result = .failure(.corrupt) }
                    return
                }
                if status != Z_OK || (produced == 0 && stream.avail_in == 0) {
                    result = .failure(.corrupt)
                    return
                }
            }
        }
        try result.get()
        return output
    }
}
