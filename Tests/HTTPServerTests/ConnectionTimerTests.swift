import Testing
@testable import HTTPServer

@Suite struct ConnectionTimerTests {
    let s: UInt64 = 1_000_000_000
    var timeouts: HTTPTimeouts {
        var t = HTTPTimeouts()
        t.headerRead = .seconds(10)
        t.bodyRead = .seconds(30)
        t.idle = .seconds(60)
        t.write = .seconds(20)
        t.tlsHandshake = .seconds(5)
        return t
    }

    @Test func silentConnectionIsClosedAfterTheHeaderTimeoutFromAccept() {
        let t = ConnectionTimer(timeouts: timeouts, acceptedAt: 100 * s, tls: false)
        #expect(t.expiry(at: 109 * s) == nil)
        #expect(t.expiry(at: 110 * s) == .close)
        #expect(t.deadline == 110 * s)
    }

    @Test func tricklingHeadGets408TenSecondsAfterItsFirstByteEvenWithProgress() {
        var t = ConnectionTimer(timeouts: timeouts, acceptedAt: 0, tls: false)
        t.bytesReceived(at: 2 * s)
        for k in 3...11 { t.bytesReceived(at: UInt64(k) * s) } // progress does not extend the head deadline
        #expect(t.expiry(at: 11 * s) == nil)
        #expect(t.expiry(at: 12 * s) == .requestTimeout)
    }

    @Test func bodyTimeoutRunsBetweenReads() {
        var t = ConnectionTimer(timeouts: timeouts, acceptedAt: 0, tls: false)
        t.bytesReceived(at: 1 * s)
        t.headParsed(at: 1 * s, bodyFollows: true)
        t.bytesReceived(at: 25 * s)
        #expect(t.expiry(at: 50 * s) == nil)
        #expect(t.expiry(at: 55 * s) == .requestTimeout)
    }

    @Test func handlerTimeIsNotCountedAgainstTheClient() {
        var t = ConnectionTimer(timeouts: timeouts, acceptedAt: 0, tls: false)
        t.bytesReceived(at: 1 * s)
        t.headParsed(at: 1 * s, bodyFollows: false)
        #expect(t.phase == .handling)
        #expect(t.expiry(at: 1000 * s) == nil && t.deadline == nil)
    }

    @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() {
        var t = ConnectionTimer(timeouts: timeouts, acceptedAt: 0, tls: false)
        t.bytesReceived(at: 1 * s)
        t.headParsed(at: 1 * s, bodyFollows: false)
        t.responsesCompleted(at: 2 * s, parser: .idle)
        #expect(t.phase == .awaitingRequest(first: false))
        #expect(t.expiry(at: 61 * s) == nil)
        #expect(t.expiry(at: 62 * s) == .close)
    }

    @Test func nextRequestHeadTimesFromWhenThePreviousResponseFinished() {
        var t = ConnectionTimer(timeouts: timeouts, acceptedAt: 0, tls: false)
        t.bytesReceived(at: 1 * s)
        t.headParsed(at: 1 * s, bodyFollows: false)
        t.responsesCompleted(at: 5 * s, parser: .head)
        #expect(t.expiry(at: 14 * s) == nil)
        #expect(t.expiry(at: 15 * s) == .requestTimeout)
    }

    @Test func stalledWriteClosesAndProgressResetsIt() {
        var t = ConnectionTimer(timeouts: timeouts, acceptedAt: 0, tls: false)
        t.bytesReceived(at: 1 * s)
        t.headParsed(at: 1 * s, bodyFollows: false)
        t.outputPending(at: 2 * s)
        t.outputProgressed(at: 15 * s, drained: false)
        #expect(t.expiry(at: 34 * s) == nil)
        #expect(t.expiry(at: 35 * s) == .close)
        t.outputProgressed(at: 35 * s, drained: true)
        #expect(t.expiry(at: 100 * s) == nil)
    }

    @Test func tlsHandshakeHasItsOwnTimeout() {
        var t = ConnectionTimer(timeouts: timeouts, acceptedAt: 0, tls: true)
        #expect(t.expiry(at: 5 * s) == .close)
        t.handshakeCompleted(at: 4 * s)
        #expect(t.expiry(at: 13 * s) == nil)
        #expect(t.expiry(at: 14 * s) == .close)
    }
}

