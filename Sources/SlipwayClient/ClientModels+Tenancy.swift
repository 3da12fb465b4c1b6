import Foundation

/// A workspace with the caller's role there (`GET /api/v1/workspaces`, `me`, a login): nil `role` where the caller
/// is not a member (an install administrator's list of every workspace).
public typealias WorkspaceInfo = MeInfo.Workspace

/// What creating a workspace answers: the workspace and its owner.
public struct CreatedWorkspaceInfo: Decodable, Sendable, Equatable {
    public var workspace: WorkspaceInfo
    public var owner: UserInfo
}

/// A member of the workspace a request acts in (`GET /api/v1/members`).
public struct MemberInfo: Decodable, Sendable, Equatable {
    public var user: UserInfo
    /// `owner`, `admin`, `developer` or `viewer`.
    public var role: String
    public var joinedAt: String
}

/// An invitation to a workspace (`/api/v1/invitations`): `code` only in the answer that made it.
public struct InvitationInfo: Decodable, Sendable, Equatable {
    public var id: Int64
    public var workspaceId: Int64
    /// The invited login or email address, trimmed and in lower case.
    public var invitee: String
    public var role: String
    /// The id of the user who invited.
    public var invitedBy: Int64
    public var createdAt: String
    public var expiresAt: String
    /// The one-time code the invitee accepts with; shown once.
    public var code: String?
}

/// The install-wide limits (`GET/PUT /api/v1/admin/limits`): each nil where it is not set.
public struct InstallLimitsValues: Codable, Sendable, Equatable {
    public var projectsPerWorkspace: Int?
    public var queuedDeploymentsPerWorkspace: Int?
    public var workspaceWorkers: Int?

    public init(projectsPerWorkspace: Int? = nil, queuedDeploymentsPerWorkspace: Int? = nil, workspaceWorkers: Int? = nil) {
        self.projectsPerWorkspace = projectsPerWorkspace
        self.queuedDeploymentsPerWorkspace = queuedDeploymentsPerWorkspace
        self.workspaceWorkers = workspaceWorkers
    }
}

/// The limits set and the defaults that apply where none is.
public struct InstallLimitsInfo: Decodable, Sendable, Equatable {
    public var limits: InstallLimitsValues
    public var defaults: InstallLimitsValues
}
