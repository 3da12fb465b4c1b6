import AsyncHTTPClient
import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOSSL
import SlipwayCore
import Synchronization
import Testing

@testable import SlipwayEdge

/// HTTPS in the edge: the certificate by SNI, the same pipeline as plain HTTP behind TLS (static, API, services,
/// upgrades), ACME's challenges, the redirect to HTTPS and HSTS, reloads, and hellos that are not TLS.
@Suite struct EdgeTLSTests {
    @Test func aStaticSiteAndTheAPIAreServedOverHTTPSToAClientTrustingTheCA() async throws {
        try await HTTPSFixture.with { fixture in
            try await fixture.withClient { client in
                let (site, siteBody) = try await HTTPSFixture.get(client, "https://hello.localhost:\(fixture.httpsPort)/")
                #expect(site.status == .ok)
                #expect(siteBody.contains("<h1>"), "\(siteBody)")
                // Twice: the first request of a build goes through Hummingbird, the next through the static front.
                let (again, _) = try await HTTPSFixture.get(client, "https://hello.localhost:\(fixture.httpsPort)/")
                #expect(again.status == .ok)
                let (api, apiBody) = try await HTTPSFixture.get(client, "https://localhost:\(fixture.httpsPort)/")
                #expect(api.status == .ok)
                #expect(apiBody == "api")
                #expect(api.headers["Strict-Transport-Security"].isEmpty)
                // Hummingbird's requests know they came over TLS.
                let (_, scheme) = try await HTTPSFixture.get(client, "https://localhost:\(fixture.httpsPort)/scheme")
                #expect(scheme == "https")
            }
        }
    }

    @Test func hstsIsOnEveryHTTPSAnswerWhenAskedAndNeverOnPlainHTTP() async throws {
        try await HTTPSFixture.with(hsts: true) { fixture in
            try await fixture.withClient { client in
                for url in [
                    "https://localhost:\(fixture.httpsPort)/", "https://hello.localhost:\(fixture.httpsPort)/",
                    "https://hello.localhost:\(fixture.httpsPort)/", "https://app.localhost:\(fixture.httpsPort)/headers",
                    "https://hello.localhost:\(fixture.httpsPort)/missing",
                ] {
                    let (response, _) = try await HTTPSFixture.get(client, url)
                    #expect(response.headers["Strict-Transport-Security"] == ["max-age=31536000"], "\(url)")
                }
                let (plain, _) = try await HTTPSFixture.get(client, "http://127.0.0.1:\(fixture.httpPort)/")
                #expect(plain.headers["Strict-Transport-Security"].isEmpty)
            }
        }
    }

