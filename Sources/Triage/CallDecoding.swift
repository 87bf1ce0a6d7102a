import Foundation
import JSON

extension Call {
    /// Bounds on every field, so one call can never carry unbounded text.
    public enum Limits {
        public static let incidentRef = 64
        public static let name = 200
        public static let phone = 32
        public static let organisation = 200
        public static let reference = 64
        public static let address = 500
        public static let area = 64
        public static let notes = 4000
        public static let maximumAge = Field.maximumAge
    }

    /// The fields that take a default when absent and are then listed in `assumed`.
    /// `risk.whereabouts_known` defaults to false: not knowing where a person is must never be
    /// mistaken for knowing it. `subject.mha_status` defaults to `unknown`, not `none`.
    public static let defaultedFields = [
        "subject.mha_status", "subject.restricted_patient",
        "risk.threat_to_life", "risk.serious_harm", "risk.immediacy", "risk.crime", "risk.violence",
        "risk.child_at_risk", "risk.lacks_capacity", "risk.whereabouts_known",
        "risk.intelligence_of_harm", "risk.medical_need", "risk.care_need",
    ]

    /// Decodes a `POST /v1/calls` body strictly: unknown fields, unknown enumeration values and
    /// wrong types are errors naming the field; every problem is reported, not just the first.
    /// Risk flags (and the subject's legal status) that are not given take their defaults and
    /// are listed in `assumed`.
    public static func decode(_ json: JSONValue) -> Result<Call, CallValidationError> {
        var decoder = CallDecoder()
        let call = decoder.call(json)
        if let call, decoder.problems.isEmpty { return .success(call) }
        return .failure(CallValidationError(problems: decoder.problems))
    }

    /// The call in API form. Defaulted fields are left out, so decoding it gives this call back,
    /// `assumed` included.
    public var json: JSONValue {
        // Members appended in the canonical order, each once (no look-up per member); a field
        // that took its default is left out, which only needs checking when any did.
        let assumed = self.assumed
        func given(_ field: String) -> Bool { assumed.isEmpty || !assumed.contains(field) }
        var object = JSONObject(capacity: 12)
        object.appendNew("incident_ref", .string(incidentRef))
        object.appendNew("call_type", .string(callType.rawValue))
        if let receivedAt { object.appendNew("received_at", .string(RFC3339.format(receivedAt))) }
        var callerObject = JSONObject(capacity: 4)
        callerObject.appendNew("type", .string(caller.type.rawValue))
        if let name = caller.name { callerObject.appendNew("name", .string(name)) }
        if let phone = caller.phone { callerObject.appendNew("phone", .string(phone)) }
        if let organisation = caller.organisation { callerObject.appendNew("organisation", .string(organisation)) }
        object.appendNew("caller", .object(callerObject))
        var subjectObject = JSONObject(capacity: 5)
        if let name = subject.name { subjectObject.appendNew("name", .string(name)) }
        if let age = subject.age { subjectObject.appendNew("age", .int(age)) }
        if let reference = subject.reference { subjectObject.appendNew("reference", .string(reference)) }
        if given("subject.mha_status") { subjectObject.appendNew("mha_status", .string(subject.mhaStatus.rawValue)) }
        if given("subject.restricted_patient") { subjectObject.appendNew("restricted_patient", .bool(subject.restrictedPatient)) }
        object.appendNew("subject", .object(subjectObject))
        var locationObject = JSONObject(capacity: 5)
        if let address = location.address { locationObject.appendNew("address", .string(address)) }
        locationObject.appendNew("area", .string(location.area))
        locationObject.appendNew("setting", .string(location.setting.rawValue))
        if let lat = location.lat { locationObject.appendNew("lat", .double(lat)) }
        if let lon = location.lon { locationObject.appendNew("lon", .double(lon)) }
        object.appendNew("location", .object(locationObject))
        var riskObject = JSONObject(capacity: 11)
        func risk(_ key: String, _ field: String, _ value: JSONValue) {
            if given(field) { riskObject.appendNew(key, value) }
        }
        risk("threat_to_life", "risk.threat_to_life", .bool(self.risk.threatToLife))
        risk("serious_harm", "risk.serious_harm", .bool(self.risk.seriousHarm))
        risk("immediacy", "risk.immediacy", .string(self.risk.immediacy.rawValue))
        risk("crime", "risk.crime", .string(self.risk.crime.rawValue))
        risk("violence", "risk.violence", .bool(self.risk.violence))
        risk("child_at_risk", "risk.child_at_risk", .bool(self.risk.childAtRisk))
        risk("lacks_capacity", "risk.lacks_capacity", .bool(self.risk.lacksCapacity))
        risk("whereabouts_known", "risk.whereabouts_known", .bool(self.risk.whereaboutsKnown))
        risk("intelligence_of_harm", "risk.intelligence_of_harm", .string(self.risk.intelligenceOfHarm.rawValue))
        risk("medical_need", "risk.medical_need", .bool(self.risk.medicalNeed))
        risk("care_need", "risk.care_need", .bool(self.risk.careNeed))
        object.appendNew("risk", .object(riskObject))
        object.appendNew("partner_steps_taken", .array(partnerStepsTaken.map { .string($0.rawValue) }))
        object.appendNew("s136", s136.map { .object(["arrived_at": .string(RFC3339.format($0.arrivedAt))]) } ?? .null)
        object.appendNew("notes", .optional(notes))
        return .object(object)
    }
}

