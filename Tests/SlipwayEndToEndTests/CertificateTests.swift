import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SlipwayCertificates
import SlipwayClient
import SlipwayServer
import SlipwayTesting
import Synchronization
import Testing

/// HTTPS for custom domains end to end: certificates obtained from a real pebble (HTTP-01 and TLS-ALPN-01 answered by
/// the edge), renewed, retried after a refusal, served again from the store after a restart; uploaded chains checked
/// and served. Every connection goes to 127.0.0.1; names are resolved by pebble's own DNS (challtestsrv, always
/// 127.0.0.1) and by curl's `--resolve`.
@Suite struct CertificateTests {
    /// A frozen time for the certificate work, or the real one while unset (the renewal test moves it).
    final class TestClock: Sendable {
        private let frozen = Mutex<Date?>(nil)
        func now() -> Date { frozen.withLock { $0 } ?? Date() }
        func freeze(at date: Date) { frozen.withLock { $0 = date } }
    }

    /// A server configuration with HTTPS on `httpsPort`, plain HTTP on `httpPort`, and ACME against `pebble`.
    static func configuration(
        dataDirectory: String, httpPort: Int, httpsPort: Int, pebble: PebbleServer?, challenges: [String], clock: TestClock = TestClock()
    ) throws -> SlipwayConfiguration {
        var configuration = TestServer.testConfiguration(dataDirectory: dataDirectory)
        configuration.port = httpPort
        configuration.httpsPort = httpsPort
        if let pebble {
            let caFile = pebble.directory.appendingPathComponent("pebble-https.pem").path
            try pebble.httpsCertificatePEM.write(toFile: caFile, atomically: true, encoding: .utf8)
            configuration.acme.directoryURL = pebble.directoryURL
            configuration.acme.caFile = caFile
            configuration.acme.email = "ops@example.test"
            configuration.acme.acceptsTerms = true
        }
        configuration.acme.challenges = challenges
        configuration.acme.firstRetryDelay = .seconds(1)
        configuration.acme.idleInterval = .seconds(1)
        configuration.acme.now = { clock.now() }
        return configuration
    }

