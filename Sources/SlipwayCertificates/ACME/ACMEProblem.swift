/// A problem document (RFC 7807) as an ACME server sends it with an error (RFC 8555 §6.7), or inside a failed
/// challenge or order.
public struct ACMEProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The problem's type URI, such as `urn:ietf:params:acme:error:rateLimited`.
    public var type: String
    /// The server's explanation, for people.
    public var detail: String?
    /// The HTTP status the server gave, when it said.
    public var status: Int?
    /// Problems per identifier, for an error about several (`compound`).
    public var subproblems: [Subproblem]?

    /// One identifier's problem inside a compound problem.
    public struct Subproblem: Sendable, Hashable, Codable {
        /// The subproblem's type URI.
        public var type: String
        /// The server's explanation, for people.
        public var detail: String?
        /// The identifier the subproblem is about.
        public var identifier: ACMEIdentifier?

        /// A subproblem from its parts.
        public init(type: String, detail: String? = nil, identifier: ACMEIdentifier? = nil) {
            self.type = type
            self.detail = detail
            self.identifier = identifier
        }
    }

    /// A problem from its parts.
    public init(type: String, detail: String? = nil, status: Int? = nil, subproblems: [Subproblem]? = nil) {
        self.type = type
        self.detail = detail
        self.status = status
        self.subproblems = subproblems
    }

    /// The ACME error types of RFC 8555 §6.7 (the part after `urn:ietf:params:acme:error:`).
    public enum Kind: String, Sendable, CaseIterable {
        case accountDoesNotExist, alreadyRevoked, badCSR, badNonce, badPublicKey, badRevocationReason
        case badSignatureAlgorithm, caa, compound, connection, dns, externalAccountRequired, incorrectResponse
        case invalidContact, malformed, orderNotReady, rateLimited, rejectedIdentifier, serverInternal, tls
        case unauthorized, unsupportedContact, unsupportedIdentifier, userActionRequired
    }

    /// The ACME error type, when `type` is one of RFC 8555's.
    public var kind: Kind? {
        let prefix = "urn:ietf:params:acme:error:"
        guard type.hasPrefix(prefix) else { return nil }
        return Kind(rawValue: String(type.dropFirst(prefix.count)))
    }

    /// The type and the detail, with each subproblem's, on one line.
    public var description: String {
        var text = detail.map { "\(type): \($0)" } ?? type
        for subproblem in subproblems ?? [] {
            let name = subproblem.identifier.map { "\($0.value): " } ?? ""
            text += "; \(name)\(subproblem.detail ?? subproblem.type)"
        }
        return text
    }
}
