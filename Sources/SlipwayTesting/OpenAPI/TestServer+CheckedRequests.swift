import AsyncHTTPClient
public import Foundation
import NIOCore
public import NIOHTTP1
public import SlipwayClient

extension APIDocument {
    /// `SlipwayClient.answerCheck` against the served document.
    public static let checkAnswer: SlipwayClient.AnswerCheck = { exchange in
        try APIDocument.served.check(
            method: exchange.method.rawValue, path: exchange.path, status: exchange.status,
            contentType: exchange.headers.first(name: "Content-Type"), body: exchange.body
        )
    }
}

/// What the server answered to `TestServer.send`.
public struct APIAnswer: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    /// The body as JSON (`JSONSerialization`), nil if it is not JSON.
    public var json: Any? { try? JSONSerialization.jsonObject(with: body) }
}

extension TestServer {
    /// Sends a request to the API with exactly `headers` (no implicit token) and checks the answer against the
    /// OpenAPI document: a status the operation does not list, or a JSON body that breaks its schema, throws
    /// `APIDocumentMismatch`. A request to a path the document does not name is not checked.
    public func send(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: Data? = nil, contentType: String = "application/json"
    ) async throws -> APIAnswer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        let answer = APIAnswer(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
        try APIDocument.served.check(
            method: method.rawValue, path: path, status: answer.status, contentType: answer.headers.first(name: "Content-Type"), body: answer.body
        )
        return answer
    }
}
