import Crypto
import Foundation
import PostgresKit
import SQLiteKit
import SlipwayCore

/// What goes wrong inside the store itself, as opposed to a domain rule (`SlipwayError`).
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The store was closed; nothing more can run on it.
    case closed
    /// `--database-url` is not a PostgreSQL URL the store understands.
    case invalidDatabaseURL(String)
    /// A stored value cannot be read back: a bug or a hand-edited database.
    case corruptValue(table: String, column: String, value: String)
    /// The database was migrated by a newer Slipway than this one.
    case schemaTooNew(version: Int64, known: Int64)
    /// The database cannot be opened: `database` names it (never with a password), `reason` says why in words.
    case unavailable(database: String, reason: String)

    /// A sentence saying what went wrong.
    public var description: String {
        switch self {
        case .closed: "the store is closed"
        case .invalidDatabaseURL(let reason): "invalid database URL: \(reason)"
        case .corruptValue(let table, let column, let value): "unreadable value in \(table).\(column): \(value)"
        case .schemaTooNew(let version, let known):
            "the database has schema version \(version), but this Slipway knows versions up to \(known) only; upgrade Slipway"
        case .unavailable(let database, let reason): "cannot open \(database): \(reason)"
        }
    }
}

/// How Core values are written into columns and read back, in one place for every repository.
enum StoredValue {
    /// A timestamp as BIGINT microseconds since 1970.
    static func microseconds(_ date: Date) -> Int64 { Timestamp.microseconds(date) }

    /// `time` cut to whole microseconds, as it reads back from the database, so what is returned equals what is stored.
    static func storedPrecision(_ time: Date) -> Date { Timestamp.date(microseconds: Timestamp.microseconds(time)) }

    /// An optional timestamp as nullable BIGINT microseconds since 1970.
    static func microseconds(_ date: Date?) -> Int64? { date.map(Timestamp.microseconds) }

    /// A timestamp read back from microseconds.
    static func date(_ microseconds: Int64) -> Date { Timestamp.date(microseconds: microseconds) }

    /// An optional timestamp read back from microseconds.
    static func date(_ microseconds: Int64?) -> Date? { microseconds.map(Timestamp.date(microseconds:)) }

    /// A UUID read back from its lower-case dashed text.
    static func uuid(_ text: String, table: String, column: String) throws -> UUID {
        guard let uuid = UUID(uuidString: text) else { throw StoreError.corruptValue(table: table, column: column, value: text) }
        return uuid
    }

    /// An enum read back from its raw value.
    static func enumeration<Value: RawRepresentable<String>>(_ type: Value.Type, _ text: String, table: String, column: String) throws -> Value {
        guard let value = Value(rawValue: text) else { throw StoreError.corruptValue(table: table, column: column, value: text) }
        return value
    }

    /// Scopes as comma-separated text, lowest first: `read,deploy`.
    static func scopesText(_ scopes: Set<Scope>) -> String {
        scopes.sorted().map(\.rawValue).joined(separator: ",")
    }

    /// Scopes read back from comma-separated text.
    static func scopes(_ text: String) throws -> Set<Scope> {
        var scopes: Set<Scope> = []
        for part in text.split(separator: ",") {
            guard let scope = Scope(rawValue: String(part)) else {
                throw StoreError.corruptValue(table: "api_tokens", column: "scopes", value: text)
            }
            scopes.insert(scope)
        }
        return scopes
    }

    /// The SHA-256 of a token secret as 64 lower-case hex digits: all the store ever keeps of a secret.
    static func tokenHash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// A deployment's stages as JSON text; timestamps inside are integer microseconds, so they read back exactly.
    static func stagesJSON(_ stages: [DeploymentStage]) throws -> String {
        try json(stages)
    }

    /// Stages read back from JSON text.
    static func stages(_ text: String) throws -> [DeploymentStage] {
        do {
            return try decode([DeploymentStage].self, text)
        } catch {
            throw StoreError.corruptValue(table: "deployments", column: "stages", value: text)
        }
    }

    /// A build config snapshot as JSON text.
    static func configJSON(_ config: BuildConfig) throws -> String {
        try json(config)
    }