extension Call {
    /// `json.serialized()`, byte for byte, written straight from the fields (no tree to build
    /// and walk): what POST /v1/calls records. The member order and the defaulted fields left
    /// out are `json`'s; tests compare the two.
    public var jsonBytes: [UInt8] {
        let assumed = self.assumed
        func given(_ field: String) -> Bool { assumed.isEmpty || !assumed.contains(field) }
        var out = JSONWriter(capacity: 1024)
        out.beginObject()
        out.key("incident_ref"); out.string(incidentRef)
        out.key("call_type"); out.string(callType.rawValue)
        if let receivedAt { out.key("received_at"); out.string(RFC3339.format(receivedAt)) }
        out.key("caller"); out.beginObject()
        out.key("type"); out.string(caller.type.rawValue)
        if let name = caller.name { out.key("name"); out.string(name) }
        if let phone = caller.phone { out.key("phone"); out.string(phone) }
        if let organisation = caller.organisation { out.key("organisation"); out.string(organisation) }
        out.endObject()
        out.key("subject"); out.beginObject()
        if let name = subject.name { out.key("name"); out.string(name) }
        if let age = subject.age { out.key("age"); out.value(.int(age)) }
        if let reference = subject.reference { out.key("reference"); out.string(reference) }
        if given("subject.mha_status") { out.key("mha_status"); out.string(subject.mhaStatus.rawValue) }
        if given("subject.restricted_patient") { out.key("restricted_patient"); out.bool(subject.restrictedPatient) }
        out.endObject()
        out.key("location"); out.beginObject()
        if let address = location.address { out.key("address"); out.string(address) }
        out.key("area"); out.string(location.area)
        out.key("setting"); out.string(location.setting.rawValue)
        if let lat = location.lat { out.key("lat"); out.value(.double(lat)) }
        if let lon = location.lon { out.key("lon"); out.value(.double(lon)) }
        out.endObject()
        out.key("risk"); out.beginObject()
        if given("risk.threat_to_life") { out.key("threat_to_life"); out.bool(risk.threatToLife) }
        if given("risk.serious_harm") { out.key("serious_harm"); out.bool(risk.seriousHarm) }
        if given("risk.immediacy") { out.key("immediacy"); out.string(risk.immediacy.rawValue) }
        if given("risk.crime") { out.key("crime"); out.string(risk.crime.rawValue) }
        if given("risk.violence") { out.key("violence"); out.bool(risk.violence) }
        if given("risk.child_at_risk") { out.key("child_at_risk"); out.bool(risk.childAtRisk) }
        if given("risk.lacks_capacity") { out.key("lacks_capacity"); out.bool(risk.lacksCapacity) }
        if given("risk.whereabouts_known") { out.key("whereabouts_known"); out.bool(risk.whereaboutsKnown) }
        if given("risk.intelligence_of_harm") { out.key("intelligence_of_harm"); out.string(risk.intelligenceOfHarm.rawValue) }
        if given("risk.medical_need") { out.key("medical_need"); out.bool(risk.medicalNeed) }
        if given("risk.care_need") { out.key("care_need"); out.bool(risk.careNeed) }
        out.endObject()
        out.key("partner_steps_taken"); out.beginArray()
        for step in partnerStepsTaken { out.string(step.rawValue) }
        out.endArray()
        out.key("s136")
        if let s136 {
            out.beginObject(); out.key("arrived_at"); out.string(RFC3339.format(s136.arrivedAt)); out.endObject()
        } else {
            out.null()
        }
        out.key("notes")
        if let notes { out.string(notes) } else { out.null() }
        out.endObject()
        return out.bytes
    }
}

