/// A JSON object: members in the order they were added (or parsed), keys unique.
///
/// Objects in this service are small (tens of members), so a linear scan beats hashing and keeps
/// the order that makes responses readable.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var keys: [String] = []
    public private(set) var values: [JSONValue] = []

    public init() {}

    /// An empty object with room for `capacity` members, for a writer that knows how many it adds.
    public init(capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(members: elements)
    }

    /// Members in order; a repeated key keeps its first place and its last value, as setting
    /// them one by one would.
    init(members elements: [(String, JSONValue)]) {
        keys.reserveCapacity(elements.count)
        values.reserveCapacity(elements.count)
        for (key, value) in elements {
            if let index = index(of: key) {
                values[index] = value
            } else {
                keys.append(key)
                values.append(value)
            }
        }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// Reading gives the member's value; setting replaces it in place or appends it; setting nil removes it.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let index = index(of: key) else { return nil }
            return values[index]
        }
        set {
            if let index = index(of: key) {
                if let newValue {
                    values[index] = newValue
                } else {
                    keys.remove(at: index)
                    values.remove(at: index)
                }
            } else if let newValue {
                keys.append(key)
                values.append(newValue)
            }
        }
    }

    /// Where `key` is. Comparing UTF-8 lengths first (a field of the string itself) skips the
    /// full string comparison for most other members: look-ups and literals are on every hot path.
    @inline(__always) private func index(of key: String) -> Int? {
        let length = key.utf8.count
        for index in keys.indices where keys[index].utf8.count == length && keys[index] == key {
            return index
        }
        return nil
    }

    /// Members known to be distinct (the parser checks them), in order.
    init(uniqueKeys keys: [String], values: [JSONValue]) {
        self.keys = keys
        self.values = values
    }

    /// An object of a fixed shape: `keys` (distinct, in order; debug builds check) and one value
    /// for each. A writer that makes many objects of one shape shares one `keys` array among
    /// them all: each object then holds only its own values.
    public init(sharedKeys keys: [String], values: [JSONValue]) {
        precondition(keys.count == values.count, "JSONObject: \(keys.count) keys for \(values.count) values")
        assert(Set(keys).count == keys.count, "JSONObject: repeated keys in \(keys)")
        self.keys = keys
        self.values = values
    }

    /// Appends a member that the caller knows is not there yet (a writer of a fixed shape whose
    /// names are literals): no search, unlike the subscript. Debug builds check the promise.
    public mutating func appendNew(_ key: String, _ value: JSONValue) {
        assert(index(of: key) == nil, "appendNew: \(key) is already a member")
        keys.append(key)
        values.append(value)
    }

    public func makeIterator() -> Zip2Sequence<[String], [JSONValue]>.Iterator {
        zip(keys, values).makeIterator()
    }

    /// Two objects are equal when they have the same members, whatever their order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs where rhs[key] != value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, to agree with ==.
        hasher.combineUnordered(self, count: count)
    }
}
