import Foundation

extension DataLayout {
    /// The key that encrypts secret environment variables when `SLIPWAY_SECRET_KEY` is not set: base64 of 32 random
    /// bytes, created at the first start with mode 0600.
    public var secretKeyFile: String { root + "/secret-key" }
}
