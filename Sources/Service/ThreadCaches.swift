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

/// Values made from one rule set revision, by key, for the per-thread caches: a value of another
/// revision (a reload) starts the cache again, and so does reaching `limit`.
struct RevisionCache<Key: Hashable, Value> {
    let limit: Int
    private(set) var revision = ""
    private var values: [Key: Value] = [:]

    init(limit: Int) {
        self.limit = limit
    }

    var count: Int { values.count }

    /// The value for `key` of `revision`: the cached one when `isCurrent` accepts it, else
    /// `make()`'s, which is cached.
    mutating func value(revision: String, key: Key, isCurrent: (Value) -> Bool = { _ in true }, make: () -> Value) -> Value {
        if revision != self.revision {
            self.revision = revision
            values.removeAll()
        }
        if let cached = values[key], isCurrent(cached) { return cached }
        if values.count >= limit { values.removeAll() }
        let value = make()
        values[key] = value
        return value
    }
}

/// One rule set revision's `Explanation.NotMatched` texts (rule id, condition, field) as JSON
/// members, by text key: a triage answer lists every higher-priority rule that did not match
/// (35 for the bench call, ~5 KB), and copying these is cheaper than escaping three strings each.
final class ExplanationTexts {
    /// Bounded: the keys of one revision are its condition parts times its fields.
    static let limit = 65_536
    private var texts = RevisionCache<Int, [UInt8]>(limit: ExplanationTexts.limit)
    var revision: String { texts.revision }
    var count: Int { texts.count }

    /// Writes `item` as the answer's `{"rule_id", "condition", "field", "value"}` object.
    func write(_ item: Explanation.NotMatched, revision: String, into out: inout JSONWriter) {
        let members = texts.value(revision: revision, key: item.textKey,
                                  isCurrent: { known in
                                      assert(known == Self.render(item), "text key \(item.textKey) of \(revision) has another text")
                                      return true
                                  },
                                  make: { Self.render(item) })
        out.beginObject()
        out.fragment(members)
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
