/// When the next state snapshot is due. Each snapshot encodes the whole state, so taking one every
/// fixed number of records would cost, per record, more and more as the state grows (quadratic
/// over the service's life). Instead the records between two snapshots grow with the state: at
/// least `interval`, and at least `tailFraction` of the records the last snapshot covered. All
/// the snapshots up to one through seq S then encode at most (1 + tailFraction) / tailFraction × S
/// calls (a geometric series): a bounded share of the commits, however large the state grows.
/// A start replays after its snapshot at most max(interval, tailFraction × its records) records,
/// plus what came in during `minimumSeconds`, which spaces snapshots under a burst of writes.
public struct SnapshotSchedule: Sendable, Hashable {
    /// The fewest records between two snapshots (0: never take one).
    public var interval: UInt64
    /// The records between two snapshots as a fraction of those the last one covered.
    public var tailFraction: Double
    /// The shortest time between two snapshots taken by one process.
    public var minimumSeconds: Double

    /// Chosen from measurement (docs/SERVICE.md, "Snapshots").
    public static let defaultTailFraction = 1.0

    public init(interval: UInt64, tailFraction: Double, minimumSeconds: Double = 0) {
        self.interval = interval
        self.tailFraction = tailFraction.isFinite ? max(0, tailFraction) : 0
        self.minimumSeconds = max(0, minimumSeconds)
    }

    /// The seq from which the snapshot after one through `lastSnapshotSeq` (0: none yet) is due
    /// by records; nil when snapshots are off.
    public func nextDue(after lastSnapshotSeq: UInt64) -> UInt64? {
        guard interval > 0 else { return nil }
        let proportional = (Double(lastSnapshotSeq) * tailFraction).rounded(.up)
        let gap = proportional >= 1e18 ? UInt64(1e18) : max(interval, UInt64(proportional))
        let (due, overflow) = lastSnapshotSeq.addingReportingOverflow(gap)
        return overflow ? UInt64.max : due
    }

    /// Whether a snapshot is due once the state has folded records through `seq`, the last
    /// snapshot having gone through `lastSnapshotSeq` and been taken `secondsSinceLast` ago
    /// (nil: none taken by this process).
    public func isDue(lastSnapshotSeq: UInt64, seq: UInt64, secondsSinceLast: Double?) -> Bool {
        guard let due = nextDue(after: lastSnapshotSeq), seq >= due else { return false }
        return secondsSinceLast.map { $0 >= minimumSeconds } ?? true
    }
}
