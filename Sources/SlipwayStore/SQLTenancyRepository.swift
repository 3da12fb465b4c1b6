import Foundation
import SQLKit
import SlipwayCore

/// Workspaces, memberships and invitations in SQL (migration 13). A deleted workspace keeps its row with
/// `deleted_at` set and is left out of every statement here. Changes that must keep an owner lock the workspace row
/// on PostgreSQL (SQLite's single writer already serializes them).
struct SQLTenancyRepository: TenancyRepository {
    let database: Database

    static let nameTaken = SlipwayError.invalid("name", "is taken")
    static let workspaceColumns: SQLQueryString = "id, uid, name, created_at"

    func workspaces() async throws -> [Workspace] {
        try await database.withConnection { session in
            try await session.all(
                SQLIdentityRepository.WorkspaceRow.self,
                "SELECT \(Self.workspaceColumns) FROM workspaces WHERE deleted_at IS NULL ORDER BY id"
            ).map { try $0.workspace() }
        }
    }

    func workspace(_ selector: WorkspaceSelector) async throws -> Workspace? {
        try await database.withConnection { session in
            try await session.first(
                SQLIdentityRepository.WorkspaceRow.self,
                "SELECT \(Self.workspaceColumns) FROM workspaces WHERE deleted_at IS NULL AND \(MembershipRow.condition(selector, table: "workspaces"))"
            )?.workspace()
        }
    }

    func createWorkspace(name: String, ownerID: Int64, at now: Date) async throws -> Workspace {
        let uid = UUID()
        return try await UniqueConstraint.workspaceName.translatingViolation(into: Self.nameTaken) {
            try await database.transaction { session in
                let id = try await session.insertReturningID(
                    """
                    INSERT INTO workspaces (uid, name, created_at)
                    VALUES (\(bind: uid.lowercased), \(bind: name), \(bind: StoredValue.microseconds(now)))
                    RETURNING id
                    """
                )
                try await SQLIdentityRepository(database: database).insertMembership(
                    session, workspaceID: id, userID: ownerID, role: .owner, at: now
                )
                return Workspace(id: id, uid: uid, name: name, createdAt: StoredValue.storedPrecision(now))
            }
        }
    }

    func renameWorkspace(id: Int64, to name: String) async throws -> Workspace? {
        try await UniqueConstraint.workspaceName.translatingViolation(into: Self.nameTaken) {
            try await database.withConnection { session in
                try await session.first(
                    SQLIdentityRepository.WorkspaceRow.self,
                    """
                    UPDATE workspaces SET name = \(bind: name) WHERE id = \(bind: id) AND deleted_at IS NULL
                    RETURNING \(Self.workspaceColumns)
                    """
                )?.workspace()
            }
        }
    }

    func deleteWorkspace(id: Int64, at now: Date) async throws -> WorkspaceDeletion {
        let time = StoredValue.microseconds(now)
        return try await database.transaction { session in
            try await lockWorkspace(session, id)
            guard try await !session.rows("SELECT id FROM workspaces WHERE id = \(bind: id) AND deleted_at IS NULL").isEmpty else {
                return .notFound
            }
            let projects =
                try await session.value(Int64.self, column: "count", "SELECT COUNT(*) AS count FROM projects WHERE workspace_id = \(bind: id)") ?? 0
            guard projects == 0 else { return .hasProjects(Int(projects)) }
            try await session.run("DELETE FROM memberships WHERE workspace_id = \(bind: id)")
            try await session.run("DELETE FROM api_tokens WHERE workspace_id = \(bind: id)")
            try await session.run("DELETE FROM invitations WHERE workspace_id = \(bind: id) AND accepted_at IS NULL")
            try await session.run("UPDATE sessions SET revoked_at = \(bind: time) WHERE workspace_id = \(bind: id) AND revoked_at IS NULL")
            try await session.run("UPDATE workspaces SET deleted_at = \(bind: time) WHERE id = \(bind: id)")
            return .deleted
        }
    }

    func membership(userID: Int64, in selector: WorkspaceSelector) async throws -> Membership? {
        try await database.withConnection { session in try await MembershipRow.membership(session, userID: userID, in: selector) }
    }

    func memberships(userID: Int64) async throws -> [Membership] {
        try await database.withConnection { session in
            try await session.all(
                MembershipRow.self, "\(MembershipRow.select) WHERE m.user_id = \(bind: userID) AND w.deleted_at IS NULL \(MembershipRow.order)"
            ).map { try $0.membership(userID: userID) }
        }
    }

    private struct MemberRow: Decodable {
        var id: Int64
        var name: String
        var login: String?
        var email: String?
        var isInstallAdmin: Int64
        var createdAt: Int64
        var role: String
        var joinedAt: Int64

        func member() throws -> Member {
            let user = SQLIdentityRepository.UserRow(
                id: id, name: name, login: login, email: email, isInstallAdmin: isInstallAdmin, createdAt: createdAt
            ).user()
            return Member(
                user: user, role: try StoredValue.enumeration(Role.self, role, table: "memberships", column: "role"),
                createdAt: StoredValue.date(joinedAt)
            )
        }
    }

