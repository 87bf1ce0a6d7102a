// Stand-in for Triage.AgencyKind until the Triage module lands on main; removed then.
public enum AgencyKind: String, Sendable, Hashable, CaseIterable {
    case police, ambulance
    case mentalHealthTrust = "mental_health_trust"
    case acuteTrust = "acute_trust"
    case adultSocialCare = "adult_social_care"
    case childrenSocialCare = "children_social_care"
    case amhpService = "amhp_service"
    case streetTriage = "street_triage"
    case other
}
