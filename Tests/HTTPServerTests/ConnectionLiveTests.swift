import Foundation
import JSON
import Testing
@testable import HTTPServer

func demoRouter() -> Router {
    var r = Router()
    r.onSync(.GET, "/healthz") { _ in .text(200, "ok") }
    r.onSync(.POST, "/echo") { req in HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], body: req.body) }
    r.on(.GET, "/slow") { _ in
        try await Task.sleep(for: .milliseconds(200))
        return .text(200, "slow")
    }
    r.onSync(.GET, "/fast") { _ in .text(200, "fast") }
    r.onSync(.DELETE, "/nothing") { _ in HTTPResponse(status: 204) }
    r.onSync(.GET, "/big") { _ in .text(200, String(repeating: "rcrp ", count: 1000)) }
    r.onSync(.GET, "/small") { _ in .text(200, "tiny") }
    r.onSync(.GET, "/inject") { _ in HTTPResponse(status: 200, headers: ["X-Bad": "a\r\nSet-Cookie: evil=1"], body: []) }
    r.on(.GET, "/v1/calls/{call_id}") { req in
        .json(200, .object(["call_id": .string(req.parameters["call_id"] ?? ""), "q": .string(req.query("q") ?? "")]))
    }
    r.onSync(.PUT, "/v1/calls/{call_id}") { _ in .text(200, "put") }
    r.on(.GET, "/teapot") { _ in throw HTTPError(418, title: "I'm a teapot", detail: "short and stout") }
    r.onSync(.GET, "/crash") { _ in
        struct Secret: Error {}
        throw Secret()
    }
    r.onSync(.GET, "/request-id") { req in .text(200, req.requestID) }
    return r
}

@Suite struct ConnectionLiveTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withServer(demoRouter()) { server in
            let c = try RawClient(port: server.port)
            for _ in 0..<3 {
                c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 200 && r.text == "ok" && r.headers["Connection"] == nil)
            }
        }
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() async throws {
        try await withServer(demoRouter()) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /healthz HTTP/1.0\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 200 && r.headers["Connection"] == "close")
            #expect(c.isClosedByServer())
            let k = try RawClient(port: server.port)
            k.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try k.readResponse().headers["Connection"] == "keep-alive")
            k.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try k.readResponse().status == 200)
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer(demoRouter()) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(try c.readResponse().headers["Connection"] == "close")
            #expect(c.isClosedByServer())
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlower() async throws {
        try await withServer(demoRouter()) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().text == "slow")
            #expect(try c.readResponse().text == "fast")
            #expect(try c.readResponse().text == "slow")
        }
    }

    @Test func manyPipelinedRequestsBeyondTheBoundAreAllAnswered() async throws {
        try await withServer(demoRouter(), configure: { $0.limits.maxPipelinedRequests = 2 }) { server in
            let c = try RawClient(port: server.port)
            c.send(String(repeating: "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", count: 5))
            for _ in 0..<5 { #expect(try c.readResponse().text == "slow") }
        }
    }

    @Test func expect100ContinueGetsAnInterimResponseBeforeTheBody() async throws {
        try await withServer(demoRouter()) { server in
            let c = try RawClient(port: server.port)
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            #expect(try c.readResponse().status == 100)
            c.send("hello")
            let r = try c.readResponse()
            #expect(r.status == 200 && r.text == "hello")
        }
    }

    @Test func expect100ContinueIsSentOnceALargerEarlierPipelinedResponseIsQueued() async throws {
        var router = demoRouter()
        router.on(.GET, "/big-later") { _ in
            try await Task.sleep(for: .milliseconds(50))
            return .text(200, String(repeating: "x", count: 64 * 1024))
        }
        // The earlier response passes the unsent-bytes bound: parsing pauses while it is written.
        try await withServer(router, configure: { $0.limits.maxUnsentBytes = 4096 }) { server in
            let c = try RawClient(port: server.port, timeoutSeconds: 10)
            c.send("GET /big-later HTTP/1.1\r\nHost: x\r\n\r\n"
                   + "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            let first = try c.readResponse()
            #expect(first.status == 200 && first.body.count == 64 * 1024)
            #expect(try c.readResponse().status == 100)  // used to wait for a body the client holds back
            c.send("hello")
            let r = try c.readResponse()
            #expect(r.status == 200 && r.text == "hello")
        }
    }

    @Test func expect100ContinueWithTooLargeBodyGetsTheFinalStatusInstead() async throws {
        try await withServer(demoRouter(), configure: { $0.limits.maxBodyBytes = 10 }) { server in
            let c = try RawClient(port: server.port)
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 50\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 413 && r.headers["Connection"] == "close")
        }
    }

    @Test func otherExpectationsGet417AndClose() async throws {
        try await withServer(demoRouter()) { server in
            let c = try RawClient(port: server.port)
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 5\r\n\r\nhello")
            #expect(try c.readResponse().status == 417)
            #expect(c.isClosedByServer())
        }
    }

    @Test func headIsServedByTheGetRouteWithItsHeadersAndNoBody() async throws {
        try await withServer(demoRouter()) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /small HTTP/1.1\r\nHost: x\r\n\r\n")
            let get = try c.readResponse()
            c.send("HEAD /small HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try c.readResponse(headRequest: true)
            #expect(head.status == 200 && head.headers["Content-Length"] == get.headers["Content-Length"])
            #expect(head.headers["Content-Type"] == get.headers["Content-Type"])
            // The next response must follow immediately: no body bytes were sent for HEAD.
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().text == "ok")
        }
    }

    @Test func noContentResponseHasNoBodyOrLength() async throws {
        try await withServer(demoRouter()) { server in
            let c = try RawClient(port: server.port)
            c.send("DELETE /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
            let r = try c.readResponse()
            #expect(r.status == 204 && r.headers["Content-Length"] == nil)
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().text == "ok")
        }
    }

    @Test func everyResponseCarriesDateAndServer() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(r.headers["Server"] == "rcrp-router")
            #expect(r.headers["Date"]?.hasSuffix(" GMT") == true)
            let e = try exchange(server.port, "GET / HTTP/9.9\r\nHost: x\r\n\r\n")
            #expect(e.headers["Date"] != nil && e.headers["Server"] != nil)
        }
    }

    @Test func headerInjectionByAHandlerBecomes500() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "GET /inject HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(r.status == 500 && r.headers["Set-Cookie"] == nil)
        }
    }

    @Test func framingErrorAnswersItsStatusAndCloses() async throws {
        try await withServer(demoRouter()) { server in
            let cases: [(String, Int)] = [
                ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
                ("BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
                ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
                ("GET / HTTP/1.1\r\nHost: x\r\nX: " + String(repeating: "a", count: 40000) + "\r\n\r\n", 431),
                ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", 413),
            ]
            for (request, status) in cases {
                let c = try RawClient(port: server.port)
                c.send(request)
                let r = try c.readResponse()
                #expect(r.status == status, "\(request.prefix(40))")
                #expect(r.headers["Connection"] == "close")
                #expect(r.headers["Content-Type"] == "application/problem+json")
                #expect(c.isClosedByServer())
            }
        }
    }

    @Test func chunkedRequestBodyReachesTheHandler() async throws {
        try await withServer(demoRouter()) { server in
            let r = try exchange(server.port, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            #expect(r.status == 200 && r.text == "abcde")
        }
    }
}
