import Foundation

/// The rules on a project's settings that depend on how this install is configured (docs/security-inputs.md): where
/// a repository may come from, and which loopback ports a service may fix for itself. The settings' shape is checked
/// by `ProjectValidation`; these come on top, at create and at update.
public struct ProjectInputRules: Sendable, Equatable {
    /// Network protocols only, and local paths under the allowed directories (never the data directory).
    public var repositories: RepositorySourceRules
    /// `--service-ports`: a fixed `port` must lie in it.
    public var servicePorts: ClosedRange<Int>
    /// The ports Slipway itself listens on (the API and the edge): never a service's port.
    public var slipwayPorts: Set<Int>

    public init(repositories: RepositorySourceRules, servicePorts: ClosedRange<Int>, slipwayPorts: Set<Int>) {
        self.repositories = repositories
        self.servicePorts = servicePorts
        self.slipwayPorts = slipwayPorts
    }

    /// The problems of `settings` under these rules: a local repository outside the allowed directories (or inside
    /// the data directory), a fixed port that is Slipway's own or outside `servicePorts`. The shape of each value
    /// (a repository that is no URL, a port that is no TCP port) is `ProjectValidation`'s to report.
    public func problems(in settings: ProjectSettings) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if let repository = settings.repository, case .success(.local(let path)) = RepositorySourceRules.location(of: repository),
            let message = repositories.localPathProblem(path)
        {
            problems.append(FieldProblem(.name("repository"), message: message))
        }
        if let port = settings.service.port, (1...65535).contains(port), let message = portProblem(port) {
            problems.append(FieldProblem(.name("port"), message: message))
        }
        return problems
    }

    /// Why `port` may not be a service's fixed port on this install.
    public func portProblem(_ port: Int) -> String? {
        let range = "\(servicePorts.lowerBound)-\(servicePorts.upperBound)"
        if slipwayPorts.contains(port) {
            return "\(port) is Slipway's own port; a service's port must lie in the service port range \(range) (--service-ports)"
        }
        if !servicePorts.contains(port) {
            return "\(port) is outside the service port range \(range) (--service-ports); leave port unset to get one assigned"
        }
        return nil
    }
}
