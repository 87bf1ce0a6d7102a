import Foundation
import JSON
import Testing
@testable import HTTPServer

@Suite struct RoutingLiveTests {
    @Test func routeParametersAndQueryArePercentDecoded() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /v1/calls/ab%20c%2Fd?q=x+y%26z HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(r.status == 200)
            let json = try JSON.parse(r.body)
            #expect(json["call_id"]?.stringValue == "ab c/d")
            #expect(json["q"]?.stringValue == "x y&z")
        }
    }

    @Test func encodedSlashStaysInsideItsSegmentForExactAndTemplateRoutes() async throws {
        var router = Router()
        router.onSync(.GET, "/a/b") { _ in .text(200, "exact") }
        router.onSync(.GET, "/v1/calls/{call_id}") { req in .text(200, "call " + (req.parameters["call_id"] ?? "")) }
        router.onSync(.GET, "/v1/calls/x/y") { _ in .text(200, "exact x/y") }
        func get(_ target: String) async -> (Int, String) {
            let r = await router.handle(HTTPRequest(method: .GET, target: target))
            return (r.status, String(decoding: r.body, as: UTF8.self))
        }
        #expect(await get("/a/b") == (200, "exact"))
        #expect(await get("/a/%62") == (200, "exact"))        // an escaped letter is the letter
        #expect(await get("/a%2Fb").0 == 404)                  // an escaped slash is not a separator
        #expect(await get("/v1/calls/a%2Fb") == (200, "call a/b"))
        #expect(await get("/v1/calls/x%2Fy") == (200, "call x/y"))
        #expect(await get("/v1/calls/x/y") == (200, "exact x/y"))
        let (slash, param) = try await withServer(router) { server in
            (try exchange(server.port, "GET /a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n"),
             try exchange(server.port, "GET /v1/calls/x%2Fy HTTP/1.1\r\nHost: x\r\n\r\n"))
        }
        #expect(slash.status == 404 && param.text == "call x/y")
    }

    @Test func unknownPathIs404ProblemJSON() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /nowhere HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc-123\r\n\r\n")
            #expect(r.status == 404 && r.headers["Content-Type"] == "application/problem+json")
            let json = try JSON.parse(r.body)
            #expect(json["status"]?.intValue == 404 && json["request_id"]?.stringValue == "abc-123")
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "POST /v1/calls/7 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            #expect(r.status == 405)
            let allow = Set((r.headers["Allow"] ?? "").split(separator: ",").map { String($0.trimmingSpaces) })
            #expect(allow == ["GET", "HEAD", "PUT"])
        }
    }

    @Test func thrownHTTPErrorBecomesItsProblemResponse() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(r.status == 418)
            let json = try JSON.parse(r.body)
            #expect(json["title"]?.stringValue == "I'm a teapot" && json["detail"]?.stringValue == "short and stout")
        }
    }

    @Test func unexpectedErrorBecomes500WithoutItsDetails() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /crash HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(r.status == 500 && !r.text.contains("Secret"))
        }
    }

    @Test func invalidPercentEncodingIsABadRequest() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /v1/calls/%zz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(r.status == 400)
        }
    }

    @Test func routerAnswersWithoutSockets() async {
        let router = demoRouter()
        let r = await router.handle(HTTPRequest(method: .GET, target: "/v1/calls/42?q=a"))
        #expect(r.status == 200)
        #expect(await router.handle(HTTPRequest(method: .HEAD, target: "/healthz")).status == 200)
        #expect(await router.handle(HTTPRequest(method: .GET, target: "/missing")).status == 404)
        #expect(await router.handle(HTTPRequest(method: .DELETE, target: "/healthz")).headers["Allow"] == "GET, HEAD")
    }
}

