import AsyncHTTPClient
import Foundation
import SlipwayTesting
import Testing

/// `GET /openapi.yaml`: served without a token, and naming every route of the dialects it covers so far.
@Suite struct OpenAPIDocumentTests {
    @Test func theDocumentIsServedAndNamesEveryDokployAndCloudflareRoute() async throws {
        try await TestServer.withServer { server in
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: server.baseURL + "/openapi.yaml"), timeout: .seconds(30))
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("application/yaml") == true)
            let document = String(buffer: try await response.body.collect(upTo: 4 << 20))
            #expect(document.hasPrefix("openapi: 3.1.0\n"))
            #expect(!document.contains("\t"))
            let cloudflare = "/client/v4/accounts/{account_id}/pages/projects/{project_name}/deployments"
            let paths = [
                "/api/deployment.all", "/api/deployment.allByCompose", "/api/deployment.allByServer", "/api/deployment.allCentralized",
                "/api/deployment.queueList", "/api/deployment.allByType", "/api/deployment.killProcess", "/api/deployment.removeDeployment",
                cloudflare, cloudflare + "/{deployment_id}", cloudflare + "/{deployment_id}/history/logs", cloudflare + "/{deployment_id}/retry",
                cloudflare + "/{deployment_id}/rollback", cloudflare + "/{deployment_id}/cancel",
            ]
            for path in paths { #expect(document.contains("\n  \(path):\n"), "\(path)") }
        }
    }
}
