/// A set split by hash into 256 sets, for the same reason as `ShardedDictionary`: no insert
/// rehashes, and no change after a copy copies, more than 1/256 of it.
public struct ShardedSet<Element: Hashable & Sendable>: Sendable, Hashable, ExpressibleByArrayLiteral {
    private var members = ShardedDictionary<Element, Bool>()

    public init() {}

    public init(arrayLiteral elements: Element...) {
        for element in elements { insert(element) }
    }

    @discardableResult
    public mutating func insert(_ member: Element) -> Bool {
        members.updateValue(true, forKey: member) == nil
    }

    @discardableResult
    public mutating func remove(_ member: Element) -> Element? {
        members.removeValue(forKey: member) == nil ? nil : member
    }

    public func contains(_ member: Element) -> Bool { members[member] != nil }
    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var capacity: Int { members.capacity }
    /// How many times a shard outgrew its storage (`ShardedDictionary.growths`).
    public var growths: Int { members.growths }
}

/// Membership by an id's string, for sets of `IDKey`.
extension ShardedSet where Element == IDKey {
    @discardableResult
    public mutating func insert(_ id: String) -> Bool { insert(IDKey(id)) }

    @discardableResult
    public mutating func remove(_ id: String) -> IDKey? { remove(IDKey(id)) }

    public func contains(_ id: String) -> Bool { contains(IDKey(id)) }
}
