import Service
import Testing
import Triage
@testable import App

/// The configuration names call types, roles and agency kinds as strings (to report a bad one by
/// name); they must be exactly the service's own.
@Suite struct VocabularyTests {
    @Test func callTypesAreTriages() {
        #expect(Set(RouterConfiguration.callTypes) == Set(CallType.allCases.map(\.rawValue)))
    }

    @Test func rolesAreTheServices() {
        #expect(Set(RouterConfiguration.roles) == Set(Role.allCases.map(\.rawValue)))
    }

    @Test func agencyKindsAreTriages() {
        #expect(Set(AgencySeed.kinds) == Set(AgencyKind.allCases.map(\.rawValue)))
    }

    @Test func seededAgencyKeepsEveryField() throws {
        let seed = try #require(try AgencySeed.load(path: repositoryRoot + "/config/agencies.example.yaml").first)
        let agency = seed.agency
        #expect(agency.id == "cpft-crisis")
        #expect(agency.kind == .mentalHealthTrust)
        #expect(agency.areas == ["E06000031", "E10000003"])
        #expect(agency.contactPhone == "0800 052 0000")
        #expect(agency.contactEmail == "first.response@example.nhs.uk")
        #expect(agency.acknowledgeWithinMinutes == 10)
        #expect(agency.acceptWithinMinutes == 30)
        #expect(agency.active)
    }
}
