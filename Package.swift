// swift-tools-version:6.0
import PackageDescription

/// Upcoming language features on in every target: `any` spelled on every existential, each file importing every module
/// whose members it uses, and imports internal unless a file's public API needs them (`public import`).
let upcomingFeaturesButMemberImportVisibility: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]
let upcomingFeatures: [SwiftSetting] = upcomingFeaturesButMemberImportVisibility + [.enableUpcomingFeature("MemberImportVisibility")]

// Layers (DESIGN.md §3): each target imports only the ones listed in its dependencies.
let package = Package(
    name: "Slipway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "slipway", targets: ["slipway"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // Metrics: the small API (Counter, Timer, Gauge) for every layer; the Prometheus registry for the composition root only.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // YAML: the OpenAPI document read back in SlipwayTesting, and SlipwayAPI's Dokploy document
        // (`settings.getOpenApiDocument`), which is derived from openapi.yaml at run time.
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        // The dashboard's HTML templates (SlipwayDashboard).
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        /// The domain: values, identifiers, the deployment state machine, rules and repository protocols. Foundation only.
        .target(name: "SlipwayCore", swiftSettings: upcomingFeatures),

        /// SQL implementations of the Core repositories, migrations; one query layer over SQLite and PostgreSQL.
        .target(
            name: "SlipwayStore",
            dependencies: [
                "SlipwayCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                // PostgresClient (the connection pool, a Service) from PostgresNIO; sql-kit over its connections
                // (`connection.sql()`) and the URL parsing from PostgresKit.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                // scrypt for passwords (ScryptPasswordHasher), hashed on a thread pool of its own from NIOPosix.
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),

        /// Running one command isolated: sandbox argument arrays, process groups, line capture, killing a tree.
        .target(name: "SlipwaySandbox", dependencies: ["SlipwayCore", "CSlipwaySpawn"], swiftSettings: upcomingFeatures),

        /// The three glibc calls process spawning needs that Swift's Glibc module does not show (pipe2, closefrom, chdir).
        .target(name: "CSlipwaySpawn"),

        /// The scheduler, the stage runner, git, the log writer and the artifact store.
        .target(
            name: "SlipwayPipeline",
            dependencies: [
                "SlipwayCore", "SlipwaySandbox",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                // Compose files (docs/containers.md "Compose apps").
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: upcomingFeatures
        ),

        /// The service supervisor: start, health check, drain, restart; port allocation.
        .target(
            name: "SlipwayRuntime",
            dependencies: [
                "SlipwayCore", "SlipwaySandbox",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),

        /// The edge: host-based routing to deployments, static serving, reverse proxy.
        .target(
            name: "SlipwayEdge",
            dependencies: [
                "SlipwayCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                // The request figures (Metrics/EdgeMetrics), made once through the factory the server gives.
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                // The HTTPS listener: TLS 1.2 and 1.3, the certificate chosen per connection (TLS/).
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                // HTTP/2 over TLS when ALPN chooses `h2` (TLS/EdgeHTTP2.swift).
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                // The HTTPS listener is a service of the group (EdgeHTTPSServer).
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Every handler of the edge runs on its channel's event loop only; the runtime's exclusivity checks on
            // their properties cost about 3% of the proxy's CPU (bench/README.md).
            // MemberImportVisibility is off here: the edge imports glibc beside NIO's and NIOSSL's C modules, which
            // include the same system headers, and the compiler attributes `struct stat` or `struct timeval` to
            // whichever of them it loaded first (CNIOLinux, SwiftOverlayShims), so the check passed or failed with
            // the order of a build.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])] + upcomingFeaturesButMemberImportVisibility
        ),

        /// The HTTP API: the routes of the four dialects, authentication, JSON shapes.
        .target(
            name: "SlipwayAPI",
            dependencies: [
                "SlipwayCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The Dokploy dialect's OpenAPI document is read out of openapi.yaml (DokployOpenAPIDocument).
                .product(name: "Yams", package: "Yams"),
            ],
            // The OpenAPI document, compiled into the binary (no resource bundle to install next to it).
            resources: [.embedInCode("OpenAPI/openapi.yaml")],
            swiftSettings: upcomingFeatures
        ),

        /// The dashboard: server-rendered HTML pages at the bare domain beside the API, over the same Core use cases.
        .target(
            name: "SlipwayDashboard",
            dependencies: [
                "SlipwayCore",
                // The request context, the session cookie and the failed-login limiter it shares with the API.
                "SlipwayAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // Templates and assets, compiled into the binary (no resource bundle to install next to it).
            resources: [
                .embedInCode("Templates/layout.mustache"), .embedInCode("Templates/login.mustache"),
                .embedInCode("Templates/projects.mustache"), .embedInCode("Templates/project.mustache"),
                .embedInCode("Templates/deployment.mustache"), .embedInCode("Templates/problem.mustache"),
                .embedInCode("Templates/settings.mustache"),
                .embedInCode("Templates/queue.mustache"), .embedInCode("Templates/tokens.mustache"),
                .embedInCode("Templates/members.mustache"), .embedInCode("Templates/invitation.mustache"),
                .embedInCode("Templates/admin.mustache"),
                .embedInCode("Assets/dashboard.css"), .embedInCode("Assets/dashboard.js"),
                .embedInCode("Assets/dashboard-log.js"),
            ],
            swiftSettings: upcomingFeatures
        ),

        /// The composition root: configuration, bootstrap, and the ServiceGroup that runs everything.
        .target(
            name: "SlipwayServer",
            dependencies: [
                "SlipwayCore", "SlipwayStore", "SlipwaySandbox", "SlipwayPipeline", "SlipwayRuntime", "SlipwayEdge", "SlipwayAPI",
                "SlipwayDashboard",
                // The certificate work: ACME for custom domains, uploads checked (Certificates/).
                "SlipwayCertificates",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The Prometheus registry behind every layer's metrics, one per server (SlipwayMetrics), and its page.
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                // The listening socket's errors (the port in use) that StartupError turns into words.
                .product(name: "NIOCore", package: "swift-nio"),
                // SIGHUP reloads the certificate files (CertificateReloadService).
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                // Notifications out: the HMAC signature of webhook bodies, and destination lookups off the event loops.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcomingFeatures
        ),

        /// Certificates: the ACME client (RFC 8555), PEM chains and keys checked, TLS-ALPN-01 challenge certificates.
        .target(
            name: "SlipwayCertificates",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                // PEM documents and the OCTET STRING of the acmeIdentifier extension (RFC 8737).
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                // The DNS lookup of domain ownership records (UDP).
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // Trusting a private CA's certificate (`--acme-ca-file`, pebble in tests) in the HTTP client.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),

        /// A typed client of the native API, used by the CLI and the tests.
        .target(
            name: "SlipwayClient",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The transport errors the client turns into words (ConnectionError.swift).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: upcomingFeatures
        ),

        /// The `slipway` executable: `serve` and the client commands, one command per file.
        .executableTarget(
            name: "slipway",
            dependencies: [
                "SlipwayServer", "SlipwayClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // `serve` runs the Hummingbird application that SlipwayServer's `buildApplication` returns (`runService()`).
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),

        /// Test support: temporary git repositories, a live server on a free port, fixtures, the OpenAPI document's checks.
        .target(
            name: "SlipwayTesting",
            dependencies: [
                "SlipwayCore", "SlipwayStore", "SlipwayServer", "SlipwayClient", "SlipwayAPI",
                // PodmanMachine: whether the container tests can run here.
                "SlipwaySandbox",
                // PebbleServer: its HTTPS certificate and the HTTP client that trusts it.
                "SlipwayCertificates",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // WebSocketTestClient's connections.
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: upcomingFeatures
        ),

        .testTarget(name: "SlipwayCoreTests", dependencies: ["SlipwayCore"], swiftSettings: upcomingFeatures),
        .testTarget(
            name: "SlipwayAPITests",
            dependencies: [
                "SlipwayAPI", "SlipwayCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "SlipwayStoreTests",
            dependencies: [
                "SlipwayCore", "SlipwayStore", "SlipwayAPI",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "SlipwaySandboxTests", dependencies: ["SlipwaySandbox", "SlipwayCore", "SlipwayTesting"], swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "SlipwayPipelineTests", dependencies: ["SlipwayPipeline", "SlipwayCore", "SlipwaySandbox"], swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "SlipwayCertificatesTests",
            dependencies: [
                "SlipwayCertificates", "SlipwayTesting",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // The challenge responders pebble validates against: HTTP-01 over HTTP/1.1, TLS-ALPN-01 over NIOSSL.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(name: "SlipwayRuntimeTests", dependencies: ["SlipwayRuntime", "SlipwayCore"], swiftSettings: upcomingFeatures),
        .testTarget(
            name: "SlipwayEdgeTests",
            dependencies: [
                "SlipwayEdge", "SlipwayCore", "SlipwayTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: upcomingFeatures
        ),
        .testTarget(
            name: "SlipwayEndToEndTests",
            dependencies: [
                "SlipwayTesting", "SlipwayClient", "SlipwayCore", "SlipwayServer", "SlipwayAPI", "SlipwayStore", "SlipwaySandbox",
                // Certificates for the upload tests, and pebble's for the ACME tests (CertificateTests).
                "SlipwayCertificates",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // A database made by hand as an older release left it (AdministratorPasswordTests): its SQL and logger.
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Scripts for official third-party clients, run by the tests from their source location.
            exclude: ["Python"],
            swiftSettings: upcomingFeatures
        ),
    ]
)
