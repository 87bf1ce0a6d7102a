import Foundation

/// Open handoffs by their next deadline: a binary min-heap, so that the timer finds the earliest
/// deadline at once and the overdue ones without looking at every open handoff. Entries for
/// handoffs that moved on are left in place and skipped; the fold pops them off the top.
public struct DeadlineQueue: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var deadline: Date
        public var handoffID: String
    }

    private var heap = SegmentedArray<Entry>()

    public init() {}

    public var count: Int { heap.count }
    public var first: Entry? { heap.first }

    public mutating func insert(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    public mutating func removeFirst() -> Entry? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let first = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && Self.before(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && Self.before(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }

    /// Every entry due at `now` (stale ones included; the caller checks), visiting only the part
    /// of the heap that is due.
    public func due(at now: Date) -> [Entry] {
        var result: [Entry] = []
        var stack = heap.isEmpty ? [] : [0]
        while let index = stack.popLast() {
            guard heap[index].deadline <= now else { continue }
            result.append(heap[index])
            let left = 2 * index + 1
            if left < heap.count { stack.append(left) }
            if left + 1 < heap.count { stack.append(left + 1) }
        }
        return result
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline < b.deadline || (a.deadline == b.deadline && a.handoffID < b.handoffID)
    }
}
