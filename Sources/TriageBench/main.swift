// Benchmark for the Triage engine: decisions a second on one core, and the time to load and
// fully validate a rule set (schema, gaps, dead rules, invariants). Run scripts/bench/triage.sh.
import Foundation
import JSON
import Triage

let arguments = CommandLine.arguments.dropFirst()
let rulesPath = arguments.first ?? "config/rules"
let seconds = arguments.dropFirst().first.flatMap(Double.init) ?? 3

func elapsed(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let duration = clock.now - start
    return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// 1. Validation: load the rule set from disk and prove it, several times.
var ruleSet: RuleSet?
var loadTimes: [Double] = []
for _ in 0..<10 {
    loadTimes.append(try elapsed { ruleSet = try RuleSetLoader.load(path: rulesPath) })
}
guard let ruleSet else { fatalError("no rule set") }
loadTimes.sort()
print(String(format: "validation: %@ (%d rules): load + full proof min %.1f ms, median %.1f ms, max %.1f ms over %d runs",
             ruleSet.name, ruleSet.rules.count, loadTimes[0] * 1000, loadTimes[loadTimes.count / 2] * 1000,
             loadTimes[loadTimes.count - 1] * 1000, loadTimes.count))

// 2. Decisions: a fixed mix of varied calls (seeded), decided in a loop on this one thread.
struct Mix: RandomNumberGenerator {
    var state: UInt64 = 42
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state ^ (state >> 29)
    }
}
var generator = Mix()
let calls: [Call] = (0..<4096).map { index in
    var risk = Risk()
    if index % 3 == 0 {
        risk = Risk(threatToLife: .random(using: &generator), seriousHarm: .random(using: &generator),
                    immediacy: Immediacy.allCases.randomElement(using: &generator)!,
                    crime: index % 9 == 0 ? .occurring : .none, violence: .random(using: &generator),
                    childAtRisk: index % 27 == 0, lacksCapacity: .random(using: &generator),
                    whereaboutsKnown: .random(using: &generator),
                    intelligenceOfHarm: Intelligence.allCases.randomElement(using: &generator)!,
                    medicalNeed: .random(using: &generator), careNeed: .random(using: &generator))
    } else {
        risk.whereaboutsKnown = .random(using: &generator)
        risk.careNeed = .random(using: &generator)
    }
    return Call(incidentRef: "B-\(index)", callType: CallType.allCases.randomElement(using: &generator)!,
                caller: Caller(type: CallerType.allCases.randomElement(using: &generator)!),
                subject: Subject(age: Bool.random(using: &generator) ? nil : Int.random(in: 0...90, using: &generator),
                                 mhaStatus: MHAStatus.allCases.randomElement(using: &generator)!),
                location: Location(area: "E06000031", setting: Setting.allCases.randomElement(using: &generator)!),
                risk: risk,
                partnerStepsTaken: PartnerStep.allCases.filter { _ in Bool.random(using: &generator) },
                s136: nil, notes: nil, assumed: [])
}

var decisions = 0
var attending = 0
let decideTime = elapsed {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        for call in calls where ruleSet.decide(call).policeAttend { attending += 1 }
        decisions += calls.count
    }
}
print(String(format: "engine: %.0f decisions/s on one core (%d decisions in %.2f s; %d%% police attend in the mix)",
             Double(decisions) / decideTime, decisions, decideTime, attending * 100 / max(decisions, 1)))

// 3. Strict decoding of a call body, for scale (the Service pays it per request).
let body = try JSON.parse("""
{"incident_ref": "CAD-2026-000123", "call_type": "concern_for_welfare", "received_at": "2026-11-22T10:15:00Z",
 "caller": {"type": "public", "name": "A. Caller", "phone": "07700900123", "organisation": null},
 "subject": {"name": "B. Person", "age": 34, "reference": "P-88121", "mha_status": "none", "restricted_patient": false},
 "location": {"address": "1 High St, Peterborough", "area": "E06000031", "setting": "home", "lat": 52.57, "lon": -0.24},
 "risk": {"threat_to_life": false, "serious_harm": false, "immediacy": "none", "crime": "none", "violence": false,
          "child_at_risk": false, "lacks_capacity": false, "whereabouts_known": true, "intelligence_of_harm": "no",
          "medical_need": false, "care_need": true},
 "partner_steps_taken": [], "s136": null, "notes": "Neighbour has not seen her for a week."}
""")
var decoded = 0
let decodeTime = elapsed {
    for _ in 0..<100_000 where (try? Call.decode(body).get()) != nil { decoded += 1 }
}
print(String(format: "decode: %.0f call bodies/s (strict, from a parsed JSON value)", Double(decoded) / decodeTime))
