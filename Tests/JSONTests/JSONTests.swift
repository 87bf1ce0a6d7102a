import Foundation
import Digests
import JSON
import Testing

@Suite struct JSONParsingTests {
    /// Objects and arrays nested every which way (members and items of each container are
    /// gathered on shared stacks while parsing): every one comes back whole, in order.
    @Test func deeplyMixedContainersParseBackExactly() throws {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        func value(_ depth: Int) -> JSONValue {
            switch depth > 5 ? next(3) : next(6) {
            case 0: return .int(Int64(next(1000)) - 500)
            case 1: return .string(String(repeating: "s", count: next(20)))
            case 2: return next(2) == 0 ? .null : .bool(next(2) == 0)
            case 3, 4: return .array((0..<next(5)).map { _ in value(depth + 1) })
            default:
                var object = JSONObject()
                for index in 0..<next(20) { object["k\(index)_\(next(3))"] = value(depth + 1) }
                return .object(object)
            }
        }
        for _ in 0..<200 {
            let original: JSONValue = ["a": value(0), "b": [value(0), value(0)], "c": value(0)]
            let text = original.serialized()
            let parsed = try JSON.parse(text)
            #expect(parsed == original)
            #expect(parsed.serialized() == text)
        }
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try JSON.parse(#"{"a":1,"b":-2.5,"c":"x","d":true,"e":false,"f":null,"g":[1,{"h":[]}]}"#)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(-2.5))
        #expect(value["c"] == .string("x"))
        #expect(value["d"] == .bool(true))
        #expect(value["e"] == .bool(false))
        #expect(value["f"] == .null)
        #expect(value["g"] == [1, ["h": []]])
    }

    @Test func keepsMemberOrder() throws {
        let value = try JSON.parse(#"{"z":1,"a":2,"m":3}"#)
        #expect(value.objectValue?.keys == ["z", "a", "m"])
        #expect(value.jsonString == #"{"z":1,"a":2,"m":3}"#)
    }

    @Test func duplicateMemberNamesAreRefused() {
        #expect(throws: JSONParseError.self) { try JSON.parse(#"{"threat_to_life":false,"threat_to_life":true}"#) }
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity", "tru", "nul",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{01}b\"", "{a:1}", "[1 2]",
        "1 2", "{\"a\" 1}", "// c\n1", "'a'", "1e400",
    ])
    func malformedInputIsRefused(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func duplicatesAreFoundInLargeObjectsToo() throws {
        let members = (0..<40).map { "\"k\($0)\":\($0)" }
        let unique = try JSON.parse("{" + members.joined(separator: ",") + "}")
        #expect(unique.objectValue?.count == 40)
        #expect(unique["k39"] == .int(39))
        let repeated = members + ["\"k3\":0"]
        #expect(throws: JSONParseError.self) { try JSON.parse("{" + repeated.joined(separator: ",") + "}") }
        let repeatedEarly = Array(members.prefix(20)) + ["\"k19\":0"]
        #expect(throws: JSONParseError.self) { try JSON.parse("{" + repeatedEarly.joined(separator: ",") + "}") }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONParseError.self) { try JSON.parse([0x22, 0x5C, 0x6E, 0xFF, 0x22]) }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
        #expect((try? JSON.parse(deep, limits: .init(maxDepth: 64))) != nil)
    }

    @Test func longStringsAreBounded() {
        let text = "\"" + String(repeating: "a", count: 100) + "\""
        #expect(throws: JSONParseError.self) { try JSON.parse(text, limits: .init(maxStringBytes: 99)) }
        #expect((try? JSON.parse(text, limits: .init(maxStringBytes: 100))) == .string(String(repeating: "a", count: 100)))
    }

    @Test func escapesAndSurrogatePairsAreDecoded() throws {
        let value = try JSON.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c/d\n\té😀"))
    }

    @Test func integersStayIntegersAndLargeOnesBecomeDoubles() throws {
        #expect(try JSON.parse("34") == .int(34))
        #expect(try JSON.parse("-0") == .int(0))
        #expect(try JSON.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSON.parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try JSON.parse("1e2") == .double(100))
    }

    @Test func errorsSayWhere() {
        do {
            _ = try JSON.parse(#"{"a": tru}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.offset == 6)
        }
    }
}

@Suite struct JSONSerializationTests {
    /// A writer of a fixed shape appends without look-ups; the object is the one the subscript builds.
    @Test func appendNewBuildsTheSameObjectAsTheSubscript() {
        var appended = JSONObject(capacity: 3)
        appended.appendNew("b", 1)
        appended.appendNew("a", ["x": nil])
        appended.appendNew("c", "text")
        var set = JSONObject()
        set["b"] = 1
        set["a"] = ["x": nil]
        set["c"] = "text"
        #expect(appended.keys == ["b", "a", "c"])
        #expect(JSONValue.object(appended).serialized() == JSONValue.object(set).serialized())
        #expect(appended["a"]?["x"] == .null)
    }

    @Test func roundTripsThroughTheParser() throws {
        let value: JSONValue = ["s": "quote \" backslash \\ newline \n tab \t nul \u{0}", "n": -12, "d": 52.57,
                                "w": 52.0, "big": 1e300, "a": [true, false, nil], "o": [:], "u": "é😀"]
        let text = value.serialized()
        #expect(try JSON.parse(text) == value)
    }

    @Test func sortedKeysAreCanonical() {
        let a: JSONValue = ["b": 1, "a": ["d": 2, "c": 3]]
        let b: JSONValue = ["a": ["c": 3, "d": 2], "b": 1]
        #expect(a.serialized(sortedKeys: true) == b.serialized(sortedKeys: true))
        #expect(String(decoding: a.serialized(sortedKeys: true), as: UTF8.self) == #"{"a":{"c":3,"d":2},"b":1}"#)
    }

    @Test func htmlSignificantCharactersAndLineSeparatorsAreEscaped() {
        let text = JSONValue.string("<script>&\u{2028}\u{2029}").jsonString
        #expect(text == #""\u003cscript\u003e\u0026\u2028\u2029""#)
    }

    /// The serializer skips plain text eight bytes at a time: a character that must be escaped
    /// is escaped wherever it falls in a long string, and everything else passes through.
    @Test func escapesAreFoundAtEveryPositionOfALongString() throws {
        let cases: [(String, String)] = [
            ("\"", #"\""#), ("\\", #"\\"#), ("<", #"\u003c"#), (">", #"\u003e"#), ("&", #"\u0026"#),
            ("\n", #"\n"#), ("\t", #"\t"#), ("\u{1}", #"\u0001"#), ("\u{1F}", #"\u001f"#),
            ("\u{2028}", #"\u2028"#), ("\u{2029}", #"\u2029"#), ("é", "é"), ("\u{7F}", "\u{7F}"), (" ", " "), ("~", "~"),
        ]
        for (character, escaped) in cases {
            for position in 0..<20 {
                let prefix = String(repeating: "a", count: position), suffix = String(repeating: "b", count: 20 - position)
                let value = JSONValue.string(prefix + character + suffix)
                #expect(value.jsonString == "\"" + prefix + escaped + suffix + "\"", "\(character) at \(position)")
                #expect(try JSON.parse(value.serialized()) == value)
            }
        }
    }

    @Test func wholeDoublesStayDoubles() throws {
        #expect(JSONValue.double(52).jsonString == "52.0")
        #expect(try JSON.parse(JSONValue.double(52).serialized()) == .double(52))
    }

    @Test func objectEqualityIgnoresOrder() {
        let a: JSONValue = ["x": 1, "y": 2]
        let b: JSONValue = ["y": 2, "x": 1]
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
    }

    @Test func settingNilRemovesAMember() {
        var object: JSONObject = ["a": 1, "b": 2]
        object["a"] = nil
        object["c"] = 3
        object["b"] = 4
        #expect(JSONValue.object(object).jsonString == #"{"b":4,"c":3}"#)
    }
}

@Suite struct RFC3339Tests {
    @Test func formatsUTCWithWholeSeconds() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_795_342_500)) == "2026-11-22T10:15:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_795_342_500.25)) == "2026-11-22T10:15:00.250Z")
    }

    @Test func padsEveryPieceToItsWidth() {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0.001)) == "1970-01-01T00:00:00.001Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 253_402_300_799.999)) == "9999-12-31T23:59:59.999Z")
    }

    @Test func parsesZuluOffsetsAndFractions() {
        #expect(RFC3339.parse("2026-11-22T10:15:00Z") == Date(timeIntervalSince1970: 1_795_342_500))
        #expect(RFC3339.parse("2026-11-22T11:15:00+01:00") == Date(timeIntervalSince1970: 1_795_342_500))
        #expect(RFC3339.parse("2026-11-22T10:15:00.5Z") == Date(timeIntervalSince1970: 1_795_342_500.5))
        #expect(RFC3339.parse("2024-02-29T00:00:00Z") != nil)
    }

    @Test(arguments: ["2026-11-22", "2026-11-22T10:15:00", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
                      "2026-11-22T24:00:00Z", "2026-11-22T10:15:00.Z", "2026-11-22T10:15:00+1:00", "x026-11-22T10:15:00Z",
                      "2026-11-22T10:15:00Zjunk"])
    func refusesMalformedTimestamps(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func roundTrips() {
        let date = Date(timeIntervalSince1970: 1_700_000_123)
        #expect(RFC3339.parse(RFC3339.format(date)) == date)
    }

    /// The date arithmetic agrees with the C library's calendar on every kind of day: before and
    /// after 1970, leap days, century years, the ends of months and of the range.
    @Test func formatAgreesWithGmtimeAcrossTheCalendar() {
        var generator = SystemRandomNumberGenerator()
        var instants: [Double] = [0, -1, -86_400, 951_782_400, 951_868_800, 4_107_542_400, -2_208_988_800, 1_795_342_499.9995,
                                  -62_135_596_800, 253_402_300_799]
        for _ in 0..<2000 { instants.append(Double(Int64.random(in: -62_135_596_800...253_402_300_799, using: &generator))) }
        for _ in 0..<500 { instants.append(Double.random(in: -1e10...1e10, using: &generator)) }
        for instant in instants {
            // The interval as the Date holds it (Date keeps seconds since 2001, so a random
            // fraction can round differently than `instant` itself at a half millisecond).
            let date = Date(timeIntervalSince1970: instant)
            let interval = date.timeIntervalSince1970
            var seconds = time_t(interval.rounded(.down))
            var millis = Int(((interval - Double(seconds)) * 1000).rounded())
            if millis == 1000 { seconds += 1; millis = 0 }
            var parts = tm()
            gmtime_r(&seconds, &parts)
            var expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                                  Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
            if millis != 0 { expected += String(format: ".%03d", millis) }
            expected += "Z"
            #expect(RFC3339.format(date) == expected, "\(instant)")
        }
    }
}

@Suite struct DigestTests {
    /// One context hashing buffer after buffer gives what the one-shot call gives for each
    /// (a known answer first, so both cannot be wrong the same way).
    @Test func aReusedContextHashesEachBufferLikeTheOneShotCall() {
        let context = SHA256Context()
        let abc = Array("abc".utf8)
        #expect(Hex.encode(abc.withUnsafeBufferPointer { context.hash($0) })
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        for size in [0, 1, 55, 56, 64, 1_000, 70_000] {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) }
            #expect(bytes.withUnsafeBufferPointer { context.hash($0) } == SHA256.hash(bytes))
        }
    }

