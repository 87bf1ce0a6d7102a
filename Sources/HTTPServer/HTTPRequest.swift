/// A complete request as a handler sees it: decoded path and query, headers, whole body.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// Percent-decoded path, without the query.
    public var path: String
    /// The raw request-target as sent.
    public var target: String
    /// Percent-decoded query items, '+' read as space, in order.
    public var queryItems: [(name: String, value: String)]
    /// Parameters from the route template, percent-decoded.
    public var parameters: [String: String]
    /// The template that matched, e.g. "/v1/calls/{call_id}".
    public var route: String?
    public var headers: HTTPHeaders
    /// The whole body, already gunzipped if it came with `Content-Encoding: gzip`.
    public var body: [UInt8]
    public var requestID: String
    public var remoteAddress: String
    public var isSecure: Bool

    /// A request for routing without sockets (tests, internal calls). An undecodable
    /// percent-escape in the target is kept as sent.
    public init(method: HTTPMethod, target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
                requestID: String = "local", remoteAddress: String = "", isSecure: Bool = false) {
        let parts = RequestTarget(target)
        self.init(method: method, target: target,
                  path: parts.flatMap { PercentDecoding.decode(Substring($0.rawPath)) } ?? target,
                  queryItems: parts.flatMap { PercentDecoding.queryItems($0.rawQuery) } ?? [],
                  headers: headers, body: body, requestID: requestID, remoteAddress: remoteAddress, isSecure: isSecure)
    }

    init(method: HTTPMethod, target: String, path: String, queryItems: [(name: String, value: String)],
         headers: HTTPHeaders, body: [UInt8], requestID: String, remoteAddress: String, isSecure: Bool) {
        self.method = method
        self.target = target
        self.path = path
        self.queryItems = queryItems
        self.parameters = [:]
        self.route = nil
        self.headers = headers
        self.body = body
        self.requestID = requestID
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
    }

    /// The first value of query item `name`.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }
}

/// The raw path and query of an origin-form or absolute-form request-target.
struct RequestTarget {
    var rawPath: Substring
    var rawQuery: Substring

    init?(_ target: String) {
        var t = Substring(target)
        if t == "*" {
            rawPath = "*"
            rawQuery = ""
            return
        }
        if !t.hasPrefix("/") {
            // absolute-form: drop scheme://authority, keep the path (or "/").
            guard let colon = t.firstIndex(of: ":"), t[colon...].hasPrefix("://") else { return nil }
            t = t[t.index(colon, offsetBy: 3)...]
            if let slash = t.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                t = t[slash...]
                if t.hasPrefix("?") { t = "/" + t }
            } else {
                t = "/"
            }
        }
        if let q = t.firstIndex(of: "?") {
            rawPath = t[..<q]
            rawQuery = t[t.index(after: q)...]
        } else {
            rawPath = t
            rawQuery = ""
        }
    }
}

/// RFC 3986 percent-decoding; nil for a broken escape or bytes that are not UTF-8.
enum PercentDecoding {
    static func decode(_ s: Substring, plusAsSpace: Bool = false) -> String? {
        let utf8 = s.utf8
        if !utf8.contains(UInt8(ascii: "%")) && !(plusAsSpace && utf8.contains(UInt8(ascii: "+"))) { return String(s) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            let b = utf8[i]
            if b == UInt8(ascii: "%") {
                let h1 = utf8.index(after: i)
                guard h1 != utf8.endIndex else { return nil }
                let h2 = utf8.index(after: h1)
                guard h2 != utf8.endIndex, let hi = hex(utf8[h1]), let lo = hex(utf8[h2]) else { return nil }
                out.append(hi << 4 | lo)
                i = utf8.index(after: h2)
            } else {
                out.append(plusAsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
                i = utf8.index(after: i)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    static func queryItems(_ q: Substring) -> [(name: String, value: String)]? {
        if q.isEmpty { return [] }
        var items: [(name: String, value: String)] = []
        for pair in q.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring, value: Substring
            if let eq = pair.firstIndex(of: "=") {
                name = pair[..<eq]
                value = pair[pair.index(after: eq)...]
            } else {
                name = pair
                value = ""
            }
            guard let n = decode(name, plusAsSpace: true), let v = decode(value, plusAsSpace: true) else { return nil }
            items.append((name: n, value: v))
        }
        return items
    }

    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: return b - 48
        case 65...70: return b - 55
        case 97...102: return b - 87
        default: return nil
        }
    }
}
