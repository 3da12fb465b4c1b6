import Foundation
import Logging
import SQLKit
import SlipwayCore
import Testing

@testable import SlipwayStore

/// Workspaces, memberships and invitations in the store (migration 13), on SQLite and PostgreSQL.
@Suite struct TenancyRepositoryTests {
    private func user(_ store: SQLStore, _ login: String, email: String? = nil) async throws -> User {
        try await store.identities.createUser(NewUser(login: login, email: email))
    }

    private func session(_ store: SQLStore, _ user: User, at now: Date = Date()) async throws -> String {
        let secret = LoginSession.generateSecret()
        _ = try await store.identities.createSession(userID: user.id, secret: secret, createdAt: now, expiresAt: now.addingTimeInterval(3600))
        return secret
    }

    @Test("Workspaces are made with an owner, renamed, listed and found by id or name; names are unique", arguments: TestDatabase.all)
    func workspacesAndTheirNames(database: TestDatabase) async throws {
        try await database.withStore { store in
            let admin = try await Fixtures.bootstrap(store)
            let ada = try await user(store, "ada")
            let now = Date()
            let acme = try await store.tenancy.createWorkspace(name: "acme", ownerID: ada.id, at: now)
            await #expect(throws: SlipwayError.invalid("name", "is taken")) {
                try await store.tenancy.createWorkspace(name: "acme", ownerID: admin.user.id, at: now)
            }
            #expect(try await store.tenancy.workspaces().map(\.name) == ["default", "acme"])
            #expect(try await store.tenancy.workspace(.name("acme")) == acme)
            #expect(try await store.tenancy.workspace(.id(acme.id)) == acme)
            #expect(try await store.tenancy.members(workspaceID: acme.id).map { [$0.user.login, $0.role.rawValue] } == [["ada", "owner"]])

            await #expect(throws: SlipwayError.invalid("name", "is taken")) {
                try await store.tenancy.renameWorkspace(id: acme.id, to: "default")
            }
            let renamed = try #require(try await store.tenancy.renameWorkspace(id: acme.id, to: "acme-corp"))
            #expect(renamed.name == "acme-corp" && renamed.uid == acme.uid)
            #expect(try await store.tenancy.workspace(.name("acme")) == nil)
            #expect(try await store.tenancy.renameWorkspace(id: 9999, to: "x") == nil)
        }
    }

    @Test("A token dies with its user's membership; a session then acts in the user's next workspace", arguments: TestDatabase.all)
    func removingAMemberEndsTheirTokensAndSessionsThere(database: TestDatabase) async throws {
        try await database.withStore { store in
            let admin = try await Fixtures.bootstrap(store)
            let bob = try await user(store, "bob")
            let other = try await store.tenancy.createWorkspace(name: "other", ownerID: admin.user.id, at: Date())
            #expect(try await store.tenancy.addMember(userID: bob.id, workspaceID: admin.workspace.id, role: .developer, at: Date()) != .notFound)
            #expect(try await store.tenancy.addMember(userID: bob.id, workspaceID: admin.workspace.id, role: .viewer, at: Date()) == .alreadyMember)
            _ = try await store.tenancy.addMember(userID: bob.id, workspaceID: other.id, role: .viewer, at: Date().addingTimeInterval(1))
            let tokenSecret = APIToken.generateSecret()
            _ = try await store.identities.createToken(
                workspaceID: admin.workspace.id, userID: bob.id, name: "ci", scopes: [.admin], secret: tokenSecret, expiresAt: nil)
            let sessionSecret = try await session(store, bob)

            // The token holds `admin`, but bob is a developer: it acts with `deploy` at most.
            let viaToken = try #require(try await store.identities.authenticate(secret: tokenSecret))
            #expect(viaToken.role == .developer && viaToken.scopes == [.deploy])
            #expect(viaToken.grants(.deploy) && !viaToken.grants(.admin))
            let viaSession = try #require(try await store.identities.authenticate(secret: sessionSecret))
            #expect(viaSession.workspace.id == admin.workspace.id && viaSession.scopes == [.deploy])

            #expect(try await store.tenancy.removeMember(userID: bob.id, workspaceID: admin.workspace.id, at: Date()) == .removed)
            #expect(try await store.identities.authenticate(secret: tokenSecret) == nil)
            #expect(try await store.identities.tokens(workspaceID: admin.workspace.id).allSatisfy { $0.userID != bob.id })
            // The session that acted there has ended, though bob is still a member of `other`.
            #expect(try await store.identities.authenticate(secret: sessionSecret) == nil)
            let next = try #require(try await store.identities.authenticate(secret: try await session(store, bob)))
            #expect(next.workspace.id == other.id && next.role == .viewer && next.scopes == [.read])
            #expect(try await store.tenancy.removeMember(userID: bob.id, workspaceID: admin.workspace.id, at: Date()) == .notFound)
        }
    }

    @Test("A workspace keeps at least one owner", arguments: TestDatabase.all)
    func theLastOwnerStays(database: TestDatabase) async throws {
        try await database.withStore { store in
            let admin = try await Fixtures.bootstrap(store)
            let workspace = admin.workspace.id
            #expect(try await store.tenancy.setRole(.admin, userID: admin.user.id, workspaceID: workspace) == .lastOwner)
            #expect(try await store.tenancy.removeMember(userID: admin.user.id, workspaceID: workspace, at: Date()) == .lastOwner)
            let carol = try await user(store, "carol")
            _ = try await store.tenancy.addMember(userID: carol.id, workspaceID: workspace, role: .viewer, at: Date())
            guard case .changed(let promoted) = try await store.tenancy.setRole(.owner, userID: carol.id, workspaceID: workspace) else {
                Issue.record("carol was not made owner")
                return
            }
            #expect(promoted.role == .owner)
            // Two owners: either may step down, but not both.
            #expect(try await store.tenancy.setRole(.viewer, userID: admin.user.id, workspaceID: workspace) != .lastOwner)
            #expect(try await store.tenancy.removeMember(userID: carol.id, workspaceID: workspace, at: Date()) == .lastOwner)
            #expect(try await store.tenancy.setRole(.admin, userID: 9999, workspaceID: workspace) == .notFound)
        }
    }

    @Test("An invitation is used once, by the person it names, before it expires", arguments: TestDatabase.all)
    func invitationsAreOneTimeAndPersonal(database: TestDatabase) async throws {
        try await database.withStore { store in
            let admin = try await Fixtures.bootstrap(store)
            let dana = try await user(store, "dana", email: "Dana@Example.com")
            let eve = try await user(store, "eve")
            let now = Date()
            let code = Invitation.generateCode()
            let invitation = try await store.tenancy.createInvitation(
                NewInvitation(
                    workspaceID: admin.workspace.id, invitee: "dana@example.com", role: .developer, invitedBy: admin.user.id, code: code,
                    createdAt: now, expiresAt: now.addingTimeInterval(60)
                )
            )
            #expect(try await store.tenancy.invitations(workspaceID: admin.workspace.id, pendingAt: now) == [invitation])
            #expect(try await store.tenancy.invitations(workspaceID: admin.workspace.id, pendingAt: now.addingTimeInterval(60)).isEmpty)
            // Someone else, a wrong code, or too late: nothing.
            #expect(try await store.tenancy.acceptInvitation(code: code, user: eve, at: now) == .notFound)
            #expect(try await store.tenancy.acceptInvitation(code: code + "0", user: dana, at: now) == .notFound)
            #expect(try await store.tenancy.acceptInvitation(code: code, user: dana, at: now.addingTimeInterval(61)) == .notFound)
            // Dana, by her email address, in time: she joins with the role; the code is used up.
            guard case .joined(let membership) = try await store.tenancy.acceptInvitation(code: code, user: dana, at: now) else {
                Issue.record("dana did not join")
                return
            }
            #expect(membership.workspace.id == admin.workspace.id && membership.role == .developer)
            #expect(try await store.tenancy.acceptInvitation(code: code, user: dana, at: now) == .notFound)
            #expect(try await store.tenancy.invitations(workspaceID: admin.workspace.id, pendingAt: now).isEmpty)
            // Only the hash of the code is stored.
            let stored = try await store.database.withConnection { session in
                try await session.value(String.self, column: "code_hash", "SELECT code_hash FROM invitations")
            }
            #expect(stored == StoredValue.tokenHash(code))

            // Withdrawn by id or by code, only in its own workspace.
            let second = Invitation.generateCode()
            let pending = try await store.tenancy.createInvitation(
                NewInvitation(
                    workspaceID: admin.workspace.id, invitee: "eve", role: .viewer, invitedBy: admin.user.id, code: second, createdAt: now,
                    expiresAt: now.addingTimeInterval(60)
                )
            )
            let elsewhere = try await store.tenancy.createWorkspace(name: "elsewhere", ownerID: eve.id, at: now)
            #expect(try await store.tenancy.deleteInvitation(.id(pending.id), workspaceID: elsewhere.id) == false)
            #expect(try await store.tenancy.deleteInvitation(.code(second), workspaceID: admin.workspace.id))
            #expect(try await store.tenancy.deleteInvitation(.id(pending.id), workspaceID: admin.workspace.id) == false)
        }
    }

    @Test("A workspace with projects is not deleted; an empty one is gone with its tokens and sessions", arguments: TestDatabase.all)
    func deletingAWorkspace(database: TestDatabase) async throws {
        try await database.withStore { store in
            let admin = try await Fixtures.bootstrap(store)
            let fay = try await user(store, "fay")
            let doomed = try await store.tenancy.createWorkspace(name: "doomed", ownerID: fay.id, at: Date())
            let project = try await store.projects.create(Fixtures.newProject("doomed-site"), workspaceID: doomed.id)
            let tokenSecret = APIToken.generateSecret()
            _ = try await store.identities.createToken(
                workspaceID: doomed.id, userID: fay.id, name: "t", scopes: [.read], secret: tokenSecret, expiresAt: nil)
            let sessionSecret = try await session(store, fay)
            #expect(try await store.identities.authenticate(secret: sessionSecret)?.workspace.id == doomed.id)

            #expect(try await store.tenancy.deleteWorkspace(id: doomed.id, at: Date()) == .hasProjects(1))
            _ = try await store.projects.delete(id: project.id, workspaceID: doomed.id)
            #expect(try await store.tenancy.deleteWorkspace(id: doomed.id, at: Date()) == .deleted)
            #expect(try await store.tenancy.deleteWorkspace(id: doomed.id, at: Date()) == .notFound)
            #expect(try await store.identities.authenticate(secret: tokenSecret) == nil)
            #expect(try await store.identities.authenticate(secret: sessionSecret) == nil)
            #expect(try await store.tenancy.workspaces().map(\.id) == [admin.workspace.id])
            #expect(try await store.tenancy.workspace(.name("doomed")) == nil)
            #expect(try await store.tenancy.memberships(userID: fay.id).isEmpty)
            // Its name is free again.
            #expect(try await store.tenancy.createWorkspace(name: "doomed", ownerID: fay.id, at: Date()).id != doomed.id)
        }
    }

    @Test("Migration 13 makes every existing user an owner of their workspace and workspace names valid", arguments: TestDatabase.all)
    func migrationOfAnOlderInstall(database: TestDatabase) async throws {
        try await database.withFreshLocation { location in
            try await TestDatabase.withDatabase(at: location) { opened in
                try await Migrator(migrations: Array(Migrations.all.prefix(12))).migrate(opened, logger: .init(label: "test"))
                try await opened.withConnection { session in
                    for name in ["Default", "default", "42 Team"] {
                        let workspace = try await session.insertReturningID(
                            "INSERT INTO workspaces (uid, name, created_at) VALUES (\(bind: UUID().lowercased), \(bind: name), 0) RETURNING id")
                        try await session.run(
                            """
                            INSERT INTO users (workspace_id, name, login, created_at)
                            VALUES (\(bind: workspace), \(bind: "u-\(workspace)"), \(bind: "u-\(workspace)"), 0)
                            """
                        )
                    }
                }
            }
            try await TestDatabase.withStore(at: location) { store in
                let workspaces = try await store.tenancy.workspaces()
                #expect(workspaces.map(\.name) == ["default", "default-\(workspaces[1].id)", "w-42-team"])
                for workspace in workspaces {
                    let members = try await store.tenancy.members(workspaceID: workspace.id)
                    #expect(members.map(\.role) == [.owner] && members.map(\.user.login) == ["u-\(workspace.id)"])
                }
            }
        }
    }
}
