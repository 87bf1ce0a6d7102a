import Digests
import Handoffs
import Triage

/// The demo agencies and documented keys of `serve --dev` (API.md): never for production.
public enum DevelopmentFixtures {
    public static let agencies: [Agency] = [
        ("demo-police", "Demo Police", AgencyKind.police),
        ("demo-ambulance", "Demo Ambulance Service", .ambulance),
        ("demo-mh-trust", "Demo Mental Health Trust", .mentalHealthTrust),
        ("demo-acute-trust", "Demo Acute Trust", .acuteTrust),
        ("demo-adult-social-care", "Demo Adult Social Care", .adultSocialCare),
        ("demo-children-social-care", "Demo Children's Social Care", .childrenSocialCare),
        ("demo-amhp", "Demo AMHP Service", .amhpService),
        ("demo-street-triage", "Demo Street Triage", .streetTriage),
    ].map { Agency(id: $0.0, name: $0.1, kind: $0.2, areas: ["*"], acknowledgeWithinMinutes: 15, acceptWithinMinutes: 60) }

    /// The development keys in plain text, as documented (`dev-admin`, …, `dev-agency-<id>`).
    public static let plainKeys: [(key: String, role: Role, agencyID: String?)] =
        [("dev-admin", .admin, nil), ("dev-control-room", .controlRoom, nil), ("dev-supervisor", .supervisor, nil),
         ("dev-auditor", .auditor, nil)]
        + agencies.map { ("dev-agency-\($0.id)", Role.agency, $0.id) }

    /// The same keys as configuration entries (hashed), ids equal to the keys themselves.
    public static var keys: [ServiceConfiguration.Key] {
        plainKeys.map { ServiceConfiguration.Key(id: $0.key, sha256: SHA256.hex($0.key), role: $0.role, agencyID: $0.agencyID) }
    }
}
