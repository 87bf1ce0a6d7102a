/// What applying records changed that the service acts on once they are durable: whose long
/// polls to wake. The fold knows this as it stores each handoff, so the after-commit work does
/// not look every handoff up again to find out.
public struct FoldEffects: Sendable, Equatable {
    /// Agencies whose handoff feed gained an entry, each once, in the order first changed.
    public private(set) var agencyIDs: [String] = []
    /// Whether the control room's escalation feed gained an entry.
    public internal(set) var escalations = false

    public init() {}

    public var isEmpty: Bool { agencyIDs.isEmpty && !escalations }

    /// A service has a handful of agencies and a record touches one or two, so a linear search
    /// beats hashing here.
    mutating func noteAgency(_ id: String) {
        if !agencyIDs.contains(id) { agencyIDs.append(id) }
    }

    /// Adds another record's (or batch's) effects to these.
    public mutating func merge(_ other: FoldEffects) {
        for id in other.agencyIDs { noteAgency(id) }
        escalations = escalations || other.escalations
    }
}
