/// Everything `rcrp-router serve` needs to start, as read from `config/rcrp-router.yaml`,
/// `RCRP_*` environment variables and command-line flags (in rising precedence).
/// Field names and defaults are documented in `config/rcrp-router.yaml` and the README.
public struct RouterConfiguration: Sendable, Equatable {
    public struct Listen: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port = 8080
        /// Event-loop threads; 0 means automatic, `RouterConfiguration.automaticEventLoops`: one
        /// per core but one (at least one loop).
        public var eventLoops = 0
    }

    public struct TLS: Sendable, Equatable {
        public var certificateChainFile: String
        public var privateKeyFile: String
    }

    public struct Limits: Sendable, Equatable {
        public var maxRequestLineBytes = 8192
        public var maxHeaderBytes = 32768
        public var maxHeaderCount = 100
        public var maxBodyBytes = 1 << 20
        public var maxDecompressedBodyBytes = 4 << 20
        public var maxPipelinedRequests = 16
        public var maxConnections = 20_000
    }

    public struct Timeouts: Sendable, Equatable {
        public var headerReadSeconds = 10
        public var bodyReadSeconds = 30
        public var idleSeconds = 60
        public var writeSeconds = 30
        public var tlsHandshakeSeconds = 10
        public var shutdownGraceSeconds = 10
    }

    /// One API key, held only as the SHA-256 of the key so that the file discloses nothing.
    public struct Key: Sendable, Equatable {
        public var id: String
        public var role: String
        public var agencyID: String?
        public var sha256: String
    }

    /// Minutes an agency has to acknowledge and to accept a handoff, used when neither the
    /// deciding rule nor the agency's own record sets them. Per call type, a rule sets its own.
    public struct Deadline: Sendable, Equatable {
        public var acknowledgeWithinMinutes = 15
        public var acceptWithinMinutes = 60
    }

    public struct RepeatContact: Sendable, Equatable {
        /// This many calls about the same `subject.reference`…
        public var calls = 3
        /// …within this many days flags the call `repeat_contact`.
        public var days = 30
    }

    public var listen = Listen()
    public var tls: TLS?
    public var limits = Limits()
    public var timeouts = Timeouts()
    public var dataDirectory = "./data"
    public var rulesPath = "config/rules"
    public var agenciesFile: String?
    public var keys: [Key] = []
    public var deadlines = Deadline()
    public var officerHours: [String: Double] = RouterConfiguration.defaultOfficerHours
    public var repeatContact = RepeatContact()
    public var longPollMaxWaitSeconds = 30
    /// Write a state snapshot after this many ledger records, so that start-up replays only the tail.
    public var snapshotIntervalRecords = 10_000
    /// …and at least this fraction of the records the last snapshot covered (`SnapshotSchedule`).
    public var snapshotTailFraction = 1.0
    public var logLevel = "info"
    public var logFormat = "json"

    public init() {}

    public var ledgerDirectory: String { RouterConfiguration.join(dataDirectory, "ledger") }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    // MARK: Vocabularies (API.md)

    public static let callTypes = ["concern_for_welfare", "walk_out", "awol", "medical_transport", "s136_handover"]
    public static let roles = ["control_room", "agency", "supervisor", "auditor", "admin"]
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
    public static let logFormats = ["json", "text"]

    /// The Met's implied 5.7 officer hours per avoided deployment (RCRP.md), for every call type.
    public static let defaultOfficerHours: [String: Double] =
        Dictionary(uniqueKeysWithValues: callTypes.map { ($0, 5.7) })
}
