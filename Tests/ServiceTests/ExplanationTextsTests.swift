import JSON
import Testing
import Triage
@testable import Service

/// A triage answer's `not_matched` items are written from texts serialised once per text key:
/// byte for byte what writing each string afresh gives, on a first use and on every later one,
/// and again after the rule set's revision changes.
@Suite struct ExplanationTextsTests {
    static func plain(_ items: [Explanation.NotMatched]) -> [UInt8] {
        var out = JSONWriter()
        out.beginArray()
        for item in items {
            out.beginObject()
            out.key("rule_id"); out.string(item.ruleID)
            out.key("condition"); out.string(item.condition)
            out.key("field"); out.string(item.field)
            out.key("value"); out.string(item.value)
            out.endObject()
        }
        out.endArray()
        return out.bytes
    }

    static func cached(_ items: [Explanation.NotMatched], _ texts: ExplanationTexts, revision: String) -> [UInt8] {
        var out = JSONWriter()
        out.beginArray()
        for item in items { texts.write(item, revision: revision, into: &out) }
        out.endArray()
        return out.bytes
    }

    @Test func cachedTextsWriteWhatPlainWritingDoes() throws {
        let rules = try TestRules.load()
        let calls = [Calls.careNeed("CAD-1"), Calls.careNeed("CAD-2", area: "E09000001", subject: nil)]
            .map { try! #require(try? Call.decode($0).get()) }
        let texts = ExplanationTexts()
        var items: [Explanation.NotMatched] = []
        for call in calls { items += rules.explain(call).notMatched }
        #expect(!items.isEmpty)
        for round in 1...2 {
            #expect(Self.cached(items, texts, revision: rules.revision) == Self.plain(items), "round \(round)")
        }
        #expect(texts.revision == rules.revision)
        #expect(texts.count == Set(items.map(\.textKey)).count)
        // Another revision starts again.
        #expect(Self.cached(Array(items.prefix(1)), texts, revision: "sha256:other") == Self.plain(Array(items.prefix(1))))
        #expect(texts.count == 1)
    }
}
