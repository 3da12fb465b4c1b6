import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import SlipwayAPI

/// The dashboard's cookie over HTTPS is `__Host-slipway_session`, which no subdomain can set: a tenant's site cannot
/// plant its own session in a user's dashboard (cookie tossing, docs/tenancy.md).
@Suite struct SessionCookieTests {
    static func request(scheme: String, cookie: String) -> Request {
        var head = HTTPRequest(method: .get, scheme: scheme, authority: "slipway.example", path: "/api/v1/me")
        head.headerFields[.cookie] = cookie
        return Request(head: head, body: .init(buffer: ByteBuffer()))
    }

    @Test func overHTTPSOnlyTheHostPrefixedCookieIsReadAndSet() {
        let planted = "slipway_session=slws_planted"
        let own = "__Host-slipway_session=slws_own"
        #expect(SessionCookie.secret(in: Self.request(scheme: "https", cookie: planted)) == nil)
        #expect(SessionCookie.secret(in: Self.request(scheme: "https", cookie: planted + "; " + own)) == "slws_own")
        #expect(SessionCookie.secret(in: Self.request(scheme: "http", cookie: planted + "; " + own)) == "slws_planted")

        let expires = Date(timeIntervalSinceNow: 3600)
        let secure = SessionCookie.make(secret: "slws_x", expiresAt: expires, secure: true).description
        #expect(secure.hasPrefix("__Host-slipway_session=slws_x") && secure.contains("Secure") && secure.contains("Path=/"))
        #expect(!secure.contains("Domain"))
        let plain = SessionCookie.make(secret: "slws_x", expiresAt: expires, secure: false).description
        #expect(plain.hasPrefix("slipway_session=slws_x") && !plain.contains("Secure"))
        #expect(SessionCookie.cleared(secure: true).description.hasPrefix("__Host-slipway_session=;"))
    }
}
