import AsyncHTTPClient
import Foundation
import SlipwayTesting
import Testing

/// `GET /openapi.yaml`: served without a token, and naming every route of every dialect (DESIGN.md §6) and `/health`.
@Suite struct OpenAPIDocumentTests {
    @Test func theDocumentIsServedAndNamesEveryRouteOfEveryDialect() async throws {
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
            let native = [
                "/health", "/api/v1/me", "/api/v1/tokens", "/api/v1/tokens/{id}", "/api/v1/projects", "/api/v1/projects/{project}",
                "/api/v1/projects/{project}/deployments", "/api/v1/projects/{project}/rollback-candidates", "/api/v1/projects/{project}/env",
                "/api/v1/projects/{project}/unpin", "/api/v1/deployments", "/api/v1/deployments/{deployment}",
                "/api/v1/deployments/{deployment}/logs", "/api/v1/deployments/{deployment}/rerun", "/api/v1/deployments/{deployment}/rollback",
                "/api/v1/deployments/{deployment}/promote", "/api/v1/deployments/{deployment}/cancel", "/api/v1/deployments/{deployment}/kill",
                "/api/v1/queue", "/api/v1/hooks/git/{project_uid}",
            ]
            let deploys = ["/api/deploys", "/api/deploys/{id}", "/api/deploys/{id}/cancel"]
            for path in paths + native + deploys { #expect(document.contains("\n  \(path):\n"), "\(path)") }
        }
    }
}
