import JSON
import Testing
@testable import HTTPServer

@Suite struct ResponseEncoderTests {
    let ctx = ResponseContext(isHead: false, keepAlive: true, minorVersion: 1, requestID: "rid-1", acceptsGzip: false)

    func headText(_ r: HTTPResponse, _ c: ResponseContext? = nil) -> String {
        String(decoding: ResponseEncoder.encode(r, c ?? ctx, date: Array("Mon, 23 Nov 2026 02:00:00 GMT".utf8), serverName: Array("rcrp-router".utf8)).head, as: UTF8.self)
    }

    @Test func serverOwnedHeadersFromAHandlerAreReplaced() {
        let text = headText(HTTPResponse(status: 200, headers: ["Content-Length": "999", "Connection": "close", "X-Request-ID": "spoof"], body: Array("ok".utf8)))
        #expect(text.contains("Content-Length: 2\r\n") && !text.contains("999") && !text.contains("spoof") && !text.contains("Connection"))
    }

    @Test func headerNamesAndValuesAreValidated() {
        #expect(headText(HTTPResponse(status: 200, headers: ["Bad Name": "v"])).hasPrefix("HTTP/1.1 500 "))
        #expect(headText(HTTPResponse(status: 200, headers: ["X": "a\nb"])).hasPrefix("HTTP/1.1 500 "))
        #expect(headText(HTTPResponse(status: 200, headers: ["X": "a\u{0}b"])).hasPrefix("HTTP/1.1 500 "))
        #expect(headText(HTTPResponse(status: 200, headers: ["X": "a\tb"])).hasPrefix("HTTP/1.1 200 "))
    }

    @Test func informationalOrOutOfRangeStatusFromAHandlerIs500() {
        #expect(headText(HTTPResponse(status: 101)).hasPrefix("HTTP/1.1 500 "))
        #expect(headText(HTTPResponse(status: 600)).hasPrefix("HTTP/1.1 500 "))
    }

    @Test func notModifiedHasNoBodyAndNoLength() {
        let (head, body) = ResponseEncoder.encode(HTTPResponse(status: 304, body: Array("x".utf8)), ctx, date: [], serverName: [])
        #expect(body.isEmpty && !String(decoding: head, as: UTF8.self).contains("Content-Length"))
    }

    @Test func problemResponseIsRFC9457JSON() throws {
        let r = HTTPResponse.problem(422, title: "Invalid call", detail: "risk.immediacy is missing", requestID: "r1",
                                     extra: ["errors": .array([.object(["field": .string("risk.immediacy"), "problem": .string("missing")])])])
        #expect(r.headers["Content-Type"] == "application/problem+json")
        let json = try JSON.parse(r.body)
        #expect(json["status"]?.intValue == 422 && json["title"]?.stringValue == "Invalid call" && json["request_id"]?.stringValue == "r1")
        #expect(json["errors"]?.arrayValue?.count == 1)
    }

    @Test func serverProblemEscapesItsStrings() throws {
        let r = HTTPResponse.serverProblem(404, detail: "No resource at /a\"b\\c\u{1}.", requestID: "x")
        #expect(try JSON.parse(r.body)["detail"]?.stringValue == "No resource at /a\"b\\c\u{1}.")
    }
}

@Suite struct AcceptEncodingTests {
    @Test func qValuesDecideWhetherGzipIsAcceptable() {
        #expect(AcceptEncoding.allowsGzip("gzip"))
        #expect(AcceptEncoding.allowsGzip("deflate, gzip;q=0.1"))
        #expect(AcceptEncoding.allowsGzip("x-gzip"))
        #expect(!AcceptEncoding.allowsGzip("gzip;q=0"))
        #expect(!AcceptEncoding.allowsGzip("gzip;q=0.000"))
        #expect(!AcceptEncoding.allowsGzip("identity"))
        #expect(!AcceptEncoding.allowsGzip(nil))
        #expect(AcceptEncoding.allowsGzip("*"))
        #expect(!AcceptEncoding.allowsGzip("*;q=0"))
        #expect(!AcceptEncoding.allowsGzip("*, gzip;q=0"))
        #expect(!AcceptEncoding.allowsGzip("gzip;q=nonsense"))
    }
}

@Suite struct GzipTests {
    @Test func roundTripRestoresTheBytes() throws {
        let plain = Array((0..<100_000).map { UInt8($0 % 251) })
        #expect(try Gzip.decompress(Gzip.compress(plain)!, limit: 200_000) == plain)
    }

    @Test func decompressionStopsAtTheLimit() {
        let bomb = Gzip.compress([UInt8](repeating: 0, count: 1_000_000))!
        #expect(throws: Gzip.DecodeError.tooLarge(limit: 1000)) { try Gzip.decompress(bomb, limit: 1000) }
    }

    @Test func truncatedOrTrailingGarbageIsCorrupt() {
        let gz = Gzip.compress(Array("hello".utf8))!
        #expect(throws: Gzip.DecodeError.corrupt) { try Gzip.decompress(Array(gz.dropLast(4)), limit: 100) }
        #expect(throws: Gzip.DecodeError.corrupt) { try Gzip.decompress(gz + [1, 2, 3], limit: 100) }
    }
}
