import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import SlipwayCertificates
import SlipwayCore
import SlipwayEdge
import Synchronization

/// Obtains and renews the certificates of custom domains through ACME, and keeps the edge's stored certificates in
/// step with the store. A service of the group, after the start-up work (which loaded the stored certificates):
/// - a new domain wakes it (`domainAdded`); it asks the CA at once, the edge answering the challenge;
/// - an issued certificate is renewed once its renewal date (two thirds of its life) has passed, the old one serving
///   meanwhile (`renewing`);
/// - a failed attempt is recorded with the CA's words and tried again after a wait that doubles with each failure
///   in a row (counted in the store, so a restart goes on waiting; never shorter than the CA's `Retry-After`); a
///   failed renewal is logged as an error;
/// - uploaded certificates and wildcard names are never touched.
/// Without `--acme-accept-terms` it requests nothing: new domains stay `pending` with `lastError` saying why.
final class CertificateManager: Service, DomainCertificateObserver {
    /// How the manager reaches the CA; nil when ACME is off.
    struct ACME: Sendable {
        var settings: ACMESettings
        /// The PEM of `--acme-ca-file`, trusted for the connection to the CA.
        var trustedCertificatesPEM: String?
    }

    private let domains: any DomainRepository
    private let certificates: any CertificateRepository
    private let source: StoredCertificateSource
    private let challenges: ACMEChallenges
    private let acme: ACME?
    /// Why no certificate is requested, when ACME is off.
    private let offReason: String
    private let schedule: CertificateSchedule
    private let idleInterval: Duration
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let wakeUp = WakeUpSignal()
    /// Set when the CA no longer knows the account (its database was reset): the next pass makes a new client, which
    /// registers the account key again.
    private let accountLost = Mutex(false)
    /// What must happen before the CA is asked to validate: the listeners that answer the challenges are up.
    private let listening: [OneTimeEvent]

    init(
        domains: any DomainRepository, certificates: any CertificateRepository, source: StoredCertificateSource, challenges: ACMEChallenges,
        settings: ACMESettings, acme: ACME?, offReason: String, listening: [OneTimeEvent], logger: Logger
    ) {
        self.listening = listening
        self.domains = domains
        self.certificates = certificates
        self.source = source
        self.challenges = challenges
        self.acme = acme
        self.offReason = offReason
        self.schedule = CertificateSchedule(firstRetryDelay: settings.firstRetryDelay, longestRetryDelay: settings.longestRetryDelay)
        self.idleInterval = settings.idleInterval
        self.now = settings.now
        self.logger = logger
    }

    // MARK: The store's certificates in the edge

    /// Loads every stored certificate into the edge (a start-up step, before the HTTPS listener serves). One that
    /// cannot be used is logged and left out; its domain gets a new one through ACME when it is due.
    func loadStoredCertificates() async throws {
        var loaded: [String: EdgeCertificate] = [:]
        for stored in try await certificates.allCertificates() {
            if let certificate = edgeCertificate(stored) { loaded[stored.hostname] = certificate }
        }
        source.replaceAll(loaded)
        if !loaded.isEmpty { logger.info("HTTPS: \(loaded.count) stored certificates of custom domains loaded") }
    }

    private func edgeCertificate(_ stored: StoredCertificate) -> EdgeCertificate? {
        do {
            return try EdgeCertificate(chainPEM: stored.chainPEM, privateKeyPEM: stored.privateKeyPEM)
        } catch {
            logger.error("the stored certificate of \(stored.hostname) cannot be served: \(error)")
            return nil
        }
    }

    func domainAdded(_ domain: Domain) {
        wakeUp.signal()
    }

    func domainRemoved(hostname: String) {
        source.remove(hostname: hostname)
    }

    func certificateStored(_ certificate: StoredCertificate) {
        if let loaded = edgeCertificate(certificate) { source.set(loaded, hostname: certificate.hostname) }
    }

    // MARK: The work

    func run() async throws {
        await cancelWhenGracefulShutdown {
            if let acme = self.acme {
                await self.runACME(acme)
            } else {
                await self.runWithoutACME()
            }
        }
    }

    /// ACME off: every domain waiting for a certificate from ACME says why it gets none.
    private func runWithoutACME() async {
        while !Task.isCancelled {
            do {
                for domain in try await domains.allDomains() where CertificateSchedule.isManaged(domain) && domain.certificate.status == .pending {
                    guard domain.certificate.lastError != offReason else { continue }
                    var state = domain.certificate
                    state.lastError = offReason
                    _ = try await certificates.setACMEState(state, hostname: domain.hostname)
                }
            } catch {
                if Task.isCancelled { return }
                logger.error("certificates: cannot read the domains: \(error)")
            }
            await wakeUp.wait(timeout: idleInterval)
        }
    }

