import Foundation

/// The stored idempotent answers in the order their records were folded, so that each record
/// drops those that expired by its time without scanning them all: the fold used to rebuild the
/// whole dictionary every 1,024 records, under the state lock: a pause in proportion to a day's
/// answers (one per POST that sent a key).
struct IdempotencyExpiry: Sendable {
    private var entries: [(at: Date, key: String)] = []
    private var head = 0

    mutating func append(_ key: String, at: Date) {
        entries.append((at, key))
    }

    /// Calls `expired` with each key stored at or before `cutoff`, oldest first. Records are
    /// folded in seq order, whose times only rarely step back; an entry behind a later one then
    /// waits for it, and is kept a little longer than its retention, never less.
    mutating func removeExpired(through cutoff: Date, _ expired: (_ key: String, _ storedAt: Date) -> Void) {
        while head < entries.count, entries[head].at <= cutoff {
            expired(entries[head].key, entries[head].at)
            head += 1
        }
        // Drop the consumed front now and then (amortised: at least as many appends in between).
        if head >= 1024 && head * 2 >= entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }
}
