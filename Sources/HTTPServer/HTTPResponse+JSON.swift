import JSON

extension HTTPResponse {
    /// An application/json response.
    public static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: value.serialized())
    }

    /// An RFC 9457 application/problem+json response; `extra` members (e.g. `errors`) are added after the standard ones.
    public static func problem(_ status: Int, title: String, detail: String?, requestID: String, extra: JSONObject = [:]) -> HTTPResponse {
        var object: JSONObject = [
            "type": .string("about:blank"),
            "title": .string(title),
            "status": .int(Int64(status)),
        ]
        if let detail { object["detail"] = .string(detail) }
        object["request_id"] = .string(requestID)
        for (key, value) in extra where object[key] == nil { object[key] = value }
        return HTTPResponse(status: status, headers: ["Content-Type": "application/problem+json"], body: JSONValue.object(object).serialized())
    }
}
