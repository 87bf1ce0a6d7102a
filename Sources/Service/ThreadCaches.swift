import Foundation
import JSON
import Triage

/// What a thread that answers requests (an event loop, mostly) keeps of the rule set's text,
/// serialised once: each thread its own, so that the loops never share a lock or a reference
/// count for them (shared, both loops' CPUs retained and released the same objects for every
/// request). Touched only by its own thread; released when the thread ends.
final class ThreadCaches {
    let decisionHeads = DecisionHead.ThreadCache()
    let explanationTexts = ExplanationTexts()

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let rc = pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<ThreadCaches>.fromOpaque(pointer).release() }
        }
        precondition(rc == 0, "pthread_key_create failed: \(rc)")
        return key
    }()

    /// The calling thread's caches, made on its first use.
    static var current: ThreadCaches {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<ThreadCaches>.fromOpaque(pointer).takeUnretainedValue()
        }
        let caches = ThreadCaches()
        pthread_setspecific(key, Unmanaged.passRetained(caches).toOpaque())
        return caches
    }
}

/// One rule set revision's `Explanation.NotMatched` texts (rule id, condition, field) as JSON
/// members, by text key: a triage answer lists every higher-priority rule that did not match
/// (35 for the bench call, ~5 KB), and copying these is cheaper than escaping three strings each.
final class ExplanationTexts {
    /// Bounded: the keys of one revision are its condition parts times its fields.
    static let limit = 65_536
    private(set) var revision = ""
    private(set) var members: [Int: [UInt8]] = [:]

    /// Writes `item` as the answer's `{"rule_id", "condition", "field", "value"}` object.
    func write(_ item: Explanation.NotMatched, revision: String, into out: inout JSONWriter) {
        if revision != self.revision || members.count >= Self.limit {
            self.revision = revision
            members.removeAll()
        }
        let texts: [UInt8]
        if let known = members[item.textKey] {
            texts = known
            assert(known == Self.render(item), "text key \(item.textKey) of \(revision) has another text")
        } else {
            texts = Self.render(item)
            members[item.textKey] = texts
        }
        out.beginObject()
        out.fragment(texts)
        out.key("value"); out.string(item.value)
        out.endObject()
    }

    private static func render(_ item: Explanation.NotMatched) -> [UInt8] {
        var out = JSONWriter(capacity: 256)
        out.key("rule_id"); out.string(item.ruleID)
        out.key("condition"); out.string(item.condition)
        out.key("field"); out.string(item.field)
        return out.bytes
    }
}
