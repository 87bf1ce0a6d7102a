import Triage

/// A partner that receives handoffs: what it is, where it covers and how fast it must answer.
public struct Agency: Sendable, Hashable {
    public var id: String
    public var name: String
    public var kind: AgencyKind
    /// Area codes it covers: an exact code (`E06000031`), a prefix ending in `*` (`E06*`) or `*` for anywhere.
    public var areas: [String]
    public var contactPhone: String?
    public var contactEmail: String?
    public var acknowledgeWithinMinutes: Int?
    public var acceptWithinMinutes: Int?
    public var active: Bool

    public init(id: String, name: String, kind: AgencyKind, areas: [String],
                contactPhone: String? = nil, contactEmail: String? = nil,
                acknowledgeWithinMinutes: Int? = nil, acceptWithinMinutes: Int? = nil, active: Bool = true) {
        self.id = id
        self.name = name
        self.kind = kind
        self.areas = areas
        self.contactPhone = contactPhone
        self.contactEmail = contactEmail
        self.acknowledgeWithinMinutes = acknowledgeWithinMinutes
        self.acceptWithinMinutes = acceptWithinMinutes
        self.active = active
    }

    /// Whether this agency acts on handoffs of `kind` in `area`: active, of that kind, covering
    /// the area. A handoff it no longer takes is re-routed (agency update or deactivation).
    public func takes(kind: AgencyKind, area: String) -> Bool {
        active && self.kind == kind && coverage(of: area) != nil
    }

    /// How specifically this agency covers `area`, or nil if it does not:
    /// an exact code beats any prefix, a longer prefix beats a shorter one, `*` comes last.
    public func coverage(of area: String) -> Int? {
        var best: Int?
        for pattern in areas {
            let score: Int?
            if pattern == "*" {
                score = 0
            } else if pattern.hasSuffix("*") {
                let prefix = pattern.dropLast()
                score = area.hasPrefix(prefix) ? 1 + prefix.count : nil
            } else {
                score = pattern == area ? Int.max : nil
            }
            if let score, score > (best ?? -1) { best = score }
        }
        return best
    }
}
