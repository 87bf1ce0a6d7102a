/// Ids in the order of the ledger records that last touched them: the cursor of a long poll is a
/// sequence number, and an id appears once, at its latest change.
public struct ChangeFeed: Sendable, Hashable {
    private var entries: [(seq: UInt64, id: String)] = []
    private var latest = ShardedDictionary<IDKey, UInt64>()

    public init() {}

    /// The sequence number of the newest change in the feed (0 when empty).
    public var lastSeq: UInt64 { entries.last?.seq ?? 0 }

    public mutating func record(_ id: String, seq: UInt64) {
        latest[id] = seq
        entries.append((seq, id))
        // Stale entries accumulate as ids change again; compact when they outnumber live ones.
        if entries.count > 1024 && entries.count > 2 * latest.count {
            entries.removeAll { latest[$0.id] != $0.seq }
        }
    }

    /// Ids whose latest change is after `after`, oldest first, with that change's sequence number.
    /// A page never ends inside one record's changes (it may exceed `limit` to finish them): the
    /// next cursor is a sequence number, so a split record would lose the rest of its ids.
    public func changes(after: UInt64, limit: Int, where include: (String) -> Bool = { _ in true }) -> [(seq: UInt64, id: String)] {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].seq <= after { low = mid + 1 } else { high = mid }
        }
        var result: [(seq: UInt64, id: String)] = []
        var index = low
        while index < entries.count {
            let entry = entries[index]
            if result.count >= limit, entry.seq != result.last?.seq { break }
            if latest[entry.id] == entry.seq && include(entry.id) { result.append(entry) }
            index += 1
        }
        return result
    }

    public static func == (lhs: ChangeFeed, rhs: ChangeFeed) -> Bool {
        lhs.latest == rhs.latest && lhs.entries.map(\.seq) == rhs.entries.map(\.seq)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(latest)
    }
}
