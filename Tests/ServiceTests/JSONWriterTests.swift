import JSON
import Testing
@testable import Service

@Suite struct JSONWriterTests {
    @Test func writtenBytesParseBackToTheSameValues() throws {
        var out = JSONWriter()
        out.beginObject()
        out.key("text"); out.string("quote \" backslash \\ newline \n tab \t bell \u{7} pound £ emoji 🚑")
        out.key("n"); out.int(-42)
        out.key("flags"); out.strings(["a", "b"])
        out.key("none"); out.optional(nil as String?)
        out.key("yes"); out.bool(true)
        out.key("empty"); out.beginArray(); out.endArray()
        out.key("nested"); out.beginObject(); out.key("k"); out.null(); out.endObject()
        out.endObject()
        let parsed = try JSON.parse(out.bytes)
        let expected: JSONValue = [
            "text": "quote \" backslash \\ newline \n tab \t bell \u{7} pound £ emoji 🚑", "n": -42, "flags": ["a", "b"],
            "none": nil, "yes": true, "empty": [], "nested": ["k": nil],
        ]
        #expect(parsed == expected)
        #expect(out.bytes == expected.serialized())
    }

    /// The writer escapes as the JSON module does (its answers must equal serialized values byte
    /// for byte): a character that must be escaped is escaped wherever it falls in a long string,
    /// and multi-byte text passes through.
    @Test func escapesAreFoundAtEveryPositionOfALongString() throws {
        let cases: [(String, String)] = [("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\t", #"\t"#),
                                         ("\u{1}", #"\u0001"#), ("\u{1F}", #"\u001f"#), ("é", "é"), ("🚑", "🚑"),
                                         ("<", #"\u003c"#), (">", #"\u003e"#), ("&", #"\u0026"#), ("\u{2028}", #"\u2028"#),
                                         ("\u{2029}", #"\u2029"#), (" ", " "), ("\u{7F}", "\u{7F}")]
        for (character, escaped) in cases {
            for position in 0..<20 {
                let prefix = String(repeating: "a", count: position), suffix = String(repeating: "b", count: 20 - position)
                var out = JSONWriter()
                out.string(prefix + character + suffix)
                #expect(String(decoding: out.bytes, as: UTF8.self) == "\"" + prefix + escaped + suffix + "\"", "\(character) at \(position)")
                #expect(try JSON.parse(out.bytes) == .string(prefix + character + suffix))
                #expect(out.bytes == JSONValue.string(prefix + character + suffix).serialized())
            }
        }
    }
}
