/// A ledger record the fold cannot apply: names the record so that a person can inspect it.
public struct StateFoldError: Error, Sendable, Hashable, CustomStringConvertible {
    public var seq: UInt64
    public var type: String
    public var reason: String

    public init(seq: UInt64, type: String, reason: String) {
        self.seq = seq
        self.type = type
        self.reason = reason
    }

    public var description: String { "ledger record \(seq) (\(type)): \(reason)" }
}
