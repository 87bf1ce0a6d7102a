import Digests
import Handoffs
import HTTPServer

/// Finds who a bearer key belongs to: the configured keys (hashed) and the agency keys issued
/// through the ledger. A presented key is hashed and looked up by its SHA-256, then confirmed
/// with a constant-time comparison, so that the time taken tells nothing about stored hashes.
struct KeyRing: Sendable {
    private let configured: [String: (key: ServiceConfiguration.Key, hash: [UInt8])]

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
        let hash = SHA256.hash(Array(key.utf8))
        let hex = Hex.encode(hash)
        if let entry = configured[hex], constantTimeEqual(entry.hash, hash) {
            return Principal(keyID: entry.key.id, role: entry.key.role, agencyID: entry.key.agencyID)
        }
        return state.read { issuedPrincipal(hash: hash, hex: hex, state: $0) }
    }

    private func issuedPrincipal(hash: [UInt8], hex: String, state: borrowing ServiceState) -> Principal? {
        guard let id = state.keyIDsByHash[hex], let issued = state.issuedKeys[id], !issued.revoked,
              constantTimeEqual(Hex.decode(issued.sha256) ?? [], hash) else { return nil }
        return Principal(keyID: issued.id, role: .agency, agencyID: issued.agencyID)
    }
}
