import COpenSSL

/// SHA-256 through OpenSSL's libcrypto (never a hand-written one).
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    public static func hash<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        let done: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            digest.withUnsafeMutableBufferPointer { out in
                COpenSSL.SHA256(buffer.baseAddress, buffer.count, out.baseAddress) != nil
            }
        }
        if done == nil {
            let copy = Array(bytes)
            _ = copy.withUnsafeBufferPointer { buffer in
                digest.withUnsafeMutableBufferPointer { out in
                    COpenSSL.SHA256(buffer.baseAddress, buffer.count, out.baseAddress)
                }
            }
        }
        return digest
    }

    /// The algorithm, fetched from libcrypto once for the process (fetching is a look-up by name;
    /// the fetched object is immutable and safe to share between threads, hence nonisolated).
    nonisolated(unsafe) static let algorithm: OpaquePointer = {
        guard let algorithm = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("libcrypto has no SHA-256") }
        return algorithm
    }()

    /// The digest of `bytes` as 64 lower-case hex digits.
    public static func hex<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Hex.encode(hash(bytes))
    }

    /// The digest of the UTF-8 bytes of `string` as 64 lower-case hex digits.
    public static func hex(_ string: String) -> String {
        hex(Array(string.utf8))
    }
}

/// Incremental SHA-256 for content that arrives in pieces (rule-set files, snapshots).
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        EVP_DigestInit_ex(context, SHA256.algorithm, nil)
        self.context = context
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
        }
        if done == nil {
            Array(bytes).withUnsafeBufferPointer { buffer in
                _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
            }
        }
    }

    public consuming func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var length: UInt32 = 0
        digest.withUnsafeMutableBufferPointer { out in
            _ = EVP_DigestFinal_ex(context, out.baseAddress, &length)
        }
        return digest
    }
}

/// HMAC-SHA256 through libcrypto.
public enum HMACSHA256 {
    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                out.withUnsafeMutableBufferPointer { o in
                    _ = HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, o.baseAddress, &length)
                }
            }
        }
        return Array(out.prefix(Int(length)))
    }
}
