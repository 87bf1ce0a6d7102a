/// A subject reference as the key of the repeat-contact index. The reference is the control
/// room's own free text; the key carries its hash, worked out once when the key is made, so
/// that the index's tables (which grow with every new subject) rehash integers when they grow
/// rather than reading and hashing every reference's characters again. Equality still compares
/// the references themselves.
public struct SubjectKey: Hashable, Sendable, CustomStringConvertible {
    public let reference: String
    private let hash: Int

    public init(_ reference: String) {
        self.reference = reference
        hash = reference.hashValue
    }

    public static func == (lhs: SubjectKey, rhs: SubjectKey) -> Bool {
        lhs.hash == rhs.hash && lhs.reference == rhs.reference
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    public var description: String { reference }
}

/// Look-ups by the reference itself, for the collections keyed by `SubjectKey`.
extension ShardedDictionary where Key == SubjectKey {
    public subscript(reference: String) -> Value? {
        get { self[SubjectKey(reference)] }
        _modify { yield &self[SubjectKey(reference)] }
    }

    @discardableResult
    public mutating func removeValue(forKey reference: String) -> Value? {
        removeValue(forKey: SubjectKey(reference))
    }
}
