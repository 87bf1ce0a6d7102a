import JSON
import Triage

extension Agency {
    /// The agency as the API and the ledger show it.
    public var json: JSONValue {
        var contact = JSONObject()
        contact["phone"] = .optional(contactPhone)
        contact["email"] = .optional(contactEmail)
        return [
            "id": .string(id), "name": .string(name), "kind": .string(kind.rawValue),
            "areas": .array(areas.map(JSONValue.string)), "contact": .object(contact),
            "acknowledge_within_minutes": .optional(acknowledgeWithinMinutes),
            "accept_within_minutes": .optional(acceptWithinMinutes),
            "active": .bool(active),
        ]
    }

    static let fields: Set<String> = ["id", "name", "kind", "areas", "contact", "acknowledge_within_minutes",
                                      "accept_within_minutes", "active"]

    /// Reads an agency from a request body (or a ledger record), reporting every bad field at once.
    /// `pathID` is the id from `PUT /v1/agencies/{id}`: the body may omit the id or must repeat it.
    public static func decode(_ value: JSONValue, pathID: String? = nil) -> Result<Agency, BodyValidationError> {
        var problems: [BodyProblem] = []
        guard let object = value.objectValue else {
            return .failure(BodyValidationError([BodyProblem(field: "", problem: "must be a JSON object")]))
        }
        for key in object.keys where !fields.contains(key) {
            problems.append(BodyProblem(field: key, problem: "is not a field of an agency"))
        }
        func string(_ field: String, max: Int, required: Bool) -> String? {
            switch object[field] {
            case nil, .null?:
                if required { problems.append(BodyProblem(field: field, problem: "is required")) }
                return nil
            case .string(let text)?:
                if text.isEmpty || text.count > max {
                    problems.append(BodyProblem(field: field, problem: "must be 1–\(max) characters"))
                    return nil
                }
                return text
            default:
                problems.append(BodyProblem(field: field, problem: "must be a string"))
                return nil
            }
        }
        func minutes(_ field: String) -> Int? {
            switch object[field] {
            case nil, .null?: return nil
            case .int(let n)? where n >= 1 && n <= 10_080: return Int(n)
            default:
                problems.append(BodyProblem(field: field, problem: "must be a whole number of minutes from 1 to 10080"))
                return nil
            }
        }
        var id = string("id", max: 64, required: pathID == nil)
        if let given = id, !given.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            problems.append(BodyProblem(field: "id", problem: "may hold only letters, digits, '-' and '_'"))
        }
        if let pathID {
            if let given = id, given != pathID {
                problems.append(BodyProblem(field: "id", problem: "must match the id in the path (\(pathID))"))
            }
            id = pathID
        }
        let name = string("name", max: 200, required: true)
        var kind: AgencyKind?
        if let raw = string("kind", max: 64, required: true) {
            kind = AgencyKind(rawValue: raw)
            if kind == nil {
                problems.append(BodyProblem(field: "kind", problem: "must be one of \(AgencyKind.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        var areas: [String] = []
        switch object["areas"] {
        case .array(let items)? where !items.isEmpty && items.count <= 1000:
            for (index, item) in items.enumerated() {
                guard let area = item.stringValue, Agency.isAreaPattern(area) else {
                    problems.append(BodyProblem(field: "areas[\(index)]",
                                                problem: "must be an area code, a prefix ending in '*', or '*'"))
                    continue
                }
                areas.append(area)
            }
        default:
            problems.append(BodyProblem(field: "areas", problem: "must be a list of 1–1000 area codes"))
        }
        var phone: String?, email: String?
        switch object["contact"] {
        case nil, .null?: break
        case .object(let contact)?:
            for key in contact.keys where key != "phone" && key != "email" {
                problems.append(BodyProblem(field: "contact.\(key)", problem: "is not a field of a contact"))
            }
            for (field, value) in contact where field == "phone" || field == "email" {
                switch value {
                case .null: break
                case .string(let text) where !text.isEmpty && text.count <= (field == "phone" ? 64 : 254):
                    if field == "phone" { phone = text } else { email = text }
                default: problems.append(BodyProblem(field: "contact.\(field)", problem: "must be a string of 1–\(field == "phone" ? 64 : 254) characters"))
                }
            }
        default:
            problems.append(BodyProblem(field: "contact", problem: "must be an object"))
        }
        let acknowledge = minutes("acknowledge_within_minutes")
        let accept = minutes("accept_within_minutes")
        if let acknowledge, let accept, acknowledge > accept {
            problems.append(BodyProblem(field: "acknowledge_within_minutes", problem: "must not exceed accept_within_minutes"))
        }
        var active = true
        switch object["active"] {
        case nil, .null?: break
        case .bool(let flag)?: active = flag
        default: problems.append(BodyProblem(field: "active", problem: "must be true or false"))
        }
        guard problems.isEmpty, let id, let name, let kind else { return .failure(BodyValidationError(problems)) }
        return .success(Agency(id: id, name: name, kind: kind, areas: areas, contactPhone: phone, contactEmail: email,
                               acknowledgeWithinMinutes: acknowledge, acceptWithinMinutes: accept, active: active))
    }

    /// `*`, an area code, or an area-code prefix ending in `*`: 1–64 visible characters.
    public static func isAreaPattern(_ text: String) -> Bool {
        if text == "*" { return true }
        let code = text.hasSuffix("*") ? text.dropLast() : Substring(text)
        return !code.isEmpty && code.count <= 64 && !code.contains("*")
            && code.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F }
    }
}
