import Digests
import Foundation
import Handoffs
import Synchronization

/// Ids like `c_01JD3…`: a prefix naming the resource, then a ULID (48-bit milliseconds, 80 random
/// bits, Crockford base32, spelled by `IDKey.spell`), so that ids sort by creation and cannot be guessed.
enum Identifier {
    /// Random bytes drawn from OpenSSL 4 KiB at a time: one RAND_bytes call (a lock and a
    /// provider look-up) per 400 ids rather than per id. Each byte is handed out once.
    private struct RandomPool {
        static let size = 4000
        var bytes: [UInt8] = []
        var used = 0

        mutating func take(_ count: Int, into target: UnsafeMutableBufferPointer<UInt8>) {
            if bytes.count - used < count {
                bytes = SecureRandom.bytes(Self.size)
                used = 0
            }
            bytes.withUnsafeMutableBufferPointer { pool in
                for index in 0..<count {
                    target[index] = pool[used + index]
                    pool[used + index] = 0   // not left behind for whoever reads this memory later
                }
            }
            used += count
        }
    }

    private static let pool = Mutex(RandomPool())

    static func make(_ prefix: String, at date: Date) -> String {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        // 48 bits of time, then 80 random bits: 128 bits as (high, low), most significant first.
        var high = millis << 16, low = UInt64(0)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { random in
            pool.withLock { $0.take(10, into: random) }
            high |= UInt64(random[0]) << 8 | UInt64(random[1])
            for index in 2..<10 { low = low << 8 | UInt64(random[index]) }
        }
        return IDKey.spell(prefix: prefix, high: high, low: low)
    }

    /// A new secret agency key: 32 random bytes, hex, with a prefix that secret scanners can match.
    static func secretKey() -> String {
        "rcrp_" + Hex.encode(SecureRandom.bytes(32))
    }
}
