import JSON
import Synchronization
import Triage

/// The members of a decision that its rule alone fixes (`outcome`, `police_attend`, `rule`,
/// `rule_set`, `caller_advice`, `agency_kinds`), as values and as JSON text. A rule decides many
/// calls, so POST /v1/calls takes them from a cache kept per rule set revision and rule rather
/// than building and serialising the same text for every call.
struct DecisionHead: Sendable {
    /// The members as values, in API.md's order, in an object with room for the rest.
    let fields: JSONObject
    /// The same members as JSON text, without braces.
    let bytes: [UInt8]
    /// The names of a recorded decision's members, in order: these, then the tail
    /// (`RCRPService.appendDecisionTail`), then `recordMembers`. Every decision this head starts
    /// shares the one array, so a call keeps only its decision's values (a copy of the names,
    /// grown by appending, was ~0.5 KB of every call the state holds).
    let recordedKeys: [String]
    /// What a recorded decision adds after the tail, in order.
    static let recordMembers = ["decision_id", "kind", "by", "decided_at"]
    /// What they were made from: a cached head is used only for a decision that still has it
    /// (the rule's strings are shared storage, so comparing them is a pointer check).
    private let source: Source

    private struct Source: Sendable, Equatable {
        var ruleID, ruleTitle, rationale, citation, callerAdvice, ruleSetName, ruleSetRevision: String
        var outcome: Outcome
        var agencyKinds: [AgencyKind]

        init(_ decision: Decision) {
            ruleID = decision.ruleID; ruleTitle = decision.ruleTitle; rationale = decision.rationale
            citation = decision.citation; callerAdvice = decision.callerAdvice
            ruleSetName = decision.ruleSetName; ruleSetRevision = decision.ruleSetRevision
            outcome = decision.outcome; agencyKinds = decision.agencyKinds
        }
    }

    init(_ decision: Decision) {
        source = Source(decision)
        var object = JSONObject(capacity: 16)
        Self.appendMembers(of: decision, to: &object)
        fields = object
        var out = JSONWriter(capacity: 1024)
        out.members(object)
        bytes = out.bytes
        var tail = JSONObject()
        RCRPService.appendDecisionTail(of: decision, flags: [], to: &tail)
        recordedKeys = object.keys + tail.keys + Self.recordMembers
    }

    /// Appends the members to `object`, which must not have them yet.
    static func appendMembers(of decision: Decision, to object: inout JSONObject) {
        object.appendNew("outcome", .string(decision.outcome.rawValue))
        object.appendNew("police_attend", .bool(decision.policeAttend))
        var rule = JSONObject(capacity: 4)
        rule.appendNew("id", .string(decision.ruleID))
        rule.appendNew("title", .string(decision.ruleTitle))
        rule.appendNew("rationale", .string(decision.rationale))
        rule.appendNew("citation", .string(decision.citation))
        object.appendNew("rule", .object(rule))
        var ruleSet = JSONObject(capacity: 2)
        ruleSet.appendNew("name", .string(decision.ruleSetName))
        ruleSet.appendNew("revision", .string(decision.ruleSetRevision))
        object.appendNew("rule_set", .object(ruleSet))
        object.appendNew("caller_advice", .string(decision.callerAdvice))
        object.appendNew("agency_kinds", .array(decision.agencyKinds.map { .string($0.rawValue) }))
    }

    /// Heads by rule set revision, then rule id; bounded, since reloads bring new revisions.
    private static let cache = Mutex<[String: [String: DecisionHead]]>([:])
    private static let cacheLimit = 4096

    /// The head of `decision`, from the cache when its rule and revision are there unchanged.
    static func of(_ decision: Decision) -> DecisionHead {
        let revision = decision.ruleSetRevision, ruleID = decision.ruleID
        if let cached = cache.withLock({ $0[revision]?[ruleID] }), cached.source == Source(decision) { return cached }
        let head = DecisionHead(decision)
        cache.withLock { cache in
            if cache.values.reduce(0, { $0 + $1.count }) >= cacheLimit { cache.removeAll() }
            cache[revision, default: [:]][ruleID] = head
        }
        return head
    }
}
