import Handoffs
import Testing

@Suite struct ChunkedTableTests {
    /// Ids that are not ULIDs are held as strings by `IDKey`; the table does not care which.
    private static func key(_ index: Int) -> String { "k\(index)" }

    @Test func behavesAsADictionaryAcrossManyChunks() {
        var table = ChunkedTable<Int>(shardCount: 16)
        var plain: [String: Int] = [:]
        #expect(table.isEmpty)
        #expect(table["absent"] == nil)
        // Several chunks' worth, so that slots in every chunk are read, replaced and removed.
        for index in 0..<2_000 {
            #expect(table.updateValue(index, forKey: Self.key(index)) == nil)
            plain[Self.key(index)] = index
        }
        #expect(table.updateValue(-1, forKey: "k7") == 7)
        plain["k7"] = -1
        table["k1500"]? += 100
        plain["k1500"]? += 100
        table["new"] = 1
        plain["new"] = 1
        #expect(table.removeValue(forKey: "k9") == 9)
        plain["k9"] = nil
        table["k600"] = nil
        plain["k600"] = nil
        #expect(table.removeValue(forKey: "k9") == nil)
        #expect(table.count == plain.count)
        #expect(Set(table.keys.map(\.string)) == Set(plain.keys))
        #expect(table.values.sorted() == plain.values.sorted())
        #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key.string, $0.value) }) == plain)
        for (key, value) in plain { #expect(table[key] == value) }
    }

    @Test func valuesComeInTheOrderTheyWereFirstStored() {
        var table = ChunkedTable<Int>()
        for index in (0..<600).reversed() { table[Self.key(index)] = index }
        table["k300"] = -300   // replaced in place: keeps its slot
        table["k599"] = nil
        #expect(table.values == (0..<599).reversed().map { $0 == 300 ? -300 : $0 })
    }

    /// A rollback removes what it just stored: the slots are given back, so the next value takes
    /// the first of them and no empty slot is left behind.
    @Test func removingTheLastValuesGivesTheirSlotsBack() {
        var table = ChunkedTable<Int>()
        for index in 0..<256 { table[Self.key(index)] = index }
        table["a"] = 1   // the first slot of a second chunk
        table["b"] = 2
        table.removeValue(forKey: "a")   // not last: its slot stays empty for now
        #expect(table.slotCount == 258)
        table.removeValue(forKey: "b")   // last: given back, and the empty one before it too
        #expect(table.slotCount == 256)
        table["c"] = 3
        #expect(table.slotCount == 257)
        #expect(table.values == Array(0..<256) + [3])
        #expect(table.count == 257)
        // A value stored after a rollback is found, and the ones before it are intact.
        #expect(table["c"] == 3)
        #expect(table["k255"] == 255)
        #expect(table["a"] == nil)
    }

    @Test func aCopyIsUnchangedByLaterChangesToTheOriginal() {
        var original = ChunkedTable<[Int]>()
        for index in 0..<1_000 { original[Self.key(index)] = [index] }
        let copy = original
        for index in 0..<1_000 { original[Self.key(index)]?.append(-1) }
        original["extra"] = []
        original["k3"] = nil
        #expect(copy.count == 1_000)
        #expect(copy["k5"] == [5])
        #expect(copy["k3"] == [3])
        #expect(copy["extra"] == nil)
        #expect(original["k5"] == [5, -1])
        #expect(copy != original)
    }

    @Test func equalContentsAreEqualAndHashAlikeHoweverBuilt() {
        var built = ChunkedTable<Int>()
        for index in 0..<300 { built[Self.key(index)] = index }
        var emptied = built
        for index in 0..<300 { emptied[Self.key(index)] = nil }
        #expect(emptied == ChunkedTable<Int>())
        #expect(emptied.hashValue == ChunkedTable<Int>().hashValue)
        var other = ChunkedTable<Int>(shardCount: 4096)
        for index in (0..<300).reversed() { other[Self.key(index)] = index }
        #expect(other == built)
        #expect(other.hashValue == built.hashValue)
        other["k0"] = -1
        #expect(other != built)
    }
}
