import Digests
import JSON

/// The fixed textual layout of a record payload, which is what makes the hash unambiguous:
///
///     {"seq":N,"at":"…","type":"…","actor":"…","body":{…},"prev_hash":"<64 hex>","hash":"<64 hex>"}
///
/// `hash` is SHA-256 over exactly the bytes written, minus the trailing `,"hash":"<64 hex>"`
/// member: a verifier cuts 75 bytes off the end and puts back the closing `}`. Nothing is ever
/// re-serialised, so numbers in the body cannot hash differently on another reader.
/// Because `seq` opens the payload and the two hashes close it at fixed offsets, start-up can
/// check seq continuity and chain links without parsing JSON.
enum RecordLayout {
    static let genesisHash = String(repeating: "0", count: 64)
    static let genesisHashBytes = [UInt8](repeating: UInt8(ascii: "0"), count: 64)

    static let seqPrefix: [UInt8] = Array(#"{"seq":"#.utf8)
    static let prevHashKey: [UInt8] = Array(#","prev_hash":""#.utf8)
    static let hashKey: [UInt8] = Array(#","hash":""#.utf8)
    /// `,"hash":"` + 64 hex + `"}`
    static let hashSuffixCount = 9 + 64 + 2
    /// `,"prev_hash":"` + 64 hex + `","hash":"` + 64 hex + `"}`
    static let linkSuffixCount = 14 + 64 + 1 + hashSuffixCount
    /// Bytes a payload has beyond the JSON of type, actor and body (seq and `at` at their widest).
    static let overheadBound = 400

    /// The payload without `hash`: what the hash covers.
    static func unsealed(seq: UInt64, at: String, typeJSON: [UInt8], actorJSON: [UInt8], bodyJSON: [UInt8], prevHash: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(typeJSON.count + actorJSON.count + bodyJSON.count + overheadBound)
        appendUnsealed(to: &out, seq: seq, at: at, typeJSON: typeJSON, actorJSON: actorJSON, bodyJSON: bodyJSON, prevHash: prevHash)
        return out
    }

    private static func appendUnsealed(
        to out: inout [UInt8], seq: UInt64, at: String, typeJSON: [UInt8], actorJSON: [UInt8], bodyJSON: [UInt8], prevHash: [UInt8]
    ) {
        out.append(contentsOf: seqPrefix)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: #","at":""#.utf8)
        out.append(contentsOf: at.utf8)
        out.append(contentsOf: #"","type":"#.utf8)
        out.append(contentsOf: typeJSON)
        out.append(contentsOf: #","actor":"#.utf8)
        out.append(contentsOf: actorJSON)
        out.append(contentsOf: #","body":"#.utf8)
        out.append(contentsOf: bodyJSON)
        out.append(contentsOf: prevHashKey)
        out.append(contentsOf: prevHash)
        out.append(contentsOf: #""}"#.utf8)
    }

    /// Turns an unsealed payload into the stored one; returns the hash as 64 hex bytes.
    static func seal(_ payload: inout [UInt8]) -> [UInt8] {
        let hash = hexBytes(SHA256.hash(payload))
        payload.removeLast()
        payload.append(contentsOf: hashKey)
        payload.append(contentsOf: hash)
        payload.append(contentsOf: #""}"#.utf8)
        return hash
    }

    /// `,"type":<t>,"actor":<a>,"body":<b>`: the part of a payload that does not depend on its
    /// place in the chain, so appenders can serialise it in parallel before the writer runs.
    /// `capacity`: the expected size, so that the buffer is not grown again and again. A body the
    /// appender serialised already (`LedgerEvent.serializedBody`) is copied as it is.
    static func members(_ event: LedgerEvent, capacity: Int = 64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        out.append(contentsOf: #","type":"#.utf8)
        JSONValue.string(event.type).serialize(into: &out)
        out.append(contentsOf: #","actor":"#.utf8)
        JSONValue.string(event.actor).serialize(into: &out)
        out.append(contentsOf: #","body":"#.utf8)
        if let body = event.serializedBody {
            out.append(contentsOf: body)
        } else {
            event.body.serialize(into: &out)
        }
        return out
    }

    /// Appends one whole framed record (length, CRC, sealed payload) in place, without an
    /// intermediate payload array: the writer's hot path. Returns where in `buffer` the hash's
    /// 64 hex bytes are.
    static func appendFramedRecord(
        to buffer: inout [UInt8], seq: UInt64, at: [UInt8], members: [UInt8], prevHash: some Collection<UInt8>, hasher: SHA256Context
    ) -> Range<Int> {
        let frameStart = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: RecordFrame.headerSize))
        let payloadStart = buffer.count
        buffer.append(contentsOf: seqPrefix)
        appendDecimal(seq, to: &buffer)
        buffer.append(contentsOf: #","at":""#.utf8)
        buffer.append(contentsOf: at)
        buffer.append(UInt8(ascii: "\""))
        buffer.append(contentsOf: members)
        buffer.append(contentsOf: prevHashKey)
        buffer.append(contentsOf: prevHash)
        buffer.append(contentsOf: #""}"#.utf8)
        let digest = buffer.withUnsafeBufferPointer { hasher.hash(UnsafeBufferPointer(rebasing: $0[payloadStart...])) }
        buffer.removeLast()
        buffer.append(contentsOf: hashKey)
        let hashStart = buffer.count
        buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 64))
        buffer.withUnsafeMutableBufferPointer { out in
            hexDigits.withUnsafeBufferPointer { digits in
                for (i, byte) in digest.enumerated() {
                    out[hashStart + 2 * i] = digits[Int(byte >> 4)]
                    out[hashStart + 2 * i + 1] = digits[Int(byte & 0x0f)]
                }
            }
        }
        buffer.append(contentsOf: #""}"#.utf8)
        let length = UInt32(buffer.count - payloadStart)
        let crc = buffer.withUnsafeBufferPointer { CRC32.checksum(UnsafeBufferPointer(rebasing: $0[payloadStart...])) }
        buffer.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: length.littleEndian, toByteOffset: frameStart, as: UInt32.self)
            raw.storeBytes(of: crc.littleEndian, toByteOffset: frameStart + 4, as: UInt32.self)
        }
        return hashStart ..< hashStart + 64
    }

    /// The decimal digits of `value`, without a String in between.
    private static func appendDecimal(_ value: UInt64, to buffer: inout [UInt8]) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            buffer.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func hexBytes(_ digest: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(digest.count * 2)
        for byte in digest {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return out
    }

    /// The seq at the start of a stored payload, without parsing JSON.
    static func seq(_ payload: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard payload.count > seqPrefix.count, payload.starts(with: seqPrefix) else { return nil }
        var value: UInt64 = 0
        var index = seqPrefix.count
        while index < payload.count, index - seqPrefix.count <= 20 {
            let c = payload[index]
            if c == UInt8(ascii: ",") {
                return index > seqPrefix.count && payload[seqPrefix.count] != UInt8(ascii: "0") ? value : nil
            }
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
            if o1 || o2 { return nil }
            value = sum
            index += 1
        }
        return nil
    }

    /// prev_hash and hash (64 lower-case hex bytes each) from the fixed tail of a stored payload.
    static func links(_ payload: UnsafeBufferPointer<UInt8>) -> (prev: UnsafeBufferPointer<UInt8>, hash: UnsafeBufferPointer<UInt8>)? {
        let n = payload.count
        guard n >= seqPrefix.count + 2 + linkSuffixCount else { return nil }
        let start = n - linkSuffixCount
        let prevStart = start + prevHashKey.count
        let hashKeyStart = prevStart + 64 + 1
        let hashStart = hashKeyStart + hashKey.count
        guard matches(payload, at: start, prevHashKey),
              payload[prevStart + 64] == UInt8(ascii: "\""),
              matches(payload, at: hashKeyStart, hashKey),
              payload[n - 2] == UInt8(ascii: "\""), payload[n - 1] == UInt8(ascii: "}")
        else { return nil }
        let prev = UnsafeBufferPointer(rebasing: payload[prevStart ..< prevStart + 64])
        let hash = UnsafeBufferPointer(rebasing: payload[hashStart ..< hashStart + 64])
        guard isLowerHex(prev), isLowerHex(hash) else { return nil }
        return (prev, hash)
    }

    /// SHA-256 (64 hex bytes) of the payload without its `hash` member.
    static func computedHash(_ payload: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(UnsafeBufferPointer(rebasing: payload[0 ..< payload.count - hashSuffixCount]))
        hasher.update(CollectionOfOne(UInt8(ascii: "}")))
        return Array(Hex.encode(hasher.finalize()).utf8)
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int, _ expected: [UInt8]) -> Bool {
        guard offset >= 0, offset + expected.count <= bytes.count else { return false }
        for (i, b) in expected.enumerated() where bytes[offset + i] != b { return false }
        return true
    }

    private static func isLowerHex(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }
}
