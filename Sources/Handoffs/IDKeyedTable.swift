/// The state's tables keyed by `IDKey` (`ShardedDictionary<IDKey, _>`, `ChunkedTable`), which
/// also take look-ups by the id's string, converting it once.
public protocol IDKeyedTable {
    associatedtype Value
    subscript(key: IDKey) -> Value? { get set }
    @discardableResult mutating func updateValue(_ value: Value, forKey key: IDKey) -> Value?
    @discardableResult mutating func removeValue(forKey key: IDKey) -> Value?
}

extension IDKeyedTable {
    @inlinable
    public subscript(id: String) -> Value? {
        get { self[IDKey(id)] }
        _modify { yield &self[IDKey(id)] }
    }

    @inlinable @discardableResult
    public mutating func updateValue(_ value: Value, forKey id: String) -> Value? {
        updateValue(value, forKey: IDKey(id))
    }

    @inlinable @discardableResult
    public mutating func removeValue(forKey id: String) -> Value? {
        removeValue(forKey: IDKey(id))
    }
}
