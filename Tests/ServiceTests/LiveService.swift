import Foundation
import Handoffs
import HTTPServer
import JSON
import Ledger
import Logging
import Service
import Synchronization
import TestSupport
import Triage

/// A ledger that fails on demand, to drive the 503 path; otherwise it passes everything on.
final class FailingLedger: Ledger {
    let inner: FileLedger
    private let failing = Mutex(false)

    init(_ inner: FileLedger) { self.inner = inner }

    func breakIt() { failing.withLock { $0 = true } }

    /// While held, appends wait (the committer stalls mid-batch, so that the next requests queue
    /// up and are decided together in one batch once released).
    private let held = Mutex<(on: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func hold() { held.withLock { $0.on = true } }

    /// Appends waiting at the hold.
    var heldAppends: Int { held.withLock { $0.waiting.count } }

    func release() {
        let waiting = held.withLock { state in
            defer { state = (false, []) }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func append(_ events: [LedgerEvent]) async throws(LedgerError) -> [LedgerRecord] {
        await withCheckedContinuation { continuation in
            let wait = held.withLock { state -> Bool in
                if state.on { state.waiting.append(continuation) }
                return state.on
            }
            if !wait { continuation.resume() }
        }
        if failing.withLock({ $0 }) { throw LedgerError.failed(reason: "fsync: EIO (test)") }
        return try await inner.append(events)
    }
    func records(from seq: UInt64, limit: Int) throws(LedgerError) -> [LedgerRecord] { try inner.records(from: seq, limit: limit) }
    var head: (seq: UInt64, hash: String) { inner.head }
    var failure: String? { failing.withLock { $0 } ? "fsync: EIO (test)" : inner.failure }
    func writeSnapshot(_ state: [UInt8], throughSeq: UInt64) throws(LedgerError) { try inner.writeSnapshot(state, throughSeq: throughSeq) }
    func latestSnapshot() throws(LedgerError) -> (throughSeq: UInt64, state: [UInt8])? { try inner.latestSnapshot() }
    func verify() throws(LedgerError) -> (records: UInt64, headHash: String) { try inner.verify() }
}

/// The rule set of the repository, as the service loads it.
enum TestRules {
    static let path: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("config/rules").path
    }()

    static func load() throws -> RuleSet { try RuleSetLoader.load(path: path) }
}

/// A real service on a real socket (127.0.0.1, port 0) over a FileLedger in a temporary directory.
final class LiveService: Sendable {
    let directory: String
    /// Made by this instance (not passed in), so `stop()` removes it; a test that restarts on a
    /// directory it made itself removes that one.
    private let ownsDirectory: Bool
    let clock: TestClock
    let ledger: FailingLedger
    let service: RCRPService
    let server: HTTPServer

    static func makeDirectory() -> String {
        let path = NSTemporaryDirectory() + "rcrp-service-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Agencies for the tests: every kind covers `*` except adult social care, which covers only
    /// E06000031, so that calls elsewhere needing it are unroutable.
    static let agencies: [Agency] = DevelopmentFixtures.agencies.map { agency in
        var agency = agency
        if agency.kind == .adultSocialCare { agency.areas = ["E06000031"] }
        agency.acknowledgeWithinMinutes = 10
        agency.acceptWithinMinutes = 30
        return agency
    }

    init(directory: String? = nil, clock: TestClock = TestClock(), rulesPath: String? = nil,
         ledgerOptions: FileLedgerOptions = FileLedgerOptions(),
         configure: (inout ServiceConfiguration) -> Void = { _ in }) async throws {
        ownsDirectory = directory == nil
        let directory = directory ?? LiveService.makeDirectory()
        self.directory = directory
        self.clock = clock
        var configuration = ServiceConfiguration(keys: DevelopmentFixtures.keys, seedAgencies: LiveService.agencies,
                                                 openAPIDocument: "openapi: 3.1.0\n")
        configure(&configuration)
        ledger = FailingLedger(try FileLedger.open(directory: directory, options: ledgerOptions, clock: { clock.now }))
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        service = try RCRPService(configuration: configuration, ledger: ledger, ruleSet: try TestRules.load(),
                                  rulesPath: rulesPath ?? TestRules.path, clock: { clock.now }, logger: logger)
        try await service.start()
        var serverConfiguration = HTTPServerConfiguration()
        serverConfiguration.port = 0
        serverConfiguration.loopCount = 1
        server = HTTPServer(configuration: serverConfiguration, router: service.makeRouter(), logger: logger, observer: service.observer)
        try server.start()
    }

    func stop() async {
        service.stop()
        await server.shutdown()
        ledger.inner.close()
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory) }
    }

    func request(_ method: String, _ path: String, key: String?, json: JSONValue? = nil,
                 headers: [(String, String)] = []) async throws -> Reply {
        var all = headers
        if let key { all.append(("Authorization", "Bearer \(key)")) }
        var body: [UInt8]?
        if let json {
            body = json.serialized()
            if !all.contains(where: { $0.0.lowercased() == "content-type" }) { all.append(("Content-Type", "application/json")) }
        } else if method == "POST" || method == "PUT" {
            body = []
        }
        return try await WireClient.send(port: server.port, method: method, path: path, headers: all, body: body)
    }

    func raw(_ method: String, _ path: String, headers: [(String, String)], body: [UInt8]) async throws -> Reply {
        try await WireClient.send(port: server.port, method: method, path: path, headers: headers, body: body)
    }

    /// Every record in the ledger, oldest first.
    func records() throws -> [LedgerRecord] {
        try ledger.records(from: 1, limit: 100_000)
    }
}

/// Calls the tests post.
enum Calls {
    /// A concern for welfare with a care need only: police do not attend, adult social care takes it.
    static func careNeed(_ ref: String = "CAD-1", area: String = "E06000031", subject: String? = "P-1") -> JSONValue {
        var subjectObject: JSONObject = ["name": "B. Person", "age": 34, "mha_status": "none", "restricted_patient": false]
        if let subject { subjectObject["reference"] = .string(subject) }
        return [
            "incident_ref": .string(ref), "call_type": "concern_for_welfare",
            "caller": ["type": "public", "name": "A. Caller", "phone": "07700900123"],
            "subject": .object(subjectObject),
            "location": ["address": "1 High St", "area": .string(area), "setting": "home"],
            "risk": ["threat_to_life": false, "serious_harm": false, "immediacy": "none", "crime": "none", "violence": false,
                     "child_at_risk": false, "lacks_capacity": false, "whereabouts_known": true,
                     "intelligence_of_harm": "no", "medical_need": false, "care_need": true],
            "partner_steps_taken": [], "notes": "Neighbour has not seen her for a week.",
        ]
    }

    /// The same call with a crime occurring: police attend (a built-in invariant).
    static func crimeOccurring(_ ref: String = "CAD-2") -> JSONValue {
        guard case .object(var call) = careNeed(ref), case .object(var risk)? = call["risk"] else { return .null }
        risk["crime"] = "occurring"
        call["risk"] = .object(risk)
        return .object(call)
    }
}
