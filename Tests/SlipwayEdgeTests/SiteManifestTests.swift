import Foundation
import Hummingbird
import HummingbirdTesting
import SlipwayCore
import Testing

@testable import SlipwayEdge

/// The manifest of a build: made once (when the build is stored, or on first use), the only list of what the edge
/// serves, with no file-system lookups per request.
@Suite struct SiteManifestTests {
    @Test func theManifestListsTheBuildsFilesAndNothingOutsideIt() async throws {
        try await EdgeFixture.with { fixture in
            let manifest = try #require(SiteManifestBuilder.build(root: fixture.siteDirectory.path))
            #expect(manifest.files["index.html"]?.size == "<h1>home</h1>".utf8.count)
            #expect(manifest.files["docs/guide.html"] != nil)
            // A link inside the build is listed under its own name, opening its target.
            #expect(manifest.files["inside.css"]?.path == "style.css")
            #expect(manifest.files["docs-link/index.html"]?.path == "docs/index.html")
            #expect(manifest.directories.isSuperset(of: ["", "docs", "docs-link", "noindex"]))
            // Links that lead out are not in it, nor anything below them.
            for key in ["escape.txt", "relative-escape.txt", "escape-dir/secret.txt"] { #expect(manifest.files[key] == nil, "\(key)") }
            #expect(!manifest.directories.contains("escape-dir"))
            #expect(!manifest.files.values.contains { $0.path.contains("..") || $0.path.hasPrefix("/") })
            // Its ETag is the file's, as before manifests.
            let dated = try #require(manifest.files["dated.txt"])
            #expect(dated.modificationSeconds == Int(EdgeFixture.datedModification.timeIntervalSince1970))
        }
    }

    @Test func aLinkLoopIsWalkedOnceAndTheWalkIsBounded() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-manifest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: root.appendingPathComponent("a/b/file.txt"))
        // `a/b/up` leads back to `a`, and `self` to the root: walked once each, never forever.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("a/b/up").path, withDestinationPath: "..")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("self").path, withDestinationPath: ".")
        let manifest = try #require(SiteManifestBuilder.build(root: root.path))
        #expect(manifest.files["a/b/file.txt"] != nil)
        #expect(!manifest.directories.contains("a/b/up") && !manifest.directories.contains("self"))

        for index in 0..<50 { try Data("\(index)".utf8).write(to: root.appendingPathComponent("many-\(index).txt")) }
        let bounded = try #require(SiteManifestBuilder.build(root: root.path, maximumEntries: 20))
        #expect(bounded.files.count + bounded.directories.count == 20)
    }

    @Test func theIndexerWritesTheManifestNextToTheBuildAndTheEdgeServesOnlyWhatItLists() async throws {
        try await EdgeFixture.with { fixture in
            let root = fixture.layout.buildDirectory(fixture.siteBuild)
            let report = try SiteManifestIndexer().index(buildDirectory: root)
            #expect(report.files == (try #require(SiteManifestBuilder.build(root: root))).files.count)
            let path = fixture.layout.buildManifest(fixture.siteBuild)
            #expect(FileManager.default.fileExists(atPath: path))
            #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o600)

            // Files that appear after the build was indexed are not served: the manifest is the whitelist.
            try Data("late".utf8).write(to: URL(fileURLWithPath: root + "/late.txt"))
            // A listed file that went away is a 404, not an error.
            try FileManager.default.removeItem(atPath: root + "/notes.txt")
            try await fixture.application().test(.router) { client in
                #expect(try await client.send("/index.html").status == .ok)
                #expect(try await client.send("/late.txt").status == .notFound)
                let gone = try await client.send("/notes.txt")
                #expect(gone.status == .notFound)
                // The manifest itself is outside what the build serves.
                #expect(try await client.send("/../\(fixture.siteBuild.lowercased).manifest.json").status == .notFound)
            }
        }
    }

    @Test func aManifestOfAnotherVersionIsMadeAgain() async throws {
        try await EdgeFixture.with { fixture in
            let root = fixture.layout.buildDirectory(fixture.siteBuild)
            try Data(#"{"version": 999, "files": {}, "directories": []}"#.utf8).write(to: URL(fileURLWithPath: SiteManifest.path(forBuildAt: root)))
            #expect(SiteManifests.read(root) == nil)
            #expect(SiteManifests().load(root)?.manifest.files["index.html"] != nil)
        }
    }

    @Test func theCacheKeepsTheManifestsUsedLatest() async throws {
        try await EdgeFixture.with { fixture in
            let manifests = SiteManifests(capacity: 1)
            let site = fixture.layout.buildDirectory(fixture.siteBuild)
            let plain = fixture.layout.buildDirectory(fixture.plainBuild)
            #expect(manifests.load(site) != nil && manifests.cached(site) != nil)
            #expect(manifests.load(plain) != nil)
            #expect(manifests.cached(site) == nil && manifests.cached(plain) != nil)
            #expect(manifests.load(fixture.layout.buildDirectory(UUID())) == nil)
        }
    }
}
