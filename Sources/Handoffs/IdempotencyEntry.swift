import Foundation
import JSON

/// The first answer to a POST with an `Idempotency-Key`, kept in the command's own ledger record
/// so that a retry after a restart still gets it.
public struct IdempotencyEntry: Sendable, Hashable {
    /// Who sent it (the key id): one caller's key never replays another caller's answer.
    public var actor: String
    public var key: String
    /// SHA-256 (hex) of the request body: the same key with another body is refused.
    public var bodyHash: String
    public var status: Int
    public var response: JSONValue
    public var at: Date

    public init(actor: String, key: String, bodyHash: String, status: Int, response: JSONValue, at: Date) {
        self.actor = actor
        self.key = key
        self.bodyHash = bodyHash
        self.status = status
        self.response = response
        self.at = at
    }

    /// How long an answer is kept: API.md promises at least 24 hours.
    public static let retention: TimeInterval = 24 * 3600

    public var storageKey: String { IdempotencyEntry.storageKey(actor: actor, key: key) }

    public static func storageKey(actor: String, key: String) -> String { actor + "\u{1F}" + key }

    /// The form stored in a command's record (`body.idempotency`); `at` is the record's own time.
    public var json: JSONValue {
        ["key": .string(key), "body_sha256": .string(bodyHash), "status": .int(status), "response": response]
    }

    public init?(json: JSONValue, actor: String, at: Date) {
        guard let key = json["key"]?.stringValue, let hash = json["body_sha256"]?.stringValue,
              let status = json["status"]?.intValue, let response = json["response"] else { return nil }
        self.init(actor: actor, key: key, bodyHash: hash, status: Int(status), response: response, at: at)
    }
}
