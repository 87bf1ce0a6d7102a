import Foundation
import Service
import Testing

@Suite struct SnapshotScheduleTests {
    @Test func theFirstSnapshotsComeEveryIntervalRecords() {
        let schedule = SnapshotSchedule(interval: 10_000, tailFraction: 0.5)
        #expect(schedule.nextDue(after: 0) == 10_000)
        #expect(schedule.nextDue(after: 10_000) == 20_000)
        #expect(!schedule.isDue(lastSnapshotSeq: 10_000, seq: 19_999, secondsSinceLast: nil))
        #expect(schedule.isDue(lastSnapshotSeq: 10_000, seq: 20_000, secondsSinceLast: nil))
    }

    @Test func onceTheStateIsLargeTheGapGrowsWithIt() {
        let schedule = SnapshotSchedule(interval: 10_000, tailFraction: 0.5)
        #expect(schedule.nextDue(after: 100_000) == 150_000)
        #expect(schedule.nextDue(after: 1_000_000) == 1_500_000)
        #expect(!schedule.isDue(lastSnapshotSeq: 1_000_000, seq: 1_499_999, secondsSinceLast: nil))
        #expect(schedule.isDue(lastSnapshotSeq: 1_000_000, seq: 1_500_000, secondsSinceLast: nil))
        #expect(SnapshotSchedule(interval: 100, tailFraction: 1).nextDue(after: 333) == 666)
        #expect(SnapshotSchedule(interval: 100, tailFraction: 0.3).nextDue(after: 1_001) == 1_302)
    }

    @Test func allSnapshotsTogetherEncodeABoundedMultipleOfTheState() {
        // Records through 10 million, one batch of 64 at a time: the calls encoded by every
        // snapshot stay within (1 + f) / f of the records, however far the ledger grows.
        for fraction in [0.25, 0.5, 1.0, 2.0] {
            let schedule = SnapshotSchedule(interval: 10_000, tailFraction: fraction)
            var last: UInt64 = 0, encoded: UInt64 = 0, seq: UInt64 = 0, worst = 0.0
            while seq < 10_000_000 {
                seq += 64
                if schedule.isDue(lastSnapshotSeq: last, seq: seq, secondsSinceLast: nil) {
                    last = seq
                    encoded += seq
                }
                // The tail a start would replay stays within the schedule's promise.
                #expect(seq - last <= max(10_000, UInt64((Double(last) * fraction).rounded(.up))) + 64)
                if seq >= 100_000 { worst = max(worst, Double(encoded) / Double(seq)) }
            }
            #expect(worst <= (1 + fraction) / fraction + 0.01, "fraction \(fraction): \(worst)")
        }
    }

    @Test func aFixedIntervalWouldNotBeBounded() {
        // What the schedule replaces: every 10,000 records, the encoded calls per record grow with the state.
        let schedule = SnapshotSchedule(interval: 10_000, tailFraction: 0)
        var encoded: UInt64 = 0
        var last: UInt64 = 0
        for seq in stride(from: UInt64(10_000), through: 1_000_000, by: 10_000)
        where schedule.isDue(lastSnapshotSeq: last, seq: seq, secondsSinceLast: nil) {
            last = seq
            encoded += seq
        }
        #expect(Double(encoded) / 1_000_000 > 50)
    }

    @Test func aMinimumTimeSpacesSnapshotsButNotTheFirst() {
        let schedule = SnapshotSchedule(interval: 100, tailFraction: 1, minimumSeconds: 300)
        #expect(schedule.isDue(lastSnapshotSeq: 0, seq: 100, secondsSinceLast: nil))
        #expect(!schedule.isDue(lastSnapshotSeq: 100, seq: 250, secondsSinceLast: 299))
        #expect(schedule.isDue(lastSnapshotSeq: 100, seq: 250, secondsSinceLast: 300))
    }

    @Test func noIntervalMeansNoSnapshots() {
        let schedule = SnapshotSchedule(interval: 0, tailFraction: 1)
        #expect(schedule.nextDue(after: 0) == nil)
        #expect(!schedule.isDue(lastSnapshotSeq: 0, seq: .max, secondsSinceLast: nil))
    }

    @Test func aHugeFractionOrSeqDoesNotOverflow() {
        #expect(SnapshotSchedule(interval: 10, tailFraction: 100).nextDue(after: .max - 5) == .max)
        #expect(SnapshotSchedule(interval: 10, tailFraction: 100).nextDue(after: UInt64.max / 2) == UInt64.max / 2 + 1_000_000_000_000_000_000)
        #expect(SnapshotSchedule(interval: 10, tailFraction: .infinity).tailFraction == 0)
        #expect(SnapshotSchedule(interval: 10, tailFraction: -1).nextDue(after: 50) == 60)
    }
}
