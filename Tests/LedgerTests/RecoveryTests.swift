import Foundation
import JSON
import Testing
@testable import Ledger

@Suite struct RecoveryTests {
    private let segmentName = "00000000000000000001.log"

    /// Three whole records on disk, closed; returns the segment bytes and the appended records.
    private func threeRecords(in dir: TemporaryDirectory) async throws -> ([UInt8], [LedgerRecord]) {
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        let records = try await LedgerFixture.appendAll(ledger, 1...3)
        ledger.close()
        return (try LedgerFixture.read(dir.ledger + "/" + segmentName), records)
    }

    private func tornCopies(_ dir: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.ledger).filter { $0.contains(".torn-") }
    }

    /// Every cut inside the last record, with nothing after it (a file written without a zero
    /// region, or cut by a copy) and with the zeros the writer keeps ahead of the data after it.
    @Test(arguments: [0, 8192])
    func everyTruncationPointOfTheLastRecordRecoversToTheLastWholeRecord(zeroTail: Int) async throws {
        let dir = TemporaryDirectory()
        let (file, records) = try await threeRecords(in: dir)
        let bytes = Array(file[..<LedgerFixture.dataEnd(file)])
        let last = LedgerFixture.frames(bytes)[2]
        #expect(last.offset + 8 + last.length == bytes.count)
        let path = dir.ledger + "/" + segmentName
        let zeros = [UInt8](repeating: 0, count: zeroTail)

        for cut in last.offset ..< bytes.count {
            for name in try tornCopies(dir) { try FileManager.default.removeItem(atPath: dir.ledger + "/" + name) }
            let damaged = Array(bytes[..<cut]) + zeros
            try LedgerFixture.write(damaged, to: path)
            let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
            #expect(ledger.head.seq == 2 && ledger.head.hash == records[1].hash, "cut at \(cut)")
            let after = try LedgerFixture.read(path)
            #expect(Array(after.prefix(last.offset)) == Array(bytes[..<last.offset]), "cut at \(cut)")
            // The damaged segment was copied aside first, exactly as found, and cut to the last
            // whole record; a clean end (zeros right after a whole record) is kept as it is.
            let copies = try tornCopies(dir)
            if cut > last.offset {
                #expect(after.count == last.offset, "cut at \(cut)")
                #expect(copies.count == 1, "cut at \(cut)")
                if let copy = copies.first { #expect(try LedgerFixture.read(dir.ledger + "/" + copy) == damaged) }
            } else {
                #expect(after == damaged)
                #expect(copies.isEmpty)
            }
            ledger.close()
        }

        // And the recovered ledger carries on from the last whole record.
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        let next = try await ledger.append([LedgerFixture.event(9)])
        #expect(next[0].seq == 3 && next[0].prevHash == records[1].hash)
        #expect(try ledger.verify().records == 3)
    }

    /// A crash mid-write into the zero region: the last record's first half, zeros after it.
    @Test func tornRecordFollowedByZerosRecoversToTheLastWholeRecord() async throws {
        let dir = TemporaryDirectory()
        let (file, records) = try await threeRecords(in: dir)
        let last = LedgerFixture.frames(file)[2]
        let damaged = Array(file[..<(last.offset + 8 + last.length / 2)]) + [UInt8](repeating: 0, count: 64 << 10)
        let path = dir.ledger + "/" + segmentName
        try LedgerFixture.write(damaged, to: path)
        #expect(try LedgerVerifier.verify(directory: dir.ledger).tornTail?.offset == last.offset)

        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        #expect(ledger.head.seq == 2 && ledger.head.hash == records[1].hash)
        #expect(try LedgerFixture.read(path) == Array(file[..<last.offset]))
        let copies = try tornCopies(dir)
        #expect(copies.count == 1)
        if let copy = copies.first { #expect(try LedgerFixture.read(dir.ledger + "/" + copy) == damaged) }
    }

    /// After a clean stop (or a crash between commits) the segment ends in the writer's zeros:
    /// nothing was lost, nothing is copied or cut, and the next record goes at the data end.
    @Test func restartOnAZeroTailAppendsAtTheDataEndAndTheChainContinues() async throws {
        let dir = TemporaryDirectory()
        let (file, records) = try await threeRecords(in: dir)
        let end = LedgerFixture.dataEnd(file)
        #expect(file.count > end && file[end...].allSatisfy { $0 == 0 })
        let verified = try LedgerVerifier.verify(directory: dir.ledger)
        #expect(verified.records == 3 && verified.tornTail == nil && verified.zeroTailBytes == file.count - end)

        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        #expect(ledger.head.seq == 3 && ledger.head.hash == records[2].hash)
        #expect(try tornCopies(dir).isEmpty)
        #expect(try LedgerFixture.read(dir.ledger + "/" + segmentName) == file)
        let more = try await LedgerFixture.appendAll(ledger, 4...5)
        #expect(more[0].seq == 4 && more[0].prevHash == records[2].hash)
        ledger.close()

        let after = try LedgerFixture.read(dir.ledger + "/" + segmentName)
        let frames = LedgerFixture.frames(after)
        #expect(frames.count == 5 && frames[3].offset == end)
        #expect(Array(after[..<end]) == Array(file[..<end]))
        #expect(try LedgerVerifier.verify(directory: dir.ledger).records == 5)
        let reopened = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { reopened.close() }
        #expect(try reopened.verify() == (5, more[1].hash))
    }

    /// A batch whose pages reached the disk out of order: zeros where its start should be, then
    /// some of its bytes. Torn, like any other: copied aside, cut to the last whole record.
    @Test func nonZeroBytesAfterAZeroGapAreCopiedAsideAndCut() async throws {
        let dir = TemporaryDirectory()
        let (file, records) = try await threeRecords(in: dir)
        let end = LedgerFixture.dataEnd(file)
        let last = LedgerFixture.frames(file)[2]
        // The third record's tail, 4 KiB past the data end, as a stray later page of the batch
        // (no whole record among it).
        var damaged = Array(file[..<end]) + [UInt8](repeating: 0, count: 4096)
        damaged += Array(file[(last.offset + 20) ..< end]) + [UInt8](repeating: 0, count: 4096)
        let path = dir.ledger + "/" + segmentName
        try LedgerFixture.write(damaged, to: path)
        let torn = try LedgerVerifier.verify(directory: dir.ledger).tornTail
        #expect(torn?.offset == end)
        #expect(torn?.reason.contains("non-zero byte at offset \(end + 4096)") == true)

        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        #expect(ledger.head.seq == 3 && ledger.head.hash == records[2].hash)
        #expect(try LedgerFixture.read(path) == Array(file[..<end]))
        let copies = try tornCopies(dir)
        #expect(copies.count == 1)
        if let copy = copies.first { #expect(try LedgerFixture.read(dir.ledger + "/" + copy) == damaged) }
    }

    /// Zeros where a frame header should be, then a whole record: that record may have been
    /// acknowledged (a sector the disk lost after its sync), so start-up and verify refuse
    /// instead of cutting it away.
    @Test func aWholeRecordAfterAZeroGapStopsStartUp() async throws {
        let dir = TemporaryDirectory()
        let (file, _) = try await threeRecords(in: dir)
        let end = LedgerFixture.dataEnd(file)
        let last = LedgerFixture.frames(file)[2]
        var damaged = Array(file[..<last.offset]) + [UInt8](repeating: 0, count: 8)
        damaged += Array(file[(last.offset + 8) ..< end]) + [UInt8](repeating: 0, count: 4096)
        damaged += Array(file[last.offset ..< end]) + [UInt8](repeating: 0, count: 4096)
        let path = dir.ledger + "/" + segmentName
        try LedgerFixture.write(damaged, to: path)
        let refused = LedgerError.corrupt(segment: segmentName, offset: last.offset,
                                          reason: "frame length 0, but a whole record follows at offset \(end + 4096) (damage mid-log, not a torn tail)")
        #expect(throws: refused) { try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options()) }
        #expect(throws: refused) { try LedgerVerifier.verify(directory: dir.ledger) }
        #expect(try LedgerFixture.read(path) == damaged)
        #expect(try tornCopies(dir).isEmpty)
    }

    /// Rotation cuts a segment to its data end before the next one exists, so zeros (a frame
    /// length of 0) in any segment but the last are damage, never a tail to keep.
    @Test func zeroHeaderInASealedSegmentIsRefusedByStartUpAndByVerify() async throws {
        let dir = TemporaryDirectory()
        let options = LedgerFixture.options(segmentBytes: 1024)
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        _ = try await LedgerFixture.appendAll(ledger, 1...20)
        ledger.close()
        let names = try LedgerFixture.segments(dir.ledger)
        #expect(names.count > 2)
        let path = dir.ledger + "/" + names[0]
        let bytes = try LedgerFixture.read(path)
        try LedgerFixture.write(bytes + [UInt8](repeating: 0, count: 4096), to: path)
        let refused = LedgerError.corrupt(segment: names[0], offset: bytes.count,
                                          reason: "frame length 0 (a zero-filled tail) in a segment that is not the last; only the last may have one")

        #expect(throws: refused) { try FileLedger.open(directory: dir.ledger, options: options) }
        #expect(throws: refused) { try LedgerVerifier.verify(directory: dir.ledger) }
        var lines: [String] = []
        #expect(!LedgerVerifier.run(directory: dir.ledger) { lines.append($0) })
        #expect(lines.joined().contains("segment \(names[0]) at offset \(bytes.count)"))
        #expect(try tornCopies(dir).isEmpty)
    }

    @Test func segmentWithATornHeaderIsRestarted() async throws {
        let dir = TemporaryDirectory()
        let (file, records) = try await threeRecords(in: dir)
        // A crash while starting the next segment leaves a few header bytes (rotation has cut the
        // zeros off the old one by then).
        try LedgerFixture.write(Array(file[..<LedgerFixture.dataEnd(file)]), to: dir.ledger + "/" + segmentName)
        let next = SegmentFile(directory: dir.ledger, firstSeq: 4)
        try LedgerFixture.write(Array(next.header.prefix(5)), to: next.path)
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        #expect(ledger.head.seq == 3 && ledger.head.hash == records[2].hash)
        let more = try await ledger.append([LedgerFixture.event(4)])
        #expect(more[0].seq == 4)
        #expect(try LedgerVerifier.verify(directory: dir.ledger).records == 4)
    }

    @Test func flippedBitMidLogIsRefusedOnOpenAndByVerify() async throws {
        let dir = TemporaryDirectory()
        let (bytes, _) = try await threeRecords(in: dir)
        let second = LedgerFixture.frames(bytes)[1]
        var damaged = bytes
        damaged[second.offset + 8 + second.length / 2] ^= 0x04
        try LedgerFixture.write(damaged, to: dir.ledger + "/" + segmentName)

        let error = #expect(throws: LedgerError.self) { try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options()) }
        #expect(error == .corrupt(segment: segmentName, offset: second.offset, reason: "CRC mismatch"))
        #expect(try tornCopies(dir).isEmpty, "damage mid-log is never cut off")
        #expect(try LedgerFixture.read(dir.ledger + "/" + segmentName) == damaged)

        #expect(throws: LedgerError.corrupt(segment: segmentName, offset: second.offset, reason: "CRC mismatch")) {
            try LedgerVerifier.verify(directory: dir.ledger)
        }
        var lines: [String] = []
        #expect(!LedgerVerifier.run(directory: dir.ledger) { lines.append($0) })
        #expect(lines.joined().contains("segment \(segmentName) at offset \(second.offset)"))
    }

    /// A flipped high bit in a mid-log length field makes the frame look like it runs past the
    /// end of the file; the whole third record after it proves it is damage, not a torn tail.
    /// (byte 3, 0x80): length over the maximum; (byte 2, 0x01): plausible length, past the end.
    @Test(arguments: [(3, UInt8(0x80)), (2, UInt8(0x01))])
    func flippedLengthBitOfTheSecondRecordIsRefusedNotCutAsTorn(lengthByte: Int, bit: UInt8) async throws {
        let dir = TemporaryDirectory()
        let (bytes, _) = try await threeRecords(in: dir)
        let frames = LedgerFixture.frames(bytes)
        let second = frames[1]
        var damaged = bytes
        damaged[second.offset + lengthByte] ^= bit
        let path = dir.ledger + "/" + segmentName
        try LedgerFixture.write(damaged, to: path)

        let error = #expect(throws: LedgerError.self) { try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options()) }
        guard case .corrupt(let segment, let offset, let reason)? = error else {
            Issue.record("expected .corrupt, got \(String(describing: error))"); return
        }
        #expect(segment == segmentName && offset == second.offset)
        #expect(reason.contains("a whole record follows at offset \(frames[2].offset)"))
        #expect(try tornCopies(dir).isEmpty, "damage mid-log is never cut off")
        #expect(try LedgerFixture.read(path) == damaged)

        #expect(throws: LedgerError.corrupt(segment: segmentName, offset: second.offset, reason: reason)) {
            try LedgerVerifier.verify(directory: dir.ledger)
        }
        var lines: [String] = []
        #expect(!LedgerVerifier.run(directory: dir.ledger) { lines.append($0) })
        #expect(lines.joined().contains("segment \(segmentName) at offset \(second.offset)"))
        #expect(!lines.joined().contains("note: torn tail"))
    }

    /// The same flipped bit in the LAST record's length has nothing whole after it: a torn tail.
    @Test func flippedLengthBitOfTheLastRecordIsStillCutAsTorn() async throws {
        let dir = TemporaryDirectory()
        let (bytes, records) = try await threeRecords(in: dir)
        let last = LedgerFixture.frames(bytes)[2]
        var damaged = bytes
        damaged[last.offset + 3] ^= 0x80
        let path = dir.ledger + "/" + segmentName
        try LedgerFixture.write(damaged, to: path)
        #expect(try LedgerVerifier.verify(directory: dir.ledger).tornTail?.offset == last.offset)
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        #expect(ledger.head.seq == 2 && ledger.head.hash == records[1].hash)
        #expect(try LedgerFixture.read(path).count == last.offset)
    }

    @Test func damageInAnEarlierSegmentIsNeverTreatedAsTorn() async throws {
        let dir = TemporaryDirectory()
        let options = LedgerFixture.options(segmentBytes: 1024)
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        _ = try await LedgerFixture.appendAll(ledger, 1...20)
        ledger.close()
        let names = try LedgerFixture.segments(dir.ledger)
        #expect(names.count > 2)
        let path = dir.ledger + "/" + names[0]
        let bytes = try LedgerFixture.read(path)
        try LedgerFixture.write(Array(bytes.dropLast(3)), to: path)

        let error = #expect(throws: LedgerError.self) { try FileLedger.open(directory: dir.ledger, options: options) }
        guard case .corrupt(let segment, _, _)? = error else { Issue.record("expected .corrupt, got \(String(describing: error))"); return }
        #expect(segment == names[0])
    }

    @Test func editedRecordWithRecomputedCRCIsCaughtByTheHash() async throws {
        let dir = TemporaryDirectory()
        let (bytes, _) = try await threeRecords(in: dir)
        let second = LedgerFixture.frames(bytes)[1]
        let original = LedgerFixture.payload(bytes, second)
        let edited = Array(String(decoding: original, as: UTF8.self).replacingOccurrences(of: "INC-2", with: "INC-X").utf8)
        #expect(edited != original)
        try LedgerFixture.write(LedgerFixture.replacePayload(in: bytes, frame: second, with: edited), to: dir.ledger + "/" + segmentName)

        let editedRecord = LedgerError.corrupt(segment: segmentName, offset: second.offset, reason: "seq 2: hash does not match the record's content (edited record)")
        #expect(throws: editedRecord) { try LedgerVerifier.verify(directory: dir.ledger) }
        // Without a snapshot start-up replays everything, so it checks every SHA-256.
        #expect(throws: editedRecord) { try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options()) }
    }

    @Test func startUpChecksTheHashesOfTheTailAfterTheNewestSnapshot() async throws {
        let dir = TemporaryDirectory()
        var ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        _ = try await LedgerFixture.appendAll(ledger, 1...6)
        try ledger.writeSnapshot([1, 2, 3], throughSeq: 3)
        ledger.close()
        let path = dir.ledger + "/" + segmentName
        func edit(_ bytes: [UInt8], record n: Int) -> ([UInt8], offset: Int) {
            let frame = LedgerFixture.frames(bytes)[n - 1]
            let edited = Array(String(decoding: LedgerFixture.payload(bytes, frame), as: UTF8.self)
                .replacingOccurrences(of: "INC-\(n)", with: "INC-X").utf8)
            return (LedgerFixture.replacePayload(in: bytes, frame: frame, with: edited), frame.offset)
        }
        let clean = try LedgerFixture.read(path)

        // An edit in the replayed tail stops start-up.
        let (tailEdited, offset) = edit(clean, record: 5)
        try LedgerFixture.write(tailEdited, to: path)
        #expect(throws: LedgerError.corrupt(segment: segmentName, offset: offset, reason: "seq 5: hash does not match the record's content (edited record)")) {
            try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        }

        // One covered by the snapshot passes start-up's link check; a reader, verify() and
        // verifyHashesOnOpen catch it.
        try LedgerFixture.write(edit(clean, record: 2).0, to: path)
        ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        #expect(throws: LedgerError.self) { try ledger.verify() }
        #expect(throws: LedgerError.self) { try ledger.records(from: 1, limit: 10) }
        #expect(try ledger.records(from: 3, limit: 10).count == 4)
        ledger.close()
        var strict = LedgerFixture.options()
        strict.verifyHashesOnOpen = true
        #expect(throws: LedgerError.self) { try FileLedger.open(directory: dir.ledger, options: strict) }
    }

    @Test func verifySkipsTheVerifiedPrefixUnlessAskedForAFullCheck() async throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options(segmentBytes: 2048))
        defer { ledger.close() }
        let first = try await LedgerFixture.appendAll(ledger, 1...10)
        #expect(try ledger.verify(full: false) == (10, first[9].hash))
        let segments = try LedgerFixture.segments(dir.ledger)
        #expect(segments.count > 1)

        // Edit record 2 in place (same length, CRC recomputed), as an attacker with the disk could.
        let path = dir.ledger + "/" + segments[0]
        let bytes = try LedgerFixture.read(path)
        let frame = LedgerFixture.frames(bytes)[1]
        let edited = Array(String(decoding: LedgerFixture.payload(bytes, frame), as: UTF8.self)
            .replacingOccurrences(of: "INC-2", with: "INC-X").utf8)
        let patched = LedgerFixture.replacePayload(in: bytes, frame: frame, with: edited)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: patched)
        try handle.close()

        // The cached prefix is not re-read; new records are checked; the full check finds the edit.
        let more = try await LedgerFixture.appendAll(ledger, 11...14)
        #expect(try ledger.verify(full: false) == (14, more[3].hash))
        #expect(throws: LedgerError.corrupt(segment: segments[0], offset: frame.offset, reason: "seq 2: hash does not match the record's content (edited record)")) {
            try ledger.verify()
        }
    }

    @Test func verifyChecksRecordsPastTheVerifiedPrefix() async throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        defer { ledger.close() }
        _ = try await LedgerFixture.appendAll(ledger, 1...5)
        #expect(try ledger.verify(full: false).records == 5)
        _ = try await LedgerFixture.appendAll(ledger, 6...8)

        let path = dir.ledger + "/" + segmentName
        let bytes = try LedgerFixture.read(path)
        let frame = LedgerFixture.frames(bytes)[6]
        let edited = Array(String(decoding: LedgerFixture.payload(bytes, frame), as: UTF8.self)
            .replacingOccurrences(of: "INC-7", with: "INC-X").utf8)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.write(contentsOf: LedgerFixture.replacePayload(in: bytes, frame: frame, with: edited))
        try handle.close()
        #expect(throws: LedgerError.corrupt(segment: segmentName, offset: frame.offset, reason: "seq 7: hash does not match the record's content (edited record)")) {
            try ledger.verify(full: false)
        }
    }

    @Test func editedRecordWithRecomputedHashBreaksTheChain() async throws {
        let dir = TemporaryDirectory()
        let (bytes, _) = try await threeRecords(in: dir)
        let second = LedgerFixture.frames(bytes)[1]
        let original = LedgerFixture.payload(bytes, second)
        // The forger edits the body, recomputes this record's hash and CRC: the next link breaks.
        var unsealed = Array(String(decoding: original.dropLast(RecordLayout.hashSuffixCount), as: UTF8.self)
            .replacingOccurrences(of: "INC-2", with: "INC-X").utf8) + [UInt8(ascii: "}")]
        _ = RecordLayout.seal(&unsealed)
        let forged = LedgerFixture.replacePayload(in: bytes, frame: second, with: unsealed)
        try LedgerFixture.write(forged, to: dir.ledger + "/" + segmentName)
        let third = LedgerFixture.frames(forged)[2]

        let chainBroken = LedgerError.corrupt(segment: segmentName, offset: third.offset,
                                              reason: "seq 3: prev_hash does not match the previous record's hash (chain broken)")
        #expect(throws: chainBroken) { try LedgerVerifier.verify(directory: dir.ledger) }
        #expect(throws: chainBroken) { try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options()) }
    }

    @Test func gapBetweenSegmentsIsRefused() async throws {
        let dir = TemporaryDirectory()
        let options = LedgerFixture.options(segmentBytes: 1024)
        let ledger = try FileLedger.open(directory: dir.ledger, options: options)
        _ = try await LedgerFixture.appendAll(ledger, 1...20)
        ledger.close()
        let names = try LedgerFixture.segments(dir.ledger)
        try FileManager.default.removeItem(atPath: dir.ledger + "/" + names[1])
        let error = #expect(throws: LedgerError.self) { try FileLedger.open(directory: dir.ledger, options: options) }
        guard case .corrupt(let segment, 0, _)? = error else { Issue.record("expected .corrupt at 0, got \(String(describing: error))"); return }
        #expect(segment == names[2])
    }
}

