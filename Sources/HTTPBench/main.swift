#if canImport(Glibc)
import Glibc
#endif
import HTTPServer
import Logging

/// GET /healthz (the service's handler: text "ok", inline on the loop) sent REQUESTS times, one at a
/// time, on one keep-alive connection to an in-process server with one loop — for counting the
/// server's instructions per request under callgrind (scripts/bench/http-instructions.sh), which
/// cannot run the full service binary here.
/// Usage: HTTPBench [REQUESTS=20000]
let requests = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 20000 : 20000

var router = Router()
router.onSync(.GET, "/healthz") { _ in .text(200, "ok") }
var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
configuration.loopCount = 1
var logger = Logger(label: "http-bench")
logger.logLevel = .warning
let server = HTTPServer(configuration: configuration, router: router, logger: logger)
try server.start()

let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
var address = sockaddr_in()
address.sin_family = sa_family_t(AF_INET)
address.sin_port = UInt16(server.port).bigEndian
address.sin_addr.s_addr = inet_addr("127.0.0.1")
let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
}
guard connected == 0 else { fatalError("connect failed: errno \(errno)") }
var one: Int32 = 1
setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))

let request = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)
var buffer = [UInt8](repeating: 0, count: 4096)
var answered = 0
for _ in 0..<requests {
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    // The whole answer is small and ends with its two-byte body "ok": read until it has come.
    var got = 0
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, $0.count - got, 0) }
        guard n > 0 else { fatalError("connection closed after \(answered) answers") }
        got += n
        if got >= 2 && buffer[got - 2] == UInt8(ascii: "o") && buffer[got - 1] == UInt8(ascii: "k") { break }
    }
    precondition(buffer.starts(with: Array("HTTP/1.1 200".utf8)))
    answered += 1
}
close(fd)
print("answered \(answered) requests")
