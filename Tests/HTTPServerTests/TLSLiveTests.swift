import Foundation
import Testing
@testable import HTTPServer

/// A throwaway self-signed certificate for 127.0.0.1, made with the openssl command-line tool.
struct TestCertificate {
    let directory: String
    var certificate: String { directory + "/cert.pem" }
    var key: String { directory + "/key.pem" }

    init() throws {
        directory = NSTemporaryDirectory() + "rcrp-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let r = try run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                    "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem", "-days", "1",
                                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        guard r.status == 0 else { throw RawClientError.malformed("openssl req failed: \(r.output)") }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite struct TLSLiveTests {
    @Test func httpsRequestCompletesARealHandshake() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        try await withServer(demoRouter(), configure: {
            $0.tls = TLSConfiguration(certificateChainPath: cert.certificate, privateKeyPath: cert.key)
        }) { server in
            let url = "https://127.0.0.1:\(server.port)/healthz"
            let r = try run("curl", ["-sS", "--cacert", cert.certificate, "-w", " %{http_code} %{ssl_verify_result}", url, url])
            #expect(r.status == 0 && r.output == "ok 200 0ok 200 0", "\(r.output)")
            let tls12 = try run("curl", ["-sS", "--cacert", cert.certificate, "--tlsv1.2", "--tls-max", "1.2", url])
            #expect(tls12.status == 0 && tls12.output == "ok", "\(tls12.output)")
            let big = try run("curl", ["-sS", "--cacert", cert.certificate, "--compressed", "https://127.0.0.1:\(server.port)/big"])
            #expect(big.output == String(repeating: "rcrp ", count: 1000))
        }
    }

    @Test func tls10And11AreRefused() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        try await withServer(demoRouter(), configure: {
            $0.tls = TLSConfiguration(certificateChainPath: cert.certificate, privateKeyPath: cert.key)
        }) { server in
            for version in ["-tls1", "-tls1_1"] {
                // SECLEVEL=0 lets this client offer the old protocol, so a failure is the server's refusal.
                let r = try run("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", version,
                                            "-cipher", "DEFAULT@SECLEVEL=0"], input: "")
                #expect(r.status != 0, "\(version) was accepted: \(r.output)")
                #expect(!r.output.contains("no protocols available"), "the client did not offer \(version)")
                #expect(r.output.contains("protocol version") || r.output.contains("unsupported protocol"), "\(r.output)")
            }
            let ok = try run("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-tls1_2"], input: "")
            #expect(ok.status == 0 && ok.output.contains("TLSv1.2"), "\(ok.output)")
        }
    }

    @Test func silentTLSClientIsClosedAfterTheHandshakeTimeout() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        try await withServer(demoRouter(), configure: {
            $0.tls = TLSConfiguration(certificateChainPath: cert.certificate, privateKeyPath: cert.key)
            $0.timeouts.tlsHandshake = .milliseconds(400)
        }) { server in
            let c = try RawClient(port: server.port)
            #expect(c.isClosedByServer())
        }
    }

    @Test func missingCertificateIsReportedAtStart() {
        var config = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        config.tls = TLSConfiguration(certificateChainPath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        let server = HTTPServer(configuration: config, router: Router(), logger: .init(label: "test"))
        #expect(throws: HTTPServerError.self) { try server.start() }
    }
}

@Suite struct TLSLingeringCloseLiveTests {
    /// A client uploading more than the limit over TLS reads the 413 the server sent after the
    /// head, and is not reset while it still sends: the server sends close_notify, half-closes
    /// and drains (bounded), instead of closing with unread bytes, which resets the connection
    /// and can drop a response still in flight.
    @Test func oversizedUploadOverTLSStillReadsThe413() async throws {
        let cert = try TestCertificate()
        defer { cert.remove() }
        let script = """
        import socket, ssl, sys
        ctx = ssl.create_default_context(cafile=sys.argv[2])
        raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        s.sendall(b"POST /echo HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 4000000\\r\\n\\r\\n")
        chunk = b"x" * 16384
        try:
            for _ in range(244):   # the whole announced body, as a client that does not look would
                s.sendall(chunk)
        except OSError as e:
            print("send failed:", e)
        data = b""
        try:
            while True:
                got = s.recv(65536)
                if not got:
                    break
                data += got
        except (OSError, ssl.SSLError) as e:
            print("recv failed:", e)
        print(data.split(b"\\r\\n")[0].decode())
        """
        try await withServer(demoRouter(), configure: {
            $0.tls = TLSConfiguration(certificateChainPath: cert.certificate, privateKeyPath: cert.key)
            $0.limits.maxBodyBytes = 1024
        }) { server in
            let r = try run("python3", ["-c", script, "\(server.port)", cert.certificate])
            #expect(r.output.contains("HTTP/1.1 413"), "\(r.output)")
            #expect(!r.output.contains("failed"), "the upload was reset: \(r.output)")
        }
    }
}
