import COpenSSL

/// SHA-256 for a hot path that hashes one buffer after another (the ledger's writer): one digest
/// context reused, and the algorithm fetched from libcrypto once, where the one-shot
/// `SHA256.hash` looks it up and allocates a context for every call. Not thread-safe: its owner
/// uses it from one thread at a time (hence unchecked Sendable).
public final class SHA256Context: @unchecked Sendable {
    private let context: OpaquePointer
    private var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// The 32-byte digest of `bytes`, valid until the next call.
    public func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { out in
            EVP_DigestInit_ex(context, SHA256.algorithm, nil) == 1
                && EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1
                && EVP_DigestFinal_ex(context, out.baseAddress, &length) == 1
        }
        precondition(ok && length == 32, "SHA-256 failed in libcrypto")
        return digest
    }
}
