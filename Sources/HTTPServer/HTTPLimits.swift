/// Bounds on everything a client can make the server hold; the defaults follow nginx and SwiftNIO.
public struct HTTPLimits: Sendable {
    public static let defaultMaxRequestLineBytes = 8192
    public static let defaultMaxHeaderBytes = 32768
    public static let defaultMaxHeaderCount = 100
    public static let defaultMaxBodyBytes = 1 << 20
    public static let defaultMaxDecompressedBodyBytes = 4 << 20
    public static let defaultMaxPipelinedRequests = 16
    public static let defaultMaxConnections = 20_000
    public static let defaultMaxUnsentBytes = 1 << 20
    public static let defaultMaxChunkLineBytes = 4096

    /// Request line (method, target, version), without CRLF. Over it: 414.
    public var maxRequestLineBytes = defaultMaxRequestLineBytes
    /// Header section after the request line, including trailers of a chunked body. Over it: 431.
    public var maxHeaderBytes = defaultMaxHeaderBytes
    /// Header fields in one request (and separately in trailers). Over it: 431.
    public var maxHeaderCount = defaultMaxHeaderCount
    /// Body as sent (before any gunzip). Over it: 413, decided from Content-Length when there is one.
    public var maxBodyBytes = defaultMaxBodyBytes
    /// Body after gunzip of `Content-Encoding: gzip`. Over it: 413.
    public var maxDecompressedBodyBytes = defaultMaxDecompressedBodyBytes
    /// Requests parsed on one connection whose responses are not yet written; at the bound reading pauses.
    public var maxPipelinedRequests = defaultMaxPipelinedRequests
    /// Open connections across all loops; one more is answered 503 and closed.
    public var maxConnections = defaultMaxConnections
    /// Response bytes waiting for a slow reader; above it the server stops reading that connection.
    public var maxUnsentBytes = defaultMaxUnsentBytes
    /// One chunk-size line including chunk extensions. Over it: 400.
    public var maxChunkLineBytes = defaultMaxChunkLineBytes

    public init() {}
}
