/// A compressed form of a file, made once when its build is stored (docs/edge.md, "Compression").
enum ContentCoding: String, Sendable, Codable, CaseIterable {
    case brotli = "br"
    case gzip

    /// The token of `Content-Encoding` and `Accept-Encoding`.
    var token: String { rawValue }

    /// The suffix of the file that holds this form, next to the build (`SiteManifest.variantsPath(forBuildAt:)`).
    var fileSuffix: String {
        switch self {
        case .brotli: ".br"
        case .gzip: ".gz"
        }
    }

    /// Added to the file's entity tag, so that each form has its own.
    var entityTagSuffix: String {
        switch self {
        case .brotli: "-br"
        case .gzip: "-gz"
        }
    }
}

/// What a request's `Accept-Encoding` allows (RFC 9110 §12.5.3), read without trusting it: a field of any length and
/// shape gives an answer, at worst "identity only".
struct AcceptEncoding: Sendable, Equatable {
    /// The quality of each coding the client named, in thousandths (`*` stands for the ones it did not name).
    private var qualities: [String: Int] = [:]
    private var wildcard: Int?

    /// The field's longest value read; a longer one is read up to there.
    static let longestValue = 1024

    init(_ value: String?) {
        guard let value else { return }
        for member in value.utf8.prefix(Self.longestValue).split(separator: UInt8(ascii: ",")) {
            let parts = member.split(separator: UInt8(ascii: ";"), maxSplits: 1)
            guard let first = parts.first else { continue }
            let name = String(decoding: first, as: UTF8.self).trimmingSpaces.lowercased()
            guard !name.isEmpty else { continue }
            let quality = parts.count > 1 ? Self.quality(String(decoding: parts[1], as: UTF8.self)) : 1000
            guard let quality else { continue }
            if name == "*" {
                wildcard = quality
            } else if qualities[name] == nil {
                qualities[name] = quality
            }
        }
    }

    /// The quality the client gives `coding` (0 when it refuses it or does not name it).
    func quality(of coding: ContentCoding) -> Int {
        // `x-gzip` is gzip (RFC 9110 §8.4.1.3).
        let named = qualities[coding.token] ?? (coding == .gzip ? qualities["x-gzip"] : nil)
        return named ?? wildcard ?? 0
    }

    /// The coding to answer with among `available`: the one the client rates highest, brotli before gzip on a tie
    /// (it is smaller); nil for the file as it is.
    func preferred(among available: [ContentCoding]) -> ContentCoding? {
        var best: (coding: ContentCoding, quality: Int)?
        for coding in ContentCoding.allCases where available.contains(coding) {
            let quality = quality(of: coding)
            if quality > 0, quality > (best?.quality ?? 0) { best = (coding, quality) }
        }
        return best?.coding
    }

    /// `q=0.8` → 800; nil for a weight that is not one (the member is then ignored).
    private static func quality(_ parameter: String) -> Int? {
        let parameter = parameter.trimmingSpaces
        guard parameter.count >= 3, parameter.lowercased().hasPrefix("q=") else { return nil }
        let number = parameter.dropFirst(2)
        guard let first = number.first, first == "0" || first == "1" else { return nil }
        let rest = number.dropFirst()
        if rest.isEmpty { return first == "1" ? 1000 : 0 }
        guard rest.first == ".", rest.count <= 4 else { return nil }
        let fraction = rest.dropFirst()
        guard fraction.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if first == "1" { return fraction.allSatisfy { $0 == "0" } ? 1000 : nil }
        var thousandths = 0
        for (position, digit) in fraction.enumerated() { thousandths += Int(String(digit))! * [100, 10, 1][position] }
        return thousandths
    }
}

extension String {
    /// Without the spaces and tabs at either end.
    fileprivate var trimmingSpaces: String {
        let bytes = Array(utf8)
        guard let start = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
            let end = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })
        else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
