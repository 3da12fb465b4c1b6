public import Foundation

/// The senders of git webhooks Slipway understands.
public enum WebhookProvider: String, Sendable, Equatable, CaseIterable {
    case github
    case gitlab
    case gitea
    /// Slipway's own JSON shape, for CI systems and scripts (docs/git.md).
    case generic
}

/// What a webhook delivery asks for.
public enum WebhookEvent: Sendable, Equatable {
    /// A ping (GitHub's `ping`, the generic `{"event": "ping"}`): answered 200, nothing else.
    case ping
    /// A push of one ref.
    case push(GitPush)
    /// Another event (pull requests, issues, …): answered 200 and ignored, with the reason.
    case ignored(String)
}

/// Reads the push payloads of GitHub, GitLab, Gitea/Forgejo and the generic shape into `GitPush` values.
/// Header names are given in lower case. Signatures are checked by the caller before anything is parsed.
public enum WebhookPayload {
    /// Which sender a delivery comes from, by its headers. Gitea and Forgejo also send `X-GitHub-Event`, so their
    /// own headers are looked at first.
    public static func provider(headers: [String: String]) -> WebhookProvider {
        if headers["x-gitea-event"] != nil || headers["x-forgejo-event"] != nil || headers["x-gogs-event"] != nil { return .gitea }
        if headers["x-gitlab-event"] != nil { return .gitlab }
        if headers["x-github-event"] != nil { return .github }
        return .generic
    }

    /// The delivery id a sender puts in its headers, if any.
    public static func deliveryID(provider: WebhookProvider, headers: [String: String]) -> String? {
        let names: [String] =
            switch provider {
            case .github: ["x-github-delivery"]
            case .gitea: ["x-gitea-delivery", "x-forgejo-delivery", "x-gogs-delivery", "x-github-delivery"]
            case .gitlab: ["x-gitlab-event-uuid", "idempotency-key"]
            case .generic: ["x-slipway-delivery"]
            }
        return names.lazy.compactMap { headers[$0] }.first { !$0.isEmpty }
    }

    /// Reads a delivery. Throws `SlipwayError.invalid` naming the field when a push payload is not what it should be.
    public static func parse(provider: WebhookProvider, headers: [String: String], body: Data) throws(SlipwayError) -> WebhookEvent {
        let delivery = deliveryID(provider: provider, headers: headers)
        switch provider {
        case .github, .gitea:
            let event = headers["x-gitea-event"] ?? headers["x-forgejo-event"] ?? headers["x-gogs-event"] ?? headers["x-github-event"] ?? ""
            if event == "ping" { return .ping }
            guard event == "push" else { return .ignored("event '\(event)' is not a push") }
            let payload = try decode(ForgePush.self, body)
            return .push(payload.push(provider: provider.rawValue, deliveryID: delivery))
        case .gitlab:
            let event = headers["x-gitlab-event"] ?? ""
            guard event == "Push Hook" || event == "Tag Push Hook" || event == "System Hook" else {
                return .ignored("event '\(event)' is not a push")
            }
            let payload = try decode(GitLabPush.self, body)
            guard payload.objectKind == nil || payload.objectKind == "push" || payload.objectKind == "tag_push" else {
                return .ignored("object_kind '\(payload.objectKind ?? "")' is not a push")
            }
            return .push(payload.push(deliveryID: delivery))
        case .generic:
            let payload = try decode(GenericPush.self, body)
            let event = payload.event ?? "push"
            if event == "ping" { return .ping }
            guard event == "push" else { return .ignored("event '\(event)' is not a push") }
            return .push(try payload.push(deliveryID: payload.deliveryID ?? delivery))
        }
    }

    /// Whether a sha is git's "no object" (all zeros): the old side of a creation, the new side of a deletion.
    public static func isZeroSHA(_ sha: String?) -> Bool {
        guard let sha, !sha.isEmpty else { return true }
        return sha.allSatisfy { $0 == "0" }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ body: Data) throws(SlipwayError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .invalid(path(context.codingPath + [key]), "is required")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .invalid(path(context.codingPath), "has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .invalid(path(context.codingPath), "must not be null")
        } catch {
            throw .invalid("body", "is not a JSON push payload")
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        let joined = keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return joined.isEmpty ? "body" : joined
    }

    /// The union of the paths the commits of a push touched, in first-seen order; nil when no commit lists any.
    static func changedPaths(_ commits: [ForgeCommit]) -> [String]? {
        guard commits.contains(where: { $0.added != nil || $0.removed != nil || $0.modified != nil }) else { return nil }
        var seen = Set<String>()
        var paths: [String] = []
        for commit in commits {
            for path in (commit.added ?? []) + (commit.removed ?? []) + (commit.modified ?? []) where seen.insert(path).inserted {
                paths.append(path)
            }
        }
        return paths
    }
}

/// A commit as GitHub, Gitea and GitLab list them in push payloads.
struct ForgeCommit: Decodable {
    struct Author: Decodable {
        var name: String?
        var email: String?
    }

