import Foundation
import Testing
@testable import Handoffs

@Suite struct SubjectKeyTests {
    /// Keys match exactly when the references are equal strings, canonical equivalence
    /// included (as the index's String keys did before the hash was cached).
    @Test func keysAreEqualExactlyWhenTheReferencesAre() {
        #expect(SubjectKey("P-1") == SubjectKey("P-1"))
        #expect(SubjectKey("P-1") != SubjectKey("P-2"))
        #expect(SubjectKey("P-1") != SubjectKey("p-1"))
        let composed = "Jos\u{e9}", decomposed = "Jose\u{301}"
        #expect(SubjectKey(composed) == SubjectKey(decomposed))
        #expect(SubjectKey(composed).hashValue == SubjectKey(decomposed).hashValue)
    }

    /// The index finds, grows and shrinks by the reference alone, across its shards' rehashes.
    @Test func theIndexWorksByReference() {
        var index = ShardedDictionary<SubjectKey, [Int]>(shardCount: 4)
        for n in 0..<2_000 { index[SubjectKey("S-\(n % 500)"), default: []].append(n) }
        #expect(index.count == 500)
        #expect(index["S-7"] == [7, 507, 1007, 1507])
        #expect(index["S-500"] == nil)
        index.removeValue(forKey: "S-7")
        #expect(index["S-7"] == nil)
        #expect(index.count == 499)
        #expect(index.keys.map(\.reference).sorted() == (0..<500).filter { $0 != 7 }.map { "S-\($0)" }.sorted())
    }
}
