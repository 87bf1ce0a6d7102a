/// A growable byte buffer for writing JSON, written through a raw pointer: each append is a
/// capacity check and a store, without the uniqueness check and retain of an Array append
/// (those were a third of the time of serializing a ledger record). Writers that build JSON
/// without a `JSONValue` tree append to one and take its `bytes` at the end.
public struct JSONOutput: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int

    public init(capacity: Int = 1024) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// What has been written so far.
    public var bytes: [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    @inlinable @inline(__always) mutating func reserve(_ extra: Int) {
        if capacity - count < extra { grow(extra) }
    }

    @usableFromInline @inline(never) mutating func grow(_ extra: Int) {
        let newCapacity = max(capacity * 2, count + extra)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inlinable @inline(__always) public mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inlinable @inline(__always) mutating func append(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        reserve(4)
        base[count] = a; base[count + 1] = b; base[count + 2] = c; base[count + 3] = d
        count += 4
    }

    @inlinable public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if let source = bytes.baseAddress { (base + count).update(from: source, count: bytes.count) }
        count += bytes.count
    }

    /// Bytes that are already JSON (a literal, a pre-rendered fragment), as they are.
    public mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// A JSON string literal, escaped exactly as `JSONValue.serialized()` escapes it.
    public mutating func appendString(_ string: String) {
        JSONSerializer.writeString(string, into: &self)
    }

    /// An integer as `JSONValue.serialized()` writes it.
    public mutating func appendInteger(_ number: Int64) {
        JSONSerializer.writeInteger(number, into: &self)
    }

    /// A value as `JSONValue.serialized()` writes it.
    public mutating func appendValue(_ value: JSONValue, sortedKeys: Bool = false) {
        JSONSerializer.write(value, sortedKeys: sortedKeys, into: &self)
    }

    mutating func append(string: String) {
        for byte in string.utf8 { append(byte) }
    }

    func append(to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
    }
}
