/// An agency key issued through the API (POST /v1/agencies/{id}/keys): only its SHA-256 is kept.
public struct IssuedKey: Sendable, Hashable {
    public var id: String
    public var agencyID: String
    public var sha256: String
    public var revoked: Bool

    public init(id: String, agencyID: String, sha256: String, revoked: Bool = false) {
        self.id = id
        self.agencyID = agencyID
        self.sha256 = sha256
        self.revoked = revoked
    }
}
