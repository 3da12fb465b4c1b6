public import Foundation
import HTTPTypes
public import Hummingbird
import SlipwayCore

/// The session cookie the dashboard uses (docs/tenancy.md): logging in sets it beside the token in the answer, logging
/// out clears it, and `BearerAuthenticator` takes a session secret from it when a request has no `Authorization`.
/// It is `HttpOnly` (scripts cannot read it) and `SameSite=Lax`: other sites' pages do not send it with their requests
/// or forms, but a link to a dashboard page followed from elsewhere (a chat, a pull request) arrives logged in. A request
/// it authenticates that changes something must also come from Slipway's own origin (`allows`), and the dashboard's
/// forms carry a CSRF token besides (docs/dashboard.md).
///
/// Over HTTPS the cookie is `__Host-slipway_session` (`Secure`, no `Domain`): a browser lets no other host set a cookie
/// of that name, so a tenant's site on a subdomain cannot plant its own session in a user's dashboard (cookie
/// tossing, docs/tenancy.md). Over plain HTTP no cookie attribute can prevent that; a request that came over HTTPS
/// reads only the `__Host-` cookie.
public enum SessionCookie {
    /// The cookie's name over plain HTTP.
    public static let plainName = "slipway_session"
    /// The cookie's name over HTTPS.
    public static let secureName = "__Host-slipway_session"

    /// The cookie of the workspace the dashboard's switcher chose (its id): for a request the session cookie
    /// authenticates, it means what `X-Slipway-Workspace` means (the header wins when both are sent), so the
    /// dashboard's own calls to the API (the live log) act in the workspace its pages show.
    public static let workspaceName = "slipway_workspace"

    /// The workspace cookie choosing `workspaceID`, living as long as a session may.
    public static func workspace(_ workspaceID: Int64, secure: Bool) -> Cookie {
        Cookie(name: workspaceName, value: String(workspaceID), maxAge: 400 * 24 * 3600, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The workspace a request's workspace cookie names, if any.
    public static func workspace(in request: Request) -> String? {
        guard let value = request.cookies[workspaceName]?.value, !value.isEmpty, value.utf8.count <= 20 else { return nil }
        return value
    }

    /// Whether the request came over HTTPS (the edge's TLS listener says so).
    public static func isSecure(_ request: Request) -> Bool { request.head.scheme == "https" }

    /// The cookie holding a new session's secret, living as long as the session.
    public static func make(secret: String, expiresAt: Date, secure: Bool, now: Date = Date()) -> Cookie {
        Cookie(
            name: secure ? secureName : plainName, value: secret, maxAge: max(0, Int(expiresAt.timeIntervalSince(now))), path: "/",
            secure: secure, httpOnly: true, sameSite: .lax
        )
    }

    /// The cookie that removes it.
    public static func cleared(secure: Bool) -> Cookie {
        Cookie(name: secure ? secureName : plainName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The session secret a request's cookie carries, if any (an API token is never taken from the session cookie:
    /// only from the token cookie, `token(in:)`).
    public static func secret(in request: Request) -> String? {
        let name = isSecure(request) ? secureName : plainName
        guard let value = request.cookies[name]?.value, value.hasPrefix(LoginSession.secretPrefix) else { return nil }
        return value
    }

    /// The cookie of a dashboard logged in with a pasted API token (docs/dashboard.md), over plain HTTP and over HTTPS
    /// (`__Host-`, as the session's). `HttpOnly`, `SameSite=Lax`, `Path=/`, without `Max-Age`: the browser forgets it
    /// when it closes, and logging out clears it. Only a value shaped like an API token is read from it.
    public static let tokenPlainName = "slipway_token"
    /// The token cookie's name over HTTPS.
    public static let tokenSecureName = "__Host-slipway_token"

    /// The cookie holding a pasted API token.
    public static func token(_ secret: String, secure: Bool) -> Cookie {
        Cookie(name: secure ? tokenSecureName : tokenPlainName, value: secret, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The cookie that removes the token cookie.
    public static func clearedToken(secure: Bool) -> Cookie {
        Cookie(name: secure ? tokenSecureName : tokenPlainName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }

    /// The API token a request's token cookie carries, if any (a request over HTTPS reads only the `__Host-` one).
    public static func token(in request: Request) -> String? {
        let name = isSecure(request) ? tokenSecureName : tokenPlainName
        guard let value = request.cookies[name]?.value, value.hasPrefix("slw_"), value.utf8.count <= 100 else { return nil }
        return value
    }

    /// Whether a request authenticated by the cookie may go on: reading always; changing only when the browser says
    /// it comes from the same origin (`Sec-Fetch-Site`) and its `Origin`, when sent, is the host it was sent to.
    public static func allows(_ request: Request) -> Bool {
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
