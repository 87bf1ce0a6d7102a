/// Why a request could not be framed; each answers its status and the connection closes.
public enum HTTPParseError: Error, Equatable, Sendable {
    case malformedRequestLine
    case requestLineTooLong(limit: Int)
    case unsupportedMethod(String)
    case unsupportedVersion(String)
    case invalidTarget
    case headerSectionTooLarge(limit: Int)
    case tooManyHeaders(limit: Int)
    case malformedHeader(String)
    case missingOrDuplicateHost
    case invalidContentLength
    case conflictingContentLength
    case contentLengthWithTransferEncoding
    case transferEncodingOnHTTP10
    case chunkedNotLast
    case unsupportedTransferCoding(String)
    case bodyTooLarge(limit: Int)
    case malformedChunk(String)
    case unsupportedExpectation(String)

    /// The status RFC 9112 asks for.
    public var status: Int {
        switch self {
        case .requestLineTooLong: return 414
        case .unsupportedMethod, .unsupportedTransferCoding: return 501
        case .unsupportedVersion: return 505
        case .headerSectionTooLarge, .tooManyHeaders: return 431
        case .bodyTooLarge: return 413
        case .unsupportedExpectation: return 417
        default: return 400
        }
    }

    /// A sentence for the problem+json detail: what was wrong, and the bound when one was crossed.
    public var detail: String {
        switch self {
        case .malformedRequestLine: return "The request line is not 'METHOD SP target SP HTTP/x.y CRLF'."
        case .requestLineTooLong(let l): return "The request line is longer than \(l) bytes."
        case .unsupportedMethod(let m): return "The method '\(m)' is not implemented."
        case .unsupportedVersion(let v): return "The HTTP version '\(v)' is not supported; use HTTP/1.1."
        case .invalidTarget: return "The request target is not a valid origin-form or absolute-form URI."
        case .headerSectionTooLarge(let l): return "The header section is larger than \(l) bytes."
        case .tooManyHeaders(let l): return "The request has more than \(l) header fields."
        case .malformedHeader(let why): return "A header field is malformed: \(why)."
        case .missingOrDuplicateHost: return "An HTTP/1.1 request must carry exactly one Host header."
        case .invalidContentLength: return "Content-Length must be a decimal number."
        case .conflictingContentLength: return "The request carries differing Content-Length values."
        case .contentLengthWithTransferEncoding: return "Content-Length and Transfer-Encoding must not both be sent."
        case .transferEncodingOnHTTP10: return "Transfer-Encoding is not allowed in an HTTP/1.0 request."
        case .chunkedNotLast: return "'chunked' must be the final transfer coding, sent once."
        case .unsupportedTransferCoding(let c): return "The transfer coding '\(c)' is not implemented."
        case .bodyTooLarge(let l): return "The request body is larger than \(l) bytes."
        case .malformedChunk(let why): return "The chunked body is malformed: \(why)."
        case .unsupportedExpectation(let e): return "The expectation '\(e)' cannot be met; only 100-continue is supported."
        }
    }
}
