/// An array that grows a segment of `segmentSize` elements at a time instead of doubling (its
/// first segment grows as an Array does, up to one segment), for the state's lists that gain an
/// entry with every call (the call order, each agency's feed, the deadline queue). An `Array` of
/// 500,000 entries that doubles copies all of them, under the state lock, into fresh memory (a
/// page fault per 4 KiB); past the first segment, appending here never moves what is held.
/// Copy-on-write a segment at a time: after a copy (a stats scan), the next append copies the
/// last segment and the list of segments, not the whole.
public struct SegmentedArray<Element> {
    private var segments: [[Element]] = []
    public private(set) var count = 0

    /// A power of two, so that an index splits with a shift and a mask.
    static var segmentSize: Int { 1024 }

    public init() {}

    public init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    public mutating func append(_ element: Element) {
        if segments.isEmpty || segments[segments.count - 1].count == Self.segmentSize {
            var segment: [Element] = []
            // The first segment grows as an Array does, so that a short list (an agency's feed)
            // stays small; the others are allocated whole.
            if !segments.isEmpty { segment.reserveCapacity(Self.segmentSize) }
            segments.append(segment)
        } else if segments.count == 1, segments[0].count == segments[0].capacity, 2 * segments[0].count >= Self.segmentSize {
            // The first segment's last growth stops at a segment, not at twice one.
            segments[0].reserveCapacity(Self.segmentSize)
        }
        segments[segments.count - 1].append(element)
        count += 1
    }

    @discardableResult
    public mutating func removeLast() -> Element {
        precondition(count > 0, "removeLast from an empty SegmentedArray")
        let element = segments[segments.count - 1].removeLast()
        if segments[segments.count - 1].isEmpty { segments.removeLast() }
        count -= 1
        return element
    }

    /// Keeps the elements for which `shouldBeRemoved` is false, in order.
    public mutating func removeAll(where shouldBeRemoved: (Element) throws -> Bool) rethrows {
        var kept = SegmentedArray()
        for element in self where try !shouldBeRemoved(element) { kept.append(element) }
        self = kept
    }

    /// Elements it holds without allocating: changes exactly when storage is allocated (the
    /// first segment growing, or a segment added).
    public var capacity: Int {
        guard let last = segments.last else { return 0 }
        return (segments.count - 1) * Self.segmentSize + last.capacity
    }
}

extension SegmentedArray: RandomAccessCollection, MutableCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Element {
        get {
            precondition(position >= 0 && position < count, "SegmentedArray index out of range")
            return segments[position / Self.segmentSize][position % Self.segmentSize]
        }
        _modify {
            precondition(position >= 0 && position < count, "SegmentedArray index out of range")
            yield &segments[position / Self.segmentSize][position % Self.segmentSize]
        }
    }
}

extension SegmentedArray: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: Element...) {
        self.init(elements)
    }
}

extension SegmentedArray: Sendable where Element: Sendable {}

extension SegmentedArray: Equatable where Element: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}

extension SegmentedArray: Hashable where Element: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for element in self { hasher.combine(element) }
    }
}
