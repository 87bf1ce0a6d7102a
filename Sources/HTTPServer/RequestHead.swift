/// A parsed request line and header section, kept as offsets into its own bytes until a handler asks.
public struct RequestHead: Sendable {
    /// How the body that follows the head is delimited.
    public enum BodyFraming: Equatable, Sendable {
        case none
        case length(Int)
        case chunked
    }

    struct Field: Sendable {
        var name: Range<Int>
        var value: Range<Int>
    }

    /// Request line and header section, without the blank line that ends it.
    let bytes: [UInt8]
    let targetRange: Range<Int>
    let fields: [Field]
    public let method: HTTPMethod
    /// 0 for HTTP/1.0, 1 for HTTP/1.1 (and for later 1.x, which RFC 9112 says to treat as 1.1).
    public let minorVersion: Int
    public let framing: BodyFraming
    /// Whether the connection may carry another request after this one.
    public let keepAlive: Bool
    /// `Expect: 100-continue` on HTTP/1.1: the client waits for 100 before sending the body.
    public let expectsContinue: Bool

    public var target: String { String(decoding: bytes[targetRange], as: UTF8.self) }

    public var headers: HTTPHeaders {
        var h = HTTPHeaders()
        h.reserve(fields.count)
        for f in fields {
            h.add(String(decoding: bytes[f.name], as: UTF8.self), String(decoding: bytes[f.value], as: UTF8.self))
        }
        return h
    }

    public var headerCount: Int { fields.count }
}
