import Foundation
import HTTPTypes

/// One change the audit trail records: the method and path pattern of its route, the action's name, what it is
/// done to, and where the target's id is in the path.
struct AuditedRoute: Sendable {
    /// Where an event belongs.
    enum Level: Sendable {
        /// The workspace the caller acts in.
        case workspace
        /// The install (users, limits, workspaces, sessions): no workspace, seen by install administrators.
        case install
    }

    var method: HTTPRequest.Method
    /// Path segments; `:name` matches one segment and captures it.
    var pattern: [Substring]
    var action: String
    var targetType: String
    /// The captured segment that names the target (its id or name), if the path names it.
    var targetParameter: String?
    var level: Level

    init(_ method: HTTPRequest.Method, _ path: String, _ action: String, target: String, _ parameter: String? = nil, level: Level = .workspace) {
        self.method = method
        self.pattern = path.split(separator: "/")
        self.action = action
        self.targetType = target
        self.targetParameter = parameter
        self.level = level
    }

    /// The captured segments when `segments` match the pattern.
    func match(_ segments: [Substring]) -> [String: String]? {
        guard segments.count == pattern.count else { return nil }
        var captured: [String: String] = [:]
        for (part, segment) in zip(pattern, segments) {
            if part.first == ":" {
                captured[String(part.dropFirst())] = String(segment).removingPercentEncoding ?? String(segment)
            } else if part != segment {
                return nil
            }
        }
        return captured
    }
}

/// Every route that changes something, in all four dialects and Slipway's git remote, with the action the audit
/// trail records for it (docs/audit.md). A test checks that every non-GET route of the router is here or in
/// `unaudited`, so a new route cannot be forgotten.
enum AuditedRoutes {
    static let cloudflareDeployments = "client/v4/accounts/:account_id/pages/projects/:project_name/deployments"

