import Foundation
import JSON
import Testing
@testable import Ledger

@Suite struct SerializedBodyTests {
    /// Bodies with what serialisers get wrong: escapes, non-ASCII, U+2028, nesting, numbers, null.
    static let events: [LedgerEvent] = [
        LedgerFixture.event(1),
        LedgerEvent(type: "call.triaged", actor: "key-control-room", body: [
            "call_id": "c_01", "call": ["incident_ref": "CAD-<1>&", "notes": "line\nbreak \u{2028} \u{e9} \u{1F691} \"q\" \\ \u{1}",
                                        "location": ["lat": 52.57, "lon": -0.24, "area": "E06000031"], "partner_steps_taken": []],
            "decision": ["outcome": "handoff", "flags": ["repeat_contact"], "acknowledge_within_minutes": nil, "accept_within_minutes": 45],
            "handoffs": [["handoff_id": "h_1", "agency_id": nil]], "request_id": "r-1",
        ]),
        LedgerEvent(type: "data.read", actor: "key-auditor", body: ["call_ids": [], "handoff_ids": ["h_1", "h_2"]]),
    ]

    /// A body handed over already serialised is spliced as it is: the records, hashes and the
    /// segment's frames are byte for byte those of the same events serialised by the ledger.
    @Test func aPreSerializedBodyMakesTheSameRecordsAndBytes() async throws {
        let at = Date(timeIntervalSince1970: 1_795_000_000.123)
        var files: [[UInt8]] = []
        var hashes: [[String]] = []
        for preSerialized in [false, true] {
            let directory = TemporaryDirectory()
            let ledger = try FileLedger.open(directory: directory.ledger, options: LedgerFixture.options(), clock: { at })
            let events = preSerialized
                ? Self.events.map { LedgerEvent(type: $0.type, actor: $0.actor, body: $0.body, serializedBody: $0.body.serialized()) }
                : Self.events
            #expect(events.allSatisfy { ($0.serializedBody != nil) == preSerialized })
            var records: [LedgerRecord] = []
            for event in events { records += try await ledger.append([event]) }
            records += try await ledger.append(events)
            hashes.append(records.map(\.hash))
            #expect(records.map(\.body) == (Self.events + Self.events).map(\.body))
            #expect(try ledger.verify().records == UInt64(2 * events.count))
            ledger.close()
            // The records' bytes: header and frames up to the data end (the zeros the ledger
            // keeps ahead of it depend on timing, not on the records).
            let segment = try #require(try LedgerFixture.segments(directory.ledger).first)
            let bytes = try LedgerFixture.read(directory.ledger + "/" + segment)
            let frames = LedgerFixture.frames(bytes)
            #expect(frames.count == 2 * events.count)
            let end = frames.last.map { $0.offset + 8 + $0.length } ?? 0
            files.append(Array(bytes[..<end]))
        }
        #expect(hashes[0] == hashes[1])
        #expect(files[0] == files[1])
    }

    @Test func membersSpliceThePreSerializedBody() {
        for event in Self.events {
            let spliced = LedgerEvent(type: event.type, actor: event.actor, body: event.body, serializedBody: event.body.serialized())
            #expect(RecordLayout.members(spliced) == RecordLayout.members(event))
            #expect(spliced == event)
        }
    }

    @Test func changingTheBodyDropsItsSerialization() {
        var event = LedgerEvent(type: "t", actor: "a", body: ["n": 1], serializedBody: Array(#"{"n":1}"#.utf8))
        event.body = ["n": 2]
        #expect(event.serializedBody == nil)
        #expect(RecordLayout.members(event) == Array(#","type":"t","actor":"a","body":{"n":2}"#.utf8))
    }
}
