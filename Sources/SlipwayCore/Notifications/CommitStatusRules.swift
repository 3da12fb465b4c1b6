import Foundation

/// Commit statuses: a project's deployments posted back to its forge as the status of their commit, so that a pull
/// request shows the state and the preview URL (docs/notifications.md). Each forge's published API shape is built by
/// `CommitStatusRequest`; this checks the settings.
public enum CommitStatusRules {
    /// The deployment events that post a status.
    public static let events: Set<NotificationEventKind> = [
        .deploymentQueued, .deploymentStarted, .deploymentSucceeded, .deploymentFailed, .deploymentCanceled,
    ]

    /// The API a forge is reached at when none is given: GitHub's and GitLab's public ones; Gitea has none.
    public static func defaultAPIURL(_ forge: NotificationDestinationKind) -> String? {
        switch forge {
        case .github: "https://api.github.com"
        case .gitlab: "https://gitlab.com/api/v4"
        default: nil
        }
    }

    /// The settings of a `PUT /api/v1/projects/{id}/commit-status` body, checked: `forge` github, gitlab or gitea;
    /// `repository` `owner/name` (GitLab: its numeric id or `group/…/name` path); `token` 1 to 512 printable
    /// characters; `api_url` an http(s) URL (required for Gitea), public unless private targets are allowed.
    public static func validate(
        forge: String?, repository: String?, token: String?, apiURL: String?, projectID: Int64, rules: NotificationRules
    ) throws -> NewNotificationDestination {
        var problems: [FieldProblem] = []
        let kind = forge.flatMap(NotificationDestinationKind.init(rawValue:)).flatMap { $0.isForge ? $0 : nil }
        if kind == nil { problems.append(FieldProblem(field: "forge", message: "must be one of github, gitlab, gitea")) }
        if let message = repositoryProblem(repository, forge: kind) { problems.append(FieldProblem(field: "repository", message: message)) }
        if let token {
            if !(1...512).contains(token.count) || token.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x21 || $0 > 0x7e } ?? true })
            {
                problems.append(FieldProblem(field: "token", message: "must be 1 to 512 printable ASCII characters without spaces"))
            }
        } else {
            problems.append(FieldProblem(field: "token", message: "is required"))
        }
        let url = apiURL ?? kind.flatMap(defaultAPIURL)
        if kind != nil {
            if url == nil {
                problems.append(FieldProblem(field: "api_url", message: "is required for Gitea and Forgejo (e.g. https://codeberg.org/api/v1)"))
            } else if let message = rules.urlProblem(url) {
                problems.append(FieldProblem(field: "api_url", message: message))
            }
        }
        guard problems.isEmpty, let kind, let url, let repository, let token else { throw SlipwayError.invalid(problems) }
        let base = url.hasSuffix("/") ? String(url.dropLast()) : url
        return NewNotificationDestination(kind: kind, url: base, events: events, secret: token, projectID: projectID, repository: repository)
    }

    private static func repositoryProblem(_ repository: String?, forge: NotificationDestinationKind?) -> String? {
        guard let repository, !repository.isEmpty else { return "is required" }
        guard repository.count <= 255 else { return "must be at most 255 characters" }
        let segments = repository.split(separator: "/", omittingEmptySubsequences: false)
        let allowed = { (segment: Substring) in
            !segment.isEmpty && segment != "." && segment != ".."
                && segment.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }
        if forge == .gitlab {
            if repository.allSatisfy(\.isNumber) { return nil }
            return segments.count >= 2 && segments.allSatisfy(allowed) ? nil : "must be the project's id or its path, group/name"
        }
        return segments.count == 2 && segments.allSatisfy(allowed) ? nil : "must be owner/name"
    }
}
