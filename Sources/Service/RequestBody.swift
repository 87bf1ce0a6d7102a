import Foundation
import Handoffs
import HTTPServer
import JSON

/// Reading a JSON request body: 415 unless it says it is JSON, 400 unless it parses.
enum RequestBody {
    static func json(_ request: HTTPRequest) throws(APIError) -> JSONValue {
        let contentType = request.headers["Content-Type"] ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        guard mediaType == "application/json" else {
            throw APIError(415, "Unsupported Media Type", detail: "Send the body as application/json.",
                           headers: ["Accept": "application/json"])
        }
        do {
            return try JSON.parse(request.body)
        } catch {
            throw APIError(400, "Bad Request", detail: error.description)
        }
    }

    /// The body as an object, with every member checked against the allowed names.
    static func object(_ request: HTTPRequest, allowed: Set<String>) throws(APIError) -> JSONObject {
        guard case .object(let object) = try json(request) else {
            throw APIError.invalid([BodyProblem(field: "", problem: "must be a JSON object")])
        }
        let unknown = object.keys.filter { !allowed.contains($0) }
        if !unknown.isEmpty {
            throw APIError.invalid(unknown.map { BodyProblem(field: $0, problem: "is not a field of this request") })
        }
        return object
    }
}

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

/// Query parameters: every bad one is a 422 naming it.
enum Query {
    static func int(_ request: HTTPRequest, _ name: String, default value: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text = request.query(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.invalidQuery(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func cursor(_ request: HTTPRequest, _ name: String) throws(APIError) -> UInt64 {
        guard let text = request.query(name), !text.isEmpty else { return 0 }
        guard let number = UInt64(text) else { throw APIError.invalidQuery(name, "must be a cursor this API returned") }
        return number
    }

    static func date(_ request: HTTPRequest, _ name: String) throws(APIError) -> Date? {
        guard let text = request.query(name), !text.isEmpty else { return nil }
        guard let date = RFC3339.parse(text) else { throw APIError.invalidQuery(name, "must be an RFC 3339 time") }
        return date
    }

    static func oneOf(_ request: HTTPRequest, _ name: String, _ allowed: [String]) throws(APIError) -> String? {
        guard let text = request.query(name), !text.isEmpty else { return nil }
        guard allowed.contains(text) else { throw APIError.invalidQuery(name, "must be one of \(allowed.joined(separator: ", "))") }
        return text
    }
}