    @Test func theCertificateIsChosenByTheServerNameAndAnUnknownNameGetsTheDefault() async throws {
        let other = Mutex<TestCA.Issued?>(nil)
        let platform = Mutex<TestCA.Issued?>(nil)
        try await HTTPSFixture.with(certificates: { ca in
            let platformIssued = try await ca.issue(["localhost", "*.localhost"], file: "platform")
            let otherIssued = try await ca.issue(["other.example"], file: "other")
            platform.withLock { $0 = platformIssued }
            other.withLock { $0 = otherIssued }
            return CombinedCertificateSource([
                try FileCertificateSource(certificatePath: platformIssued.certificatePath, keyPath: platformIssued.keyPath),
                try FileCertificateSource(certificatePath: otherIssued.certificatePath, keyPath: otherIssued.keyPath),
            ])
        }) { fixture in
            let platformLeaf = try #require(platform.withLock { $0 }).leaf()
            let otherLeaf = try #require(other.withLock { $0 }).leaf()
            let forOther = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "other.example")
            #expect(forOther.leaf == otherLeaf)
            try await forOther.close()
            let forProject = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "hello.localhost")
            #expect(forProject.leaf == platformLeaf)
            try await forProject.close()
            let unknown = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "unknown.test")
            #expect(unknown.leaf == platformLeaf)
            try await unknown.close()
            let withoutName = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: nil)
            #expect(withoutName.leaf == platformLeaf)
            try await withoutName.close()
        }
    }

    @Test func aWildcardDomainsStoredCertificateIsServedByServerNameForTheNamesItMatchesAndTheyAreRedirected() async throws {
        let issued = Mutex<(wildcard: TestCA.Issued, exact: TestCA.Issued, platform: TestCA.Issued)?>(nil)
        try await HTTPSFixture.with(certificates: { ca in
            let wildcard = try await ca.issue(["*.example.test"], file: "wildcard")
            let exact = try await ca.issue(["shop.example.test"], file: "shop")
            let platform = try await ca.issue(["localhost", "*.localhost"], file: "platform")
            issued.withLock { $0 = (wildcard, exact, platform) }
            let stored = StoredCertificateSource()
            stored.set(try EdgeCertificate(chainPEM: wildcard.certificatePEM, privateKeyPEM: wildcard.keyPEM), hostname: "*.example.test")
            stored.set(try EdgeCertificate(chainPEM: exact.certificatePEM, privateKeyPEM: exact.keyPEM), hostname: "shop.example.test")
            return CombinedCertificateSource([
                stored, try FileCertificateSource(certificatePath: platform.certificatePath, keyPath: platform.keyPath),
            ])
        }) { fixture in
            let certificates = try #require(issued.withLock { $0 })
            fixture.routes.setCustomDomain("*.example.test", DomainRoute(projectName: "hello", branch: nil))
            for (serverName, expected) in [
                ("a.example.test", certificates.wildcard), ("shop.example.test", certificates.exact),
                ("b.a.example.test", certificates.platform), ("example.test", certificates.platform),
            ] {
                let handshake = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: serverName)
                #expect(handshake.leaf == (try expected.leaf()), "\(serverName)")
                try await handshake.close()
            }
            try await fixture.withClient { client in
                // Served over HTTPS as the project it routes to, to a client that checks the name against the wildcard.
                let (secure, body) = try await HTTPSFixture.get(client, "https://a.example.test:\(fixture.httpsPort)/")
                #expect(secure.status == .ok)
                #expect(body.contains("<h1>"), "\(body)")

                let plain = "http://127.0.0.1:\(fixture.httpPort)"
                let (redirect, _) = try await HTTPSFixture.get(client, "\(plain)/page", headers: [("Host", "a.example.test")])
                #expect(redirect.status == .permanentRedirect)
                #expect(redirect.headers["Location"] == ["https://a.example.test:\(fixture.httpsPort)/page"])
                let (deeper, deeperBody) = try await HTTPSFixture.get(client, "\(plain)/", headers: [("Host", "b.a.example.test")])
                #expect(deeper.status == .ok)
                #expect(deeperBody == "api")
            }
        }
    }

    @Test func withoutADefaultCertificateAnUnknownNameIsRefused() async throws {
        try await HTTPSFixture.with(certificates: { _ in CombinedCertificateSource([]) }) { fixture in
            await #expect(throws: TLSProbe.HandshakeFailed.self) {
                _ = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "hello.localhost")
            }
        }
    }

    @Test(arguments: [TLSVersion.tlsv12, .tlsv13])
    func tls12And13BothServeRequests(version: TLSVersion) async throws {
        try await HTTPSFixture.with { fixture in
            let handshake = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "localhost", version: version)
            #expect(handshake.version == version)
            #expect(handshake.negotiatedProtocol == "http/1.1")
            let answer = try await handshake.exchange("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", until: "\r\n\r\napi")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(answer)")
        }
    }

    @Test func aServiceIsProxiedOverHTTPSAndTheProcessLearnsTheScheme() async throws {
        try await HTTPSFixture.with { fixture in
            try await fixture.withClient { client in
                let (response, body) = try await HTTPSFixture.get(client, "https://app.localhost:\(fixture.httpsPort)/headers")
                #expect(response.status == .ok)
                #expect(body.contains("x-forwarded-proto: https\n"), "\(body)")
                #expect(!body.contains("x-forwarded-proto: http\n"))
            }
        }
    }

    @Test func aWebSocketUpgradeIsSplicedThroughOverHTTPS() async throws {
        try await HTTPSFixture.with { fixture in
            let upstream = try RawUpgradeUpstream()
            defer { upstream.stop() }
            fixture.routes.set(["ws": RouteTarget(deploymentID: 13, buildID: UUID(), kind: .service)])
            fixture.endpoints.setPort(upstream.port, for: 13)
            let handshake = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "ws.localhost")
            try await handshake.channel.executeThenClose { inbound, outbound in
                var received = ""
                var iterator = inbound.makeAsyncIterator()
                func read(until marker: String) async throws -> String {
                    while !received.contains(marker) {
                        guard let buffer = try await iterator.next() else { break }
                        received += String(buffer: buffer)
                    }
                    let text = received
                    received = ""
                    return text
                }
                try await outbound.write(
                    ByteBuffer(
                        string: "GET /socket HTTP/1.1\r\nHost: ws.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"))
                let head = try await read(until: "\r\n\r\n")
                #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"), "\(head)")
                try await outbound.write(ByteBuffer(string: "frame one\n"))
                #expect(try await read(until: "\n") == "echo: frame one\n")
            }
            #expect(upstream.requestHead.contains("X-Forwarded-Proto: https\r\n"), "\(upstream.requestHead)")
        }
    }

    @Test func plainHTTPToAHostWithACertificateIsRedirectedExceptTheChallengePath() async throws {
        try await HTTPSFixture.with { fixture in
            try await fixture.withClient { client in
                let plain = "http://127.0.0.1:\(fixture.httpPort)"
                let (redirect, _) = try await HTTPSFixture.get(
                    client, "\(plain)/docs/page?x=1&y=2", headers: [("Host", "hello.localhost:\(fixture.httpPort)")])
                #expect(redirect.status == .permanentRedirect)
                #expect(redirect.headers["Location"] == ["https://hello.localhost:\(fixture.httpsPort)/docs/page?x=1&y=2"])
                let (api, _) = try await HTTPSFixture.get(client, "\(plain)/", headers: [("Host", "LOCALHOST.")])
                #expect(api.status == .permanentRedirect)
                #expect(api.headers["Location"] == ["https://localhost:\(fixture.httpsPort)/"])
                // A host the certificate does not cover (an IP here) stays on plain HTTP.
                let (byAddress, body) = try await HTTPSFixture.get(client, "\(plain)/")
                #expect(byAddress.status == .ok)
                #expect(body == "api")
                // The challenge path is never redirected, answered or not.
                let (unknownToken, _) = try await HTTPSFixture.get(
                    client, "\(plain)/.well-known/acme-challenge/unknown", headers: [("Host", "hello.localhost")])
                #expect(unknownToken.status == .notFound)
            }
        }
    }

    @Test func anHTTP01ChallengeIsAnsweredForAnyHostUntilRemoved() async throws {
        try await HTTPSFixture.with { fixture in
            try await fixture.withClient { client in
                fixture.challenges.setHTTP01(token: "tok-EN_1", keyAuthorization: "tok-EN_1.thumbprint")
                let url = "http://127.0.0.1:\(fixture.httpPort)/.well-known/acme-challenge/tok-EN_1"
                for host in ["hello.localhost", "custom.example.org", "localhost"] {
                    let (response, body) = try await HTTPSFixture.get(client, url, headers: [("Host", host)])
                    #expect(response.status == .ok, "\(host)")
                    #expect(response.headers["Content-Type"] == ["text/plain"])
                    #expect(body == "tok-EN_1.thumbprint")
                }
                fixture.challenges.removeHTTP01(token: "tok-EN_1")
                let (gone, _) = try await HTTPSFixture.get(client, url, headers: [("Host", "custom.example.org")])
                #expect(gone.status == .notFound)
            }
        }
    }

    @Test func aTLSALPN01HandshakeGetsTheChallengeCertificateAndAcmeTLS1() async throws {
        try await HTTPSFixture.with { fixture in
            let challenge = try await fixture.ca.issue(["hello.localhost"], file: "challenge", selfSigned: true)
            try fixture.challenges.setTLSALPN01(
                domain: "Hello.Localhost", certificateChainPEM: challenge.certificatePEM, privateKeyPEM: challenge.keyPEM)
            let validation = try await TLSProbe.handshake(
                port: fixture.httpsPort, serverName: "hello.localhost", applicationProtocols: ["acme-tls/1"])
            #expect(validation.negotiatedProtocol == "acme-tls/1")
            #expect(validation.leaf == (try challenge.leaf()))
            // Nothing is served on it: the edge closes it.
            let rest = try await validation.exchange("", until: "never")
            #expect(rest.isEmpty)
            // An ordinary handshake for the same name still gets the platform's certificate.
            let ordinary = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "hello.localhost")
            #expect(ordinary.leaf != (try challenge.leaf()))
            #expect(ordinary.negotiatedProtocol == "http/1.1")
            try await ordinary.close()
            // No challenge for a name: no certificate (never the platform's default for acme-tls/1).
            fixture.challenges.removeTLSALPN01(domain: "hello.localhost")
            await #expect(throws: TLSProbe.HandshakeFailed.self) {
                _ = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "hello.localhost", applicationProtocols: ["acme-tls/1"])
            }
        }
    }

    /// NIO's TLS handler keeps a closed connection's TLS state until its shutdown timeout (even once the client has
    /// gone); NIO's default of 5 seconds made 5 seconds of closed connections resident under churn
    /// (bench/tls-vs-nginx.sh prints the resident memory after its handshakes measure).
    @Test func everyCertificateWaitsOneSecondAtMostForTheClientsCloseNotify() async throws {
        let ca = try await TestCA.make()
        let issued = try await ca.issue(["localhost"], file: "timeout")
        for purpose in [EdgeCertificate.Purpose.http, .acmeTLSALPN01] {
            let certificate = try EdgeCertificate(chainPEM: issued.certificatePEM, privateKeyPEM: issued.keyPEM, purpose: purpose)
            #expect(certificate.context.configuration.shutdownTimeout == .seconds(1))
        }
    }

    @Test func aReloadServesTheNewFilesAndABadFileKeepsTheOldCertificate() async throws {
        let source = Mutex<FileCertificateSource?>(nil)
        try await HTTPSFixture.with(certificates: { ca in
            let made = try await HTTPSFixture.platformCertificate(ca)
            source.withLock { $0 = made }
            return made
        }) { fixture in
            let files = try #require(source.withLock { $0 })
            let first = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "localhost")
            try await first.close()
            // New files in place (as a renewal writes them), then the reload SIGHUP runs.
            let renewed = try await fixture.ca.issue(["localhost", "*.localhost"], file: "renewed")
            try FileManager.default.removeItem(atPath: files.certificatePath)
            try FileManager.default.copyItem(atPath: renewed.certificatePath, toPath: files.certificatePath)
            try FileManager.default.removeItem(atPath: files.keyPath)
            try FileManager.default.copyItem(atPath: renewed.keyPath, toPath: files.keyPath)
            try files.reload()
            let second = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "localhost")
            #expect(second.leaf == (try renewed.leaf()))
            #expect(second.leaf != first.leaf)
            try await second.close()
            // A broken key file: the reload fails, naming the file, and the renewed certificate stays.
            try "not a key".write(toFile: files.keyPath, atomically: true, encoding: .utf8)
            #expect(throws: FileCertificateError.self) { try files.reload() }
            let third = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "localhost")
            #expect(third.leaf == (try renewed.leaf()))
            try await third.close()
        }
    }

    @Test func aGarbledHelloClosesTheConnectionAndTheListenerGoesOn() async throws {
        try await HTTPSFixture.with { fixture in
            for junk in [
                "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "\u{16}\u{03}\u{01}\u{00}\u{05}\u{02}\u{00}\u{00}\u{01}\u{00}",
                "\u{16}\u{03}\u{01}\u{00}\u{04}\u{01}\u{01}\u{00}\u{00}",
            ] {
                let socket = try await RawSocket.connect(port: fixture.httpsPort)
                try await socket.send(junk)
                #expect(try await socket.isClosedByPeer(), "\(junk.debugDescription)")
                socket.close()
            }
            let handshake = try await TLSProbe.handshake(port: fixture.httpsPort, serverName: "localhost")
            #expect(handshake.negotiatedProtocol == "http/1.1")
            try await handshake.close()
        }
    }
}

