public import Foundation
import Synchronization

/// What one host name serves: one deployment — the files of its build (`static`) or its running process
/// (`service`, whose port `ServiceEndpoints` knows while it runs).
public struct RouteTarget: Sendable, Equatable {
    public var deploymentID: Int64
    public var buildID: UUID
    public var kind: ProjectKind

    public init(deploymentID: Int64, buildID: UUID, kind: ProjectKind = .static) {
        self.deploymentID = deploymentID
        self.buildID = buildID
        self.kind = kind
    }
}

/// The names a deployment answers to, as the labels before the install's domain.
public enum RouteKey {
    /// `<project>`: the active production deployment.
    public static func production(project: String) -> String { project }
    /// `<short_id>.<project>`: one deployment, forever.
    public static func deployment(shortID: String, project: String) -> String { "\(shortID).\(project)" }
    /// `<branch-slug>.<project>`: the latest successful deployment of a branch.
    public static func branch(_ branch: String, project: String) -> String { "\(BranchSlug.make(branch)).\(project)" }
}

/// The live routes: host label → deployment, and custom domain → the route key it serves like. The edge reads it on
/// every request; the pipeline switches it right after the store has committed the change, so a switch is one pointer
/// change for every request after it. A custom domain follows its key: when production switches, so do its domains.
public final class RouteTable: Sendable {
    private struct State {
        var routes: [String: RouteTarget] = [:]
        /// Custom domain (normalised hostname) → what it serves.
        var customDomains: [String: DomainRoute] = [:]
    }

    private let state = Mutex<State>(State())
    private let changes = Atomic<Int>(0)

    public init() {}

    /// How many times the table has changed so far: a reader that saw the same number when it looked a key up may
    /// keep what it found (the edge does, per connection) instead of taking the lock again.
    public var version: Int { changes.load(ordering: .acquiring) }

    /// Changes the table under its lock, and its version with it.
    private func change(_ body: (inout State) -> Void) {
        state.withLock { state in
            body(&state)
            changes.add(1, ordering: .releasing)
        }
    }

    /// The target for the labels in front of the domain (`hello`, `1a2b3c4d.hello`, `feature-x.hello`).
    public func target(for key: String) -> RouteTarget? {
        state.withLock { $0.routes[key] }
    }

    /// Every key that points at `deploymentID`.
    public func keys(pointingAt deploymentID: Int64) -> [String] {
        state.withLock { state in state.routes.filter { $0.value.deploymentID == deploymentID }.map(\.key).sorted() }
    }

    /// Every route of the project named `project`: its production key (`<project>`), its branch aliases and its
    /// deployments' own keys (`<label>.<project>`; a project's name is one DNS label, so no other project's key ends so).
    public func routes(ofProject project: String) -> [String: RouteTarget] {
        let suffix = "." + project
        return state.withLock { state in state.routes.filter { $0.key == project || $0.key.hasSuffix(suffix) } }
    }

    /// Points the keys at their targets, all at once.
    public func set(_ entries: [String: RouteTarget]) {
        change { state in state.routes.merge(entries) { _, new in new } }
    }

    /// Removes these keys.
    public func remove(_ keys: [String]) {
        change { state in
            for key in keys { state.routes[key] = nil }
        }
    }

    /// Removes every route of a project (it was deleted), its custom domains with them.
    public func removeProject(_ name: String) {
        change { state in
            state.routes = state.routes.filter { $0.key != name && !$0.key.hasSuffix("." + name) }
            state.customDomains = state.customDomains.filter { $0.value.projectName != name }
        }
    }

    /// The custom domains of a renamed project follow its new name.
    public func renameProject(from oldName: String, to newName: String) {
        change { state in
            for (hostname, route) in state.customDomains where route.projectName == oldName {
                state.customDomains[hostname] = DomainRoute(projectName: newName, branch: route.branch)
            }
        }
    }

    /// The route key a custom domain serves like (`hello`, `staging.hello`), or nil for a host that is none. A host
    /// that is no domain itself is served by the wildcard domain that matches it (`a.example.com` by `*.example.com`,
    /// one label only: not `example.com`, not `b.a.example.com`): an exact domain wins.
    public func routeKey(forCustomDomain hostname: String) -> String? {
        state.withLock { state in
            if let route = state.customDomains[hostname] { return route.key }
            return DomainRules.wildcard(matching: hostname).flatMap { state.customDomains[$0]?.key }
        }
    }

