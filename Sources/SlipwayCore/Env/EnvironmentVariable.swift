import Foundation

/// One environment variable of a project: its value and whether it is a secret (encrypted at rest, masked on read
/// and in logs).
public struct EnvironmentVariable: Sendable, Equatable, Codable {
    public var value: String
    public var secret: Bool

    /// A variable; `secret` defaults to false.
    public init(value: String, secret: Bool = false) {
        self.value = value
        self.secret = secret
    }
}

/// A set of environment variables by name: one environment of a project, or a deployment's snapshot.
public typealias EnvironmentVariables = [String: EnvironmentVariable]

/// The rules for environment variable names and values (docs/env.md).
public enum EnvironmentValidation {
    /// The longest name accepted.
    public static let maximumNameLength = 256
    /// The largest value accepted, in UTF-8 bytes (64 KiB).
    public static let maximumValueBytes = 64 * 1024
    /// Names Slipway sets itself and a project may not override.
    public static let reservedNames: Set<String> = ["PATH", "HOME"]
    /// The prefix of Slipway's own facts (`SLIPWAY_DEPLOYMENT_ID`, …), reserved too.
    public static let reservedPrefix = "SLIPWAY_"

    /// What is wrong with a variable name, or nil when it is a valid, unreserved name.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "must not be empty" }
        if name.utf8.count > maximumNameLength { return "must be at most \(maximumNameLength) characters" }
        let bytes = Array(name.utf8)
        func isLetter(_ byte: UInt8) -> Bool { (65...90).contains(byte) || (97...122).contains(byte) || byte == 95 }
        guard isLetter(bytes[0]), bytes.allSatisfy({ isLetter($0) || (48...57).contains($0) }) else {
            return "must be an environment variable name: a letter or '_', then letters, digits or '_'"
        }
        if reservedNames.contains(name) || name.hasPrefix(reservedPrefix) || name == "SLIPWAY" {
            return "is reserved: Slipway sets PATH, HOME and the SLIPWAY_* variables itself"
        }
        return nil
    }

    /// What is wrong with a value, or nil.
    public static func valueProblem(_ value: String) -> String? {
        if value.utf8.count > maximumValueBytes { return "must be at most 64 KiB (\(maximumValueBytes) bytes)" }
        if value.utf8.contains(0) { return "must not contain NUL characters" }
        return nil
    }

    /// Checks a whole PUT body: environment names, variable names and values. Every problem names its field
    /// (`environment`, `production.KEY`, `production.KEY.value`).
    public static func validate(
        _ environments: [String: EnvironmentVariables]
    ) throws(SlipwayError) -> [DeploymentEnvironment: EnvironmentVariables] {
        var problems: [FieldProblem] = []
        var valid: [DeploymentEnvironment: EnvironmentVariables] = [:]
        for (environmentName, variables) in environments.sorted(by: { $0.key < $1.key }) {
            guard let environment = DeploymentEnvironment(rawValue: environmentName) else {
                problems.append(FieldProblem(FieldPath(verbatim: environmentName), message: "is not an environment: use 'production' or 'preview'"))
                continue
            }
            for (name, variable) in variables.sorted(by: { $0.key < $1.key }) {
                if let message = nameProblem(name) {
                    problems.append(FieldProblem(FieldPath([.verbatim(environmentName), .verbatim(name)]), message: message))
                }
                if let message = valueProblem(variable.value) {
                    problems.append(FieldProblem(FieldPath([.verbatim(environmentName), .verbatim(name), .name("value")]), message: message))
                }
            }
            valid[environment] = variables
        }
        guard problems.isEmpty else { throw .invalid(problems) }
        return valid
    }
}

/// Replaces every secret value in a text by `•••` before it is written anywhere (log lines).
public struct SecretMasker: Sendable, Equatable {
    /// What a secret value reads as.
    public static let mask = "•••"

    /// The texts to hide, longest first, so that a secret containing another is hidden whole.
    public private(set) var secrets: [String]

    /// A masker for the secret values among `variables`; a multi-line value is also hidden line by line, since logs
    /// are written a line at a time.
    public init(variables: EnvironmentVariables) {
        self.init(secrets: variables.values.filter(\.secret).map(\.value))
    }

    /// A masker for these values (empty ones are ignored).
    public init(secrets: [String]) {
        var texts = Set<String>()
        for secret in secrets where !secret.isEmpty {
            texts.insert(secret)
            for line in secret.split(whereSeparator: \.isNewline) where !line.isEmpty { texts.insert(String(line)) }
        }
        self.secrets = texts.sorted { ($0.utf8.count, $0) > ($1.utf8.count, $1) }
    }

    /// Whether there is nothing to hide.
    public var isEmpty: Bool { secrets.isEmpty }

    /// `text` with every occurrence of a secret replaced by `•••`.
    public func apply(_ text: String) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: Self.mask)
        }
        return text
    }
}
