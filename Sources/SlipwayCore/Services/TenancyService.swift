public import Foundation

/// Workspaces, members, roles and invitations (docs/tenancy.md): who may manage what is decided here.
///
/// - Install administrators create, list, rename and delete workspaces.
/// - A workspace's owners change roles, remove members and invite; any member may read the member list and leave.
/// - An invited user accepts with a session of their own.
public struct TenancyService: Sendable {
    public let tenancy: any TenancyRepository
    public let identities: any IdentityRepository
    /// The current time (the tests move it).
    public let now: @Sendable () -> Date

    public init(
        tenancy: any TenancyRepository, identities: any IdentityRepository, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.tenancy = tenancy
        self.identities = identities
        self.now = now
    }

    // MARK: Acting in a workspace

    /// Where `caller` acts: the workspace `selector` names among their memberships, else their default one. Nil when
    /// they name a workspace they are not a member of (the same answer as for one that does not exist) or belong to
    /// none.
    public func identity(of caller: Caller, in selector: WorkspaceSelector?) async throws -> Identity? {
        guard let selector else { return caller.identity }
        if let current = caller.membership, selector.names(current.workspace) { return caller.acting(in: current) }
        guard let membership = try await tenancy.membership(userID: caller.user.id, in: selector) else { return nil }
        return caller.acting(in: membership)
    }

    /// The caller's workspaces with their role in each.
    public func memberships(of caller: Caller) async throws -> [Membership] {
        try await tenancy.memberships(userID: caller.user.id)
    }

    // MARK: Install administrators

    /// A workspace as an install administrator lists it, with the caller's role there when they are a member.
    public struct ListedWorkspace: Sendable, Equatable {
        public var workspace: Workspace
        public var role: Role?
    }

    /// Every workspace for an install administrator; the caller's own for anyone else.
    public func workspaces(for caller: Caller) async throws -> [ListedWorkspace] {
        let memberships = try await tenancy.memberships(userID: caller.user.id)
        let roles = Dictionary(memberships.map { ($0.workspace.id, $0.role) }, uniquingKeysWith: { first, _ in first })
        if caller.isInstallAdministrator {
            return try await tenancy.workspaces().map { ListedWorkspace(workspace: $0, role: roles[$0.id]) }
        }
        return memberships.map { ListedWorkspace(workspace: $0.workspace, role: $0.role) }
    }

    /// Creates a workspace (install administrators); its owner is the user with `ownerLogin`, else the caller.
    public func createWorkspace(name: String, ownerLogin: String?, by caller: Caller) async throws -> (Workspace, owner: User) {
        try caller.requireInstallAdministrator()
        var problems = WorkspaceName.problems(name)
        var owner = caller.user
        if let ownerLogin {
            if let user = try await identities.credentials(login: ownerLogin)?.user {
                owner = user
            } else {
                problems.append(FieldProblem(.name("ownerLogin"), message: "names no user of this install"))
            }
        }
        guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
        return (try await tenancy.createWorkspace(name: name, ownerID: owner.id, at: now()), owner)
    }

    /// Renames a workspace (install administrators).
    public func renameWorkspace(id: Int64, to name: String, by caller: Caller) async throws -> Workspace {
        try caller.requireInstallAdministrator()
        let problems = WorkspaceName.problems(name)
        guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
        guard let workspace = try await tenancy.renameWorkspace(id: id, to: name) else { throw Self.workspaceNotFound(id) }
        return workspace
    }

    /// Deletes an empty workspace (install administrators): 409 while it has projects.
    public func deleteWorkspace(id: Int64, by caller: Caller) async throws {
        try caller.requireInstallAdministrator()
        switch try await tenancy.deleteWorkspace(id: id, at: now()) {
        case .deleted: return
        case .notFound: throw Self.workspaceNotFound(id)
        case .hasProjects(let count):
            throw SlipwayError.conflict("workspace \(id) still has \(count) project\(count == 1 ? "" : "s"): delete them first")
        }
    }

    // MARK: Members

    /// The members of the caller's workspace (any member may read them).
    public func members(of identity: Identity) async throws -> [Member] {
        try await tenancy.members(workspaceID: identity.workspace.id)
    }

    /// Changes a member's role (owners).
    public func setRole(_ role: Role, ofUser userID: Int64, by identity: Identity) async throws -> Member {
        try identity.requireOwner()
        let change = try await tenancy.setRole(role, userID: userID, workspaceID: identity.workspace.id)
        guard let member = try Self.member(from: change, userID: userID) else { throw SlipwayError.notFound("member \(userID) not found") }
        return member
    }

