import Handoffs

extension DurableState {
    /// How long the committer held the state lock to apply each batch (the sum over its records),
    /// split by what else happened in that batch: the first batch after a snapshot took its
    /// copy pays for copying every collection it changes (copy-on-write), and a batch in which a
    /// large collection outgrew its capacity pays for a rehash. Readers wait that long.
    struct LockHolds: Sendable {
        var ordinary = DurationHistogram()
        var afterSnapshot = DurationHistogram()
        var growing = DurationHistogram()
        /// A snapshot holds a copy that shares storage with the state: the next batch copies.
        var sharedWithSnapshot = false
    }
}

extension ServiceState {
    /// Changes whenever a collection that grows with every call reallocates (a shard rehash, or
    /// `callOrder`'s storage), without visiting every shard (that cost more than the fold).
    var largestCapacities: Int {
        calls.growths + handoffs.growths + subjectContacts.growths + callOrder.capacity
    }
}