    static func temporaryDataDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("slipway-certs-\(UUID().uuidString.prefix(8))").path
    }

    /// Deploys the static site of `CustomDomainTests` as project `shop`.
    static func deploySite(_ server: TestServer) async throws {
        let site = try CustomDomainTests.makeSite()
        let project = try await server.client.createProject(
            NewProjectRequest(name: "shop", repository: site.path, buildCommand: "sh build.sh", outputDir: "dist"))
        #expect(try await CustomDomainTests.deploy(server.client, project.id).state == "success")
    }

    /// Waits (a watchdog of three minutes, not a measure) until the domain's certificate is in `status`, and returns it.
    static func waitForCertificate(
        _ server: TestServer, _ hostname: String, status: String, where condition: (DomainInfo.Certificate) -> Bool = { _ in true }
    ) async throws -> DomainInfo.Certificate {
        let deadline = ContinuousClock.now + .seconds(180)
        var last: DomainInfo.Certificate?
        while ContinuousClock.now < deadline {
            let certificate = try await server.client.domain(project: "shop", hostname: hostname).certificate
            if certificate.status == status && condition(certificate) { return certificate }
            last = certificate
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestSupportError("\(hostname) did not reach \(status): \(String(describing: last))")
    }

    /// GET https://hostname:port/ through curl, connecting to 127.0.0.1 with SNI `hostname`, trusting only
    /// `rootPEM`; the status and body, or curl's complaint. curl runs on a thread of its own: blocking a cooperative
    /// thread while the in-process server it talks to needs one starved every server of the run (CI).
    static func fetchHTTPS(_ hostname: String, port: Int, trusting rootPEM: String) async throws -> (
        ok: Bool, status: Int, body: String, output: String
    ) {
        let rootFile = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-root-\(UUID().uuidString).pem").path
        try rootPEM.write(toFile: rootFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: rootFile) }
        let marker = "\n--status:"
        let arguments = [
            "--silent", "--show-error", "--noproxy", "*", "--max-time", "60", "--resolve", "\(hostname):\(port):127.0.0.1",
            "--cacert", rootFile, "--write-out", "\(marker)%{http_code}", "https://\(hostname):\(port)/",
        ]
        let result = try await onOwnThread { try CapturedProcess.run("/usr/bin/curl", arguments) }
        guard result.status == 0, let range = result.output.range(of: marker, options: .backwards) else {
            return (false, 0, "", result.output)
        }
        return (true, Int(result.output[range.upperBound...]) ?? 0, String(result.output[..<range.lowerBound]), result.output)
    }

    /// The plain HTTP answer for `hostname` on the server's port, without following a redirect.
    static func fetchHTTP(_ server: TestServer, host: String) async throws -> (status: Int, location: String?) {
        var request = HTTPClientRequest(url: server.baseURL + "/")
        request.headers.replaceOrAdd(name: "Host", value: "\(host):\(server.port)")
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            try await client.shutdown()
            return (Int(response.status.code), response.headers.first(name: "Location"))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func rootPEM(_ pebble: PebbleServer) async throws -> String {
        let client = try pebble.makeHTTPClient()
        do {
            let pem = try await pebble.rootCertificatePEM(using: client)
            try await client.shutdown()
            return pem
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

@Suite(.enabled(if: PebbleServer.isInstalled, "pebble is not installed (apt-get install pebble)"))
struct ACMECertificateTests {
    typealias Support = CertificateTests

    @Test(
        "Through each challenge a domain gets a certificate served over HTTPS, HTTP redirects with 308, a restart serves it from the store",
        arguments: ["http-01", "tls-alpn-01"])
    func issuedServedAndRestarted(challenge: String) async throws {
        let (httpPort, httpsPort) = (try TestServer.freePort(), try TestServer.freePort())
        let dataDirectory = Support.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let hostname = "shop-\(challenge).example.test"
        let (rootPEM, adminToken) = try await PebbleServer.run(.init(httpChallengePort: httpPort, tlsChallengePort: httpsPort)) { pebble in
            let configuration = try Support.configuration(
                dataDirectory: dataDirectory, httpPort: httpPort, httpsPort: httpsPort, pebble: pebble, challenges: [challenge])
            let rootPEM = try await Support.rootPEM(pebble)
            try await TestServer.run(configuration) { server in
                try await Support.deploySite(server)
                // Before a certificate: no redirect, and no handshake for the name.
                #expect(try await Support.fetchHTTP(server, host: hostname).status != 308)
                #expect(try await Support.fetchHTTPS(hostname, port: httpsPort, trusting: rootPEM).ok == false)
                _ = try await server.client.addDomain(project: "shop", hostname: hostname)
                let issued = try await Support.waitForCertificate(server, hostname, status: "issued")
                #expect(issued.source == "acme")
                #expect(issued.issuer?.contains("Pebble") == true, "\(String(describing: issued.issuer))")
                #expect(issued.lastError == nil)
                #expect(issued.notAfter != nil && issued.nextAttemptAt != nil)

                let https = try await Support.fetchHTTPS(hostname, port: httpsPort, trusting: rootPEM)
                #expect(https.ok && https.status == 200 && https.body == "<h1>production</h1>\n", "\(https.output)")
                let redirect = try await Support.fetchHTTP(server, host: hostname)
                #expect(redirect.status == 308)
                #expect(redirect.location?.hasPrefix("https://\(hostname)") == true, "\(String(describing: redirect.location))")
                // A client trusting another root refuses it.
                let other = try SelfSignedCertificate.make(names: [hostname])
                #expect(try await Support.fetchHTTPS(hostname, port: httpsPort, trusting: other.certificatePEM).ok == false)
            }
            return (rootPEM, configuration.adminToken)
        }
        // Pebble is gone and ACME is off: whatever is served now comes from the store.
        let (newHTTPPort, newHTTPSPort) = (try TestServer.freePort(), try TestServer.freePort())
        var configuration = try Support.configuration(
            dataDirectory: dataDirectory, httpPort: newHTTPPort, httpsPort: newHTTPSPort, pebble: nil, challenges: [challenge])
        configuration.acme.acceptsTerms = false
        configuration.adminToken = adminToken
        try await TestServer.run(configuration) { server in
            let https = try await Support.fetchHTTPS(hostname, port: newHTTPSPort, trusting: rootPEM)
            #expect(https.ok && https.status == 200 && https.body == "<h1>production</h1>\n", "\(https.output)")
            #expect(try await server.client.domain(project: "shop", hostname: hostname).certificate.status == "issued")
        }
    }

    @Test("An issued certificate is renewed once its renewal date has passed, the old one serving meanwhile")
    func renewal() async throws {
        let (httpPort, httpsPort) = (try TestServer.freePort(), try TestServer.freePort())
        let dataDirectory = Support.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let clock = Support.TestClock()
        let hostname = "renew.example.test"
        try await PebbleServer.run(.init(httpChallengePort: httpPort, tlsChallengePort: httpsPort, certificateValidity: 600)) { pebble in
            let configuration = try Support.configuration(
                dataDirectory: dataDirectory, httpPort: httpPort, httpsPort: httpsPort, pebble: pebble, challenges: ["http-01"], clock: clock)
            let rootPEM = try await Support.rootPEM(pebble)
            try await TestServer.run(configuration) { server in
                try await Support.deploySite(server)
                _ = try await server.client.addDomain(project: "shop", hostname: hostname)
                let first = try await Support.waitForCertificate(server, hostname, status: "issued")
                let renewal = try #require(first.nextAttemptAt.flatMap(Self.date))
                let notAfter = try #require(first.notAfter.flatMap(Self.date))
                // Two thirds of the ten minutes' life.
                #expect(abs(notAfter.timeIntervalSince(renewal) - 200) < 5)
                // Nothing happens before the renewal date.
                #expect(try await server.client.domain(project: "shop", hostname: hostname).certificate.notAfter == first.notAfter)

                clock.freeze(at: renewal.addingTimeInterval(1))
                let renewed = try await Support.waitForCertificate(server, hostname, status: "issued") { $0.notAfter != first.notAfter }
                #expect(renewed.lastError == nil)
                #expect(try #require(renewed.nextAttemptAt.flatMap(Self.date)) > renewal.addingTimeInterval(1))
                let https = try await Support.fetchHTTPS(hostname, port: httpsPort, trusting: rootPEM)
                #expect(https.ok && https.status == 200, "\(https.output)")
            }
        }
    }

    @Test("A refused validation is recorded with the CA's words and a next attempt, and issued once the challenge can be answered")
    func refusedThenRecovered() async throws {
        // Pebble validates HTTP-01 on a port where the first server does not listen: the CA refuses the challenge.
        let (challengePort, firstHTTPPort, httpsPort) = (try TestServer.freePort(), try TestServer.freePort(), try TestServer.freePort())
        let dataDirectory = Support.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let hostname = "retry.example.test"
        let blocked = "blocked.example.test"
        try await PebbleServer.run(
            .init(httpChallengePort: challengePort, tlsChallengePort: httpsPort, domainBlocklist: [blocked])
        ) { pebble in
            let configuration = try Support.configuration(
                dataDirectory: dataDirectory, httpPort: firstHTTPPort, httpsPort: httpsPort, pebble: pebble, challenges: ["http-01"])
            try await TestServer.run(configuration) { server in
                try await Support.deploySite(server)
                _ = try await server.client.addDomain(project: "shop", hostname: hostname)
                _ = try await server.client.addDomain(project: "shop", hostname: blocked)
                let failed = try await Support.waitForCertificate(server, hostname, status: "failed")
                let error = try #require(failed.lastError)
                #expect(error.contains("the CA refused"), "\(error)")
                #expect(error.contains("connection refused") || error.contains("Connection refused") || error.contains("connect"), "\(error)")
                #expect(failed.nextAttemptAt != nil)
                #expect((failed.failedAttempts ?? 0) >= 1)
                let refused = try await Support.waitForCertificate(server, blocked, status: "failed")
                #expect(
                    refused.lastError?.contains("rejectedIdentifier") == true || refused.lastError?.contains("blocked") == true,
                    "\(String(describing: refused.lastError))")
            }
            // The same data directory on the port pebble validates on: the retry succeeds.
            var recovered = configuration
            recovered.port = challengePort
            try await TestServer.run(recovered) { server in
                let issued = try await Support.waitForCertificate(server, hostname, status: "issued")
                #expect(issued.lastError == nil)
                #expect(issued.failedAttempts == 0)
                // The refused name is tried again when its wait is over (the tests' waits are short), so it may be
                // between attempts here; what holds is that the CA never issues it and its count goes on.
                let stillRefused = try await server.client.domain(project: "shop", hostname: blocked).certificate
                #expect(stillRefused.status != "issued")
                #expect((stillRefused.failedAttempts ?? 0) >= 1)
            }
        }
    }

    static func date(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeSeparator(.colon))
    }
}

/// Uploaded certificates: checked (422 naming the field), stored, served; without ACME a domain stays pending saying why.
@Suite struct CertificateUploadTests {
    typealias Support = CertificateTests

    static func upload(_ server: TestServer, _ hostname: String, certificate: String, key: String) async throws -> APIAnswer {
        let body = try JSONSerialization.data(withJSONObject: ["certificate": certificate, "private_key": key])
        return try await server.send(
            .PUT, "/api/v1/projects/shop/domains/\(hostname)/certificate", headers: [("Authorization", "Bearer \(server.adminToken)")], body: body)
    }

    @Test func anUploadedCertificateIsCheckedStoredAndServedAndADomainWithoutACMESaysWhyItIsPending() async throws {
        let (httpPort, httpsPort) = (try TestServer.freePort(), try TestServer.freePort())
        let dataDirectory = Support.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let configuration = try Support.configuration(
            dataDirectory: dataDirectory, httpPort: httpPort, httpsPort: httpsPort, pebble: nil, challenges: ["http-01"])
        let hostname = "upload.example.test"
        try await TestServer.run(configuration) { server in
            try await Support.deploySite(server)
            _ = try await server.client.addDomain(project: "shop", hostname: hostname)
            let pending = try await Support.waitForCertificate(server, hostname, status: "pending") { $0.lastError != nil }
            #expect(pending.lastError?.contains("--acme-accept-terms") == true, "\(String(describing: pending.lastError))")

            let good = try SelfSignedCertificate.make(names: [hostname])
            let other = try SelfSignedCertificate.make(names: [hostname])
            let wrongName = try SelfSignedCertificate.make(names: ["other.example.test"])
            let expired = try SelfSignedCertificate.make(names: [hostname], now: Date().addingTimeInterval(-10 * 86400), validity: 86400)
            let refusals: [(String, String, String, String)] = [
                (good.certificatePEM, other.privateKeyPEM, "private_key", "the key does not match the certificate"),
                (good.certificatePEM, "not a key", "private_key", "not a PEM private key"),
                (wrongName.certificatePEM, wrongName.privateKeyPEM, "certificate", "not valid for upload.example.test"),
                (expired.certificatePEM, expired.privateKeyPEM, "certificate", "the certificate expired on"),
                ("garbage", good.privateKeyPEM, "certificate", "not a PEM certificate"),
            ]
            for (certificate, key, field, sentence) in refusals {
                let answer = try await Self.upload(server, hostname, certificate: certificate, key: key)
                #expect(answer.status == 422)
                let text = String(decoding: answer.body, as: UTF8.self)
                #expect(text.contains(field) && text.contains(sentence), "\(text)")
            }
            // Nothing refused was stored: no handshake for the name yet.
            #expect(try await Support.fetchHTTPS(hostname, port: httpsPort, trusting: good.certificatePEM).ok == false)

            let stored = try await Self.upload(server, hostname, certificate: good.certificatePEM, key: good.privateKeyPEM)
            #expect(stored.status == 200, "\(String(decoding: stored.body, as: UTF8.self))")
            let certificate = try await server.client.domain(project: "shop", hostname: hostname).certificate
            #expect(certificate.status == "issued" && certificate.source == "uploaded" && certificate.lastError == nil)
            let https = try await Support.fetchHTTPS(hostname, port: httpsPort, trusting: good.certificatePEM)
            #expect(https.ok && https.status == 200 && https.body == "<h1>production</h1>\n", "\(https.output)")
            #expect(try await Support.fetchHTTP(server, host: hostname).status == 308)

            // Removing the domain stops serving its certificate at once.
            _ = try await server.client.removeDomain(project: "shop", hostname: hostname)
            #expect(try await Support.fetchHTTPS(hostname, port: httpsPort, trusting: good.certificatePEM).ok == false)
        }
    }

    @Test func aWildcardDomainsCertificateIsServedByServerNameForTheNamesItMatchesAlsoAfterARestart() async throws {
        let (httpPort, httpsPort) = (try TestServer.freePort(), try TestServer.freePort())
        let dataDirectory = Support.temporaryDataDirectory()
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
        let configuration = try Support.configuration(
            dataDirectory: dataDirectory, httpPort: httpPort, httpsPort: httpsPort, pebble: nil, challenges: ["http-01"])
        let wildcard = try SelfSignedCertificate.make(names: ["*.example.test"])
        let exact = try SelfSignedCertificate.make(names: ["shop.example.test"])
        try await TestServer.run(configuration) { server in
            try await Support.deploySite(server)
            let added = try await server.client.addDomain(
                project: "shop", hostname: "*.example.test",
                certificate: CertificateFiles(chainPEM: wildcard.certificatePEM, privateKeyPEM: wildcard.privateKeyPEM))
            #expect(added.certificate.status == "issued" && added.certificate.source == "uploaded")
            _ = try await server.client.addDomain(
                project: "shop", hostname: "shop.example.test",
                certificate: CertificateFiles(chainPEM: exact.certificatePEM, privateKeyPEM: exact.privateKeyPEM))

            let https = try await Support.fetchHTTPS("a.example.test", port: httpsPort, trusting: wildcard.certificatePEM)
            #expect(https.ok && https.status == 200 && https.body == "<h1>production</h1>\n", "\(https.output)")
            // The exact domain is served its own certificate, which a client trusting only the wildcard's refuses.
            #expect(try await Support.fetchHTTPS("shop.example.test", port: httpsPort, trusting: exact.certificatePEM).ok)
            #expect(try await Support.fetchHTTPS("shop.example.test", port: httpsPort, trusting: wildcard.certificatePEM).ok == false)
            // One label only.
            #expect(try await Support.fetchHTTPS("b.a.example.test", port: httpsPort, trusting: wildcard.certificatePEM).ok == false)
            let redirect = try await Support.fetchHTTP(server, host: "a.example.test")
            #expect(redirect.status == 308)
            #expect(redirect.location?.hasPrefix("https://a.example.test") == true, "\(String(describing: redirect.location))")
            #expect(try await Support.fetchHTTP(server, host: "b.a.example.test").status != 308)
            // ACME (off here) leaves it alone: no "why pending" is written over the upload.
            let shown = try await server.client.domain(project: "shop", hostname: "*.example.test").certificate
            #expect(shown.status == "issued" && shown.source == "uploaded" && shown.lastError == nil)
        }
        // A restart serves it from the store before the first request.
        var restarted = configuration
        let newHTTPSPort = try TestServer.freePort()
        (restarted.port, restarted.httpsPort) = (try TestServer.freePort(), newHTTPSPort)
        try await TestServer.run(restarted) { _ in
            let https = try await Support.fetchHTTPS("c.example.test", port: newHTTPSPort, trusting: wildcard.certificatePEM)
            #expect(https.ok && https.status == 200 && https.body == "<h1>production</h1>\n", "\(https.output)")
        }
    }
}
