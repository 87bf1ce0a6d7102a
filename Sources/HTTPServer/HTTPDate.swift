#if canImport(Glibc)
import Glibc
#endif

/// The IMF-fixdate for the `Date` header, formatted once per second per loop.
struct HTTPDate {
    private var second: Int = -1
    private(set) var value: [UInt8] = []

    mutating func current() -> [UInt8] {
        var now = time(nil)
        if now != second {
            second = now
            value = Array(Self.format(&now).utf8)
        }
        return value
    }

    static func format(_ t: inout time_t) -> String {
        var tm = tm()
        gmtime_r(&t, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(tm.tm_year + 1900) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
