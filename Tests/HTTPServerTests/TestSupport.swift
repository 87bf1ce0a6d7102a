import Foundation
import Logging
import Testing
@testable import HTTPServer

/// A server on 127.0.0.1 and a free port, stopped when the body returns. The body runs on its own
/// thread: its blocking socket calls must not take the cooperative pool the server's async handlers need.
func withServer<T: Sendable>(_ router: Router, configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                             _ body: @escaping @Sendable (HTTPServer) throws -> T) async throws -> T {
    var config = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    config.loopCount = 2
    configure(&config)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let server = HTTPServer(configuration: config, router: router, logger: logger)
    try server.start()
    do {
        let result = try await offPool { try body(server) }
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// Runs blocking work on a fresh thread and awaits it.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

/// A response as read off the wire by `RawClient`.
struct WireResponse {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum RawClientError: Error { case connectFailed(Int32), closed, timedOut, malformed(String) }

/// A blocking TCP client that sends exact bytes, so tests can send what no HTTP library would.
final class RawClient: @unchecked Sendable { // used by one thread at a time
    let fd: Int32
    private var buffer: [UInt8] = []

    /// The generous default read timeout is for `swift test` of the whole package: long synchronous
    /// tests of other modules can hold every thread of the concurrency pool for many seconds, and the
    /// server's async handlers run on that pool.
    init(port: Int, timeoutSeconds: Int = 30, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc != 0 {
            let e = errno
            close(fd)
            throw RawClientError.connectFailed(e)
        }
    }

    deinit { close(fd) }

    func send(_ s: String) { send(Array(s.utf8)) }

    /// Closes both directions (the server reads EOF) while keeping the descriptor for `deinit`.
    func hangUp() { shutdown(fd, Int32(SHUT_RDWR)) }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// Reads more bytes; false on EOF, throws on timeout.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n > 0 {
            buffer += chunk[0..<n]
            return true
        }
        if n == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw RawClientError.timedOut }
        return false // reset by peer counts as closed
    }

    func readResponse(headRequest: Bool = false) throws -> WireResponse {
        var headEnd: Int?
        while headEnd == nil {
            if let r = find([13, 10, 13, 10]) { headEnd = r } else if try !fill() { throw RawClientError.closed }
        }
        let headText = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawClientError.malformed(headText) }
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw RawClientError.malformed(line) }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        if status == 100 { return WireResponse(status: status, headers: headers, body: []) }
        var body: [UInt8] = []
        if !headRequest, let n = headers["Content-Length"].flatMap({ Int($0) }) {
            while buffer.count < n { if try !fill() { throw RawClientError.closed } }
            body = Array(buffer[0..<n])
            buffer.removeFirst(n)
        }
        return WireResponse(status: status, headers: headers, body: body)
    }

    /// True when the server closes the connection (EOF or reset) within the receive timeout.
    func isClosedByServer() -> Bool {
        do {
            while try fill() { buffer.removeAll() }
            return true
        } catch {
            return false
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where buffer[i..<(i + needle.count)].elementsEqual(needle) { return i }
        return nil
    }
}

/// One request on a fresh connection.
func exchange(_ port: Int, _ request: String, headRequest: Bool = false) throws -> WireResponse {
    let client = try RawClient(port: port)
    client.send(request)
    return try client.readResponse(headRequest: headRequest)
}

/// Runs a command-line tool and returns its exit status and combined output.
@discardableResult
func run(_ tool: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    let inPipe = Pipe()
    p.standardInput = inPipe
    try p.run()
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try? inPipe.fileHandleForWriting.close()
    let data = readToEnd(pipe.fileHandleForReading.fileDescriptor)
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Reads a descriptor to EOF, retrying EINTR: Foundation's readDataToEndOfFile traps on it, and
/// another test's child exiting (SIGCHLD) can interrupt the read.
private func readToEnd(_ fd: Int32) -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16_384)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            out.append(contentsOf: buffer[0..<count])
        } else if count < 0, errno == EINTR {
            continue
        } else {
            return out
        }
    }
}
