import Crypto
import Foundation
import Hummingbird
import NIOCore
import SlipwayCore

/// `GET /listen-deployment?logPath=…[&serverId=…]`: Dokploy's live deployment log, a WebSocket (Dokploy's
/// `server/wss/listen-deployment.ts`, which runs `tail -n +1 -f` on the log file and sends what it prints).
///
/// Slipway's `logPath` is not a file: it is the deployment's native log endpoint, `/api/v1/deployments/{id}/logs`, an
/// opaque name that is only ever parsed back into a deployment id and looked up in the caller's workspace (another
/// workspace's deployment, or anything else, is a 404); no file path is ever built from it.
///
/// Authentication, scope and errors are the Dokploy dialect's (`x-api-key`, `Authorization: Bearer`, or the session
/// cookie; errors in Dokploy's shape, before any upgrade). Once they pass, the answer is `101 Switching Protocols` and
/// its body the WebSocket frames that `LogEventStream` writes with `.webSocket` framing: the log from its start, one
/// text frame per line, followed until the deployment ends, then a close frame. The edge (`EdgeConnectionHandler`)
/// sees the 101 go by, answers the client's pings and close frame, and closes the connection after the body.
struct DokployLogSocketController {
    let logReader: any DeploymentLogReader
    let lookup: V1Lookup
    let deployments: any DeploymentRepository
    let activity: DeploymentActivity
    var configuration = LogEventStream.Configuration()

    /// Adds the route to `group` (the root, behind Dokploy's error mapping and authentication).
    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get("listen-deployment", use: listen)
    }

    /// The path of a `logPath`: the native log endpoint of deployment `id`.
    static func logPath(deploymentID id: Int64) -> String { "/api/v1/deployments/\(id)/logs" }

    /// The deployment id a `logPath` names, if it is one Slipway hands out.
    static func deploymentID(logPath: String) -> Int64? {
        let parts = logPath.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0].isEmpty, parts[1] == "api", parts[2] == "v1", parts[3] == "deployments", parts[5] == "logs",
            parts[4].allSatisfy(\.isASCII), let id = Int64(parts[4]), id > 0
        else { return nil }
        return id
    }

    /// The GUID of RFC 6455 §1.3 that `Sec-WebSocket-Accept` hashes with the client's key.
    static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
    static func acceptValue(key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + acceptGUID).utf8))).base64EncodedString()
    }

    @Sendable func listen(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let identity = try context.require(.read)
        guard let logPath = request.uri.queryParameters.get("logPath"), !logPath.isEmpty else {
            throw SlipwayError.invalid("logPath", "is required")
        }
        let clipped = logPath.count > 80 ? String(logPath.prefix(80)) + "…" : logPath
        guard let id = Self.deploymentID(logPath: logPath) else {
            throw SlipwayError.notFound("logPath '\(clipped)' not found: it must be the logPath of one of your deployments")
        }
        let (deployment, _) = try await lookup.deployment(String(id), identity)
        if let server = request.uri.queryParameters.get("serverId"), !server.isEmpty,
            (server == "local" ? 1 : Int64(server)) != Optional(deployment.serverID)
        {
            throw SlipwayError.notFound("serverId '\(server.prefix(80))' not found for this deployment")
        }
        guard let key = Self.webSocketKey(of: request) else {
            return Self.upgradeRequired()
        }
        let stream = LogEventStream(
            deployment: deployment, start: 0, logs: logReader, deployments: deployments, activity: activity, configuration: configuration,
            framing: .webSocket)
        var headers = HTTPFields()
        headers[.upgrade] = "websocket"
        headers[.connection] = "Upgrade"
        headers[.init("Sec-WebSocket-Accept")!] = Self.acceptValue(key: key)
        return Response(status: .switchingProtocols, headers: headers, body: ResponseBody { writer in try await stream.run(writer: &writer) })
    }

    /// The `Sec-WebSocket-Key` of a valid WebSocket opening handshake over HTTP/1.1 (RFC 6455 §4.2.1), else nil.
    static func webSocketKey(of request: Request) -> String? {
        let upgrades = request.headers[values: .upgrade].flatMap { $0.split(separator: ",") }
        let connection = request.headers[values: .connection].flatMap { $0.split(separator: ",") }
        guard upgrades.contains(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "websocket" }),
            connection.contains(where: { $0.trimmingCharacters(in: .whitespaces).lowercased() == "upgrade" }),
            request.headers[.init("Sec-WebSocket-Version")!]?.trimmingCharacters(in: .whitespaces) == "13",
            let key = request.headers[.init("Sec-WebSocket-Key")!]?.trimmingCharacters(in: .whitespaces),
            Data(base64Encoded: key)?.count == 16
        else { return nil }
        return key
    }

    /// 426 in Dokploy's error shape: the endpoint only speaks WebSocket.
    static func upgradeRequired() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.upgrade] = "websocket"
        headers[.connection] = "Upgrade"
        let body = DokployErrorMiddleware.Body(
            message: "/listen-deployment is a WebSocket: open it with 'Upgrade: websocket' (RFC 6455) over HTTP/1.1", code: "UPGRADE_REQUIRED")
        let bytes = (try? JSONEncoder().encode(body)) ?? Data()
        return Response(status: .upgradeRequired, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// The few WebSocket frames a server sends (RFC 6455 §5): unmasked, final, text, ping and close.
enum WebSocketFrame {
    /// A text frame of `text` into `buffer`.
    static func writeText(_ text: String, to buffer: inout ByteBuffer) {
        writeFrame(opcode: 0x1, payload: Array(text.utf8), to: &buffer)
    }

    /// A ping without payload (a keep-alive: clients answer with a pong).
    static func ping() -> ByteBuffer {
        var buffer = ByteBuffer()
        writeFrame(opcode: 0x9, payload: [], to: &buffer)
        return buffer
    }

    /// A close frame with `code` and a short ASCII `reason` (a control frame leaves 123 bytes for it).
    static func close(code: UInt16, reason: String) -> ByteBuffer {
        let reasonBytes = Array(reason.utf8.prefix(123))
        var buffer = ByteBuffer()
        writeFrame(opcode: 0x8, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + reasonBytes, to: &buffer)
        return buffer
    }

    private static func writeFrame(opcode: UInt8, payload: [UInt8], to buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode)
        switch payload.count {
        case ..<126:
            buffer.writeInteger(UInt8(payload.count))
        case ..<65536:
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(payload.count))
        default:
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(payload.count))
        }
        buffer.writeBytes(payload)
    }
}
