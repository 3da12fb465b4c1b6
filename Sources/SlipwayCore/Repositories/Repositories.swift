public import Foundation

/// Workspaces, users, API tokens and login sessions. Token and session secrets are hashed by the implementation and
/// never stored in clear; passwords arrive already hashed (`PasswordHasher`).
public protocol IdentityRepository: Sendable {
    /// Whether no workspace exists yet (a first start).
    func isEmpty() async throws -> Bool
    /// Creates a workspace with its first user (its owner) and an admin token holding `secret`; `SlipwayError.invalid`
    /// on `login` when the login is taken.
    func bootstrap(workspaceName: String, user: NewUser, tokenSecret: String) async throws -> Identity
    /// The caller an API token or session secret belongs to at `now`, or nil when no token has that secret, the token
    /// expired or its user is no longer a member of its workspace, or the session is revoked or expired. Records the
    /// use (`last_used_at`). A token acts in its workspace; a session in its own workspace while its user is a member
    /// there, else in the user's oldest membership.
    func caller(secret: String, at now: Date) async throws -> Caller?
    /// Creates a token of the user in the workspace; `expiresAt` (nil: never) is when it stops authenticating.
    func createToken(workspaceID: Int64, userID: Int64, name: String, scopes: Set<Scope>, secret: String, expiresAt: Date?) async throws
        -> APIToken
    func tokens(workspaceID: Int64) async throws -> [APIToken]
    /// Deletes a token of the workspace; false when it has no such token.
    func deleteToken(id: Int64, workspaceID: Int64) async throws -> Bool

    /// Stores a new user, a member of no workspace; `SlipwayError.invalid` on `login` when it is taken.
    func createUser(_ user: NewUser) async throws -> User
    /// Every user of the install, by id.
    func users() async throws -> [User]
    /// A user by id, anywhere on the install.
    func user(id: Int64) async throws -> User?
    /// The user with this login (normalized) and their password hash, for logging in.
    func credentials(login: String) async throws -> UserCredentials?
    /// The user `id` and their password hash.
    func credentials(userID: Int64) async throws -> UserCredentials?
    /// Replaces a user's password hash and, in the same transaction, revokes every session of theirs but `keptSessionID`.
    func setPasswordHash(_ hash: String, userID: Int64, keepingSession keptSessionID: Int64?, at now: Date) async throws
    /// The first install administrator, when no install administrator has a password yet (an install made before
    /// passwords existed): the start-up gives it one.
    func installAdministratorWithoutPassword() async throws -> User?

    /// Stores a new session of the user holding `secret`, acting in their oldest membership; returns the caller it
    /// authenticates.
    func createSession(userID: Int64, secret: String, createdAt: Date, expiresAt: Date) async throws -> Caller
    /// The user's sessions that are active at `now`, oldest first.
    func sessions(userID: Int64, activeAt now: Date) async throws -> [LoginSession]
    /// Revokes one of the user's sessions; false when the user has no active session with that id.
    func revokeSession(id: Int64, userID: Int64, at now: Date) async throws -> Bool
}

extension IdentityRepository {
    /// Creates a workspace with its first user (no password, not an install administrator) and an admin token.
    public func bootstrap(workspaceName: String, userName: String, tokenSecret: String) async throws -> Identity {
        try await bootstrap(workspaceName: workspaceName, user: NewUser(login: userName), tokenSecret: tokenSecret)
    }

    /// The identity a secret belongs to now, acting in its default workspace.
    public func authenticate(secret: String) async throws -> Identity? {
        try await caller(secret: secret, at: Date())?.identity
    }

    /// The identity a secret belongs to at `now`, acting in its default workspace.
    public func authenticate(secret: String, at now: Date) async throws -> Identity? {
        try await caller(secret: secret, at: now)?.identity
    }
}

/// A user to be stored: the login as given (stored normalized too), an optional email, the password's hash.
public struct NewUser: Sendable, Equatable {
    public var login: String
    public var email: String?
    public var passwordHash: String?
    public var isInstallAdministrator: Bool

    public init(login: String, email: String? = nil, passwordHash: String? = nil, isInstallAdministrator: Bool = false) {
        self.login = login
        self.email = email
        self.passwordHash = passwordHash
        self.isInstallAdministrator = isInstallAdministrator
    }
}

/// A user with their stored password hash (nil: the user cannot log in with a password).
public struct UserCredentials: Sendable, Equatable {
    public var user: User
    public var passwordHash: String?

    public init(user: User, passwordHash: String?) {
        self.user = user
        self.passwordHash = passwordHash
    }
}

