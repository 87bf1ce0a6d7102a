import Foundation
import Handoffs
import Testing
@testable import Service

@Suite struct IdentifierTests {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    @Test func anIdIsThePrefixAndAULIDWhoseTimeIsTheMillisecond() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000.123)
        let id = Identifier.make("c", at: date)
        #expect(id.hasPrefix("c_"))
        let digits = Array(id.dropFirst(2))
        #expect(digits.count == 26)
        #expect(digits.allSatisfy(Self.alphabet.contains))
        // The first 10 digits are 50 bits, of which the low 48 are the milliseconds.
        var time: UInt64 = 0
        for digit in digits.prefix(10) { time = time << 5 | UInt64(try #require(Self.alphabet.firstIndex(of: digit))) }
        #expect(time == 1_795_000_000_123)
        #expect(Identifier.make("handoff", at: date).hasPrefix("handoff_"))
    }

    @Test func idsOfTheSameMillisecondDifferAndLaterOnesSortAfter() {
        let date = Date(timeIntervalSince1970: 1_795_000_000)
        // More ids than one draw of random bytes covers, so the pool is refilled on the way.
        let ids = (0..<2_000).map { _ in Identifier.make("d", at: date) }
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids.map { $0.suffix(16) }).count == ids.count)
        let later = Identifier.make("d", at: date.addingTimeInterval(0.001))
        #expect(ids.allSatisfy { $0 < later })
    }
}

/// The state's collections key ids by `IDKey`: the service's ids as bits, any other as text.
@Suite struct IDKeyTests {
    @Test func theServicesIdsAreHeldAsBitsAndGiveBackTheirString() {
        let date = Date(timeIntervalSince1970: 1_795_000_000.5)
        for prefix in ["c", "d", "h", "k"] {
            for _ in 0..<500 {
                let id = Identifier.make(prefix, at: date)
                let key = IDKey(id)
                #expect(key.string == id)
                #expect(key == IDKey(id))
                #expect(key.hashValue == IDKey(id).hashValue)
            }
        }
        // Held inline, with no heap storage of its own.
        #expect(MemoryLayout<IDKey>.size <= 24)
    }

    @Test func twoKeysAreEqualExactlyWhenTheirIdsAre() {
        let id = Identifier.make("c", at: Date(timeIntervalSince1970: 1_795_000_000))
        let body = String(id.dropFirst(2))
        // Same bits, other prefix; and spellings that are not the canonical one (held as text).
        let others = ["h_" + body, "c_" + body.lowercased(), id + "0", String(id.dropLast()),
                      "c_8" + String(body.dropFirst()), "c_" + String(body.dropLast()) + "I", "c-" + body, "C_" + body, "c_1", ""]
        for other in others {
            #expect(IDKey(other) != IDKey(id), "\(other)")
            #expect(IDKey(other).string == other)
        }
        #expect(IDKey("c_1") == IDKey("c_1"))
        // A ULID whose first digit carries more than 3 bits does not fit in 128: kept as text, exactly.
        let wide = "c_Z" + String(body.dropFirst())
        #expect(IDKey(wide).string == wide)
    }

    @Test func aDictionaryOfKeysFindsEachIdByItsString() {
        var calls = ShardedDictionary<IDKey, Int>(shardCount: 16)
        let ids = (0..<1_000).map { _ in Identifier.make("c", at: Date()) } + ["c_1", "legacy-id"]
        for (index, id) in ids.enumerated() { calls[id] = index }
        #expect(calls.count == ids.count)
        for (index, id) in ids.enumerated() { #expect(calls[id] == index) }
        #expect(calls["c_2"] == nil)
        #expect(Set(calls.keys.map(\.string)) == Set(ids))
        #expect(calls.removeValue(forKey: ids[0]) == 0)
        #expect(calls[ids[0]] == nil)
    }
}
