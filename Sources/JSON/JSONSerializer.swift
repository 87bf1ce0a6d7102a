/// Writes compact JSON. Strings are escaped as RFC 8259 requires (quote, backslash, control
/// characters) and additionally `<`, `>`, `&`, U+2028 and U+2029, so that output is safe to embed.
enum JSONSerializer {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    static func write(_ value: JSONValue, sortedKeys: Bool, into out: inout [UInt8]) {
        switch value {
        case .null:
            out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let flag):
            if flag {
                out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
            } else {
                out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
            }
        case .int(let number):
            writeInteger(number, into: &out)
        case .double(let number):
            writeDouble(number, into: &out)
        case .string(let string):
            writeString(string, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
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
                for position in object.keys.indices {
                    if position > 0 { out.append(UInt8(ascii: ",")) }
                    writeString(object.keys[position], into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(object.values[position], sortedKeys: false, into: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeInteger(_ number: Int64, into out: inout [UInt8]) {
        if number < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out.append(contentsOf: digits.reversed())
    }

    private static func writeDouble(_ number: Double, into out: inout [UInt8]) {
        // JSON has no NaN or infinity; the parser never produces them and writers must not either.
        guard number.isFinite else {
            out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
            return
        }
        if number == number.rounded(), abs(number) < 1e15 {
            // Keep a whole double recognisably non-integer: 52.0 stays 52.0.
            out.append(contentsOf: "\(Int64(number)).0".utf8)
        } else {
            // Swift's description is the shortest text that round-trips, already JSON-compatible.
            out.append(contentsOf: number.description.utf8)
        }
    }

    static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var utf8 = string.utf8
        let handled: Void? = utf8.withContiguousStorageIfAvailable { buffer in
            appendEscaped(buffer, into: &out)
        }
        if handled == nil {
            utf8 = string.utf8
            appendEscaped(Array(utf8), into: &out)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped<Bytes: RandomAccessCollection>(_ bytes: Bytes, into out: inout [UInt8])
    where Bytes.Element == UInt8, Bytes.Index == Int {
        var runStart = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            var escape: [UInt8]? = nil
            switch byte {
            case 0x22: escape = [0x5C, 0x22]
            case 0x5C: escape = [0x5C, 0x5C]
            case 0x0A: escape = [0x5C, UInt8(ascii: "n")]
            case 0x0D: escape = [0x5C, UInt8(ascii: "r")]
            case 0x09: escape = [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"):
                escape = [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            case 0xE2:
                // U+2028 / U+2029 (E2 80 A8 / E2 80 A9) break JavaScript string literals.
                if index + 2 < bytes.endIndex, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 {
                    out.append(contentsOf: bytes[runStart..<index])
                    out.append(contentsOf: Array("\\u202".utf8))
                    out.append(bytes[index + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9"))
                    index += 3
                    runStart = index
                    continue
                }
            default:
                break
            }
            if let escape {
                out.append(contentsOf: bytes[runStart..<index])
                out.append(contentsOf: escape)
                index += 1
                runStart = index
            } else {
                index += 1
            }
        }
        out.append(contentsOf: bytes[runStart..<bytes.endIndex])
    }
}
