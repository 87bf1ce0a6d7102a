#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Digests
import Dispatch
import Foundation
import JSON
import Logging
import Synchronization

/// The embedded ledger: segment files in one directory. Group commit in two serial stages:
/// one queue encodes and writes every append waiting at the time with one pwrite(), another
/// makes all that was written durable with one fdatasync and only then resumes the callers.
/// `append` waits on a continuation, never on a thread; `appendWaiting` (the service's committer,
/// on a thread of its own) runs both stages on the caller's thread when they are idle. See
/// docs/LEDGER.md for the format.
public final class FileLedger: Ledger {
    public let directory: String
    private let options: FileLedgerOptions
    private let clock: @Sendable () -> Date
    private let snapshots: SnapshotStore
    /// Stage 1: the only place records are encoded and written, so seq order is commit order.
    private let writeQueue = DispatchQueue(label: "rcrp.ledger.write", qos: .userInitiated)
    /// Stage 2: the only place segments are synced and callers resumed, in write order.
    private let syncQueue = DispatchQueue(label: "rcrp.ledger.sync", qos: .userInitiated)
    private let intake: Mutex<Intake>
    private static let maxBatchBytes = 8 << 20
    private let unsynced: Mutex<Unsynced>
    private let writer: Mutex<Writer>
    private let committed: Mutex<Committed>
    /// Records 1...seq have had every CRC, SHA-256 and link checked by `verify` in this process.
    private let verified = Mutex(VerifiedPrefix(seq: 0, hash: RecordLayout.genesisHashBytes, segment: nil, end: 0))

    private struct VerifiedPrefix: Sendable {
        var seq: UInt64
        var hash: [UInt8]
        /// The segment holding record `seq` and the offset just past it (nil: none yet).
        var segment: SegmentFile?
        var end: Int
    }

    /// The largest serialised type/actor/body seen (up to 64 KiB): what appenders reserve.
    private let membersCapacity = Atomic<Int>(256)
    /// Wakes stage 2 when the callers its last sync returned have appended again.
    private let cohortBack = DispatchSemaphore(value: 0)

    /// Appends waiting for the writer, and whether the ledger still takes them.
    private struct Intake: Sendable {
        var pending: [PendingAppend] = []
        var draining = false
        var failure: String?
        var closed = false
    }

    /// Batches written and waiting for stage 2, and what stage 2 needs to decide when to sync.
    private struct Unsynced: Sendable {
        var batches: [WrittenBatch] = []
        var syncing = false
        /// Descriptors of segments rotated away, closed by stage 2 once it has synced every batch
        /// written to them (all of which were handed over before the descriptor was).
        var retired: [Int32] = []
        /// Appends the last sync returned to their callers, and when.
        var resumed = 0
        var resumedAt = ContinuousClock.now
        /// Appends written since then.
        var writtenSinceResume = 0
        /// How long the last sync took: the most stage 2 will wait for a returning cohort.
        var lastSync = Duration.zero
        /// Stage 2 is waiting for the cohort it resumed; stage 1 signals `cohortBack` once.
        var gathering = false
        /// The segment whose synced pages stage 2 drops from the page cache, and how far it has.
        var dropped: (fd: Int32, through: Int) = (-1, 0)
    }

    private struct PendingAppend: Sendable {
        let events: [PreparedEvent]
        /// Upper bound of the bytes it adds to a write.
        let bytes: Int
        let completion: Completion

        /// Every path that takes an append out of `pending` completes it exactly once, which
        /// CommitTests and the failure tests exercise.
        func complete(_ result: Result<[LedgerRecord], LedgerError>) {
            switch completion {
            case .task(let continuation): continuation.resume(returning: result)
            case .thread(let outcome): outcome.set(result)
            }
        }
    }

    /// Who waits for an append: a task (`append`), or a blocked thread (`appendWaiting`).
    private enum Completion: Sendable {
        /// Unchecked (no canary object per append): see `PendingAppend.complete`.
        case task(UnsafeContinuation<Result<[LedgerRecord], LedgerError>, Never>)
        case thread(AppendOutcome)
    }

    /// An event with its JSON already serialised by the appender, off the writer queue.
    private struct PreparedEvent: Sendable {
        let event: LedgerEvent
        /// `,"type":…,"actor":…,"body":…` (see `RecordLayout.members`).
        let members: [UInt8]
    }

    /// State only the write queue touches (and close, after the queues are idle).
    private struct Writer: Sendable {
        var fd: Int32
        var lockFD: Int32
        var segment: SegmentFile
        /// Where the data ends: the next batch is written here.
        var size: Int
        /// The file's size: zeros from `size` up to here (the region kept ahead of the writer).
        var zeroEnd: Int
        var segmentRecords: UInt64
        var headSeq: UInt64
        var headHash: [UInt8]
        /// `headHash` as the String the next record's `prevHash` shares.
        var headHashText: String
        let hasher = SHA256Context()
        /// Set while the segment is open with `O_DIRECT` (`FileLedgerOptions.directIO`).
        var direct: DirectStaging?
        /// Where a batch is encoded, kept from one batch to the next: a fresh ~100 KB array per
        /// batch came from pages the allocator had given back, a page fault per 4 KiB.
        var encoded: [UInt8] = []
    }

    /// What readers may see: only records an fsync has covered.
    private struct Committed: Sendable {
        var segments: [CommittedSegment]
        var headSeq: UInt64
        var headHash: String
    }

