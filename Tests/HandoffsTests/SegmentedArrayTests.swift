import Handoffs
import Testing

@Suite struct SegmentedArrayTests {
    @Test func behavesAsAnArrayAcrossSegments() {
        var segmented = SegmentedArray<Int>()
        var plain: [Int] = []
        #expect(segmented.isEmpty)
        #expect(segmented.first == nil)
        // Past two segment boundaries (1,024 each), then back across one.
        for value in 0..<2_500 {
            segmented.append(value)
            plain.append(value)
        }
        segmented[1_023] = -1
        plain[1_023] = -1
        segmented[2_000] += 5
        plain[2_000] += 5
        segmented.swapAt(0, 2_499)
        plain.swapAt(0, 2_499)
        for _ in 0..<1_500 { #expect(segmented.removeLast() == plain.removeLast()) }
        #expect(segmented.count == plain.count)
        #expect(Array(segmented) == plain)
        #expect(segmented.first == plain.first && segmented.last == plain.last)
        segmented.removeAll { $0 % 3 == 0 }
        plain.removeAll { $0 % 3 == 0 }
        #expect(Array(segmented) == plain)
        #expect(segmented.firstIndex(of: 500) == plain.firstIndex(of: 500))
    }

    /// Past the first segment, growing adds a segment and never moves what is held; capacity
    /// changes only then. A short list stays small.
    @Test func capacityGrowsASegmentAtATimePastTheFirst() {
        var segmented = SegmentedArray<Int>()
        #expect(segmented.capacity == 0)
        segmented.append(1)
        #expect(segmented.capacity < 64)
        while segmented.count < 1_024 { segmented.append(segmented.count) }
        let first = segmented.capacity
        #expect(first >= 1_024 && first < 1_100)   // not doubled past a segment
        segmented.append(0)
        let two = segmented.capacity
        #expect(two >= first + 1_024 && two < first + 1_100)
        while segmented.count < 2_048 { segmented.append(0) }
        #expect(segmented.capacity == two)
        segmented.append(0)
        #expect(segmented.capacity >= two + 1_024)
        for _ in 0..<1_025 { segmented.removeLast() }
        #expect(segmented.capacity == first)
    }

    @Test func aCopyIsUnchangedByLaterChangesToTheOriginal() {
        var original = SegmentedArray((0..<3_000).map { [$0] })
        let copy = original
        original[5].append(-1)
        original[2_999].append(-1)
        original.append([])
        #expect(copy.count == 3_000)
        #expect(copy[5] == [5] && copy[2_999] == [2_999])
        #expect(original[5] == [5, -1])
        #expect(copy != original)
        #expect(SegmentedArray(Array(copy)) == copy)
        #expect(SegmentedArray(Array(copy)).hashValue == copy.hashValue)
    }
}