    /// Removes a member (owners), or the caller themselves (anyone may leave). Their tokens of the workspace are
    /// deleted and their sessions acting there end at once.
    public func removeMember(userID: Int64, by identity: Identity) async throws {
        if userID != identity.user.id { try identity.requireOwner() }
        _ = try Self.member(from: try await tenancy.removeMember(userID: userID, workspaceID: identity.workspace.id, at: now()), userID: userID)
    }

    private static func member(from change: MemberChange, userID: Int64) throws -> Member? {
        switch change {
        case .changed(let member): return member
        case .removed: return nil
        case .notFound, .alreadyMember: throw SlipwayError.notFound("member \(userID) not found")
        case .lastOwner: throw SlipwayError.conflict("a workspace keeps at least one owner: make another member owner first")
        }
    }

    // MARK: Invitations

    /// A new invitation and its code (shown once).
    public struct Invited: Sendable {
        public var invitation: Invitation
        public var code: String
    }

    /// Invites the person with login or email `invitee` with `role` (owners). The answer is the same whether or not
    /// such a user exists yet: an invitation tells nobody who has an account.
    public func invite(_ invitee: String, role: Role, by identity: Identity) async throws -> Invited {
        try identity.requireOwner()
        let problems = UserLogin.problems(invitee)
        guard problems.isEmpty else { throw SlipwayError.invalid(problems) }
        let code = Invitation.generateCode()
        let start = now()
        let invitation = try await tenancy.createInvitation(
            NewInvitation(
                workspaceID: identity.workspace.id, invitee: UserLogin.normalize(invitee), role: role, invitedBy: identity.user.id, code: code,
                createdAt: start, expiresAt: start.addingTimeInterval(Invitation.lifetime)
            )
        )
        return Invited(invitation: invitation, code: code)
    }

    /// The workspace's pending invitations (owners).
    public func invitations(of identity: Identity) async throws -> [Invitation] {
        try identity.requireOwner()
        return try await tenancy.invitations(workspaceID: identity.workspace.id, pendingAt: now())
    }

    /// Withdraws a pending invitation (owners).
    public func withdrawInvitation(_ reference: InvitationReference, by identity: Identity) async throws {
        try identity.requireOwner()
        guard try await tenancy.deleteInvitation(reference, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("no pending invitation \(reference.description) in workspace '\(identity.workspace.name)'")
        }
    }

    /// Accepts an invitation with the invited user's own session; the membership it makes.
    public func accept(code: String, by caller: Caller) async throws -> Membership {
        guard caller.session != nil else {
            throw SlipwayError.forbidden("an invitation is accepted with a session of the invited user (slipway login), not an API token")
        }
        switch try await tenancy.acceptInvitation(code: code, user: caller.user, at: now()) {
        case .joined(let membership): return membership
        case .alreadyMember(let membership):
            throw SlipwayError.conflict("you are already a member of workspace '\(membership.workspace.name)'")
        case .notFound: throw SlipwayError.notFound("no pending invitation for you has this code (it may have expired or been used)")
        }
    }

    static func workspaceNotFound(_ id: Int64) -> SlipwayError { .notFound("workspace \(id) not found") }
}

extension WorkspaceSelector {
    /// Whether the selector names `workspace`.
    public func names(_ workspace: Workspace) -> Bool {
        switch self {
        case .id(let id): id == workspace.id
        case .name(let name): name == workspace.name
        }
    }
}

extension Caller {
    /// Whether the user is an install administrator.
    public var isInstallAdministrator: Bool { user.isInstallAdministrator }

    /// Throws `SlipwayError.forbidden` unless the caller is an install administrator whose credential grants `admin`.
    public func requireInstallAdministrator() throws {
        guard user.isInstallAdministrator, credentialGrants(.admin) else {
            throw SlipwayError.forbidden("only an install administrator (with the 'admin' scope) may do this")
        }
    }
}

extension Identity {
    /// Throws `SlipwayError.forbidden` unless the caller is an owner of the workspace acting with the `admin` scope.
    public func requireOwner() throws {
        guard role == .owner, grants(.admin) else {
            throw SlipwayError.forbidden("only an owner of workspace '\(workspace.name)' (with the 'admin' scope) manages its members")
        }
    }
}
