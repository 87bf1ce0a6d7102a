/// Request body codings: gzip is gunzipped within a bound, identity passes, anything else is
/// refused. Applied only once a route is found (a 404 or 405 never pays for inflating), on the
/// loop for inline handlers and inside the task for async ones.
enum ContentCoding {
    /// Decodes `request.body` in place; the problem to answer instead when it cannot.
    static func decode(_ request: inout HTTPRequest, limit: Int) -> HTTPResponse? {
        guard request.headers.contains("Content-Encoding") else { return nil }
        // Every Content-Encoding field counts: "identity" then "gzip" on two lines is still gzip.
        let codings = request.headers.values("Content-Encoding")
            .flatMap { $0.split(separator: ",") }
            .map { String($0).trimmingSpaces.lowercased() }
            .filter { $0 != "identity" }
        func problem(_ status: Int, _ detail: String) -> HTTPResponse {
            .serverProblem(status, detail: detail, requestID: request.requestID)
        }
        if codings.count > 1 {
            return problem(415, "Only one Content-Encoding (gzip) is supported; got \(codings.joined(separator: ", ")).")
        }
        guard let coding = codings.first else { return nil }
        guard coding == "gzip" || coding == "x-gzip" else {
            return problem(415, "Content-Encoding '\(coding)' is not supported; send gzip or identity.")
        }
        do {
            request.body = try Gzip.decompress(request.body, limit: limit)
            return nil
        } catch .tooLarge(let limit) {
            return problem(413, "The request body is larger than \(limit) bytes after decompression.")
        } catch {
            return problem(400, "The request body is not valid gzip.")
        }
    }
}