    /// Routes a custom domain (added).
    public func setCustomDomain(_ hostname: String, _ route: DomainRoute) {
        change { $0.customDomains[hostname] = route }
    }

    /// Stops routing a custom domain (removed).
    public func removeCustomDomain(_ hostname: String) {
        change { $0.customDomains[hostname] = nil }
    }

    /// Replaces every custom domain with what the store holds (start-up).
    public func loadCustomDomains(_ domains: [String: DomainRoute]) {
        change { $0.customDomains = domains }
    }

    /// The custom domains that serve `deploymentID` now (those whose key points at it), sorted: a deployment's
    /// aliases. Wildcard domains are left out: `*.example.com` is no URL anyone can open.
    public func customDomains(pointingAt deploymentID: Int64) -> [String] {
        state.withLock { state in
            state.customDomains.filter { !DomainRules.isWildcard($0.key) && state.routes[$0.value.key]?.deploymentID == deploymentID }
                .map(\.key).sorted()
        }
    }

    /// Replaces every deployment route with what the store says is live (start-up, a rename); custom domains stay.
    public func load(_ live: [LiveDeployment]) {
        var table: [String: RouteTarget] = [:]
        var latestOfBranch: [String: Int64] = [:]
        for deployment in live.sorted(by: { $0.deploymentID < $1.deploymentID }) {
            let target = RouteTarget(deploymentID: deployment.deploymentID, buildID: deployment.buildID, kind: deployment.kind)
            let shortID = String(deployment.uid.hexDigits.prefix(8))
            table[RouteKey.deployment(shortID: shortID, project: deployment.projectName)] = target
            let branchKey = RouteKey.branch(deployment.gitBranch, project: deployment.projectName)
            if deployment.deploymentID > latestOfBranch[branchKey, default: 0] {
                latestOfBranch[branchKey] = deployment.deploymentID
                table[branchKey] = target
            }
            if deployment.isProduction {
                table[RouteKey.production(project: deployment.projectName)] = target
            }
        }
        change { $0.routes = table }
    }

    /// The routes a deployment that has just gone live takes: its own, its branch's, and production if it is.
    public static func entries(forLive deployment: Deployment, project: Project, isProduction: Bool) -> [String: RouteTarget] {
        guard let buildID = deployment.buildID else { return [:] }
        let target = RouteTarget(deploymentID: deployment.id, buildID: buildID, kind: deployment.config.kind)
        var entries = [
            RouteKey.deployment(shortID: deployment.shortID, project: project.name): target,
            RouteKey.branch(deployment.gitBranch, project: project.name): target,
        ]
        if isProduction { entries[RouteKey.production(project: project.name)] = target }
        return entries
    }
}

/// Branch names as DNS labels: lower case, every run of other characters turned into one `-`, at most 63 characters.
public enum BranchSlug {
    public static func make(_ branch: String) -> String {
        var slug = ""
        for scalar in branch.lowercased().unicodeScalars {
            let isLabelCharacter = (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9")
            if isLabelCharacter {
                slug.unicodeScalars.append(scalar)
            } else if !slug.hasSuffix("-") {
                slug.append("-")
            }
        }
        let trimmed = slug.trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        let capped = String(trimmed.prefix(63)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return capped.isEmpty ? "branch" : capped
    }
}

/// The public URLs of the install: `http://<labels>.<domain>:<port>`.
public struct PublicURLs: Sendable, Equatable {
    public var scheme: String
    public var domain: String
    public var port: Int

    public init(scheme: String = "http", domain: String, port: Int) {
        self.scheme = scheme
        self.domain = domain
        self.port = port
    }

    /// The URL of a route key (see `RouteKey`).
    public func url(for key: String) -> String {
        let defaultPort = (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
        return "\(scheme)://\(key).\(domain)" + (defaultPort ? "" : ":\(port)")
    }

    /// The URL of a host name of its own (a custom domain): the scheme and port of the install's URLs.
    public func url(forHost hostname: String) -> String {
        let defaultPort = (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
        return "\(scheme)://\(hostname)" + (defaultPort ? "" : ":\(port)")
    }

    /// The URL of the API and dashboard.
    public var api: String {
        let defaultPort = (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
        return "\(scheme)://\(domain)" + (defaultPort ? "" : ":\(port)")
    }
}
