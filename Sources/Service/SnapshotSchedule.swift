/// When the next state snapshot is due. Each snapshot encodes the whole state, so taking one every
/// fixed number of records would cost, per record, more and more as the state grows (quadratic
/// over the service's life). Instead the records between two snapshots grow with the state: at
/// least `interval`, and at least `tailFraction` of the records the last snapshot covered. The
/// work of all snapshots then stays within (1 + tailFraction) / tailFraction times the work of
/// encoding the final state once — a bounded share of the commits — and a start replays after
/// the newest snapshot at most max(interval, tailFraction × its records) records.
public struct SnapshotSchedule: Sendable, Hashable {
    /// The fewest records between two snapshots (0: never take one).
    public var interval: UInt64
    /// The records between two snapshots as a fraction of those the last one covered.
    public var tailFraction: Double

    public init(interval: UInt64, tailFraction: Double) {
        self.interval = interval
        self.tailFraction = max(0, tailFraction)
    }

    /// The seq at which the snapshot after one through `lastSnapshotSeq` (0: none yet) is due;
    /// nil when snapshots are off.
    public func nextDue(after lastSnapshotSeq: UInt64) -> UInt64? {
        guard interval > 0 else { return nil }
        let proportional = (Double(lastSnapshotSeq) * tailFraction).rounded(.up)
        let gap = proportional >= Double(UInt64.max / 2) ? UInt64.max / 2 : max(interval, UInt64(proportional))
        let (due, overflow) = lastSnapshotSeq.addingReportingOverflow(gap)
        return overflow ? UInt64.max : due
    }

    /// Whether a snapshot is due once the state has folded records through `seq`.
    public func isDue(lastSnapshotSeq: UInt64, seq: UInt64) -> Bool {
        nextDue(after: lastSnapshotSeq).map { seq >= $0 } ?? false
    }
}
