import ArgumentParser
import Foundation

/// `rcrp-router probe`: asks a running server's `/readyz` over plain HTTP and exits 0 only on 200,
/// so that a container's HEALTHCHECK needs no curl in the image.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Exit 0 when a running rcrp-router answers 200 on /readyz (for container health checks)."
    )

    @Option(help: "Host to ask (default: 127.0.0.1).")
    var host = "127.0.0.1"

    @Option(help: "Port to ask (default: $RCRP_LISTEN_PORT, else 8080).")
    var port: Int?

    @Option(help: "Path to ask.")
    var path = "/readyz"

    @Option(help: "Seconds to wait for the answer.")
    var timeout = 3

    func run() throws {
        let port = self.port ?? ProcessInfo.processInfo.environment["RCRP_LISTEN_PORT"].flatMap { Int($0) } ?? 8080
        switch HTTPProbe.get(host: host, port: port, path: path, timeoutSeconds: timeout) {
        case .success(let status) where status == 200:
            print("\(path): \(status)")
        case .success(let status):
            print("\(path): \(status)")
            throw ExitCode(1)
        case .failure(let problem):
            FileHandle.standardError.write(Data("probe: \(host):\(port)\(path): \(problem.message)\n".utf8))
            throw ExitCode(2)
        }
    }
}
