import Foundation

/// A health-related call as the control room describes it (the body of `POST /v1/calls`).
public struct Call: Sendable, Hashable {
    public var incidentRef: String
    public var callType: CallType
    public var receivedAt: Date?
    public var caller: Caller
    public var subject: Subject
    public var location: Location
    public var risk: Risk
    public var partnerStepsTaken: [PartnerStep]
    public var s136: S136?
    public var notes: String?
    /// Fields the caller did not give and that took their default, e.g. "risk.intelligence_of_harm".
    public var assumed: [String]

    public init(incidentRef: String, callType: CallType, receivedAt: Date? = nil,
                caller: Caller, subject: Subject = Subject(), location: Location,
                risk: Risk = Risk(), partnerStepsTaken: [PartnerStep] = [], s136: S136? = nil,
                notes: String? = nil, assumed: [String] = []) {
        self.incidentRef = incidentRef
        self.callType = callType
        self.receivedAt = receivedAt
        self.caller = caller
        self.subject = subject
        self.location = location
        self.risk = risk
        self.partnerStepsTaken = partnerStepsTaken
        self.s136 = s136
        self.notes = notes
        self.assumed = assumed
    }

    /// The partner steps as a bit set (bit i = `PartnerStep.allCases[i]`), the form rules test.
    @inline(__always) var partnerStepBits: Int {
        var bits = 0
        for step in partnerStepsTaken { bits |= 1 << step.code }
        return bits
    }
}

/// Who called.
public struct Caller: Sendable, Hashable {
    public var type: CallerType
    public var name: String?
    public var phone: String?
    public var organisation: String?

    public init(type: CallerType, name: String? = nil, phone: String? = nil, organisation: String? = nil) {
        self.type = type
        self.name = name
        self.phone = phone
        self.organisation = organisation
    }
}

/// The person the call is about.
public struct Subject: Sendable, Hashable {
    public var name: String?
    public var age: Int?
    /// The control room's own pseudonymous id for the person (repeat-contact detection).
    public var reference: String?
    public var mhaStatus: MHAStatus
    public var restrictedPatient: Bool

    public init(name: String? = nil, age: Int? = nil, reference: String? = nil,
                mhaStatus: MHAStatus = .unknown, restrictedPatient: Bool = false) {
        self.name = name
        self.age = age
        self.reference = reference
        self.mhaStatus = mhaStatus
        self.restrictedPatient = restrictedPatient
    }
}

/// Where the call is about; `area` (an ONS area code or a force's own) routes the handoffs.
public struct Location: Sendable, Hashable {
    public var address: String?
    public var area: String
    public var setting: Setting
    public var lat: Double?
    public var lon: Double?

    public init(address: String? = nil, area: String, setting: Setting = .unknown,
                lat: Double? = nil, lon: Double? = nil) {
        self.address = address
        self.area = area
        self.setting = setting
        self.lat = lat
        self.lon = lon
    }
}

/// The risk picture. Defaults are the values a missing flag takes (see `Call.decode`).
public struct Risk: Sendable, Hashable {
    public var threatToLife: Bool
    public var seriousHarm: Bool
    public var immediacy: Immediacy
    public var crime: Crime
    public var violence: Bool
    public var childAtRisk: Bool
    public var lacksCapacity: Bool
    public var whereaboutsKnown: Bool
    public var intelligenceOfHarm: Intelligence
    public var medicalNeed: Bool
    public var careNeed: Bool

    public init(threatToLife: Bool = false, seriousHarm: Bool = false, immediacy: Immediacy = .none,
                crime: Crime = .none, violence: Bool = false, childAtRisk: Bool = false,
                lacksCapacity: Bool = false, whereaboutsKnown: Bool = false,
                intelligenceOfHarm: Intelligence = .unknown, medicalNeed: Bool = false,
                careNeed: Bool = false) {
        self.threatToLife = threatToLife
        self.seriousHarm = seriousHarm
        self.immediacy = immediacy
        self.crime = crime
        self.violence = violence
        self.childAtRisk = childAtRisk
        self.lacksCapacity = lacksCapacity
        self.whereaboutsKnown = whereaboutsKnown
        self.intelligenceOfHarm = intelligenceOfHarm
        self.medicalNeed = medicalNeed
        self.careNeed = careNeed
    }
}

/// A section 136 detention handed over at a health-based place of safety.
public struct S136: Sendable, Hashable {
    /// When police arrived with the detainee: the one-hour handover clock starts here.
    public var arrivedAt: Date

    public init(arrivedAt: Date) { self.arrivedAt = arrivedAt }
}
