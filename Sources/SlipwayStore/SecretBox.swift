public import Crypto
import Foundation
public import SlipwayCore

/// Encrypts and decrypts secret values with AES-GCM (256-bit key). Each sealed value is bound to where it is stored
/// (its context, authenticated but not encrypted), so a ciphertext copied into another row does not open.
public struct SecretBox: Sendable {
    /// The key's 32 bytes (`SymmetricKey` itself is not `Sendable`).
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// The prefix of every sealed value: the format's version.
    static let prefix = "v1:"

    /// A box with this key, which must be 32 bytes.
    public init(key: SymmetricKey) {
        precondition(key.bitCount == 256, "a secret key must be 32 bytes")
        self.keyBytes = key.withUnsafeBytes { Data($0) }
    }

    /// The key from `SLIPWAY_SECRET_KEY` when set (base64 of exactly 32 bytes; anything else is refused), else from
    /// the key file, which is created with 32 random bytes and mode 0600 when it does not exist.
    public static func load(environmentValue: String?, keyFile: String) throws -> SecretBox {
        if let text = environmentValue {
            return SecretBox(key: try parseKey(text, source: "SLIPWAY_SECRET_KEY"))
        }
        if FileManager.default.fileExists(atPath: keyFile) {
            let text = try String(contentsOfFile: keyFile, encoding: .utf8)
            return SecretBox(key: try parseKey(text, source: "the key file \(keyFile)"))
        }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        let fd = open(keyFile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            // Another process created it meanwhile: use theirs.
            if errno == EEXIST { return try load(environmentValue: nil, keyFile: keyFile) }
            throw SecretKeyError("cannot create the key file \(keyFile): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        guard written == text.utf8.count, fsync(fd) == 0 else {
            try? FileManager.default.removeItem(atPath: keyFile)
            throw SecretKeyError("cannot write the key file \(keyFile)")
        }
        return SecretBox(key: key)
    }

    /// A key from base64 text of exactly 32 bytes (surrounding white space ignored).
    static func parseKey(_ text: String, source: String) throws -> SymmetricKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed) else {
            throw SecretKeyError("\(source) is not valid base64; it must be the base64 of 32 random bytes (e.g. `openssl rand -base64 32`)")
        }
        guard data.count == 32 else {
            throw SecretKeyError(
                "\(source) decodes to \(data.count) bytes; it must be the base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)")
        }
        return SymmetricKey(data: data)
    }

    /// `text` encrypted and authenticated together with `context`: `v1:` and the base64 of nonce, ciphertext and tag.
    /// The tokens that prove domains (`DomainOwnership`): HMAC-SHA256 of the workspace and the name under the
    /// install's key, 32 hex digits.
    public var domainOwnershipTokens: any DomainOwnershipTokens { KeyedDomainTokens(keyBytes: keyBytes) }

    func seal(_ text: String, context: String) throws -> String {
        let box = try AES.GCM.seal(Data(text.utf8), using: key, authenticating: Data(context.utf8))
        guard let combined = box.combined else { throw SecretKeyError("AES-GCM produced no combined box") }
        return Self.prefix + combined.base64EncodedString()
    }

    /// The text sealed with `context`; throws when the key or the context is not the one it was sealed with.
    func unseal(_ sealed: String, context: String) throws -> String {
        guard sealed.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count))) else {
            throw SecretKeyError("a stored secret (\(context)) is not in the sealed format")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: key, authenticating: Data(context.utf8)), as: UTF8.self)
        } catch {
            throw SecretKeyError("a stored secret (\(context)) cannot be decrypted with this key")
        }
    }
}

/// A secret key that cannot be used, or a secret that does not open with it.
public struct SecretKeyError: Error, CustomStringConvertible, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// `SecretBox.domainOwnershipTokens`.
struct KeyedDomainTokens: DomainOwnershipTokens {
    let keyBytes: Data

    func token(for hostname: String, workspaceID: Int64) -> String {
        let message = Data("slipway domain ownership/\(workspaceID)/\(hostname)".utf8)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: keyBytes))
        return code.prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
