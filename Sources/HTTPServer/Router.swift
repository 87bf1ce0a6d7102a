#if canImport(Glibc)
import Glibc
#endif

/// Method + path-template routing. GET routes answer HEAD; unknown paths get 404 and known paths
/// with another method 405 with `Allow`, both as problem+json.
public struct Router: Sendable {
    public typealias AsyncHandler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    public typealias SyncHandler = @Sendable (HTTPRequest) throws -> HTTPResponse
    /// Returns the answer now, or nil to answer later through the `Responder`.
    public typealias DeferredHandler = @Sendable (HTTPRequest, Responder) throws -> HTTPResponse?

    enum Handler: Sendable {
        /// Runs in a Task off the loop; may await.
        case async(AsyncHandler)
        /// Runs inline on the loop thread; must not block.
        case sync(SyncHandler)
        /// Runs inline on the loop thread; answers now or keeps the responder for later.
        case deferred(DeferredHandler)
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    struct Route: Sendable {
        var method: HTTPMethod
        var template: String
        var segments: [Segment]
        var handler: Handler
    }

    enum Resolution {
        case found(Handler, route: String, parameters: [String: String])
        case methodNotAllowed(allow: [HTTPMethod])
        case notFound
    }

    /// Templates without parameters, looked up by exact (decoded) path: the hot path for /healthz.
    private var exact: [String: [(method: HTTPMethod, route: Route)]] = [:]
    private var templated: [Route] = []

    public init() {}

    /// An async handler: runs off the event loop (a Task); may await (fsync, long poll).
    public mutating func on(_ method: HTTPMethod, _ template: String, _ handler: @escaping AsyncHandler) {
        add(method, template, .async(handler))
    }

    /// A quick synchronous handler run inline on the event-loop thread: must not block or wait.
    public mutating func onSync(_ method: HTTPMethod, _ template: String, _ handler: @escaping SyncHandler) {
        add(method, template, .sync(handler))
    }

    /// A handler run inline on the loop thread (must not block) that either answers at once or
    /// returns nil and keeps `responder` to answer later from any thread. A waiting request then
    /// costs its responder, not a Task: the way to hold many requests open (long polls).
    public mutating func onDeferred(_ method: HTTPMethod, _ template: String, _ handler: @escaping DeferredHandler) {
        add(method, template, .deferred(handler))
    }

    private mutating func add(_ method: HTTPMethod, _ template: String, _ handler: Handler) {
        precondition(template.hasPrefix("/"), "route template must start with '/': \(template)")
        let segments = Self.split(Substring(template)).map { s -> Segment in
            if s.hasPrefix("{") && s.hasSuffix("}") && s.count > 2 { return .parameter(String(s.dropFirst().dropLast())) }
            return .literal(String(s))
        }
        let route = Route(method: method, template: template, segments: segments, handler: handler)
        if segments.allSatisfy({ if case .literal = $0 { return true } else { return false } }) {
            exact[template, default: []].removeAll { $0.method == method }
            exact[template, default: []].append((method, route))
        } else {
            templated.removeAll { $0.method == method && $0.template == template }
            templated.append(route)
        }
    }

