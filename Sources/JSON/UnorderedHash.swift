extension Hasher {
    /// Feeds a collection of key–value entries whose `==` ignores their order (a JSON object, the
    /// state's tables): each entry is hashed on its own and the results are combined with XOR,
    /// so any order of the same entries hashes alike.
    public mutating func combineUnordered<Key: Hashable, Value: Hashable>(_ entries: some Sequence<(Key, Value)>, count: Int) {
        var combined = 0
        for (key, value) in entries {
            var entry = Hasher()
            entry.combine(key)
            entry.combine(value)
            combined ^= entry.finalize()
        }
        combine(count)
        combine(combined)
    }
}
