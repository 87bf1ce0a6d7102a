import Digests
import Foundation
import Handoffs
import HTTPServer
import JSON
import Ledger

extension RCRPService {
    /// Every route of API.md. Quick, pure answers run inline on the event loop (`onSync`);
    /// anything that touches the committer or may wait is async.
    public func makeRouter() -> Router {
        var router = Router()
        router.onSync(.GET, "/healthz") { _ in .text(200, "ok") }
        router.onSync(.GET, "/readyz") { [self] request in
            if let reason = notReadyReason { return .text(503, "not ready: \(reason)") }
            return .text(200, "ready")
        }
        router.onSync(.GET, "/metrics") { [self] _ in
            metrics.pollsWaiting(polls.waiting)
            metrics.handoffsByStatus(state.read { state in
                Dictionary(uniqueKeysWithValues: HandoffStatus.allCases.map { ($0.rawValue, state.handoffCounts[$0] ?? 0) })
            })
            var response = HTTPResponse(status: 200, body: metrics.exposition())
            response.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            return response
        }
        router.onSync(.GET, "/openapi.yaml") { [self] _ in
            var response = HTTPResponse(status: 200, body: Array(configuration.openAPIDocument.utf8))
            response.headers.set("Content-Type", "application/yaml; charset=utf-8")
            return response
        }

        router.onSync(.POST, "/v1/triage") { [self] request in try triage(request) }
        router.onDeferred(.POST, "/v1/calls") { [self] request, responder in try createCall(request, responder) }
        router.on(.GET, "/v1/calls") { [self] request in try await listCalls(request) }
        router.on(.GET, "/v1/calls/{call_id}") { [self] request in try await getCall(request) }
        router.on(.POST, "/v1/calls/{call_id}/retriage") { [self] request in try await retriage(request) }
        router.on(.POST, "/v1/calls/{call_id}/override") { [self] request in try await override(request) }
        router.on(.POST, "/v1/calls/{call_id}/caller-informed") { [self] request in try await callerInformed(request) }

        router.on(.POST, "/v1/agencies") { [self] request in try await registerAgency(request) }
        router.on(.GET, "/v1/agencies") { [self] request in try listAgencies(request) }
        router.on(.GET, "/v1/agencies/{id}") { [self] request in try getAgency(request) }
        router.on(.PUT, "/v1/agencies/{id}") { [self] request in try await updateAgency(request) }
        router.on(.DELETE, "/v1/agencies/{id}") { [self] request in try await deactivateAgency(request) }
        router.on(.POST, "/v1/agencies/{id}/keys") { [self] request in try await issueKey(request) }
        router.on(.DELETE, "/v1/agencies/{id}/keys/{key_id}") { [self] request in try await revokeKey(request) }

        router.onDeferred(.GET, "/v1/agencies/{id}/handoffs") { [self] request, responder in try pollAgencyHandoffs(request, responder) }
        router.on(.GET, "/v1/handoffs/{handoff_id}") { [self] request in try await getHandoff(request) }
        router.on(.POST, "/v1/handoffs/{handoff_id}/acknowledge") { [self] request in try await moveHandoff(request, .acknowledge) }
        router.on(.POST, "/v1/handoffs/{handoff_id}/accept") { [self] request in try await moveHandoff(request, .accept) }
        router.on(.POST, "/v1/handoffs/{handoff_id}/decline") { [self] request in try await moveHandoff(request, .decline) }
        router.on(.POST, "/v1/handoffs/{handoff_id}/complete") { [self] request in try await moveHandoff(request, .complete) }
        router.onDeferred(.GET, "/v1/escalations") { [self] request, responder in try pollEscalations(request, responder) }

        router.on(.GET, "/v1/audit") { [self] request in try await audit(request) }
        router.on(.GET, "/v1/audit/verify") { [self] request in try await verifyAudit(request) }
        router.on(.GET, "/v1/stats") { [self] request in try stats(request) }
        router.onSync(.GET, "/v1/rules") { [self] request in try rules(request) }
        router.on(.POST, "/v1/rules/reload") { [self] request in try await reload(request) }
        return router
    }

    // MARK: - Authentication and the two kinds of ledgered request

    /// The caller's principal if its key is known and its role is one of `roles`: 401, else 403.
    func authorize(_ request: HTTPRequest, _ roles: Set<Role>) throws(APIError) -> Principal {
        guard let key = KeyRing.bearer(request),
              let principal = keyRing.principal(forKey: key, state: state) else {
            throw APIError.unauthenticated
        }
        guard roles.contains(principal.role) else {
            throw APIError.forbidden("A \(principal.role.rawValue) key may not use \(request.method.rawValue) \(request.route ?? request.path).")
        }
        return principal
    }

