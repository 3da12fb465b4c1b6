public import Foundation
import NIOCore
import SlipwayCore
import SlipwaySandbox
import SlipwayStore

/// Why `slipway serve` could not start, as a sentence that says what failed, where, and which option changes it.
/// The one place that turns the errors of start-up (data directory, database, secret key, listening socket,
/// configuration) into words; the executable prints `description` after `error: `.
public struct StartupError: Error, CustomStringConvertible {
    /// The sentence a person reads.
    public var description: String

    public init(_ description: String) {
        self.description = description
    }

    /// The error of a start-up step with the option to change, or nil for an error that is not one of start-up's.
    public init?(_ error: any Error, configuration: SlipwayConfiguration) {
        switch error {
        case let error as StartupError:
            self = error
        case let failure as StartUpStepFailure:
            // A step of the start-up work in the group: its own error says it better than the step's name.
            self = StartupError(failure.underlying, configuration: configuration) ?? StartupError(failure.description)
        case let error as ConfigurationError:
            self.init(error.description)
        case let error as DataDirectoryError:
            self.init("\(error) — choose another with --data-dir (or SLIPWAY_DATA_DIR)")
        case let error as SecretKeyError:
            self.init(error.description)
        case let error as StoreError:
            self.init(Self.sentence(error, configuration: configuration))
        case let error as IOError:
            guard let sentence = Self.listening(errno: error.errnoCode, configuration: configuration) else { return nil }
            self.init(sentence)
        case let error as SocketAddressError.UnknownHost where error.host == configuration.host:
            self.init("cannot listen on \(configuration.host): the host name does not resolve — choose another with --host")
        case let error as CocoaError:
            guard let sentence = Self.sentence(fileError: error) else { return nil }
            self.init(sentence)
        default:
            return nil
        }
    }

    private static func sentence(_ error: StoreError, configuration: SlipwayConfiguration) -> String {
        switch error {
        case .invalidDatabaseURL:
            "\(error) — fix --database-url (or SLIPWAY_DATABASE_URL)"
        case .unavailable where configuration.databaseURL != nil:
            "\(error) — check that PostgreSQL runs there and --database-url (or SLIPWAY_DATABASE_URL) is right"
        case .unavailable:
            "\(error) — move the file away, or choose another data directory with --data-dir"
        default:
            error.description
        }
    }

    /// A failed bind of the listening socket, in words.
    private static func listening(errno code: Int32, configuration: SlipwayConfiguration) -> String? {
        let address = "\(configuration.host):\(configuration.port)"
        switch code {
        case EADDRINUSE:
            return "cannot listen on \(address): the port is already in use — stop what uses it, or choose another port with --port"
        case EACCES:
            return "cannot listen on \(address): permission denied (ports below 1024 need privileges) — choose another port with --port"
        case EADDRNOTAVAIL:
            return "cannot listen on \(address): \(configuration.host) is not an address of this machine — choose another with --host"
        default:
            return nil
        }
    }

    /// A Foundation file error (the admin token file, the CLI's saved login, …) as "cannot use PATH: reason", or nil
    /// when it names no file.
    public static func sentence(fileError error: CocoaError) -> String? {
        guard let path = error.filePath ?? error.url?.path else { return nil }
        let underlying = (error.userInfo[NSUnderlyingErrorKey] as? NSError).flatMap { $0.domain == NSPOSIXErrorDomain ? Int32($0.code) : nil }
        return "cannot use \(path): \(underlying.map(DataDirectoryError.reason) ?? "the file cannot be read or written")"
    }
}
