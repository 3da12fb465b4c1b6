import Foundation
import SlipwayCore

/// What the templates show of the domain's values: plain dictionaries of text and flags (mustache escapes every
/// `{{value}}`).
enum DashboardViews {
    /// `3 min ago` for a time `now` is after; `in 2 s` for one slightly ahead (clock skew).
    static func relative(_ date: Date, now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date).rounded())
        if seconds < 0 { return "just now" }
        if seconds < 60 { return "\(seconds) s ago" }
        if seconds < 3_600 { return "\(seconds / 60) min ago" }
        if seconds < 86_400 { return "\(seconds / 3_600) h ago" }
        return "\(seconds / 86_400) d ago"
    }

    /// `1 min 5 s`, `42 s`.
    static func duration(seconds: Int) -> String {
        if seconds < 60 { return "\(seconds) s" }
        if seconds < 3_600 { return "\(seconds / 60) min \(seconds % 60) s" }
        return "\(seconds / 3_600) h \(seconds % 3_600 / 60) min"
    }

    /// A time as the templates show it: `{{ago}}` with `{{iso}}` in the title.
    static func time(_ date: Date, now: Date) -> [String: Any] {
        ["iso": Timestamp.format(date), "ago": relative(date, now: now)]
    }

    /// One deployment as a row of a listing.
    static func deployment(_ deployment: Deployment, project: Project, urls: PublicURLs, now: Date) -> [String: Any] {
        var row: [String: Any] = [
            "id": String(deployment.id), "sequence": String(deployment.sequenceNumber), "state": deployment.state.rawValue,
            "trigger": deployment.trigger.rawValue, "branch": deployment.gitBranch, "environment": deployment.environment.rawValue,
            "created": time(deployment.createdAt, now: now), "duration": duration(seconds: deployment.duration(now: now)),
            "url": urls.url(for: RouteKey.deployment(shortID: deployment.shortID, project: project.name)),
            "isLive": deployment.id == project.productionDeploymentID, "shortID": deployment.shortID,
        ]
        if let commit = deployment.commitID { row["commit"] = String(commit.prefix(7)) }
        if let message = deployment.commitMessage { row["message"] = String(message.split(separator: "\n").first ?? "") }
        if let author = deployment.commitAuthor { row["author"] = author }
        if let error = deployment.error { row["error"] = error }
        return row
    }

    /// The stages of a deployment with their times.
    static func stages(_ deployment: Deployment, now: Date) -> [[String: Any]] {
        deployment.stages.map { stage in
            var row: [String: Any] = ["name": stage.name.rawValue, "status": stage.status.rawValue]
            // An idle or skipped stage shows no times (it has not run).
            if let started = stage.startedOn, stage.status != .idle, stage.status != .skipped {
                row["started"] = time(started, now: now)
                let end = stage.endedOn ?? now
                row["took"] = duration(seconds: max(0, Int(end.timeIntervalSince(started).rounded())))
            }
            return row
        }
    }
}
