public import Hummingbird
import SlipwayCore

/// `GET /metrics` on the API host: the install's metrics in Prometheus' text format, for a token holding the `metrics`
/// scope (or a session) of an install administrator. The page covers every workspace, so neither a workspace role nor
/// any other scope opens it (docs/operations.md).
struct MetricsController {
    /// Writes the page.
    let page: @Sendable () async -> String

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get { _, context in
            let caller = try context.requireCaller()
            guard caller.credentialGrants(.metrics) else {
                throw SlipwayError.forbidden("this token lacks the 'metrics' scope")
            }
            guard caller.user.isInstallAdministrator else {
                throw SlipwayError.forbidden("the metrics page is for install administrators only")
            }
            return Self.response(await page())
        }
    }

    /// The page as a response: Prometheus' text format, version 0.0.4.
    static func response(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
