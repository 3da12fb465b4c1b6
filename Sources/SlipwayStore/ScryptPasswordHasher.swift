import Crypto
import Foundation
import NIOPosix
public import SlipwayCore
import _CryptoExtras

/// Passwords hashed with scrypt (swift-crypto's `_CryptoExtras`, BoringSSL underneath), stored as one string that
/// holds the parameters, the salt and the hash: `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (both base64 without padding).
///
/// The parameters (N = 2^15, r = 8, p = 1: 32 MiB and tens of milliseconds per hash here) are read back from each
/// hash, so they can be raised later without invalidating stored hashes. Hashing runs on a small thread pool of its
/// own, never on Swift's cooperative pool, so that a burst of logins cannot starve the server; its two threads also
/// bound the memory scrypt takes at once. Comparison is constant-time.
public struct ScryptPasswordHasher: PasswordHasher {
    /// scrypt's cost parameters.
    public struct Parameters: Sendable, Equatable {
        /// log2 of N, the CPU and memory cost.
        public var logRounds: Int
        public var blockSize: Int
        public var parallelism: Int

        public init(logRounds: Int, blockSize: Int, parallelism: Int) {
            self.logRounds = logRounds
            self.blockSize = blockSize
            self.parallelism = parallelism
        }

        /// What new hashes use.
        public static let standard = Parameters(logRounds: 15, blockSize: 8, parallelism: 1)

        /// Whether these are parameters this hasher agrees to run: a hash read from the database cannot make it
        /// spend more than 256 MiB or minutes on one check.
        var isWithinLimits: Bool {
            (10...20).contains(logRounds) && (1...16).contains(blockSize) && (1...4).contains(parallelism)
                && 128 * (1 << logRounds) * blockSize * parallelism <= 256 << 20
        }
    }

    public let parameters: Parameters
    private static let saltByteCount = 16
    private static let hashByteCount = 32

    /// The threads every hasher of the process hashes on: started once, never shut down (they live as long as the
    /// process, like `HTTPClient.shared`).
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
        return pool
    }()

    public init(parameters: Parameters = .standard) {
        self.parameters = parameters
    }

    public func hash(_ password: String) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<Self.saltByteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let parameters = parameters
        let derived = try await Self.pool.runIfActive {
            try Self.derive(Array(password.utf8), salt: salt, parameters: parameters, byteCount: Self.hashByteCount)
        }
        return Self.encode(parameters: parameters, salt: salt, hash: derived)
    }

    public func verify(_ password: String, against encoded: String) async throws -> Bool {
        guard let stored = Self.decode(encoded) else { return false }
        let derived = try await Self.pool.runIfActive {
            try Self.derive(Array(password.utf8), salt: stored.salt, parameters: stored.parameters, byteCount: stored.hash.count)
        }
        return Self.constantTimeEqual(derived, stored.hash)
    }

    public func verifyNothing(_ password: String) async throws {
        let parameters = parameters
        _ = try await Self.pool.runIfActive {
            try Self.derive(
                Array(password.utf8), salt: [UInt8](repeating: 0, count: Self.saltByteCount), parameters: parameters, byteCount: Self.hashByteCount)
        }
    }

    private static func derive(_ password: [UInt8], salt: [UInt8], parameters: Parameters, byteCount: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: password, salt: salt, outputByteCount: byteCount, rounds: 1 << parameters.logRounds, blockSize: parameters.blockSize,
            parallelism: parameters.parallelism
        )
        return key.withUnsafeBytes { Array($0) }
    }

    /// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`.
    static func encode(parameters: Parameters, salt: [UInt8], hash: [UInt8]) -> String {
        "$scrypt$ln=\(parameters.logRounds),r=\(parameters.blockSize),p=\(parameters.parallelism)$\(base64(salt))$\(base64(hash))"
    }

    /// The parts of an encoded hash; nil for anything else, or for parameters beyond the limits.
    static func decode(_ encoded: String) -> (parameters: Parameters, salt: [UInt8], hash: [UInt8])? {
        let parts = encoded.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
        var values: [String: Int] = [:]
        for pair in parts[2].split(separator: ",") {
            let keyValue = pair.split(separator: "=", maxSplits: 1)
            guard keyValue.count == 2, let value = Int(keyValue[1]) else { return nil }
            values[String(keyValue[0])] = value
        }
        guard let logRounds = values["ln"], let blockSize = values["r"], let parallelism = values["p"], values.count == 3 else { return nil }
        let parameters = Parameters(logRounds: logRounds, blockSize: blockSize, parallelism: parallelism)
        guard parameters.isWithinLimits, let salt = unbase64(parts[3]), let hash = unbase64(parts[4]), !salt.isEmpty,
            (16...64).contains(hash.count)
        else { return nil }
        return (parameters, salt, hash)
    }

    /// Whether two byte strings are equal, in a time that depends on their length only.
    static func constantTimeEqual(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    private static func unbase64(_ text: Substring) -> [UInt8]? {
        var padded = String(text)
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded).map { Array($0) }
    }
}
