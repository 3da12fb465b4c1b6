import SlipwayCertificates
import SlipwayEdge

/// The edge answers the CA's challenges itself: HTTP-01 on the plain listener, TLS-ALPN-01 on the HTTPS listener,
/// both from the one `ACMEChallenges` registry of the edge.
struct EdgeChallengeResponder: ACMEChallengeResponder {
    let challenges: ACMEChallenges

    func present(_ answer: ACMEChallengeAnswer) async throws {
        switch answer.content {
        case .http01(let token, let keyAuthorization):
            challenges.setHTTP01(token: token, keyAuthorization: keyAuthorization)
        case .tlsALPN01(let certificate):
            try challenges.setTLSALPN01(
                domain: certificate.name, certificateChainPEM: certificate.certificatePEM, privateKeyPEM: certificate.privateKeyPEM)
        }
    }

    func cleanUp(_ answer: ACMEChallengeAnswer) async throws {
        switch answer.content {
        case .http01(let token, _): challenges.removeHTTP01(token: token)
        case .tlsALPN01(let certificate): challenges.removeTLSALPN01(domain: certificate.name)
        }
    }
}