    private static func split(_ path: Substring) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0 }
    }

    /// Finds the handler for a method and path. Exact routes and templates match the same form:
    /// the raw path split at its slashes, each segment percent-decoded on its own, so an encoded
    /// slash (%2F) stays inside its segment (a parameter value) and never makes a new one.
    func resolve(_ method: HTTPMethod, rawPath: Substring, decodedPath: String) -> Resolution {
        var allowed: [HTTPMethod] = []
        // The decoded path names the same segments as the raw one unless an escape decoded to '/'.
        if let candidates = exact[decodedPath], Self.sameSegments(rawPath, decodedPath) {
            for c in candidates where c.method == method { return .found(c.route.handler, route: c.route.template, parameters: [:]) }
            if method == .HEAD {
                for c in candidates where c.method == .GET { return .found(c.route.handler, route: c.route.template, parameters: [:]) }
            }
            allowed += candidates.map(\.method)
        }
        if !templated.isEmpty {
            let raw = Self.split(rawPath)
            var matching: [(Route, [String: String])] = []
            for route in templated where route.segments.count == raw.count {
                if let params = Self.match(route.segments, raw) { matching.append((route, params)) }
            }
            if let m = Self.pick(method, matching.map(\.0)), let hit = matching.first(where: { $0.0.template == m.template && $0.0.method == m.method }) {
                return .found(m.handler, route: m.template, parameters: hit.1)
            }
            allowed += matching.map(\.0.method)
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains(.GET) && !allowed.contains(.HEAD) { allowed.append(.HEAD) }
        var seen = Set<HTTPMethod>()
        return .methodNotAllowed(allow: allowed.filter { seen.insert($0).inserted })
    }

    private static func sameSegments(_ raw: Substring, _ decoded: String) -> Bool {
        let percent = UInt8(ascii: "%")
        let escaped = raw.utf8.withContiguousStorageIfAvailable { $0.count > 0 && memchr($0.baseAddress!, Int32(percent), $0.count) != nil }
        if escaped == false || (escaped == nil && !raw.utf8.contains(percent)) { return true }
        let slash = UInt8(ascii: "/")
        return raw.utf8.lazy.filter { $0 == slash }.count == decoded.utf8.lazy.filter { $0 == slash }.count
    }

    /// What routing decided: a ready answer (404, 405), or the handler to run.
    enum Routed {
        case answer(HTTPResponse)
        case handler(Handler)
    }

    /// Routes `request` (whose `path` is decoded and `target` raw), filling in its `route` and
    /// `parameters`: the one routing step of both the event loop and `handle`.
    func route(_ request: inout HTTPRequest, rawPath: Substring) -> Routed {
        switch resolve(request.method, rawPath: rawPath, decodedPath: request.path) {
        case .notFound:
            return .answer(Self.notFound(request))
        case .methodNotAllowed(let allow):
            return .answer(Self.methodNotAllowed(request, allow: allow))
        case .found(let handler, let route, let parameters):
            request.route = route
            request.parameters = parameters
            return .handler(handler)
        }
    }

    private static func pick(_ method: HTTPMethod, _ routes: [Route]) -> Route? {
        if let r = routes.first(where: { $0.method == method }) { return r }
        if method == .HEAD { return routes.first { $0.method == .GET } }
        return nil
    }

    private static func match(_ segments: [Segment], _ raw: [Substring]) -> [String: String]? {
        var params: [String: String] = [:]
        for (segment, piece) in zip(segments, raw) {
            guard let decoded = PercentDecoding.decode(piece) else { return nil }
            switch segment {
            case .literal(let l): if l != decoded { return nil }
            case .parameter(let name):
                if decoded.isEmpty { return nil }
                params[name] = decoded
            }
        }
        return params
    }

    /// Routes and runs a request without sockets — what the server does, minus framing, headers and gzip.
    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        var r = request
        let raw = RequestTarget(request.target)?.rawPath ?? Substring(request.path)
        switch route(&r, rawPath: raw) {
        case .answer(let response):
            return response
        case .handler(.sync(let h)):
            return Self.run(h, r)
        case .handler(.async(let h)):
            return await Self.run(h, r)
        case .handler(.deferred(let h)):
            return await withCheckedContinuation { continuation in
                let responder = Responder { continuation.resume(returning: $0) }
                if let now = Self.run(h, r, responder), responder.take() { continuation.resume(returning: now) }
            }
        }
    }

    static func notFound(_ request: HTTPRequest) -> HTTPResponse {
        .serverProblem(404, detail: "No resource at \(request.path).", requestID: request.requestID)
    }

    static func methodNotAllowed(_ request: HTTPRequest, allow: [HTTPMethod]) -> HTTPResponse {
        .serverProblem(405, detail: "\(request.method) is not allowed on \(request.path).", requestID: request.requestID,
                       headers: ["Allow": allow.map(\.rawValue).joined(separator: ", ")])
    }

    /// The one place a thrown error becomes a response.
    static func response(for error: any Error, _ request: HTTPRequest) -> HTTPResponse {
        if let e = error as? any HTTPResponseError { return e.response(for: request) }
        return .serverProblem(500, detail: "The server could not complete the request.", requestID: request.requestID)
    }

    static func run(_ handler: SyncHandler, _ request: HTTPRequest) -> HTTPResponse {
        do { return try handler(request) } catch { return response(for: error, request) }
    }

    /// The deferred handler's immediate answer (a thrown error becomes one), or nil when it waits.
    static func run(_ handler: DeferredHandler, _ request: HTTPRequest, _ responder: Responder) -> HTTPResponse? {
        do { return try handler(request, responder) } catch { return response(for: error, request) }
    }

    static func run(_ handler: AsyncHandler, _ request: HTTPRequest) async -> HTTPResponse {
        do { return try await handler(request) } catch { return response(for: error, request) }
    }
}
