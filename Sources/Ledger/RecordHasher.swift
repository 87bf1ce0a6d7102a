import COpenSSL

/// SHA-256 for the writer's hot path: the algorithm fetched from libcrypto once and one digest
/// context reused, where the one-shot call looks the algorithm up again for every record.
/// Used only under the writer's lock, hence unchecked Sendable.
final class RecordHasher: @unchecked Sendable {
    private let algorithm: OpaquePointer
    private let context: OpaquePointer
    private var digest = [UInt8](repeating: 0, count: 32)

    init() {
        guard let algorithm = EVP_MD_fetch(nil, "SHA256", nil), let context = EVP_MD_CTX_new() else {
            fatalError("libcrypto has no SHA-256 or is out of memory")
        }
        self.algorithm = algorithm
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
        EVP_MD_free(algorithm)
    }

    /// The 32-byte digest of `bytes`, valid until the next call.
    func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { out in
            EVP_DigestInit_ex(context, algorithm, nil) == 1
                && EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1
                && EVP_DigestFinal_ex(context, out.baseAddress, &length) == 1
        }
        precondition(ok && length == 32, "SHA-256 failed in libcrypto")
        return digest
    }
}
