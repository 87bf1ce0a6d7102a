// CPU per request of POST /v1/calls (durable: a FileLedger in a temporary directory) and of
// POST /v1/triage, through the service's router without sockets, so that the service's own cost
// can be measured apart from HTTP and stably under valgrind (scripts/bench/calls-cpu.sh).
// Usage: ServiceBench calls|triage REQUESTS [CONCURRENCY=64] [RULES=config/rules] [CALL=../shared/bench/call.json]
import Foundation
import HTTPServer
import JSON
import Ledger
import Logging
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
    let service = try RCRPService(configuration: ServiceConfiguration(keys: DevelopmentFixtures.keys, seedAgencies: DevelopmentFixtures.agencies),
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
    let wrong = await withTaskGroup(of: Int.self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var wrong = 0
                var index = worker
                while index < count {
                    let request = HTTPRequest(method: .POST, target: path,
                                              headers: ["Authorization": "Bearer dev-control-room", "Content-Type": "application/json"],
                                              body: bodies[index])
                    let started = ContinuousClock.now
                    let response = await router.handle(request)
                    observer.requestFinished(method: .POST, route: path, status: response.status,
                                             seconds: Double((ContinuousClock.now - started).components.attoseconds) / 1e18)
                    if response.status != expected { wrong += 1 }
                    index += concurrency
                }
                return wrong
            }
        }
        var total = 0
        for await wrong in group { total += wrong }
        return total
    }
    let wall = ContinuousClock.now - wallStart
    let cpu = cpuSeconds() - cpuStart
    let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
    service.stop()
    ledger.close()
    print(String(format: "%@: %d requests, %d not %d, %.0f req/s, CPU %.1f µs/request", path, count, wrong, expected,
                 Double(count) / wallSeconds, cpu * 1e6 / Double(count)))
    return wrong
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
