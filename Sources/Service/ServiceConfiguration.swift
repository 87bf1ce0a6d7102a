import Foundation
import Handoffs

/// Everything the service needs from the configuration file; the App maps the file onto it.
public struct ServiceConfiguration: Sendable {
    /// A configured API key: only the SHA-256 (hex) of the key is kept.
    public struct Key: Sendable, Hashable {
        public var id: String
        public var sha256: String
        public var role: Role
        public var agencyID: String?

        public init(id: String, sha256: String, role: Role, agencyID: String? = nil) {
            self.id = id
            self.sha256 = sha256.lowercased()
            self.role = role
            self.agencyID = agencyID
        }
    }

    /// N calls about the same subject within D days flag a repeat contact (RCRP.md).
    public struct RepeatContact: Sendable, Hashable {
        public var calls: Int
        public var days: Int

        public init(calls: Int = 3, days: Int = 30) {
            self.calls = calls
            self.days = days
        }
    }

    /// Bounds on long polls, so that waiting partners cannot exhaust the process.
    public struct LongPoll: Sendable, Hashable {
        public var maxWaitSeconds: Int
        public var maxWaiting: Int

        public init(maxWaitSeconds: Int = 30, maxWaiting: Int = 10_000) {
            self.maxWaitSeconds = maxWaitSeconds
            self.maxWaiting = maxWaiting
        }
    }

    public var keys: [Key]
    /// Agencies registered through the ledger at start when absent.
    public var seedAgencies: [Agency]
    public var defaultDeadlines: DeadlineMinutes
    public var repeatContact: RepeatContact
    /// Officer hours one avoided deployment releases, per call type; `defaultOfficerHours` otherwise.
    public var officerHours: [String: Double]
    public var defaultOfficerHours: Double
    public var longPoll: LongPoll
    /// Write a snapshot of the folded state after at least this many records (0: never)…
    public var snapshotInterval: Int
    /// …and at least this fraction of the records the last snapshot covered: each snapshot
    /// encodes the whole state, so their share of the work stays bounded as the state grows,
    /// and a start replays at most this fraction of its snapshot (`SnapshotSchedule`)…
    public var snapshotTailFraction: Double
    /// …but not more often than this (under a burst of writes the tail may then be longer).
    public var snapshotMinimumSeconds: Double
    /// The most commands appended in one ledger call (one fsync).
    public var maxBatch: Int
    /// The OpenAPI document served at /openapi.yaml.
    public var openAPIDocument: String

    public init(keys: [Key] = [], seedAgencies: [Agency] = [], defaultDeadlines: DeadlineMinutes = DeadlineMinutes(),
                repeatContact: RepeatContact = RepeatContact(), officerHours: [String: Double] = [:],
                defaultOfficerHours: Double = 5.7, longPoll: LongPoll = LongPoll(), snapshotInterval: Int = 10_000,
                snapshotTailFraction: Double = SnapshotSchedule.defaultTailFraction, snapshotMinimumSeconds: Double = 300,
                maxBatch: Int = 512, openAPIDocument: String = "") {
        self.keys = keys
        self.seedAgencies = seedAgencies
        self.defaultDeadlines = defaultDeadlines
        self.repeatContact = repeatContact
        self.officerHours = officerHours
        self.defaultOfficerHours = defaultOfficerHours
        self.longPoll = longPoll
        self.snapshotInterval = snapshotInterval
        self.snapshotTailFraction = snapshotTailFraction
        self.snapshotMinimumSeconds = snapshotMinimumSeconds
        self.maxBatch = maxBatch
        self.openAPIDocument = openAPIDocument
    }

    public var snapshotSchedule: SnapshotSchedule {
        SnapshotSchedule(interval: UInt64(max(0, snapshotInterval)), tailFraction: snapshotTailFraction,
                         minimumSeconds: snapshotMinimumSeconds)
    }

    public func officerHours(for callType: String) -> Double {
        officerHours[callType] ?? defaultOfficerHours
    }
}
