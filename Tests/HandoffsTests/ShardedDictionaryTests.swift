import Handoffs
import Testing

@Suite struct ShardedDictionaryTests {
    @Test func behavesAsADictionaryAcrossItsShards() {
        var sharded = ShardedDictionary<String, Int>()
        var plain: [String: Int] = [:]
        #expect(sharded.isEmpty)
        #expect(sharded["absent"] == nil)
        for index in 0..<2_000 {
            sharded["k\(index)"] = index
            plain["k\(index)"] = index
        }
        #expect(sharded.updateValue(-1, forKey: "k7") == 7)
        plain["k7"] = -1
        sharded["k8", default: 0] += 100
        plain["k8", default: 0] += 100
        sharded["new", default: 0] += 1
        plain["new", default: 0] += 1
        #expect(sharded.removeValue(forKey: "k9") == 9)
        plain["k9"] = nil
        sharded.removeAll { $0.value % 2 != 0 }
        plain = plain.filter { $0.value % 2 == 0 }
        #expect(sharded.count == plain.count)
        #expect(Set(sharded.keys) == Set(plain.keys))
        #expect(sharded.values.sorted() == plain.values.sorted())
        #expect(Dictionary(uniqueKeysWithValues: sharded.map { ($0.key, $0.value) }) == plain)
        #expect(sharded.capacity >= sharded.count)
    }

    @Test func aCopyIsUnchangedByLaterChangesToTheOriginal() {
        var original = ShardedDictionary<String, [Int]>()
        for index in 0..<1_000 { original["k\(index)"] = [index] }
        let copy = original
        for index in 0..<1_000 { original["k\(index)"]?.append(-1) }
        original["extra"] = []
        #expect(copy.count == 1_000)
        #expect(copy["k5"] == [5])
        #expect(original["k5"] == [5, -1])
        #expect(copy != original)
    }

    @Test func equalContentsAreEqualAndHashAlikeHoweverBuilt() {
        var built = ShardedDictionary<String, Int>()
        for index in 0..<300 { built["k\(index)"] = index }
        var emptied = built
        for index in 0..<300 { emptied["k\(index)"] = nil }
        #expect(emptied == ShardedDictionary<String, Int>())
        #expect(emptied.hashValue == ShardedDictionary<String, Int>().hashValue)
        var other = ShardedDictionary<String, Int>()
        for index in (0..<300).reversed() { other["k\(index)"] = index }
        #expect(other == built)
        #expect(other.hashValue == built.hashValue)
        var finer = ShardedDictionary<String, Int>(shardCount: 4000)
        #expect(finer.shardCount == 4096)
        for index in 0..<300 { finer["k\(index)"] = index }
        #expect(finer == built)
        #expect(finer.hashValue == built.hashValue)
        finer["k0"] = -1
        #expect(finer != built)
    }
}