    static let anyRole = Set(Role.allCases)

    /// What a write decided once checked against the durable state.
    enum WriteDecision: Sendable {
        /// Record `body` as a `type` record; answer `status` with `answer` once durable.
        /// `stored` replaces the answer kept for idempotent replays (to keep secrets out of the ledger).
        case write(type: String, body: JSONObject, status: Int, answer: JSONValue, stored: JSONValue? = nil)
        /// Like `write`, with the answer already rendered as JSON bytes (the hot path); `answer`
        /// builds the same value as a tree, only when an idempotent replay must be stored.
        /// `openBody` is `body` serialised without its closing brace (the record's own members
        /// are added after it), so that the ledger need not serialise the tree again; `callBytes`
        /// is the record's `call` serialised, which the fold keeps instead of serialising it again.
        case writeRendered(type: String, body: JSONObject, openBody: [UInt8], status: Int, rendered: [UInt8],
                           callBytes: [UInt8]?, answer: @Sendable () -> JSONValue)
        /// Nothing changes (a repeated move): answer at once.
        case unchanged(status: Int, answer: JSONValue)
    }

    /// Runs a write through the committer with `Idempotency-Key` handling: the same key with the
    /// same request (method, path and body) replays the first answer; the same key with any other
    /// request is refused (422), so a key reused on another handoff never silently skips a move.
    func write(_ request: HTTPRequest, _ principal: Principal, conflictKeys: [String], exclusive: Bool = false,
               decide: @escaping @Sendable (ServiceState, Date) throws(APIError) -> WriteDecision) async throws(APIError) -> HTTPResponse {
        let command = try writeCommand(request, principal, conflictKeys: conflictKeys, exclusive: exclusive, decide: decide)
        return await committer.submit(command, requestID: request.requestID)
    }

    /// `write` for a deferred route: the committer answers through `responder` once the record is
    /// durable, so the request needs no task of its own while it waits for the fsync.
    func write(_ request: HTTPRequest, _ principal: Principal, conflictKeys: [String], responder: Responder, prepared: PreparedWrite? = nil,
               decide: @escaping @Sendable (ServiceState, Date) throws(APIError) -> WriteDecision) throws(APIError) {
        let command = try writeCommand(request, principal, conflictKeys: conflictKeys, exclusive: false, prepared: prepared, decide: decide)
        committer.submit(command, requestID: request.requestID) { responder.respond($0) }
    }

    /// A write already decided on the event loop against what it read of the state then, with
    /// the test the committer applies: if the state still reads the same, it records this
    /// decision as it is; otherwise it decides again (`decide`) on the state it has.
    struct PreparedWrite: Sendable {
        var decision: WriteDecision
        /// The time the decision was made at (its ids, timestamps and deadlines).
        var decidedAt: Date
        var stillValid: @Sendable (borrowing ServiceState) -> Bool
    }

