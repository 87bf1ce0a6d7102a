import JSON

/// The body of `PUT /v1/agencies/{id}`. PUT replaces the agency's details as given (RFC 9110:
/// an optional detail left out is cleared), but `active` is not a detail: it belongs to
/// DELETE (which re-routes) and to reactivation, so left out it keeps the agency as it is.
public struct AgencyUpdate: Sendable, Hashable {
    /// The replacement details; its `active` is not used.
    public var details: Agency
    /// `active` when the body set it; nil keeps the current state.
    public var active: Bool?

    public init(details: Agency, active: Bool?) {
        self.details = details
        self.active = active
    }

    /// Reads the body, reporting every bad field at once; `id` is the path's.
    public static func decode(_ value: JSONValue, id: String) -> Result<AgencyUpdate, BodyValidationError> {
        Agency.decode(value, pathID: id).map { details in
            AgencyUpdate(details: details, active: value["active"]?.boolValue)
        }
    }

    /// The agency once this update is applied to `current`.
    public func applied(to current: Agency) -> Agency {
        var agency = details
        agency.active = active ?? current.active
        return agency
    }
}