    private func runACME(_ acme: ACME) async {
        // The CA connects to the plain listener (HTTP-01) and the HTTPS one (TLS-ALPN-01): both must be up first.
        for event in listening {
            guard await event.wait() else { return }
        }
        let httpClient: HTTPClient
        do {
            httpClient = try ACMEHTTPClient.make(trustedCertificatesPEM: acme.trustedCertificatesPEM)
        } catch {
            logger.critical("certificates: the HTTP client for the CA cannot be made, no certificate will be requested: \(error)")
            return
        }
        logger.info("certificates: ACME with \(acme.settings.directoryURL)")
        var client: ACMEClient?
        while !Task.isCancelled {
            var wait = idleInterval
            do {
                if accountLost.withLock({ lost in
                    defer { lost = false }; return lost
                }) {
                    client = nil
                }
                if client == nil { client = try await makeClient(acme, httpClient: httpClient) }
                if let client, let next = try await attemptDue(client, challengeTypes: Self.challengeTypes(acme.settings)) {
                    let seconds = max(0, next.timeIntervalSince(now()))
                    wait = min(wait, .milliseconds(Int64(seconds * 1000) + 10))
                }
            } catch {
                if Task.isCancelled { break }
                logger.error("certificates: \(error)")
            }
            await wakeUp.wait(timeout: wait)
        }
        try? await httpClient.shutdown()
    }

    private static func challengeTypes(_ settings: ACMESettings) -> [ACMEChallengeType] {
        settings.challenges.compactMap(ACMEChallengeType.init(rawValue:))
    }

    /// A client with the install's account key for this CA (made and stored on first use; one per directory URL).
    private func makeClient(_ acme: ACME, httpClient: HTTPClient) async throws -> ACMEClient {
        let directoryURL = acme.settings.directoryURL
        let pem: String
        if let stored = try await certificates.accountKey(directoryURL: directoryURL) {
            pem = stored
        } else {
            pem = try await certificates.storeAccountKey(ACMEAccountKey().pem, directoryURL: directoryURL)
        }
        let configuration = ACMEClient.Configuration(
            directoryURL: directoryURL, contactEmails: acme.settings.email.map { [$0] } ?? [], termsOfServiceAgreed: true, now: now)
        return ACMEClient(configuration: configuration, accountKey: try ACMEAccountKey(pem: pem), httpClient: httpClient, logger: logger)
    }

    /// One pass: an attempt for every domain that is due, one after the other. Returns the earliest time a domain
    /// is due next.
    private func attemptDue(_ client: ACMEClient, challengeTypes: [ACMEChallengeType]) async throws -> Date? {
        var next: Date?
        for domain in try await domains.allDomains() where CertificateSchedule.isManaged(domain) {
            if Task.isCancelled { return nil }
            var due = domain.certificate.nextAttemptAt
            if CertificateSchedule.isDue(domain, at: now()) {
                due = try await attempt(domain, client: client, challengeTypes: challengeTypes)
            }
            if let due { next = min(next ?? due, due) }
        }
        return next
    }

    /// Asks the CA for the domain's certificate and records the outcome; returns when the next attempt is due.
    private func attempt(_ domain: Domain, client: ACMEClient, challengeTypes: [ACMEChallengeType]) async throws -> Date? {
        let hostname = domain.hostname
        let hasCertificate = source.certificate(hostname: hostname) != nil
        let attempting = CertificateSchedule.attempting(domain.certificate, hasCertificate: hasCertificate)
        guard try await certificates.setACMEState(attempting, hostname: hostname) else { return nil }
        logger.info("certificates: \(hasCertificate ? "renewing" : "requesting") the certificate of \(hostname)")
        let bundle: CertificateBundle
        do {
            bundle = try await client.issue(names: [hostname], preferring: challengeTypes, responder: EdgeChallengeResponder(challenges: challenges))
        } catch {
            if Task.isCancelled { return nil }
            return try await recordFailure(error, of: domain, attempting: attempting, hasCertificate: hasCertificate)
        }
        let state = CertificateState(
            status: .issued, notAfter: bundle.notAfter, issuer: bundle.issuer, lastError: nil, nextAttemptAt: bundle.renewalDate, source: .acme)
        let stored = StoredCertificate(hostname: hostname, chainPEM: bundle.chainPEM, privateKeyPEM: bundle.privateKeyPEM)
        // Removed meanwhile, or a certificate uploaded meanwhile: nothing is replaced.
        guard try await certificates.storeACMECertificate(stored, state: state) else { return nil }
        if let loaded = edgeCertificate(stored) { source.set(loaded, hostname: hostname) }
        logger.notice("certificates: \(hostname) has a certificate until \(bundle.notAfter) (renewed from \(bundle.renewalDate))")
        return bundle.renewalDate
    }

    /// Records a failed attempt with the CA's words and the next attempt's time (the backoff), and logs it: loudly
    /// for a renewal. Returns the next attempt's time.
    private func recordFailure(_ error: ACMEError, of domain: Domain, attempting: CertificateState, hasCertificate: Bool) async throws -> Date {
        let hostname = domain.hostname
        if error.problem?.kind == .accountDoesNotExist { accountLost.withLock { $0 = true } }
        let now = now()
        let delay = schedule.retryDelay(failures: attempting.failedAttempts + 1, now: now, retryAfter: error.retryAfter)
        let nextAttempt = now.addingTimeInterval(delay)
        let failed = CertificateSchedule.failed(attempting, hasCertificate: hasCertificate, error: error.description, nextAttemptAt: nextAttempt)
        _ = try await certificates.setACMEState(failed, hostname: hostname)
        if hasCertificate {
            let expiry = domain.certificate.notAfter.map { "\($0)" } ?? "unknown"
            logger.error(
                "certificates: RENEWAL FAILED for \(hostname) (the current certificate expires \(expiry)); next attempt \(nextAttempt): \(error)")
        } else {
            logger.warning("certificates: no certificate for \(hostname); next attempt \(nextAttempt): \(error)")
        }
        return nextAttempt
    }
}
