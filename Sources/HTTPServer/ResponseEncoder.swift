/// Per-request facts the encoder needs beyond the response itself.
struct ResponseContext: Sendable {
    var isHead: Bool
    var keepAlive: Bool
    var minorVersion: Int
    var requestID: String
    var acceptsGzip: Bool
}

/// Turns a handler's response into wire bytes: validated headers plus the ones the server owns.
enum ResponseEncoder {
    /// Framing and identity belong to the server; a handler's values for these are replaced.
    private static let serverOwned = ["content-length", "transfer-encoding", "connection", "date", "server", "x-request-id"]

    private static func isServerOwned(_ name: String) -> Bool {
        serverOwned.contains { HTTPHeaders.namesEqual($0, name) }
    }

    static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    private static let statusLines: [Int: [UInt8]] = {
        var d: [Int: [UInt8]] = [:]
        for s in [200, 201, 202, 204, 304, 400, 401, 403, 404, 405, 408, 409, 413, 414, 415, 417, 422, 429, 431, 500, 501, 503, 505] {
            d[s] = Array("HTTP/1.1 \(s) \(HTTPResponse.reasonPhrase(s))\r\n".utf8)
        }
        return d
    }()

    /// Whether a handler's headers can be written without letting a value inject another header.
    static func headersAreValid(_ headers: HTTPHeaders) -> Bool {
        headers.allSatisfy { ASCII.isToken($0.name) && ASCII.isFieldValue($0.value) }
    }

    /// Head and body bytes; `body` is empty for HEAD, 204 and 304.
    static func encode(_ original: HTTPResponse, _ ctx: ResponseContext, date: [UInt8], serverName: [UInt8]) -> (head: [UInt8], body: [UInt8]) {
        var response = original
        if !(200...599).contains(response.status) || !headersAreValid(response.headers) {
            // CR/LF in a handler's header would split the response: refuse it as our own failure.
            response = .serverProblem(500, detail: "The server produced an invalid response.", requestID: ctx.requestID)
        }
        let bodyAllowed = response.status != 204 && response.status != 304
        var body = bodyAllowed ? response.body : []
        var extra: [(String, String)] = []
        if bodyAllowed && body.count >= Gzip.minimumBodyBytes && !response.headers.contains("Content-Encoding") {
            if !response.headers.hasToken("Accept-Encoding", in: "Vary") { extra.append(("Vary", "Accept-Encoding")) }
            if ctx.acceptsGzip, let gz = Gzip.compress(body), gz.count < body.count {
                body = gz
                extra.append(("Content-Encoding", "gzip"))
            }
        }
        var head: [UInt8] = []
        head.reserveCapacity(192 + response.headers.count * 48)
        if let line = statusLines[response.status] {
            head += line
        } else {
            head += Array("HTTP/1.1 \(response.status) \(HTTPResponse.reasonPhrase(response.status))\r\n".utf8)
        }
        for (name, value) in response.headers {
            if isServerOwned(name) { continue }
            append(&head, name, value)
        }
        for (name, value) in extra { append(&head, name, value) }
        if response.status != 204 && response.status != 304 {
            head += "Content-Length: ".utf8
            head += String(body.count).utf8
            head += [13, 10]
        }
        head += "Date: ".utf8
        head += date
        head += "\r\nServer: ".utf8
        head += serverName
        head += "\r\nX-Request-ID: ".utf8
        head += ctx.requestID.utf8
        head += [13, 10]
        if !ctx.keepAlive {
            head += "Connection: close\r\n".utf8
        } else if ctx.minorVersion == 0 {
            head += "Connection: keep-alive\r\n".utf8
        }
        head += [13, 10]
        return (head, ctx.isHead ? [] : body)
    }

    @inline(__always) private static func append(_ head: inout [UInt8], _ name: String, _ value: String) {
        head += name.utf8
        head += [58, 32]
        head += value.utf8
        head += [13, 10]
    }
}
