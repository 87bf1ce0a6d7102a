/// Who is calling: the key's id (recorded as the ledger `actor`), its role and, for an agency
/// key, the one agency whose handoffs it may see.
public struct Principal: Sendable, Hashable {
    public var keyID: String
    public var role: Role
    public var agencyID: String?

    public init(keyID: String, role: Role, agencyID: String? = nil) {
        self.keyID = keyID
        self.role = role
        self.agencyID = agencyID
    }
}
