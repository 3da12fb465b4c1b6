extension ACMEClient {
    /// The newAccount request's payload (RFC 8555 §7.3).
    struct NewAccountPayload: Encodable {
        var termsOfServiceAgreed: Bool?
        var contact: [String]?
        var onlyReturnExisting: Bool?
    }

    /// The account object as the server sends it.
    struct AccountObject: Decodable {
        var status: String
        var contact: [String]?
    }

    /// The account of this key: created with the configured contacts and agreement to the terms, or, when the
    /// server already knows the key, the existing one (the server answers 200 with its URL).
    @discardableResult
    public func account() async throws(ACMEError) -> ACMEAccount {
        let payload = NewAccountPayload(
            termsOfServiceAgreed: configuration.termsOfServiceAgreed,
            contact: configuration.contactEmails.isEmpty ? nil : configuration.contactEmails.map { "mailto:\($0)" }
        )
        return try await newAccount(payload)
    }

    /// The existing account of this key, or nil when the server knows none (`onlyReturnExisting`; nothing is created).
    public func existingAccount() async throws(ACMEError) -> ACMEAccount? {
        do {
            return try await newAccount(NewAccountPayload(onlyReturnExisting: true))
        } catch let error where error.problem?.kind == .accountDoesNotExist {
            return nil
        }
    }

    private func newAccount(_ payload: NewAccountPayload) async throws(ACMEError) -> ACMEAccount {
        let newAccountURL = try await directory().newAccount
        let (object, response) = try await post(newAccountURL, json: payload, as: AccountObject.self, identifiedByKey: true)
        guard let location = response.location else {
            throw .unexpectedResponse(url: newAccountURL, reason: "no Location header for the account")
        }
        accountURL = location
        return ACMEAccount(url: location, status: object.status, contact: object.contact ?? [], isNew: response.status == 201)
    }
}
