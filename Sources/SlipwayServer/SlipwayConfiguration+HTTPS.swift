import SlipwayEdge

extension SlipwayConfiguration {
    /// `SLIPWAY_HTTPS_PORT`, `SLIPWAY_TLS_CERT`, `SLIPWAY_TLS_KEY` and `SLIPWAY_HSTS`.
    mutating func readHTTPS(from environment: [String: String]) throws {
        if let value = environment["SLIPWAY_HTTPS_PORT"], !value.isEmpty {
            guard let port = Int(value), (0...65535).contains(port) else {
                throw ConfigurationError("SLIPWAY_HTTPS_PORT must be a port number, got '\(value)'")
            }
            httpsPort = port
        }
        if let value = environment["SLIPWAY_TLS_CERT"], !value.isEmpty { tlsCertificatePath = value }
        if let value = environment["SLIPWAY_TLS_KEY"], !value.isEmpty { tlsKeyPath = value }
        if let value = environment["SLIPWAY_HSTS"], !value.isEmpty {
            switch value.lowercased() {
            case "1", "true", "yes", "on": strictTransportSecurity = true
            case "0", "false", "no", "off": strictTransportSecurity = false
            default: throw ConfigurationError("SLIPWAY_HSTS must be 1 or 0, got '\(value)'")
            }
        }
    }

    /// The file certificate of `--tls-cert` and `--tls-key`, loaded; nil when neither is set. Throws a `StartupError`
    /// naming the flag whose file cannot be used, or the one missing.
    func loadFileCertificate() throws -> FileCertificateSource? {
        switch (tlsCertificatePath, tlsKeyPath) {
        case (nil, nil):
            return nil
        case (.some, nil):
            throw StartupError("--tls-cert needs --tls-key (or SLIPWAY_TLS_KEY): the certificate's private key")
        case (nil, .some):
            throw StartupError("--tls-key needs --tls-cert (or SLIPWAY_TLS_CERT): the certificate chain")
        case (.some(let certificatePath), .some(let keyPath)):
            guard httpsPort != nil else {
                throw StartupError("--tls-cert and --tls-key need --https-port (or SLIPWAY_HTTPS_PORT): there is no HTTPS listener")
            }
            do {
                return try FileCertificateSource(certificatePath: certificatePath, keyPath: keyPath)
            } catch let error as FileCertificateError {
                switch error {
                case .certificate: throw StartupError("--tls-cert: \(error)")
                case .key: throw StartupError("--tls-key: \(error)")
                }
            }
        }
    }
}