    var id: String
    var message: String?
    var url: String?
    var author: Author?
    var added: [String]?
    var removed: [String]?
    var modified: [String]?

    /// `Name <email>`, as the pipeline records authors of the commits it checks out.
    var authorText: String? {
        guard let author else { return nil }
        switch (author.name, author.email) {
        case (let name?, let email?): return "\(name) <\(email)>"
        case (let name?, nil): return name
        case (nil, let email?): return "<\(email)>"
        case (nil, nil): return nil
        }
    }
}

/// GitHub's and Gitea's `push` payload.
struct ForgePush: Decodable {
    var ref: String
    var after: String?
    var deleted: Bool?
    var headCommit: ForgeCommit?
    var commits: [ForgeCommit]?

    enum CodingKeys: String, CodingKey {
        case ref, after, deleted, commits
        case headCommit = "head_commit"
    }

    func push(provider: String, deliveryID: String?) -> GitPush {
        let isDeletion = deleted == true || WebhookPayload.isZeroSHA(after)
        let commits = commits ?? []
        let head = headCommit ?? commits.last { $0.id == after } ?? commits.last
        return GitPush(
            provider: provider, deliveryID: deliveryID, ref: ref, isDeletion: isDeletion,
            commitID: isDeletion ? nil : (after ?? head?.id), commitMessage: head?.message, commitAuthor: head?.authorText,
            commitURL: head?.url, changedPaths: WebhookPayload.changedPaths(commits.isEmpty ? (head.map { [$0] } ?? []) : commits)
        )
    }
}

/// GitLab's `Push Hook` and `Tag Push Hook` payload.
struct GitLabPush: Decodable {
    var objectKind: String?
    var ref: String
    var after: String?
    var checkoutSHA: String?
    var commits: [ForgeCommit]?
    var totalCommitsCount: Int?

    enum CodingKeys: String, CodingKey {
        case ref, after, commits
        case objectKind = "object_kind"
        case checkoutSHA = "checkout_sha"
        case totalCommitsCount = "total_commits_count"
    }

    func push(deliveryID: String?) -> GitPush {
        let isDeletion = WebhookPayload.isZeroSHA(after)
        let commits = commits ?? []
        let sha = checkoutSHA ?? after
        let head = commits.last { $0.id == sha } ?? commits.last
        // GitLab lists at most 20 commits: with more, the changed paths are not all known.
        let complete = (totalCommitsCount ?? commits.count) <= commits.count
        return GitPush(
            provider: "gitlab", deliveryID: deliveryID, ref: ref, isDeletion: isDeletion, commitID: isDeletion ? nil : sha,
            commitMessage: head?.message, commitAuthor: head?.authorText, commitURL: head?.url,
            changedPaths: complete ? WebhookPayload.changedPaths(commits) : nil
        )
    }
}

/// The generic shape (docs/git.md):
/// `{"event": "push", "delivery_id": "…", "ref": "refs/heads/main" | "branch": "main", "deleted": false,
///   "commit": {"id": "<sha>", "message": "…", "author": "…", "url": "…"}, "changed_paths": ["…"]}`.
struct GenericPush: Decodable {
    struct Commit: Decodable {
        var id: String
        var message: String?
        var author: String?
        var url: String?
    }

    var event: String?
    var deliveryID: String?
    var ref: String?
    var branch: String?
    var deleted: Bool?
    var commit: Commit?
    var changedPaths: [String]?

    enum CodingKeys: String, CodingKey {
        case event, ref, branch, deleted, commit
        case deliveryID = "delivery_id"
        case changedPaths = "changed_paths"
    }

    func push(deliveryID: String?) throws(SlipwayError) -> GitPush {
        guard let ref = ref ?? branch.map({ "refs/heads/" + $0 }) else { throw .invalid("ref", "is required (or 'branch')") }
        let isDeletion = deleted == true
        if !isDeletion {
            guard let commit else { throw .invalid("commit", "is required") }
            if commit.id.count != 40 || ProjectValidation.commitProblem(commit.id) != nil {
                throw .invalid("commit.id", "must be the full 40-digit commit sha")
            }
        }
        return GitPush(
            provider: "generic", deliveryID: deliveryID, ref: ref, isDeletion: isDeletion, commitID: isDeletion ? nil : commit?.id,
            commitMessage: commit?.message, commitAuthor: commit?.author, commitURL: commit?.url, changedPaths: changedPaths
        )
    }
}
