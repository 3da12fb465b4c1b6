import Foundation
import SlipwayCore
import Testing

/// The rules on logins, email addresses and passwords (docs/tenancy.md).
@Suite struct AccountRulesTests {
    @Test func loginsAreComparedTrimmedAndInLowerCase() {
        #expect(UserLogin.normalize("  Ada@Example.COM \n") == "ada@example.com")
        #expect(UserLogin.problems("ada.lovelace+ops@example.com").isEmpty)
        #expect(UserLogin.problems("   ") == [FieldProblem(field: "login", message: "is required")])
        #expect(UserLogin.problems("ada lovelace").first?.field == FieldPath(verbatim: "login"))
        #expect(UserLogin.problems("ada/../x").count == 1)
        #expect(UserLogin.problems(String(repeating: "a", count: 255)).count == 1)
    }

    @Test func emailAddressesNeedOneAtBetweenTwoParts() {
        #expect(EmailAddress.problems("ada@example.com").isEmpty)
        for bad in ["ada", "@example.com", "ada@", "a@b@c", "ada @example.com"] {
            #expect(EmailAddress.problems(bad).map(\.field) == [FieldPath(verbatim: "email")], "\(bad)")
        }
    }

    @Test func eachPasswordRuleIsOneProblemNamingTheField() {
        #expect(PasswordPolicy.problems("correct horse battery", login: "ada").isEmpty)
        #expect(PasswordPolicy.problems("short", login: "ada") == [FieldProblem(field: "password", message: "must be at least 12 characters long")])
        #expect(
            PasswordPolicy.problems(String(repeating: "x", count: 1025), login: "ada")
                == [FieldProblem(field: "password", message: "must be at most 1024 characters long")])
        #expect(
            PasswordPolicy.problems(String(repeating: "x", count: 20), login: "ada")
                == [FieldProblem(field: "password", message: "must not be one character repeated")])
        #expect(
            PasswordPolicy.problems("Ada@Example.com", login: "ada@example.com")
                == [FieldProblem(field: "password", message: "must not be the login")])
        #expect(PasswordPolicy.problems("short", login: "ada", field: "new_password").map(\.field) == [FieldPath(verbatim: "new_password")])
        // Characters, not bytes: twelve emoji are twelve characters.
        #expect(PasswordPolicy.problems(String(repeating: "🙂🙃", count: 6), login: "ada").isEmpty)
    }

    @Test func aSessionIsActiveUntilItExpiresOrIsRevoked() {
        let start = Timestamp.date(microseconds: 1_000_000)
        let session = LoginSession(
            id: 1, uid: .init(), userID: 1, workspaceID: 1, createdAt: start, expiresAt: start.addingTimeInterval(60))
        #expect(session.isActive(at: start))
        #expect(!session.isActive(at: start.addingTimeInterval(60)))
        var revoked = session
        revoked.revokedAt = start
        #expect(!revoked.isActive(at: start))
        #expect(LoginSession.generateSecret().hasPrefix("slws_"))
        #expect(LoginSession.generateSecret().count == 45)
    }
}
