import Foundation

/// Logins: a name or an email address, unique on the install regardless of case.
public enum UserLogin {
    /// The longest login (the longest email address).
    public static let maximumLength = 254

    /// The form a login is stored and compared in: without surrounding white space, lower case.
    public static func normalize(_ login: String) -> String {
        login.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// The problems of `login` (as given, before normalizing), each naming `field`: 1 to 254 characters of letters,
    /// digits and `. _ - @ +`.
    public static func problems(_ login: String, field: String = "login") -> [FieldProblem] {
        let normalized = normalize(login)
        if normalized.isEmpty { return [FieldProblem(field: field, message: "is required")] }
        if normalized.count > maximumLength {
            return [FieldProblem(field: field, message: "must be at most \(maximumLength) characters")]
        }
        let allowed = normalized.allSatisfy { $0.isLetter || $0.isNumber || "._-@+".contains($0) }
        guard allowed else {
            return [FieldProblem(field: field, message: "may hold only letters, digits and . _ - @ + (a name or an email address)")]
        }
        return []
    }
}

/// Email addresses: optional on a user, one `@` between a local part and a domain, no white space.
public enum EmailAddress {
    /// The problems of `email`, each naming `field`.
    public static func problems(_ email: String, field: String = "email") -> [FieldProblem] {
        let trimmed = email.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        if trimmed.count > UserLogin.maximumLength || parts.count != 2 || parts.contains(where: \.isEmpty)
            || trimmed.contains(where: { $0.isWhitespace || $0.isNewline })
        {
            return [FieldProblem(field: field, message: "must be an email address such as ada@example.com")]
        }
        return []
    }
}

/// The rules a new password must meet (docs/tenancy.md). Each broken rule is one problem naming the field.
public enum PasswordPolicy {
    public static let minimumLength = 12
    public static let maximumLength = 1024

    /// The problems of `password` for the user whose login is `login`, each naming `field`.
    public static func problems(_ password: String, login: String, field: String = "password") -> [FieldProblem] {
        let length = password.count
        if length < minimumLength {
            return [FieldProblem(field: field, message: "must be at least \(minimumLength) characters long")]
        }
        if length > maximumLength {
            return [FieldProblem(field: field, message: "must be at most \(maximumLength) characters long")]
        }
        if let first = password.first, password.allSatisfy({ $0 == first }) {
            return [FieldProblem(field: field, message: "must not be one character repeated")]
        }
        if UserLogin.normalize(password) == UserLogin.normalize(login) {
            return [FieldProblem(field: field, message: "must not be the login")]
        }
        return []
    }
}

/// Turns passwords into stored hashes and checks a password against one. Implementations use a memory-hard function
/// with a random salt, encode its parameters in the hash, compare in constant time, and do the work off the
/// cooperative thread pool.
public protocol PasswordHasher: Sendable {
    /// A new hash of `password`, with a fresh salt.
    func hash(_ password: String) async throws -> String
    /// Whether `password` is the one `hash` was made from. A hash that cannot be read is false, never an error.
    func verify(_ password: String, against hash: String) async throws -> Bool
    /// Does the work of one verification for nothing: answering an unknown login takes as long as a wrong password.
    func verifyNothing(_ password: String) async throws
}

/// Workspace names: unique on the install, and what `X-Slipway-Workspace` may name a workspace by.
public enum WorkspaceName {
    public static let maximumLength = 63

    /// The form a name is compared in: without surrounding white space, lower case.
    public static func normalize(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// The problems of `name`, each naming `field`: 1 to 63 lower-case letters, digits and dashes, beginning with a
    /// letter (so that a name is never taken for an id) and not ending with a dash.
    public static func problems(_ name: String, field: String = "name") -> [FieldProblem] {
        if name.isEmpty { return [FieldProblem(field: field, message: "is required")] }
        if name.count > maximumLength { return [FieldProblem(field: field, message: "must be at most \(maximumLength) characters")] }
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard allowed, let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.last != "-" else {
            return [
                FieldProblem(
                    field: field, message: "must be lower-case letters, digits and dashes, beginning with a letter and not ending with a dash"
                )
            ]
        }
        return []
    }
}
