import Foundation
import JSON
import Testing

/// Stopping the service (SIGTERM runs the same `stop()` then `shutdown()`) must answer waiting
/// long polls at once, not hold them, and the process, for the whole grace period or `wait`.
@Suite struct ShutdownPollTests {
    /// How many polls wait, as /metrics reports it.
    func waitingPolls(_ live: LiveService) async throws -> Int {
        let metrics = try await live.request("GET", "/metrics", key: nil).text
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("rcrp_long_polls_waiting ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? -1
    }

    @Test func stoppingAnswersAWaitingPollAtOnce() async throws {
        let live = try await LiveService()
        let poll = Task {
            try await live.request("GET", "/v1/agencies/demo-amhp/handoffs?wait=30", key: "dev-agency-demo-amhp")
        }
        let escalations = Task { try await live.request("GET", "/v1/escalations?wait=30", key: "dev-control-room") }
        while try await waitingPolls(live) < 2 { try await Task.sleep(for: .milliseconds(10)) }
        let stopping = ContinuousClock.now
        await live.stop()
        let stopped = ContinuousClock.now - stopping
        let answer = try await poll.value
        let answered = ContinuousClock.now - stopping
        #expect(answer.status == 200)
        #expect(answer.json["handoffs"] == [])
        #expect(try await escalations.value.json["escalations"] == [])
        // The grace period is 10 s and the poll asked for 30: well under either.
        #expect(answered < .seconds(2), "the poll was answered \(answered) after stop began")
        #expect(stopped < .seconds(2), "stop took \(stopped)")
    }
}
