import Testing
import Triage
@testable import Handoffs

@Suite struct AgencyRoutingTests {
    func directory(_ agencies: [Agency]) -> AgencyDirectory {
        var directory = AgencyDirectory()
        for agency in agencies { directory.upsert(agency) }
        return directory
    }

    @Test func anExactAreaCodeBeatsAPrefixWhichBeatsTheWildcard() {
        let d = directory([
            Agency(id: "national", name: "N", kind: .mentalHealthTrust, areas: ["*"]),
            Agency(id: "region", name: "R", kind: .mentalHealthTrust, areas: ["E06*"]),
            Agency(id: "subregion", name: "S", kind: .mentalHealthTrust, areas: ["E0600*"]),
            Agency(id: "local", name: "L", kind: .mentalHealthTrust, areas: ["E10000003", "E06000031"]),
        ])
        #expect(d.route(kind: .mentalHealthTrust, area: "E06000031")?.id == "local")
        #expect(d.route(kind: .mentalHealthTrust, area: "E06000099")?.id == "subregion")
        #expect(d.route(kind: .mentalHealthTrust, area: "E06100000")?.id == "region")
        #expect(d.route(kind: .mentalHealthTrust, area: "W06000001")?.id == "national")
    }

    @Test func onlyActiveAgenciesOfTheKindAreChosen() {
        var d = directory([
            Agency(id: "asc", name: "ASC", kind: .adultSocialCare, areas: ["E06000031"]),
            Agency(id: "csc", name: "CSC", kind: .childrenSocialCare, areas: ["*"]),
        ])
        #expect(d.route(kind: .adultSocialCare, area: "E06000031")?.id == "asc")
        #expect(d.route(kind: .adultSocialCare, area: "E06000032") == nil)
        d.deactivate("asc")
        #expect(d.route(kind: .adultSocialCare, area: "E06000031") == nil)
        #expect(d.route(kind: .childrenSocialCare, area: "E06000031")?.id == "csc")
    }

    @Test func equallySpecificAgenciesGoToTheFirstRegistered() {
        var d = directory([
            Agency(id: "first", name: "F", kind: .ambulance, areas: ["*"]),
            Agency(id: "second", name: "S", kind: .ambulance, areas: ["*"]),
        ])
        #expect(d.route(kind: .ambulance, area: "X")?.id == "first")
        #expect(d.route(kind: .ambulance, area: "X", excluding: ["first"])?.id == "second")
        d.upsert(Agency(id: "first", name: "F2", kind: .ambulance, areas: ["*"]))
        #expect(d.agencies.map(\.id) == ["first", "second"])
        #expect(d["first"]?.name == "F2")
    }
}
