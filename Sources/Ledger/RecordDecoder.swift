import Foundation
import JSON

/// Parses a stored payload into a record, insisting on the exact layout `RecordLayout` writes.
enum RecordDecoder {
    struct Problem: Error {
        let message: String
    }

    static let keys = ["seq", "at", "type", "actor", "body", "prev_hash", "hash"]
    /// Generous: these bytes passed the CRC, so they are what the service itself wrote.
    private static let limits = JSONParseLimits(maxDepth: 128, maxStringBytes: RecordFrame.maxPayloadBytes)

    static func decode(_ payload: UnsafeBufferPointer<UInt8>) -> Result<LedgerRecord, Problem> {
        let value: JSONValue
        do {
            value = try JSON.parse(Array(payload), limits: limits)
        } catch {
            return .failure(Problem(message: "payload is not valid JSON at byte \(error.offset): \(error.message)"))
        }
        guard case .object(let object) = value else { return .failure(Problem(message: "payload is not a JSON object")) }
        guard object.keys == keys else {
            return .failure(Problem(message: "payload members are \(object.keys), expected \(keys) in that order"))
        }
        guard let seq = object["seq"]?.intValue, seq > 0,
              case .string(let atText)? = object["at"], let at = RFC3339.parse(atText),
              case .string(let type)? = object["type"],
              case .string(let actor)? = object["actor"],
              let body = object["body"],
              case .string(let prevHash)? = object["prev_hash"],
              case .string(let hash)? = object["hash"]
        else { return .failure(Problem(message: "payload member of the wrong type")) }
        return .success(LedgerRecord(seq: UInt64(seq), at: at, type: type, actor: actor, body: body, prevHash: prevHash, hash: hash))
    }
}