    static let all: [AuditedRoute] = [
        // Sessions and users (the install).
        AuditedRoute(.post, "api/v1/sessions", "session.create", target: "session", level: .install),
        AuditedRoute(.delete, "api/v1/sessions/current", "session.delete", target: "session", level: .install),
        AuditedRoute(.delete, "api/v1/sessions/:id", "session.revoke", target: "session", "id", level: .install),
        AuditedRoute(.put, "api/v1/me/password", "user.password_change", target: "user", level: .install),
        AuditedRoute(.post, "api/v1/users", "user.create", target: "user", level: .install),
        AuditedRoute(.put, "api/v1/users/:id/password", "user.password_reset", target: "user", "id", level: .install),
        AuditedRoute(.put, "api/v1/admin/limits", "limits.update", target: "install", level: .install),
        // Workspaces, members, invitations (an invitation's code is a credential: never its target).
        AuditedRoute(.post, "api/v1/workspaces", "workspace.create", target: "workspace", level: .install),
        AuditedRoute(.patch, "api/v1/workspaces/:id", "workspace.rename", target: "workspace", "id", level: .install),
        AuditedRoute(.delete, "api/v1/workspaces/:id", "workspace.delete", target: "workspace", "id", level: .install),
        AuditedRoute(.patch, "api/v1/members/:user_id", "member.role_change", target: "user", "user_id"),
        AuditedRoute(.delete, "api/v1/members/:user_id", "member.remove", target: "user", "user_id"),
        AuditedRoute(.post, "api/v1/invitations", "invitation.create", target: "invitation"),
        AuditedRoute(.delete, "api/v1/invitations/:code", "invitation.withdraw", target: "invitation"),
        AuditedRoute(.post, "api/v1/invitations/:code/accept", "invitation.accept", target: "invitation"),
        // Tokens.
        AuditedRoute(.post, "api/v1/tokens", "token.create", target: "token"),
        AuditedRoute(.delete, "api/v1/tokens/:id", "token.revoke", target: "token", "id"),
        // Projects, their env and domains.
        AuditedRoute(.post, "api/v1/projects", "project.create", target: "project"),
        AuditedRoute(.patch, "api/v1/projects/:project", "project.update", target: "project", "project"),
        AuditedRoute(.delete, "api/v1/projects/:project", "project.delete", target: "project", "project"),
        AuditedRoute(.post, "api/v1/projects/:project/unpin", "project.unpin", target: "project", "project"),
        AuditedRoute(.put, "api/v1/projects/:project/env", "env.replace", target: "project", "project"),
        AuditedRoute(.patch, "api/v1/projects/:project/env", "env.update", target: "project", "project"),
        AuditedRoute(.post, "api/v1/projects/:project/domains", "domain.add", target: "domain"),
        AuditedRoute(.delete, "api/v1/projects/:project/domains/:domain", "domain.remove", target: "domain", "domain"),
        AuditedRoute(.put, "api/v1/projects/:project/domains/:domain/certificate", "domain.certificate_upload", target: "domain", "domain"),
        AuditedRoute(.post, "api/v1/projects/:project/domains/:domain/verify", "domain.verify", target: "domain", "domain"),
        AuditedRoute(.put, "api/v1/projects/:project/commit-status", "commit_status.set", target: "project", "project"),
        AuditedRoute(.delete, "api/v1/projects/:project/commit-status", "commit_status.remove", target: "project", "project"),
        // Notification destinations (their URLs and secrets are never noted).
        AuditedRoute(.post, "api/v1/notifications", "notification.create", target: "notification"),
        AuditedRoute(.delete, "api/v1/notifications/:id", "notification.delete", target: "notification", "id"),
        AuditedRoute(.post, "api/v1/notifications/:id/test", "notification.test", target: "notification", "id"),
        // The dashboard's forms (docs/dashboard.md): the same changes, from its pages.
        AuditedRoute(.post, "login", "session.create", target: "session", level: .install),
        AuditedRoute(.post, "login/token", "session.token_login", target: "token", level: .install),
        AuditedRoute(.post, "logout", "session.delete", target: "session", level: .install),
        AuditedRoute(.post, "projects", "project.create", target: "project"),
        AuditedRoute(.post, "projects/:project/deployments", "deployment.create", target: "project", "project"),
        // The dashboard's project settings.
        AuditedRoute(.post, "projects/:project/settings", "project.update", target: "project", "project"),
        AuditedRoute(.post, "projects/:project/settings/webhook-secret", "project.update", target: "project", "project"),
        AuditedRoute(.post, "projects/:project/env", "env.update", target: "project", "project"),
        AuditedRoute(.post, "projects/:project/env/delete", "env.update", target: "project", "project"),
        AuditedRoute(.post, "projects/:project/domains", "domain.add", target: "domain"),
        AuditedRoute(.post, "projects/:project/domains/:domain/delete", "domain.remove", target: "domain", "domain"),
        AuditedRoute(.post, "projects/:project/domains/:domain/verify", "domain.verify", target: "domain", "domain"),
        AuditedRoute(.post, "deployments/:deployment/cancel", "deployment.cancel", target: "deployment", "deployment"),
        AuditedRoute(.post, "deployments/:deployment/kill", "deployment.kill", target: "deployment", "deployment"),
        AuditedRoute(.post, "deployments/:deployment/rerun", "deployment.rerun", target: "deployment", "deployment"),
        AuditedRoute(.post, "deployments/:deployment/rollback", "deployment.rollback", target: "deployment", "deployment"),
        AuditedRoute(.post, "deployments/:deployment/promote", "deployment.promote", target: "deployment", "deployment"),
        AuditedRoute(.post, "deployments/:deployment/delete", "deployment.delete", target: "deployment", "deployment"),
        // The dashboard's team pages (docs/dashboard.md).
        AuditedRoute(.post, "tokens", "token.create", target: "token"),
        AuditedRoute(.post, "tokens/:token/revoke", "token.revoke", target: "token", "token"),
        AuditedRoute(.post, "members/:user/role", "member.role_change", target: "user", "user"),
        AuditedRoute(.post, "members/:user/remove", "member.remove", target: "user", "user"),
        AuditedRoute(.post, "invitations", "invitation.create", target: "invitation"),
        AuditedRoute(.post, "invitations/:reference/withdraw", "invitation.withdraw", target: "invitation", "reference"),
        AuditedRoute(.post, "invitations/accept", "invitation.accept", target: "invitation"),
        AuditedRoute(.post, "admin/users", "user.create", target: "user", level: .install),
        AuditedRoute(.post, "admin/users/password", "user.password_reset", target: "user", level: .install),
        AuditedRoute(.post, "admin/workspaces", "workspace.create", target: "workspace", level: .install),
        AuditedRoute(.post, "admin/workspaces/:workspace/rename", "workspace.rename", target: "workspace", "workspace", level: .install),
        AuditedRoute(.post, "admin/workspaces/:workspace/delete", "workspace.delete", target: "workspace", "workspace", level: .install),
        AuditedRoute(.post, "admin/limits", "limits.update", target: "install", level: .install),
        // Deployments, native.
        AuditedRoute(.post, "api/v1/deployments", "deployment.create", target: "deployment"),
        AuditedRoute(.post, "api/v1/deployments/:deployment/rerun", "deployment.rerun", target: "deployment", "deployment"),
        AuditedRoute(.post, "api/v1/deployments/:deployment/rollback", "deployment.rollback", target: "deployment", "deployment"),
        AuditedRoute(.post, "api/v1/deployments/:deployment/promote", "deployment.promote", target: "deployment", "deployment"),
        AuditedRoute(.post, "api/v1/deployments/:deployment/cancel", "deployment.cancel", target: "deployment", "deployment"),
        AuditedRoute(.post, "api/v1/deployments/:deployment/kill", "deployment.kill", target: "deployment", "deployment"),
        AuditedRoute(.delete, "api/v1/deployments/:deployment", "deployment.delete", target: "deployment", "deployment"),
        // Deploys.
        AuditedRoute(.post, "api/deploys", "deployment.create", target: "deployment"),
        AuditedRoute(.post, "api/deploys/:deploy/cancel", "deployment.cancel", target: "deployment", "deploy"),
        // Dokploy (the deployment is named in the body: the handler notes it).
        AuditedRoute(.post, "api/deployment.killProcess", "deployment.kill", target: "deployment"),
        AuditedRoute(.post, "api/deployment.removeDeployment", "deployment.delete", target: "deployment"),
        // Cloudflare Pages.
        AuditedRoute(.post, cloudflareDeployments, "deployment.create", target: "deployment"),
        AuditedRoute(.delete, cloudflareDeployments + "/:deployment_id", "deployment.delete", target: "deployment", "deployment_id"),
        AuditedRoute(.post, cloudflareDeployments + "/:deployment_id/retry", "deployment.rerun", target: "deployment", "deployment_id"),
        AuditedRoute(.post, cloudflareDeployments + "/:deployment_id/rollback", "deployment.rollback", target: "deployment", "deployment_id"),
        AuditedRoute(.post, cloudflareDeployments + "/:deployment_id/cancel", "deployment.cancel", target: "deployment", "deployment_id"),
        // Slipway's git remote: a push deploys.
        AuditedRoute(.post, "git/:repository/git-receive-pack", "git.push", target: "project", "repository"),
    ]

    /// The non-GET routes that change nothing a person is accountable for here: a fetch through the git remote
    /// (a read), and signed git webhooks (no person or token: the forge, checked by the project's secret).
    static let unaudited: [(method: String, path: String)] = [
        ("POST", "git/:repository/git-upload-pack"),
        ("POST", "api/v1/hooks/git/:project_uid"),
    ]

    /// The audited route a method (by its name, `POST`) and path match.
    static func route(method: String, path: String) -> AuditedRoute? {
        HTTPRequest.Method(method).flatMap { route($0, path: path)?.0 }
    }

    /// The audited route `method` and `path` match, and the segments it captured.
    static func route(_ method: HTTPRequest.Method, path: String) -> (AuditedRoute, [String: String])? {
        switch method {
        case .get, .head, .options: return nil
        default: break
        }
        let segments = path.split(separator: "/")
        for route in all where route.method == method {
            if let captured = route.match(segments) { return (route, captured) }
        }
        return nil
    }
}
