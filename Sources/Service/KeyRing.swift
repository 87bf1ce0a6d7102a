import Digests
import Handoffs
import HTTPServer

/// Finds who a bearer key belongs to: the configured keys (hashed) and the agency keys issued
/// through the ledger. Hashes are compared in constant time so that timing tells nothing.
struct KeyRing: Sendable {
    private let configured: [(key: ServiceConfiguration.Key, hash: [UInt8])]

    init(keys: [ServiceConfiguration.Key]) {
        configured = keys.map { ($0, Hex.decode($0.sha256) ?? []) }
    }

    /// The bearer token of `Authorization: Bearer <key>`, if well-formed.
    static func bearer(_ request: HTTPRequest) -> String? {
        guard let header = request.headers["Authorization"] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty || token.utf8.count > 512 ? nil : String(token)
    }

    func principal(forKey key: String, state: ServiceState) -> Principal? {
        let hash = SHA256.hash(Array(key.utf8))
        var found: ServiceConfiguration.Key?
        for entry in configured where constantTimeEqual(entry.hash, hash) && found == nil {
            found = entry.key
        }
        if let found { return Principal(keyID: found.id, role: found.role, agencyID: found.agencyID) }
        let hex = Hex.encode(hash)
        guard let id = state.keyIDsByHash[hex], let issued = state.issuedKeys[id], !issued.revoked,
              constantTimeEqual(Array(issued.sha256.utf8), Array(hex.utf8)) else { return nil }
        return Principal(keyID: issued.id, role: .agency, agencyID: issued.agencyID)
    }
}
