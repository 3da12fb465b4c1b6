import Foundation
import SlipwayAPI
import Synchronization
import Testing

/// The budget of failed authentications per client address, and the slots of unverified webhook bodies, as values
/// on a clock the test moves.
@Suite struct AuthenticationFailureLimiterTests {
    static let configuration = AuthenticationFailureLimiter.Configuration(maximumFailures: 3, window: .seconds(60))

    @Test func anAddressIsRefusedAfterItsFailuresUntilTheWindowHasPassed() {
        let clock = ManualClock()
        let limiter = AuthenticationFailureLimiter(configuration: Self.configuration, clock: clock)
        for _ in 0..<2 {
            #expect(limiter.refusal(.token, address: "192.0.2.1") == nil)
            limiter.recordFailure(.token, address: "192.0.2.1")
        }
        clock.advance(by: .seconds(10))
        #expect(limiter.refusal(.token, address: "192.0.2.1") == nil)
        limiter.recordFailure(.token, address: "192.0.2.1")
        // The window began with the first failure: 50 s are left of it.
        #expect(limiter.refusal(.token, address: "192.0.2.1") == .seconds(50))
        #expect(limiter.refusal(.token, address: "192.0.2.2") == nil)
        #expect(limiter.refusal(.webhookSignature, address: "192.0.2.1") == nil)
        clock.advance(by: .seconds(49))
        #expect(limiter.refusal(.token, address: "192.0.2.1") == .seconds(1))
        clock.advance(by: .seconds(1))
        #expect(limiter.refusal(.token, address: "192.0.2.1") == nil)
    }

    @Test func failuresSpreadOverMoreThanOneWindowNeverAddUp() {
        let clock = ManualClock()
        let limiter = AuthenticationFailureLimiter(configuration: Self.configuration, clock: clock)
        for _ in 0..<10 {
            limiter.recordFailure(.token, address: "192.0.2.1")
            limiter.recordFailure(.token, address: "192.0.2.1")
            #expect(limiter.refusal(.token, address: "192.0.2.1") == nil)
            clock.advance(by: .seconds(61))
        }
    }

    @Test func webhookFailuresCountPerProjectAndAnAddressWithoutANameIsNeverCounted() {
        let limiter = AuthenticationFailureLimiter(configuration: Self.configuration, clock: ManualClock())
        for _ in 0..<3 { limiter.recordFailure(.webhookSignature, address: "192.0.2.1", scope: "project-a") }
        #expect(limiter.refusal(.webhookSignature, address: "192.0.2.1", scope: "project-a") != nil)
        #expect(limiter.refusal(.webhookSignature, address: "192.0.2.1", scope: "project-b") == nil)
        for _ in 0..<10 { limiter.recordFailure(.token, address: nil) }
        #expect(limiter.refusal(.token, address: nil) == nil)
    }

    @Test func aLimitOfZeroRefusesNobody() {
        let limiter = AuthenticationFailureLimiter(configuration: .init(maximumFailures: 0), clock: ManualClock())
        for _ in 0..<100 { limiter.recordFailure(.token, address: "192.0.2.1") }
        #expect(limiter.refusal(.token, address: "192.0.2.1") == nil)
    }

    @Test func retryAfterRoundsUp() {
        #expect(AuthenticationFailureLimiter.seconds(.milliseconds(1)) == 1)
        #expect(AuthenticationFailureLimiter.seconds(.seconds(42)) == 42)
        #expect(AuthenticationFailureLimiter.seconds(.milliseconds(42_001)) == 43)
    }

    @Test func aWebhookBodyGateHandsOutItsSlotsInTurnAndRefusesAfterTheWait() async throws {
        let gate = WebhookBodyGate(configuration: .init(slots: 2, wait: .milliseconds(300), smallBody: 1000))
        // Small bodies take no slot.
        let small = await gate.slot(forContentLength: 1000)
        #expect(small != nil)
        #expect(gate.availableSlots == 2)
        let first = try #require(await gate.slot(forContentLength: nil))
        let second = try #require(await gate.slot(forContentLength: 5000))
        #expect(gate.availableSlots == 0)
        // Nobody gives a slot back: the third waits its time and is refused.
        #expect(await gate.slot(forContentLength: 5000) == nil)
        // A slot given back while the third waits goes to it.
        async let third = gate.slot(forContentLength: 5000)
        first.release()
        let granted = try #require(await third)
        #expect(gate.availableSlots == 0)
        second.release()
        granted.release()
        #expect(gate.availableSlots == 2)
    }
}

/// A clock that stands still until the test moves it.
final class ManualClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (left: Instant, right: Instant) -> Bool { left.offset < right.offset }
    }

    private let current = Mutex(Duration.zero)
    var now: Instant { Instant(offset: current.withLock { $0 }) }
    var minimumResolution: Duration { .nanoseconds(1) }

    func advance(by duration: Duration) {
        current.withLock { $0 += duration }
    }

    /// Not used by the limiter, which only reads the time.
    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try await Task.sleep(for: now.duration(to: deadline))
    }
}