    func members(workspaceID: Int64) async throws -> [Member] {
        try await database.withConnection { session in try await members(session, workspaceID: workspaceID, userID: nil) }
    }

    private func members(_ session: Session, workspaceID: Int64, userID: Int64?) async throws -> [Member] {
        let oneUser: SQLQueryString = userID.map { "AND u.id = \(bind: $0)" } ?? ""
        return try await session.all(
            MemberRow.self,
            """
            SELECT u.id, u.name, u.login, u.email, u.is_install_admin, u.created_at, m.role, m.created_at AS joined_at
            FROM memberships m JOIN users u ON u.id = m.user_id
            WHERE m.workspace_id = \(bind: workspaceID) \(oneUser)
            ORDER BY m.created_at, u.id
            """
        ).map { try $0.member() }
    }

    func addMember(userID: Int64, workspaceID: Int64, role: Role, at now: Date) async throws -> MemberChange {
        try await database.transaction { session in
            guard try await MembershipRow.membership(session, userID: userID, in: .id(workspaceID)) == nil else { return .alreadyMember }
            try await SQLIdentityRepository(database: database).insertMembership(
                session, workspaceID: workspaceID, userID: userID, role: role, at: now
            )
            return try await members(session, workspaceID: workspaceID, userID: userID).first.map(MemberChange.changed) ?? .notFound
        }
    }

    func setRole(_ role: Role, userID: Int64, workspaceID: Int64) async throws -> MemberChange {
        try await database.transaction { session in
            try await lockWorkspace(session, workspaceID)
            guard let member = try await members(session, workspaceID: workspaceID, userID: userID).first else { return .notFound }
            if member.role == .owner, role != .owner, try await ownerCount(session, workspaceID) <= 1 { return .lastOwner }
            try await session.run(
                "UPDATE memberships SET role = \(bind: role.rawValue) WHERE workspace_id = \(bind: workspaceID) AND user_id = \(bind: userID)"
            )
            return .changed(Member(user: member.user, role: role, createdAt: member.createdAt))
        }
    }

    func removeMember(userID: Int64, workspaceID: Int64, at now: Date) async throws -> MemberChange {
        try await database.transaction { session in
            try await lockWorkspace(session, workspaceID)
            guard let member = try await members(session, workspaceID: workspaceID, userID: userID).first else { return .notFound }
            if member.role == .owner, try await ownerCount(session, workspaceID) <= 1 { return .lastOwner }
            try await session.run("DELETE FROM memberships WHERE workspace_id = \(bind: workspaceID) AND user_id = \(bind: userID)")
            try await session.run("DELETE FROM api_tokens WHERE workspace_id = \(bind: workspaceID) AND user_id = \(bind: userID)")
            try await session.run(
                """
                UPDATE sessions SET revoked_at = \(bind: StoredValue.microseconds(now))
                WHERE workspace_id = \(bind: workspaceID) AND user_id = \(bind: userID) AND revoked_at IS NULL
                """
            )
            return .removed
        }
    }

    private func ownerCount(_ session: Session, _ workspaceID: Int64) async throws -> Int64 {
        try await session.value(
            Int64.self, column: "count",
            "SELECT COUNT(*) AS count FROM memberships WHERE workspace_id = \(bind: workspaceID) AND role = \(bind: Role.owner.rawValue)"
        ) ?? 0
    }

    /// Changes of one workspace's members wait for each other here on PostgreSQL, so two of them cannot each leave the
    /// other's owner as the last one.
    private func lockWorkspace(_ session: Session, _ id: Int64) async throws {
        if session.dialect == .postgres { try await session.run("SELECT id FROM workspaces WHERE id = \(bind: id) FOR UPDATE") }
    }

    private struct InvitationRow: Decodable {
        var id: Int64
        var workspaceID: Int64
        var invitee: String
        var role: String
        var invitedBy: Int64
        var createdAt: Int64
        var expiresAt: Int64

        static let columns: SQLQueryString = "id, workspace_id, invitee, role, invited_by, created_at, expires_at"

        func invitation() throws -> Invitation {
            Invitation(
                id: id, workspaceID: workspaceID, invitee: invitee,
                role: try StoredValue.enumeration(Role.self, role, table: "invitations", column: "role"), invitedBy: invitedBy,
                createdAt: StoredValue.date(createdAt), expiresAt: StoredValue.date(expiresAt)
            )
        }
    }

    func createInvitation(_ invitation: NewInvitation) async throws -> Invitation {
        try await UniqueConstraint.invitationCodeHash.translatingViolation(into: .conflict("an invitation with this code already exists")) {
            try await database.withConnection { session in
                let id = try await session.insertReturningID(
                    """
                    INSERT INTO invitations (workspace_id, code_hash, invitee, role, invited_by, created_at, expires_at, accepted_at, accepted_by)
                    VALUES (
                        \(bind: invitation.workspaceID), \(bind: StoredValue.tokenHash(invitation.code)), \(bind: invitation.invitee),
                        \(bind: invitation.role.rawValue), \(bind: invitation.invitedBy), \(bind: StoredValue.microseconds(invitation.createdAt)),
                        \(bind: StoredValue.microseconds(invitation.expiresAt)), NULL, NULL
                    )
                    RETURNING id
                    """
                )
                return Invitation(
                    id: id, workspaceID: invitation.workspaceID, invitee: invitation.invitee, role: invitation.role,
                    invitedBy: invitation.invitedBy, createdAt: StoredValue.storedPrecision(invitation.createdAt),
                    expiresAt: StoredValue.storedPrecision(invitation.expiresAt)
                )
            }
        }
    }

