// CPU per request of POST /v1/calls (durable: a FileLedger in a temporary directory) and of
// POST /v1/triage, through the service's router without sockets, so that the service's own cost
// can be measured apart from HTTP and stably under valgrind (scripts/bench/calls-cpu.sh).
// It also prints request latency and the committer's state-lock hold per batch (BENCH_TIMINGS=0: not),
// and with BENCH_RESTART=1 how long a start on the ledger it wrote takes. BENCH_TAIL_FRACTION sets
// snapshot.tail_fraction, BENCH_SNAPSHOT_MINIMUM_SECONDS the time between snapshots (default 300).
// Usage: ServiceBench calls|triage REQUESTS [CONCURRENCY=64] [RULES=config/rules] [CALL=../shared/bench/call.json]
import Foundation
import HTTPServer
import JSON
import Ledger
import Logging
import Handoffs
import Service
import Triage

let arguments = Array(CommandLine.arguments.dropFirst())
let endpoint = arguments.first ?? "calls"
let count = arguments.count > 1 ? Int(arguments[1]) ?? 1000 : 1000
let concurrency = arguments.count > 2 ? Int(arguments[2]) ?? 64 : 64
let rulesPath = arguments.count > 3 ? arguments[3] : "config/rules"
let callPath = arguments.count > 4 ? arguments[4] : "../shared/bench/call.json"
guard endpoint == "calls" || endpoint == "triage" else { fatalError("endpoint must be calls or triage") }

