/// Writes compact JSON. Strings are escaped as RFC 8259 requires (quote, backslash, control
/// characters) and additionally `<`, `>`, `&`, U+2028 and U+2029, so that output is safe to embed.
enum JSONSerializer {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends the serialization of `value` to `out`. The bytes are written into a raw buffer
    /// first: an Array append checks uniqueness and capacity each time, which was a third of
    /// the time of serializing a ledger record.
    static func write(_ value: JSONValue, sortedKeys: Bool, into out: inout [UInt8]) {
        if case .string(let string) = value {
            writeString(string, into: &out)
            return
        }
        var sink = JSONOutput(capacity: 1024)
        write(value, sortedKeys: sortedKeys, into: &sink)
        sink.append(to: &out)
    }

    /// The serialization of `value` as a new array.
    static func serialize(_ value: JSONValue, sortedKeys: Bool) -> [UInt8] {
        // Records and answers are mostly 1–3 KB: start big enough not to grow.
        var sink = JSONOutput(capacity: 4096)
        write(value, sortedKeys: sortedKeys, into: &sink)
        return sink.bytes
    }

    static func write(_ value: JSONValue, sortedKeys: Bool, into out: inout JSONOutput) {
        switch value {
        case .null:
            out.append(0x6E, 0x75, 0x6C, 0x6C)
        case .bool(let flag):
            if flag {
                out.append(0x74, 0x72, 0x75, 0x65)
            } else {
                out.append(0x66, 0x61, 0x6C, 0x73)
                out.append(0x65)
            }
        case .int(let number):
            writeInteger(number, into: &out)
        case .double(let number):
            writeDouble(number, into: &out)
        case .string(let string):
            writeString(string, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            var first = true
            for item in items {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(item, sortedKeys: sortedKeys, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            if sortedKeys {
                let order = object.keys.indices.sorted { object.keys[$0].utf8.lexicographicallyPrecedes(object.keys[$1].utf8) }
                for (position, memberIndex) in order.enumerated() {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    writeString(object.keys[memberIndex], into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(object.values[memberIndex], sortedKeys: true, into: &out)
                }
            } else {
                object.keys.withUnsafeBufferPointer { keys in
                    object.values.withUnsafeBufferPointer { values in
                        for position in 0..<keys.count {
                            if position > 0 { out.append(UInt8(ascii: ",")) }
                            writeString(keys[position], into: &out)
                            out.append(UInt8(ascii: ":"))
                            write(values[position], sortedKeys: false, into: &out)
                        }
                    }
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeInteger(_ number: Int64, into out: inout [UInt8]) {
        var sink = JSONOutput(capacity: 24)
        writeInteger(number, into: &sink)
        sink.append(to: &out)
    }

    static func writeString(_ string: String, into out: inout [UInt8]) {
        var sink = JSONOutput(capacity: string.utf8.count + 16)
        writeString(string, into: &sink)
        sink.append(to: &out)
    }

    static func writeInteger(_ number: Int64, into out: inout JSONOutput) {
        if number < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        // At most 20 digits, written backwards into a stack buffer: no array per number.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }

    private static func writeDouble(_ number: Double, into out: inout JSONOutput) {
        // JSON has no NaN or infinity; the parser never produces them and writers must not either.
        guard number.isFinite else {
            out.append(0x6E, 0x75, 0x6C, 0x6C)
            return
        }
        if number == number.rounded(), abs(number) < 1e15 {
            // Keep a whole double recognisably non-integer: 52.0 stays 52.0.
            writeInteger(Int64(number), into: &out)
            out.append(UInt8(ascii: "."))
            out.append(UInt8(ascii: "0"))
        } else {
            // Swift's description is the shortest text that round-trips, already JSON-compatible.
            out.append(string: number.description)
        }
    }

    static func writeString(_ string: String, into out: inout JSONOutput) {
        // The string's own UTF-8 (small strings, most member names, on the stack): no copy.
        if let done: Void = string.utf8.withContiguousStorageIfAvailable({ writeString(utf8: $0, into: &out) }) {
            _ = done
        } else {
            var copy = string
            copy.withUTF8 { writeString(utf8: $0, into: &out) }
        }
    }

    /// Most strings (member names, ids, codes, prose) need no escape: find that out with a quick
    /// scan and copy them whole; only the others go through the escaping loop.
    @inline(__always) private static func writeString(utf8 bytes: UnsafeBufferPointer<UInt8>, into out: inout JSONOutput) {
        out.append(UInt8(ascii: "\""))
        if isPlain(bytes) {
            out.append(bytes)
        } else {
            appendEscaped(bytes, into: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Whether no byte needs a look (as `isPlain(_: UInt64)`, for a whole string). The tail is
    /// read as one more word, overlapping the last whole one, or padded with plain bytes when the
    /// string is shorter than a word: no byte-by-byte loop even for short member names.
    @inline(__always) private static func isPlain(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        guard let start = bytes.baseAddress, count > 0 else { return true }
        let raw = UnsafeRawPointer(start)
        guard count >= 8 else {
            var word: UInt64 = 0x6161_6161_6161_6161   // "aaaaaaaa"
            withUnsafeMutableBytes(of: &word) { $0.baseAddress!.copyMemory(from: raw, byteCount: count) }
            return isPlain(word)
        }
        var index = 0
        while count - index > 8 {
            guard isPlain(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) else { return false }
            index += 8
        }
        return isPlain(raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
    }

    /// Whether none of eight bytes needs a look: no control character, `"`, `\\`, `<`, `>`, `&`,
    /// and nothing at or above 0x80 (which could start U+2028/U+2029). Exact for "any byte", so a
    /// word with one of them is never skipped.
    @inline(__always) static func isPlain(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let below0x20 = (word &- ones &* 0x20) & ~word & highs != 0
        return word & highs == 0 && !below0x20
            && !hasZero(word ^ (ones &* 0x22)) && !hasZero(word ^ (ones &* 0x5C)) && !hasZero(word ^ (ones &* 0x3C))
            && !hasZero(word ^ (ones &* 0x3E)) && !hasZero(word ^ (ones &* 0x26))
    }

    /// Copies runs of plain bytes whole and writes each escape in place (no temporary arrays).
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout JSONOutput) {
        var runStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            // Eight plain bytes at a time (the usual case: ASCII text with nothing to escape).
            while count - index >= 8 && isPlain(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)) {
                index += 8
            }
            guard index < count else { break }
            let byte = bytes[index]
            switch byte {
            case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x00..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                if index > runStart { out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
                out.append(0x5C)
                switch byte {
                case 0x22: out.append(0x22)
                case 0x5C: out.append(0x5C)
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "t"))
                default:
                    out.append(UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0xF)])
                }
                index += 1
                runStart = index
            case 0xE2:
                // U+2028 / U+2029 (E2 80 A8 / E2 80 A9) break JavaScript string literals.
                if index + 2 < count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 {
                    if index > runStart { out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<index])) }
                    out.append(0x5C, UInt8(ascii: "u"), UInt8(ascii: "2"), UInt8(ascii: "0"))
                    out.append(UInt8(ascii: "2"))
                    out.append(bytes[index + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9"))
                    index += 3
                    runStart = index
                } else {
                    index += 1
                }
            default:
                index += 1
            }
        }
        if count > runStart { out.append(UnsafeBufferPointer(rebasing: bytes[runStart..<count])) }
    }
}
