import AsyncHTTPClient
import Foundation
import Logging
import SlipwayTesting
import SwiftASN1
import Synchronization
import Testing
import X509

@testable import SlipwayCertificates

/// The ACME client against a real pebble on loopback: issuance through each challenge type, accounts, nonces and
/// refusals. Pebble validates against this test's own challenge servers.
@Suite(.enabled(if: PebbleServer.isInstalled, "pebble is not installed (apt-get install pebble)"))
struct PebbleIssuanceTests {
    @Test func aCertificateIsIssuedThroughHTTP01ForTwoNamesAndChainsToPebblesRoot() async throws {
        try await withPebble(certificateValidity: 3600) { pebble, httpClient, answers in
            let client = makeClient(pebble, httpClient)
            let names = ["shop.example.com", "www.shop.example.com"]
            let bundle = try await client.issue(names: names, preferring: [.http01], responder: answers)
            #expect(Set(bundle.names) == Set(names))
            for name in names { try bundle.check(hostname: name, at: Date()) }
            #expect(bundle.issuer.contains("Pebble"))
            // certificateValidityPeriod: pebble's certificate lives an hour, as asked (renewal tests use this).
            #expect(abs(bundle.notAfter.timeIntervalSince(bundle.notBefore) - 3600) < 5)
            try await expectChainsToPebblesRoot(bundle, pebble: pebble, httpClient: httpClient)
            #expect(
                answers.events.withLock { $0 }.sorted() == [
                    "cleanUp shop.example.com http-01", "cleanUp www.shop.example.com http-01",
                    "present shop.example.com http-01", "present www.shop.example.com http-01",
                ]
            )
        }
    }

    @Test func aCertificateIsIssuedThroughTLSALPN01ForTwoNames() async throws {
        try await withPebble { pebble, httpClient, answers in
            let client = makeClient(pebble, httpClient)
            let names = ["api.example.org", "static.example.org"]
            let bundle = try await client.issue(names: names, preferring: [.tlsALPN01, .http01], responder: answers)
            #expect(Set(bundle.names) == Set(names))
            try await expectChainsToPebblesRoot(bundle, pebble: pebble, httpClient: httpClient)
            #expect(answers.events.withLock { $0 }.allSatisfy { $0.hasSuffix("tls-alpn-01") })
            #expect(answers.events.withLock { $0.count } == 4)
        }
    }

    @Test func theIssuedChainAndKeyServeTLSThatAClientTrustingPebblesRootAccepts() async throws {
        try await withPebble { pebble, httpClient, answers in
            let bundle = try await makeClient(pebble, httpClient).issue(names: ["tls.example.net"], responder: answers)
            let rootPEM = try await pebble.rootCertificatePEM(using: httpClient)
            let server = try await TLSBundleServer.start(chainPEM: bundle.chainPEM, privateKeyPEM: bundle.privateKeyPEM)
            do {
                try await tlsHandshake(port: server.port, serverName: "tls.example.net", trustingRootPEM: rootPEM)
                // The same client refuses it for a name it does not cover, and without pebble's root.
                await #expect(throws: (any Error).self) {
                    try await tlsHandshake(port: server.port, serverName: "other.example.net", trustingRootPEM: rootPEM)
                }
                await #expect(throws: (any Error).self) {
                    try await tlsHandshake(port: server.port, serverName: "tls.example.net", trustingRootPEM: TestCertificateAuthority().pem)
                }
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
    }

    @Test func theSameKeyFindsTheSameAccountAfterARestart() async throws {
        try await withPebble { pebble, httpClient, _ in
            let key = ACMEAccountKey()
            let created = try await makeClient(pebble, httpClient, key: key).account()
            #expect(created.isNew)
            #expect(created.contact == ["mailto:ops@example.com"])

            // A new process imports the key from the store.
            let restarted = makeClient(pebble, httpClient, key: try ACMEAccountKey(pem: key.pem))
            let found = try #require(try await restarted.existingAccount())
            #expect(found.url == created.url)
            #expect(!found.isNew)
            let again = try await restarted.account()
            #expect(again.url == created.url)
            #expect(!again.isNew)

            #expect(try await makeClient(pebble, httpClient).existingAccount() == nil)
        }
    }

    @Test func badNoncesAreRetriedWithAFreshNonce() async throws {
        try await withPebble(nonceRejectPercent: 50) { pebble, httpClient, answers in
            // Half of the nonces are refused: with enough retries an issuance goes through.
            let patient = makeClient(pebble, httpClient, badNonceRetries: 40)
            let bundle = try await patient.issue(names: ["nonce.example.com"], responder: answers)
            #expect(bundle.names == ["nonce.example.com"])
            #expect(await patient.badNonceRetryCount > 0)

            // Without retries, a refused nonce surfaces as the CA's badNonce problem.
            let impatient = makeClient(pebble, httpClient, badNonceRetries: 0)
            var refusal: ACMEError?
            for _ in 0..<40 where refusal == nil {
                do { try await impatient.account() } catch { refusal = error as? ACMEError }
            }
            #expect(refusal?.problem?.kind == .badNonce)
        }
    }

    @Test func aWrongKeyAuthorizationLeavesTheOrderRefusedWithPebblesDetail() async throws {
        try await withPebble(answers: ChallengeAnswers(wrongKeyAuthorization: "not-the-key-authorization")) { pebble, httpClient, answers in
            let client = makeClient(pebble, httpClient)
            let error = await #expect(throws: ACMEError.self) {
                try await client.issue(names: ["wrong.example.com"], preferring: [.http01], responder: answers)
            }
            let problem = try #require(error?.problem)
            #expect(problem.kind == .unauthorized)
            #expect(problem.detail?.contains("not-the-key-authorization") == true)
            // The answer was cleaned up although validation failed.
            #expect(answers.events.withLock { $0 } == ["present wrong.example.com http-01", "cleanUp wrong.example.com http-01"])
        }
    }

    @Test func aNameTheCARefusesIsARejectedIdentifier() async throws {
        try await withPebble(domainBlocklist: ["blocked.example.com"]) { pebble, httpClient, answers in
            let client = makeClient(pebble, httpClient)
            let error = await #expect(throws: ACMEError.self) {
                try await client.issue(names: ["blocked.example.com"], responder: answers)
            }
            #expect(error?.problem?.kind == .rejectedIdentifier)
            #expect(error?.problem?.detail?.contains("blocked.example.com") == true)
            #expect(answers.events.withLock { $0 }.isEmpty)
        }
    }

    @Test func aChallengeTypeTheCallerDoesNotAcceptIsNamed() async throws {
        try await withPebble { pebble, httpClient, answers in
            let client = makeClient(pebble, httpClient)
            let error = await #expect(throws: ACMEError.self) {
                try await client.issue(names: ["none.example.com"], preferring: [], responder: answers)
            }
            guard case .noAcceptableChallenge(let name, let offered)? = error else {
                Issue.record("expected noAcceptableChallenge, got \(String(describing: error))")
                return
            }
            #expect(name == "none.example.com")
            #expect(offered.contains("http-01") && offered.contains("tls-alpn-01"))
        }
    }

    @Test func pollingStopsAfterItsAttemptsAndWaitsThroughTheInjectedSleep() async throws {
        try await withPebble { pebble, httpClient, _ in
            let sleeps = Mutex<[Duration]>([])
            let client = ACMEClient(
                configuration: ACMEClient.Configuration(
                    directoryURL: pebble.directoryURL, termsOfServiceAgreed: true,
                    polling: ACMEPollingPolicy(maximumAttempts: 3, interval: .seconds(7)),
                    sleep: { duration in sleeps.withLock { $0.append(duration) } }
                ),
                accountKey: ACMEAccountKey(), httpClient: httpClient, logger: Logger(label: "acme-test")
            )
            try await client.account()
            let order = try await client.newOrder(names: ["pending.example.com"])
            // No challenge is answered, so the authorization stays pending.
            let authorizationURL = try #require(order.authorizations.first)
            let error = await #expect(throws: ACMEError.self) { try await client.waitForAuthorization(at: authorizationURL) }
            guard case .stillPending(let url, let status, let attempts)? = error else {
                Issue.record("expected stillPending, got \(String(describing: error))")
                return
            }
            #expect(url == authorizationURL && status == "pending" && attempts == 3)
            // Pebble sends no Retry-After here: the policy's interval, between the three polls only.
            #expect(sleeps.withLock { $0 } == [.seconds(7), .seconds(7)])
        }
    }

    @Test func pebbleAndItsDNSAreStoppedByPid() async throws {
        let configuration = PebbleServer.Configuration(httpChallengePort: 9, tlsChallengePort: 9)
        let (directory, pids) = try await PebbleServer.run(configuration) { pebble in
            #expect(ProcessTable.matching(pebble.directory.path).count == 1)
            #expect(pebble.processIdentifiers.count == 2)
            for pid in pebble.processIdentifiers { #expect(FileManager.default.fileExists(atPath: "/proc/\(pid)")) }
            return (pebble.directory, pebble.processIdentifiers)
        }
        #expect(ProcessTable.matching(directory.path).isEmpty)
        for pid in pids { #expect(!FileManager.default.fileExists(atPath: "/proc/\(pid)"), "pid \(pid) still exists") }
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }
}

// MARK: - Fixture

/// Starts the challenge servers, then pebble pointed at them, and an HTTP client trusting pebble; stops all of it.
private func withPebble(
    answers: ChallengeAnswers = ChallengeAnswers(), certificateValidity: Int? = nil, nonceRejectPercent: Int = 0,
    domainBlocklist: [String] = [], _ body: (PebbleServer, HTTPClient, ChallengeAnswers) async throws -> Void
) async throws {
    let httpServer = try await HTTPChallengeServer.start(answers: answers)
    let tlsServer = try await TLSALPNChallengeServer.start(answers: answers)
    do {
        let configuration = PebbleServer.Configuration(
            httpChallengePort: httpServer.port, tlsChallengePort: tlsServer.port, certificateValidity: certificateValidity,
            nonceRejectPercent: nonceRejectPercent, domainBlocklist: domainBlocklist
        )
        try await PebbleServer.run(configuration) { pebble in
            let httpClient = try pebble.makeHTTPClient()
            do {
                try await body(pebble, httpClient, answers)
            } catch {
                try? await httpClient.shutdown()
                throw error
            }
            try await httpClient.shutdown()
        }
    } catch {
        await httpServer.stop()
        await tlsServer.stop()
        throw error
    }
    await httpServer.stop()
    await tlsServer.stop()
}

private func makeClient(
    _ pebble: PebbleServer, _ httpClient: HTTPClient, key: ACMEAccountKey = ACMEAccountKey(), badNonceRetries: Int = 1
) -> ACMEClient {
    ACMEClient(
        configuration: ACMEClient.Configuration(
            directoryURL: pebble.directoryURL, contactEmails: ["ops@example.com"], termsOfServiceAgreed: true,
            polling: ACMEPollingPolicy(maximumAttempts: 600, interval: .milliseconds(100)), badNonceRetries: badNonceRetries
        ),
        accountKey: key, httpClient: httpClient, logger: Logger(label: "acme-test")
    )
}

/// The chain verifies (RFC 5280) from the leaf to the root pebble's management API gives.
private func expectChainsToPebblesRoot(_ bundle: CertificateBundle, pebble: PebbleServer, httpClient: HTTPClient) async throws {
    let root = try Certificate(pemEncoded: try await pebble.rootCertificatePEM(using: httpClient))
    var verifier = Verifier(rootCertificates: CertificateStore([root])) { RFC5280Policy(validationTime: Date()) }
    let result = await verifier.validate(
        leafCertificate: bundle.certificates[0], intermediates: CertificateStore(bundle.certificates.dropFirst())
    )
    guard case .validCertificate = result else {
        Issue.record("the chain does not verify against pebble's root: \(result)")
        return
    }
    // Another root (one this test made) does not verify it.
    let stranger = try TestCertificateAuthority().certificate
    var strangerVerifier = Verifier(rootCertificates: CertificateStore([stranger])) { RFC5280Policy(validationTime: Date()) }
    let strangerResult = await strangerVerifier.validate(
        leafCertificate: bundle.certificates[0], intermediates: CertificateStore(bundle.certificates.dropFirst())
    )
    if case .validCertificate = strangerResult { Issue.record("the chain verified against an unrelated root") }
}
