import Foundation
import JSON
import Logging
import Synchronization

/// One JSON object per line on standard error (`{"at","level","label","message",…metadata}`), the
/// shape log shippers (journald, Loki, CloudWatch) take without parsing rules.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// Lines from many threads must not interleave.
    private static let output = Mutex<Void>(())

    init(label: String, level: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: JSONObject = [
            "at": .string(RFC3339.format(Date())),
            "level": .string(event.level.rawValue),
            "label": .string(label),
            "message": .string(event.message.description),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        for key in merged.keys.sorted() where object[key] == nil {
            object[key] = Self.json(merged[key]!)
        }
        if let error = event.error { object["error"] = .string(String(describing: error)) }
        if event.level >= .error { object["source"] = .string("\(event.file):\(event.line)") }
        var line = JSONValue.object(object).serialized()
        line.append(0x0a)
        Self.output.withLock { _ in
            Self.writeAll(line, to: 2)
        }
    }

    static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let string): return .string(string)
        case .stringConvertible(let convertible): return .string(convertible.description)
        case .array(let values): return .array(values.map(json))
        case .dictionary(let dictionary):
            var object = JSONObject()
            for key in dictionary.keys.sorted() { object[key] = json(dictionary[key]!) }
            return .object(object)
        }
    }
}
