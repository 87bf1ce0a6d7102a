// Benchmarks of the file ledger (not tests): group-commit throughput, single-append latency
// against a bare fdatasync on the same disk, and start-up replay from a snapshot plus a tail.
// Run through scripts/bench/ledger.sh, which builds this in release mode.
#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import JSON
import Ledger
import Synchronization

struct Arguments {
    var mode = "all"
    var directory = "/tmp/ledger-bench-\(getpid())"
    var events = 200_000
    var appenders = 64
    var samples = 2000
    var replayEvents = 1_000_000
    var tail = 10_000
    var stateMB = 100
    var segmentBytes = 64 << 20
    /// Whether throughput also times verify() afterwards (off for instruction counts of appends).
    var verify = true
    /// FileLedgerOptions.zeroFillBytes (0: no zeros ahead of the data, as before they existed).
    var zeroFill = FileLedgerOptions().zeroFillBytes
    /// FileLedgerOptions.directIO (`--direct-io no`: through the page cache, as before it).
    var directIO = FileLedgerOptions().directIO

    init(_ args: [String]) {
        var rest = args.dropFirst()
        if let first = rest.first, !first.hasPrefix("--") { mode = first; rest = rest.dropFirst() }
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { fatalError("missing value for \(flag)") }
            switch flag {
            case "--dir": directory = value
            case "--events": events = Int(value)!
            case "--appenders": appenders = Int(value)!
            case "--samples": samples = Int(value)!
            case "--replay-events": replayEvents = Int(value)!
            case "--tail": tail = Int(value)!
            case "--state-mb": stateMB = Int(value)!
            case "--segment-bytes": segmentBytes = Int(value)!
            case "--verify": verify = value != "no"
            case "--zero-fill": zeroFill = Int(value)!
            case "--direct-io": directIO = value != "no"
            default: fatalError("unknown flag \(flag); modes: throughput latency replay all")
            }
        }
    }
}

