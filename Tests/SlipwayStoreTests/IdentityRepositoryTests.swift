import Foundation
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

@Suite struct IdentityRepositoryTests {
    private struct StoredToken: Decodable {
        var name: String
        var scopes: String
        var tokenHash: String
    }

    @Test("Bootstrap creates a workspace, its admin and an admin token that authenticates", arguments: TestDatabase.all)
    func bootstrapAndAuthenticate(database: TestDatabase) async throws {
        try await database.withStore { store in
            #expect(try await store.identities.isEmpty())
            let secret = APIToken.generateSecret()
            let identity = try await Fixtures.bootstrap(store, workspace: "default", secret: secret)
            #expect(try await store.identities.isEmpty() == false)
            #expect(identity.workspace.name == "default")
            #expect(identity.user.name == "admin")
            #expect(identity.role == .owner)
            #expect(identity.token?.scopes == [.admin])
            #expect(identity.token?.userID == identity.user.id)
            #expect(identity.token?.lastUsedAt == nil)

            let before = Timestamp.now()
            let authenticated = try #require(try await store.identities.authenticate(secret: secret))
            #expect(authenticated.workspace == identity.workspace)
            #expect(authenticated.user == identity.user)
            #expect(authenticated.token?.id == identity.token?.id)
            #expect(authenticated.token?.scopes == [.admin])
            let lastUsed = try #require(authenticated.token?.lastUsedAt)
            #expect(lastUsed >= before)
            #expect(try await store.identities.tokens(workspaceID: identity.workspace.id).first?.lastUsedAt == lastUsed)

            #expect(try await store.identities.authenticate(secret: secret + "x") == nil)
            #expect(try await store.identities.authenticate(secret: "") == nil)
        }
    }

    @Test("Only the SHA-256 of a token secret is stored", arguments: TestDatabase.all)
    func onlyTheHashIsStored(database: TestDatabase) async throws {
        try await database.withStore { store in
            // The FIPS 180-2 test vector: SHA-256("abc").
            let secret = "abc"
            let expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
            _ = try await Fixtures.bootstrap(store, secret: secret)
            let rows = try await store.database.withConnection { session in
                try await session.all(StoredToken.self, "SELECT name, scopes, token_hash FROM api_tokens")
            }
            let row = try #require(rows.first)
            #expect(row.tokenHash == expected)
            #expect(try await store.identities.authenticate(secret: secret) != nil)
            #expect(try await store.identities.authenticate(secret: expected) == nil)
            #expect(row.scopes == "admin")
        }
    }

    @Test("A token with an expiry authenticates until its time and not from then on; one without never expires", arguments: TestDatabase.all)
    func tokensExpire(database: TestDatabase) async throws {
        try await database.withStore { store in
            let identity = try await Fixtures.bootstrap(store)
            let secret = APIToken.generateSecret()
            let expiry = Fixtures.time(plus: 60_000_000)
            let token = try await store.identities.createToken(
                workspaceID: identity.workspace.id, userID: identity.user.id, name: "ci", scopes: [.deploy], secret: secret,
                expiresAt: expiry)
            #expect(token.expiresAt == expiry)
            #expect(try await store.identities.tokens(workspaceID: identity.workspace.id).last?.expiresAt == expiry)

            #expect(try await store.identities.authenticate(secret: secret, at: Fixtures.time(plus: 59_999_999)) != nil)
            #expect(try await store.identities.authenticate(secret: secret, at: expiry) == nil)
            #expect(try await store.identities.authenticate(secret: secret, at: Fixtures.time(plus: 3_600_000_000)) == nil)
            // The first token has no expiry.
            let never = try #require(try await store.identities.tokens(workspaceID: identity.workspace.id).first)
            #expect(never.expiresAt == nil)
        }
    }

    @Test("Tokens are created, listed and deleted within their workspace only", arguments: TestDatabase.all)
    func tokensAreScopedByWorkspace(database: TestDatabase) async throws {
        try await database.withStore { store in
            let first = try await Fixtures.bootstrap(store, workspace: "first")
            let second = try await Fixtures.bootstrap(store, workspace: "second")
            #expect(first.workspace.id != second.workspace.id)
            #expect(first.workspace.uid != second.workspace.uid)

            let secret = APIToken.generateSecret()
            let token = try await store.identities.createToken(
                workspaceID: first.workspace.id, userID: first.user.id, name: "ci", scopes: [.read, .deploy], secret: secret
            )
            #expect(token.name == "ci")
            #expect(token.scopes == [.read, .deploy])
            #expect(token.workspaceID == first.workspace.id)

            let listed = try await store.identities.tokens(workspaceID: first.workspace.id)
            #expect(listed.map(\.id) == [try #require(first.token?.id), token.id])
            #expect(listed.last == token)
            #expect(try await store.identities.tokens(workspaceID: second.workspace.id).map(\.id) == [try #require(second.token?.id)])

            let identity = try #require(try await store.identities.authenticate(secret: secret))
            #expect(identity.workspace.id == first.workspace.id)
            #expect(identity.grants(.deploy) && !identity.grants(.admin))

            // Another workspace cannot delete it, nor mint a token for a user of another workspace.
            #expect(try await store.identities.deleteToken(id: token.id, workspaceID: second.workspace.id) == false)
            await #expect(throws: SlipwayError.notFound("user \(first.user.id) is not a member of workspace \(second.workspace.id)")) {
                try await store.identities.createToken(
                    workspaceID: second.workspace.id, userID: first.user.id, name: "x", scopes: [.read], secret: APIToken.generateSecret()
                )
            }
            // The same secret twice is a conflict, not a second token.
            await #expect(throws: SlipwayError.conflict("a token with this secret already exists")) {
                try await store.identities.createToken(
                    workspaceID: first.workspace.id, userID: first.user.id, name: "again", scopes: [.read], secret: secret
                )
            }

            #expect(try await store.identities.deleteToken(id: token.id, workspaceID: first.workspace.id))
            #expect(try await store.identities.deleteToken(id: token.id, workspaceID: first.workspace.id) == false)
            #expect(try await store.identities.authenticate(secret: secret) == nil)
            #expect(try await store.identities.tokens(workspaceID: first.workspace.id).map(\.id) == [try #require(first.token?.id)])
        }
    }
}