/// Walks a call body, collecting every problem with its field path.
private struct CallDecoder {
    var problems: [FieldProblem] = []
    var assumed: [String] = []

    mutating func fail(_ field: String, _ problem: String) {
        problems.append(FieldProblem(field: field, problem: problem))
    }

    /// The members of an object, after refusing unknown ones.
    mutating func object(_ value: JSONValue?, _ path: String, allowed: [String]) -> JSONObject? {
        guard let value, !value.isNull else { return nil }
        guard let object = value.objectValue else {
            fail(path, "must be an object, not \(value.typeName)")
            return nil
        }
        for key in object.keys where !allowed.contains(key) {
            fail(path.isEmpty ? key : "\(path).\(key)", "unknown field\(YAMLReader.suggestion(key, among: allowed))")
        }
        return object
    }

    mutating func string(_ value: JSONValue?, _ path: String, maxLength: Int, required: Bool = false, multiline: Bool = false) -> String? {
        guard let value, !value.isNull else {
            if required { fail(path, "is required") }
            return nil
        }
        guard let text = value.stringValue else {
            fail(path, "must be a string, not \(value.typeName)")
            return nil
        }
        if required && text.isEmpty {
            fail(path, "must not be empty")
            return nil
        }
        // A string has at most as many characters as UTF-8 bytes, so short ones need no count.
        if text.utf8.count > maxLength && text.count > maxLength {
            fail(path, "must be at most \(maxLength) characters")
            return nil
        }
        // C0 controls and DEL are single bytes; the C1 controls U+0080–U+009F are C2 80–C2 9F.
        var forbidden = false
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7f {
                if !(multiline && (byte == 0x0a || byte == 0x09 || byte == 0x0d)) { forbidden = true; break }
            } else if previous == 0xc2 && byte >= 0x80 && byte <= 0x9f {
                forbidden = true
                break
            }
            previous = byte
        }
        if forbidden {
            fail(path, "must not contain control characters")
            return nil
        }
        return text
    }

    mutating func enumeration<E: CodedEnumeration>(_ value: JSONValue?, _ type: E.Type, _ path: String) -> E? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue else {
            fail(path, "must be a string, not \(value.typeName)")
            return nil
        }
        guard let result = E(rawValue: text) else {
            fail(path, "unknown value '\(text.prefix(64))'\(YAMLReader.suggestion(text, among: E.wireNames)); expected one of \(E.wireNames.joined(separator: ", "))")
            return nil
        }
        return result
    }

    mutating func bool(_ value: JSONValue?, _ path: String) -> Bool? {
        guard let value, !value.isNull else { return nil }
        guard let flag = value.boolValue else {
            fail(path, "must be true or false, not \(value.typeName)")
            return nil
        }
        return flag
    }

    mutating func time(_ value: JSONValue?, _ path: String, required: Bool = false) -> Date? {
        guard let text = string(value, path, maxLength: 64, required: required) else { return nil }
        guard let date = RFC3339.parse(text) else {
            fail(path, "must be an RFC 3339 time such as 2026-11-22T10:15:00Z")
            return nil
        }
        return date
    }

    mutating func number(_ value: JSONValue?, _ path: String, range: ClosedRange<Double>) -> Double? {
        guard let value, !value.isNull else { return nil }
        guard let number = value.doubleValue, number.isFinite else {
            fail(path, "must be a number, not \(value.typeName)")
            return nil
        }
        guard range.contains(number) else {
            fail(path, "must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return number
    }

    /// A defaulted field: its value if given, else the default, noted in `assumed`.
    mutating func defaulted<T>(_ value: JSONValue?, _ path: String, _ default: T, _ read: (inout CallDecoder) -> T?) -> T {
        if value == nil || value?.isNull == true {
            assumed.append(path)
            return `default`
        }
        return read(&self) ?? `default`
    }

    // The members each object may have, built once rather than per call.
    static let topKeys = ["incident_ref", "call_type", "received_at", "caller", "subject",
                          "location", "risk", "partner_steps_taken", "s136", "notes"]
    static let callerKeys = ["type", "name", "phone", "organisation"]
    static let subjectKeys = ["name", "age", "reference", "mha_status", "restricted_patient"]
    static let locationKeys = ["address", "area", "setting", "lat", "lon"]
    static let riskKeys = ["threat_to_life", "serious_harm", "immediacy", "crime", "violence", "child_at_risk",
                           "lacks_capacity", "whereabouts_known", "intelligence_of_harm", "medical_need", "care_need"]

    mutating func call(_ json: JSONValue) -> Call? {
        guard case .object = json else {
            fail("", "the call must be a JSON object, not \(json.typeName)")
            return nil
        }
        let top = object(json, "", allowed: Self.topKeys)!
        let incidentRef = string(top["incident_ref"], "incident_ref", maxLength: Call.Limits.incidentRef, required: true)
        let callType = enumeration(top["call_type"], CallType.self, "call_type")
        if top["call_type"] == nil || top["call_type"]?.isNull == true { fail("call_type", "is required") }
        let receivedAt = time(top["received_at"], "received_at")

        var callerType: CallerType?
        var caller = Caller(type: .other)
        if let object = object(top["caller"], "caller", allowed: Self.callerKeys) {
            callerType = enumeration(object["type"], CallerType.self, "caller.type")
            if object["type"] == nil || object["type"]?.isNull == true { fail("caller.type", "is required") }
            caller.name = string(object["name"], "caller.name", maxLength: Call.Limits.name)
            caller.phone = string(object["phone"], "caller.phone", maxLength: Call.Limits.phone)
            caller.organisation = string(object["organisation"], "caller.organisation", maxLength: Call.Limits.organisation)
        } else if top["caller"]?.objectValue == nil && (top["caller"] == nil || top["caller"]?.isNull == true) {
            fail("caller.type", "is required")
        }
        if let callerType { caller.type = callerType }

        var subject = Subject()
        let subjectObject = object(top["subject"], "subject", allowed: Self.subjectKeys)
        if let object = subjectObject {
            subject.name = string(object["name"], "subject.name", maxLength: Call.Limits.name)
            if let age = object["age"], !age.isNull {
                if let years = age.intValue, (0...Int64(Call.Limits.maximumAge)).contains(years) {
                    subject.age = Int(years)
                } else {
                    fail("subject.age", "must be a whole number of years from 0 to \(Call.Limits.maximumAge)")
                }
            }
            subject.reference = string(object["reference"], "subject.reference", maxLength: Call.Limits.reference)
        }
        subject.mhaStatus = defaulted(subjectObject?["mha_status"], "subject.mha_status", .unknown) {
            $0.enumeration(subjectObject?["mha_status"], MHAStatus.self, "subject.mha_status")
        }
        subject.restrictedPatient = defaulted(subjectObject?["restricted_patient"], "subject.restricted_patient", false) {
            $0.bool(subjectObject?["restricted_patient"], "subject.restricted_patient")
        }

        var location = Location(area: "")
        if let object = object(top["location"], "location", allowed: Self.locationKeys) {
            location.address = string(object["address"], "location.address", maxLength: Call.Limits.address)
            location.area = string(object["area"], "location.area", maxLength: Call.Limits.area, required: true) ?? ""
            location.setting = enumeration(object["setting"], Setting.self, "location.setting") ?? .unknown
            location.lat = number(object["lat"], "location.lat", range: -90...90)
            location.lon = number(object["lon"], "location.lon", range: -180...180)
        } else if top["location"] == nil || top["location"]?.isNull == true {
            fail("location.area", "is required")
        }

        let riskObject = object(top["risk"], "risk", allowed: Self.riskKeys)
        if top["risk"] == nil || top["risk"]?.isNull == true { fail("risk", "is required (an object; flags not given take their defaults)") }
        var risk = Risk()
        func flag(_ key: String, _ path: String, _ decoder: inout CallDecoder) -> Bool {
            decoder.defaulted(riskObject?[key], path, false) { $0.bool(riskObject?[key], path) }
        }
        risk.threatToLife = flag("threat_to_life", "risk.threat_to_life", &self)
        risk.seriousHarm = flag("serious_harm", "risk.serious_harm", &self)
        risk.immediacy = defaulted(riskObject?["immediacy"], "risk.immediacy", .none) {
            $0.enumeration(riskObject?["immediacy"], Immediacy.self, "risk.immediacy")
        }
        risk.crime = defaulted(riskObject?["crime"], "risk.crime", .none) {
            $0.enumeration(riskObject?["crime"], Crime.self, "risk.crime")
        }
        risk.violence = flag("violence", "risk.violence", &self)
        risk.childAtRisk = flag("child_at_risk", "risk.child_at_risk", &self)
        risk.lacksCapacity = flag("lacks_capacity", "risk.lacks_capacity", &self)
        risk.whereaboutsKnown = flag("whereabouts_known", "risk.whereabouts_known", &self)
        risk.intelligenceOfHarm = defaulted(riskObject?["intelligence_of_harm"], "risk.intelligence_of_harm", .unknown) {
            $0.enumeration(riskObject?["intelligence_of_harm"], Intelligence.self, "risk.intelligence_of_harm")
        }
        risk.medicalNeed = flag("medical_need", "risk.medical_need", &self)
        risk.careNeed = flag("care_need", "risk.care_need", &self)

        var steps: [PartnerStep] = []
        if let value = top["partner_steps_taken"], !value.isNull {
            if let items = value.arrayValue {
                if items.count > PartnerStep.allCases.count {
                    fail("partner_steps_taken", "has more than \(PartnerStep.allCases.count) items")
                } else {
                    for (index, item) in items.enumerated() {
                        guard let step = enumeration(item, PartnerStep.self, "partner_steps_taken[\(index)]") else {
                            if item.isNull { fail("partner_steps_taken[\(index)]", "must be a string, not null") }
                            continue
                        }
                        if steps.contains(step) {
                            fail("partner_steps_taken[\(index)]", "'\(step.rawValue)' is listed twice")
                        } else {
                            steps.append(step)
                        }
                    }
                }
            } else {
                fail("partner_steps_taken", "must be an array, not \(value.typeName)")
            }
        }

        var s136: S136?
        if let object = object(top["s136"], "s136", allowed: ["arrived_at"]) {
            if let arrived = time(object["arrived_at"], "s136.arrived_at", required: true) { s136 = S136(arrivedAt: arrived) }
            if let callType, callType != .s136Handover {
                fail("s136", "is only for s136_handover calls")
            }
        } else if callType == .s136Handover {
            fail("s136.arrived_at", "is required for s136_handover calls (the one-hour handover clock starts there)")
        }

        let notes = string(top["notes"], "notes", maxLength: Call.Limits.notes, multiline: true)

        guard let incidentRef, let callType, callerType != nil else { return nil }
        return Call(incidentRef: incidentRef, callType: callType, receivedAt: receivedAt, caller: caller,
                    subject: subject, location: location, risk: risk, partnerStepsTaken: steps, s136: s136,
                    notes: notes, assumed: assumed)
    }
}
