import Foundation
import NIOCore
import NIOPosix
import PostgresNIO
import SQLiteNIO

extension DatabaseLocation {
    /// The database in words, for messages: never a password.
    public var safeDescription: String {
        switch self {
        case .sqlite(let path): return "the SQLite database \(path)"
        case .sqliteInMemory: return "the in-memory SQLite database"
        case .postgres(let url):
            guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else { return "the PostgreSQL database" }
            let name = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            let user = components.user.map { " as user \($0)" } ?? ""
            return "the PostgreSQL database \(name.isEmpty ? "" : "'\(name)' ")at \(host):\(components.port ?? 5432)\(user)"
        }
    }
}

extension StoreError {
    /// An error of the SQL drivers while the store opens, as `StoreError.unavailable` with the reason in words; the
    /// store's and the secret key's own errors, already in words, stay as they are.
    static func opening(_ location: DatabaseLocation, _ error: any Error) -> any Error {
        switch error {
        case is StoreError, is SecretKeyError, is CancellationError: error
        default: StoreError.unavailable(database: location.safeDescription, reason: reason(error))
        }
    }

    /// Why a driver failed, in words.
    static func reason(_ error: any Error) -> String {
        switch error {
        case let error as SQLiteError:
            return error.message
        case let error as PSQLError:
            if let message = error.serverInfo?[.message] { return message }
            if let underlying = error.underlying { return reason(underlying) }
            switch error.code {
            case .sslUnsupported: return "the server does not offer TLS (add ?tlsmode=disable to the URL to connect without it)"
            case .authMechanismRequiresPassword: return "the server asks for a password, and the URL has none"
            case .serverClosedConnection, .uncleanShutdown: return "the server closed the connection"
            default: return "PostgreSQL error \(error.code)"
            }
        case let error as NIOConnectionError:
            if let resolution = error.dnsAError ?? error.dnsAAAAError { return reason(resolution) }
            return error.connectionErrors.first.map { reason($0.error) } ?? "no address to connect to"
        case let error as SocketAddressError.UnknownHost:
            return "the host name '\(error.host)' does not resolve (\(error.errorDescription.lowercased()))"
        case let error as IOError:
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as ChannelError:
            if case .connectTimeout = error { return "no answer to the connection attempt" }
            return "the connection failed (\(error))"
        default:
            return String(describing: error)
        }
    }
}
