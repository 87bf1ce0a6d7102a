// libFuzzer target for RequestParser, built by scripts/fuzz-parser.sh with -sanitize=fuzzer,address.
// Beyond "does not crash", it checks that the parser is truly incremental: the same bytes fed in
// one piece, in two pieces and a byte at a time must give the same requests and the same error.

/// What the parser made of an input, compared across ways of feeding it.
struct Transcript: Equatable {
    var events: [String] = []
}

/// `release`: give the buffers back at every pause, as a connection parked on a long poll does;
/// it must change nothing.
func transcript(_ input: UnsafeBufferPointer<UInt8>, limits: HTTPLimits, pieces: [Int], release: Bool = false) -> Transcript {
    var parser = RequestParser(limits: limits)
    var t = Transcript()
    var start = 0
    var cuts = pieces.filter { $0 > 0 && $0 < input.count }.sorted()
    cuts.append(input.count)
    for end in cuts where end >= start {
        parser.append(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[start..<end])))
        start = end
        loop: while true {
            switch parser.next() {
            case .needMoreData:
                if release { parser.releaseBuffers() }
                break loop
            case .head(let h):
                t.events.append("head \(h.method) \(h.target) 1.\(h.minorVersion) \(h.framing) ka=\(h.keepAlive) \(h.headers.count)")
            case .end(let body):
                t.events.append("body \(body.count) \(body.reduce(0) { $0 &* 31 &+ Int($1) })")
            case .failure(let e):
                t.events.append("failure \(e.status) \(e)")
                return t
            }
        }
    }
    return t
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: size)
    var small = HTTPLimits()
    small.maxRequestLineBytes = 64
    small.maxHeaderBytes = 128
    small.maxHeaderCount = 4
    small.maxBodyBytes = 64
    small.maxChunkLineBytes = 16
    for limits in [HTTPLimits(), small] {
        let whole = transcript(input, limits: limits, pieces: [])
        let split = size > 1 ? Int(data[0]) % size : 0
        let two = transcript(input, limits: limits, pieces: [split])
        if whole != two { fatalError("split at \(split) changed the result:\n\(whole)\n\(two)") }
        if size <= 512 {
            let bytewise = transcript(input, limits: limits, pieces: Array(1..<max(size, 1)))
            if whole != bytewise { fatalError("byte-at-a-time changed the result:\n\(whole)\n\(bytewise)") }
            let released = transcript(input, limits: limits, pieces: Array(1..<max(size, 1)), release: true)
            if whole != released { fatalError("releasing buffers changed the result:\n\(whole)\n\(released)") }
        }
    }
    return 0
}