/// The ClientHello reader on real hellos (made by NIOSSL's client) and on broken ones.
@Suite struct ClientHelloTests {
    /// The first flight of a NIOSSL client for `serverName` offering `protocols`.
    static func realHello(serverName: String?, protocols: [String]) throws -> ByteBuffer {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = protocols
        configuration.certificateVerification = .none
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            try NIOSSLClientHandler(context: try NIOSSLContext(configuration: configuration), serverHostname: serverName))
        try channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        var hello = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { hello.writeBuffer(&part) }
        _ = try? channel.finish()
        return hello
    }

    @Test func theServerNameAndProtocolsAreRead() throws {
        let hello = try Self.realHello(serverName: "App.Example.COM", protocols: ["h2", "http/1.1"])
        #expect(ClientHello.scan(hello) == .complete(ClientHello(serverName: "app.example.com", applicationProtocols: ["h2", "http/1.1"])))
        let bare = try Self.realHello(serverName: nil, protocols: [])
        #expect(ClientHello.scan(bare) == .complete(ClientHello(serverName: nil, applicationProtocols: [])))
    }

    @Test func everyPrefixIsIncompleteAndAHelloSplitOverTwoRecordsIsRead() throws {
        let hello = try Self.realHello(serverName: "a.example", protocols: ["acme-tls/1"])
        for length in stride(from: 0, to: hello.readableBytes, by: 7) {
            #expect(ClientHello.scan(hello.getSlice(at: 0, length: length)!) == .incomplete, "\(length)")
        }
        // The handshake message in two records (a client may fragment it).
        let message = hello.getSlice(at: 5, length: hello.readableBytes - 5)!
        var split = ByteBuffer()
        for part in [message.getSlice(at: 0, length: 10)!, message.getSlice(at: 10, length: message.readableBytes - 10)!] {
            split.writeBytes([22, 3, 1])
            split.writeInteger(UInt16(part.readableBytes))
            split.writeImmutableBuffer(part)
        }
        #expect(ClientHello.scan(split) == .complete(ClientHello(serverName: "a.example", applicationProtocols: ["acme-tls/1"])))
    }

    @Test func brokenHellosAreInvalid() throws {
        let hello = try Self.realHello(serverName: "a.example", protocols: ["http/1.1"])
        // Not a handshake record; not a ClientHello; a hello longer than its record says; an oversized message.
        var notHandshake = hello
        notHandshake.setInteger(UInt8(23), at: 0)
        #expect(ClientHello.scan(notHandshake) == .invalid)
        var notClientHello = hello
        notClientHello.setInteger(UInt8(2), at: 5)
        #expect(ClientHello.scan(notClientHello) == .invalid)
        var huge = ByteBuffer(bytes: [22, 3, 1, 0x40, 0x00, 1, 0x01, 0x00, 0x00])
        huge.writeRepeatingByte(0, count: 100)
        #expect(ClientHello.scan(huge) == .invalid)
        // Every single byte changed in turn: never a crash, and an answer either way.
        for index in 0..<hello.readableBytes {
            var changed = hello
            changed.setInteger(changed.getInteger(at: index, as: UInt8.self)! ^ 0xFF, at: index)
            _ = ClientHello.scan(changed)
        }
    }
}
