import Foundation

/// The errors the domain reports; each API dialect maps them to its status codes and shapes in one place.
public enum SlipwayError: Error, Equatable, CustomStringConvertible {
    /// Input that breaks a rule: each entry names the field and what is wrong with it.
    case invalid([FieldProblem])
    /// Nothing of that kind with that id in the caller's workspace.
    case notFound(String)
    /// The request is valid, but the current state forbids it.
    case conflict(String)
    /// The token lacks the scope this needs.
    case forbidden(String)
    /// The queue is full.
    case tooManyRequests(String)

    /// One field is wrong, with the reason; `field` is a dialect's own name, shown as it is.
    public static func invalid(_ field: String, _ message: String) -> SlipwayError {
        .invalid([FieldProblem(field: field, message: message)])
    }

    /// One field of the domain is wrong, with the reason; each dialect names it its own way.
    public static func invalid(_ field: FieldPath, _ message: String) -> SlipwayError {
        .invalid([FieldProblem(field, message: message)])
    }

    /// The message, with the fields of the domain named by `naming` (a dialect's convention).
    public func message(naming: FieldNaming) -> String {
        switch self {
        case .invalid(let problems): problems.map { "\($0.field.rendered(naming)): \($0.message)" }.joined(separator: "; ")
        case .notFound(let message), .conflict(let message), .forbidden(let message), .tooManyRequests(let message): message
        }
    }

    /// The message with the domain's own names (`gitBranch`), for logs.
    public var description: String { message(naming: .domain) }
}

/// A field and what is wrong with its value.
public struct FieldProblem: Sendable, Equatable {
    public var field: FieldPath
    public var message: String

    /// A problem with a field of the domain.
    public init(_ field: FieldPath, message: String) {
        self.field = field
        self.message = message
    }

    /// A problem with a field named as a dialect names it (`per_page`, `buildId`), shown as it is.
    public init(field: String, message: String) {
        self.init(FieldPath(verbatim: field), message: message)
    }
}

/// Where a problem is: the names of the domain (`projectIDs`, `gitBranch`), which each dialect spells its own way,
/// names shown as they are (a dialect's own, or a user's: an environment variable), and list positions.
public struct FieldPath: Sendable, Equatable, CustomStringConvertible {
    /// One step of a path.
    public enum Component: Sendable, Equatable {
        /// A field of the domain, in camelCase.
        case name(String)
        /// A name shown as it is.
        case verbatim(String)
        /// A position in a list, from 0.
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component]) {
        self.components = components
    }

    /// A field of the domain.
    public static func name(_ name: String) -> FieldPath { FieldPath([.name(name)]) }

    /// A path shown exactly as written (its dots included).
    public init(verbatim text: String) {
        self.init([.verbatim(text)])
    }

    /// This path, then a field of the domain.
    public func name(_ name: String) -> FieldPath { FieldPath(components + [.name(name)]) }
    /// This path, then a name shown as it is.
    public func verbatim(_ name: String) -> FieldPath { FieldPath(components + [.verbatim(name)]) }
    /// This path, then a list position.
    public func index(_ position: Int) -> FieldPath { FieldPath(components + [.index(position)]) }

    /// The path with its domain names spelled by `naming`, its steps joined by dots.
    public func rendered(_ naming: FieldNaming) -> String {
        components.map { component in
            switch component {
            case .name(let name): naming.spell(name)
            case .verbatim(let text): text
            case .index(let position): String(position)
            }
        }.joined(separator: ".")
    }

    /// The path with the domain's own names.
    public var description: String { rendered(.domain) }
}

/// How a dialect spells the domain's camelCase field names.
public enum FieldNaming: Sendable {
    /// As the domain does: `projectIDs`, `gitBranch`.
    case domain
    /// snake_case, as the native API and Cloudflare do: `project_ids`, `git_branch`.
    case snakeCase
    /// camelCase with `Id` for a trailing `ID`, as the Deploys and Dokploy APIs do: `projectIds`, `commitId`.
    case camelCase

    /// `name` spelled this way.
    public func spell(_ name: String) -> String {
        switch self {
        case .domain:
            return name
        case .snakeCase:
            return Self.snakeCase(name)
        case .camelCase:
            return name.replacingOccurrences(of: "IDs", with: "Ids").replacingOccurrences(of: "ID", with: "Id")
        }
    }

    /// An underscore before each capital that follows a lower-case letter or digit, then all lower case. Also how
    /// the store names a property's column, so it is quick: names are ASCII, and bytes are worked on directly (the
    /// Unicode-aware path cost about 20% of decoding a page of 100 rows).
    private static func snakeCase(_ name: String) -> String {
        if name.utf8.allSatisfy({ $0 < 0x80 }) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(name.utf8.count + 4)
            var previous: UInt8 = 0
            for byte in name.utf8 {
                let isUpper = (65...90).contains(byte)
                if isUpper, (97...122).contains(previous) || (48...57).contains(previous) { bytes.append(95) }
                bytes.append(isUpper ? byte + 32 : byte)
                previous = byte
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        var spelled = ""
        var previous: Character?
        for character in name {
            if character.isUppercase, let previous, previous.isLowercase || previous.isNumber { spelled.append("_") }
            spelled.append(contentsOf: character.lowercased())
            previous = character
        }
        return spelled
    }
}
