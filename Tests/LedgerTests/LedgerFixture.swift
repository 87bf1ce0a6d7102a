import Foundation
import JSON
@testable import Ledger

/// A fresh directory under /tmp, removed when the fixture goes away.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "ledger-test-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    var ledger: String { path + "/ledger" }
}

/// Helpers for building events and for reaching into segment files the way damage would.
enum LedgerFixture {
    static func event(_ n: Int, type: String = "call.received") -> LedgerEvent {
        LedgerEvent(type: type, actor: "key-\(n % 7)", body: ["n": .int(n), "incident_ref": .string("INC-\(n)"), "notes": "caf\u{e9} \"quoted\""])
    }

    static func options(segmentBytes: Int = 64 << 20, indexStride: Int = 64, zeroFillBytes: Int = 64 << 10) -> FileLedgerOptions {
        var options = FileLedgerOptions()
        options.segmentBytes = segmentBytes
        options.zeroFillBytes = zeroFillBytes
        options.indexStride = indexStride
        options.logger.logLevel = .critical
        return options
    }

    static func segments(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".log") }.sorted()
    }

    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// (offset, length) of every frame in a segment file, up to the end of its data (a frame
    /// length of 0 or the end of the file).
    static func frames(_ bytes: [UInt8]) -> [(offset: Int, length: Int)] {
        var out: [(Int, Int)] = []
        var offset = SegmentFile.headerSize
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
            guard length > 0, offset + 8 + length <= bytes.count else { break }
            out.append((offset, length))
            offset += 8 + length
        }
        return out
    }

    /// Rewrites a frame's payload and gives it a matching length and CRC, as a forger would.
    static func replacePayload(in bytes: [UInt8], frame: (offset: Int, length: Int), with payload: [UInt8]) -> [UInt8] {
        var framed: [UInt8] = []
        RecordFrame.append(payload: payload, to: &framed)
        return Array(bytes[..<frame.offset]) + framed + Array(bytes[(frame.offset + 8 + frame.length)...])
    }

    /// Where the records of a segment file end (the zeros of the writer's region follow).
    static func dataEnd(_ bytes: [UInt8]) -> Int {
        frames(bytes).last.map { $0.offset + 8 + $0.length } ?? SegmentFile.headerSize
    }

    static func payload(_ bytes: [UInt8], _ frame: (offset: Int, length: Int)) -> [UInt8] {
        Array(bytes[(frame.offset + 8) ..< (frame.offset + 8 + frame.length)])
    }

    static func appendAll(_ ledger: FileLedger, _ range: ClosedRange<Int>) async throws -> [LedgerRecord] {
        var out: [LedgerRecord] = []
        for n in range { out += try await ledger.append([event(n)]) }
        return out
    }
}
