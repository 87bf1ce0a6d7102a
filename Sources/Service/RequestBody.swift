import Foundation
import Handoffs
import HTTPServer
import JSON

/// Reading a JSON request body: 415 unless it says it is JSON, 400 unless it parses.
enum RequestBody {
    static func json(_ request: HTTPRequest) throws(APIError) -> JSONValue {
        let contentType = request.headers["Content-Type"] ?? ""
        // The common exact form first: splitting, trimming and lowercasing cost more than the parse.
        let mediaType = contentType == "application/json" ? contentType : contentType.split(separator: ";", maxSplits: 1).first.map {
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