let template = try String(contentsOfFile: callPath, encoding: .utf8)
guard let refRange = template.range(of: #""incident_ref":"[^"]*""#, options: .regularExpression),
      let subjectRange = template.range(of: #""reference":"[^"]*""#, options: .regularExpression) else {
    fatalError("\(callPath) has no incident_ref or subject reference to vary")
}

/// The bench call with its own incident and subject, so that every call is new (as calls.lua does).
func body(_ index: Int) -> [UInt8] {
    var text = template
    text.replaceSubrange(subjectRange, with: "\"reference\":\"S-BENCH-\(index)\"")
    text.replaceSubrange(refRange, with: "\"incident_ref\":\"BENCH-\(index)\"")
    return Array(text.utf8)
}

/// Runs the whole measurement; a synchronous main waits for it on a semaphore rather than using
/// an async main, which parks the main thread in dispatch_main (valgrind cannot run that).
func measure() async throws -> Int {
    let directory = NSTemporaryDirectory() + "rcrp-service-bench-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
    let ledger = try FileLedger.open(directory: directory)
    var configuration = ServiceConfiguration(keys: DevelopmentFixtures.keys, seedAgencies: DevelopmentFixtures.agencies)
    if let fraction = ProcessInfo.processInfo.environment["BENCH_TAIL_FRACTION"].flatMap(Double.init) {
        configuration.snapshotTailFraction = fraction
    }
    if let seconds = ProcessInfo.processInfo.environment["BENCH_SNAPSHOT_MINIMUM_SECONDS"].flatMap(Double.init) {
        configuration.snapshotMinimumSeconds = seconds
    }
    let service = try RCRPService(configuration: configuration,
                                  ledger: ledger, ruleSet: RuleSetLoader.load(path: rulesPath), rulesPath: nil,
                                  clock: { Date() }, logger: logger)
    try await service.start()
    let router = service.makeRouter()
    let observer = service.observer
    let path = "/v1/\(endpoint)"
    let bodies = (0..<count).map(body)

    func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    let expected = endpoint == "calls" ? 201 : 200
    let cpuStart = cpuSeconds()
    let wallStart = ContinuousClock.now
    let (wrong, latency) = await withTaskGroup(of: (Int, DurationHistogram).self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var wrong = 0
                var latency = DurationHistogram()
                var index = worker
                while index < count {
                    let request = HTTPRequest(method: .POST, target: path,
                                              headers: ["Authorization": "Bearer dev-control-room", "Content-Type": "application/json"],
                                              body: bodies[index])
                    let started = ContinuousClock.now
                    let response = await router.handle(request)
                    let elapsed = ContinuousClock.now - started
                    latency.record(elapsed)
                    observer.requestFinished(method: .POST, route: path, status: response.status,
                                             seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
                    if response.status != expected { wrong += 1 }
                    index += concurrency
                }
                return (wrong, latency)
            }
        }
        var total = 0
        var latency = DurationHistogram()
        for await (wrong, worker) in group {
            total += wrong
            latency.merge(worker)
        }
        return (total, latency)
    }
    let wall = ContinuousClock.now - wallStart
    // Let a snapshot still being encoded finish, so that its cost is counted (CPU, not wall).
    for _ in 0..<1200 where service.snapshotWriting { try await Task.sleep(for: .milliseconds(50)) }
    let cpu = cpuSeconds() - cpuStart
    let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
    let timings = service.commitTimings
    service.stop()
    let callsBefore = service.callCount
    ledger.close()
    print(String(format: "%@: %d requests, %d not %d, %.0f req/s, CPU %.1f µs/request", path, count, wrong, expected,
                 Double(count) / wallSeconds, cpu * 1e6 / Double(count)))
    if ProcessInfo.processInfo.environment["BENCH_TIMINGS"] != "0" {
        print(describe("request latency", latency))
        var all = timings.lockHold
        all.merge(timings.lockHoldAfterSnapshot)
        all.merge(timings.lockHoldGrowing)
        print(describe("state lock per batch, all", all))
        print(describe("state lock per batch, ordinary", timings.lockHold))
        print(describe("state lock per batch, first after a snapshot", timings.lockHoldAfterSnapshot))
        print(describe("state lock per batch, a collection (or a shard) grew", timings.lockHoldGrowing))
        for snapshot in timings.snapshots {
            print(String(format: "snapshot through seq %llu: %d calls, %.1f MB, encode %.0f ms, write %.0f ms", snapshot.throughSeq,
                         snapshot.calls, Double(snapshot.bytes) / 1e6, snapshot.encodeSeconds * 1e3, snapshot.writeSeconds * 1e3))
        }
    }
    if ProcessInfo.processInfo.environment["BENCH_RESTART"] == "1" {
        // A start on the same ledger: the newest snapshot, then the tail after it.
        let reopened = try FileLedger.open(directory: directory)
        let started = ContinuousClock.now
        let restarted = try RCRPService(configuration: configuration, ledger: reopened, ruleSet: RuleSetLoader.load(path: rulesPath),
                                        rulesPath: nil, clock: { Date() }, logger: logger)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        // The snapshot's share of that: read it and decode it again, alone.
        let decodeStarted = ContinuousClock.now
        let snapshot = try reopened.latestSnapshot()
        let decoded = snapshot.flatMap { StateSnapshot.decode($0.state) }
        let decodeSeconds = (ContinuousClock.now - decodeStarted) / .seconds(1)
        let snapshotSeq = snapshot?.throughSeq ?? 0
        print(String(format: "restart: %.0f ms (snapshot through seq %llu: read and decoded alone %.0f ms; then the tail of %llu records); %d calls before, %d after",
                     seconds * 1e3, snapshotSeq, decodeSeconds * 1e3, restarted.lastSeq - snapshotSeq, callsBefore, restarted.callCount))
        if snapshot != nil && decoded == nil { return max(wrong, 1) }
        reopened.close()
        // And without any snapshot: every record folded.
        let snapshots = directory + "/snapshots"
        try FileManager.default.moveItem(atPath: snapshots, toPath: snapshots + ".aside")
        let bare = try FileLedger.open(directory: directory)
        let bareStarted = ContinuousClock.now
        let replayed = try RCRPService(configuration: configuration, ledger: bare, ruleSet: RuleSetLoader.load(path: rulesPath),
                                       rulesPath: nil, clock: { Date() }, logger: logger)
        print(String(format: "restart without a snapshot: %.0f ms (%llu records folded); %d calls", 
                     (ContinuousClock.now - bareStarted) / .seconds(1) * 1e3, replayed.lastSeq, replayed.callCount))
        bare.close()
        if replayed.callCount != callsBefore { return max(wrong, 1) }
        if restarted.callCount != callsBefore { return max(wrong, 1) }
    }
    return wrong
}

func describe(_ name: String, _ histogram: DurationHistogram) -> String {
    func ms(_ seconds: Double) -> String { String(format: "%.2f", seconds * 1e3) }
    return "\(name): n=\(histogram.count) p50 \(ms(histogram.quantile(0.5))) p90 \(ms(histogram.quantile(0.9))) "
        + "p99 \(ms(histogram.quantile(0.99))) p99.9 \(ms(histogram.quantile(0.999))) max \(ms(histogram.maxSeconds)) ms, "
        + "total \(ms(histogram.totalSeconds)) ms"
}

let finished = DispatchSemaphore(value: 0)
nonisolated(unsafe) var outcome: Result<Int, any Error> = .success(0)
Task.detached {
    do { outcome = .success(try await measure()) } catch { outcome = .failure(error) }
    finished.signal()
}
finished.wait()
switch outcome {
case .success(let wrong): if wrong > 0 { exit(1) }
case .failure(let error): fatalError("\(error)")
}
