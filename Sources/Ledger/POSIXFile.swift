#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the POSIX calls the ledger needs, turning errno into `LedgerError.io`.
enum POSIXFile {
    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// fdatasync where the platform has it: the data and the size, not the timestamps.
    @Sendable static func dataSync(_ fd: Int32) -> Int32 {
        #if os(Linux)
        fdatasync(fd)
        #else
        fsync(fd)
        #endif
    }

    static func openFile(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(LedgerError) -> Int32 {
        let fd = open(path, flags | O_CLOEXEC, mode)
        if fd < 0 { throw .io("open \(path): \(errorText(errno))") }
        return fd
    }

    /// Asks the kernel to drop the cached pages of `[offset, offset + count)` (count 0: to the
    /// end). Only advice: a failure changes nothing but memory use, so it is not reported.
    static func dropCachedPages(_ fd: Int32, offset: Int, count: Int) {
        #if os(Linux)
        _ = posix_fadvise(fd, off_t(offset), off_t(count), POSIX_FADV_DONTNEED)
        #endif
    }

    /// `O_DIRECT`, which Swift's Glibc module does not export (it needs `_GNU_SOURCE`); its
    /// value differs by architecture. nil where the ledger does not use it.
    static var directFlag: Int32? {
        #if os(Linux) && (arch(x86_64) || arch(i386))
        0o40000
        #elseif os(Linux) && (arch(arm64) || arch(arm))
        0o200000
        #else
        nil
        #endif
    }

    /// Opens `path` for writing with `O_DIRECT`, or returns nil where the platform or the file
    /// system does not take it (the caller then writes through the page cache).
    static func openDirect(_ path: String) -> Int32? {
        guard let flag = directFlag else { return nil }
        let fd = open(path, O_WRONLY | O_CLOEXEC | flag)
        return fd >= 0 ? fd : nil
    }

    static func closeFile(_ fd: Int32) {
        _ = close(fd)
    }

    static func size(_ fd: Int32, path: String) throws(LedgerError) -> Int {
        var info = stat()
        if fstat(fd, &info) != 0 { throw .io("stat \(path): \(errorText(errno))") }
        return Int(info.st_size)
    }

    /// Reads `count` bytes at `offset` (fewer only at end of file).
    static func readBytes(_ fd: Int32, offset: Int, count: Int, path: String) throws(LedgerError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        buffer.withUnsafeMutableBytes { raw in
            while done < count {
                let n = pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { return }
                done += n
            }
        }
        if failure != 0 { throw .io("read \(path): \(errorText(failure))") }
        if done < count { buffer.removeLast(count - done) }
        return buffer
    }

    /// The whole file, or its first `limit` bytes.
    static func readAll(_ path: String, limit: Int? = nil) throws(LedgerError) -> [UInt8] {
        let fd = try openFile(path, flags: O_RDONLY)
        defer { close(fd) }
        let total = try size(fd, path: path)
        return try readBytes(fd, offset: 0, count: min(total, limit ?? total), path: path)
    }

    /// Writes all of `bytes`; the errno of the first failure, or nil.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
    }

    /// Writes all of `bytes` at `offset` (never at the end of file, whatever it is); the errno
    /// of the first failure, or nil.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int32? {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(LedgerError) {
        if let code = bytes.withUnsafeBytes({ writeAll(fd, $0) }) {
            throw .io("write \(path): \(errorText(code))")
        }
    }

    static func syncFile(_ fd: Int32, path: String) throws(LedgerError) {
        if fsync(fd) != 0 { throw .io("fsync \(path): \(errorText(errno))") }
    }

    /// Makes a created, renamed or removed directory entry durable.
    static func syncDirectory(_ path: String) throws(LedgerError) {
        let fd = try openFile(path, flags: O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try syncFile(fd, path: path)
    }

    static func makeDirectory(_ path: String) throws(LedgerError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw .io("mkdir \(current): \(errorText(errno))")
            }
        }
    }

    /// Names in a directory, unsorted, without "." and "..".
    static func list(_ path: String) throws(LedgerError) -> [String] {
        guard let dir = opendir(path) else { throw .io("opendir \(path): \(errorText(errno))") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }
}
