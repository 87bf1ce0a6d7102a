import COpenSSL

/// Why HTTPS could not be set up; names the file to fix.
public enum TLSSetupError: Error, CustomStringConvertible, Sendable {
    case contextCreationFailed(String)
    case certificateChain(path: String, reason: String)
    case privateKey(path: String, reason: String)

    public var description: String {
        switch self {
        case .contextCreationFailed(let r): return "TLS context could not be created: \(r)"
        case .certificateChain(let p, let r): return "TLS certificate chain \(p) could not be loaded: \(r)"
        case .privateKey(let p, let r): return "TLS private key \(p) could not be loaded or does not match the certificate: \(r)"
        }
    }
}

/// An OpenSSL server context: TLS 1.2 and 1.3 only, forward-secret AEAD suites only.
final class TLSContext: @unchecked Sendable {
    // SSL_OP_* are function-like macros in OpenSSL 3, which Swift cannot import.
    private static let opNoCompression: Int = 1 << 17
    private static let opCipherServerPreference: Int = 1 << 22
    private static let opNoRenegotiation: Int = 1 << 30
    /// TLS 1.2 suites (1.3 has its own, all modern): ECDHE key exchange with AES-GCM or ChaCha20.
    static let tls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

    let context: OpaquePointer

    init(_ configuration: TLSConfiguration) throws(TLSSetupError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw .contextCreationFailed(Self.lastError()) }
        context = ctx
        _ = rcrp_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
        _ = rcrp_SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)
        _ = rcrp_SSL_CTX_set_options(ctx, Self.opNoCompression | Self.opCipherServerPreference | Self.opNoRenegotiation)
        // Partial writes and a moving buffer: a retried SSL_write may come from a resized array.
        _ = rcrp_SSL_CTX_set_mode(ctx, Int(SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        guard SSL_CTX_set_cipher_list(ctx, Self.tls12Ciphers) == 1 else { throw .contextCreationFailed(Self.lastError()) }
        guard SSL_CTX_use_certificate_chain_file(ctx, configuration.certificateChainPath) == 1 else {
            throw .certificateChain(path: configuration.certificateChainPath, reason: Self.lastError())
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, configuration.privateKeyPath, SSL_FILETYPE_PEM) == 1,
              SSL_CTX_check_private_key(ctx) == 1 else {
            throw .privateKey(path: configuration.privateKeyPath, reason: Self.lastError())
        }
    }

    deinit { SSL_CTX_free(context) }

    func makeSession(fd: Int32) -> TLSSession? {
        guard let ssl = SSL_new(context) else { return nil }
        guard SSL_set_fd(ssl, fd) == 1 else {
            SSL_free(ssl)
            return nil
        }
        SSL_set_accept_state(ssl)
        return TLSSession(ssl)
    }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown OpenSSL error" }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buf, buf.count)
        ERR_clear_error()
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One connection's TLS state; its handshake, reads and writes never block.
final class TLSSession {
    enum Outcome {
        case done(Int)
        case wantRead
        case wantWrite
        case closed
        case failed
    }

    let ssl: OpaquePointer
    private(set) var handshakeDone = false

    init(_ ssl: OpaquePointer) { self.ssl = ssl }

    deinit { SSL_free(ssl) }

    func handshake() -> Outcome {
        let r = SSL_do_handshake(ssl)
        if r == 1 {
            handshakeDone = true
            return .done(0)
        }
        return classify(r)
    }

    func read(into p: UnsafeMutableRawPointer, count: Int) -> Outcome {
        let r = SSL_read(ssl, p, Int32(count))
        return r > 0 ? .done(Int(r)) : classify(r)
    }

    /// After WANT_WRITE/WANT_READ, call again with the same bytes (OpenSSL's rule).
    func write(_ p: UnsafeRawPointer, count: Int) -> Outcome {
        let r = SSL_write(ssl, p, Int32(count))
        return r > 0 ? .done(Int(r)) : classify(r)
    }

    var hasBufferedInput: Bool { SSL_pending(ssl) > 0 }

    /// Sends close_notify without waiting for the peer's.
    func shutdown() { _ = SSL_shutdown(ssl) }

    private func classify(_ r: Int32) -> Outcome {
        let e = SSL_get_error(ssl, r)
        ERR_clear_error()
        switch e {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        default: return .failed
        }
    }

    var protocolVersion: String { String(cString: SSL_get_version(ssl)) }
}