/// A call.triaged-sized body: the call as the API takes it plus a decision and a handoff.
let body: JSONValue = {
    let text = #"""
    {"call_id":"c-0000000000","call":{"incident_ref":"BENCH-1","call_type":"concern_for_welfare","received_at":"2026-11-22T10:15:00Z","caller":{"type":"public","name":"A. Caller","phone":"07700900123"},"subject":{"name":"B. Person","age":34,"reference":"P-88121","mha_status":"none","restricted_patient":false},"location":{"address":"1 High St, Peterborough","area":"E06000031","setting":"home","lat":52.57,"lon":-0.24},"risk":{"threat_to_life":false,"serious_harm":false,"immediacy":"none","crime":"none","violence":false,"child_at_risk":false,"lacks_capacity":false,"whereabouts_known":true,"intelligence_of_harm":"no","medical_need":false,"care_need":true},"partner_steps_taken":[],"notes":"Neighbour has not seen her for a week."},"decision":{"rule_id":"CFW-3","outcome":"handoff","police_attend":false,"agency_kinds":["social_care"],"review_required":false,"rule_set_revision":"sha256:5f1c0e5a9d3b7c2e4f6a8b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6"},"handoffs":[{"handoff_id":"h-0000000000","agency_id":"peterborough-asc","acknowledge_by":"2026-11-22T10:30:00Z","accept_by":"2026-11-22T11:15:00Z"}]}
    """#
    return try! JSON.parse(text)
}()

func event(_ n: Int) -> LedgerEvent {
    LedgerEvent(type: "call.triaged", actor: "key-control-room-\(n % 16)", body: body)
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func percentile(_ values: [Double], _ p: Double) -> Double { values.sorted()[min(values.count - 1, Int(Double(values.count) * p))] }

func freshDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
}

func quietOptions(_ a: Arguments) -> FileLedgerOptions {
    var options = FileLedgerOptions()
    options.logger.logLevel = .error
    options.zeroFillBytes = a.zeroFill
    options.directIO = a.directIO
    return options
}

final class SyncCounter: Sendable {
    /// Every fdatasync of a segment (group commits, rotations, zero fills).
    let count = Atomic<Int>(0)
    let nanoseconds = Atomic<Int>(0)
    /// Only the group commits' (from the sync observer).
    let commits = Atomic<Int>(0)
    let commitNanoseconds = Atomic<Int>(0)
}

func throughput(_ a: Arguments) async throws {
    let dir = a.directory + "/throughput"
    freshDirectory(dir)
    let counter = SyncCounter()
    var options = quietOptions(a)
    options.sync = { fd in
        counter.count.add(1, ordering: .relaxed)
        let start = ContinuousClock.now
        defer { counter.nanoseconds.add(Int(seconds(ContinuousClock.now - start) * 1e9), ordering: .relaxed) }
        return fdatasync(fd) == 0 ? 0 : errno
    }
    options.syncObserver = { elapsed, _ in
        counter.commits.add(1, ordering: .relaxed)
        counter.commitNanoseconds.add(Int(elapsed * 1e9), ordering: .relaxed)
    }
    let ledger = try FileLedger.open(directory: dir, options: options)
    let perAppender = a.events / a.appenders
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for t in 0 ..< a.appenders {
            group.addTask {
                for i in 0 ..< perAppender {
                    // One event per append, each durable before the next is sent.
                    _ = try await ledger.append([event(t * perAppender + i)])
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = seconds(clock.now - start)
    let total = perAppender * a.appenders
    let syncs = counter.count.load(ordering: .relaxed)
    let commits = counter.commits.load(ordering: .relaxed)
    print(String(format: "throughput: %d events, %d concurrent appenders (1 event per append, each awaited), zero fill %d KiB: %.0f events/s; %d group commits, %.1f events per commit; %.2f s",
                 total, a.appenders, a.zeroFill >> 10, Double(total) / elapsed, commits, Double(total) / Double(max(1, commits)), elapsed))
    print(String(format: "  mean group-commit fdatasync %.1f µs; all %d fdatasyncs (with zero fills and rotations): mean %.1f µs, %.0f%% of the run",
                 Double(counter.commitNanoseconds.load(ordering: .relaxed)) / Double(max(1, commits)) / 1e3, syncs,
                 Double(counter.nanoseconds.load(ordering: .relaxed)) / Double(max(1, syncs)) / 1e3,
                 Double(counter.nanoseconds.load(ordering: .relaxed)) / 1e9 / elapsed * 100))
    if a.verify {
        let verifyStart = clock.now
        let verified = try ledger.verify()
        print(String(format: "  verify(): %llu records in %.2f s", verified.records, seconds(clock.now - verifyStart)))
    }
    ledger.close()
    try? FileManager.default.removeItem(atPath: dir)
}

func latency(_ a: Arguments) async throws {
    let dir = a.directory + "/latency"
    freshDirectory(dir)
    let clock = ContinuousClock()
    let recordSize = body.serialized().count + 300

    // Paired samples, alternating on files in the same directory (so all see the same disk
    // weather): a bare write+fdatasync of a record's size appended to a file (the size changes:
    // fdatasync writes the inode too), the same written over blocks already written with zeros
    // and synced (data only: what the ledger's zero region gives a commit), and one ledger append.
    let appendPath = dir + "/bare-append.dat"
    let appendFD = open(appendPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    let overwritePath = dir + "/bare-overwrite.dat"
    let overwriteFD = open(overwritePath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
    precondition(appendFD >= 0 && overwriteFD >= 0)
    defer { close(appendFD); unlink(appendPath); close(overwriteFD); unlink(overwritePath) }
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    var zeroed = 0
    while zeroed < a.samples * recordSize {
        zeroed += zeros.withUnsafeBytes { pwrite(overwriteFD, $0.baseAddress, $0.count, off_t(zeroed)) }
    }
    precondition(fsync(overwriteFD) == 0)
    let bytes = [UInt8](repeating: 0x61, count: recordSize)
    let ledger = try FileLedger.open(directory: dir + "/ledger", options: quietOptions(a))
    var bare: [Double] = []
    var overwrite: [Double] = []
    var appends: [Double] = []
    for n in 0 ..< a.samples {
        let start = clock.now
        _ = bytes.withUnsafeBytes { write(appendFD, $0.baseAddress, $0.count) }
        precondition(fdatasync(appendFD) == 0)
        bare.append(seconds(clock.now - start))
        let overwriteStart = clock.now
        _ = bytes.withUnsafeBytes { pwrite(overwriteFD, $0.baseAddress, $0.count, off_t(n * recordSize)) }
        precondition(fdatasync(overwriteFD) == 0)
        overwrite.append(seconds(clock.now - overwriteStart))
        let appendStart = clock.now
        _ = try await ledger.append([event(n)])
        appends.append(seconds(clock.now - appendStart))
    }
    ledger.close()
    print(String(format: "latency: bare fdatasync after a %d-byte write, median (p99): appending %.1f µs (%.1f); over pre-zeroed, synced blocks %.1f µs (%.1f)",
                 recordSize, median(bare) * 1e6, percentile(bare, 0.99) * 1e6, median(overwrite) * 1e6, percentile(overwrite, 0.99) * 1e6))
    print(String(format: "  single appender, %d sequential appends (zero fill %d KiB; alternating with the bare ones): median %.1f µs (p99 %.1f)",
                 a.samples, a.zeroFill >> 10, median(appends) * 1e6, percentile(appends, 0.99) * 1e6))
    print(String(format: "  = %.2f× the appending bare median, %.2f× the overwrite bare median (target: ≤ 2×); median of paired ratios %.2f× / %.2f×",
                 median(appends) / median(bare), median(appends) / median(overwrite),
                 median(zip(appends, bare).map { $0 / $1 }), median(zip(appends, overwrite).map { $0 / $1 })))
    try? FileManager.default.removeItem(atPath: dir)
}

func replay(_ a: Arguments) async throws {
    let dir = a.directory + "/replay"
    freshDirectory(dir)
    let clock = ContinuousClock()
    // Build the ledger: replayEvents covered by a snapshot, then a tail. Batches of 16 events per
    // append from 64 appenders, only to build the fixture quickly.
    var ledger = try FileLedger.open(directory: dir, options: quietOptions(a))
    func fill(_ ledger: FileLedger, _ count: Int) async throws {
        let batches = (count + 15) / 16
        let perTask = (batches + 63) / 64
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0 ..< 64 {
                let mine = max(0, min(perTask, batches - t * perTask))
                group.addTask {
                    for b in 0 ..< mine {
                        let first = (t * perTask + b) * 16
                        let n = min(16, count - first)
                        if n > 0 { _ = try await ledger.append((0 ..< n).map { event(first + $0) }) }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
    let buildStart = clock.now
    try await fill(ledger, a.replayEvents)
    let covered = ledger.head.seq
    var state = [UInt8](repeating: 0, count: a.stateMB << 20)
    for i in stride(from: 0, to: state.count, by: 64) { state[i] = UInt8(truncatingIfNeeded: i >> 6) }
    try ledger.writeSnapshot(state, throughSeq: covered)
    try await fill(ledger, a.tail)
    let head = ledger.head
    ledger.close()
    print(String(format: "replay fixture: %llu records (%llu in the snapshot, %d MiB state) built in %.1f s",
                 head.seq, covered, a.stateMB, seconds(clock.now - buildStart)))

    // Start-up as the service does it, timed in its parts.
    let openStart = clock.now
    ledger = try FileLedger.open(directory: dir, options: quietOptions(a))
    let opened = clock.now
    guard let snapshot = try ledger.latestSnapshot() else { fatalError("no snapshot") }
    let loaded = clock.now
    var next = snapshot.throughSeq + 1
    var tailRecords = 0
    while true {
        let page = try ledger.records(from: next, limit: 500)
        if page.isEmpty { break }
        tailRecords += page.count
        next = page[page.count - 1].seq + 1
    }
    let done = clock.now
    precondition(next - 1 == head.seq && tailRecords == a.tail)
    let snapshotAndTail = seconds(done - opened)
    print(String(format: "replay: open (scan %llu records: framing, CRC, seq, links; SHA-256 of the tail) %.3f s; load snapshot (%d MiB, checksum + chain check) %.3f s; read+verify %d-record tail %.3f s",
                 head.seq, seconds(opened - openStart), a.stateMB, seconds(loaded - opened), tailRecords, seconds(done - loaded)))
    print(String(format: "  ledger part (snapshot + tail): %.3f s; with open: %.3f s", snapshotAndTail, seconds(done - openStart)))
    let verifyStart = clock.now
    let verified = try ledger.verify()
    let verifiedAt = clock.now
    _ = try await ledger.append([event(0)])
    let again = try ledger.verify(full: false)
    print(String(format: "  verify() (every CRC, SHA-256 and link, as GET /v1/audit/verify): %llu records in %.2f s; verify(full: false) after one more append (only past the verified prefix): %llu records in %.4f s",
                 verified.records, seconds(verifiedAt - verifyStart), again.records, seconds(clock.now - verifiedAt)))
    ledger.close()
    try? FileManager.default.removeItem(atPath: dir)
}

/// Unbuffered, so that what the parent reads is exactly what was written before the kill.
func emit(_ text: String) {
    var bytes = Array(text.utf8)
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(1, $0.baseAddress! + done, $0.count - done) }
        if n <= 0 { return }
        done += n
    }
}

/// For scripts/crash-test.sh --ledger-only: appends from 16 tasks until killed, printing
/// "seq hash" for each record only after its append returned (so: acknowledged).
func crashChild(_ a: Arguments) async throws {
    var options = quietOptions(a)
    options.segmentBytes = a.segmentBytes
    let ledger = try FileLedger.open(directory: a.directory, options: options)
    emit("opened \(ledger.head.seq)\n")
    try await withThrowingTaskGroup(of: Void.self) { group in
        for t in 0 ..< 16 {
            group.addTask {
                var n = 0
                while true {
                    n += 1
                    let records = try await ledger.append(t % 4 == 0 ? [event(n), event(n + 1)] : [event(n)])
                    // One write() under PIPE_BUF bytes: atomic on a pipe, so lines never interleave.
                    emit(records.map { "\($0.seq) \($0.hash)\n" }.joined())
                }
            }
        }
        try await group.waitForAll()
    }
}

/// Reopens (recovering) and checks that every acknowledged "seq hash" line of --acked is there.
func crashCheck(_ a: Arguments, acked: String) throws -> Bool {
    // What the kill left at the end of the last segment, before start-up recovers it: the zero
    // region (clean), a torn tail (cut after a copy), or neither.
    let found = try LedgerVerifier.verify(directory: a.directory)
    if let torn = found.tornTail {
        print("found: torn tail at \(torn.segment) offset \(torn.offset) (\(torn.reason))")
    } else {
        print("found: clean end, \(found.zeroTailBytes) zero bytes after the data")
    }
    let ledger = try FileLedger.open(directory: a.directory, options: quietOptions(a))
    defer { ledger.close() }
    let text = (try? String(contentsOfFile: acked, encoding: .utf8)) ?? ""
    var checked = 0
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ")
        guard parts.count == 2, let seq = UInt64(parts[0]) else { continue }
        guard let record = try ledger.records(from: seq, limit: 1).first, record.seq == seq, record.hash == parts[1] else {
            print("LOST: acknowledged record \(seq) \(parts[1]) is not in the ledger (head \(ledger.head.seq))")
            return false
        }
        checked += 1
    }
    print("checked \(checked) acknowledged records; head \(ledger.head.seq) \(ledger.head.hash)")
    return true
}

/// The work of the chosen mode. Run from a Task while the main thread waits on a semaphore
/// rather than from top-level `await` (which parks the main thread in dispatch_main, where
/// valgrind crashes), so that callgrind can count the instructions of a run.
func run(_ arguments: Arguments) async throws -> Int32 {
    if arguments.mode == "crash-child" {
        try await crashChild(arguments)
        return 0
    }
    if arguments.mode == "crash-check" {
        guard let acked = ProcessInfo.processInfo.environment["ACKED"] else { fatalError("set ACKED=<file of acknowledged seq hash lines>") }
        let ok = try crashCheck(arguments, acked: acked)
        return ok && LedgerVerifier.run(directory: arguments.directory, print: { print($0) }) ? 0 : 1
    }
    freshDirectory(arguments.directory)
    switch arguments.mode {
    case "throughput": try await throughput(arguments)
    case "latency": try await latency(arguments)
    case "replay": try await replay(arguments)
    case "all":
        try await latency(arguments)
        try await throughput(arguments)
        try await replay(arguments)
    default: fatalError("unknown mode \(arguments.mode); modes: throughput latency replay all")
    }
    try? FileManager.default.removeItem(atPath: arguments.directory)
    return 0
}

let finished = DispatchSemaphore(value: 0)
let status = Mutex<Int32>(1)
let arguments = Arguments(CommandLine.arguments)
Task.detached {
    do {
        let code = try await run(arguments)
        status.withLock { $0 = code }
    } catch {
        print("LedgerBench: \(error)")
    }
    finished.signal()
}
finished.wait()
fflush(nil)
exit(status.withLock { $0 })
