import Testing
@testable import App

@Suite struct AgencySeedTests {
    @Test func exampleAgenciesFileParses() throws {
        let seeds = try AgencySeed.load(path: repositoryRoot + "/config/agencies.example.yaml")
        #expect(seeds.map(\.id) == ["cpft-crisis", "peterborough-asc", "eoeas"])
        #expect(seeds[0].kind == "mental_health_trust")
        #expect(seeds[0].areas == ["E06000031", "E10000003"])
        #expect(seeds[0].acceptWithinMinutes == 30)
        #expect(seeds[1].acknowledgeWithinMinutes == nil)
        #expect(seeds[2].areas == ["*"])
        #expect(seeds[2].email == nil)
    }

    @Test func unknownAgencyKindIsRejected() {
        #expect {
            try AgencySeed.parse(yaml: "agencies: [{id: a, name: A, kind: fire_brigade, areas: ['*']}]", file: "a.yaml")
        } throws: { error in
            (error as? ConfigurationError)?.field == "agencies[0].kind"
        }
    }

    @Test func agencyWithoutAreasIsRejected() {
        #expect {
            try AgencySeed.parse(yaml: "agencies: [{id: a, name: A, kind: other}]", file: "a.yaml")
        } throws: { error in
            (error as? ConfigurationError)?.field == "agencies[0].areas"
        }
    }

    @Test func agencyIdentifierMustBeLowerCaseAndDashes() {
        #expect {
            try AgencySeed.parse(yaml: "agencies: [{id: CPFT Crisis, name: A, kind: other, areas: ['*']}]", file: "a.yaml")
        } throws: { error in
            (error as? ConfigurationError)?.field == "agencies[0].id"
        }
    }

    @Test func agencyListedTwiceIsRejected() {
        #expect {
            try AgencySeed.parse(yaml: "agencies: [{id: a, name: A, kind: other, areas: ['*']}, {id: a, name: B, kind: other, areas: ['*']}]", file: "a.yaml")
        } throws: { error in
            (error as? ConfigurationError)?.field == "agencies[1].id"
        }
    }
}
