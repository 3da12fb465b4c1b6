import Crypto
import Foundation
import SlipwayCore

/// Checks that a webhook delivery was sent by someone who knows the project's secret, in constant time.
enum WebhookSignature {
    /// Whether the delivery's signature (or GitLab's token) matches `secret`. A missing signature never matches.
    static func verify(provider: WebhookProvider, headers: [String: String], body: some DataProtocol, secret: String) -> Bool {
        guard !secret.isEmpty else { return false }
        switch provider {
        case .gitlab:
            guard let token = headers["x-gitlab-token"] else { return false }
            return constantTimeEquals(Array(token.utf8), Array(secret.utf8))
        case .github:
            return verifyHMAC(headers["x-hub-signature-256"], prefix: "sha256=", body: body, secret: secret)
        case .gitea:
            if let signature = headers["x-gitea-signature"] ?? headers["x-forgejo-signature"] ?? headers["x-gogs-signature"] {
                return verifyHMAC(signature, prefix: "", body: body, secret: secret)
            }
            return verifyHMAC(headers["x-hub-signature-256"], prefix: "sha256=", body: body, secret: secret)
        case .generic:
            return verifyHMAC(headers["x-slipway-signature"] ?? headers["x-hub-signature-256"], prefix: "sha256=", body: body, secret: secret)
        }
    }

    /// HMAC-SHA256 of `body` under `secret` as lower-case hex: what senders put in their signature headers.
    static func sign(_ body: Data, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return code.map { String(format: "%02x", $0) }.joined()
    }

    private static func verifyHMAC(_ header: String?, prefix: String, body: some DataProtocol, secret: String) -> Bool {
        guard var signature = header?.trimmingCharacters(in: .whitespaces) else { return false }
        if !prefix.isEmpty {
            guard signature.lowercased().hasPrefix(prefix) else { return false }
            signature.removeFirst(prefix.count)
        }
        guard let code = hexBytes(signature), code.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    /// Compares two byte strings in time that depends only on their lengths.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 48...57: digit - 48
        case 97...102: digit - 87
        case 65...70: digit - 55
        default: nil
        }
    }
}
