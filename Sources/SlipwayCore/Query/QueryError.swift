import Foundation

/// A listing request Slipway cannot answer as asked: an unknown field, a wrong value type, an operator the field
/// does not support, malformed JSON, a cursor Slipway did not issue, a limit out of range.
/// Every dialect answers it 400, with `part` naming the offending parameter or path (`filter.AND[0].status.eq`).
public struct QueryError: Error, Equatable, CustomStringConvertible {
    /// The parameter or the path inside it that is wrong.
    public var part: String
    /// What is wrong with it.
    public var message: String

    /// An error about `part`.
    public init(_ part: String, _ message: String) {
        self.part = part
        self.message = message
    }

    /// `part: message`.
    public var description: String { "\(part): \(message)" }
}
