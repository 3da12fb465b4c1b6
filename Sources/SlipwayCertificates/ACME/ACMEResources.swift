/// The directory of an ACME server (RFC 8555 §7.1.1): the URL of each resource.
public struct ACMEDirectory: Sendable, Hashable, Decodable {
    /// Where fresh nonces come from (HEAD).
    public var newNonce: String
    /// Where accounts are created or found.
    public var newAccount: String
    /// Where orders are placed.
    public var newOrder: String
    /// Where certificates are revoked.
    public var revokeCert: String?
    /// Where account keys are rolled over.
    public var keyChange: String?
    /// What the CA says about itself.
    public var meta: Meta?

    /// The directory's `meta` object.
    public struct Meta: Sendable, Hashable, Decodable {
        /// The terms of service an account agrees to.
        public var termsOfService: String?
        /// The CA's website.
        public var website: String?
        /// Whether accounts must be bound to an external account.
        public var externalAccountRequired: Bool?
    }
}

/// An identifier an order asks a certificate for (only `dns` here).
public struct ACMEIdentifier: Sendable, Hashable, Codable {
    /// `dns`.
    public var type: String
    /// The host name.
    public var value: String

    /// A DNS name identifier.
    public static func dns(_ name: String) -> ACMEIdentifier { ACMEIdentifier(type: "dns", value: name) }

    /// An identifier from its parts.
    public init(type: String, value: String) {
        self.type = type
        self.value = value
    }
}

/// An ACME account (RFC 8555 §7.1.2) and its URL, the `kid` of every later request.
public struct ACMEAccount: Sendable, Hashable {
    /// The account's URL.
    public var url: String
    /// `valid`, `deactivated` or `revoked`.
    public var status: String
    /// The contact URLs (`mailto:`).
    public var contact: [String]
    /// Whether this request created the account (201) rather than found it (200).
    public var isNew: Bool
}

/// An order (RFC 8555 §7.1.3).
public struct ACMEOrder: Sendable, Hashable, Decodable {
    /// The order's URL (its `Location` when created).
    public var url: String = ""
    /// Where the order stands.
    public var status: Status
    /// The names it asks for.
    public var identifiers: [ACMEIdentifier]
    /// One authorization URL per identifier.
    public var authorizations: [String]
    /// Where the CSR goes once the order is `ready`.
    public var finalize: String
    /// Where the certificate is once the order is `valid`.
    public var certificate: String?
    /// Why the order became invalid, when the CA said.
    public var error: ACMEProblem?

    /// The states of an order (RFC 8555 §7.1.6).
    public enum Status: String, Sendable, Hashable, Decodable {
        case pending, ready, processing, valid, invalid
    }

    enum CodingKeys: String, CodingKey {
        case status, identifiers, authorizations, finalize, certificate, error
    }
}

/// An authorization of one identifier (RFC 8555 §7.1.4) and the challenges that can prove it.
public struct ACMEAuthorization: Sendable, Hashable, Decodable {
    /// The authorization's URL.
    public var url: String = ""
    /// Where the authorization stands.
    public var status: Status
    /// The name to prove control of.
    public var identifier: ACMEIdentifier
    /// The ways to prove it.
    public var challenges: [ACMEChallenge]
    /// Whether the order asked for `*.` this name.
    public var wildcard: Bool?

    /// The states of an authorization (RFC 8555 §7.1.6).
    public enum Status: String, Sendable, Hashable, Decodable {
        case pending, valid, invalid, deactivated, expired, revoked
    }

    enum CodingKeys: String, CodingKey {
        case status, identifier, challenges, wildcard
    }
}

/// One challenge of an authorization (RFC 8555 §7.1.5, §8).
public struct ACMEChallenge: Sendable, Hashable, Decodable {
    /// `http-01`, `tls-alpn-01`, `dns-01`, …
    public var type: String
    /// Where the client says it is ready.
    public var url: String
    /// Where the challenge stands: `pending`, `processing`, `valid` or `invalid`.
    public var status: String
    /// The token the key authorization is made of.
    public var token: String?
    /// Why validation failed, when it did.
    public var error: ACMEProblem?
}

/// The challenge types this client can answer.
public enum ACMEChallengeType: String, Sendable, Hashable, CaseIterable {
    /// A file at `http://NAME/.well-known/acme-challenge/TOKEN` (RFC 8555 §8.3).
    case http01 = "http-01"
    /// A certificate served for SNI `NAME` with ALPN `acme-tls/1` (RFC 8737).
    case tlsALPN01 = "tls-alpn-01"
}
