/// An error a handler throws that knows its own response; the server turns it into one in one place.
public protocol HTTPResponseError: Error {
    func response(for request: HTTPRequest) -> HTTPResponse
}

/// A thrown status with an optional problem title and detail: `throw HTTPError(404)`.
public struct HTTPError: HTTPResponseError, Sendable {
    public var status: Int
    public var title: String?
    public var detail: String?
    public var headers: HTTPHeaders

    public init(_ status: Int, title: String? = nil, detail: String? = nil, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers
    }

    public func response(for request: HTTPRequest) -> HTTPResponse {
        HTTPResponse.serverProblem(status, title: title, detail: detail, requestID: request.requestID, headers: headers)
    }
}
