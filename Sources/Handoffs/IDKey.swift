/// An id as a key of the state's large collections. The service's own ids — a lowercase letter,
/// `_`, then a ULID as 26 Crockford base-32 digits (`c_01JD3…`, see the Service's `Identifier`) —
/// are held as the ULID's 128 bits and the letter: no heap storage to allocate, retain or free,
/// equality is three integer comparisons, and the hash is fed only the 64 low bits, which are
/// random. Any other id (a test's `c_1`, a hand-written record) is held as its string.
/// Two keys are equal exactly when their ids are: only the canonical spelling of a ULID (upper
/// case, first digit at most 7) is held as bits, and a string key never equals a bits key.
public struct IDKey: Hashable, Sendable, CustomStringConvertible {
    private enum Storage: Sendable {
        case ulid(high: UInt64, low: UInt64, prefix: UInt8)
        case text(String)
    }

    private let storage: Storage

    public init(_ id: String) {
        storage = Self.parse(id).map { .ulid(high: $0.high, low: $0.low, prefix: $0.prefix) } ?? .text(id)
    }

    /// The id as it was given.
    public var string: String {
        switch storage {
        case .text(let text): return text
        case .ulid(let high, let low, let prefix): return Self.spell(prefix: CollectionOfOne(prefix), high: high, low: low)
        }
    }

    /// The spelling of the service's ids, which `init` reads back: `prefix`, `_`, then the 128
    /// bits as 26 Crockford base-32 digits, most significant first (the first carries 3 bits).
    public static func spell(prefix: String, high: UInt64, low: UInt64) -> String {
        spell(prefix: prefix.utf8, high: high, low: low)
    }

    private static func spell(prefix: some Collection<UInt8>, high: UInt64, low: UInt64) -> String {
        let count = prefix.count + 27
        return String(unsafeUninitializedCapacity: count) { out in
            var position = 0
            for byte in prefix { out[position] = byte; position += 1 }
            out[position] = UInt8(ascii: "_")
            var (high, low) = (high, low)
            for place in stride(from: count - 1, through: count - 26, by: -1) {
                out[place] = digits[Int(low & 31)]
                low = (low >> 5) | ((high & 31) << 59)
                high >>= 5
            }
            return count
        }
    }

    public var description: String { string }

    public static func == (lhs: IDKey, rhs: IDKey) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.ulid(h1, l1, p1), .ulid(h2, l2, p2)): return l1 == l2 && h1 == h2 && p1 == p2
        case let (.text(a), .text(b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch storage {
        case .ulid(_, let low, _): hasher.combine(low)
        case .text(let text): hasher.combine(text)
        }
    }

    private static let digits: [UInt8] = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// Each ASCII byte's digit value, or 0xFF for a byte that is not an upper-case Crockford digit.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, digit) in digits.enumerated() { table[Int(digit)] = UInt8(value) }
        return table
    }()

    /// The bits of a canonical `x_<ULID>` id, or nil for any other string.
    private static func parse(_ id: String) -> (high: UInt64, low: UInt64, prefix: UInt8)? {
        var id = id
        return id.withUTF8 { bytes -> (high: UInt64, low: UInt64, prefix: UInt8)? in
            guard bytes.count == 28, bytes[1] == UInt8(ascii: "_"), bytes[0] >= UInt8(ascii: "a"), bytes[0] <= UInt8(ascii: "z") else {
                return nil
            }
            var high: UInt64 = 0, low: UInt64 = 0
            for index in 2..<28 {
                let value = values[Int(bytes[index])]
                if value == 0xFF { return nil }
                // 130 bits of digits into 128: the first digit must fit in 3.
                if index == 2 && value > 7 { return nil }
                high = (high << 5) | (low >> 59)
                low = (low << 5) | UInt64(value)
            }
            return (high, low, bytes[0])
        }
    }
}
