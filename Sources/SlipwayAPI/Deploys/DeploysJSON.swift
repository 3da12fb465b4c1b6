import Foundation
import SlipwayCore

/// The JSON shapes of the Deploys dialect (seed 001): camelCase, prefixed ids, the seed's status and trigger words.

/// A deploy as `GET /api/deploys`, `POST /api/deploys` and `GET /api/deploys/{id}` show it.
struct DeployJSON: Encodable {
    var deployment: Deployment
    var workspace: Workspace
    var project: ProjectReference?
    var createdBy: String?
    var urls: PublicURLs
    /// Set on the single deploy only.
    var includesSteps = false

    enum Key: String, CodingKey {
        case id, workspaceId, entityId, sequenceNumber, buildId, status, trigger, sourceEventId, productionUrl, previewUrl, error, metadata
        case createdBy, startedAt, completedAt, createdAt, steps
    }

    /// The seed's status word for a state (DESIGN.md §2).
    static func status(_ state: DeploymentState) -> String {
        switch state {
        case .queued: "pending"
        case .running: "running"
        case .success: "completed"
        case .failed, .canceled, .skipped: "failed"
        }
    }

    /// The seed's trigger word: rerun and promote show as manual.
    static func trigger(_ trigger: DeploymentTrigger) -> String {
        switch trigger {
        case .auto: "auto"
        case .manual, .rerun, .promote: "manual"
        case .rollback: "rollback"
        }
    }

    /// `error`: the failure, or "canceled: reason" / "skipped: reason"; nil unless the deploy failed.
    static func error(_ deployment: Deployment) -> String? {
        switch deployment.state {
        case .failed: deployment.error ?? "failed"
        case .canceled: "canceled: \(deployment.progress.reason ?? "canceled")"
        case .skipped: "skipped: \(deployment.progress.reason ?? "skipped")"
        case .queued, .running, .success: nil
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(PrefixedID.deployment.format(deployment.uid), forKey: .id)
        try container.encode(PrefixedID.workspace.format(workspace.uid), forKey: .workspaceId)
        try container.encode(project.map { PrefixedID.app.format($0.uid) }, forKey: .entityId)
        try container.encode(deployment.sequenceNumber, forKey: .sequenceNumber)
        try container.encode(deployment.buildID.map { PrefixedID.build.format($0) }, forKey: .buildId)
        try container.encode(Self.status(deployment.state), forKey: .status)
        try container.encode(Self.trigger(deployment.trigger), forKey: .trigger)
        try container.encodeNil(forKey: .sourceEventId)
        let productionURL = project.flatMap { deployment.environment == .production ? urls.url(for: RouteKey.production(project: $0.name)) : nil }
        try container.encode(productionURL, forKey: .productionUrl)
        try container.encode(project.map { urls.url(for: RouteKey.deployment(shortID: deployment.shortID, project: $0.name)) }, forKey: .previewUrl)
        try container.encode(Self.error(deployment), forKey: .error)
        try container.encode(DeployMetadata(deployment: deployment), forKey: .metadata)
        try container.encode(createdBy, forKey: .createdBy)
        try container.encode(deployment.startedAt.map(Timestamp.format), forKey: .startedAt)
        try container.encode(deployment.completedAt.map(Timestamp.format), forKey: .completedAt)
        try container.encode(Timestamp.format(deployment.createdAt), forKey: .createdAt)
        if includesSteps { try container.encode(deployment.stages.map(DeployStep.init), forKey: .steps) }
    }
}

/// `metadata`: what Slipway knows of a deploy beyond the seed's fields; `buildType` is the build type of the deploy's
/// config snapshot (`command`, `dockerfile`, `compose`).
struct DeployMetadata: Encodable {
    var deployment: Deployment

    enum Key: String, CodingKey {
        case environment, gitBranch, commitId, commitMessage, commitAuthor, description, shortId, state, trigger, nativeId, reason
        case buildType
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(deployment.environment, forKey: .environment)
        try container.encode(deployment.gitBranch, forKey: .gitBranch)
        try container.encode(deployment.commitID, forKey: .commitId)
        try container.encode(deployment.commitMessage, forKey: .commitMessage)
        try container.encode(deployment.commitAuthor, forKey: .commitAuthor)
        try container.encode(deployment.description, forKey: .description)
        try container.encode(deployment.shortID, forKey: .shortId)
        try container.encode(deployment.state, forKey: .state)
        try container.encode(deployment.trigger, forKey: .trigger)
        try container.encode(deployment.id, forKey: .nativeId)
        try container.encode(deployment.progress.reason, forKey: .reason)
        try container.encode(deployment.config.build.type, forKey: .buildType)
    }
}

/// One step (stage) of a deploy: `{name, status, startedAt, endedAt}`.
struct DeployStep: Encodable {
    var name: String
    var status: String
    var startedAt: String?
    var endedAt: String?

    init(_ stage: DeploymentStage) {
        name = stage.name.rawValue
        status = stage.status.rawValue
        startedAt = stage.startedOn.map(Timestamp.format)
        endedAt = stage.endedOn.map(Timestamp.format)
    }

    enum CodingKeys: String, CodingKey {
        case name, status, startedAt, endedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(endedAt, forKey: .endedAt)
    }
}

/// `pageInfo` of a listing (Relay style).
struct DeployPageInfo: Encodable {
    var total: Int
    var hasNextPage: Bool
    var hasPreviousPage: Bool
    var startCursor: String?
    var endCursor: String?

    init(_ page: DeploymentPage) {
        total = page.total
        hasNextPage = page.hasNextPage
        hasPreviousPage = page.hasPreviousPage
        startCursor = page.startCursor
        endCursor = page.endCursor
    }

