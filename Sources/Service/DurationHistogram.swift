import Foundation

/// Durations counted in fixed logarithmic buckets (ten per decade, 1 µs to 100 s), so that it can
/// stay on in production at a few integer additions per sample and bounded memory.
public struct DurationHistogram: Sendable, Hashable {
    private static let bucketsPerDecade = 10.0
    private static let decades = 8
    private var counts = [Int](repeating: 0, count: decades * Int(bucketsPerDecade) + 1)
    public private(set) var count = 0
    public private(set) var totalSeconds = 0.0
    public private(set) var maxSeconds = 0.0

    public init() {}

    public mutating func record(seconds: Double) {
        let micros = max(seconds * 1e6, 1)
        let index = min(counts.count - 1, Int((log10(micros) * Self.bucketsPerDecade).rounded(.up)))
        counts[index] += 1
        count += 1
        totalSeconds += seconds
        maxSeconds = max(maxSeconds, seconds)
    }

    public mutating func record(_ duration: Duration) {
        record(seconds: duration.seconds)
    }

    public mutating func merge(_ other: DurationHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        count += other.count
        totalSeconds += other.totalSeconds
        maxSeconds = max(maxSeconds, other.maxSeconds)
    }

    /// The upper bound of the bucket holding the `fraction` quantile (at most 26% above the
    /// sample), never more than the largest sample; 0 when empty.
    public func quantile(_ fraction: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = max(1, Int((fraction * Double(count)).rounded(.up)))
        var seen = 0
        for (index, bucket) in counts.enumerated() {
            seen += bucket
            if seen >= rank { return min(maxSeconds, pow(10, Double(index) / Self.bucketsPerDecade) / 1e6) }
        }
        return maxSeconds
    }
}
