import Hummingbird
import HummingbirdTesting
import SlipwayCore
import Testing

@testable import SlipwayEdge

@Suite struct HostDispatcherTests {
    @Test func theBareDomainAnIPAndUnknownHostsGoToTheAPI() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                for host in [
                    "localhost", "localhost:8080", "LOCALHOST", "localhost.", "127.0.0.1", "127.0.0.1:8080", "[::1]:8080", "example.com",
                    "hello.example.com",
                ] {
                    let response = try await client.send("/", host: host)
                    #expect(response.status == .ok, "\(host)")
                    #expect(response.text == "api", "\(host)")
                }
                let status = try await client.send("/v1/status", host: "localhost:8080")
                #expect(status.text == "api status")
            }
        }
    }

    @Test func aRequestWithoutHostHeaderFallsBackToItsAuthority() async throws {
        try await EdgeFixture.with { fixture in
            // The router test framework sets `:authority` to `localhost`: the bare domain.
            try await fixture.application().test(.router) { client in
                let response = try await client.execute(uri: "/", method: .get)
                #expect(response.text == "api")
            }
        }
    }

    @Test func subdomainsServeTheirDeploymentWithOrWithoutPortInAnyCase() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                for host in ["hello.localhost", "hello.localhost:8080", "HELLO.LocalHost:8080", "hello.localhost.", "1a2b3c4d.hello.localhost:8080"] {
                    let response = try await client.send("/", host: host)
                    #expect(response.status == .ok, "\(host)")
                    #expect(response.text == "<h1>home</h1>", "\(host)")
                }
                let branch = try await client.send("/", host: "feature-x.hello.localhost:8080")
                #expect(branch.text == "<h1>plain</h1>")
            }
        }
    }

    @Test func anUnknownSubdomainGetsTheNoDeploymentPage() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/about", host: "nobody.localhost:8080")
                #expect(response.status == .notFound)
                #expect(response.header("Content-Type") == "text/html; charset=utf-8")
                #expect(response.text.contains("No deployment is published at <strong>nobody.localhost</strong>"))

                let hostile = try await client.send("/", host: "<script>.localhost")
                #expect(hostile.status == .notFound)
                #expect(hostile.text.contains("&lt;script&gt;.localhost"))
                #expect(!hostile.text.contains("<script>"))

                let head = try await client.send("/", host: "nobody.localhost", method: .head)
                #expect(head.status == .notFound)
                #expect(head.body.readableBytes == 0)
            }
        }
    }

    @Test func aRouteToABuildThatIsNotOnDiskIsANotFound() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/", host: "gone.hello.localhost")
                #expect(response.status == .notFound)
                #expect(response.text.contains("There is no page at this address."))
            }
        }
    }

    @Test func aRouteSwitchTakesEffectOnTheNextRequest() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let before = try await client.send("/", host: "hello.localhost")
                #expect(before.text == "<h1>home</h1>")
                fixture.routes.set(["hello": RouteTarget(deploymentID: 2, buildID: fixture.plainBuild)])
                let after = try await client.send("/", host: "hello.localhost")
                #expect(after.text == "<h1>plain</h1>")
            }
        }
    }

    @Test func moreThanOneHostHeaderIsABadRequest() async throws {
        try await EdgeFixture.with { fixture in
            try await fixture.application().test(.router) { client in
                let response = try await client.send("/", host: "localhost", headers: [("Host", "hello.localhost")])
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test(arguments: [
        ("hello.localhost:8080", "hello.localhost"),
        ("Hello.LocalHost.", "hello.localhost"),
        ("[::1]:8080", "[::1]"),
        ("[::1]", "[::1]"),
        ("127.0.0.1:80", "127.0.0.1"),
        (" hello.localhost ", "hello.localhost"),
        ("", ""),
    ])
    func hostsAreNormalized(authority: String, host: String) {
        #expect(EdgeHost.normalized(authority) == host)
    }
}
