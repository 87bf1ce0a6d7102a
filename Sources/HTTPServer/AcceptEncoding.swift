/// Reads `Accept-Encoding` (RFC 9110 §12.5.3) to decide whether a gzip response is acceptable.
enum AcceptEncoding {
    /// gzip (or x-gzip) with q > 0; else `*` with q > 0 when gzip is not named. No header: no gzip.
    static func allowsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzipQ: Double?
        var starQ: Double?
        for item in header.split(separator: ",") {
            let parts = item.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.trimmingSpaces.lowercased()
            var q = 1.0
            for param in parts.dropFirst() {
                let p = param.trimmingSpaces
                if p.lowercased().hasPrefix("q=") {
                    // A malformed q-value refuses rather than guesses.
                    q = Double(p.dropFirst(2)) ?? 0
                }
            }
            if coding == "gzip" || coding == "x-gzip" { gzipQ = max(gzipQ ?? 0, q) }
            if coding == "*" { starQ = q }
        }
        if let g = gzipQ { return g > 0 }
        if let s = starQ { return s > 0 }
        return false
    }
}
