/// Request ids: the client's if sane, else a fresh one that is unique within this process.
struct RequestID {
    /// 1–128 characters of [A-Za-z0-9._:-]: safe to log and echo.
    static func isSane(_ s: String) -> Bool {
        let u = s.utf8
        guard !u.isEmpty, u.count <= 128 else { return false }
        return u.allSatisfy { b in
            (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 46 || b == 95 || b == 58 || b == 45
        }
    }

    private let prefix: String
    private var counter: UInt64 = 0

    /// `index` makes each loop's ids distinct; a random part keeps restarts apart. Six hex digits of
    /// prefix keep a whole id within 15 bytes (a Swift small string: no allocation per request).
    init(loop index: Int) {
        var r = SystemRandomNumberGenerator()
        let random = (r.next() & 0xFF_FFF0) | UInt64(index & 0xF)
        let hex = String(random, radix: 16)
        prefix = String(repeating: "0", count: 6 - hex.count) + hex + "-"
    }

    mutating func next() -> String {
        counter &+= 1
        return prefix + String(counter, radix: 16)
    }
}
