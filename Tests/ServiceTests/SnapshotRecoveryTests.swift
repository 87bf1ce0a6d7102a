import Foundation
import JSON
import Ledger
import Service
import Testing
import TestSupport

@Suite struct SnapshotRecoveryTests {
    /// Many records, snapshots on the growing schedule, then a restart: everything is back.
    @Test func aServiceRestartedAfterManySnapshotsRecoversEveryCallAndHandoff() async throws {
        let directory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configure: (inout ServiceConfiguration) -> Void = {
            $0.snapshotInterval = 4
            $0.snapshotTailFraction = 0.5
            $0.snapshotMinimumSeconds = 0
        }
        let first = try await LiveService(directory: directory, configure: configure)
        var ids: [String] = []
        for index in 1...60 {
            let reply = try await first.request("POST", "/v1/calls", key: "dev-control-room",
                                                json: Calls.careNeed("CAD-R\(index)", subject: "P-\(index % 7)"))
            #expect(reply.status == 201)
            ids.append(try #require(reply.json["call_id"]?.stringValue))
        }
        let handoffID = try #require(try await first.request("GET", "/v1/calls/\(ids[0])", key: "dev-supervisor")
            .json["handoffs"]?.arrayValue?.first?["handoff_id"]?.stringValue)
        let accepted = try await first.request("POST", "/v1/handoffs/\(handoffID)/accept", key: "dev-supervisor", json: ["by": "x"])
        #expect(accepted.status == 200)
        // Snapshots are written off the commit path, one at a time: wait for the last one.
        for _ in 0..<200 where first.service.snapshotWriting { try await Task.sleep(for: .milliseconds(20)) }
        let taken = first.service.commitTimings.snapshots.map(\.throughSeq)
        #expect(taken.count >= 3)
        // Each came no sooner than the schedule allows: the gaps grow with the state.
        let schedule = SnapshotSchedule(interval: 4, tailFraction: 0.5)
        for (previous, next) in zip(taken, taken.dropFirst()) {
            let due = try #require(schedule.nextDue(after: previous))
            #expect(next >= due)
        }
        let stats = try await first.request("GET", "/v1/stats", key: "dev-auditor").json
        let list = try await first.request("GET", "/v1/calls?limit=500", key: "dev-auditor").json
        let handoff = try await first.request("GET", "/v1/handoffs/\(handoffID)", key: "dev-supervisor").json
        await first.stop()

        let second = try await LiveService(directory: directory, configure: configure)
        defer { Task { await second.stop() } }
        // (A snapshot started by the last batch may land after `taken` was read.)
        #expect(try #require(try second.ledger.latestSnapshot()?.throughSeq) >= taken.last ?? .max)
        let relisted = try await second.request("GET", "/v1/calls?limit=500", key: "dev-auditor").json
        #expect(relisted["calls"]?.arrayValue?.compactMap { $0["call_id"]?.stringValue } == ids)
        #expect(relisted == list)
        #expect(try await second.request("GET", "/v1/stats", key: "dev-auditor").json == stats)
        #expect(try await second.request("GET", "/v1/handoffs/\(handoffID)", key: "dev-supervisor").json == handoff)
        // Repeat contact counts survive too: the eighth call about P-1 is flagged.
        let again = try await second.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-R61", subject: "P-1"))
        #expect(again.json["flags"]?.arrayValue?.contains("repeat_contact") == true)
    }
}
