/// Writes JSON straight into bytes for the hot paths (POST /v1/triage, POST /v1/calls, a call's
/// canonical text), where building a JSONValue tree and serializing it cost more than the
/// decision itself. Output is
/// byte for byte the compact JSON the JSON module writes (the same string escaping), so that an
/// answer written here equals the serialization of the same answer as a value.
public struct JSONWriter: ~Copyable {
    @usableFromInline var output: JSONOutput
    @usableFromInline var needsComma = false

    public init(capacity: Int = 4096) {
        output = JSONOutput(capacity: capacity)
    }

    /// What has been written.
    public var bytes: [UInt8] { output.bytes }

    @inlinable public mutating func beginObject() { separate(); output.append(UInt8(ascii: "{")); needsComma = false }
    @inlinable public mutating func endObject() { output.append(UInt8(ascii: "}")); needsComma = true }
    @inlinable public mutating func beginArray() { separate(); output.append(UInt8(ascii: "[")); needsComma = false }
    @inlinable public mutating func endArray() { output.append(UInt8(ascii: "]")); needsComma = true }

    /// A member name, always a literal of plain characters (so it needs no escaping); the value
    /// written next belongs to it.
    @inlinable public mutating func key(_ name: StaticString) {
        separate()
        output.append(UInt8(ascii: "\""))
        output.append(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        output.append(UInt8(ascii: "\""))
        output.append(UInt8(ascii: ":"))
        needsComma = false
    }

    @inlinable public mutating func string(_ value: String) { separate(); output.appendString(value); needsComma = true }
    @inlinable public mutating func bool(_ value: Bool) { separate(); output.append(contentsOf: value ? Self.true : Self.false); needsComma = true }
    @inlinable public mutating func null() { separate(); output.append(contentsOf: Self.nullBytes); needsComma = true }
    @inlinable public mutating func int(_ value: Int) { separate(); output.appendInteger(Int64(value)); needsComma = true }
    @inlinable public mutating func optional(_ value: String?) { if let value { string(value) } else { null() } }
    @inlinable public mutating func optional(_ value: Int?) { if let value { int(value) } else { null() } }
    @inlinable public mutating func strings(_ values: [String]) { beginArray(); for value in values { string(value) }; endArray() }

    /// Bytes that are already a complete JSON value (a pre-rendered fragment).
    @inlinable public mutating func raw(_ value: [UInt8]) { separate(); output.append(contentsOf: value); needsComma = true }

    /// Members written by another writer (`"a":1,"b":2`, without braces), as if written here one
    /// by one: pieces serialised once and spliced into several documents.
    @inlinable public mutating func fragment(_ members: [UInt8]) {
        guard !members.isEmpty else { return }
        separate()
        output.append(contentsOf: members)
        needsComma = true
    }

    /// A value serialized by the JSON module.
    @inlinable public mutating func value(_ value: JSONValue) { separate(); output.appendValue(value); needsComma = true }

    /// The members of `object` (key and value each), as if written one by one in its order.
    @inlinable public mutating func members(_ object: JSONObject) {
        for (name, value) in object {
            separate()
            output.appendString(name)
            output.append(UInt8(ascii: ":"))
            output.appendValue(value)
            needsComma = true
        }
    }

    @inlinable @inline(__always) mutating func separate() {
        if needsComma { output.append(UInt8(ascii: ",")) }
    }

    @usableFromInline static let `true` = Array("true".utf8), `false` = Array("false".utf8), nullBytes = Array("null".utf8)
}
