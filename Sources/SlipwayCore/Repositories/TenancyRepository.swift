public import Foundation

/// Workspaces, memberships with roles, and invitations (docs/tenancy.md). A deleted workspace is gone from every
/// answer here.
public protocol TenancyRepository: Sendable {
    /// Every workspace of the install, oldest first.
    func workspaces() async throws -> [Workspace]
    /// The workspace `selector` names.
    func workspace(_ selector: WorkspaceSelector) async throws -> Workspace?
    /// Creates a workspace with `ownerID` as its owner; `SlipwayError.invalid` naming `name` when it is taken.
    func createWorkspace(name: String, ownerID: Int64, at now: Date) async throws -> Workspace
    /// Renames a workspace; nil when there is none with `id`.
    func renameWorkspace(id: Int64, to name: String) async throws -> Workspace?
    /// Deletes an empty workspace: its memberships, tokens and invitations go, its sessions end.
    func deleteWorkspace(id: Int64, at now: Date) async throws -> WorkspaceDeletion

    /// The user's membership in the workspace `selector` names; nil when they are not a member.
    func membership(userID: Int64, in selector: WorkspaceSelector) async throws -> Membership?
    /// Every membership of the user, in the order they joined.
    func memberships(userID: Int64) async throws -> [Membership]
    /// The members of a workspace, in the order they joined.
    func members(workspaceID: Int64) async throws -> [Member]
    /// Adds a user to a workspace; `.alreadyMember` when they are one.
    func addMember(userID: Int64, workspaceID: Int64, role: Role, at now: Date) async throws -> MemberChange
    /// Changes a member's role; never leaves the workspace without an owner.
    func setRole(_ role: Role, userID: Int64, workspaceID: Int64) async throws -> MemberChange
    /// Removes a member: their tokens of the workspace are deleted and the sessions acting there end, in the same
    /// transaction; never leaves the workspace without an owner.
    func removeMember(userID: Int64, workspaceID: Int64, at now: Date) async throws -> MemberChange

    /// Stores an invitation.
    func createInvitation(_ invitation: NewInvitation) async throws -> Invitation
    /// The invitations of a workspace still waiting at `now`.
    func invitations(workspaceID: Int64, pendingAt now: Date) async throws -> [Invitation]
    /// Withdraws a pending invitation; false when the workspace has none such.
    func deleteInvitation(_ reference: InvitationReference, workspaceID: Int64) async throws -> Bool
    /// Uses the invitation with `code` for `user`: in one transaction it checks the code is pending at `now` and
    /// addressed to the user, adds the membership and uses the code up.
    func acceptInvitation(code: String, user: User, at now: Date) async throws -> InvitationAcceptance
}

/// What deleting a workspace did.
public enum WorkspaceDeletion: Sendable, Equatable {
    case deleted
    case notFound
    /// It still has projects: they go first.
    case hasProjects(Int)
}

/// What a change of membership did.
public enum MemberChange: Sendable, Equatable {
    case changed(Member)
    case removed
    case notFound
    case alreadyMember
    /// The change would leave the workspace without an owner.
    case lastOwner
}

/// What accepting an invitation did.
public enum InvitationAcceptance: Sendable, Equatable {
    case joined(Membership)
    /// No pending invitation has this code for this user (unknown, expired, used, or addressed to someone else).
    case notFound
    case alreadyMember(Membership)
}
