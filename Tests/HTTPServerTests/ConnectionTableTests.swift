import Testing
@testable import HTTPServer

/// The fd-indexed table and the epoll tokens it hands out, without sockets.
@Suite struct ConnectionTableTests {
    private func connection(fd: Int32, id: UInt64) -> Connection {
        Connection(fd: fd, id: id, remoteAddress: "", limits: HTTPLimits(),
                   timer: ConnectionTimer(timeouts: HTTPTimeouts(), acceptedAt: 0, tls: false), tls: nil)
    }

    @Test func staleEventForAClosedConnectionDoesNotReachTheNewOneOnItsDescriptor() {
        var table = ConnectionTable()
        let old = connection(fd: 7, id: 41)
        table.insert(old)
        let staleToken = ConnectionTable.token(fd: 7, id: 41)
        #expect(table.connection(for: staleToken) === old)
        // Closed and its fd reused by the next accept, all within one batch of events.
        let removed = table.remove(old)
        #expect(removed)
        let new = connection(fd: 7, id: 42)
        table.insert(new)
        #expect(table.connection(for: staleToken) == nil)
        #expect(table.connection(for: ConnectionTable.token(fd: 7, id: 42)) === new)
        #expect(table.connection(fd: 7, id: 41) == nil && table.connection(fd: 7, id: 42) === new)
        #expect(!table.contains(old) && table.contains(new) && table.count == 1)
    }

    @Test func removingTwiceOrAStrangerChangesNothing() {
        var table = ConnectionTable()
        let a = connection(fd: 3, id: 1)
        table.insert(a)
        let stranger = table.remove(connection(fd: 3, id: 2))
        let first = table.remove(a)
        let second = table.remove(a)
        #expect(!stranger && first && !second)
        #expect(table.count == 0 && table.connection(for: ConnectionTable.token(fd: 3, id: 1)) == nil)
    }

    @Test func tokensOfTheLoopsOwnDescriptorsNeverMatchAConnection() {
        var table = ConnectionTable()
        table.insert(connection(fd: 5, id: 1 << 32))  // an id whose low half is zero, after 4 billion
        #expect(table.connection(for: UInt64(5)) != nil)  // such a connection does match its own token
        #expect(table.connection(for: UInt64(9)) == nil)
        #expect(table.connection(for: ConnectionTable.token(fd: 900, id: 3)) == nil)  // beyond the table
    }
}
