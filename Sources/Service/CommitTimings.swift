/// Where the commit path's time went (`RCRPService.commitTimings`): the benchmarks print it.
public struct CommitTimings: Sendable {
    /// The state lock held per batch by the committer, in batches that neither followed a
    /// snapshot nor grew a large collection…
    public var lockHold: DurationHistogram
    /// …in the first batch after a snapshot took its copy (copy-on-write of what the batch changed)…
    public var lockHoldAfterSnapshot: DurationHistogram
    /// …and in batches in which a large collection outgrew its capacity (a rehash or reallocation).
    public var lockHoldGrowing: DurationHistogram
    public var snapshots: [SnapshotTiming]
}

/// One snapshot written: how large, and how long its encoding and its write took (off the commit path).
public struct SnapshotTiming: Sendable, Hashable {
    public var throughSeq: UInt64
    public var calls: Int
    public var bytes: Int
    public var encodeSeconds: Double
    public var writeSeconds: Double
}
