import Foundation
import HTTPTypes
import Hummingbird
import SlipwayCore

/// The session cookie the dashboard uses (docs/tenancy.md): logging in sets it beside the token in the answer, logging
/// out clears it, and `BearerAuthenticator` takes a session secret from it when a request has no `Authorization`.
/// It is `HttpOnly` (scripts cannot read it) and `SameSite=Strict` (other sites' pages do not send it); a request it
/// authenticates that changes something must also come from Slipway's own origin.
///
/// Over HTTPS the cookie is `__Host-slipway_session` (`Secure`, no `Domain`): a browser lets no other host set a cookie
/// of that name, so a tenant's site on a subdomain cannot plant its own session in a user's dashboard (cookie
/// tossing, docs/tenancy.md). Over plain HTTP no cookie attribute can prevent that; a request that came over HTTPS
/// reads only the `__Host-` cookie.
enum SessionCookie {
    static let plainName = "slipway_session"
    static let secureName = "__Host-slipway_session"

    /// Whether the request came over HTTPS (the edge's TLS listener says so).
    static func isSecure(_ request: Request) -> Bool { request.head.scheme == "https" }

    /// The cookie holding a new session's secret, living as long as the session.
    static func make(secret: String, expiresAt: Date, secure: Bool, now: Date = Date()) -> Cookie {
        Cookie(
            name: secure ? secureName : plainName, value: secret, maxAge: max(0, Int(expiresAt.timeIntervalSince(now))), path: "/",
            secure: secure, httpOnly: true, sameSite: .strict
        )
    }

    /// The cookie that removes it.
    static func cleared(secure: Bool) -> Cookie {
        Cookie(name: secure ? secureName : plainName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// The session secret a request's cookie carries, if any (API tokens are never taken from a cookie).
    static func secret(in request: Request) -> String? {
        let name = isSecure(request) ? secureName : plainName
        guard let value = request.cookies[name]?.value, value.hasPrefix(LoginSession.secretPrefix) else { return nil }
        return value
    }

    /// Whether a request authenticated by the cookie may go on: reading always; changing only when the browser says
    /// it comes from the same origin (`Sec-Fetch-Site`) and its `Origin`, when sent, is the host it was sent to.
    static func allows(_ request: Request) -> Bool {
        if [.get, .head, .options].contains(request.method) { return true }
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], !["same-origin", "none"].contains(site.lowercased()) {
            return false
        }
        if let origin = request.headers[.origin] {
            guard let components = URLComponents(string: origin), let host = components.host, let requested = request.head.authority else {
                return false
            }
            let originAuthority = host + (components.port.map { ":\($0)" } ?? "")
            return originAuthority.lowercased() == requested.lowercased()
        }
        return true
    }
}
