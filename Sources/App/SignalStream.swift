import Dispatch
import Foundation

/// Delivers POSIX signals as an async sequence through Dispatch signal sources, so that the serve
/// loop can await SIGTERM, SIGINT and SIGHUP instead of handling them in async-signal context.
final class SignalStream {
    let events: AsyncStream<Int32>
    private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(8))
        events = stream
        let queue = DispatchQueue(label: "rcrp.signals")
        sources = signals.map { number in
            // The default action (terminate) must be off, or the source never sees the signal.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
