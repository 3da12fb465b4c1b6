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

    /// One field is wrong, with the reason.
    public static func invalid(_ field: String, _ message: String) -> SlipwayError {
        .invalid([FieldProblem(field: field, message: message)])
    }

    public var description: String {
        switch self {
        case .invalid(let problems): problems.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        case .notFound(let message), .conflict(let message), .forbidden(let message), .tooManyRequests(let message): message
        }
    }
}

/// A named field and what is wrong with its value.
public struct FieldProblem: Sendable, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}
