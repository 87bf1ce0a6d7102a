/// A dictionary split by key hash into many dictionaries (256 unless asked), for the collections
/// that grow with every call. A plain dictionary of 200,000 calls doubles in one insert (0.2–1.1 s
/// measured, under the state lock), and after a copy is taken (a snapshot, a stats scan) the next
/// change copies all of it; here each insert rehashes, and each change after a copy copies, one
/// shard.
public struct ShardedDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// How many shards (a power of two).
    public let shardCount: Int

    /// Empty until the first insert: a state has many small feeds, each with one of these.
    private var shards: [[Key: Value]] = []
    /// Kept as entries come and go: summing 256 shards on each look would cost more than the look-up.
    public private(set) var count = 0
    /// How many times a shard outgrew its storage (and rehashed): the benchmarks time those batches.
    public private(set) var growths = 0

    /// `shardCount` is rounded up to a power of two.
    public init(shardCount: Int = 256) {
        var count = 1
        while count < shardCount { count <<= 1 }
        self.shardCount = count
    }

    @inline(__always) private func shard(_ key: Key) -> Int {
        key.hashValue & (shardCount - 1)
    }

    public subscript(key: Key) -> Value? {
        get {
            shards.isEmpty ? nil : shards[shard(key)][key]
        }
        _modify {
            if shards.isEmpty { shards = Array(repeating: [:], count: shardCount) }
            let index = shard(key)
            let (before, capacity) = (shards[index].count, shards[index].capacity)
            defer { noteChange(index, count: before, capacity: capacity) }
            yield &shards[index][key]
        }
    }

    public subscript(key: Key, default defaultValue: @autoclosure () -> Value) -> Value {
        get {
            self[key] ?? defaultValue()
        }
        _modify {
            if shards.isEmpty { shards = Array(repeating: [:], count: shardCount) }
            let index = shard(key)
            let (before, capacity) = (shards[index].count, shards[index].capacity)
            defer { noteChange(index, count: before, capacity: capacity) }
            yield &shards[index][key, default: defaultValue()]
        }
    }

    /// Stores `value` and returns the value it replaced, with one look-up.
    @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: Key) -> Value? {
        if shards.isEmpty { shards = Array(repeating: [:], count: shardCount) }
        let index = shard(key)
        let capacity = shards[index].capacity
        let replaced = shards[index].updateValue(value, forKey: key)
        if replaced == nil { count += 1 }
        if shards[index].capacity != capacity { growths += 1 }
        return replaced
    }

    /// The value stored for `key`, after storing `value` there if it had none: one look-up.
    public mutating func value(forKey key: Key, insertingIfAbsent value: Value) -> Value {
        if shards.isEmpty { shards = Array(repeating: [:], count: shardCount) }
        let index = shard(key)
        let (before, capacity) = (shards[index].count, shards[index].capacity)
        defer { noteChange(index, count: before, capacity: capacity) }
        func read(_ stored: inout Value) -> Value { stored }
        return read(&shards[index][key, default: value])
    }

    private mutating func noteChange(_ index: Int, count before: Int, capacity: Int) {
        count += shards[index].count - before
        if shards[index].capacity != capacity { growths += 1 }
    }

    @discardableResult
    public mutating func removeValue(forKey key: Key) -> Value? {
        guard !shards.isEmpty, let removed = shards[shard(key)].removeValue(forKey: key) else { return nil }
        count -= 1
        return removed
    }

    /// Removes every entry for which `shouldBeRemoved` is true, one shard at a time.
    public mutating func removeAll(where shouldBeRemoved: ((key: Key, value: Value)) -> Bool) {
        for index in shards.indices where shards[index].contains(where: shouldBeRemoved) {
            let before = shards[index].count
            shards[index] = shards[index].filter { !shouldBeRemoved($0) }
            count -= before - shards[index].count
        }
    }

    public var isEmpty: Bool { count == 0 }

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
    /// Entry by entry (whatever the shard counts).
    public static func == (lhs: Self, rhs: Self) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.shardCount == rhs.shardCount && !lhs.shards.isEmpty && !rhs.shards.isEmpty { return lhs.shards == rhs.shards }
        return lhs.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension ShardedDictionary: Hashable where Value: Hashable {
    /// Independent of the order of the entries and of the shard count, as `==` is.
    public func hash(into hasher: inout Hasher) {
        hasher.combineUnordered(lazy.map { ($0.key, $0.value) }, count: count)
    }
}

extension ShardedDictionary: IDKeyedTable where Key == IDKey {}
