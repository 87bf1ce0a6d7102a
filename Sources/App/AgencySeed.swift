import Foundation
import Yams

/// An agency to register at start-up from the `agencies_file` (API.md's agency shape), so that a
/// force can keep its partner list under version control beside the configuration.
public struct AgencySeed: Sendable, Equatable {
    public var id: String
    public var name: String
    public var kind: String
    public var areas: [String]
    public var phone: String?
    public var email: String?
    public var acknowledgeWithinMinutes: Int?
    public var acceptWithinMinutes: Int?

    public static let kinds = ["police", "ambulance", "mental_health_trust", "acute_trust", "adult_social_care",
                               "children_social_care", "amhp_service", "street_triage", "other"]

    /// Reads `agencies: [...]` from a YAML file, strictly (unknown keys and bad values are errors naming the field).
    public static func load(path: String) throws(ConfigurationError) -> [AgencySeed] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(source: path, field: "", problem: "cannot read the file: \(ConfigurationLoader.reason(error))")
        }
        return try parse(yaml: text, file: path)
    }

    public static func parse(yaml: String, file: String) throws(ConfigurationError) -> [AgencySeed] {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(source: file, field: "", problem: "not valid YAML: \(ConfigurationReader.firstLine(String(describing: error)))")
        }
        var reader = try ConfigurationReader(root: root, file: file, environment: [:], usage: EnvironmentUsage())
        let items = try reader.list("agencies") ?? []
        try reader.rejectUnknownKeys()
        var seeds: [AgencySeed] = []
        for var item in items {
            let id = try item.string("id", default: "")
            guard isIdentifier(id) else {
                throw item.error(item.location(of: "id"), "id", "required: 1–64 of a-z, 0-9 and '-', e.g. cpft-crisis")
            }
            let name = try item.string("name", default: "")
            if name.isEmpty { throw item.error(item.location(of: "name"), "name", "required") }
            let kind = try item.choice("kind", default: "", among: kinds)
            if kind.isEmpty { throw item.error(item.location(of: "kind"), "kind", "required: one of \(kinds.joined(separator: ", "))") }
            let areas = try item.stringList("areas") ?? []
            if areas.isEmpty {
                throw item.error(item.location(of: "areas"), "areas", "required: the ONS area codes covered, or \"*\" for everywhere")
            }
            var contact = try item.section("contact")
            let phone = try contact.optionalString("phone")
            let email = try contact.optionalString("email")
            try contact.rejectUnknownKeys()
            let acknowledge = try item.int("acknowledge_within_minutes", default: 0, in: 1...10_080)
            let accept = try item.int("accept_within_minutes", default: 0, in: 1...10_080)
            try item.rejectUnknownKeys()
            if seeds.contains(where: { $0.id == id }) {
                throw item.error(item.location(of: "id"), "id", "\(ConfigurationReader.quote(id)) is listed twice")
            }
            seeds.append(AgencySeed(id: id, name: name, kind: kind, areas: areas, phone: phone, email: email,
                                    acknowledgeWithinMinutes: acknowledge == 0 ? nil : acknowledge,
                                    acceptWithinMinutes: accept == 0 ? nil : accept))
        }
        return seeds
    }

    static func isIdentifier(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
    }
}
