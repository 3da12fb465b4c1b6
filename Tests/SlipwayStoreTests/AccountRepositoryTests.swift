import Foundation
import Logging
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

/// Users, password hashes and login sessions in the store (migration 10), on SQLite and PostgreSQL.
@Suite struct AccountRepositoryTests {
    private let hasher = ScryptPasswordHasher()

    @Test("Logins are unique whatever their case; credentials are found by the normalized login", arguments: TestDatabase.all)
    func loginsAreUnique(database: TestDatabase) async throws {
        try await database.withStore { store in
            let admin = try await Fixtures.bootstrap(store)
            let user = try await store.identities.createUser(
                NewUser(login: "  Ada@Example.com ", email: "ada@example.com", passwordHash: "$scrypt$x"))
            #expect(user.login == "ada@example.com")
            #expect(user.name == "Ada@Example.com")
            #expect(user.email == "ada@example.com")
            #expect(!user.isInstallAdministrator)
            #expect(try await store.tenancy.memberships(userID: user.id).isEmpty)

            await #expect(throws: SlipwayError.invalid("login", "is taken")) {
                try await store.identities.createUser(NewUser(login: "ADA@example.COM"))
            }
            let found = try #require(try await store.identities.credentials(login: " ADA@EXAMPLE.COM"))
            #expect(found.user == user)
            #expect(found.passwordHash == "$scrypt$x")
            #expect(try await store.identities.credentials(userID: admin.user.id)?.passwordHash == nil)
            #expect(try await store.identities.credentials(login: "nobody") == nil)
            #expect(try await store.identities.users().map(\.id) == [admin.user.id, user.id])
            #expect(try await store.identities.user(id: user.id) == user)
        }
    }

    @Test("A session authenticates until it expires or is revoked, with its owner's scopes", arguments: TestDatabase.all)
    func sessionsExpireAndAreRevoked(database: TestDatabase) async throws {
        try await database.withStore { store in
            let admin = try await Fixtures.bootstrap(store)
            let start = StoredValue.storedPrecision(Date())
            let end = start.addingTimeInterval(3600)
            let secret = LoginSession.generateSecret()
            let created = try await store.identities.createSession(userID: admin.user.id, secret: secret, createdAt: start, expiresAt: end)
            #expect(created.user == admin.user && created.membership?.workspace == admin.workspace)
            #expect(created.membership?.role == .owner)
            let session = try #require(created.session)
            #expect(session.expiresAt == end)

            let identity = try #require(try await store.identities.authenticate(secret: secret, at: start.addingTimeInterval(1)))
            #expect(identity.session?.id == session.id)
            #expect(identity.session?.lastUsedAt == start.addingTimeInterval(1))
            #expect(identity.token == nil)
            #expect(identity.grants(.admin))
            // The clock moved to its expiry: no longer.
            #expect(try await store.identities.authenticate(secret: secret, at: end) == nil)
            #expect(try await store.identities.sessions(userID: admin.user.id, activeAt: end).isEmpty)
            #expect(try await store.identities.sessions(userID: admin.user.id, activeAt: start).map(\.id) == [session.id])
            // Only its secret opens it; a token-shaped guess looks at tokens only.
            #expect(try await store.identities.authenticate(secret: secret + "0", at: start) == nil)

            // Another user cannot revoke it; its own user can, once.
            let other = try await store.identities.createUser(NewUser(login: "bob"))
            #expect(try await store.identities.revokeSession(id: session.id, userID: other.id, at: start) == false)
            #expect(try await store.identities.revokeSession(id: session.id, userID: admin.user.id, at: start))
            #expect(try await store.identities.revokeSession(id: session.id, userID: admin.user.id, at: start) == false)
            #expect(try await store.identities.authenticate(secret: secret, at: start) == nil)

            // The secret is stored as its hash only.
            let stored = try await store.database.withConnection { session in
                try await session.value(String.self, column: "token_hash", "SELECT token_hash FROM sessions")
            }
            #expect(stored == StoredValue.tokenHash(secret))
        }
    }

    @Test("A new password revokes every other session of the user", arguments: TestDatabase.all)
    func newPasswordRevokesOtherSessions(database: TestDatabase) async throws {
        try await database.withStore { store in
            let admin = try await Fixtures.bootstrap(store)
            let now = Date()
            let secrets = (0..<3).map { _ in LoginSession.generateSecret() }
            var sessions: [LoginSession] = []
            for secret in secrets {
                let caller = try await store.identities.createSession(
                    userID: admin.user.id, secret: secret, createdAt: now, expiresAt: now.addingTimeInterval(60))
                sessions.append(try #require(caller.session))
            }
            try await store.identities.setPasswordHash("$scrypt$new", userID: admin.user.id, keepingSession: sessions[1].id, at: now)
            #expect(try await store.identities.credentials(userID: admin.user.id)?.passwordHash == "$scrypt$new")
            #expect(try await store.identities.sessions(userID: admin.user.id, activeAt: now).map(\.id) == [sessions[1].id])
            #expect(try await store.identities.authenticate(secret: secrets[0], at: now) == nil)
            #expect(try await store.identities.authenticate(secret: secrets[1], at: now) != nil)
            try await store.identities.setPasswordHash("$scrypt$newer", userID: admin.user.id, keepingSession: nil, at: now)
            #expect(try await store.identities.sessions(userID: admin.user.id, activeAt: now).isEmpty)
        }
    }

    @Test("Migration 10 gives the users of an older install logins and makes the first one the install administrator", arguments: TestDatabase.all)
    func migrationOfAnOlderInstall(database: TestDatabase) async throws {
        try await database.withFreshLocation { location in
            try await TestDatabase.withDatabase(at: location) { opened in
                try await Migrator(migrations: Array(Migrations.all.prefix(9))).migrate(opened, logger: .init(label: "test"))
                try await opened.withConnection { session in
                    let workspace = try await session.insertReturningID(
                        "INSERT INTO workspaces (uid, name, created_at) VALUES (\(bind: UUID().lowercased), 'default', 0) RETURNING id")
                    for name in ["Admin", "ADMIN", "ops"] {
                        try await session.run(
                            "INSERT INTO users (workspace_id, name, created_at) VALUES (\(bind: workspace), \(bind: name), 0)")
                    }
                }
            }
            try await TestDatabase.withStore(at: location) { store in
                let users = try await store.identities.users()
                #expect(users.map(\.login) == ["admin", "admin-\(users[1].id)", "ops"])
                #expect(users.map(\.isInstallAdministrator) == [true, false, false])
                #expect(try await store.identities.installAdministratorWithoutPassword()?.id == users[0].id)
                try await store.identities.setPasswordHash(
                    try await hasher.hash("a fine password"), userID: users[0].id, keepingSession: nil, at: Date())
                #expect(try await store.identities.installAdministratorWithoutPassword() == nil)
            }
        }
    }

    @Test func scryptHashesVerifyOnlyTheirPasswordAndHoldTheirParameters() async throws {
        let hash = try await hasher.hash("correct horse battery")
        #expect(hash.hasPrefix("$scrypt$ln=15,r=8,p=1$"))
        #expect(!hash.contains("correct"))
        #expect(try await hasher.verify("correct horse battery", against: hash))
        #expect(try await hasher.verify("correct horse batterY", against: hash) == false)
        #expect(try await hasher.verify("", against: hash) == false)
        // A fresh salt each time.
        #expect(try await hasher.hash("correct horse battery") != hash)

        // Parameters come from the hash: a cheaper one made elsewhere still verifies.
        let cheap = ScryptPasswordHasher(parameters: .init(logRounds: 10, blockSize: 8, parallelism: 1))
        let cheapHash = try await cheap.hash("correct horse battery")
        #expect(cheapHash.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(try await hasher.verify("correct horse battery", against: cheapHash))

        // What is not a hash it can read, or asks for too much work, verifies nothing (and throws nothing).
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        for bad in [
            "", "plain", "$scrypt$", "$bcrypt$ln=15,r=8,p=1$\(parts[3])$\(parts[4])", "$scrypt$ln=30,r=8,p=1$\(parts[3])$\(parts[4])",
            "$scrypt$ln=15,r=8$\(parts[3])$\(parts[4])", "$scrypt$ln=15,r=8,p=1$!!$\(parts[4])", "$scrypt$ln=15,r=8,p=1$\(parts[3])$",
        ] {
            #expect(try await hasher.verify("correct horse battery", against: bad) == false, "\(bad)")
        }
        #expect(ScryptPasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!ScryptPasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!ScryptPasswordHasher.constantTimeEqual([1, 2, 3], [1, 2]))
    }
}
