// swift-tools-version:6.0
// rcrp-router: Right Care, Right Person call routing for English police control rooms.
// Layers (each depends only on those below it): HTTPServer → Service → Triage/Handoffs → Ledger.
import PackageDescription

let package = Package(
    name: "rcrp-router",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rcrp-router", targets: ["rcrp-router"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // System libraries: zlib (gzip, CRC-32) and OpenSSL (TLS, SHA-256, HMAC).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // epoll/eventfd/accept4 for the HTTP event loop (not in Swift's Glibc module).
        .target(name: "CHTTPSystem"),
        .target(name: "JSON"),
        .target(name: "Digests", dependencies: ["COpenSSL", "CZlib"]),
        .target(name: "HTTPServer", dependencies: [
            "CZlib", "COpenSSL", "CHTTPSystem", "JSON",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Triage", dependencies: ["JSON", "Digests", "Yams"]),
        .target(name: "Ledger", dependencies: [
            "JSON", "Digests",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Handoffs", dependencies: ["JSON", "Triage", "Ledger"]),
        .target(name: "Service", dependencies: [
            "JSON", "Digests", "HTTPServer", "Triage", "Ledger", "Handoffs",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "App", dependencies: [
            "JSON", "Digests", "HTTPServer", "Triage", "Ledger", "Handoffs", "Service", "Yams",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The service's binary allocates with tcmalloc (gperftools; libgoogle-perftools-dev to
        // build, libtcmalloc-minimal4 to run): glibc's arenas made the committer and the event
        // loops, which free each other's allocations, wait on each other's arena locks
        // (docs/SERVICE.md, "Allocator"). Only this product: the tests keep glibc's malloc.
        .executableTarget(name: "rcrp-router", dependencies: ["App"],
                          linkerSettings: [.linkedLibrary("tcmalloc_minimal", .when(platforms: [.linux]))]),
        // Ledger benchmarks (scripts/bench/ledger.sh), not part of the product.
        .executableTarget(name: "LedgerBench", dependencies: ["Ledger", "JSON"]),
        // Measures the rule engine (decisions a second) and rule-set validation; scripts/bench/triage.sh.
        .executableTarget(name: "TriageBench", dependencies: ["Triage", "JSON"]),
        // CPU per POST /v1/calls and /v1/triage through the router, no sockets; scripts/bench/calls-cpu.sh.
        .executableTarget(name: "ServiceBench", dependencies: [
            "Service", "Handoffs", "HTTPServer", "Ledger", "Triage", "JSON", .product(name: "Logging", package: "swift-log"),
        ]),
        // GET /healthz on the bare server for callgrind (instructions per request); scripts/bench/http-instructions.sh.
        .executableTarget(name: "HTTPBench", dependencies: [
            "HTTPServer", .product(name: "Logging", package: "swift-log"),
        ]),

        .testTarget(name: "JSONTests", dependencies: ["JSON", "Digests"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "JSON"]),
        .testTarget(name: "TriageTests", dependencies: ["Triage", "JSON"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "JSON"]),
        // What more than one test target uses (the hand-moved TestClock).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HandoffsTests", dependencies: ["Handoffs", "Triage", "Ledger", "JSON", "TestSupport"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "HTTPServer", "Triage", "Ledger", "Handoffs", "JSON", "TestSupport"]),
        .testTarget(name: "AppTests", dependencies: ["App", "Service", "JSON"]),
    ],
    swiftLanguageModes: [.v6]
)
