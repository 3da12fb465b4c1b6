import Foundation
import SlipwayCore
import Testing

@testable import SlipwayServer

/// The certificate work's rules without a CA: what is due, the backoff, the states of an attempt.
@Suite struct CertificateScheduleTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func domain(_ state: CertificateState, hostname: String = "shop.example.com") -> Domain {
        Domain(id: 1, hostname: hostname, projectID: 1, branch: nil, createdAt: now, certificate: state, verifiedAt: now)
    }

    @Test func aDomainIsDueWhenNewOrItsNextAttemptHasComeAndNeverWhenUploadedOrAWildcard() {
        #expect(CertificateSchedule.isDue(Self.domain(CertificateState()), at: Self.now))
        let later = Self.now.addingTimeInterval(60)
        #expect(CertificateSchedule.isDue(Self.domain(CertificateState(status: .issued, nextAttemptAt: later)), at: Self.now) == false)
        #expect(CertificateSchedule.isDue(Self.domain(CertificateState(status: .issued, nextAttemptAt: later)), at: later))
        #expect(CertificateSchedule.isDue(Self.domain(CertificateState(status: .failed, nextAttemptAt: later)), at: Self.now) == false)
        #expect(CertificateSchedule.isDue(Self.domain(CertificateState(status: .issued, source: .uploaded)), at: Self.now) == false)
        #expect(CertificateSchedule.isDue(Self.domain(CertificateState(), hostname: "*.example.com"), at: Self.now) == false)
        // A name not proven yet gets no certificate.
        var unproven = Self.domain(CertificateState())
        unproven.verifiedAt = nil
        #expect(CertificateSchedule.isDue(unproven, at: Self.now) == false)
    }

    @Test func theRetryDelayDoublesFromAMinuteToSixHoursAndWaitsForTheCAsRetryAfter() {
        let schedule = CertificateSchedule(firstRetryDelay: .seconds(60), longestRetryDelay: .seconds(6 * 3600))
        let delays = (1...10).map { schedule.retryDelay(failures: $0, now: Self.now, retryAfter: nil) }
        #expect(delays == [60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 21600])
        #expect(schedule.retryDelay(failures: 1000, now: Self.now, retryAfter: nil) == 21600)
        let rateLimited = Self.now.addingTimeInterval(3 * 3600)
        #expect(schedule.retryDelay(failures: 1, now: Self.now, retryAfter: rateLimited) == 3 * 3600)
        #expect(schedule.retryDelay(failures: 10, now: Self.now, retryAfter: Self.now.addingTimeInterval(5)) == 21600)
    }

    @Test func aFailureWithoutACertificateIsFailedAndAFailedRenewalStaysRenewing() {
        let issued = CertificateState(status: .issued, notAfter: Self.now, issuer: "CN=CA", nextAttemptAt: Self.now)
        let attempting = CertificateSchedule.attempting(issued, hasCertificate: true)
        #expect(attempting.status == .renewing && attempting.notAfter == Self.now && attempting.nextAttemptAt == nil)
        let next = Self.now.addingTimeInterval(60)
        let renewalFailed = CertificateSchedule.failed(attempting, hasCertificate: true, error: "the CA refused", nextAttemptAt: next)
        #expect(
            renewalFailed
                == CertificateState(
                    status: .renewing, notAfter: Self.now, issuer: "CN=CA", lastError: "the CA refused", nextAttemptAt: next, failedAttempts: 1))
        let first = CertificateSchedule.attempting(CertificateState(), hasCertificate: false)
        #expect(first.status == .pending)
        #expect(CertificateSchedule.failed(first, hasCertificate: false, error: "no", nextAttemptAt: next).status == .failed)
    }

    @Test func eachFailureInARowCountsOneMoreAndAnAttemptKeepsTheCount() {
        let next = Self.now.addingTimeInterval(60)
        var state = CertificateState()
        for expected in 1...3 {
            let attempting = CertificateSchedule.attempting(state, hasCertificate: false)
            #expect(attempting.failedAttempts == expected - 1)
            state = CertificateSchedule.failed(attempting, hasCertificate: false, error: "refused", nextAttemptAt: next)
            #expect(state.failedAttempts == expected)
        }
    }

    @Test func acmeNeedsTheHTTPSListenerAndAnHTTPSDirectory() throws {
        var configuration = SlipwayConfiguration()
        #expect(try configuration.checkACME() == nil)
        configuration.acme.acceptsTerms = true
        #expect(throws: StartupError.self) { try configuration.checkACME() }
        configuration.httpsPort = 8443
        #expect(try configuration.checkACME() == nil)
        configuration.acme.directoryURL = "http://ca.example/dir"
        #expect(throws: StartupError.self) { try configuration.checkACME() }
        #expect(throws: ConfigurationError.self) { try configuration.acme.setChallenges("dns-01", name: "--acme-challenge") }
        try configuration.acme.setChallenges("tls-alpn-01", name: "--acme-challenge")
        #expect(configuration.acme.challenges == ["tls-alpn-01"])
    }
}
