import JSON

/// One thing that happened, before the ledger gives it a seq, a time and a place in the chain.
public struct LedgerEvent: Sendable, Hashable {
    /// Dotted event name, e.g. `call.triaged`.
    public var type: String
    /// The API key id that caused it, or `system`.
    public var actor: String
    /// The event's data; an object by convention.
    public var body: JSONValue

    public init(type: String, actor: String, body: JSONValue) {
        self.type = type
        self.actor = actor
        self.body = body
    }
}
