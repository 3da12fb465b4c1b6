import Foundation
import NIOCore

/// Compresses the text files of a static build once, when it is stored (docs/edge.md, "Compression"): gzip always,
/// brotli where the machine has its encoder (`Brotli.isAvailable`). Each copy goes next to the build
/// (`SiteManifest.variantsPath(forBuildAt:)`, under the file's real path plus `.gz` or `.br`) and its size into the
/// manifest; a copy not at least a tenth smaller than the file is not kept. A hostile build cannot make it endless:
/// files over `largestFile` are left as they are, and so is everything after `budget` bytes.
struct SiteCompressor {
    /// Smaller files gain too little to be worth a second form.
    var smallestFile = 1024
    var largestFile = 16 << 20
    /// The most bytes of one build compressed.
    var budget = 256 << 20
    /// Brotli's best (11) is slow on large files: it is used up to this size, a faster quality above.
    var largestBestBrotliFile = 1 << 20

    /// What compressing a build did, for the deployment's log.
    struct Report: Sendable, Equatable {
        var files = 0
        var originalBytes = 0
        var gzipBytes = 0
        var brotliBytes = 0
        var brotliAvailable = Brotli.isAvailable
        var skippedOverBudget = 0
        var failures: [String] = []

        var lines: [String] {
            var lines: [String] = []
            if files > 0 {
                var line = "Compressed \(files) text file\(files == 1 ? "" : "s") (\(Self.size(originalBytes))): gzip \(Self.size(gzipBytes))"
                line += brotliAvailable ? ", brotli \(Self.size(brotliBytes))" : " (brotli: no libbrotlienc on this machine)"
                lines.append(line)
            }
            if skippedOverBudget > 0 {
                lines.append(
                    "\(skippedOverBudget) text file\(skippedOverBudget == 1 ? "" : "s") left uncompressed: over the \(Self.size(256 << 20)) a build may compress"
                )
            }
            return lines + failures.prefix(20)
        }

        static func size(_ bytes: Int) -> String {
            bytes < 10 * 1024 ? "\(bytes) bytes" : bytes < 10 << 20 ? "\(bytes / 1024) KiB" : "\(bytes >> 20) MiB"
        }
    }

    /// Whether files of this name are compressed: text (HTML, CSS, JavaScript, JSON, SVG, XML, plain text and the
    /// like) and WebAssembly.
    static func isCompressible(name: String) -> Bool {
        let type = ContentType.forFile(named: name)
        if type.hasSuffix("; charset=utf-8") { return true }
        return type == "application/wasm" || type == "application/xml" || type.hasSuffix("+xml")
    }

    /// Compresses the files of `manifest` (the build at `root`) and answers the manifest with their sizes.
    func compress(_ manifest: SiteManifest, root: String) -> (SiteManifest, Report) {
        var manifest = manifest
        var report = Report()
        let variants = SiteManifest.variantsPath(forBuildAt: root)
        // One copy per real file, however many names lead to it; in a fixed order, so the budget cuts the same files.
        var done: [String: (gzip: Int?, brotli: Int?)] = [:]
        for key in manifest.files.keys.sorted() {
            guard let entry = manifest.files[key], Self.isCompressible(name: String(key.split(separator: "/").last ?? "")),
                entry.size >= smallestFile, entry.size <= largestFile
            else { continue }
            if done[entry.path] == nil {
                guard report.originalBytes + entry.size <= budget else {
                    report.skippedOverBudget += 1
                    continue
                }
                done[entry.path] = compressFile(entry, root: root, variants: variants, report: &report)
            }
            let sizes = done[entry.path]!
            manifest.files[key]?.gzipSize = sizes.gzip
            manifest.files[key]?.brotliSize = sizes.brotli
        }
        return (manifest, report)
    }

    /// Writes the compressed copies of one file; their sizes, nil for a copy not kept.
    private func compressFile(_ entry: SiteManifest.Entry, root: String, variants: String, report: inout Report) -> (gzip: Int?, brotli: Int?) {
        guard let bytes = StaticFront.read(root + "/" + entry.path, size: entry.size) else {
            report.failures.append("Not compressed: '\(entry.path)' could not be read")
            return (nil, nil)
        }
        report.files += 1
        report.originalBytes += entry.size
        let target = variants + "/" + entry.path
        let quality: Int32 = entry.size <= largestBestBrotliFile ? 11 : 7
        let gzip = keep(Gzip.compress(bytes), of: entry, at: target + ContentCoding.gzip.fileSuffix, report: &report)
        let brotli = keep(Brotli.compress(bytes, quality: quality), of: entry, at: target + ContentCoding.brotli.fileSuffix, report: &report)
        report.gzipBytes += gzip ?? entry.size
        report.brotliBytes += brotli ?? entry.size
        return (gzip, brotli)
    }

    /// Writes `compressed` to `path` when it is worth keeping; its size then.
    private func keep(_ compressed: ByteBuffer?, of entry: SiteManifest.Entry, at path: String, report: inout Report) -> Int? {
        guard let compressed, compressed.readableBytes * 10 <= entry.size * 9 else { return nil }
        do {
            let directory = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try Data(compressed.readableBytesView).write(to: URL(fileURLWithPath: path), options: .atomic)
            return compressed.readableBytes
        } catch {
            report.failures.append("Not compressed: '\(entry.path)': \(error.localizedDescription)")
            return nil
        }
    }
}