    func invitations(workspaceID: Int64, pendingAt now: Date) async throws -> [Invitation] {
        try await database.withConnection { session in
            try await session.all(
                InvitationRow.self,
                """
                SELECT \(InvitationRow.columns) FROM invitations
                WHERE workspace_id = \(bind: workspaceID) AND accepted_at IS NULL AND expires_at > \(bind: StoredValue.microseconds(now))
                ORDER BY id
                """
            ).map { try $0.invitation() }
        }
    }

    func deleteInvitation(_ reference: InvitationReference, workspaceID: Int64) async throws -> Bool {
        let which: SQLQueryString =
            switch reference {
            case .id(let id): "id = \(bind: id)"
            case .code(let code): "code_hash = \(bind: StoredValue.tokenHash(code))"
            }
        return try await database.withConnection { session in
            try await !session.rows(
                "DELETE FROM invitations WHERE \(which) AND workspace_id = \(bind: workspaceID) AND accepted_at IS NULL RETURNING id"
            ).isEmpty
        }
    }

    func acceptInvitation(code: String, user: User, at now: Date) async throws -> InvitationAcceptance {
        let time = StoredValue.microseconds(now)
        return try await database.transaction { session in
            guard
                let invitation = try await session.first(
                    InvitationRow.self,
                    """
                    SELECT \(InvitationRow.columns) FROM invitations
                    WHERE code_hash = \(bind: StoredValue.tokenHash(code)) AND accepted_at IS NULL AND expires_at > \(bind: time)
                    """
                )?.invitation(),
                invitation.isAddressed(to: user)
            else { return .notFound }
            if let existing = try await MembershipRow.membership(session, userID: user.id, in: .id(invitation.workspaceID)) {
                return .alreadyMember(existing)
            }
            // Using the code up first: of two acceptances at once, only one finds it still unused.
            let used = try await session.rows(
                """
                UPDATE invitations SET accepted_at = \(bind: time), accepted_by = \(bind: user.id)
                WHERE id = \(bind: invitation.id) AND accepted_at IS NULL RETURNING id
                """
            )
            guard !used.isEmpty,
                try await !session.rows("SELECT id FROM workspaces WHERE id = \(bind: invitation.workspaceID) AND deleted_at IS NULL").isEmpty
            else { return .notFound }
            try await SQLIdentityRepository(database: database).insertMembership(
                session, workspaceID: invitation.workspaceID, userID: user.id, role: invitation.role, at: now
            )
            guard let membership = try await MembershipRow.membership(session, userID: user.id, in: .id(invitation.workspaceID)) else {
                return .notFound
            }
            return .joined(membership)
        }
    }
}

/// A membership joined with its (live) workspace.
struct MembershipRow: Decodable {
    var id: Int64
    var uid: String
    var name: String
    var createdAt: Int64
    var role: String
    var joinedAt: Int64

    static let select: SQLQueryString = """
        SELECT w.id, w.uid, w.name, w.created_at, m.role, m.created_at AS joined_at
        FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
        """
    static let order: SQLQueryString = "ORDER BY m.created_at, w.id"

    func membership(userID: Int64) throws -> Membership {
        Membership(
            workspace: try SQLIdentityRepository.WorkspaceRow(id: id, uid: uid, name: name, createdAt: createdAt).workspace(), userID: userID,
            role: try StoredValue.enumeration(Role.self, role, table: "memberships", column: "role"), createdAt: StoredValue.date(joinedAt)
        )
    }

    /// The condition that picks the workspace `selector` names, on `table`'s columns.
    static func condition(_ selector: WorkspaceSelector, table: String) -> SQLQueryString {
        switch selector {
        case .id(let id): "\(ident: table).id = \(bind: id)"
        case .name(let name): "\(ident: table).name = \(bind: name)"
        }
    }

    /// The user's membership in the live workspace `selector` names, read in the caller's transaction.
    static func membership(_ session: Session, userID: Int64, in selector: WorkspaceSelector) async throws -> Membership? {
        try await session.first(
            MembershipRow.self, "\(select) WHERE m.user_id = \(bind: userID) AND w.deleted_at IS NULL AND \(condition(selector, table: "w"))"
        )?.membership(userID: userID)
    }

    /// The user's oldest membership of a live workspace: where a session acts by default.
    static func oldestMembership(_ session: Session, userID: Int64) async throws -> Membership? {
        try await session.first(
            MembershipRow.self, "\(select) WHERE m.user_id = \(bind: userID) AND w.deleted_at IS NULL \(order) LIMIT 1"
        )?.membership(userID: userID)
    }
}