    enum CodingKeys: String, CodingKey {
        case total, hasNextPage, hasPreviousPage, startCursor, endCursor
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(total, forKey: .total)
        try container.encode(hasNextPage, forKey: .hasNextPage)
        try container.encode(hasPreviousPage, forKey: .hasPreviousPage)
        try container.encode(startCursor, forKey: .startCursor)
        try container.encode(endCursor, forKey: .endCursor)
    }
}

/// `GET /api/deploys`: `{"data": […], "pageInfo": {…}}`.
struct DeployListJSON: Encodable {
    var data: [DeployJSON]
    var pageInfo: DeployPageInfo
}

/// `POST /api/deploys/{id}/cancel`: `{"success": true}`.
struct DeployCancelJSON: Encodable {
    var success: Bool
}

/// A hand-written JSON writer for the listing, the hot path of `GET /api/deploys`: the same document that
/// `JSONEncoder` makes of `DeployListJSON` (the tests compare the two), about ten times cheaper on a page of 100
/// (no boxing of every value, no `String(format:)` for ids and timestamps).
struct DeployJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// `{"data": […], "pageInfo": {…}}`.
    static func render(_ list: DeployListJSON) -> [UInt8] {
        var writer = DeployJSONWriter(capacity: 1024 + 800 * list.data.count)
        writer.raw("{\"data\":[")
        for (index, deploy) in list.data.enumerated() {
            if index > 0 { writer.raw(",") }
            writer.deploy(deploy)
        }
        let info = list.pageInfo
        writer.raw("],\"pageInfo\":{\"total\":")
        writer.integer(Int64(info.total))
        writer.raw(",\"hasNextPage\":")
        writer.raw(info.hasNextPage ? "true" : "false")
        writer.raw(",\"hasPreviousPage\":")
        writer.raw(info.hasPreviousPage ? "true" : "false")
        writer.key("startCursor")
        writer.string(info.startCursor)
        writer.key("endCursor")
        writer.string(info.endCursor)
        writer.raw("}}")
        return writer.bytes
    }

    /// One deploy without `steps` (the listing never shows them).
    mutating func deploy(_ json: DeployJSON) {
        let deployment = json.deployment
        raw("{\"id\":")
        prefixed(.deployment, deployment.uid)
        key("workspaceId")
        prefixed(.workspace, json.workspace.uid)
        key("entityId")
        if let project = json.project { prefixed(.app, project.uid) } else { raw("null") }
        key("sequenceNumber")
        integer(deployment.sequenceNumber)
        key("buildId")
        if let build = deployment.buildID { prefixed(.build, build) } else { raw("null") }
        key("status")
        string(DeployJSON.status(deployment.state))
        key("trigger")
        string(DeployJSON.trigger(deployment.trigger))
        key("sourceEventId")
        raw("null")
        key("productionUrl")
        string(json.project.flatMap { deployment.environment == .production ? json.urls.url(for: RouteKey.production(project: $0.name)) : nil })
        key("previewUrl")
        string(json.project.map { json.urls.url(for: RouteKey.deployment(shortID: deployment.shortID, project: $0.name)) })
        key("error")
        string(DeployJSON.error(deployment))
        raw(",\"metadata\":{\"environment\":")
        string(deployment.environment.rawValue)
        key("gitBranch")
        string(deployment.gitBranch)
        key("commitId")
        string(deployment.commitID)
        key("commitMessage")
        string(deployment.commitMessage)
        key("commitAuthor")
        string(deployment.commitAuthor)
        key("description")
        string(deployment.description)
        key("shortId")
        string(deployment.shortID)
        key("state")
        string(deployment.state.rawValue)
        key("trigger")
        string(deployment.trigger.rawValue)
        key("nativeId")
        integer(deployment.id)
        key("reason")
        string(deployment.progress.reason)
        key("buildType")
        string(deployment.config.build.type.rawValue)
        raw("}")
        key("createdBy")
        string(json.createdBy)
        key("startedAt")
        timestamp(deployment.startedAt)
        key("completedAt")
        timestamp(deployment.completedAt)
        key("createdAt")
        timestamp(deployment.createdAt)
        raw("}")
    }

    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `,"name":`
    private mutating func key(_ name: StaticString) {
        bytes.append(UInt8(ascii: ","))
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func integer(_ value: Int64) {
        bytes.append(contentsOf: String(value).utf8)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// `"dep_…"`: the prefix and the 32 lower-case hex digits of the UUID.
    private mutating func prefixed(_ kind: PrefixedID, _ uuid: UUID) {
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: kind.rawValue.utf8)
        withUnsafeBytes(of: uuid.uuid) { raw in
            for byte in raw {
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A JSON string, or `null`; escapes what RFC 8259 requires (slashes stay as they are, like `JSONBody`'s encoder).
    private mutating func string(_ value: String?) {
        guard let value else { return raw("null") }
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0..<0x20:
                raw("\\u00")
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `Timestamp.format` (`2024-05-01T12:00:00.000000Z`) without `String(format:)`, or `null`.
    private mutating func timestamp(_ date: Date?) {
        guard let date else { return raw("null") }
        let micros = Timestamp.microseconds(date)
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let year = Int(parts.tm_year) + 1900
        guard (0...9999).contains(year) else { return string(Timestamp.format(date)) }
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        bytes.append(UInt8(ascii: "\""))
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2)
        bytes.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2)
        bytes.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2)
        bytes.append(UInt8(ascii: "."))
        digits(Int(fraction), 6)
        raw("Z\"")
    }
}
