import Crypto
import Logging

extension ACMEClient {
    /// Obtains a certificate for `names` end to end: the account (created or found), an order, one challenge per
    /// authorization answered through `responder` (the first type of `preferring` the CA offers for that name),
    /// a fresh P-256 key and its CSR, finalization, and the chain. Returns the chain and its key, checked.
    ///
    /// Throws `ACMEError`: `.refused` with the CA's problem (a failed validation carries the CA's detail, a rate
    /// limit its `Retry-After`), `.noAcceptableChallenge`, `.challengeResponderFailed`, `.stillPending`, … Every
    /// answer presented is cleaned up, whatever happened.
    public func issue(
        names: [String], preferring challengeTypes: [ACMEChallengeType] = [.http01, .tlsALPN01],
        responder: some ACMEChallengeResponder
    ) async throws(ACMEError) -> CertificateBundle {
        if accountURL == nil { try await account() }
        let order = try await newOrder(names: names)
        for authorizationURL in order.authorizations {
            try await authorize(at: authorizationURL, preferring: challengeTypes, responder: responder)
        }
        let ready = try await waitForOrder(at: order.url)
        let key = P256.Signing.PrivateKey()
        var certificateURL = ready.certificate
        if ready.status == .ready {
            let csr: [UInt8]
            do {
                csr = try CertificateSigningRequestMaker.der(names: names, key: key)
            } catch {
                throw .certificateRequestFailed("\(error)")
            }
            var finalized = try await finalize(ready, certificateSigningRequest: csr)
            if finalized.status != .valid { finalized = try await waitForOrder(at: order.url, until: [.valid]) }
            certificateURL = finalized.certificate
        }
        guard let certificateURL else { throw .unexpectedResponse(url: order.url, reason: "the valid order has no certificate URL") }
        let chainPEM = try await downloadCertificateChain(at: certificateURL)
        do {
            return try CertificateBundle(chainPEM: chainPEM, privateKeyPEM: key.pemRepresentation)
        } catch {
            throw .unexpectedResponse(url: certificateURL, reason: "the issued chain does not check: \(error)")
        }
    }

    /// Proves control of one authorization's name, unless it is already valid.
    private func authorize(
        at url: String, preferring challengeTypes: [ACMEChallengeType], responder: some ACMEChallengeResponder
    ) async throws(ACMEError) {
        let authorization = try await authorization(at: url)
        guard authorization.status == .pending else {
            if authorization.status == .valid { return }
            _ = try await waitForAuthorization(at: url)
            return
        }
        let name = authorization.identifier.value
        guard
            let (type, challenge) = challengeTypes.lazy.compactMap({ type in
                authorization.challenges.first { $0.type == type.rawValue }.map { (type, $0) }
            }).first
        else {
            throw .noAcceptableChallenge(name: name, offered: authorization.challenges.map(\.type))
        }
        guard let token = challenge.token else { throw .unexpectedResponse(url: url, reason: "the \(challenge.type) challenge has no token") }
        let answer = try answer(for: name, type: type, token: token)
        do {
            try await responder.present(answer)
        } catch {
            throw .challengeResponderFailed(name: name, reason: "\(error)")
        }
        let outcome: Result<Void, ACMEError>
        do {
            try await respond(to: challenge)
            _ = try await waitForAuthorization(at: url)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        do {
            try await responder.cleanUp(answer)
        } catch {
            logger.warning("ACME challenge clean-up failed", metadata: ["name": "\(name)", "error": "\(error)"])
        }
        try outcome.get()
    }

    /// What to serve for `type` with `token`.
    private func answer(for name: String, type: ACMEChallengeType, token: String) throws(ACMEError) -> ACMEChallengeAnswer {
        let keyAuthorization = keyAuthorization(token: token)
        switch type {
        case .http01:
            return ACMEChallengeAnswer(name: name, content: .http01(token: token, keyAuthorization: keyAuthorization))
        case .tlsALPN01:
            do {
                return ACMEChallengeAnswer(
                    name: name, content: .tlsALPN01(try TLSALPNChallengeCertificate.make(name: name, keyAuthorization: keyAuthorization)))
            } catch {
                throw .challengeResponderFailed(name: name, reason: "cannot make the TLS-ALPN-01 certificate: \(error)")
            }
        }
    }
}
