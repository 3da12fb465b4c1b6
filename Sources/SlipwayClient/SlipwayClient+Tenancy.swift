import Foundation
import NIOHTTP1

/// Workspaces, members and invitations (docs/tenancy.md). Member and invitation calls act in the workspace the
/// client names (`workspace`), else in the credential's default one.
extension SlipwayClient {
    /// The caller's workspaces with their role in each; every workspace of the install for an install administrator.
    public func workspaces() async throws -> [WorkspaceInfo] {
        struct List: Decodable { var data: [WorkspaceInfo] }
        let list: List = try await send(.GET, "/api/v1/workspaces")
        return list.data
    }

    /// Creates a workspace (install administrators only) owned by the user `ownerLogin` names, else by the caller.
    public func createWorkspace(name: String, ownerLogin: String? = nil) async throws -> CreatedWorkspaceInfo {
        struct Body: Encodable {
            var name: String
            var ownerLogin: String?
        }
        return try await send(.POST, "/api/v1/workspaces", body: Body(name: name, ownerLogin: ownerLogin))
    }

    /// Renames a workspace (install administrators only).
    public func renameWorkspace(_ id: Int64, to name: String) async throws -> WorkspaceInfo {
        try await send(.PATCH, "/api/v1/workspaces/\(id)", body: ["name": name])
    }

    /// Deletes a workspace without projects (install administrators only).
    public func deleteWorkspace(_ id: Int64) async throws -> ActionResult { try await send(.DELETE, "/api/v1/workspaces/\(id)") }

    /// The members of the workspace with their roles.
    public func members() async throws -> [MemberInfo] {
        struct List: Decodable { var data: [MemberInfo] }
        let list: List = try await send(.GET, "/api/v1/members")
        return list.data
    }

    /// Changes a member's role (owners).
    public func setRole(_ role: String, ofMember userID: Int64) async throws -> MemberInfo {
        try await send(.PATCH, "/api/v1/members/\(userID)", body: ["role": role])
    }

    /// Removes a member (owners; anyone may remove themselves): their tokens and sessions there end.
    public func removeMember(_ userID: Int64) async throws -> ActionResult { try await send(.DELETE, "/api/v1/members/\(userID)") }

    /// Invites the person with `login` (a login or an email address) with `role` (owners); the answer holds the code.
    public func invite(login: String, role: String) async throws -> InvitationInfo {
        try await send(.POST, "/api/v1/invitations", body: ["login": login, "role": role])
    }

    /// The workspace's pending invitations, without their codes (owners).
    public func invitations() async throws -> [InvitationInfo] {
        struct List: Decodable { var data: [InvitationInfo] }
        let list: List = try await send(.GET, "/api/v1/invitations")
        return list.data
    }

    /// Withdraws a pending invitation by its code or its id (owners).
    public func withdrawInvitation(_ codeOrID: String) async throws -> ActionResult {
        try await send(.DELETE, "/api/v1/invitations/\(Self.pathComponent(codeOrID))")
    }

    /// Accepts an invitation (a session of the invited user, not an API token); the workspace joined, with the role.
    public func acceptInvitation(code: String) async throws -> WorkspaceInfo {
        try await send(.POST, "/api/v1/invitations/\(Self.pathComponent(code))/accept")
    }

    /// This client acting in `workspace` (an id or a name; nil: the credential's default workspace).
    public func acting(in workspace: String?) -> SlipwayClient {
        var copy = self
        copy.workspace = workspace
        return copy
    }
}

/// The install-wide limits (install administrators only).
extension SlipwayClient {
    public func installLimits() async throws -> InstallLimitsInfo { try await send(.GET, "/api/v1/admin/limits") }

    /// Replaces every limit: one left nil is not set.
    public func setInstallLimits(_ limits: InstallLimitsValues) async throws -> InstallLimitsInfo {
        try await send(.PUT, "/api/v1/admin/limits", body: limits)
    }
}
