/// One agency's handoffs in the order of the ledger records that changed them: its partner's
/// long poll reads it with a sequence number as the cursor, and a handoff shows once, at its
/// latest change.
///
/// Every change to a handoff routed to the agency is appended. Whether an entry is still its
/// handoff's latest change is read from the handoff itself (`Handoff.changedSeq`, which the
/// caller supplies as `isCurrent`): unlike `ChangeFeed`, the feed keeps no table of its own
/// from id to latest change, which was one more random insert into a table of every handoff on
/// each commit. Superseded entries are counted, and dropped once they outnumber the live ones.
public struct AgencyFeed: Sendable, Hashable {
    private var entries = SegmentedArray<Change>()
    /// Entries that a later change of the same handoff superseded.
    public private(set) var superseded = 0

    private struct Change: Sendable, Hashable {
        var seq: UInt64
        var id: String
    }

    public init() {}

    /// The sequence number of the newest change in the feed (0 when empty).
    public var lastSeq: UInt64 { entries.last?.seq ?? 0 }

    /// Entries held, superseded ones included.
    public var count: Int { entries.count }

    /// Appends a change; `supersedes`: the handoff was in this feed already (a move, not a birth).
    /// Sequence numbers must not go down.
    public mutating func record(_ id: String, seq: UInt64, supersedes: Bool) {
        assert(seq >= lastSeq, "feed changes out of order")
        entries.append(Change(seq: seq, id: id))
        if supersedes { superseded += 1 }
    }

    /// Whether superseded entries now outnumber live ones in a feed worth compacting.
    public var needsCompaction: Bool {
        entries.count > 1024 && 2 * superseded > entries.count
    }

    /// Drops the entries that are no longer their handoff's latest change.
    public mutating func compact(isCurrent: (_ id: String, _ seq: UInt64) -> Bool) {
        entries.removeAll { !isCurrent($0.id, $0.seq) }
        superseded = 0
    }

    /// Ids whose latest change is after `after`, oldest first, with that change's sequence number.
    /// A page never ends inside one record's changes (it may exceed `limit` to finish them): the
    /// next cursor is a sequence number, so a split record would lose the rest of its ids.
    public func changes(after: UInt64, limit: Int, isCurrent: (_ id: String, _ seq: UInt64) -> Bool,
                        where include: (String) -> Bool = { _ in true }) -> [(seq: UInt64, id: String)] {
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
            if isCurrent(entry.id, entry.seq) && include(entry.id) { result.append((entry.seq, entry.id)) }
            index += 1
        }
        return result
    }
}
