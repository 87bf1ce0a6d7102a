import Foundation
import Synchronization
import Testing
@testable import HTTPServer

/// Where a deferred test route leaves its responders, with signals for the test thread.
final class Parking: Sendable {
    let responders = Mutex<[Responder]>([])
    let parked = DispatchSemaphore(value: 0)
    let cancelled = DispatchSemaphore(value: 0)

    /// Waits (on a test thread) until `count` requests are parked; false after 10 s.
    func awaitParked(_ count: Int = 1) -> Bool {
        (0..<count).allSatisfy { _ in parked.wait(timeout: .now() + 10) == .success }
    }

    var first: Responder? { responders.withLock { $0.first } }

    /// A router whose `/later` requests wait for the test, and `/now` answers inline.
    func router() -> Router {
        var router = Router()
        router.onDeferred(.GET, "/later") { [self] request, responder in
            if request.query("fail") != nil { throw HTTPError(418, detail: "thrown inline") }
            if request.query("at-once") != nil { return .text(200, "at once") }
            if request.query("drop") != nil { return nil }
            responder.onCancel { [self] in cancelled.signal() }
            responders.withLock { $0.append(responder) }
            parked.signal()
            return nil
        }
        router.onSync(.GET, "/now") { _ in .text(200, "now") }
        return router
    }
}

@Suite struct DeferredRouteLiveTests {
    @Test func aResponderDroppedWithoutAnAnswerAnswers500() async throws {
        let parking = Parking()
        try await withServer(parking.router()) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /later?drop HTTP/1.1\r\nHost: x\r\n\r\nGET /now HTTP/1.1\r\nHost: x\r\n\r\n")
            let first = try c.readResponse()
            let second = try c.readResponse()
            #expect(first.status == 500)
            #expect(second.status == 200 && second.text == "now")
        }
    }

    @Test func deferredAnswerFromAnotherThreadKeepsPipelineOrder() async throws {
        let parking = Parking()
        try await withServer(parking.router()) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\nGET /now HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(parking.awaitParked())
            let answered = Thread { parking.first?.respond(.text(200, "later")) }
            answered.start()
            let first = try c.readResponse()
            let second = try c.readResponse()
            #expect(first.status == 200 && first.text == "later")
            #expect(second.status == 200 && second.text == "now")
        }
    }

    @Test func deferredHandlerMayAnswerAtOnceOrThrow() async throws {
        let parking = Parking()
        try await withServer(parking.router()) { server in
            let now = try exchange(server.port, "GET /later?at-once=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(now.status == 200 && now.text == "at once")
            let thrown = try exchange(server.port, "GET /later?fail=1 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(thrown.status == 418)
            let head = try exchange(server.port, "HEAD /later?at-once=1 HTTP/1.1\r\nHost: x\r\n\r\n", headRequest: true)
            #expect(head.status == 200 && head.body.isEmpty)
        }
    }

    @Test func secondRespondIsIgnoredAndTheConnectionStaysInStep() async throws {
        let parking = Parking()
        try await withServer(parking.router()) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(parking.awaitParked())
            let responder = try #require(parking.first)
            #expect(responder.respond(.text(200, "first")))
            #expect(!responder.respond(.text(500, "second")))
            #expect(!responder.isPending)
            #expect(try c.readResponse().text == "first")
            c.send("GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try c.readResponse().text == "now")
        }
    }

    @Test func clientLeavingWhileWaitingCancelsTheResponder() async throws {
        let parking = Parking()
        try await withServer(parking.router()) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(parking.awaitParked())
            c.hangUp()
            #expect(parking.cancelled.wait(timeout: .now() + 10) == .success)
            let responder = try #require(parking.first)
            #expect(!responder.isPending)
            #expect(!responder.respond(.text(200, "too late")))
            // Told only once, and a cancellation handler set afterwards runs at once.
            let again = DispatchSemaphore(value: 0)
            responder.onCancel { again.signal() }
            #expect(again.wait(timeout: .now()) == .success)
            #expect(parking.cancelled.wait(timeout: .now()) == .timedOut)
        }
    }

    @Test func waitingRequestOutlivesTheIdleTimeout() async throws {
        let parking = Parking()
        try await withServer(parking.router(), configure: { $0.timeouts.idle = .milliseconds(300) }) { server in
            let c = try RawClient(port: server.port)
            c.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(parking.awaitParked())
            Thread.sleep(forTimeInterval: 1.2)
            #expect(parking.first?.respond(.text(200, "still here")) == true)
            #expect(try c.readResponse().text == "still here")
        }
    }

    @Test func shutdownClosesAWaitingRequestAtTheGraceAndCancelsIt() async throws {
        var config = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        config.loopCount = 1
        config.timeouts.shutdownGrace = .milliseconds(300)
        let parking = Parking()
        let server = HTTPServer(configuration: config, router: parking.router(), logger: .init(label: "test"))
        try server.start()
        let c = try RawClient(port: server.port)
        c.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await offPool { parking.awaitParked() })
        await server.shutdown()
        #expect(try await offPool { c.isClosedByServer() })
        #expect(try await offPool { parking.cancelled.wait(timeout: .now() + 10) == .success })
        #expect(parking.first?.respond(.text(200, "after shutdown")) == false)
    }

    @Test func answerDuringShutdownIsSentWithConnectionClose() async throws {
        var config = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        config.loopCount = 1
        config.timeouts.shutdownGrace = .seconds(20)
        let parking = Parking()
        let server = HTTPServer(configuration: config, router: parking.router(), logger: .init(label: "test"))
        try server.start()
        let c = try RawClient(port: server.port)
        c.send("GET /later HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await offPool { parking.awaitParked() })
        // Answer only once the loop drains (the listener is gone), so the answer is the connection's last.
        let port = server.port
        let answerer = Thread {
            while (try? RawClient(port: port)) != nil { Thread.sleep(forTimeInterval: 0.01) }
            parking.first?.respond(.text(200, "last"))
        }
        answerer.start()
        await server.shutdown()
        let response = try await offPool { try c.readResponse() }
        #expect(response.text == "last" && response.headers["Connection"] == "close")
        #expect(try await offPool { c.isClosedByServer() })
    }

    @Test func routerHandleWaitsForALaterAnswerWithoutSockets() async throws {
        let parking = Parking()
        let router = parking.router()
        let answerer = Thread {
            if parking.awaitParked() { parking.first?.respond(.text(202, "from elsewhere")) }
        }
        answerer.start()
        let response = await router.handle(HTTPRequest(method: .GET, target: "/later"))
        #expect(response.status == 202 && String(decoding: response.body, as: UTF8.self) == "from elsewhere")
        let atOnce = await router.handle(HTTPRequest(method: .GET, target: "/later?at-once=1"))
        #expect(atOnce.status == 200)
    }
}
