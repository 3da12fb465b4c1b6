import Foundation
import SlipwayCore
import Testing

@testable import SlipwayPipeline

@Suite struct ArtifactStoreTests {
    @Test func removingABuildRemovesItsManifestAndCompressedCopiesAndNothingElse() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("slipway-artifacts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = DataLayout(root: root)
        let files = FileManager.default
        let (gone, kept) = (UUID(), UUID())
        for id in [gone, kept] {
            try files.createDirectory(atPath: layout.buildDirectory(id) + "/assets", withIntermediateDirectories: true)
            try Data("<h1>x</h1>".utf8).write(to: URL(fileURLWithPath: layout.buildDirectory(id) + "/index.html"))
            try Data("{}".utf8).write(to: URL(fileURLWithPath: layout.buildManifest(id)))
            try files.createDirectory(atPath: layout.buildVariants(id) + "/assets", withIntermediateDirectories: true)
            try Data([0x1f, 0x8b]).write(to: URL(fileURLWithPath: layout.buildVariants(id) + "/assets/app.js.gz"))
        }

        try ArtifactStore(layout: layout).remove(gone)

        for path in [layout.buildDirectory(gone), layout.buildManifest(gone), layout.buildVariants(gone)] {
            #expect(!files.fileExists(atPath: path), "\(path)")
        }
        for path in [layout.buildDirectory(kept) + "/index.html", layout.buildManifest(kept), layout.buildVariants(kept) + "/assets/app.js.gz"] {
            #expect(files.fileExists(atPath: path), "\(path)")
        }
        // A build of a service has neither manifest nor copies: removing it is no error.
        try files.createDirectory(atPath: layout.buildDirectory(gone), withIntermediateDirectories: true)
        try ArtifactStore(layout: layout).remove(gone)
    }
}
