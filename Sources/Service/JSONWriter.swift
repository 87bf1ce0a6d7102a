/// Writes JSON straight into bytes for the hot path (POST /v1/triage), where building a
/// JSONValue tree and serializing it cost more than the decision itself. Output is the same
/// compact JSON the JSON module writes.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// A member name, always a literal of plain characters (so it needs no escaping); the value
    /// written next belongs to it.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func string(_ value: String) { separate(); append(string: value); needsComma = true }
    mutating func bool(_ value: Bool) { separate(); bytes.append(contentsOf: value ? Self.true : Self.false); needsComma = true }
    mutating func null() { separate(); bytes.append(contentsOf: Self.nullBytes); needsComma = true }
    mutating func int(_ value: Int) { separate(); bytes.append(contentsOf: String(value).utf8); needsComma = true }
    mutating func optional(_ value: String?) { if let value { string(value) } else { null() } }
    mutating func optional(_ value: Int?) { if let value { int(value) } else { null() } }
    mutating func strings(_ values: [String]) { beginArray(); for value in values { string(value) }; endArray() }

    /// Bytes that are already a complete JSON value (a pre-rendered fragment).
    mutating func raw(_ value: [UInt8]) { separate(); bytes.append(contentsOf: value); needsComma = true }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let `true` = Array("true".utf8), `false` = Array("false".utf8), nullBytes = Array("null".utf8)
    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func append(string: String) {
        bytes.append(UInt8(ascii: "\""))
        // withUTF8 gives small strings (kept inside the String value) a stack buffer.
        var string = string
        string.withUTF8 { appendEscaped($0) }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case 0x22: bytes.append(0x5C); bytes.append(0x22)
        case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
        case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
        case 0x00..<0x20:
            bytes.append(0x5C); bytes.append(UInt8(ascii: "u")); bytes.append(UInt8(ascii: "0")); bytes.append(UInt8(ascii: "0"))
            bytes.append(Self.hex[Int(byte >> 4)]); bytes.append(Self.hex[Int(byte & 15)])
        default: bytes.append(byte)
        }
    }

    @inline(__always) private static func isPlain(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let below0x20 = (word &- ones &* 0x20) & ~word & highs != 0
        return !below0x20 && !hasZero(word ^ (ones &* 0x22)) && !hasZero(word ^ (ones &* 0x5C))
    }

    /// Copies runs of plain bytes whole; escapes quotes, backslashes and control characters.
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var start = 0
        var index = 0
        let count = utf8.count
        while index < count {
            // Eight plain bytes at a time: exact for "any byte below 0x20, '\"' or '\\'".
            while count - index >= 8 && Self.isPlain(UnsafeRawPointer(utf8.baseAddress! + index).loadUnaligned(as: UInt64.self)) {
                index += 8
            }
            guard index < count else { break }
            let byte = utf8[index]
            if byte >= 0x20 && byte != 0x22 && byte != 0x5C {
                index += 1
                continue
            }
            if index > start { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
            appendEscaped(byte)
            index += 1
            start = index
        }
        if count > start { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<count])) }
    }
}
