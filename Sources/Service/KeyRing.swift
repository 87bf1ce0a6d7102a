import Digests
import Handoffs
import HTTPServer
import Synchronization

/// Finds who a bearer key belongs to: the configured keys (hashed) and the agency keys issued
/// through the ledger. A presented key is hashed and looked up by its SHA-256, then confirmed
/// with a constant-time comparison, so that the time taken tells nothing about stored hashes.
struct KeyRing: Sendable {
    private let configured: [String: (key: ServiceConfiguration.Key, hash: [UInt8])]
    private let digests = DigestCache()

    init(keys: [ServiceConfiguration.Key]) {
        var configured: [String: (key: ServiceConfiguration.Key, hash: [UInt8])] = [:]
        for key in keys { configured[key.sha256] = (key, Hex.decode(key.sha256) ?? []) }
        self.configured = configured
    }

    /// The bearer token of `Authorization: Bearer <key>`, if well-formed.
    static func bearer(_ request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"] else { return nil }
        let bytes = Array(header.utf8)
        let scheme = Array("bearer ".utf8)
        guard bytes.count > scheme.count,
              zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) else { return nil }
        var start = scheme.count, end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        guard end > start, end - start <= 512 else { return nil }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The principal of a presented key: configured keys first (no lock needed), then the
    /// issued ones in the durable state.
    func principal(forKey key: String, state: DurableState) -> Principal? {
        let cached = digests.digest(of: key)
        let (hash, hex) = cached ?? {
            let hash = SHA256.hash(Array(key.utf8))
            return (hash, Hex.encode(hash))
        }()
        let principal: Principal?
        if let entry = configured[hex], constantTimeEqual(entry.hash, hash) {
            principal = Principal(keyID: entry.key.id, role: entry.key.role, agencyID: entry.key.agencyID)
        } else {
            principal = state.read { issuedPrincipal(hash: hash, hex: hex, state: $0) }
        }
        if principal != nil && cached == nil { digests.remember(key, hash: hash, hex: hex) }
        return principal
    }

    private func issuedPrincipal(hash: [UInt8], hex: String, state: borrowing ServiceState) -> Principal? {
        guard let id = state.keyIDsByHash[hex], let issued = state.issuedKeys[id], !issued.revoked,
              constantTimeEqual(Hex.decode(issued.sha256) ?? [], hash) else { return nil }
        return Principal(keyID: issued.id, role: .agency, agencyID: issued.agencyID)
    }
}

/// The SHA-256 of keys that recently authenticated, so that a caller's key is not hashed again
/// on every request (the hash and its hex were ~4% of a request).
///
/// What is cached for a secret, and why that is safe: a slot holds a presented key's bytes with
/// its digest, and only a hit skips the hashing — the look-up by digest, the constant-time
/// confirmation against the stored hash and, for issued keys, the revocation check in the state
/// still run on every request, so a revoked key is refused at once and the cache decides nothing.
/// Only keys that authenticated enter it: a flood of wrong keys can neither fill nor evict it.
/// Timing tells an attacker nothing: the slot is chosen by Swift's per-process randomly seeded
/// hash, and the presented key is compared with the slot's in constant time (never `==`, which
/// stops at the first differing byte). The keys it holds are ones this process reads in every
/// request's headers anyway; they are never logged or written anywhere.
private final class DigestCache: Sendable {
    private struct Entry {
        var key: [UInt8]
        var hash: [UInt8]
        var hex: String
    }

    private static let slotCount = 64
    private let slots = Mutex([Entry?](repeating: nil, count: DigestCache.slotCount))

    private func slot(_ key: String) -> Int {
        var hasher = Hasher()
        hasher.combine(key)
        return Int(UInt(bitPattern: hasher.finalize()) % UInt(Self.slotCount))
    }

    func digest(of key: String) -> (hash: [UInt8], hex: String)? {
        let index = slot(key)
        guard let entry = slots.withLock({ $0[index] }), constantTimeEqual(entry.key, key.utf8) else { return nil }
        return (entry.hash, entry.hex)
    }

    func remember(_ key: String, hash: [UInt8], hex: String) {
        let index = slot(key)
        let entry = Entry(key: Array(key.utf8), hash: hash, hex: hex)
        slots.withLock { $0[index] = entry }
    }
}
