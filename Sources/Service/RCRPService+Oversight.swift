import Foundation
import Handoffs
import HTTPServer
import JSON
import Ledger
import Triage

extension RCRPService {
    // MARK: GET /v1/audit — the ledger's own records

    func audit(_ request: HTTPRequest) async throws -> HTTPResponse {
        let principal = try authorize(request, [.auditor])
        try requireReady(request)
        let after = try Query.cursor(request, "after")
        let limit = try Query.int(request, "limit", default: 100, range: 1...500)
        let records: [LedgerRecord]
        do {
            // A cursor at the very end of the sequence space has nothing after it (and + 1 would trap).
            records = after == .max ? [] : try ledger.records(from: after + 1, limit: limit)
        } catch {
            throw APIError.unavailable("The ledger cannot be read: \(error)")
        }
        let answer: JSONValue = ["records": .array(records.map(\.json)),
                                 "next_cursor": .string(String(records.last?.seq ?? after))]
        // Records of calls and handoffs carry personal data: reading them is logged; reading
        // only data.read records is not (else every audit poll would create the next one).
        let disclosed = records.filter {
            $0.type.hasPrefix("call.") || $0.type.hasPrefix("handoff.") || $0.type == "agency.deactivated" || $0.type == "agency.updated"
        }
        let callIDs = disclosed.compactMap { $0.body["call_id"]?.stringValue }.uniqued()
        let handoffIDs = disclosed.flatMap { RCRPService.handoffIDs(in: $0.body) }.uniqued()
        if callIDs.isEmpty && handoffIDs.isEmpty { return .json(200, answer) }
        return await disclose(request, actor: principal.keyID) { _, _ in
            Disclosure(answer: answer, callIDs: callIDs, handoffIDs: handoffIDs)
        }
    }

    /// A full walk of the chain as stored (seconds for millions of records), so it runs on its own
    /// serial queue: it never holds a thread of the cooperative pool the other requests need, and
    /// auditors asking at once are checked one after another rather than all at the same time.
    func verifyAudit(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try authorize(request, [.auditor])
        let ledger = self.ledger
        let result: Result<(records: UInt64, headHash: String), LedgerError> = await withCheckedContinuation { continuation in
            Self.verificationQueue.async {
                continuation.resume(returning: Result { () throws(LedgerError) in try ledger.verify() })
            }
        }
        switch result {
        case .success(let verified):
            return .json(200, ["ok": true, "records": .int(Int64(verified.records)), "head_hash": .string(verified.headHash)])
        case .failure(let error):
            return .json(200, ["ok": false, "records": .null, "head_hash": .null, "problem": .string(error.description)])
        }
    }

    private static let verificationQueue = DispatchQueue(label: "rcrp.audit-verify")

    // MARK: GET /v1/stats

    func stats(_ request: HTTPRequest) throws -> HTTPResponse {
        _ = try authorize(request, [.supervisor, .auditor])
        try requireReady(request)
        let from = try Query.date(request, "from")
        let to = try Query.date(request, "to")
        // Only the copy is taken under the lock; the scan runs outside it. (While the copy lives,
        // the committer's next change to those collections copies them once: milliseconds for
        // a million calls, against seconds of scanning under the lock.)
        let source = state.read { ServiceStats.Source($0) }
        let stats = ServiceStats(state: source, from: from, to: to, configuration: configuration)
        return .json(200, stats.json)
    }

    // MARK: GET /v1/rules, POST /v1/rules/reload

    func rules(_ request: HTTPRequest) throws -> HTTPResponse {
        _ = try authorize(request, Self.anyRole)
        return .json(200, Self.ruleSetJSON(ruleSet))
    }

    func reload(_ request: HTTPRequest) async throws -> HTTPResponse {
        _ = try authorize(request, [.admin])
        switch reloadRules() {
        case .success(let rules):
            return .json(200, Self.ruleSetJSON(rules))
        case .failure(let error):
            throw APIError.invalid(error.problems.map { problem in
                BodyProblem(field: "\(problem.file):\(problem.line)" + (problem.ruleID.map { " \($0)" } ?? ""), problem: problem.message)
            }, detail: "The rule set has \(error.problems.count) problem(s); the active set is unchanged.")
        }
    }

    static func ruleSetJSON(_ rules: RuleSet) -> JSONValue {
        [
            "name": .string(rules.name), "version": .string(rules.version), "revision": .string(rules.revision),
            "rules": .array(rules.rules.map { rule in
                [
                    "id": .string(rule.id), "title": .string(rule.title), "priority": .int(rule.priority),
                    "when": .string(rule.condition), "outcome": .string(rule.outcome.rawValue),
                    "agency_kinds": .array(rule.agencyKinds.map { .string($0.rawValue) }),
                    "rationale": .string(rule.rationale), "citation": .string(rule.citation),
                    "caller_advice": .string(rule.callerAdvice), "review_required": .bool(rule.reviewRequired),
                    "acknowledge_within_minutes": .optional(rule.acknowledgeWithinMinutes),
                    "accept_within_minutes": .optional(rule.acceptWithinMinutes),
                ]
            }),
        ]
    }
}
