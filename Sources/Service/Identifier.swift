import Digests
import Foundation

/// Ids like `c_01JD3…`: a prefix naming the resource, then a ULID (48-bit milliseconds, 80 random
/// bits, Crockford base32), so that ids sort by creation and cannot be guessed.
enum Identifier {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    static func make(_ prefix: String, at date: Date) -> String {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - UInt64(index)))) }
        let random = SecureRandom.bytes(10)
        for index in 0..<10 { bytes[6 + index] = random[index] }
        // 128 bits → 26 base32 digits, most significant first (the first digit carries 3 bits).
        var high = UInt64(0), low = UInt64(0)
        for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        var digits = [UInt8](repeating: 0, count: 26)
        for position in stride(from: 25, through: 0, by: -1) {
            digits[position] = alphabet[Int(low & 31)]
            low = (low >> 5) | ((high & 31) << 59)
            high >>= 5
        }
        return prefix + "_" + String(decoding: digits, as: UTF8.self)
    }

    /// A new secret agency key: 32 random bytes, hex, with a prefix that secret scanners can match.
    static func secretKey() -> String {
        "rcrp_" + Hex.encode(SecureRandom.bytes(32))
    }
}
