import JSON
import Triage

/// The members of a decision that its rule alone fixes (`outcome`, `police_attend`, `rule`,
/// `rule_set`, `caller_advice`, `agency_kinds`), as values and as JSON text. A rule decides many
/// calls, so POST /v1/calls takes them from a cache kept per rule set revision and rule rather
/// than building and serialising the same text for every call.
///
/// A class, and cached per thread: a call copies one reference, and the event loops never touch
/// one another's heads. As a struct in one shared cache, every call retained and released the
/// head's dozen references (and took the cache's lock) on both loops' CPUs alike, so those
/// cache lines moved between the CPUs with every call.
final class DecisionHead: Sendable {
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

    private struct Source: Sendable {
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

    /// Whether `decision` has the members this head was made from (an override keeps the rule
    /// and revision with another outcome or other agencies). The rule's strings are shared
    /// storage, so the comparisons are pointer checks; nothing is copied.
    private func isHead(of decision: Decision) -> Bool {
        source.ruleID == decision.ruleID && source.ruleSetRevision == decision.ruleSetRevision
            && source.outcome == decision.outcome && source.agencyKinds == decision.agencyKinds
            && source.ruleTitle == decision.ruleTitle && source.rationale == decision.rationale
            && source.citation == decision.citation && source.callerAdvice == decision.callerAdvice
            && source.ruleSetName == decision.ruleSetName
    }

    /// One thread's heads of one rule set revision, by rule id. Touched only by its own thread.
    final class ThreadCache {
        static let limit = 4096
        private var heads = RevisionCache<String, DecisionHead>(limit: ThreadCache.limit)
        var count: Int { heads.count }

        func head(of decision: Decision) -> DecisionHead {
            heads.value(revision: decision.ruleSetRevision, key: decision.ruleID,
                        isCurrent: { $0.isHead(of: decision) }, make: { DecisionHead(decision) })
        }
    }

    /// The head of `decision`, from this thread's cache when its rule and revision are there
    /// unchanged.
    static func of(_ decision: Decision) -> DecisionHead {
        ThreadCaches.current.decisionHeads.head(of: decision)
    }
}
