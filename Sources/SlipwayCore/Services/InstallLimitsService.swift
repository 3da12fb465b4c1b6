/// The install-wide limits (docs/tenancy.md): install administrators read and set them; the store applies them where
/// each is decided (a new project, an admission, a claim of a worker), in the same transaction.
public struct InstallLimitsService: Sendable {
    public let limits: any InstallLimitsRepository
    /// What applies when a limit is not set: the server's `--queue-cap` and `--workspace-workers`.
    public let defaults: InstallLimits

    public init(limits: any InstallLimitsRepository, defaults: InstallLimits) {
        self.limits = limits
        self.defaults = defaults
    }

    /// The limits set, and the defaults that apply where none is.
    public func current(by caller: Caller) async throws -> InstallLimits {
        try caller.requireInstallAdministrator()
        return try await limits.limits()
    }

    /// Replaces the limits (install administrators); every wrong value is named.
    public func set(_ new: InstallLimits, by caller: Caller) async throws -> InstallLimits {
        try caller.requireInstallAdministrator()
        guard new.problems.isEmpty else { throw SlipwayError.invalid(new.problems) }
        try await limits.setLimits(new)
        return new
    }
}
