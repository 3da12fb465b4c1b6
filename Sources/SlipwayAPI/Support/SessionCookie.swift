import Foundation
import HTTPTypes
import Hummingbird
import SlipwayCore

/// The session cookie the dashboard uses (docs/tenancy.md): logging in sets it beside the token in the answer, logging
/// out clears it, and `BearerAuthenticator` takes a session secret from it when a request has no `Authorization`.
/// It is `HttpOnly` (scripts cannot read it) and `SameSite=Strict` (other sites' pages do not send it); a request it
/// authenticates that changes something must also come from Slipway's own origin.
enum SessionCookie {
    static let name = "slipway_session"

    /// The cookie holding a new session's secret, living as long as the session.
    static func make(secret: String, expiresAt: Date, now: Date = Date()) -> Cookie {
        Cookie(
            name: name, value: secret, maxAge: max(0, Int(expiresAt.timeIntervalSince(now))), path: "/", secure: false, httpOnly: true,
            sameSite: .strict
        )
    }

    /// The cookie that removes it.
    static var cleared: Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/", secure: false, httpOnly: true, sameSite: .strict)
    }

    /// The session secret a request's cookie carries, if any (API tokens are never taken from a cookie).
    static func secret(in request: Request) -> String? {
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
