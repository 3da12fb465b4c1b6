public import AsyncHTTPClient
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1

/// A client of one ACME server (RFC 8555) for one account key: the directory, nonces, signed requests, the account,
/// orders and their authorizations, finalization and the certificate chain. `issue(names:preferring:responder:)`
/// runs all of it for a certificate.
///
/// Every method throws `ACMEError` only. The actor owns the nonce pool and the account URL; calls may overlap.
public actor ACMEClient {
    /// What the client needs besides the HTTP client and the key.
    public struct Configuration: Sendable {
        /// The directory URL (`--acme-directory`).
        public var directoryURL: String
        /// Contact e-mail addresses for the account (`--acme-email`), sent as `mailto:` URLs.
        public var contactEmails: [String]
        /// Whether the operator agreed to the CA's terms of service (`--acme-accept-terms`).
        public var termsOfServiceAgreed: Bool
        /// How authorizations and orders are polled.
        public var polling: ACMEPollingPolicy
        /// How many times a request refused with `badNonce` is sent again with a fresh nonce.
        public var badNonceRetries: Int
        /// Waits between polls; a test records or skips the waits.
        public var sleep: @Sendable (Duration) async throws -> Void
        /// The time now, for `Retry-After` dates.
        public var now: @Sendable () -> Date

        /// A configuration from its parts, polling and sleeping for real by default.
        public init(
            directoryURL: String, contactEmails: [String] = [], termsOfServiceAgreed: Bool = false,
            polling: ACMEPollingPolicy = ACMEPollingPolicy(), badNonceRetries: Int = 1,
            sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.directoryURL = directoryURL
            self.contactEmails = contactEmails
            self.termsOfServiceAgreed = termsOfServiceAgreed
            self.polling = polling
            self.badNonceRetries = badNonceRetries
            self.sleep = sleep
            self.now = now
        }
    }

    /// The account key every request is signed with.
    public nonisolated let accountKey: ACMEAccountKey
    let configuration: Configuration
    let httpClient: HTTPClient
    let logger: Logger

    /// The directory, fetched once.
    var cachedDirectory: ACMEDirectory?
    /// Nonces from `Replay-Nonce` headers, not used yet; the newest is used first.
    var nonces: [String] = []
    /// The account's URL once newAccount answered.
    var accountURL: String?
    /// How many requests were sent again after a `badNonce` refusal (for logs and tests).
    public private(set) var badNonceRetryCount = 0

    /// A client of the server at `configuration.directoryURL` for `accountKey`, talking through `httpClient`
    /// (see `ACMEHTTPClient.make`), which the caller shuts down.
    public init(configuration: Configuration, accountKey: ACMEAccountKey, httpClient: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.accountKey = accountKey
        self.httpClient = httpClient
        self.logger = logger
    }

    /// The server's directory (fetched on first use).
    public func directory() async throws(ACMEError) -> ACMEDirectory {
        if let cachedDirectory { return cachedDirectory }
        var request = HTTPClientRequest(url: configuration.directoryURL)
        request.method = .GET
        let response = try await send(request)
        guard response.status == 200 else { throw response.error(now: configuration.now()) }
        let directory = try response.decode(ACMEDirectory.self)
        cachedDirectory = directory
        return directory
    }

    // MARK: - Requests

    /// A response read to its end.
    struct Response: Sendable {
        let url: String
        let status: Int
        let headers: HTTPHeaders
        let body: [UInt8]

        var location: String? { headers.first(name: "Location") }

        /// The body as `T`, or `unexpectedResponse`.
        func decode<T: Decodable>(_ type: T.Type) throws(ACMEError) -> T {
            do {
                return try JSONDecoder().decode(T.self, from: Data(body))
            } catch {
                let text = String(decoding: body.prefix(300), as: UTF8.self)
                throw .unexpectedResponse(url: url, reason: "HTTP \(status), not a \(T.self) (\(error)): \(text)")
            }
        }

        /// The error this (failed) response stands for: the CA's problem document with its `Retry-After`, or a
        /// problem made of the status and the start of the body when the CA sent no problem document.
        func error(now: Date) -> ACMEError {
            let retryAfter = headers.first(name: "Retry-After").flatMap { RetryAfter.date(from: $0, now: now) }
            if let problem = try? JSONDecoder().decode(ACMEProblem.self, from: Data(body)) {
                return .refused(problem, retryAfter: retryAfter)
            }
            let text = String(decoding: body.prefix(300), as: UTF8.self)
            return .refused(ACMEProblem(type: "about:blank", detail: "HTTP \(status) from \(url): \(text)", status: status), retryAfter: retryAfter)
        }
    }

    /// Sends `request`, reads the whole answer and keeps its `Replay-Nonce`.
    func send(_ request: HTTPClientRequest) async throws(ACMEError) -> Response {
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: .seconds(60), logger: logger)
            body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        } catch {
            throw .unreachable(url: request.url, reason: "\(error)")
        }
        if let nonce = response.headers.first(name: "Replay-Nonce"), !nonce.isEmpty {
            nonces.append(nonce)
            if nonces.count > 16 { nonces.removeFirst(nonces.count - 16) }
        }
        return Response(url: request.url, status: Int(response.status.code), headers: response.headers, body: Array(buffer: body))
    }

    /// A nonce not used yet: from the pool, else from a HEAD to newNonce.
    func nextNonce() async throws(ACMEError) -> String {
        if let nonce = nonces.popLast() { return nonce }
        let newNonceURL = try await directory().newNonce
        var request = HTTPClientRequest(url: newNonceURL)
        request.method = .HEAD
        let response = try await send(request)
        guard response.status < 400 else { throw response.error(now: configuration.now()) }
        guard let nonce = nonces.popLast() else {
            throw .unexpectedResponse(url: newNonceURL, reason: "no Replay-Nonce header")
        }
        return nonce
    }

    /// POSTs `payload` (nil: POST-as-GET) to `url` as a JWS signed with the account key, naming the key by the
    /// account URL, or by the whole JWK when `identifiedByKey` (newAccount). A `badNonce` refusal is sent again with
    /// a fresh nonce up to `badNonceRetries` times; any other status ≥ 400 throws the CA's problem.
    func post(_ url: String, payload: [UInt8]?, identifiedByKey: Bool = false, accept: String? = nil) async throws(ACMEError) -> Response {
        let identification: JSONWebSignature.KeyIdentification
        if identifiedByKey {
            identification = .jsonWebKey(accountKey.jsonWebKey)
        } else {
            guard let accountURL else { throw .unexpectedResponse(url: url, reason: "no account yet: call account() first") }
            identification = .accountURL(accountURL)
        }
        var retries = 0
        while true {
            let nonce = try await nextNonce()
            let body: [UInt8]
            do {
                let jws = try JSONWebSignature.sign(payload: payload, url: url, nonce: nonce, key: accountKey, identification: identification)
                body = Array(try JSONEncoder().encode(jws))
            } catch {
                throw .invalidAccountKey("cannot sign a request with the account key: \(error)")
            }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/jose+json")
            if let accept { request.headers.add(name: "Accept", value: accept) }
            request.body = .bytes(ByteBuffer(bytes: body))
            let response = try await send(request)
            guard response.status >= 400 else { return response }
            let error = response.error(now: configuration.now())
            if error.problem?.kind == .badNonce, retries < configuration.badNonceRetries {
                retries += 1
                badNonceRetryCount += 1
                logger.debug("ACME badNonce, sending again with a fresh nonce", metadata: ["url": "\(url)", "retry": "\(retries)"])
                continue
            }
            throw error
        }
    }

    /// POSTs `payload` as JSON and decodes the answer as `T`.
    func post<T: Decodable>(
        _ url: String, json payload: some Encodable, as type: T.Type, identifiedByKey: Bool = false
    ) async throws(ACMEError) -> (T, Response) {
        let bytes: [UInt8]
        do {
            bytes = Array(try JSONEncoder().encode(payload))
        } catch {
            throw .unexpectedResponse(url: url, reason: "cannot encode the request: \(error)")
        }
        let response = try await post(url, payload: bytes, identifiedByKey: identifiedByKey)
        return (try response.decode(T.self), response)
    }

    /// POST-as-GET (RFC 8555 §6.3): fetches `url` as `T` with a signed empty payload.
    func postAsGet<T: Decodable>(_ url: String, as type: T.Type) async throws(ACMEError) -> (T, Response) {
        let response = try await post(url, payload: nil)
        return (try response.decode(T.self), response)
    }

    /// Waits as the polling policy says for `response` (its `Retry-After`).
    func pauseBeforePolling(after response: Response) async throws(ACMEError) {
        let delay = configuration.polling.delay(retryAfterHeader: response.headers.first(name: "Retry-After"), now: configuration.now())
        do {
            try await configuration.sleep(delay)
        } catch {
            throw .cancelled
        }
    }
}
