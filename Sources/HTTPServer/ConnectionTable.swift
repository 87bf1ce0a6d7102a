/// A loop's connections by descriptor, and the token epoll hands back for each. The token holds
/// the connection's id as well as its fd: when a connection closes and a new one takes its fd
/// within one batch of events, the old connection's remaining event finds no match instead of
/// acting on the newcomer.
struct ConnectionTable {
    private var byFD: [Connection?] = []
    private(set) var count = 0

    /// fd in the low half, the low 32 bits of the connection id in the high half. Ids start at 1,
    /// so a token with a zero high half is one of the loop's own descriptors (wake, listener).
    static func token(fd: Int32, id: UInt64) -> UInt64 {
        UInt64(UInt32(bitPattern: fd)) | (id << 32)
    }

    static func fd(of token: UInt64) -> Int32 { Int32(bitPattern: UInt32(truncatingIfNeeded: token)) }

    /// The live connection an event's token was registered for; nil when it has gone.
    func connection(for token: UInt64) -> Connection? {
        let fd = Int(Self.fd(of: token))
        guard fd < byFD.count, let c = byFD[fd], UInt32(truncatingIfNeeded: c.id) == UInt32(truncatingIfNeeded: token >> 32) else {
            return nil
        }
        return c
    }

    /// Whether `c` is still open (closing it frees its slot).
    func contains(_ c: Connection) -> Bool {
        Int(c.fd) < byFD.count && byFD[Int(c.fd)] === c
    }

    /// The open connection with this id, if its fd still belongs to it.
    func connection(fd: Int32, id: UInt64) -> Connection? {
        guard Int(fd) < byFD.count, let c = byFD[Int(fd)], c.id == id else { return nil }
        return c
    }

    mutating func insert(_ c: Connection) {
        let fd = Int(c.fd)
        if fd >= byFD.count {
            byFD.append(contentsOf: repeatElement(nil, count: max(fd + 1 - byFD.count, byFD.count)))
        }
        precondition(byFD[fd] == nil, "descriptor \(fd) already holds a connection")
        byFD[fd] = c
        count += 1
    }

    /// False when `c` was not (or no longer) in the table.
    @discardableResult
    mutating func remove(_ c: Connection) -> Bool {
        guard contains(c) else { return false }
        byFD[Int(c.fd)] = nil
        count -= 1
        return true
    }

    /// The table by fd (nil where none), to iterate while connections close: a copy-on-write
    /// snapshot, so closing during the loop is safe and a sweep that closes nothing copies nothing.
    var byDescriptor: [Connection?] { byFD }
}