/// Projects. Every lookup is scoped to a workspace, so nothing crosses workspaces.
public protocol ProjectRepository: Sendable {
    /// Stores a new project; throws `SlipwayError.invalid` on `name` when the name is taken on this install.
    func create(_ project: NewProject, workspaceID: Int64) async throws -> Project
    func project(id: Int64, workspaceID: Int64) async throws -> Project?
    func project(name: String, workspaceID: Int64) async throws -> Project?
    /// The workspace's projects among `ids`, by id, in one statement (the projects of a listing's rows).
    func projects(ids: Set<Int64>, workspaceID: Int64) async throws -> [Int64: Project]
    /// A page of the workspace's projects, by id, and the total count.
    func projects(workspaceID: Int64, page: Page) async throws -> (items: [Project], total: Int)
    /// Saves changed settings; throws `SlipwayError.invalid` on `name` when the new name is taken.
    func update(_ project: Project) async throws -> Project
    /// Deletes the project and every deployment record of it; returns the ids of the builds that belonged to it.
    func delete(id: Int64, workspaceID: Int64) async throws -> [UUID]
    /// Whether a project of the install (any workspace) other than `exceptProjectID` has `port` as its fixed port.
    func isFixedPortTaken(_ port: Int, exceptProjectID: Int64?) async throws -> Bool
    /// Pins production (a rollback) or unpins it (a promote, `POST /projects/{id}/unpin`); see `GitSourceRules.takesProduction`.
    func setProductionPinned(projectID: Int64, pinned: Bool) async throws
}

/// Deployments and builds.
public protocol DeploymentRepository: Sendable {
    /// Queues a new deployment: assigns its id, UUID and the project's next sequence number.
    func create(_ deployment: NewDeployment) async throws -> Deployment
    func deployment(id: Int64, workspaceID: Int64) async throws -> Deployment?
    /// A deployment by id in any workspace: for the pipeline.
    func deployment(id: Int64) async throws -> Deployment?
    /// A page of one project's deployments (of one environment, when given), newest first, and their exact total:
    /// one LIMIT/OFFSET query and one count, never the whole list.
    func deployments(projectID: Int64, environment: DeploymentEnvironment?, page: Page) async throws -> (items: [Deployment], total: Int)
    /// The project's successful production deployments, newest first.
    func successfulProductionDeployments(projectID: Int64) async throws -> [Deployment]
    /// Whether a deployment of the project is queued or running.
    func hasUnfinishedDeployments(projectID: Int64) async throws -> Bool

    /// Saves the state, stages, commit, build and error of a deployment.
    func saveProgress(_ deployment: Deployment) async throws
    /// Saves a deployment that has just gone live and, in the same transaction, makes it the project's
    /// production deployment when `makeProduction` is set.
    func saveLive(_ deployment: Deployment, makeProduction: Bool) async throws

    /// Records a new build.
    func createBuild(_ build: Build) async throws
    /// Everything the edge routes to: each successful deployment that has a build, with its project.
    func liveDeployments() async throws -> [LiveDeployment]
    /// The same, for one project only.
    func liveDeployments(projectID: Int64) async throws -> [LiveDeployment]
}

/// A successful deployment that has a build, with what routing needs of its project.
public struct LiveDeployment: Sendable, Equatable {
    public var deploymentID: Int64
    public var uid: UUID
    public var projectID: Int64
    public var projectName: String
    public var gitBranch: String
    public var buildID: UUID
    public var isProduction: Bool
    /// The kind the deployment was built as (its config snapshot), which is how the edge serves it.
    public var kind: ProjectKind

    public init(
        deploymentID: Int64, uid: UUID, projectID: Int64 = 0, projectName: String, gitBranch: String, buildID: UUID, isProduction: Bool,
        kind: ProjectKind = .static
    ) {
        self.deploymentID = deploymentID
        self.uid = uid
        self.projectID = projectID
        self.projectName = projectName
        self.gitBranch = gitBranch
        self.buildID = buildID
        self.isProduction = isProduction
        self.kind = kind
    }
}

extension IdentityRepository {
    /// Creates a token that does not expire.
    public func createToken(workspaceID: Int64, userID: Int64, name: String, scopes: Set<Scope>, secret: String) async throws -> APIToken {
        try await createToken(workspaceID: workspaceID, userID: userID, name: name, scopes: scopes, secret: secret, expiresAt: nil)
    }
}

extension DeploymentRepository {
    /// The deployment `id` of the caller's workspace; `notFound` when it has none (another workspace's is not seen).
    public func deployment(_ id: Int64, visibleTo identity: Identity) async throws -> Deployment {
        guard let deployment = try await deployment(id: id, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("deployment \(id) not found")
        }
        return deployment
    }

    /// A page of one project's deployments of every environment, newest first, and the total count.
    public func deployments(projectID: Int64, page: Page) async throws -> (items: [Deployment], total: Int) {
        try await deployments(projectID: projectID, environment: nil, page: page)
    }
}

/// A page request: 1-based page number and page size.
public struct Page: Sendable, Equatable {
    public var number: Int
    public var size: Int

    public init(number: Int, size: Int) {
        self.number = number
        self.size = size
    }

    public var offset: Int { (number - 1) * size }

    /// How many pages `total` items fill (at least 1, as Laravel's paginator counts).
    public func pageCount(total: Int) -> Int { max(1, (total + size - 1) / size) }
}

extension ProjectRepository {
    /// The project `id` of the caller's workspace; `notFound` when it has none (another workspace's is not seen).
    public func project(_ id: Int64, visibleTo identity: Identity) async throws -> Project {
        guard let project = try await project(id: id, workspaceID: identity.workspace.id) else {
            throw SlipwayError.notFound("project \(id) not found")
        }
        return project
    }
}
