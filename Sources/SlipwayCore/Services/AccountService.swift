public import Foundation

/// Users, passwords and sessions (docs/tenancy.md): logging in, changing and resetting passwords, and the install
/// administrators' management of users. Every password rule and every hashing goes through here.
public struct AccountService: Sendable {
    /// How configurable the service is.
    public struct Configuration: Sendable {
        /// How long a session lasts after logging in.
        public var sessionLifetime: Duration

        /// The defaults: sessions last 30 days.
        public init(sessionLifetime: Duration = .seconds(30 * 24 * 3600)) {
            self.sessionLifetime = sessionLifetime
        }
    }

    public let identities: any IdentityRepository
    public let passwords: any PasswordHasher
    public let configuration: Configuration
    /// The current time (the tests move it).
    public let now: @Sendable () -> Date

    public init(
        identities: any IdentityRepository, passwords: any PasswordHasher, configuration: Configuration = Configuration(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.identities = identities
        self.passwords = passwords
        self.configuration = configuration
        self.now = now
    }

    /// A new session and its secret (shown once).
    public struct LoggedIn: Sendable {
        public var caller: Caller
        public var secret: String
    }

    /// Logs in: a new session acting in the user's default workspace (none for a user who belongs to none yet), or nil when the login or the password is wrong (the
    /// caller cannot tell which: an unknown login costs a hash as well).
    public func logIn(login: String, password: String) async throws -> LoggedIn? {
        let normalized = UserLogin.normalize(login)
        guard !normalized.isEmpty, let credentials = try await identities.credentials(login: normalized),
            let hash = credentials.passwordHash
        else {
            try await passwords.verifyNothing(password)
            return nil
        }
        guard try await passwords.verify(password, against: hash) else { return nil }
        let secret = LoginSession.generateSecret()
        let start = now()
        let caller = try await identities.createSession(
            userID: credentials.user.id, secret: secret, createdAt: start,
            expiresAt: start.addingTimeInterval(Self.seconds(configuration.sessionLifetime))
        )
        return LoggedIn(caller: caller, secret: secret)
    }

    /// The caller's active sessions.
    public func sessions(of caller: Caller) async throws -> [LoginSession] {
        try await identities.sessions(userID: caller.user.id, activeAt: now())
    }

    /// Revokes one of the caller's sessions; `SlipwayError.notFound` when they have no active session `id`.
    public func revokeSession(_ id: Int64, of caller: Caller) async throws {
        guard try await identities.revokeSession(id: id, userID: caller.user.id, at: now()) else {
            throw SlipwayError.notFound("session \(id) not found")
        }
    }

    /// The outcome of a password change.
    public enum PasswordChange: Sendable, Equatable {
        case changed
        /// `current_password` was not the current password: a failed authentication.
        case wrongCurrentPassword
    }

    /// Changes the caller's password after checking the current one, and revokes every other session of theirs.
    public func changePassword(of caller: Caller, current: String, new: String) async throws -> PasswordChange {
        try check(PasswordPolicy.problems(new, login: caller.user.login, field: "new_password"))
        guard let hash = try await identities.credentials(userID: caller.user.id)?.passwordHash,
            try await passwords.verify(current, against: hash)
        else { return .wrongCurrentPassword }
        let newHash = try await passwords.hash(new)
        try await identities.setPasswordHash(newHash, userID: caller.user.id, keepingSession: caller.session?.id, at: now())
        return .changed
    }

    /// Every user of the install (install administrators only).
    public func users(by administrator: Caller) async throws -> [User] {
        try administrator.requireInstallAdministrator()
        return try await identities.users()
    }

    /// Creates a user (install administrators only), a member of no workspace until invited or made an owner; every
    /// wrong field is named.
    public func createUser(login: String, password: String, email: String?, by administrator: Caller) async throws -> User {
        try administrator.requireInstallAdministrator()
        var problems = UserLogin.problems(login)
        if let email { problems += EmailAddress.problems(email) }
        problems += PasswordPolicy.problems(password, login: login)
        try check(problems)
        let hash = try await passwords.hash(password)
        let email = email.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        return try await identities.createUser(
            NewUser(login: login.trimmingCharacters(in: .whitespacesAndNewlines), email: email, passwordHash: hash)
        )
    }

    /// Sets a user's password (install administrators only) and revokes every session of that user.
    public func resetPassword(ofUser userID: Int64, to password: String, by administrator: Caller) async throws {
        try administrator.requireInstallAdministrator()
        guard let user = try await identities.user(id: userID) else { throw SlipwayError.notFound("user \(userID) not found") }
        try check(PasswordPolicy.problems(password, login: user.login))
        let hash = try await passwords.hash(password)
        try await identities.setPasswordHash(hash, userID: userID, keepingSession: nil, at: now())
    }

    private func check(_ problems: [FieldProblem]) throws {
        guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