    private func writeCommand(_ request: HTTPRequest, _ principal: Principal, conflictKeys: [String], exclusive: Bool,
                              prepared: PreparedWrite? = nil,
                              decide: @escaping @Sendable (ServiceState, Date) throws(APIError) -> WriteDecision) throws(APIError) -> Command {
        let idempotencyKey = request.headers["Idempotency-Key"]
        if let key = idempotencyKey, key.isEmpty || key.utf8.count > 255 || !key.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value < 0x7F }) {
            throw APIError(400, "Bad Request", detail: "Idempotency-Key must be 1–255 visible ASCII characters.")
        }
        // The request's hash matters only to match a replay: without a key there is none.
        let bodyHash = idempotencyKey == nil ? "" : SHA256.hex(Array("\(request.method.rawValue) \(request.path)\n".utf8) + request.body)
        var keys = conflictKeys
        if let key = idempotencyKey { keys.append("idempotency:" + IdempotencyEntry.storageKey(actor: principal.keyID, key: key)) }
        let shape = WriteShape(requestID: request.requestID, actor: principal.keyID, idempotencyKey: idempotencyKey, bodyHash: bodyHash)
        // The record and the answer of the prepared decision, built here rather than by the committer.
        let ready = prepared.map { (decision: shape.command(for: $0.decision, now: $0.decidedAt), stillValid: $0.stillValid) }
        return Command(conflictKeys: keys, exclusive: exclusive) { state, now in
            if let key = idempotencyKey, let entry = state.idempotentAnswer(actor: principal.keyID, key: key, now: now) {
                guard entry.bodyHash == bodyHash else {
                    return .answer(APIError(422, "Unprocessable Content",
                                            detail: "This Idempotency-Key was used with a different request (method, path or body).",
                                            problems: [BodyProblem(field: "Idempotency-Key", problem: "was used with a different request")])
                        .response(requestID: shape.requestID))
                }
                var replay = HTTPResponse.json(entry.status, entry.response)
                replay.headers.set("Idempotent-Replayed", "true")
                return .answer(replay)
            }
            if let ready, ready.stillValid(state) { return ready.decision }
            do throws(APIError) {
                return shape.command(for: try decide(state, now), now: now)
            } catch {
                return .answer(error.response(requestID: shape.requestID))
            }
        }
    }

    /// What a write's record carries besides what it decided: its request id, and the answer kept
    /// for replays when it has an `Idempotency-Key`.
    private struct WriteShape: Sendable {
        var requestID: String
        var actor: String
        var idempotencyKey: String?
        var bodyHash: String

        func command(for decided: WriteDecision, now: Date) -> CommandDecision {
            let type: String
            var body: JSONObject
            var serialized: [UInt8]?   // `body` as JSON so far, without its closing brace
            var callBytes: [UInt8]?    // its `call` member serialised, for the fold
            let status: Int
            let response: HTTPResponse
            var kept: JSONValue?   // the answer stored for replays when there is a key
            switch decided {
            case .unchanged(let status, let answer):
                return .answer(.json(status, answer))
            case .write(let recordType, let recordBody, let answerStatus, let answer, let stored):
                type = recordType
                body = recordBody
                status = answerStatus
                response = .json(status, answer)
                kept = stored ?? answer
            case .writeRendered(let recordType, let recordBody, let openBody, let answerStatus, let rendered, let call, let build):
                type = recordType
                body = recordBody
                serialized = openBody
                callBytes = call
                status = answerStatus
                if idempotencyKey != nil {
                    // Replays serialize the stored value: send that same serialization now.
                    let answer = build()
                    kept = answer
                    response = .json(status, answer)
                } else {
                    response = HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: rendered)
                }
            }
            body["request_id"] = .string(requestID)
            var idempotency: JSONValue?
            if let key = idempotencyKey, let kept {
                idempotency = IdempotencyEntry(actor: actor, key: key, bodyHash: bodyHash, status: status, response: kept, at: now).json
                body["idempotency"] = idempotency
            }
            guard var bytes = serialized else {
                return .record(LedgerEvent(type: type, actor: actor, body: .object(body)), answer: response)
            }
            // Both members are new to `body`, so they come last there too.
            bytes.append(contentsOf: #","request_id":"#.utf8)
            JSONValue.string(requestID).serialize(into: &bytes)
            if let idempotency {
                bytes.append(contentsOf: #","idempotency":"#.utf8)
                idempotency.serialize(into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
            return .record(LedgerEvent(type: type, actor: actor, body: .object(body), serializedBody: bytes),
                           answer: response, callBytes: callBytes)
        }
    }

    /// What a read of personal data answers, and which calls and handoffs it disclosed.
    struct Disclosure: Sendable {
        var answer: JSONValue
        var callIDs: [String] = []
        var handoffIDs: [String] = []
    }

    /// Answers a read of personal data only once a `data.read` record of it is durable
    /// (Data Protection Act 2018 s62: who, what, when, through which endpoint). `actor` is the
    /// reading key's id.
    func disclose(_ request: HTTPRequest, actor: String,
                  build: @escaping @Sendable (ServiceState, Date) throws(APIError) -> Disclosure) async -> HTTPResponse {
        let requestID = request.requestID
        let endpoint = "\(request.method.rawValue) \(request.route ?? request.path)"
        let path = request.path
        let command = Command(conflictKeys: []) { state, now in
            do throws(APIError) {
                let disclosure = try build(state, now)
                guard !disclosure.callIDs.isEmpty || !disclosure.handoffIDs.isEmpty else {
                    return .answer(.json(200, disclosure.answer))
                }
                let body: JSONValue = [
                    "endpoint": .string(endpoint), "path": .string(path), "request_id": .string(requestID),
                    "call_ids": .array(disclosure.callIDs.map(JSONValue.string)),
                    "handoff_ids": .array(disclosure.handoffIDs.map(JSONValue.string)),
                ]
                return .record(LedgerEvent(type: "data.read", actor: actor, body: body), answer: .json(200, disclosure.answer))
            } catch {
                return .answer(error.response(requestID: requestID))
            }
        }
        return await committer.submit(command, requestID: requestID)
    }
}
