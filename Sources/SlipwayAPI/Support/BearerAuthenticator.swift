import Foundation
import Hummingbird
import SlipwayCore

/// Authenticates `Authorization: Bearer <token>` (and Dokploy's `x-api-key`) against the stored token hashes; an
/// address that sent too many wrong tokens lately gets 429 (`AuthenticationFailureLimiter`).
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = SlipwayRequestContext
    let identities: any IdentityRepository
    let failures: AuthenticationFailureLimiter

    init(identities: any IdentityRepository, failures: AuthenticationFailureLimiter) {
        self.identities = identities
        self.failures = failures
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let secret = Self.secret(in: request.headers) else { throw APIError.unauthenticated }
        let address = context.remoteAddress?.ipAddress
        if let wait = failures.refusal(.token, address: address) { throw APIError.tooManyAuthenticationFailures(after: wait) }
        guard let identity = try await identities.authenticate(secret: secret) else {
            failures.recordFailure(.token, address: address)
            throw APIError.unauthenticated
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }

    static func secret(in headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let token = parts[1].trimmingCharacters(in: .whitespaces)
                return token.isEmpty ? nil : token
            }
            return nil
        }
        if let key = headers.first(where: { $0.name.canonicalName == "x-api-key" })?.value, !key.isEmpty { return key }
        return nil
    }
}
