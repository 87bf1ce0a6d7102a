import Triage

/// The registered agencies in registration order, and the routing of a handoff to one of them.
public struct AgencyDirectory: Sendable, Hashable {
    public private(set) var agencies: [Agency] = []
    private var index: [String: Int] = [:]

    public init() {}

    public subscript(id: String) -> Agency? {
        index[id].map { agencies[$0] }
    }

    /// Registers a new agency or replaces one with the same id, keeping its place in the order.
    public mutating func upsert(_ agency: Agency) {
        if let position = index[agency.id] {
            agencies[position] = agency
        } else {
            index[agency.id] = agencies.count
            agencies.append(agency)
        }
    }

    public mutating func deactivate(_ id: String) {
        if let position = index[id] { agencies[position].active = false }
    }

    /// The active agency of `kind` that covers `area` most specifically; among equals, the first
    /// registered, so that routing never depends on dictionary order.
    public func route(kind: AgencyKind, area: String, excluding excluded: Set<String> = []) -> Agency? {
        var best: (agency: Agency, score: Int)?
        for agency in agencies where agency.active && agency.kind == kind && !excluded.contains(agency.id) {
            guard let score = agency.coverage(of: area) else { continue }
            if score > (best?.score ?? -1) { best = (agency, score) }
        }
        return best?.agency
    }
}
