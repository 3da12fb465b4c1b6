import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Testing

@testable import SlipwayEdge

/// Text files compressed once when their build is stored (`SiteCompressor`), and served to the clients that accept
/// them: each form with its own length and entity tag, `Vary: Accept-Encoding`, ranges from the file as it is.
@Suite struct CompressionTests {
    /// 20 KiB of script that compresses well.
    static let script = (0..<400).map { "console.log('line \($0) of a script that repeats itself');\n" }.joined()
    static let page = "<!doctype html><title>x</title>" + String(repeating: "<p>a paragraph of the page</p>\n", count: 60)

    /// The whole of a gzip member, decompressed by the system's `gzip`.
    static func gunzip(_ bytes: ByteBuffer) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-gz-\(UUID().uuidString).gz")
        try Data(bytes.readableBytesView).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "gzip could not read it")
        return String(decoding: data, as: UTF8.self)
    }

    /// Brotli decompressed by Google's decoder, loaded like the encoder.
    static func unbrotli(_ bytes: ByteBuffer, size: Int) throws -> String {
        typealias Decompress = @convention(c) (Int, UnsafePointer<UInt8>?, UnsafeMutablePointer<Int>?, UnsafeMutablePointer<UInt8>?) -> Int32
        let library = try #require(SharedLibrary.load(["libbrotlidec.so.1", "libbrotlidec.so"], requiring: ["BrotliDecoderDecompress"]))
        let decompress = library.function("BrotliDecoderDecompress", as: Decompress.self)
        var output = [UInt8](repeating: 0, count: size + 1)
        var length = output.count
        let input = Array(bytes.readableBytesView)
        #expect(decompress(input.count, input, &length, &output) == 1)
        return String(decoding: output[..<length], as: UTF8.self)
    }

    static var hasBrotliDecoder: Bool { SharedLibrary.load(["libbrotlidec.so.1"], requiring: ["BrotliDecoderDecompress"]) != nil }

    // MARK: Accept-Encoding

    @Test func acceptEncodingPicksWhatTheClientRatesHighest() {
        let both: [ContentCoding] = [.brotli, .gzip]
        let cases: [(String?, ContentCoding?)] = [
            (nil, nil), ("", nil), ("gzip", .gzip), ("gzip, deflate, br, zstd", .brotli), ("br;q=0, gzip", .gzip),
            ("gzip;q=0.5, br;q=0.4", .gzip), ("gzip;q=0.5, br;q=0.5", .brotli), ("*", .brotli), ("*;q=0", nil),
            ("identity", nil), ("x-gzip", .gzip), ("GZIP ; Q=1", .gzip), ("gzip;q=1.5", nil), ("gzip;q=0.1234", nil),
            ("gzip;q=0.001", .gzip), ("gzip;q=0", nil), (" , ;, gzip ,", .gzip), ("br;q=0, *", .gzip), ("deflate", nil),
        ]
        for (field, expected) in cases {
            #expect(AcceptEncoding(field).preferred(among: both) == expected, "\(field ?? "none")")
        }
        #expect(AcceptEncoding("br, gzip").preferred(among: [.gzip]) == .gzip)
        #expect(AcceptEncoding("br").preferred(among: [.gzip]) == nil)
        // Any field gives an answer: huge, binary, a million separators.
        #expect(AcceptEncoding(String(repeating: ",;=q", count: 250_000)).preferred(among: both) == nil)
        #expect(AcceptEncoding(String(repeating: "x", count: 100_000) + ", gzip").preferred(among: both) == nil)
        #expect(AcceptEncoding("\u{0}\u{ff}gzip;q=\u{7f}").preferred(among: both) == nil)
    }

    // MARK: Compressing at publish

    @Test func gzipAndBrotliRoundTrip() throws {
        let original = ByteBuffer(string: Self.script)
        let gzip = try #require(Gzip.compress(original))
        #expect(gzip.readableBytes < original.readableBytes / 5)
        #expect(try Self.gunzip(gzip) == Self.script)
        if Brotli.isAvailable && Self.hasBrotliDecoder {
            let brotli = try #require(Brotli.compress(original, quality: 11))
            #expect(brotli.readableBytes < gzip.readableBytes)
            #expect(try Self.unbrotli(brotli, size: original.readableBytes) == Self.script)
        }
    }

    @Test func onlyTextWorthCompressingIsCompressedWithinItsBounds() async throws {
        try await EdgeFixture.with { edge in
            let site = edge.siteDirectory
            try Data(Self.script.utf8).write(to: site.appendingPathComponent("big.js"))
            try Data(Self.page.utf8).write(to: site.appendingPathComponent("page.html"))
            // A compressible type whose bytes do not shrink by a tenth, a binary file, a small file, and a file over the
            // largest.
            try Data((0..<4000).map { _ in UInt8.random(in: 0...255) }).write(to: site.appendingPathComponent("noise.wasm"))
            try Data(repeating: 7, count: 50_000).write(to: site.appendingPathComponent("zeros.bin"))
            try Data(String(repeating: "a", count: 900).utf8).write(to: site.appendingPathComponent("tiny.css"))
            try Data(String(repeating: "b", count: 70_000).utf8).write(to: site.appendingPathComponent("huge.txt"))
            // A link to the script: one copy for both names.
            try FileManager.default.createSymbolicLink(atPath: site.appendingPathComponent("alias.js").path, withDestinationPath: "big.js")

            let walked = try #require(SiteManifestBuilder.build(root: site.path))
            let (manifest, report) = SiteCompressor(largestFile: 64 << 10).compress(walked, root: site.path)
            let big = try #require(manifest.files["big.js"])
            #expect(try #require(big.gzipSize) < big.size / 5)
            #expect(manifest.files["alias.js"]?.gzipSize == big.gzipSize)
            #expect(manifest.files["page.html"]?.gzipSize != nil)
            for name in ["noise.wasm", "zeros.bin", "tiny.css", "huge.txt", "index.html"] {
                #expect(manifest.files[name]?.gzipSize == nil && manifest.files[name]?.brotliSize == nil, "\(name)")
            }
            #expect((manifest.files["big.js"]?.brotliSize != nil) == Brotli.isAvailable)
            #expect(report.files == 3, "big.js, page.html and noise.wasm were tried: \(report)")
            #expect(report.lines.first?.hasPrefix("Compressed 3 text files") == true, "\(report.lines)")
            let copy = SiteManifest.variantsPath(forBuildAt: site.path) + "/big.js.gz"
            #expect(try Self.gunzip(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: copy)))) == Self.script)
            // Nothing compressed lies inside what the build serves.
            #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("big.js.gz").path))

            // The budget: after it, files are left as they are, and the log says how many.
            let (limited, limitedReport) = SiteCompressor(budget: 23_000).compress(walked, root: site.path)
            #expect(limitedReport.skippedOverBudget >= 1 && limitedReport.lines.contains { $0.contains("left uncompressed") })
            let compressed = limited.files.filter { $0.value.gzipSize != nil }.map(\.key).sorted()
            #expect(compressed == ["alias.js", "big.js"], "\(compressed)")
        }
    }

    // MARK: Serving

    /// The edge with a site of a script, a page and a small stylesheet, stored through the indexer (compressed).
    static func withCompressedSite(headersRule: Bool = false, _ body: @Sendable (StaticFrontTests.Front) async throws -> Void) async throws {
        try await StaticFrontTests.withFront { edge in
            try Data(script.utf8).write(to: edge.siteDirectory.appendingPathComponent("app.js"))
            try Data(page.utf8).write(to: edge.siteDirectory.appendingPathComponent("index.html"))
            if headersRule { try Data("/*\n  X-Rule: applied\n".utf8).write(to: edge.siteDirectory.appendingPathComponent("_headers")) }
            _ = try SiteManifestIndexer().index(buildDirectory: edge.siteDirectory.path)
        } _: { front in
            _ = try await front.get("/")
            try await body(front)
        }
    }

    static let comparedFields = StaticFrontTests.comparedFields + ["Content-Encoding", "Vary"]

    @Test(arguments: [false, true])
    func eachFormIsServedWithItsOwnLengthAndEntityTag(siteHasRules: Bool) async throws {
        try await Self.withCompressedSite(headersRule: siteHasRules) { front in
            let (plain, plainBody) = try await front.get("/app.js")
            #expect(plain.status == .ok && String(buffer: plainBody) == Self.script)
            #expect(plain.headers["Content-Encoding"].isEmpty && plain.headers["Vary"].first == "Accept-Encoding")
            #expect(plain.headers["Accept-Ranges"].first == "bytes")
            let plainTag = try #require(plain.headers["ETag"].first)

            let (gzip, gzipBody) = try await front.get("/app.js", headers: [("Accept-Encoding", "gzip")])
            #expect(gzip.status == .ok && gzip.headers["Content-Encoding"].first == "gzip")
            #expect(gzip.headers["Vary"].first == "Accept-Encoding" && gzip.headers["Accept-Ranges"].isEmpty)
            #expect(gzip.headers["Content-Length"].first == String(gzipBody.readableBytes) && gzipBody.readableBytes < Self.script.utf8.count / 5)
            #expect(try Self.gunzip(gzipBody) == Self.script)
            let gzipTag = try #require(gzip.headers["ETag"].first)
            #expect(gzipTag != plainTag && gzipTag.hasSuffix("-gz\""))
            #expect(gzip.headers["Content-Type"].first == "text/javascript; charset=utf-8")

            // The form's own tag is what a conditional request is matched against.
            let (notModified, empty) = try await front.get("/app.js", headers: [("Accept-Encoding", "gzip"), ("If-None-Match", gzipTag)])
            #expect(notModified.status == .notModified && empty.readableBytes == 0)
            #expect(notModified.headers["ETag"].first == gzipTag && notModified.headers["Vary"].first == "Accept-Encoding")
            let (otherForm, _) = try await front.get("/app.js", headers: [("If-None-Match", gzipTag)])
            #expect(otherForm.status == .ok && otherForm.headers["ETag"].first == plainTag)

            // A range is served from the file as it is, whatever the client accepts.
            let (part, slice) = try await front.get("/app.js", headers: [("Accept-Encoding", "gzip, br"), ("Range", "bytes=0-9")])
            #expect(part.status == .partialContent && String(buffer: slice) == String(Self.script.prefix(10)))
            #expect(part.headers["Content-Encoding"].isEmpty && part.headers["ETag"].first == plainTag)

            // HEAD: the same head, no body.
            let (head, headBody) = try await front.get("/app.js", method: .HEAD, headers: [("Accept-Encoding", "gzip")])
            #expect(head.headers["Content-Length"].first == String(gzipBody.readableBytes) && headBody.readableBytes == 0)

            if Brotli.isAvailable && Self.hasBrotliDecoder {
                let (brotli, brotliBody) = try await front.get("/app.js", headers: [("Accept-Encoding", "gzip, deflate, br")])
                #expect(brotli.headers["Content-Encoding"].first == "br" && brotli.headers["ETag"].first?.hasSuffix("-br\"") == true)
                #expect(brotliBody.readableBytes < gzipBody.readableBytes)
                #expect(try Self.unbrotli(brotliBody, size: Self.script.utf8.count) == Self.script)
            }
            // A directory's index is compressed like any page; a small file has one form and no Vary.
            let (index, indexBody) = try await front.get("/", headers: [("Accept-Encoding", "gzip")])
            #expect(index.headers["Content-Encoding"].first == "gzip")
            #expect(try Self.gunzip(indexBody) == Self.page)
            let (small, _) = try await front.get("/style.css", headers: [("Accept-Encoding", "gzip")])
            #expect(small.headers["Content-Encoding"].isEmpty && small.headers["Vary"].isEmpty)
            if siteHasRules { #expect(gzip.headers["X-Rule"].first == "applied") }
        }
    }

    @Test func theFrontAndHummingbirdAgreeOnEveryForm() async throws {
        let cases: [[(String, String)]] = [
            [], [("Accept-Encoding", "gzip")], [("Accept-Encoding", "br, gzip")], [("Accept-Encoding", "gzip;q=0")],
            [("Accept-Encoding", "gzip"), ("Range", "bytes=5-15")], [("Accept-Encoding", "gzip"), ("If-None-Match", "*")],
            [("Accept-Encoding", "*"), ("If-Modified-Since", "Sun, 06 Nov 2039 08:49:37 GMT")],
        ]
        try await Self.withCompressedSite { front in
            try await front.fixture.application().test(.router) { hummingbird in
                for headers in cases {
                    for method in [HTTPMethod.GET, .HEAD] {
                        let expected = try await hummingbird.send(
                            "/app.js", method: HTTPRequest.Method(rawValue: method.rawValue)!, headers: headers)
                        let (answer, body) = try await front.get("/app.js", method: method, headers: headers)
                        let label = "\(method) \(headers)"
                        #expect(Int(answer.status.code) == Int(expected.status.code), "\(label)")
                        #expect(body == expected.body, "\(label)")
                        for name in Self.comparedFields {
                            #expect(answer.headers[name].first == expected.header(name), "\(label): \(name)")
                        }
                    }
                }
            }
            #expect(front.sites.files.usedBytes > 0, "the front held nothing: every answer came from Hummingbird")
        }
    }
}
