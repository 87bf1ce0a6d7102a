#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An incremental HTTP/1.1 request parser: bytes in, request heads and bodies out, no sockets.
///
/// Strict RFC 9112 framing, because a lenient parser behind or in front of another is how
/// requests get smuggled. The scan position is kept between calls so that bytes arriving a few
/// at a time are never scanned twice; the head is handed out as offsets into its own bytes.
public struct RequestParser: Sendable {
    public enum Event: Sendable {
        /// More bytes are needed before anything else can be said.
        case needMoreData
        /// A request head; the body (possibly empty) follows as `.end`.
        case head(RequestHead)
        /// The whole body of the request whose head came last; the parser is ready for the next request.
        case end(body: [UInt8])
        /// The request cannot be framed; answer `error.status` and close. The parser stays failed.
        case failure(HTTPParseError)
    }

    enum State: Sendable {
        case requestLine
        case headerLines
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case ended
        case failed(HTTPParseError)
    }

    public let limits: HTTPLimits
    private var buffer: [UInt8] = []
    /// Index of the first byte still needed (start of the head, or the next unread body byte).
    private var headStart = 0
    /// Index of the start of the line (or body bytes) being worked on.
    private var cursor = 0
    /// Bytes before this index, from `cursor` on, are known to hold no LF: never scanned twice.
    private var scanned = 0
    private var state: State = .requestLine
    private var body: [UInt8] = []

    // Head under construction (offsets relative to headStart).
    private var method: HTTPMethod = .GET
    private var minorVersion = 1
    private var targetRange = 0..<0
    private var fields: [RequestHead.Field] = []
    private var headerSectionStart = 0
    private var hostCount = 0
    private var contentLength: Int?
    private var transferCodings: [Substring] = []
    private var sawTransferEncoding = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectation: String?
    private var trailerCount = 0
    private var trailerStart = 0

    public init(limits: HTTPLimits = HTTPLimits()) { self.limits = limits }

    /// Bytes received but not yet consumed by a complete request (pipelined or partial data).
    public var bufferedByteCount: Int { buffer.count - headStart }

    /// Whether the parser is between requests with nothing buffered (an idle keep-alive connection).
    public var isIdle: Bool {
        if case .requestLine = state { return buffer.count == headStart }
        return false
    }

    /// Whether bytes of a request (head or body) have been received and the request is not complete.
    public var isMidRequest: Bool {
        switch state {
        case .requestLine: return buffer.count > headStart
        case .ended, .failed: return false
        default: return true
        }
    }

