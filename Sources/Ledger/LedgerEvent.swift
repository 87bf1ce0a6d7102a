import JSON

/// One thing that happened, before the ledger gives it a seq, a time and a place in the chain.
public struct LedgerEvent: Sendable, Hashable {
    /// Dotted event name, e.g. `call.triaged`.
    public var type: String
    /// The API key id that caused it, or `system`.
    public var actor: String
    /// The event's data; an object by convention. Changing it drops `serializedBody`.
    public var body: JSONValue {
        didSet { serializedBody = nil }
    }
    /// `body` as compact JSON (`body.serialized()`, byte for byte), when the appender already
    /// wrote it from pieces it serialised anyway (the call's answer shares them): the ledger
    /// then splices these bytes instead of serialising `body` again. nil: the ledger serialises it.
    public private(set) var serializedBody: [UInt8]?

    public init(type: String, actor: String, body: JSONValue) {
        self.type = type
        self.actor = actor
        self.body = body
        self.serializedBody = nil
    }

    /// An event whose body the caller has already serialised. Debug builds check the bytes
    /// against `body.serialized()`: a record must hash the same however it was written.
    public init(type: String, actor: String, body: JSONValue, serializedBody: [UInt8]) {
        assert(serializedBody == body.serialized(), "serializedBody is not body.serialized()")
        self.type = type
        self.actor = actor
        self.body = body
        self.serializedBody = serializedBody
    }

    /// The same record either way: pre-serialised bytes are only a way of writing `body`.
    public static func == (lhs: LedgerEvent, rhs: LedgerEvent) -> Bool {
        lhs.type == rhs.type && lhs.actor == rhs.actor && lhs.body == rhs.body
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(actor)
        hasher.combine(body)
    }
}
