import Foundation

/// Creating and changing projects, with every rule on their settings in one place: the shape of each field
/// (`ProjectValidation`), where the repository may come from and which port a service may fix
/// (`ProjectInputRules`), and that no two projects of the install fix the same port.
public struct ProjectService: Sendable {
    public let projects: any ProjectRepository
    public let rules: ProjectInputRules

    public init(projects: any ProjectRepository, rules: ProjectInputRules) {
        self.projects = projects
        self.rules = rules
    }

    /// Validates a creation request and stores the project; `SlipwayError.invalid` names every wrong field.
    public func create(_ settings: ProjectSettings, workspaceID: Int64) async throws -> Project {
        let new = try ProjectValidation.validateNew(settings, rules: rules)
        try await checkPortIsFree(settings.service.port, exceptProjectID: nil)
        return try await projects.create(new, workspaceID: workspaceID)
    }

    /// Validates an update, applies it to `project` and stores it.
    public func update(_ project: Project, with settings: ProjectSettings) async throws -> Project {
        let updated = try ProjectValidation.apply(settings, to: project, rules: rules)
        try await checkPortIsFree(settings.service.port, exceptProjectID: project.id)
        return try await projects.update(updated)
    }

    /// A fixed port another project of the install (in any workspace) already has is refused, naming `port`.
    private func checkPortIsFree(_ port: Int?, exceptProjectID: Int64?) async throws {
        guard let port, try await projects.isFixedPortTaken(port, exceptProjectID: exceptProjectID) else { return }
        throw SlipwayError.invalid("port", "\(port) is already the fixed port of another project on this server; choose another or leave it unset")
    }
}
