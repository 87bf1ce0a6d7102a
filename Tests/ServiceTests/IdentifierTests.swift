import Foundation
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
