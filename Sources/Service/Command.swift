import Foundation
import Handoffs
import HTTPServer
import Ledger

/// One request that must go through the ledger: it is decided against the durable state when
/// its batch is formed, and answered only once its record is fsynced.
struct Command: Sendable {
    /// The entities it touches (call, handoff, agency, idempotency key, subject), as hashes of
    /// their keys: two commands sharing one never go in the same batch, so each is decided on the
    /// other's result. Hashed where the command is made (an event loop), so that the one
    /// committer forms batches from integers; two keys with one hash only put two commands in
    /// different batches, which is always safe.
    let conflicts: [Int]
    /// Touches many entities, or what every call reads (any change to the agencies): runs in a
    /// batch of its own, after everything before it is folded and before anything after it.
    var exclusive = false
    var decide: @Sendable (borrowing ServiceState, Date) -> CommandDecision

    init(conflictKeys: [String], exclusive: Bool = false, decide: @escaping @Sendable (borrowing ServiceState, Date) -> CommandDecision) {
        conflicts = conflictKeys.map(\.hashValue)
        self.exclusive = exclusive
        self.decide = decide
    }
}

/// What a command turned out to be once decided.
enum CommandDecision: Sendable {
    /// Append this record; send this answer once it is durable. `callBytes`: the record's `call`
    /// already serialised (`ServiceState.apply`), when the command has it.
    case record(LedgerEvent, answer: HTTPResponse, callBytes: [UInt8]? = nil)
    /// Nothing to record (a refusal, an idempotent replay, a repeated move): answer at once.
    case answer(HTTPResponse)
}
