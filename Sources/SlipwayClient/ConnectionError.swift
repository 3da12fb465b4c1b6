import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A request that got no answer from Slipway's API: the server could not be reached, or what answered is not
/// Slipway. The one place where the client turns AsyncHTTPClient's, NIO's and TLS errors into words; an answer
/// of the API itself (a 4xx or 5xx with Slipway's JSON) is a `ClientError` instead.
public struct ConnectionError: Error, CustomStringConvertible, Equatable {
    /// Why the request got no answer from Slipway.
    public enum Reason: Sendable, Equatable {
        /// Nothing listens at the address (ECONNREFUSED).
        case refused
        /// The host name does not resolve; `detail` is the resolver's reason.
        case unresolvedHost(String, detail: String)
        /// No answer within the request's time limit.
        case timedOut(Duration)
        /// The TLS handshake failed (an `https://` URL to a server that does not speak TLS, or a certificate that is
        /// not trusted).
        case tls
        /// The server closed the connection before it answered.
        case closed
        /// The URL cannot be used: `detail` says why.
        case invalidURL(String)
        /// Something answered, but not with Slipway's API: `answer` says what it was (`an HTML page`, …).
        case notSlipway(status: Int, answer: String)
        /// Any other network failure, in words.
        case other(String)
    }

    /// The base URL the client was given.
    public var url: String
    /// Why it failed.
    public var reason: Reason

    public init(url: String, reason: Reason) {
        self.url = url
        self.reason = reason
    }

    /// One sentence, without advice on what to do (the CLI adds that).
    public var description: String {
        switch reason {
        case .refused: "cannot reach Slipway at \(url): connection refused"
        case .unresolvedHost(let host, let detail): "cannot reach Slipway at \(url): the host name '\(host)' does not resolve (\(detail))"
        case .timedOut(let limit):
            "cannot reach Slipway at \(url): no answer within \(limit.components.seconds) second\(limit == .seconds(1) ? "" : "s")"
        case .tls: "cannot reach Slipway at \(url): the TLS handshake failed"
        case .closed: "cannot reach Slipway at \(url): the server closed the connection without an answer"
        case .invalidURL(let detail): "cannot use the URL '\(url)': \(detail)"
        case .notSlipway(let status, let answer): "the server at \(url) is not Slipway's API: it answered HTTP \(status) with \(answer)"
        case .other(let detail): "cannot reach Slipway at \(url): \(detail)"
        }
    }
}

extension ConnectionError.Reason {
    /// The reason behind an error AsyncHTTPClient threw for a request with the time limit `timeout`.
    init(_ error: any Error, timeout: Duration) {
        switch error {
        case let error as NIOConnectionError:
            if let resolution = error.dnsAError ?? error.dnsAAAAError {
                self = Self(resolution, timeout: timeout)
            } else if let failure = error.connectionErrors.first {
                self = Self(failure.error, timeout: timeout)
            } else {
                self = .other("no address to connect to")
            }
        case let error as SocketAddressError.UnknownHost:
            self = .unresolvedHost(error.host, detail: error.errorDescription.lowercased())
        case let error as IOError:
            self = Self(errno: error.errnoCode, timeout: timeout)
        case let error as ChannelError:
            if case .connectTimeout = error { self = .timedOut(timeout) } else { self = .other(String(describing: error)) }
        case is NIOSSLError, is BoringSSLError:
            self = .tls
        case let error as HTTPClientError:
            self = Self(error, timeout: timeout)
        default:
            self = .other(String(describing: error))
        }
    }

    private init(errno code: Int32, timeout: Duration) {
        switch code {
        case ECONNREFUSED: self = .refused
        case ETIMEDOUT: self = .timedOut(timeout)
        case ECONNRESET, EPIPE: self = .closed
        default: self = .other(String(cString: strerror(code)).lowercased())
        }
    }

    private init(_ error: HTTPClientError, timeout: Duration) {
        switch error {
        case .connectTimeout, .readTimeout, .writeTimeout, .deadlineExceeded, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
            self = .timedOut(timeout)
        case .remoteConnectionClosed: self = .closed
        case .invalidURL, .emptyHost, .emptyScheme: self = .invalidURL("it must look like http://HOST:PORT")
        default: self = .other(String(describing: error))
        }
    }
}
