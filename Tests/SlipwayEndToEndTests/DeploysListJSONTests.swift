import Foundation
import NIOHTTP1
import SlipwayClient
import SlipwayTesting
import Testing

/// The listing of `/api/deploys` is written by hand (`DeployJSONWriter`); the single deploy by `JSONEncoder`.
/// Every listed deploy must be the same JSON value as the single deploy without its `steps`.
@Suite struct DeploysListJSONTests {
    @Test func listedDeploysEqualTheSingleDeployWithoutSteps() async throws {
        let repository = try TemporaryGitRepository()
        try repository.write(
            "build.sh",
            "#!/bin/sh\nset -e\nif [ -f fail.txt ]; then echo \"no \\\"way\\\" \t ü\" >&2; exit 3; fi\nmkdir -p dist\necho hi > dist/index.html\n"
        )
        try repository.commit("first \"quoted\" \\ back\\slash\ttab ünïcödé / slash 🚀\nsecond line \u{1}")
        try await TestServer.withServer { server in
            let api = server.client
            let web = try await api.createProject(
                NewProjectRequest(name: "web", repository: repository.path, buildCommand: "sh build.sh", outputDir: "dist"))
            _ = try await api.waitForDeployment(try await api.deploy(projectIDs: [web.id]).deploymentIds[0])
            try repository.write("fail.txt", "x")
            try repository.commit("broken")
            _ = try await api.waitForDeployment(try await api.deploy(projectIDs: [web.id]).deploymentIds[0])

            let client = server.client
            func get(_ path: String) async throws -> [String: Any] {
                let (status, data) = try await client.raw(.init(rawValue: "GET"), path, body: nil)
                #expect(status == 200, "\(path)")
                return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            }
            for path in ["/api/deploys", "/api/deploys?limit=1", "/api/deploys?status=failed"] {
                let list = try await get(path)
                let data = try #require(list["data"] as? [[String: Any]])
                #expect(!data.isEmpty)
                let info = try #require(list["pageInfo"] as? [String: Any])
                #expect(Set(info.keys) == ["total", "hasNextPage", "hasPreviousPage", "startCursor", "endCursor"])
                #expect(list.count == 2)
                for item in data {
                    var single = try await get("/api/deploys/\(try #require(item["id"] as? String))")
                    single.removeValue(forKey: "steps")
                    #expect(NSDictionary(dictionary: item).isEqual(to: single), "\(item) != \(single)")
                }
            }
            let empty = try await get("/api/deploys?status=running")
            #expect((empty["data"] as? [Any])?.isEmpty == true)
            #expect((empty["pageInfo"] as? [String: Any])?["startCursor"] is NSNull)
        }
    }
}
