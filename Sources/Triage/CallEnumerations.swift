// The closed vocabularies of the call model (API.md). Raw values are the wire names.

/// An enumeration with API wire names whose cases the rule engine addresses by position.
public protocol CodedEnumeration: CaseIterable, RawRepresentable, Sendable, Hashable
where RawValue == String, AllCases == [Self] {}

extension CodedEnumeration {
    /// The case's position in `allCases`. A payload-free enum stores exactly that as its one-byte
    /// tag (Swift ABI), so the engine reads it without a switch or a string comparison;
    /// `TriageTests.enumerationCodesMatchDeclarationOrder` keeps that honest.
    @inline(__always) var code: Int {
        withUnsafeBytes(of: self) { Int($0[0]) }
    }

    static var wireNames: [String] { allCases.map(\.rawValue) }
}

/// What the call is about: the RCRP phases forces rolled out.
public enum CallType: String, CodedEnumeration {
    case concernForWelfare = "concern_for_welfare"
    case walkOut = "walk_out"
    case awol
    case medicalTransport = "medical_transport"
    case s136Handover = "s136_handover"
}

/// Who is calling the police control room.
public enum CallerType: String, CodedEnumeration {
    case `public`, family
    case healthProfessional = "health_professional"
    case socialCare = "social_care"
    case ambulance, police, other
}

/// The subject's legal status under the Mental Health Act 1983.
public enum MHAStatus: String, CodedEnumeration {
    case none, informal, s2, s3, s37
    case s37_41
    case cto, guardianship, s135, s136, unknown
}

/// Where the subject is, or was when the call was made.
public enum Setting: String, CodedEnumeration {
    case home
    case publicPlace = "public_place"
    case emergencyDepartment = "emergency_department"
    case hospitalWard = "hospital_ward"
    case mentalHealthUnit = "mental_health_unit"
    case careHome = "care_home"
    case gpSurgery = "gp_surgery"
    case placeOfSafety = "place_of_safety"
    case other, unknown
}

/// When a risk would materialise: only `present` meets the NPA's "real and immediate".
public enum Immediacy: String, CodedEnumeration {
    case present, future, conditional, none
}

/// Whether a crime is part of the call.
public enum Crime: String, CodedEnumeration {
    case none, occurring, occurred
}

/// Whether there is intelligence that the subject has come to harm.
public enum Intelligence: String, CodedEnumeration {
    case yes, no, unknown
}

/// Reasonable steps a partner agency has already taken before calling police.
public enum PartnerStep: String, CodedEnumeration {
    case searchedPremises = "searched_premises"
    case contactedPerson = "contacted_person"
    case contactedNextOfKin = "contacted_next_of_kin"
    case s18ExpiryProvided = "s18_expiry_provided"
}

/// What the decision asks for. Police attend exactly for `policeAttend` and `jointResponse`.
public enum Outcome: String, CodedEnumeration {
    case policeAttend = "police_attend"
    case jointResponse = "joint_response"
    case handoff
    case adviceOnly = "advice_only"

    public var policeAttend: Bool { self == .policeAttend || self == .jointResponse }
}

/// The kind of agency a handoff goes to.
public enum AgencyKind: String, CodedEnumeration {
    case police, ambulance
    case mentalHealthTrust = "mental_health_trust"
    case acuteTrust = "acute_trust"
    case adultSocialCare = "adult_social_care"
    case childrenSocialCare = "children_social_care"
    case amhpService = "amhp_service"
    case streetTriage = "street_triage"
    case other
}
