import Handoffs
import HTTPServer
import JSON

/// An answer other than success, as problem+json (RFC 9457) with the request id and, for
/// validation errors, every bad field.
public struct APIError: HTTPResponseError, Sendable {
    public var status: Int
    public var title: String
    public var detail: String?
    public var problems: [BodyProblem]
    public var headers: HTTPHeaders

    public init(_ status: Int, _ title: String, detail: String? = nil, problems: [BodyProblem] = [], headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.title = title
        self.detail = detail
        self.problems = problems
        self.headers = headers
    }

    public func response(for request: HTTPRequest) -> HTTPResponse {
        response(requestID: request.requestID)
    }

    public func response(requestID: String) -> HTTPResponse {
        var extra = JSONObject()
        if !problems.isEmpty {
            extra["errors"] = .array(problems.map { ["field": .string($0.field), "problem": .string($0.problem)] })
        }
        var response = HTTPResponse.problem(status, title: title, detail: detail, requestID: requestID, extra: extra)
        for (name, value) in headers { response.headers.set(name, value) }
        return response
    }

    static let unauthenticated = APIError(401, "Unauthorized", detail: "Send a valid key as 'Authorization: Bearer <key>'.",
                                          headers: ["WWW-Authenticate": "Bearer"])
    static func forbidden(_ detail: String) -> APIError { APIError(403, "Forbidden", detail: detail) }
    static func notFound(_ detail: String) -> APIError { APIError(404, "Not Found", detail: detail) }
    static func conflict(_ detail: String) -> APIError { APIError(409, "Conflict", detail: detail) }
    static func invalid(_ problems: [BodyProblem], detail: String = "The request body has invalid fields.") -> APIError {
        APIError(422, "Unprocessable Content", detail: detail, problems: problems)
    }
    static func invalidQuery(_ field: String, _ problem: String) -> APIError {
        APIError(422, "Unprocessable Content", detail: "A query parameter is invalid.",
                 problems: [BodyProblem(field: field, problem: problem)])
    }
    static func unavailable(_ reason: String) -> APIError {
        APIError(503, "Service Unavailable", detail: reason, headers: ["Retry-After": "30"])
    }
}
