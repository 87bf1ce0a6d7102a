/// Header fields as (name, value) pairs in arrival order; names compare case-insensitively.
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (name: String, value: String)
    private(set) var fields: [Element]

    public init() { fields = [] }

    public init(_ fields: [(String, String)]) { self.fields = fields.map { (name: $0.0, value: $0.1) } }

    public init(dictionaryLiteral elements: (String, String)...) { self.init(elements) }

    /// The first value of `name`, if any.
    public subscript(name: String) -> String? {
        for field in fields where Self.namesEqual(field.name, name) { return field.value }
        return nil
    }

    /// Every value of `name`, in arrival order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.namesEqual($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public mutating func add(_ name: String, _ value: String) { fields.append((name: name, value: value)) }

    /// Replaces every value of `name` with one.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name: name, value: value))
    }

    public mutating func remove(_ name: String) { fields.removeAll { Self.namesEqual($0.name, name) } }

    public var count: Int { fields.count }

    mutating func reserve(_ n: Int) { fields.reserveCapacity(n) }

    public func makeIterator() -> IndexingIterator<[Element]> { fields.makeIterator() }

    public var description: String { fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n") }

    /// Whether a comma-separated header (e.g. Connection) lists `token`, case-insensitively.
    public func hasToken(_ token: String, in name: String) -> Bool {
        for value in values(name) {
            for item in value.split(separator: ",") {
                if Self.namesEqual(item.trimmingSpaces, token) { return true }
            }
        }
        return false
    }

    /// ASCII case-insensitive comparison without allocating lowercased copies.
    static func namesEqual<S1: StringProtocol, S2: StringProtocol>(_ a: S1, _ b: S2) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        var i = x.startIndex, j = y.startIndex
        while i != x.endIndex {
            if ASCII.lower(x[i]) != ASCII.lower(y[j]) { return false }
            i = x.index(after: i); j = y.index(after: j)
        }
        return true
    }
}

extension StringProtocol {
    var trimmingSpaces: Substring {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}

/// Byte classes from RFC 9110/9112 used by the parser and the response validator.
enum ASCII {
    static let cr: UInt8 = 13, lf: UInt8 = 10, sp: UInt8 = 32, htab: UInt8 = 9, colon: UInt8 = 58

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b | 0x20 : b }

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    static let tokenTable: [Bool] = (0..<256).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(UInt8(b))
        }
    }

    @inline(__always) static func isToken(_ b: UInt8) -> Bool { tokenTable[Int(b)] }

    /// field-vchar / SP / HTAB (obs-text allowed); CR, LF, NUL and other controls are not.
    @inline(__always) static func isFieldValueByte(_ b: UInt8) -> Bool { b >= 0x20 ? b != 0x7F : b == htab }

    static func isToken<S: StringProtocol>(_ s: S) -> Bool { !s.isEmpty && s.utf8.allSatisfy(isToken) }

    static func isFieldValue<S: StringProtocol>(_ s: S) -> Bool { s.utf8.allSatisfy(isFieldValueByte) }
}
