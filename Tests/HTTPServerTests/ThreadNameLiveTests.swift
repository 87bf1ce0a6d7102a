import Foundation
import Testing
@testable import HTTPServer

/// Each event loop names its thread `rcrp-loop-<index>`, so that `top -H`, `perf` and
/// /proc/PID/task/*/comm tell the loops from Dispatch's workers.
struct ThreadNameLiveTests {
    private func threadNames() -> Set<String> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(tasks.compactMap { task in
            (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        })
    }

    @Test func eachEventLoopThreadIsNamedForItsIndex() async throws {
        let names = try await withServer(demoRouter(), configure: { $0.loopCount = 2 }) { server in
            _ = try exchange(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            // A loop names its thread as the thread starts, which start() does not wait for.
            var names = threadNames()
            let deadline = Date().addingTimeInterval(5)
            while !names.isSuperset(of: ["rcrp-loop-0", "rcrp-loop-1"]) && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.01)
                names = threadNames()
            }
            return names
        }
        #expect(names.contains("rcrp-loop-0"))
        #expect(names.contains("rcrp-loop-1"))
    }
}
