import Handoffs
import Triage

extension AgencySeed {
    /// The agency to register; `kind` was checked against the same vocabulary when the file was read.
    var agency: Agency {
        Agency(id: id, name: name, kind: AgencyKind(rawValue: kind) ?? .other, areas: areas,
               contactPhone: phone, contactEmail: email,
               acknowledgeWithinMinutes: acknowledgeWithinMinutes, acceptWithinMinutes: acceptWithinMinutes)
    }
}
