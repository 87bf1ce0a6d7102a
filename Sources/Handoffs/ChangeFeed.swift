/// Ids in the order of the ledger records that last touched them: the cursor of a long poll is a
/// sequence number, and an id appears once, at its latest change. The escalation feed: an entry
/// is current by this feed's own record of each id's latest change (a handoff changes later
/// without re-entering it), kept in a table beside an `AgencyFeed`'s log of changes.
public struct ChangeFeed: Sendable, Hashable {
    private var log = AgencyFeed()
    private var latest = ShardedDictionary<IDKey, UInt64>()

    public init() {}

    /// The sequence number of the newest change in the feed (0 when empty).
    public var lastSeq: UInt64 { log.lastSeq }

    public mutating func record(_ id: String, seq: UInt64) {
        let previous = latest.updateValue(seq, forKey: id)
        log.record(id, seq: seq, supersedes: previous != nil)
        // Stale entries accumulate as ids change again; compact when they outnumber live ones.
        if log.needsCompaction {
            let latest = self.latest
            log.compact { latest[$0] == $1 }
        }
    }

    /// Ids whose latest change is after `after`, oldest first, with that change's sequence number
    /// (paged as `AgencyFeed.changes` pages).
    public func changes(after: UInt64, limit: Int, where include: (String) -> Bool = { _ in true }) -> [(seq: UInt64, id: String)] {
        log.changes(after: after, limit: limit, isCurrent: { latest[$0] == $1 }, where: include)
    }

    public static func == (lhs: ChangeFeed, rhs: ChangeFeed) -> Bool {
        lhs.latest == rhs.latest && lhs.log == rhs.log
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(latest)
    }
}
