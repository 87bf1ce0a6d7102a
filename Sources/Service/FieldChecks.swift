import Handoffs
import JSON

/// Checks on the fields of small request bodies, gathering every problem.
struct FieldChecks {
    var problems: [BodyProblem] = []

    mutating func string(_ object: JSONObject, _ field: String, max: Int = 200, required: Bool) -> String? {
        switch object[field] {
        case nil, .null?:
            if required { problems.append(BodyProblem(field: field, problem: "is required")) }
            return nil
        case .string(let text)? where !text.isEmpty && text.count <= max:
            return text
        default:
            problems.append(BodyProblem(field: field, problem: "must be a string of 1–\(max) characters"))
            return nil
        }
    }

    func finish() throws(APIError) {
        if !problems.isEmpty { throw APIError.invalid(problems) }
    }
}
