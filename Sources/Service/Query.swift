import Foundation
import HTTPServer
import JSON

/// Query parameters: every bad one is a 422 naming it.
enum Query {
    static func int(_ request: HTTPRequest, _ name: String, default value: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text = request.query(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.invalidQuery(name, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static func cursor(_ request: HTTPRequest, _ name: String) throws(APIError) -> UInt64 {
        guard let text = request.query(name), !text.isEmpty else { return 0 }
        guard let number = UInt64(text) else { throw APIError.invalidQuery(name, "must be a cursor this API returned") }
        return number
    }

    static func date(_ request: HTTPRequest, _ name: String) throws(APIError) -> Date? {
        guard let text = request.query(name), !text.isEmpty else { return nil }
        guard let date = RFC3339.parse(text) else { throw APIError.invalidQuery(name, "must be an RFC 3339 time") }
        return date
    }

    static func oneOf(_ request: HTTPRequest, _ name: String, _ allowed: [String]) throws(APIError) -> String? {
        guard let text = request.query(name), !text.isEmpty else { return nil }
        guard allowed.contains(text) else { throw APIError.invalidQuery(name, "must be one of \(allowed.joined(separator: ", "))") }
        return text
    }
}