    /// A build config read back from JSON text.
    static func config(_ text: String) throws -> BuildConfig {
        do {
            return try decode(BuildConfig.self, text)
        } catch {
            throw StoreError.corruptValue(table: "deployments", column: "config", value: text)
        }
    }

    /// A project's source rules as JSON text.
    static func sourceConfigJSON(_ source: SourceConfig) throws -> String {
        try json(source)
    }

    /// Source rules read back from JSON text; a missing column (a row read before migration 4) gives the defaults.
    static func sourceConfig(_ text: String?) throws -> SourceConfig {
        guard let text else { return SourceConfig() }
        do {
            return try decode(SourceConfig.self, text)
        } catch {
            throw StoreError.corruptValue(table: "projects", column: "source_config", value: text)
        }
    }

    /// A project's build type settings as JSON text (the type itself is its own column too).
    static func buildTypeConfigJSON(_ build: BuildTypeConfig) throws -> String {
        try json(build)
    }

    /// A project's build type config from its two columns; a row from before migration 18 builds with a command. The
    /// `build_type` column is the type: the JSON holds the settings.
    static func buildTypeConfig(type: String?, _ text: String?) throws -> BuildTypeConfig {
        var config = BuildTypeConfig()
        if let text {
            do {
                config = try decode(BuildTypeConfig.self, text)
            } catch {
                throw StoreError.corruptValue(table: "projects", column: "build_type_config", value: text)
            }
        }
        if let type { config.type = try enumeration(BuildType.self, type, table: "projects", column: "build_type") }
        return config
    }

    /// A project's service config as JSON text.
    static func serviceConfigJSON(_ service: ServiceConfig) throws -> String {
        try json(service)
    }

    /// A service config read back from JSON text; a missing column (a row read before migration 8) gives the defaults.
    static func serviceConfig(_ text: String?) throws -> ServiceConfig {
        guard let text else { return ServiceConfig() }
        do {
            return try decode(ServiceConfig.self, text)
        } catch {
            throw StoreError.corruptValue(table: "projects", column: "service_config", value: text)
        }
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom(encodeMicroseconds)
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom(decodeMicroseconds)
        return try decoder.decode(Value.self, from: Data(text.utf8))
    }

    @Sendable private static func encodeMicroseconds(_ date: Date, _ encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Timestamp.microseconds(date))
    }

    @Sendable private static func decodeMicroseconds(_ decoder: any Decoder) throws -> Date {
        Timestamp.date(microseconds: try decoder.singleValueContainer().decode(Int64.self))
    }
}

/// A UNIQUE constraint, recognisable in the errors of both databases.
struct UniqueConstraint: Sendable {
    /// The constraint's name, as PostgreSQL reports it.
    var name: String
    /// `table.column`, as SQLite reports it ("UNIQUE constraint failed: projects.name").
    var column: String

    /// Whether `error` is a violation of this constraint.
    func isViolated(by error: any Error) -> Bool {
        if let error = error as? SQLiteError {
            return error.reason == .constraintUniqueFailed && error.message.contains(column)
        }
        if let error = error as? PSQLError {
            return error.serverInfo?[.sqlState] == "23505" && error.serverInfo?[.constraintName] == name
        }
        return false
    }

    /// Runs `body`; a violation of this constraint becomes `replacement`, a domain error the API can map.
    func translatingViolation<Result>(into replacement: SlipwayError, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch {
            if isViolated(by: error) { throw replacement }
            throw error
        }
    }

    static let projectName = UniqueConstraint(name: "projects_name_unique", column: "projects.name")
    static let tokenHash = UniqueConstraint(name: "api_tokens_token_hash_unique", column: "api_tokens.token_hash")
    static let userLogin = UniqueConstraint(name: "users_login_unique", column: "users.login")
    static let sessionTokenHash = UniqueConstraint(name: "sessions_token_hash_unique", column: "sessions.token_hash")
    static let workspaceName = UniqueConstraint(name: "workspaces_name_unique", column: "workspaces.name")
    static let invitationCodeHash = UniqueConstraint(name: "invitations_code_hash_unique", column: "invitations.code_hash")
    static let domainHostname = UniqueConstraint(name: "domains_hostname_unique", column: "domains.hostname")
    /// The primary key of `memberships`: one membership per user and workspace.
    static let membership = UniqueConstraint(name: "memberships_pkey", column: "memberships.workspace_id")
}
