import Crypto
import Foundation

/// The dashboard's defences against cross-site request forgery and open redirects (docs/dashboard.md).
///
/// Every form of a logged-in page carries the session's CSRF token: an HMAC of a fixed label keyed with the session's
/// secret, so it is the same on every page of one session, differs between sessions, needs no storage, and cannot be
/// computed without the secret (which only the `HttpOnly` cookie holds). The login form, which has no session yet,
/// carries a random token that must equal the one in a short-lived cookie (double submit).
enum DashboardSecurity {
    /// The name of the hidden field that carries the token in every form.
    static let csrfField = "csrf"
    /// The cookie of the login form's double-submit token.
    static let loginCSRFCookie = "slipway_login_csrf"

    /// The CSRF token of the session whose secret is `sessionSecret` (or of the API token a visitor logged in with).
    static func csrfToken(sessionSecret: String) -> String {
        let key = SymmetricKey(data: Data(sessionSecret.utf8))
        let code = HMAC<SHA256>.authenticationCode(for: Data("slipway-dashboard-csrf-v1".utf8), using: key)
        return base64URL(Data(code))
    }

    /// A new random token for the login form.
    static func randomToken() -> String {
        base64URL(Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }))
    }

    /// Whether `sent` equals `expected`, comparing in time that does not depend on where they differ.
    static func tokensMatch(_ sent: String?, _ expected: String?) -> Bool {
        guard let sent, let expected, !expected.isEmpty else { return false }
        let (a, b) = (Array(sent.utf8), Array(expected.utf8))
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// `next` when it is a path on this site (`/projects/web?state=failed`), else `/`: never another host
    /// (`//evil.example`, `/\evil.example`, `https://…`), never a control character.
    static func localPath(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), next.utf8.count <= 2_000 else { return "/" }
        if next.hasPrefix("//") || next.hasPrefix("/\\") { return "/" }
        if next.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) { return "/" }
        return next
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
