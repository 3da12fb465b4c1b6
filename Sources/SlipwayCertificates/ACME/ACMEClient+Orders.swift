extension ACMEClient {
    /// The newOrder request's payload.
    struct NewOrderPayload: Encodable {
        var identifiers: [ACMEIdentifier]
    }

    /// The finalize request's payload: the CSR's DER, base64url.
    struct FinalizePayload: Encodable {
        var csr: String
    }

    /// The (empty) payload that tells the CA a challenge is ready.
    struct ChallengeReadyPayload: Encodable {}

    /// Places an order for a certificate naming `names` (DNS identifiers).
    public func newOrder(names: [String]) async throws(ACMEError) -> ACMEOrder {
        let newOrderURL = try await directory().newOrder
        var (order, response) = try await post(newOrderURL, json: NewOrderPayload(identifiers: names.map(ACMEIdentifier.dns)), as: ACMEOrder.self)
        guard let location = response.location else { throw .unexpectedResponse(url: newOrderURL, reason: "no Location header for the order") }
        order.url = location
        return order
    }

    /// The order at `url` as it stands.
    public func order(at url: String) async throws(ACMEError) -> ACMEOrder {
        var (order, _) = try await postAsGet(url, as: ACMEOrder.self)
        order.url = url
        return order
    }

    /// The authorization at `url` as it stands.
    public func authorization(at url: String) async throws(ACMEError) -> ACMEAuthorization {
        var (authorization, _) = try await postAsGet(url, as: ACMEAuthorization.self)
        authorization.url = url
        return authorization
    }

    /// Tells the CA that `challenge` can be validated now (RFC 8555 §7.5.1).
    @discardableResult
    public func respond(to challenge: ACMEChallenge) async throws(ACMEError) -> ACMEChallenge {
        try await post(challenge.url, json: ChallengeReadyPayload(), as: ACMEChallenge.self).0
    }

    /// Polls the authorization at `url` until it is no longer pending; returns it when valid, throws the failed
    /// challenge's problem (`refused`) when it became invalid, expired, deactivated or revoked.
    public func waitForAuthorization(at url: String) async throws(ACMEError) -> ACMEAuthorization {
        for attempt in 1...max(1, configuration.polling.maximumAttempts) {
            var (authorization, response) = try await postAsGet(url, as: ACMEAuthorization.self)
            authorization.url = url
            switch authorization.status {
            case .valid: return authorization
            case .pending:
                if attempt < configuration.polling.maximumAttempts { try await pauseBeforePolling(after: response) }
            case .invalid, .deactivated, .expired, .revoked:
                let problem =
                    authorization.challenges.compactMap(\.error).first
                    ?? ACMEProblem(
                        type: "about:blank", detail: "the authorization of \(authorization.identifier.value) is \(authorization.status.rawValue)")
                throw .refused(problem, retryAfter: nil)
            }
        }
        throw .stillPending(url: url, status: ACMEAuthorization.Status.pending.rawValue, attempts: configuration.polling.maximumAttempts)
    }

    /// Polls the order at `url` until its status is one of `statuses` (`ready` or `valid` by default: after the
    /// authorizations; `valid` alone after finalization); throws its problem (`refused`) when it became invalid.
    public func waitForOrder(at url: String, until statuses: Set<ACMEOrder.Status> = [.ready, .valid]) async throws(ACMEError) -> ACMEOrder {
        var lastStatus = ACMEOrder.Status.pending
        for attempt in 1...max(1, configuration.polling.maximumAttempts) {
            var (order, response) = try await postAsGet(url, as: ACMEOrder.self)
            order.url = url
            lastStatus = order.status
            if statuses.contains(order.status) { return order }
            if order.status == .invalid {
                throw .refused(order.error ?? ACMEProblem(type: "about:blank", detail: "the order \(url) is invalid"), retryAfter: nil)
            }
            if attempt < configuration.polling.maximumAttempts { try await pauseBeforePolling(after: response) }
        }
        throw .stillPending(url: url, status: lastStatus.rawValue, attempts: configuration.polling.maximumAttempts)
    }

    /// Sends the CSR (DER) to a `ready` order's finalize URL and returns the order as the CA answers.
    public func finalize(_ order: ACMEOrder, certificateSigningRequest der: [UInt8]) async throws(ACMEError) -> ACMEOrder {
        var (finalized, _) = try await post(order.finalize, json: FinalizePayload(csr: Base64URL.encode(der)), as: ACMEOrder.self)
        finalized.url = order.url
        return finalized
    }

    /// Downloads the certificate chain at `url` (PEM, leaf first; RFC 8555 §7.4.2).
    public func downloadCertificateChain(at url: String) async throws(ACMEError) -> String {
        let response = try await post(url, payload: nil, accept: "application/pem-certificate-chain")
        let text = String(decoding: response.body, as: UTF8.self)
        guard text.contains("-----BEGIN CERTIFICATE-----") else {
            throw .unexpectedResponse(url: url, reason: "the certificate is not PEM: \(text.prefix(200))")
        }
        return text
    }

    /// The key authorization of `token` for this client's account key.
    public nonisolated func keyAuthorization(token: String) -> String {
        accountKey.keyAuthorization(token: token)
    }
}
