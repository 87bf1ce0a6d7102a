import Foundation
import JSON
import Ledger
import Testing
import TestSupport

@Suite struct DurabilityTests {
    @Test func theSameIdempotencyKeyAndBodyReplayTheFirstAnswerEvenAfterARestart() async throws {
        let directory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await LiveService(directory: directory)
        let headers = [("Idempotency-Key", "retry-123")]
        let original = try await first.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(), headers: headers)
        #expect(original.status == 201)
        let replay = try await first.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(), headers: headers)
        #expect(replay.status == 201)
        #expect(replay.body == original.body)
        #expect(replay.header("Idempotent-Replayed") == "true")
        let changed = try await first.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-OTHER"), headers: headers)
        #expect(changed.status == 422)
        #expect(try first.records().filter { $0.type == "call.triaged" }.count == 1)
        await first.stop()

        let second = try await LiveService(directory: directory)
        defer { Task { await second.stop() } }
        let afterRestart = try await second.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(), headers: headers)
        #expect(afterRestart.status == 201)
        #expect(afterRestart.body == original.body)
        #expect(try second.records().filter { $0.type == "call.triaged" }.count == 1)
    }

    @Test func anIdempotencyKeyReusedOnAnotherPathIsRefusedNotReplayed() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let headers = [("Idempotency-Key", "reused-key")]
        let police = try await live.request("POST", "/v1/agencies/demo-police/keys", key: "dev-admin", json: [:], headers: headers)
        #expect(police.status == 201)
        let ambulance = try await live.request("POST", "/v1/agencies/demo-ambulance/keys", key: "dev-admin", json: [:], headers: headers)
        #expect(ambulance.status == 422)
        #expect(ambulance.header("Idempotent-Replayed") == nil)
        #expect(try live.records().filter { $0.type == "key.issued" }.count == 1)
    }

    @Test func idempotencyKeysExpireAfterADay() async throws {
        let clock = TestClock()
        let live = try await LiveService(clock: clock)
        defer { Task { await live.stop() } }
        let headers = [("Idempotency-Key", "daily")]
        _ = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(), headers: headers)
        clock.advance(minutes: 24 * 60 + 1)
        let later = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed(), headers: headers)
        #expect(later.status == 201)
        #expect(later.header("Idempotent-Replayed") == nil)
        #expect(try live.records().filter { $0.type == "call.triaged" }.count == 2)
    }

    @Test func whenTheLedgerFailsWritesAndReadsAnswer503AndReadyzSaysWhy() async throws {
        let live = try await LiveService()
        defer { Task { await live.stop() } }
        let created = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed())
        let callID = try #require(created.json["call_id"]?.stringValue)
        live.ledger.breakIt()
        let write = try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-F"))
        #expect(write.status == 503)
        #expect(write.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        let read = try await live.request("GET", "/v1/calls/\(callID)", key: "dev-supervisor")
        #expect(read.status == 503)
        let ready = try await live.request("GET", "/readyz", key: nil)
        #expect(ready.status == 503)
        #expect(ready.text.contains("EIO"))
        #expect(try await live.request("GET", "/healthz", key: nil).status == 200)
    }

    @Test func aSnapshotPlusTheTailRestoresTheState() async throws {
        let directory = LiveService.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await LiveService(directory: directory) { $0.snapshotInterval = 5; $0.snapshotMinimumSeconds = 0 }
        var ids: [String] = []
        for index in 1...6 {
            let reply = try await first.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-S\(index)", subject: nil))
            ids.append(try #require(reply.json["call_id"]?.stringValue))
        }
        // The snapshot is written off the commit path: give it a moment.
        for _ in 0..<100 where try first.ledger.latestSnapshot() == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try first.ledger.latestSnapshot() != nil)
        await first.stop()
        let second = try await LiveService(directory: directory) { $0.snapshotInterval = 5 }
        defer { Task { await second.stop() } }
        let list = try await second.request("GET", "/v1/calls?limit=500", key: "dev-auditor")
        #expect(list.json["calls"]?.arrayValue?.compactMap { $0["call_id"]?.stringValue } == ids)
    }
}

@Suite struct OversizedRecordTests {
    @Test func aRecordTooLargeForTheLedgerIsRefusedAloneAndTheServiceStaysReady() async throws {
        var options = FileLedgerOptions()
        options.maxRecordBytes = 6_000
        let live = try await LiveService(ledgerOptions: options)
        defer { Task { await live.stop() } }
        guard case .object(var big) = Calls.careNeed("CAD-BIG", subject: nil) else { return }
        big["notes"] = .string(String(repeating: "n", count: 3_900))
        async let oversized = live.request("POST", "/v1/calls", key: "dev-control-room", json: .object(big))
        async let normal = live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-SMALL", subject: nil))
        let (refused, accepted) = try await (oversized, normal)
        #expect(refused.status == 413)
        #expect(accepted.status == 201)
        #expect(try await live.request("GET", "/readyz", key: nil).status == 200)
        #expect(try await live.request("POST", "/v1/calls", key: "dev-control-room", json: Calls.careNeed("CAD-AFTER", subject: nil)).status == 201)
    }
}
