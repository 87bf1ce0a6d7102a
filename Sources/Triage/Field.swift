/// A call field that rules may test, with its finite domain of value codes.
///
/// Every field maps a call to a small integer code: an enumeration's case position, 0/1 for a
/// flag, the age in years (-1 when not given), or the partner steps as a bit set. Conditions and
/// the validator's enumeration both work on codes, so a field's whole domain is a short range.
enum Field: Int, CaseIterable, Sendable {
    case callType, callerType, mhaStatus, restrictedPatient, age, setting
    case threatToLife, seriousHarm, immediacy, crime, violence, childAtRisk, lacksCapacity
    case whereaboutsKnown, intelligenceOfHarm, medicalNeed, careNeed, partnerSteps

    /// The oldest age a call may carry; also the top of the age domain the validator enumerates.
    static let maximumAge = 150

    enum Kind: Equatable {
        case enumeration([String])
        case flag
        case age
        case stepSet
    }

    var path: String {
        switch self {
        case .callType: "call_type"
        case .callerType: "caller.type"
        case .mhaStatus: "subject.mha_status"
        case .restrictedPatient: "subject.restricted_patient"
        case .age: "subject.age"
        case .setting: "location.setting"
        case .threatToLife: "risk.threat_to_life"
        case .seriousHarm: "risk.serious_harm"
        case .immediacy: "risk.immediacy"
        case .crime: "risk.crime"
        case .violence: "risk.violence"
        case .childAtRisk: "risk.child_at_risk"
        case .lacksCapacity: "risk.lacks_capacity"
        case .whereaboutsKnown: "risk.whereabouts_known"
        case .intelligenceOfHarm: "risk.intelligence_of_harm"
        case .medicalNeed: "risk.medical_need"
        case .careNeed: "risk.care_need"
        case .partnerSteps: "partner_steps_taken"
        }
    }

    var kind: Kind {
        switch self {
        case .callType: .enumeration(CallType.wireNames)
        case .callerType: .enumeration(CallerType.wireNames)
        case .mhaStatus: .enumeration(MHAStatus.wireNames)
        case .setting: .enumeration(Setting.wireNames)
        case .immediacy: .enumeration(Immediacy.wireNames)
        case .crime: .enumeration(Crime.wireNames)
        case .intelligenceOfHarm: .enumeration(Intelligence.wireNames)
        case .age: .age
        case .partnerSteps: .stepSet
        case .restrictedPatient, .threatToLife, .seriousHarm, .violence, .childAtRisk,
             .lacksCapacity, .whereaboutsKnown, .medicalNeed, .careNeed: .flag
        }
    }

    /// Per field (by raw value), its enumeration's wire names, built once: `kind` builds them anew.
    private static let enumerationNames: [[String]?] = allCases.map { field in
        if case .enumeration(let names) = field.kind { names } else { nil }
    }

    static let byPath: [String: Field] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.path, $0) })

    /// Every code the field can take, in ascending order.
    var domain: [Int] {
        switch kind {
        case .enumeration(let names): Array(0..<names.count)
        case .flag: [0, 1]
        case .age: Array(-1...Field.maximumAge)
        case .stepSet: Array(0..<(1 << PartnerStep.allCases.count))
        }
    }

    /// The field's code for a call.
    @inline(__always) func code(in call: Call) -> Int {
        switch self {
        case .callType: call.callType.code
        case .callerType: call.caller.type.code
        case .mhaStatus: call.subject.mhaStatus.code
        case .restrictedPatient: call.subject.restrictedPatient ? 1 : 0
        case .age: call.subject.age ?? -1
        case .setting: call.location.setting.code
        case .threatToLife: call.risk.threatToLife ? 1 : 0
        case .seriousHarm: call.risk.seriousHarm ? 1 : 0
        case .immediacy: call.risk.immediacy.code
        case .crime: call.risk.crime.code
        case .violence: call.risk.violence ? 1 : 0
        case .childAtRisk: call.risk.childAtRisk ? 1 : 0
        case .lacksCapacity: call.risk.lacksCapacity ? 1 : 0
        case .whereaboutsKnown: call.risk.whereaboutsKnown ? 1 : 0
        case .intelligenceOfHarm: call.risk.intelligenceOfHarm.code
        case .medicalNeed: call.risk.medicalNeed ? 1 : 0
        case .careNeed: call.risk.careNeed ? 1 : 0
        case .partnerSteps: call.partnerStepBits
        }
    }

    /// Sets the field of `call` to the value with `code` (builds counterexample calls).
    func set(_ code: Int, in call: inout Call) {
        switch self {
        case .callType: call.callType = CallType.allCases[code]
        case .callerType: call.caller.type = CallerType.allCases[code]
        case .mhaStatus: call.subject.mhaStatus = MHAStatus.allCases[code]
        case .restrictedPatient: call.subject.restrictedPatient = code == 1
        case .age: call.subject.age = code < 0 ? nil : code
        case .setting: call.location.setting = Setting.allCases[code]
        case .threatToLife: call.risk.threatToLife = code == 1
        case .seriousHarm: call.risk.seriousHarm = code == 1
        case .immediacy: call.risk.immediacy = Immediacy.allCases[code]
        case .crime: call.risk.crime = Crime.allCases[code]
        case .violence: call.risk.violence = code == 1
        case .childAtRisk: call.risk.childAtRisk = code == 1
        case .lacksCapacity: call.risk.lacksCapacity = code == 1
        case .whereaboutsKnown: call.risk.whereaboutsKnown = code == 1
        case .intelligenceOfHarm: call.risk.intelligenceOfHarm = Intelligence.allCases[code]
        case .medicalNeed: call.risk.medicalNeed = code == 1
        case .careNeed: call.risk.careNeed = code == 1
        case .partnerSteps:
            call.partnerStepsTaken = PartnerStep.allCases.filter { code & (1 << $0.code) != 0 }
        }
    }

    /// The value with `code` as a person reads it: a wire name, true/false, an age, a step list.
    func describe(_ code: Int) -> String {
        if let names = Self.enumerationNames[rawValue] { return names[code] }
        return switch kind {
        case .enumeration(let names): names[code]
        case .flag: code == 1 ? "true" : "false"
        case .age: code < 0 ? "not given" : String(code)
        case .stepSet:
            "[" + PartnerStep.allCases.filter { code & (1 << $0.code) != 0 }.map(\.rawValue)
                .joined(separator: ", ") + "]"
        }
    }
}