    /// Whether the head is parsed and its body is still arriving.
    public var isReadingBody: Bool {
        switch state {
        case .body, .chunkSize, .chunkData, .chunkDataEnd, .trailers: return true
        default: return false
        }
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Frees the buffers kept for the next request, when between requests with nothing buffered:
    /// for a connection that will wait a long time (a long poll) before it reads again.
    public mutating func releaseBuffers() {
        guard isIdle else { return }
        buffer = []
        headStart = 0
        cursor = 0
        scanned = 0
        trailerStart = 0
        fields = []
        transferCodings = []
        body = []
    }

    /// Drops consumed bytes so the buffer does not grow with every pipelined request.
    private mutating func compact() {
        guard headStart > 0 else { return }
        if headStart == buffer.count {
            // Idle: give back a large buffer so ten thousand idle connections stay small.
            if buffer.capacity > 16384 { buffer = [] } else { buffer.removeAll(keepingCapacity: true) }
        } else {
            buffer.removeSubrange(0..<headStart)
        }
        cursor -= headStart
        scanned = max(0, scanned - headStart)
        trailerStart = max(0, trailerStart - headStart)
        headStart = 0
    }

    public mutating func next() -> Event {
        while true {
            switch state {
            case .failed(let e):
                return .failure(e)
            case .ended:
                state = .requestLine
                resetHead()
                let b = body
                body = []
                return .end(body: b)
            case .requestLine:
                guard let lineEnd = findLF() else {
                    if buffer.count - headStart > limits.maxRequestLineBytes + 1 {
                        return fail(.requestLineTooLong(limit: limits.maxRequestLineBytes))
                    }
                    return .needMoreData
                }
                if let e = parseRequestLine(lf: lineEnd) { return fail(e) }
            case .headerLines:
                guard let lf = findLF() else {
                    if buffer.count - (headStart + headerSectionStart) > limits.maxHeaderBytes {
                        return fail(.headerSectionTooLarge(limit: limits.maxHeaderBytes))
                    }
                    return .needMoreData
                }
                if lf + 1 - (headStart + headerSectionStart) > limits.maxHeaderBytes {
                    return fail(.headerSectionTooLarge(limit: limits.maxHeaderBytes))
                }
                let lineStart = cursor
                cursor = lf + 1
                if let lineEnd = crBefore(lf, from: lineStart) {
                    if lineEnd == lineStart {
                        switch finishHead() {
                        case .success(let head): return .head(head)
                        case .failure(let e): return fail(e)
                        }
                    }
                    if let e = parseField(lineStart..<lineEnd, trailer: false) { return fail(e) }
                } else {
                    return fail(.malformedHeader("a line does not end in CRLF"))
                }
            case .body(let remaining):
                let available = buffer.count - cursor
                let n = min(available, remaining)
                if n > 0 {
                    body.append(contentsOf: buffer[cursor..<(cursor + n)])
                    cursor += n
                    headStart = cursor
                }
                if n == remaining { state = .ended } else {
                    state = .body(remaining: remaining - n)
                    return .needMoreData
                }
            case .chunkSize:
                guard let lf = findLF() else {
                    if buffer.count - cursor > limits.maxChunkLineBytes + 1 {
                        return fail(.malformedChunk("a chunk-size line is longer than \(limits.maxChunkLineBytes) bytes"))
                    }
                    return .needMoreData
                }
                let lineStart = cursor
                if lf - lineStart > limits.maxChunkLineBytes + 1 {
                    return fail(.malformedChunk("a chunk-size line is longer than \(limits.maxChunkLineBytes) bytes"))
                }
                guard let lineEnd = crBefore(lf, from: lineStart) else {
                    return fail(.malformedChunk("a chunk-size line does not end in CRLF"))
                }
                cursor = lf + 1
                headStart = cursor
                switch parseChunkSize(lineStart..<lineEnd) {
                case .failure(let e): return fail(e)
                case .success(0):
                    state = .trailers
                    trailerCount = 0
                    trailerStart = cursor
                case .success(let size):
                    if size > limits.maxBodyBytes - body.count { return fail(.bodyTooLarge(limit: limits.maxBodyBytes)) }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let n = min(buffer.count - cursor, remaining)
                if n > 0 {
                    body.append(contentsOf: buffer[cursor..<(cursor + n)])
                    cursor += n
                    headStart = cursor
                }
                if n == remaining { state = .chunkDataEnd } else {
                    state = .chunkData(remaining: remaining - n)
                    return .needMoreData
                }
            case .chunkDataEnd:
                if buffer.count - cursor < 2 {
                    if buffer.count > cursor && buffer[cursor] != ASCII.cr {
                        return fail(.malformedChunk("chunk data is not followed by CRLF"))
                    }
                    return .needMoreData
                }
                guard buffer[cursor] == ASCII.cr, buffer[cursor + 1] == ASCII.lf else {
                    return fail(.malformedChunk("chunk data is not followed by CRLF"))
                }
                cursor += 2
                headStart = cursor
                state = .chunkSize
            case .trailers:
                guard let lf = findLF() else {
                    if buffer.count - trailerStart > limits.maxHeaderBytes {
                        return fail(.headerSectionTooLarge(limit: limits.maxHeaderBytes))
                    }
                    return .needMoreData
                }
                if lf + 1 - trailerStart > limits.maxHeaderBytes {
                    return fail(.headerSectionTooLarge(limit: limits.maxHeaderBytes))
                }
                let lineStart = cursor
                cursor = lf + 1
                guard let lineEnd = crBefore(lf, from: lineStart) else {
                    return fail(.malformedChunk("a trailer line does not end in CRLF"))
                }
                if lineEnd == lineStart {
                    headStart = cursor
                    state = .ended
                } else {
                    trailerCount += 1
                    if trailerCount > limits.maxHeaderCount { return fail(.tooManyHeaders(limit: limits.maxHeaderCount)) }
                    if let e = parseField(lineStart..<lineEnd, trailer: true) { return fail(e) }
                }
            }
        }
    }

    private mutating func fail(_ e: HTTPParseError) -> Event {
        state = .failed(e)
        return .failure(e)
    }

    private mutating func resetHead() {
        fields.removeAll(keepingCapacity: true)
        hostCount = 0
        contentLength = nil
        transferCodings = []
        sawTransferEncoding = false
        connectionClose = false
        connectionKeepAlive = false
        expectation = nil
    }

    /// Index of the next LF at or after `cursor`, without rescanning earlier bytes.
    private mutating func findLF() -> Int? {
        let count = buffer.count
        let from = max(cursor, scanned)
        guard from < count else { return nil }
        let found: Int? = buffer.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            guard let hit = memchr(base + from, Int32(ASCII.lf), count - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
        scanned = found.map { $0 + 1 } ?? count
        return found
    }

    /// The end of the line's content if it ends in CRLF, nil for a bare LF.
    private func crBefore(_ lf: Int, from lineStart: Int) -> Int? {
        guard lf > lineStart, buffer[lf - 1] == ASCII.cr else { return nil }
        return lf - 1
    }

    private mutating func parseRequestLine(lf: Int) -> HTTPParseError? {
        // Length first, so the answer does not depend on how the bytes were split into reads.
        if lf - headStart > limits.maxRequestLineBytes + 1 { return .requestLineTooLong(limit: limits.maxRequestLineBytes) }
        guard let lineEnd = crBefore(lf, from: cursor) else { return .malformedRequestLine }
        if lineEnd == headStart {
            // RFC 9112 §2.2: ignore empty lines before a request line (bounded by the line limit).
            cursor = lf + 1
            headStart = cursor
            return nil
        }
        if lineEnd - headStart > limits.maxRequestLineBytes { return .requestLineTooLong(limit: limits.maxRequestLineBytes) }
        let start = headStart
        let parsed = buffer.withUnsafeBufferPointer { p -> Result<(HTTPMethod, Int, Range<Int>), HTTPParseError> in
            // method SP request-target SP HTTP-version, single spaces.
            var i = start
            while i < lineEnd && p[i] != ASCII.sp {
                guard ASCII.isToken(p[i]) else { return .failure(.malformedRequestLine) }
                i += 1
            }
            guard i > start, i < lineEnd else { return .failure(.malformedRequestLine) }
            let methodBytes = UnsafeBufferPointer(rebasing: p[start..<i])
            i += 1
            let targetStart = i
            while i < lineEnd && p[i] != ASCII.sp {
                guard p[i] > 0x20 && p[i] < 0x7F else { return .failure(.invalidTarget) }
                i += 1
            }
            guard i > targetStart, i < lineEnd else { return .failure(.malformedRequestLine) }
            let targetEnd = i
            i += 1
            // HTTP-version = "HTTP/" DIGIT "." DIGIT
            guard lineEnd - i == 8,
                  p[i] == UInt8(ascii: "H"), p[i + 1] == UInt8(ascii: "T"), p[i + 2] == UInt8(ascii: "T"),
                  p[i + 3] == UInt8(ascii: "P"), p[i + 4] == UInt8(ascii: "/"), p[i + 6] == UInt8(ascii: "."),
                  isDigit(p[i + 5]), isDigit(p[i + 7])
            else { return .failure(.malformedRequestLine) }
            let major = Int(p[i + 5] - 48), minor = Int(p[i + 7] - 48)
            guard major == 1 else {
                return .failure(.unsupportedVersion(String(decoding: UnsafeBufferPointer(rebasing: p[i..<lineEnd]), as: UTF8.self)))
            }
            guard let m = HTTPMethod.known(methodBytes) else {
                return .failure(.unsupportedMethod(String(decoding: methodBytes, as: UTF8.self)))
            }
            // origin-form, absolute-form (http/https), or asterisk-form for OPTIONS.
            let t = UnsafeBufferPointer(rebasing: p[targetStart..<targetEnd])
            if t[0] != UInt8(ascii: "/") {
                if t.count == 1 && t[0] == UInt8(ascii: "*") {
                    guard m == .OPTIONS else { return .failure(.invalidTarget) }
                } else if !Self.isAbsoluteForm(t) {
                    return .failure(.invalidTarget)
                }
            }
            return .success((m, minor == 0 ? 0 : 1, (targetStart - start)..<(targetEnd - start)))
        }
        switch parsed {
        case .failure(let e):
            return e
        case .success(let (m, minor, target)):
            method = m
            minorVersion = minor
            targetRange = target
            cursor = lf + 1
            headerSectionStart = cursor - headStart
            state = .headerLines
            return nil
        }
    }

    static func isAbsoluteForm(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
        for scheme: StaticString in ["http://", "https://"] {
            let n = scheme.utf8CodeUnitCount, s = scheme.utf8Start
            if t.count > n && (0..<n).allSatisfy({ ASCII.lower(t[$0]) == s[$0] }) { return true }
        }
        return false
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// One `name: value` line; headers are recorded, trailers only validated.
    private mutating func parseField(_ line: Range<Int>, trailer: Bool) -> HTTPParseError? {
        let first = buffer[line.lowerBound]
        if first == ASCII.sp || first == ASCII.htab {
            return .malformedHeader(fields.isEmpty && !trailer ? "whitespace before the first header field" : "obsolete line folding")
        }
        var colon = line.lowerBound
        while colon < line.upperBound && buffer[colon] != ASCII.colon {
            if !ASCII.isToken(buffer[colon]) {
                let b = buffer[colon]
                return .malformedHeader(b == ASCII.sp || b == ASCII.htab ? "whitespace before a colon" : "a field name holds a character outside token")
            }
            colon += 1
        }
        guard colon < line.upperBound else { return .malformedHeader("a field line has no colon") }
        guard colon > line.lowerBound else { return .malformedHeader("a field name is empty") }
        var vs = colon + 1, ve = line.upperBound
        while vs < ve && (buffer[vs] == ASCII.sp || buffer[vs] == ASCII.htab) { vs += 1 }
        while ve > vs && (buffer[ve - 1] == ASCII.sp || buffer[ve - 1] == ASCII.htab) { ve -= 1 }
        for i in vs..<ve where !ASCII.isFieldValueByte(buffer[i]) {
            return .malformedHeader("a field value holds CR, LF, NUL or another control character")
        }
        if trailer { return nil }
        if fields.count >= limits.maxHeaderCount { return .tooManyHeaders(limit: limits.maxHeaderCount) }
        let name = line.lowerBound..<colon
        fields.append(.init(name: (name.lowerBound - headStart)..<(name.upperBound - headStart), value: (vs - headStart)..<(ve - headStart)))
        return noteFramingHeader(name: name, value: vs..<ve)
    }

    private func nameIs(_ r: Range<Int>, _ lowercase: StaticString) -> Bool {
        guard r.count == lowercase.utf8CodeUnitCount else { return false }
        let p = lowercase.utf8Start
        for (k, i) in r.enumerated() where ASCII.lower(buffer[i]) != p[k] { return false }
        return true
    }

    private mutating func noteFramingHeader(name: Range<Int>, value: Range<Int>) -> HTTPParseError? {
        switch name.count {
        case 4 where nameIs(name, "host"):
            hostCount += 1
        case 14 where nameIs(name, "content-length"):
            guard !value.isEmpty, value.count <= 18 else {
                return value.isEmpty ? .invalidContentLength : (value.allSatisfy { isDigit(buffer[$0]) } ? .bodyTooLarge(limit: limits.maxBodyBytes) : .invalidContentLength)
            }
            var n = 0
            for i in value {
                guard isDigit(buffer[i]) else { return .invalidContentLength }
                n = n * 10 + Int(buffer[i] - 48)
            }
            if let earlier = contentLength, earlier != n { return .conflictingContentLength }
            contentLength = n
        case 17 where nameIs(name, "transfer-encoding"):
            sawTransferEncoding = true
            let v = String(decoding: buffer[value], as: UTF8.self).lowercased()
            for item in v.split(separator: ",", omittingEmptySubsequences: false) {
                transferCodings.append(item.trimmingSpaces)
            }
        case 10 where nameIs(name, "connection"):
            let v = String(decoding: buffer[value], as: UTF8.self)
            for item in v.split(separator: ",") {
                let t = item.trimmingSpaces
                if HTTPHeaders.namesEqual(t, "close") { connectionClose = true }
                if HTTPHeaders.namesEqual(t, "keep-alive") { connectionKeepAlive = true }
            }
        case 6 where nameIs(name, "expect"):
            expectation = String(decoding: buffer[value], as: UTF8.self)
        default:
            break
        }
        return nil
    }

    private mutating func finishHead() -> Result<RequestHead, HTTPParseError> {
        if minorVersion == 1 ? hostCount != 1 : hostCount > 1 { return .failure(.missingOrDuplicateHost) }
        var framing = RequestHead.BodyFraming.none
        if sawTransferEncoding {
            if minorVersion == 0 { return .failure(.transferEncodingOnHTTP10) }
            if contentLength != nil { return .failure(.contentLengthWithTransferEncoding) }
            guard transferCodings.last == "chunked", transferCodings.filter({ $0 == "chunked" }).count == 1 else {
                return .failure(.chunkedNotLast)
            }
            if let other = transferCodings.first(where: { $0 != "chunked" }) {
                return .failure(.unsupportedTransferCoding(String(other)))
            }
            framing = .chunked
        } else if let n = contentLength {
            if n > limits.maxBodyBytes { return .failure(.bodyTooLarge(limit: limits.maxBodyBytes)) }
            framing = n > 0 ? .length(n) : .none
        }
        var expectsContinue = false
        if let e = expectation {
            guard HTTPHeaders.namesEqual(e.trimmingSpaces, "100-continue") else { return .failure(.unsupportedExpectation(e)) }
            expectsContinue = minorVersion == 1
        }
        let headEnd = cursor - 2 // without the blank line's CRLF
        let head = RequestHead(
            bytes: Array(buffer[headStart..<headEnd]), targetRange: targetRange, fields: fields,
            method: method, minorVersion: minorVersion, framing: framing,
            keepAlive: minorVersion == 1 ? !connectionClose : (connectionKeepAlive && !connectionClose),
            expectsContinue: expectsContinue && framing != .none)
        headStart = cursor
        body = []
        switch framing {
        case .none: state = .ended
        case .length(let n):
            body.reserveCapacity(n)
            state = .body(remaining: n)
        case .chunked: state = .chunkSize
        }
        return .success(head)
    }

    private func parseChunkSize(_ line: Range<Int>) -> Result<Int, HTTPParseError> {
        var i = line.lowerBound
        var size = 0
        var digits = 0
        while i < line.upperBound, let d = hexValue(buffer[i]) {
            // Overflow check: anything past the body limit is refused long before Int overflows.
            guard digits < 15 else { return .failure(.bodyTooLarge(limit: limits.maxBodyBytes)) }
            size = size << 4 | d
            digits += 1
            i += 1
        }
        guard digits > 0 else { return .failure(.malformedChunk("a chunk size is not hexadecimal")) }
        if i == line.upperBound { return .success(size) }
        // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): bounded, no controls; ignored.
        while i < line.upperBound && (buffer[i] == ASCII.sp || buffer[i] == ASCII.htab) { i += 1 }
        guard i < line.upperBound, buffer[i] == UInt8(ascii: ";") else {
            return .failure(.malformedChunk("unexpected bytes after a chunk size"))
        }
        for j in i..<line.upperBound where !ASCII.isFieldValueByte(buffer[j]) {
            return .failure(.malformedChunk("a chunk extension holds a control character"))
        }
        return .success(size)
    }

    @inline(__always) private func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 48...57: return Int(b - 48)
        case 65...70: return Int(b - 55)
        case 97...102: return Int(b - 87)
        default: return nil
        }
    }
}
