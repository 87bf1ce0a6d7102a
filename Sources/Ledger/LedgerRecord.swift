import Foundation
import JSON

/// A committed event: what `GET /v1/audit` shows and what the state folds read.
public struct LedgerRecord: Sendable, Hashable {
    /// From 1, gap-free.
    public var seq: UInt64
    /// When it was committed, to the millisecond as written.
    public var at: Date
    public var type: String
    public var actor: String
    public var body: JSONValue
    /// The previous record's hash; 64 zeros for seq 1.
    public var prevHash: String
    /// SHA-256 over this record's payload without `hash` (see docs/LEDGER.md).
    public var hash: String

    public init(seq: UInt64, at: Date, type: String, actor: String, body: JSONValue, prevHash: String, hash: String) {
        self.seq = seq
        self.at = at
        self.type = type
        self.actor = actor
        self.body = body
        self.prevHash = prevHash
        self.hash = hash
    }

    /// {"seq","at","type","actor","body","prev_hash","hash"}, as the audit endpoint shows it.
    public var json: JSONValue {
        var object = JSONObject()
        object["seq"] = .int(Int64(seq))
        object["at"] = .string(RFC3339.format(at))
        object["type"] = .string(type)
        object["actor"] = .string(actor)
        object["body"] = body
        object["prev_hash"] = .string(prevHash)
        object["hash"] = .string(hash)
        return .object(object)
    }
}
