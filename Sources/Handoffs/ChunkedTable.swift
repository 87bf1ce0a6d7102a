/// The state's calls and handoffs by id: the values in append-only chunks that never move, found
/// through a sharded index of slot numbers.
///
/// A `ShardedDictionary` of the values themselves (a `CallEntry` is 136 bytes, a `Handoff` 160)
/// moved every value of a shard into fresh memory each time the shard grew. With ~500,000 calls
/// held, a fifth of the committer's time went to the page faults of those copies alone, and the
/// calls the service took per second fell by a fifth from the first 170,000 calls to the third
/// (docs/SERVICE.md, "Memory per call"). Here a value is written once; only the index's entries
/// (an `IDKey` and a 4-byte slot) are rehashed as it grows.
///
/// Copy-on-write as before, a chunk (`chunkSize` slots) at a time: after a snapshot takes a copy,
/// the next change to a value copies its chunk, and the next insert copies the last chunk.
/// A removed value leaves its slot empty (removal is rare: a refused record's rollback), unless it
/// was the last one, whose slot is given back. Slots are numbered in 32 bits (4,294,967,296).
public struct ChunkedTable<Value: Sendable>: Sendable {
    private var index: ShardedDictionary<IDKey, UInt32>
    private var chunks: [[Value?]] = []

    /// Slots per chunk: small enough that copying one after a snapshot costs a few tens of KB.
    static var chunkSize: Int { 256 }

    /// `shardCount`: the index's (see `ShardedDictionary`).
    public init(shardCount: Int = 256) {
        index = ShardedDictionary(shardCount: shardCount)
    }

    public var count: Int { index.count }
    public var isEmpty: Bool { index.isEmpty }
    /// How many times a shard of the index outgrew its storage (and rehashed).
    public var growths: Int { index.growths }

    @inline(__always) private static func position(_ slot: UInt32) -> (chunk: Int, offset: Int) {
        (Int(slot) / chunkSize, Int(slot) % chunkSize)
    }

    /// The slots in use, empty ones included: the slot the next inserted value takes.
    public var slotCount: Int {
        guard let last = chunks.last else { return 0 }
        return (chunks.count - 1) * Self.chunkSize + last.count
    }

    private var nextSlot: UInt32 { UInt32(slotCount) }

    /// Puts `value` in the next slot (which `index` already names).
    private mutating func appendSlot(_ value: Value) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkSize {
            var chunk: [Value?] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(value)
    }

    public subscript(key: IDKey) -> Value? {
        get {
            guard let slot = index[key] else { return nil }
            let (chunk, offset) = Self.position(slot)
            return chunks[chunk][offset]
        }
        _modify {
            if let slot = index[key] {
                let (chunk, offset) = Self.position(slot)
                yield &chunks[chunk][offset]
                if chunks[chunk][offset] == nil { removeValue(forKey: key) }
            } else {
                var value: Value?
                yield &value
                if let value { updateValue(value, forKey: key) }
            }
        }
    }

    /// Stores `value` and returns the value it replaced. A new key costs one index look-up.
    @discardableResult
    public mutating func updateValue(_ value: Value, forKey key: IDKey) -> Value? {
        let slot = nextSlot
        let existing = index.value(forKey: key, insertingIfAbsent: slot)
        if existing == slot {
            appendSlot(value)
            return nil
        }
        let (chunk, offset) = Self.position(existing)
        defer { chunks[chunk][offset] = value }
        return chunks[chunk][offset]
    }

    @discardableResult
    public mutating func removeValue(forKey key: IDKey) -> Value? {
        guard let slot = index.removeValue(forKey: key) else { return nil }
        let (chunk, offset) = Self.position(slot)
        let removed = chunks[chunk][offset]
        chunks[chunk][offset] = nil
        // Empty slots at the end are given back (a rollback removes what it just inserted).
        while let last = chunks.last {
            if last.isEmpty {
                chunks.removeLast()
            } else if case .some(.none) = last.last {
                chunks[chunks.count - 1].removeLast()
            } else {
                break
            }
        }
        return removed
    }

    /// Every key, in no particular order.
    public var keys: [IDKey] { index.keys }
    /// Every value, in the order they were first stored.
    public var values: [Value] {
        var out: [Value] = []
        out.reserveCapacity(count)
        for chunk in chunks {
            for case let value? in chunk { out.append(value) }
        }
        return out
    }
}

extension ChunkedTable: Sequence {
    public struct Iterator: IteratorProtocol {
        fileprivate var entries: FlattenSequence<[[IDKey: UInt32]]>.Iterator
        fileprivate let chunks: [[Value?]]

        public mutating func next() -> (key: IDKey, value: Value)? {
            guard let (key, slot) = entries.next() else { return nil }
            let (chunk, offset) = ChunkedTable.position(slot)
            return (key, chunks[chunk][offset]!)
        }
    }

    /// Every entry, in no particular order.
    public func makeIterator() -> Iterator {
        Iterator(entries: index.makeIterator(), chunks: chunks)
    }
}

extension ChunkedTable: Equatable where Value: Equatable {
    /// Entry by entry (whatever the slots and shard counts).
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension ChunkedTable: Hashable where Value: Hashable {
    /// Independent of the order of the entries, as `==` is.
    public func hash(into hasher: inout Hasher) {
        hasher.combineUnordered(lazy.map { ($0.key, $0.value) }, count: count)
    }
}

extension ChunkedTable: IDKeyedTable {}
