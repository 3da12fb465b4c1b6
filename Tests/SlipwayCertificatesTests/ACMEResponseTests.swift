import Foundation
import NIOHTTP1
import Testing

@testable import SlipwayCertificates

@Suite struct ACMEResponseTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func retryAfterReadsSecondsAndEachHTTPDateForm() {
        #expect(RetryAfter.date(from: "120", now: now) == now.addingTimeInterval(120))
        #expect(RetryAfter.date(from: " 0 ", now: now) == now)
        let date = Date(timeIntervalSince1970: 1_445_412_480)
        #expect(RetryAfter.date(from: "Wed, 21 Oct 2015 07:28:00 GMT", now: now) == date)
        #expect(RetryAfter.date(from: "Wednesday, 21-Oct-15 07:28:00 GMT", now: now) == date)
        #expect(RetryAfter.date(from: "Wed Oct 21 07:28:00 2015", now: now) == date)
        #expect(RetryAfter.date(from: "-5", now: now) == nil)
        #expect(RetryAfter.date(from: "soon", now: now) == nil)
        #expect(RetryAfter.date(from: "", now: now) == nil)
    }

    @Test func pollingWaitsWhatRetryAfterAsksUpToALimit() {
        let policy = ACMEPollingPolicy(maximumAttempts: 5, interval: .seconds(2), longestWait: .seconds(60))
        #expect(policy.delay(retryAfterHeader: nil, now: now) == .seconds(2))
        #expect(policy.delay(retryAfterHeader: "7", now: now) == .seconds(7))
        #expect(policy.delay(retryAfterHeader: "Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .zero)
        #expect(policy.delay(retryAfterHeader: "86400", now: now) == .seconds(60))
        #expect(policy.delay(retryAfterHeader: "whenever", now: now) == .seconds(2))
    }

    @Test func aRateLimitRefusalCarriesTheProblemAndWhenToRetry() {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/problem+json")
        headers.add(name: "Retry-After", value: "3600")
        let body = #"""
            {"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many certificates already issued","status":429}
            """#
        let response = ACMEClient.Response(url: "https://ca.test/new-order", status: 429, headers: headers, body: Array(body.utf8))
        let error = response.error(now: now)
        #expect(error.isRateLimited)
        #expect(error.retryAfter == now.addingTimeInterval(3600))
        #expect(
            error.problem == ACMEProblem(type: "urn:ietf:params:acme:error:rateLimited", detail: "too many certificates already issued", status: 429))
        #expect(error.description.contains("too many certificates already issued"))
    }

    @Test func subproblemsNameTheirIdentifiers() throws {
        let body = #"""
            {"type":"urn:ietf:params:acme:error:malformed","detail":"Some of the identifiers requested were rejected","subproblems":[
              {"type":"urn:ietf:params:acme:error:malformed","detail":"Invalid underscore in DNS name \"_example.org\"",
               "identifier":{"type":"dns","value":"_example.org"}},
              {"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"This CA will not issue for \"example.net\"",
               "identifier":{"type":"dns","value":"example.net"}}]}
            """#
        let response = ACMEClient.Response(url: "https://ca.test/new-order", status: 400, headers: HTTPHeaders(), body: Array(body.utf8))
        let problem = try #require(response.error(now: now).problem)
        #expect(problem.kind == .malformed)
        #expect(problem.subproblems?.map(\.identifier) == [.dns("_example.org"), .dns("example.net")])
        #expect(problem.subproblems?.last.flatMap { ACMEProblem(type: $0.type).kind } == .rejectedIdentifier)
        #expect(problem.description.contains(#"example.net: This CA will not issue for "example.net""#))
        #expect(response.error(now: now).retryAfter == nil)
    }

    @Test func aFailureWithoutAProblemDocumentKeepsTheStatusAndTheBody() {
        let response = ACMEClient.Response(url: "https://ca.test/dir", status: 502, headers: HTTPHeaders(), body: Array("Bad Gateway".utf8))
        let problem = response.error(now: now).problem
        #expect(problem?.status == 502)
        #expect(problem?.detail == "HTTP 502 from https://ca.test/dir: Bad Gateway")
        #expect(problem?.kind == nil)
    }
}
