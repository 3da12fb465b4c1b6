import Foundation
import Hummingbird
import HummingbirdTesting
import SlipwayCore
import Testing

@testable import SlipwayEdge

/// A build's `_redirects` and `_headers` (Cloudflare Pages' files) applied by the edge over HTTP, and reported when the
/// build is indexed.
@Suite struct PagesRulesServingTests {
    static let redirects = """
        # Pages' syntax: source, destination, status (302 by default)
        /old /index.html 301
        /go/* /docs/:splat 302
        /moved /about.html
        /see-other /about.html 303
        /temporary /about.html 307
        /permanent /about.html 308
        /external https://example.com/x 301
        /users/:id /docs/guide.html?user=:id 302
        /app/* /index.html 200
        /a b c d e
        /bad-status /x 999
        """

    static let headers = """
        /*
          X-Frame-Options: DENY
          X-Everywhere: yes
        /docs/*
          X-Docs: yes
          ! X-Frame-Options
        """

    static func withRules(_ body: @Sendable @escaping (EdgeFixture, any TestClientProtocol) async throws -> Void) async throws {
        try await EdgeFixture.with { fixture in
            try Data(redirects.utf8).write(to: fixture.siteDirectory.appendingPathComponent("_redirects"))
            try Data(headers.utf8).write(to: fixture.siteDirectory.appendingPathComponent("_headers"))
            try await fixture.application().test(.router) { client in try await body(fixture, client) }
        }
    }

    @Test func everyRedirectStatusSplatAndPlaceholderWithTheQueryKept() async throws {
        try await Self.withRules { _, client in
            let cases: [(String, Int, String)] = [
                ("/old", 301, "/index.html"), ("/go/guide.html", 302, "/docs/guide.html"), ("/go/a/b?x=1", 302, "/docs/a/b?x=1"),
                ("/moved", 302, "/about.html"), ("/see-other", 303, "/about.html"), ("/temporary", 307, "/about.html"),
                ("/permanent", 308, "/about.html"), ("/external", 301, "https://example.com/x"),
                ("/users/42", 302, "/docs/guide.html?user=42"),
            ]
            for (path, status, location) in cases {
                let response = try await client.send(path)
                #expect(Int(response.status.code) == status, "\(path)")
                #expect(response.header("Location") == location, "\(path)")
            }
        }
    }

    @Test func aRewriteServesAnotherFileOfTheBuildWith200() async throws {
        try await Self.withRules { _, client in
            for path in ["/app/", "/app/dashboard/settings", "/app/a%20b"] {
                let response = try await client.send(path)
                #expect(response.status == .ok, "\(path)")
                #expect(response.text == "<h1>home</h1>", "\(path)")
                #expect(response.header("Location") == nil)
            }
            // A path that leaves /app/ once its dots are resolved is no longer under the rule, and nothing leaves the build.
            let escaping = try await client.send("/app/../../etc/passwd")
            #expect(escaping.status == .notFound && !escaping.text.contains("root:"))
        }
    }

    @Test func headersApplyByPatternAndRemovalsWin() async throws {
        try await Self.withRules { _, client in
            let index = try await client.send("/index.html")
            #expect(index.header("X-Frame-Options") == "DENY" && index.header("X-Everywhere") == "yes")
            let docs = try await client.send("/docs/guide.html")
            #expect(docs.header("X-Docs") == "yes" && docs.header("X-Frame-Options") == nil && docs.header("X-Everywhere") == "yes")
            // On every answer of the site: a 404 page and a redirect too.
            #expect(try await client.send("/missing.html").header("X-Everywhere") == "yes")
            #expect(try await client.send("/old").header("X-Frame-Options") == "DENY")
        }
    }

    @Test func theRuleFilesAreNeverServed() async throws {
        try await Self.withRules { _, client in
            for path in ["/_redirects", "/_headers"] {
                let response = try await client.send(path)
                #expect(response.status == .notFound, "\(path)")
                #expect(!response.text.contains("/old"), "\(path)")
            }
        }
    }

    @Test func badLinesAreReportedWithTheirNumbersWhenTheBuildIsIndexed() async throws {
        try await EdgeFixture.with { fixture in
            try Data(Self.redirects.utf8).write(to: fixture.siteDirectory.appendingPathComponent("_redirects"))
            try Data(Self.headers.utf8).write(to: fixture.siteDirectory.appendingPathComponent("_headers"))
            let report = try SiteManifestIndexer().index(buildDirectory: fixture.siteDirectory.path)
            #expect(report.notes.contains { $0.hasPrefix("_redirects line 11:") }, "\(report.notes)")
            #expect(report.notes.contains { $0.hasPrefix("_redirects line 12:") }, "\(report.notes)")
            #expect(report.notes.contains("_redirects: 9 rules"), "\(report.notes)")
            #expect(report.notes.contains("_headers: 2 rules"), "\(report.notes)")
        }
    }
}
