/// A dictionary split by key hash into 256 dictionaries, for the collections that grow with every
/// call. A plain dictionary of 200,000 calls doubles in one insert (half a second measured, under
/// the state lock), and after a copy is taken (a snapshot, a stats scan) the next change copies
/// all of it; here each insert rehashes, and each change after a copy copies, at most 1/256.
public struct ShardedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public static var shardCount: Int { 256 }

    /// Empty until the first insert: a state has many small feeds, each with one of these.
    private var shards: [[Key: Value]] = []

    public init() {}

    @inline(__always) private static func shard(_ key: Key) -> Int {
        key.hashValue & (shardCount - 1)
    }

    public subscript(key: Key) -> Value? {
        get {
            shards.isEmpty ? nil : shards[Self.shard(key)][key]
        }
        _modify {
            if shards.isEmpty { shards = Array(repeating: [:], count: Self.shardCount) }
            yield &shards[Self.shard(key)][key]
        }
    }

    public subscript(key: Key, default defaultValue: @autoclosure () -> Value) -> Value {
        get {
            self[key] ?? defaultValue()
        }
        _modify {
            if shards.isEmpty { shards = Array(repeating: [:], count: Self.shardCount) }
            yield &shards[Self.shard(key)][key, default: defaultValue()]
        }
    }

    /// Stores `value` and returns the value it replaced, with one look-up.
    @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        if shards.isEmpty { shards = Array(repeating: [:], count: Self.shardCount) }
        return shards[Self.shard(key)].updateValue(value, forKey: key)
    }

    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        shards.isEmpty ? nil : shards[Self.shard(key)].removeValue(forKey: key)
    }

    /// Removes every entry for which `shouldBeRemoved` is true, one shard at a time.
    public mutating func removeAll(where shouldBeRemoved: ((key: Key, value: Value)) -> Bool) {
        for index in shards.indices where shards[index].contains(where: shouldBeRemoved) {
            shards[index] = shards[index].filter { !shouldBeRemoved($0) }
        }
    }

    public var count: Int {
        var total = 0
        for index in shards.indices { total += shards[index].count }
        return total
    }

    public var isEmpty: Bool {
        for index in shards.indices where !shards[index].isEmpty { return false }
        return true
    }

    /// The entries it holds without growing (the sum over the shards).
    public var capacity: Int {
        var total = 0
        for index in shards.indices { total += shards[index].capacity }
        return total
    }

    /// Every key, in no particular order.
    public var keys: [Key] { shards.flatMap(\.keys) }
    /// Every value, in no particular order.
    public var values: [Value] { shards.flatMap(\.values) }
}

extension ShardedDictionary: Sequence {
    public func makeIterator() -> FlattenSequence<[[Key: Value]]>.Iterator {
        shards.joined().makeIterator()
    }
}

extension ShardedDictionary: Equatable where Value: Equatable {
    /// Keys go to the same shard in every value of this type (one process), so shard by shard
    /// is the same as entry by entry.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        if lhs.shards.isEmpty || rhs.shards.isEmpty { return lhs.isEmpty && rhs.isEmpty }
        return lhs.shards == rhs.shards
    }
}

extension ShardedDictionary: Hashable where Value: Hashable {
    public func hash(into hasher: inout Hasher) {
        for shard in shards where !shard.isEmpty { hasher.combine(shard) }
    }
}