    private struct CommittedSegment: Sendable {
        let file: SegmentFile
        var end: Int
        var lastSeq: UInt64
        var index: [SegmentIndexEntry]
    }

    private init(directory: String, options: FileLedgerOptions, clock: @escaping @Sendable () -> Date, writer: Writer, committed: Committed) {
        self.directory = directory
        self.options = options
        self.clock = clock
        self.snapshots = SnapshotStore(directory: directory + "/snapshots", kept: options.snapshotsKept)
        self.intake = Mutex(Intake())
        self.unsynced = Mutex(Unsynced())
        self.writer = Mutex(writer)
        self.committed = Mutex(committed)
    }

    deinit {
        writer.withLock { w in
            if w.fd >= 0 { POSIXFile.closeFile(w.fd) }
            if w.lockFD >= 0 { POSIXFile.closeFile(w.lockFD) }
        }
    }

    // MARK: Open and recovery

    /// Opens (creating if needed) the ledger in `directory`, recovering a torn tail of the last
    /// segment and refusing any other damage with `.corrupt` naming the segment and offset.
    public static func open(
        directory: String, options: FileLedgerOptions = .init(), clock: @escaping @Sendable () -> Date = Date.init
    ) throws(LedgerError) -> FileLedger {
        let logger = options.logger
        try POSIXFile.makeDirectory(directory + "/snapshots")
        let lockPath = directory + "/LOCK"
        let lockFD = try POSIXFile.openFile(lockPath, flags: O_RDWR | O_CREAT)
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            POSIXFile.closeFile(lockFD)
            throw .io("\(directory) is in use by another process (\(lockPath) is locked)")
        }
        do throws(LedgerError) {
            // The directories may have just been created: make their entries durable too.
            try POSIXFile.syncDirectory(directory)
            if let slash = directory.lastIndex(of: "/") {
                try POSIXFile.syncDirectory(slash == directory.startIndex ? "/" : String(directory[..<slash]))
            } else {
                try POSIXFile.syncDirectory(".")
            }
            try SnapshotStore(directory: directory + "/snapshots", kept: options.snapshotsKept).removeTemporaries()
            var files = try SegmentFile.list(directory: directory)
            if files.isEmpty {
                let first = SegmentFile(directory: directory, firstSeq: 1)
                let fd = try POSIXFile.openFile(first.path, flags: O_WRONLY | O_CREAT | O_EXCL)
                defer { POSIXFile.closeFile(fd) }
                try POSIXFile.writeAll(fd, first.header, path: first.path)
                try POSIXFile.syncFile(fd, path: first.path)
                try POSIXFile.syncDirectory(directory)
                files = [first]
            }

            // Links everywhere; SHA-256 too for the records start-up will replay after the newest
            // snapshot (all of them when there is none), or everywhere if asked.
            let snapshotSeq = try SnapshotStore(directory: directory + "/snapshots", kept: options.snapshotsKept).newestThroughSeq() ?? 0
            let depth = options.verifyHashesOnOpen ? ScanDepth.hashes : ScanDepth(hashesFrom: snapshotSeq + 1)
            let scanned = try LedgerScan.run(files, tornTailAllowed: true, depth: depth, indexStride: options.indexStride)
            var segments: [CommittedSegment] = []
            for var segment in scanned {
                if let torn = segment.scan.torn {
                    segment.scan.end = try cutTornTail(file: segment.file, keep: segment.scan.end, tornAt: torn.offset, reason: torn.reason,
                                                       directory: directory, clock: clock, logger: logger)
                }
                segments.append(CommittedSegment(file: segment.file, end: segment.scan.end, lastSeq: segment.scan.lastSeq, index: segment.scan.index))
            }
            let lastScan = scanned[scanned.count - 1].scan
            let expectedSeq = lastScan.lastSeq + 1
            let prevHash = lastScan.lastHash
            let lastEnd = segments[segments.count - 1].end
            let last = segments[segments.count - 1]
            // Not O_APPEND: batches are written at the data end, into the zeros kept after it.
            let buffered = try POSIXFile.openFile(last.file.path, flags: O_WRONLY)
            // The zeros kept after the data end (if any) are the file's size beyond it.
            var info = stat()
            let fileSize = fstat(buffered, &info) == 0 ? Int(info.st_size) : lastEnd
            let (fd, direct) = try preferDirect(buffered, last.file, end: lastEnd, options: options)
            let headSeq = expectedSeq - 1
            let headHash = String(decoding: prevHash, as: UTF8.self)
            let writer = Writer(
                fd: fd, lockFD: lockFD, segment: last.file, size: lastEnd, zeroEnd: max(lastEnd, fileSize),
                segmentRecords: headSeq + 1 - last.file.firstSeq, headSeq: headSeq, headHash: prevHash, headHashText: headHash,
                direct: direct)
            logger.info("ledger opened", metadata: [
                "directory": "\(directory)", "segments": "\(segments.count)", "head_seq": "\(headSeq)", "head_hash": "\(headHash)",
                "direct_io": "\(direct != nil)",
            ])
            let ledger = FileLedger(directory: directory, options: options, clock: clock, writer: writer,
                                    committed: Committed(segments: segments, headSeq: headSeq, headHash: headHash))
            if options.verifyHashesOnOpen {
                ledger.verified.withLock { $0 = VerifiedPrefix(seq: headSeq, hash: prevHash, segment: last.file, end: lastEnd) }
            }
            return ledger
        } catch {
            POSIXFile.closeFile(lockFD)
            throw error
        }
    }

    /// The descriptor to write the segment with: `buffered` (open through the page cache), or,
    /// when `options.directIO` and the file system take it, one opened with `O_DIRECT` and the
    /// staging buffer holding the block the data (ending at `end`) ends in, read back from the
    /// file. `buffered` is closed when it is swapped, and when this throws.
    private static func preferDirect(_ buffered: Int32, _ file: SegmentFile, end: Int, options: FileLedgerOptions) throws(LedgerError)
        -> (fd: Int32, direct: DirectStaging?) {
        guard options.directIO, let fd = options.openDirect(file.path) else { return (buffered, nil) }
        let start = DirectStaging.roundDown(end)
        do throws(LedgerError) {
            let reader = try POSIXFile.openFile(file.path, flags: O_RDONLY)
            defer { POSIXFile.closeFile(reader) }
            let tail = try POSIXFile.readBytes(reader, offset: start, count: end - start, path: file.path)
            guard tail.count == end - start else { throw .io("read \(file.path): the data ends before \(end)") }
            let staging = DirectStaging()
            staging.setTail(tail)
            POSIXFile.closeFile(buffered)
            return (fd, staging)
        } catch {
            POSIXFile.closeFile(fd)
            POSIXFile.closeFile(buffered)
            throw error
        }
    }

    /// Copies the whole segment aside (`<name>.torn-<time>`), then cuts it back to its last
    /// whole record. Returns the new end. Only ever called for the last segment.
    private static func cutTornTail(
        file: SegmentFile, keep: Int, tornAt: Int, reason: String,
        directory: String, clock: () -> Date, logger: Logger
    ) throws(LedgerError) -> Int {
        let bytes = try POSIXFile.readAll(file.path)
        let stamp = RFC3339.format(clock()).replacingOccurrences(of: ":", with: "")
        var aside = file.path + ".torn-" + stamp
        var attempt = 1
        while POSIXFile.exists(aside) {
            attempt += 1
            aside = file.path + ".torn-" + stamp + "-\(attempt)"
        }
        let copy = try POSIXFile.openFile(aside, flags: O_WRONLY | O_CREAT | O_EXCL)
        do {
            try POSIXFile.writeAll(copy, bytes, path: aside)
            try POSIXFile.syncFile(copy, path: aside)
        } catch {
            POSIXFile.closeFile(copy)
            throw error
        }
        POSIXFile.closeFile(copy)
        try POSIXFile.syncDirectory(directory)

        let fd = try POSIXFile.openFile(file.path, flags: O_WRONLY)
        defer { POSIXFile.closeFile(fd) }
        var end = keep
        if tornAt < SegmentFile.headerSize {
            // Crashed while creating the segment: nothing in it was ever acknowledged.
            if ftruncate(fd, 0) != 0 { throw .io("truncate \(file.path): \(POSIXFile.errorText(errno))") }
            if pwrite(fd, file.header, file.header.count, 0) != file.header.count {
                throw .io("rewrite header of \(file.path): \(POSIXFile.errorText(errno))")
            }
            end = SegmentFile.headerSize
        } else if ftruncate(fd, off_t(keep)) != 0 {
            throw .io("truncate \(file.path): \(POSIXFile.errorText(errno))")
        }
        try POSIXFile.syncFile(fd, path: file.path)
        logger.warning("cut a torn tail off the last ledger segment", metadata: [
            "segment": "\(file.name)", "offset": "\(tornAt)", "reason": "\(reason)",
            "bytes_cut": "\(bytes.count - end)", "copy": "\(aside)",
        ])
        return end
    }

    // MARK: Appending (group commit)

    public func append(_ events: [LedgerEvent]) async throws(LedgerError) -> [LedgerRecord] {
        if events.isEmpty { return [] }
        let (items, bytes) = try prepare(events)
        let result = await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<[LedgerRecord], LedgerError>, Never>) in
            let append = PendingAppend(events: items, bytes: bytes, completion: .task(continuation))
            switch hand(append) {
            case .reject(let error): append.complete(.failure(error))
            case .drain: writeQueue.async { self.drainIntake() }
            case .wait: break
            }
        }
        return try result.get()
    }

    /// When the stages are idle, the caller's thread writes and syncs its own append (and
    /// whatever joined it meanwhile): the committer's cycle then has no thread hand-off in it.
    /// `writeQueue.sync` runs the block on this thread, and keeps `close` waiting for it.
    public func appendWaiting(_ events: [LedgerEvent]) -> Result<[LedgerRecord], LedgerError> {
        if events.isEmpty { return .success([]) }
        let items: [PreparedEvent], bytes: Int
        do { (items, bytes) = try prepare(events) } catch { return .failure(error) }
        let outcome = AppendOutcome()
        let append = PendingAppend(events: items, bytes: bytes, completion: .thread(outcome))
        switch hand(append) {
        case .reject(let error): return .failure(error)
        case .drain: writeQueue.sync { self.drainIntake(inline: true) }
        case .wait: break
        }
        return outcome.wait()
    }

    /// Serialises the events' members off the writer, refusing any too large.
    private func prepare(_ events: [LedgerEvent]) throws(LedgerError) -> ([PreparedEvent], Int) {
        var prepared: [PreparedEvent] = []
        prepared.reserveCapacity(events.count)
        var bytes = 0
        let capacity = membersCapacity.load(ordering: .relaxed)
        for event in events {
            let item = PreparedEvent(event: event, members: RecordLayout.members(event, capacity: capacity))
            if item.members.count > capacity { membersCapacity.store(min(item.members.count, 64 << 10), ordering: .relaxed) }
            if item.members.count + RecordLayout.overheadBound > options.maxRecordBytes { throw .recordTooLarge }
            bytes += item.members.count + RecordLayout.overheadBound
            prepared.append(item)
        }
        return (prepared, bytes)
    }

    private enum Handed { case reject(LedgerError), drain, wait }

    /// Queues an append; `.drain` means the caller must start stage 1 (nobody is running it).
    private func hand(_ append: PendingAppend) -> Handed {
        intake.withLock { state in
            if let failure = state.failure { return .reject(.failed(reason: failure)) }
            if state.closed { return .reject(.io("ledger at \(directory) is closed")) }
            state.pending.append(append)
            if state.draining { return .wait }
            state.draining = true
            return .drain
        }
    }

    /// Stage 1, on the write queue: encodes and writes whatever is waiting, again and again,
    /// while stage 2 syncs what was written before. Encoding thus overlaps the fdatasync.
    /// `inline`: on an appender's thread (`appendWaiting`), which then runs stage 2 as well when
    /// it is idle, without the wait for a returning cohort (the appender is the cohort).
    private func drainIntake(inline: Bool = false) {
        while true {
            let (batch, failure): ([PendingAppend], String?) = intake.withLock { state in
                if state.pending.isEmpty {
                    state.draining = false
                    return ([], nil)
                }
                // One pwrite() of at most ~maxBatchBytes (but at least one append), so a burst
                // of large records cannot make one huge buffer.
                var bytes = 0
                var count = 0
                while count < state.pending.count && (count == 0 || bytes + state.pending[count].bytes <= Self.maxBatchBytes) {
                    bytes += state.pending[count].bytes
                    count += 1
                }
                if count == state.pending.count {
                    defer { state.pending = [] }
                    return (state.pending, state.failure)
                }
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return (batch, state.failure)
            }
            if batch.isEmpty { return }
            if let failure {
                for pending in batch { pending.complete(.failure(.failed(reason: failure))) }
                continue
            }
            let (result, retired) = write(batch)
            let (schedule, wake): (Bool, Bool) = unsynced.withLock { state in
                if let retired { state.retired.append(retired) }
                if case .success(let written) = result {
                    state.batches.append(written)
                    state.writtenSinceResume += batch.count
                }
                let wake = state.gathering && state.writtenSinceResume >= state.resumed
                if wake { state.gathering = false }
                defer { state.syncing = true }
                return (!state.syncing, wake)
            }
            if wake { cohortBack.signal() }
            if schedule {
                if inline { drainUnsynced(inline: true) } else { syncQueue.async { self.drainUnsynced() } }
            }
            if case .failure(let error) = result { fail(error, appends: batch) }
        }
    }

    /// Stage 2, on the sync queue: one sync covers every batch written since the last one;
    /// then readers see the records; then their callers return.
    private func drainUnsynced(inline: Bool = false) {
        while true {
            if !inline { gatherReturningCohort() }
            let (batches, retired): ([WrittenBatch], [Int32]) = unsynced.withLock { state in
                defer { state.batches = []; state.retired = [] }
                if state.batches.isEmpty && state.retired.isEmpty { state.syncing = false }
                return (state.batches, state.retired)
            }
            if batches.isEmpty && retired.isEmpty { return }
            var files: [(fd: Int32, path: String)] = []
            for batch in batches where !files.contains(where: { $0.fd == batch.fd }) {
                files.append((batch.fd, batch.path))
            }
            var error: LedgerError?
            let started = ContinuousClock.now
            if batches.isEmpty {
                // Only descriptors to close.
            } else if let failure = intake.withLock({ $0.failure }) {
                error = .failed(reason: failure)
            } else {
                for file in files {
                    let code = options.sync(file.fd)
                    if code != 0 {
                        error = .failed(reason: "fdatasync of \(file.path) failed: \(POSIXFile.errorText(code))")
                        break
                    }
                }
                if error == nil, let observe = options.syncObserver {
                    let elapsed = (ContinuousClock.now - started).components
                    let records = batches.reduce(0) { $0 + $1.outcome.records.reduce(0) { $0 + $1.count } }
                    observe(Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, records)
                }
            }
            for fd in retired {
                // Every batch written to it was synced, by rotation and by this stage.
                if options.dropSyncedPages { POSIXFile.dropCachedPages(fd, offset: 0, count: 0) }
                POSIXFile.closeFile(fd)
            }
            if batches.isEmpty { continue }
            if let error {
                fail(error, appends: batches.flatMap(\.appends))
                continue
            }
            let finished = ContinuousClock.now
            committed.withLock { c in
                for batch in batches {
                    let outcome = batch.outcome
                    if let file = outcome.newSegment {
                        c.segments.append(CommittedSegment(file: file, end: SegmentFile.headerSize, lastSeq: file.firstSeq - 1, index: []))
                    }
                    let last = c.segments.count - 1
                    c.segments[last].end = outcome.end
                    c.segments[last].lastSeq = outcome.headSeq
                    c.segments[last].index.append(contentsOf: outcome.index)
                    c.headSeq = outcome.headSeq
                    c.headHash = outcome.headHash
                }
            }
            let appends = batches.reduce(0) { $0 + $1.appends.count }
            unsynced.withLock { state in
                state.resumed = appends
                state.resumedAt = finished
                state.writtenSinceResume = 0
                state.lastSync = finished - started
            }
            for batch in batches {
                for (pending, records) in zip(batch.appends, batch.outcome.records) {
                    pending.complete(.success(records))
                }
            }
            // Direct writes cache nothing, but start-up's scan and the audit's reads do.
            if options.dropSyncedPages, let last = batches.last { releaseSyncedPages(fd: last.fd, end: last.outcome.end) }
            // While the callers just resumed come back with their next appends.
            if let last = batches.last?.outcome, last.zeroEnd - last.end < Self.fillBelow(options.zeroFillBytes) {
                fillAhead()
            }
        }
    }

    /// Drops from the page cache what is synced below `end` in the segment open at `fd`, in
    /// steps of at least `dropStep`, keeping the page `end` is in and the one before it (the
    /// next batch writes into the first; a partly cached page would have to be read back).
    private func releaseSyncedPages(fd: Int32, end: Int) {
        let page = Self.pageSize
        let limit = end / page * page - page
        let range: (from: Int, count: Int)? = unsynced.withLock { state in
            if state.dropped.fd != fd { state.dropped = (fd, 0) }
            guard limit - state.dropped.through >= Self.dropStep else { return nil }
            defer { state.dropped.through = limit }
            return (state.dropped.through, limit - state.dropped.through)
        }
        if let range { POSIXFile.dropCachedPages(fd, offset: range.from, count: range.count) }
    }

    private static let pageSize = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
    /// One fadvise per this many synced bytes (~400 calls at 64 appenders: a few a second).
    static let dropStep = 1 << 20

    /// Extends the zeros ahead of the data end of the last segment by one chunk and syncs them,
    /// so that the group commits after it overwrite blocks the file already has and their
    /// fdatasync need not write the inode. Only an optimisation: records written into zeros
    /// that are not yet durable are made durable by their own fdatasync, size included. Never
    /// more than one chunk past the rotation size. A failure is a write failure: closed for good.
    private func fillAhead() {
        let chunk = options.zeroFillBytes
        // Zeros are written under the writer's lock (the only other writer of the file), so a
        // batch can never land in a range being zero-filled. The sync is made outside it.
        let target: (fd: Int32, path: String, error: Int32?)? = writer.withLock { w in
            guard w.fd >= 0, w.zeroEnd - w.size < Self.fillBelow(chunk), w.zeroEnd < options.segmentBytes else { return nil }
            // Written directly: whole blocks from the first block boundary at or after the zeros'
            // end (the bytes between are already zeros, in the file's last block).
            let (start, count) = w.direct == nil ? (w.zeroEnd, chunk) : (DirectStaging.roundUp(w.zeroEnd), DirectStaging.roundUp(chunk))
            let code = options.write(w.fd, DirectStaging.zeros(count: count), start)
            if code == nil { w.zeroEnd = start + count }
            return (w.fd, w.segment.path, code)
        }
        guard let target else { return }
        var code = target.error
        if code == nil {
            let synced = options.sync(target.fd)
            if synced != 0 { code = synced }
        }
        if let code {
            fail(.failed(reason: "zero-filling ahead of the data in \(target.path) failed: \(POSIXFile.errorText(code))"), appends: [])
        }
    }

    /// The zeros left ahead of the data below which the next chunk is added: half a chunk, so
    /// the writer (~100 KB a commit with 64 appenders) is many commits away from running out.
    private static func fillBelow(_ chunk: Int) -> Int { chunk / 2 }

    /// Before a sync, waits briefly for the callers the previous sync returned, if that many are
    /// busy appending again, so that one fdatasync covers both cohorts instead of the two
    /// alternating (each fdatasync then carries about half the appenders). It waits only while
    /// something written is pending and appends keep arriving: at most the previous sync's
    /// duration in all, and no longer than `gatherGap` without an arrival. A lone appender
    /// never waits: its own next append is the whole cohort.
    private func gatherReturningCohort() {
        while true {
            let wait: (deadline: ContinuousClock.Instant, written: Int)? = unsynced.withLock { state in
                guard !state.batches.isEmpty, state.writtenSinceResume < state.resumed else { return nil }
                let deadline = state.resumedAt + min(state.lastSync, Self.gatherLimit)
                let now = ContinuousClock.now
                guard now < deadline else { return nil }
                state.gathering = true
                return (min(deadline, now + Self.gatherGap), state.writtenSinceResume)
            }
            guard let wait else { return }
            let remaining = (wait.deadline - ContinuousClock.now).components
            let nanoseconds = max(0, Int(remaining.seconds) * 1_000_000_000 + Int(remaining.attoseconds / 1_000_000_000))
            let signalled = cohortBack.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success
            let (pendingSignal, arrived): (Bool, Bool) = unsynced.withLock { state in
                // Stage 1 clears `gathering` when it signals: if it did so after the wait timed
                // out, the signal is still coming and must be consumed here.
                let pending = !signalled && !state.gathering
                state.gathering = false
                return (pending, state.writtenSinceResume > wait.written)
            }
            if pendingSignal { cohortBack.wait() }
            if !arrived && !signalled { return }
        }
    }

    /// Longest a sync waits for a returning cohort, whatever the previous sync took.
    private static let gatherLimit = Duration.milliseconds(2)
    /// Longest it waits for the next arrival before syncing what it has.
    private static let gatherGap = Duration.microseconds(100)

    private struct CommitOutcome: Sendable {
        var records: [[LedgerRecord]] = []
        var newSegment: SegmentFile?
        var index: [SegmentIndexEntry] = []
        var end = 0
        /// The segment's size after the write: `end` plus the zeros still ahead of it.
        var zeroEnd = 0
        var headSeq: UInt64 = 0
        var headHash = ""
    }

    /// A batch written but not yet covered by a sync, with the file it went to.
    private struct WrittenBatch: Sendable {
        let appends: [PendingAppend]
        let outcome: CommitOutcome
        let fd: Int32
        let path: String
    }

    /// Gives the batch its seqs, time and hashes and writes it with one pwrite() at the data end
    /// (into the zeros kept there). Also returns the descriptor of a segment it rotated away
    /// from, which stage 2 must close (even if the write then failed).
    private func write(_ batch: [PendingAppend]) -> (Result<WrittenBatch, LedgerError>, retired: Int32?) {
        writer.withLock { w in
            var outcome = CommitOutcome()
            var retired: Int32?
            if w.fd < 0 { return (.failure(.io("ledger at \(directory) is closed")), nil) }
            if w.size >= options.segmentBytes && w.segmentRecords > 0 {
                let old = w.fd
                switch rotate(&w) {
                case .success(let file):
                    outcome.newSegment = file
                    retired = old
                case .failure(let error): return (.failure(error), nil)
                }
            }
            let now = clock()
            let atText = RFC3339.format(now)
            let atBytes = Array(atText.utf8)
            let at = RFC3339.parse(atText) ?? now
            // Taken out of the writer while it is filled (one owner, no copy), and put back after.
            var buffer = w.encoded
            w.encoded = []
            buffer.removeAll(keepingCapacity: true)
            buffer.reserveCapacity(batch.reduce(0) { $0 + $1.bytes })
            defer {
                // A burst's buffer (up to maxBatchBytes) is not kept: only one of ordinary size.
                if buffer.capacity <= Self.keptEncodeCapacity { w.encoded = buffer }
            }
            var seq = w.headSeq
            var prev = w.headHash
            var prevText = w.headHashText
            var segmentRecords = w.segmentRecords
            outcome.records.reserveCapacity(batch.count)
            for pending in batch {
                var records: [LedgerRecord] = []
                records.reserveCapacity(pending.events.count)
                for item in pending.events {
                    seq += 1
                    if segmentRecords % UInt64(max(1, options.indexStride)) == 0 {
                        outcome.index.append(SegmentIndexEntry(seq: seq, offset: w.size + buffer.count))
                    }
                    let hashRange = RecordLayout.appendFramedRecord(to: &buffer, seq: seq, at: atBytes, members: item.members, prevHash: prev, hasher: w.hasher)
                    let hashText = String(decoding: buffer[hashRange], as: UTF8.self)
                    records.append(LedgerRecord(
                        seq: seq, at: at, type: item.event.type, actor: item.event.actor, body: item.event.body,
                        prevHash: prevText, hash: hashText))
                    prev = Array(buffer[hashRange])
                    prevText = hashText
                    segmentRecords += 1
                }
                outcome.records.append(records)
            }
            let code: Int32?
            var written = w.size + buffer.count
            if let direct = w.direct {
                // From the block the data ends in, padded with zeros to a block.
                let (fd, start) = (w.fd, w.size - direct.tailCount)
                code = buffer.withUnsafeBytes { bytes in
                    direct.write(bytes) { whole in
                        written = start + whole.count
                        return options.write(fd, whole, start)
                    }
                }
            } else {
                code = buffer.withUnsafeBytes { options.write(w.fd, $0, w.size) }
            }
            if let code {
                return (.failure(.failed(reason: "write to \(w.segment.path) failed: \(POSIXFile.errorText(code))")), retired)
            }
            w.size += buffer.count
            w.zeroEnd = max(w.zeroEnd, written)
            outcome.zeroEnd = w.zeroEnd
            w.segmentRecords = segmentRecords
            w.headSeq = seq
            w.headHash = prev
            w.headHashText = prevText
            outcome.end = w.size
            outcome.headSeq = seq
            outcome.headHash = prevText
            return (.success(WrittenBatch(appends: batch, outcome: outcome, fd: w.fd, path: w.segment.path)), retired)
        }
    }

    /// The largest encoding buffer the writer keeps for the next batch.
    private static let keptEncodeCapacity = 1 << 20

    /// Starts the next segment. The old one is cut to its data end (only the last segment may
    /// have a zero tail) and made durable first: once the new one exists the old one is no
    /// longer the last, and a torn record there would stop start-up. Then create, header, sync,
    /// and make the new directory entry durable. The old descriptor stays open until stage 2
    /// has synced the batches still waiting on it.
    private func rotate(_ w: inout Writer) -> Result<SegmentFile, LedgerError> {
        if w.zeroEnd > w.size {
            if ftruncate(w.fd, off_t(w.size)) != 0 {
                return .failure(.failed(reason: "cutting the zero tail off \(w.segment.path) before starting the next segment failed: \(POSIXFile.errorText(errno))"))
            }
            w.zeroEnd = w.size
        }
        let code = options.sync(w.fd)
        if code != 0 {
            return .failure(.failed(reason: "fdatasync of \(w.segment.path) before starting the next segment failed: \(POSIXFile.errorText(code))"))
        }
        let file = SegmentFile(directory: directory, firstSeq: w.headSeq + 1)
        do throws(LedgerError) {
            let fd = try POSIXFile.openFile(file.path, flags: O_WRONLY | O_CREAT | O_EXCL)
            do throws(LedgerError) {
                try POSIXFile.writeAll(fd, file.header, path: file.path)
                let code = options.sync(fd)
                if code != 0 { throw .io("fdatasync \(file.path): \(POSIXFile.errorText(code))") }
                try POSIXFile.syncDirectory(directory)
            } catch {
                POSIXFile.closeFile(fd)
                throw error
            }
            // The header went through the page cache (it is not a whole block); from here on
            // the segment is written directly, like the one before it.
            (w.fd, w.direct) = try Self.preferDirect(fd, file, end: SegmentFile.headerSize, options: options)
            w.segment = file
            w.size = SegmentFile.headerSize
            w.zeroEnd = SegmentFile.headerSize
            w.segmentRecords = 0
            return .success(file)
        } catch {
            return .failure(.failed(reason: "starting segment \(file.name) failed: \(error)"))
        }
    }

    /// Closes the ledger for writes for good and fails everything waiting. Never retried: after
    /// a failed fsync the kernel may have dropped the pages and a later fsync would lie.
    private func fail(_ error: LedgerError, appends: [PendingAppend]) {
        let reason: String
        if case .failed(let text) = error { reason = text } else { reason = error.description }
        let (waiting, first): ([PendingAppend], Bool) = intake.withLock { state in
            let first = state.failure == nil
            if first { state.failure = reason }
            defer { state.pending = [] }
            return (state.pending, first)
        }
        if first { options.logger.critical("ledger closed for writes", metadata: ["reason": "\(reason)"]) }
        let failure = intake.withLock { $0.failure } ?? reason
        for pending in appends + waiting {
            pending.complete(.failure(.failed(reason: failure)))
        }
    }

    public var head: (seq: UInt64, hash: String) {
        committed.withLock { ($0.headSeq, $0.headHash) }
    }

    public var failure: String? {
        intake.withLock { $0.failure }
    }

    /// Whether the last segment is written with `O_DIRECT` (`FileLedgerOptions.directIO`, where
    /// the file system takes it).
    public var writesDirectly: Bool {
        writer.withLock { $0.direct != nil }
    }

    /// Stops taking appends, lets those already waiting commit, and closes the files.
    public func close() {
        let first: Bool = intake.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else { return }
        writeQueue.sync {}
        syncQueue.sync {}
        writer.withLock { w in
            if w.fd >= 0 { POSIXFile.closeFile(w.fd) }
            if w.lockFD >= 0 { POSIXFile.closeFile(w.lockFD) }
            w.fd = -1
            w.lockFD = -1
        }
    }

    // MARK: Reading

    public func records(from seq: UInt64, limit: Int) throws(LedgerError) -> [LedgerRecord] {
        let start = max(seq, 1)
        guard limit > 0 else { return [] }
        // The segments to read, the offset to start at in the first, and each committed end.
        let plan: [(file: SegmentFile, offset: Int, end: Int)] = committed.withLock { c in
            guard start <= c.headSeq, !c.segments.isEmpty else { return [] }
            var lo = 0
            var hi = c.segments.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if c.segments[mid].file.firstSeq <= start { lo = mid } else { hi = mid - 1 }
            }
            var plan: [(file: SegmentFile, offset: Int, end: Int)] = []
            let wanted = start &+ min(UInt64(limit), UInt64.max - start) &- 1
            for position in lo ..< c.segments.count {
                let segment = c.segments[position]
                if segment.lastSeq < segment.file.firstSeq { continue }
                var offset = SegmentFile.headerSize
                if position == lo, let entry = Self.indexEntry(segment.index, atOrBefore: start) { offset = entry.offset }
                plan.append((segment.file, offset, segment.end))
                if segment.lastSeq >= wanted { break }
            }
            return plan
        }
        var out: [LedgerRecord] = []
        for step in plan {
            try readRecords(step.file, from: step.offset, to: step.end, startSeq: start, limit: limit, into: &out)
            if out.count >= limit { break }
        }
        return out
    }

    private static func indexEntry(_ index: [SegmentIndexEntry], atOrBefore seq: UInt64) -> SegmentIndexEntry? {
        guard let first = index.first, first.seq <= seq else { return nil }
        var lo = 0
        var hi = index.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if index[mid].seq <= seq { lo = mid } else { hi = mid - 1 }
        }
        return index[lo]
    }

    /// Reads frames in [offset, end), checking CRC, layout, hash and links as it goes. Reads
    /// in pieces sized to what is wanted (the records before `startSeq` since the index entry,
    /// then `limit` records), never more than `readChunk` at once unless one record is larger.
    private func readRecords(_ file: SegmentFile, from offset: Int, to end: Int, startSeq: UInt64, limit: Int, into out: inout [LedgerRecord]) throws(LedgerError) {
        let fd = try POSIXFile.openFile(file.path, flags: O_RDONLY)
        defer { POSIXFile.closeFile(fd) }
        func corrupt(_ at: Int, _ reason: String) -> LedgerError {
            .corrupt(segment: file.name, offset: at, reason: reason)
        }
        var buffer: [UInt8] = []
        var bufferStart = offset
        var position = offset
        var recordBytes = 0
        var recordsSeen = 0
        /// Replaces the buffer with at least `count` bytes from `position` (fewer only at `end`).
        func load(_ count: Int) throws(LedgerError) {
            // Records still wanted plus those that may precede startSeq, at the average size so far.
            let wanted = min(limit - out.count, Self.readChunk) + max(0, min(options.indexStride, 4096) - recordsSeen)
            let average = recordsSeen > 0 ? recordBytes / recordsSeen : 2048
            let estimate = min(Self.readChunk, max(4096, wanted * average))
            let size = min(end - position, max(count, estimate))
            buffer = try POSIXFile.readBytes(fd, offset: position, count: size, path: file.path)
            bufferStart = position
            guard buffer.count == size else { throw corrupt(position + buffer.count, "segment shorter than its committed end \(end)") }
        }
        var previous: LedgerRecord? = out.last
        while position < end && out.count < limit {
            if position >= bufferStart + buffer.count { try load(RecordFrame.headerSize) }
            let atEnd = bufferStart + buffer.count >= end
            let step = buffer.withUnsafeBufferPointer { FrameStep.at(position - bufferStart, in: $0, atEndOfData: atEnd) }
            let payload: Range<Int>
            switch step {
            case .record(let range): payload = range
            case .needMore(let count):
                try load(count)
                continue
            case .torn(let reason), .corrupt(let reason):
                throw corrupt(position, "\(reason) (within the committed end \(end))")
            case .end:
                throw corrupt(position, "frame length 0 (the end-of-data marker) within the committed end \(end)")
            }
            let at = position
            let decoded: Result<LedgerRecord?, LedgerError> = buffer.withUnsafeBufferPointer { raw in
                let bytes = UnsafeBufferPointer(rebasing: raw[payload])
                guard let seq = RecordLayout.seq(bytes) else { return .failure(corrupt(at, "payload does not start with {\"seq\":N,")) }
                if seq < startSeq { return .success(nil) }
                let expected = previous.map { $0.seq + 1 } ?? startSeq
                let link = previous.map { Array($0.hash.utf8) }
                if case .failure(let problem) = RecordCheck.check(bytes, expectedSeq: expected, prevHash: link, verifyHash: true) {
                    return .failure(corrupt(at, problem.message))
                }
                switch RecordDecoder.decode(bytes) {
                case .success(let record): return .success(record)
                case .failure(let problem): return .failure(corrupt(at, "seq \(seq): \(problem.message)"))
                }
            }
            if let record = try decoded.get() {
                out.append(record)
                previous = record
            }
            recordsSeen += 1
            recordBytes += payload.count + RecordFrame.headerSize
            position = bufferStart + payload.upperBound
        }
    }

    /// The most one read pulls in (more only for a record larger than this).
    private static let readChunk = 1 << 20

    // MARK: Verification

    /// The full check: what an auditor asks for is that the files on disk still hold the chain,
    /// so nothing verified earlier is taken on trust (an edit made since would be missed).
    public func verify() throws(LedgerError) -> (records: UInt64, headHash: String) {
        try verify(full: true)
    }

    /// `full`: framing, CRCs, seq continuity, every SHA-256 and every link over every committed
    /// record, from seq 1 (without parsing JSON: the hashes are what catch tampering). Otherwise
    /// only past the prefix already verified in this process.
    public func verify(full: Bool) throws(LedgerError) -> (records: UInt64, headHash: String) {
        let (segments, headSeq, headHash) = committed.withLock { ($0.segments, $0.headSeq, $0.headHash) }
        let prefix = full ? nil : verified.withLock { $0 }
        var files = segments.map(\.file)
        var limits = segments.map(\.end)
        var after: (seq: UInt64, hash: [UInt8], offset: Int)?
        if let prefix, let segment = prefix.segment, let position = files.firstIndex(of: segment) {
            if prefix.seq == headSeq && String(decoding: prefix.hash, as: UTF8.self) == headHash {
                return (headSeq, headHash)
            }
            files.removeFirst(position)
            limits.removeFirst(position)
            after = (prefix.seq, prefix.hash, prefix.end)
        }
        let scanned = try LedgerScan.run(files, limits: limits, tornTailAllowed: false, depth: .hashes, indexStride: Int.max, after: after)
        let last = scanned[scanned.count - 1]
        let count = last.scan.lastSeq
        let hash = String(decoding: last.scan.lastHash, as: UTF8.self)
        guard count == headSeq, hash == headHash else {
            throw .corrupt(segment: segments.last?.file.name ?? "-", offset: 0,
                           reason: "verified head \(count) \(hash) differs from the ledger's head \(headSeq) \(headHash)")
        }
        verified.withLock { state in
            if count >= state.seq { state = VerifiedPrefix(seq: count, hash: last.scan.lastHash, segment: last.file, end: last.scan.end) }
        }
        return (count, hash)
    }

    // MARK: Snapshots

    public func writeSnapshot(_ state: [UInt8], throughSeq: UInt64) throws(LedgerError) {
        guard let chainHash = chainHash(at: throughSeq) else {
            throw .io("snapshot through seq \(throughSeq) is beyond the ledger head \(head.seq)")
        }
        try snapshots.write(state, throughSeq: throughSeq, chainHash: chainHash)
    }

    public func latestSnapshot() throws(LedgerError) -> (throughSeq: UInt64, state: [UInt8])? {
        try snapshots.newestValid(logger: options.logger) { seq in chainHash(at: seq) }
    }

    /// The hash of record `seq` (64 zeros for 0); nil beyond the head or if it cannot be read.
    private func chainHash(at seq: UInt64) -> String? {
        if seq == 0 { return RecordLayout.genesisHash }
        guard seq <= head.seq else { return nil }
        return (try? records(from: seq, limit: 1))?.first?.hash
    }
}
