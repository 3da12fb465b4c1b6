import Hummingbird
import SlipwayCore

/// `GET/POST /api/v1/users`, `PUT /api/v1/users/{id}/password`: install administrators list and create users and
/// reset their passwords (403 for everyone else). A new user is a member of no workspace until invited or made an
/// owner.
struct V1UsersController {
    let accounts: AccountService

    func addRoutes(to group: RouterGroup<SlipwayRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.put(":id/password", use: resetPassword)
    }

    struct CreateBody: Decodable {
        var login: String
        var password: String
        var email: String?
    }

    struct PasswordBody: Decodable {
        var password: String
    }

    @Sendable func list(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let users = try await accounts.users(by: try context.requireCaller())
        return try JSONBody.response(["data": users.map(V1User.init)])
    }

    @Sendable func create(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        try caller.requireInstallAdministrator()
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let user = try await accounts.createUser(login: body.login, password: body.password, email: body.email, by: caller)
        return try JSONBody.response(V1User(user: user), status: .created)
    }

    @Sendable func resetPassword(_ request: Request, context: SlipwayRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        try caller.requireInstallAdministrator()
        let text = context.parameters.get("id") ?? ""
        let body = try await JSONBody.decode(PasswordBody.self, from: request)
        guard let id = Int64(text) else { throw SlipwayError.notFound("user \(text) not found") }
        try await accounts.resetPassword(ofUser: id, to: body.password, by: caller)
        return try JSONBody.response(V1ActionResult(message: "Password of user \(id) reset; every session of theirs has ended."))
    }
}