@Suite struct VerifierTests {
    @Test func verifierReportsCountAndHeadHashAndFindsTheLedgerUnderADataDirectory() async throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        let records = try await LedgerFixture.appendAll(ledger, 1...4)
        ledger.close()
        var lines: [String] = []
        #expect(LedgerVerifier.run(directory: dir.path) { lines.append($0) })
        #expect(lines.joined(separator: "\n").contains("4 records"))
        #expect(lines.joined(separator: "\n").contains(records[3].hash))
    }

    @Test func verifierNotesATornTailWithoutFailing() async throws {
        let dir = TemporaryDirectory()
        let ledger = try FileLedger.open(directory: dir.ledger, options: LedgerFixture.options())
        _ = try await LedgerFixture.appendAll(ledger, 1...4)
        ledger.close()
        let path = dir.ledger + "/00000000000000000001.log"
        let bytes = try LedgerFixture.read(path)
        try LedgerFixture.write(Array(bytes[..<(LedgerFixture.dataEnd(bytes) - 10)]), to: path)
        let result = try LedgerVerifier.verify(directory: dir.ledger)
        #expect(result.records == 3)
        #expect(result.tornTail?.segment == "00000000000000000001.log")
        var lines: [String] = []
        #expect(LedgerVerifier.run(directory: dir.ledger) { lines.append($0) })
        #expect(lines.contains { $0.contains("torn tail") })
    }

    @Test func verifierRefusesADirectoryWithoutSegments() {
        let dir = TemporaryDirectory()
        var lines: [String] = []
        #expect(!LedgerVerifier.run(directory: dir.path) { lines.append($0) })
        #expect(lines.first?.contains("no ledger segments") == true)
    }
}