@Suite struct RequestIDLiveTests {
    @Test func saneRequestIDIsEchoed() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /request-id HTTP/1.1\r\nHost: x\r\nX-Request-ID: call.42:a_b-c\r\n\r\n")
            #expect(r.headers["X-Request-ID"] == "call.42:a_b-c" && r.text == "call.42:a_b-c")
        }
    }

    @Test func insaneRequestIDIsReplacedWithAGeneratedOne() async throws {
        try await withServer(demoRouter()) { server in
            for bad in ["has space", String(repeating: "a", count: 129), "quote\"d", ""] {
                let r = try exchange(server.port, "GET /request-id HTTP/1.1\r\nHost: x\r\nX-Request-ID: \(bad)\r\n\r\n")
                let id = r.headers["X-Request-ID"] ?? ""
                #expect(id != bad && RequestID.isSane(id) && r.text == id)
            }
        }
    }

    @Test func generatedRequestIDsDifferAndAppearOnErrors() async throws {
        try await withServer(demoRouter()) { server in
            let a = try exchange(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").headers["X-Request-ID"]
            let b = try exchange(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").headers["X-Request-ID"]
            #expect(a != nil && b != nil && a != b)
            let e = try exchange(server.port, "GET / HTTP/1.1\r\n\r\n")
            #expect(e.status == 400 && e.headers["X-Request-ID"] != nil)
            let json = try JSON.parse(e.body)
            #expect(json["request_id"]?.stringValue == e.headers["X-Request-ID"])
        }
    }
}

@Suite struct GzipLiveTests {
    @Test func largeBodyIsGzippedWhenAccepted() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br;q=1, gzip;q=0.5\r\n\r\n")
            #expect(r.headers["Content-Encoding"] == "gzip" && r.headers["Vary"] == "Accept-Encoding")
            let plain = try Gzip.decompress(r.body, limit: 1 << 20)
            #expect(plain == Array(String(repeating: "rcrp ", count: 1000).utf8))
        }
    }

    @Test func gzipRefusedWithQZeroOrNotAsked() async throws {
        try await withServer(demoRouter()) { server in
            for ae in ["gzip;q=0", "identity", "*;q=0", "br"] {
                let r = try exchange(server.port, "GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: \(ae)\r\n\r\n")
                #expect(r.headers["Content-Encoding"] == nil && r.body.count == 5000, "\(ae)")
                #expect(r.headers["Vary"] == "Accept-Encoding")
            }
            let none = try exchange(server.port, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(none.headers["Content-Encoding"] == nil)
            let star = try exchange(server.port, "GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: *\r\n\r\n")
            #expect(star.headers["Content-Encoding"] == "gzip")
        }
    }

    @Test func smallBodyIsNotCompressed() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /small HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
            #expect(r.headers["Content-Encoding"] == nil && r.text == "tiny")
        }
    }

    @Test func gzippedRequestBodyIsDecompressedForTheHandler() async throws {
        try await withServer(demoRouter()) { server in
            let plain = Array(String(repeating: "call ", count: 300).utf8)
            let gz = Gzip.compress(plain)!
            let c = try RawClient(port: server.port)
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n\r\n")
            c.send(gz)
            let r = try c.readResponse()
            #expect(r.status == 200 && r.body == plain)
        }
    }

    @Test func bodyCodingIsOnlyLookedAtOnceARouteIsFound() async throws {
        try await withServer(demoRouter()) { server in
            let corrupt = try exchange(server.port, "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope")
            #expect(corrupt.status == 404)
            let unknown = try exchange(server.port, "POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\nhi")
            #expect(unknown.status == 404)
            let wrongMethod = try exchange(server.port, "PATCH /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope")
            #expect(wrongMethod.status == 405)
        }
    }

    @Test func asyncRouteGetsItsBodyInflatedInItsTaskWithinTheBound() async throws {
        var router = demoRouter()
        router.on(.POST, "/echo-async") { req in HTTPResponse(status: 200, body: req.body) }
        try await withServer(router, configure: { $0.limits.maxDecompressedBodyBytes = 100_000 }) { server in
            let plain = Array(String(repeating: "inflate me ", count: 500).utf8)
            let gz = Gzip.compress(plain)!
            let c = try RawClient(port: server.port)
            c.send("POST /echo-async HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n\r\n")
            c.send(gz)
            let r = try c.readResponse()
            #expect(r.status == 200 && r.body == plain)
            let bomb = Gzip.compress([UInt8](repeating: 0, count: 10_000_000))!
            c.send("POST /echo-async HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(bomb.count)\r\n\r\n")
            c.send(bomb)
            #expect(try c.readResponse().status == 413)
        }
    }

    @Test func zipBombIsTooLarge() async throws {
        try await withServer(demoRouter(), configure: { $0.limits.maxDecompressedBodyBytes = 100_000 }) { server in
            let bomb = Gzip.compress([UInt8](repeating: 0, count: 10_000_000))!
            let c = try RawClient(port: server.port)
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: \(bomb.count)\r\n\r\n")
            c.send(bomb)
            #expect(try c.readResponse().status == 413)
        }
    }

    @Test func unknownContentCodingIs415() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\nhi")
            #expect(r.status == 415)
        }
    }

    @Test func everyContentEncodingFieldCounts() async throws {
        try await withServer(demoRouter()) { server in
            let plain = Array(String(repeating: "call ", count: 300).utf8)
            let gz = Gzip.compress(plain)!
            let c = try RawClient(port: server.port)
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: identity\r\nContent-Encoding: gzip\r\nContent-Length: \(gz.count)\r\n\r\n")
            c.send(gz)
            let r = try c.readResponse()
            #expect(r.status == 200 && r.body == plain)
            let twice = try exchange(server.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip, gzip\r\nContent-Length: 2\r\n\r\nhi")
            #expect(twice.status == 415)
        }
    }

    @Test func corruptGzipBodyIsABadRequest() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nnope")
            #expect(r.status == 400)
        }
    }
}