    @Test func hexOfAByteArrayIsLowerCaseAndAgreesWithAnySequence() {
        let bytes: [UInt8] = [0x00, 0x0f, 0x10, 0xa5, 0xff]
        #expect(Hex.encode(bytes) == "000f10a5ff")
        #expect(Hex.encode([]) == "")
        #expect(Hex.encode(bytes) == Hex.encode(bytes[...]))
        #expect(Hex.decode(Hex.encode(bytes)) == bytes)
    }

    @Test func sha256MatchesTheKnownVector() {
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var hasher = SHA256Hasher()
        hasher.update(Array("a".utf8))
        hasher.update(Array("bc".utf8))
        #expect(Hex.encode(hasher.finalize()) == SHA256.hex("abc"))
    }

    @Test func crc32MatchesTheKnownVector() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.update(CRC32.checksum(Array("1234".utf8)), Array("56789".utf8)) == 0xCBF4_3926)
    }

    @Test func hmacMatchesRFC4231Case2() {
        let mac = HMACSHA256.authenticationCode(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hexRoundTripsAndRefusesBadInput() {
        #expect(Hex.decode("00ffA0") == [0, 255, 160])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    @Test func constantTimeEqualComparesContent() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([1, 2], [1, 2, 3]))
    }

    @Test func secureRandomGivesDistinctBytes() {
        #expect(SecureRandom.bytes(16) != SecureRandom.bytes(16))
    }
}

@Suite struct JSONObjectSharedKeysTests {
    /// Objects of one shape share their names; each keeps its own values, changes apart, and
    /// reads, compares and serialises as an object built member by member.
    @Test func objectsOfOneShapeShareTheirNamesAndNothingElse() {
        let keys = ["decision_id", "kind", "decided_at"]
        var first = JSONObject(sharedKeys: keys, values: ["d_1", "triage", "2026-11-24T10:00:00Z"])
        let second = JSONObject(sharedKeys: keys, values: ["d_2", "triage", "2026-11-24T10:00:01Z"])
        var built = JSONObject()
        built.appendNew("decision_id", "d_1")
        built.appendNew("kind", "triage")
        built.appendNew("decided_at", "2026-11-24T10:00:00Z")
        #expect(first == built)
        #expect(JSONValue.object(first).serialized() == JSONValue.object(built).serialized())
        #expect(second["decision_id"] == "d_2")
        first["kind"] = "override"
        first.appendNew("reason", "supervisor")
        #expect(second["kind"] == "triage")
        #expect(second.keys == keys)
        #expect(first.keys == keys + ["reason"])
    }
}
