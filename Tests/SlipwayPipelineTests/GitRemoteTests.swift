import Testing

@testable import SlipwayPipeline

@Suite struct GitRemoteTests {
    @Test func theRemoteCommandsAreExactArgumentArrays() {
        #expect(
            GitRemoteCommands.initBare("/d/git/x.git", branch: "main") == [
                "git", "init", "--quiet", "--bare", "--initial-branch", "main", "/d/git/x.git",
            ])
        #expect(
            GitRemoteCommands.listRefs("/r") == ["git", "-C", "/r", "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"]
        )
        #expect(GitRemoteCommands.describeCommit("/r", "abc") == ["git", "-C", "/r", "log", "-1", "--format=%H%n%an <%ae>%n%B", "abc", "--"])
        #expect(
            GitRemoteCommands.changedPaths("/r", from: "a", to: "b") == ["git", "-C", "/r", "diff", "--name-only", "--no-renames", "a", "b", "--"])
        #expect(
            GitRemoteCommands.pathsOfCommit("/r", "c") == [
                "git", "-C", "/r", "diff-tree", "-r", "--name-only", "--no-commit-id", "--root", "c", "--",
            ]
        )
    }

    @Test func aCGIHeadIsSplitFromItsBodyWithEitherLineEnding() throws {
        let crlf = Array("Status: 401 Unauthorized\r\nContent-Type: text/plain\r\n\r\nbody".utf8)
        let parsed = try #require(CGIResponseHead.parse(crlf))
        #expect(parsed.head.status == 401)
        #expect(parsed.head.headers.map(\.0) == ["Content-Type"])
        #expect(parsed.head.headers.map(\.1) == ["text/plain"])
        #expect(parsed.rest == Array("body".utf8))

        let lf = try #require(CGIResponseHead.parse(Array("Content-Type: application/x-git-upload-pack-result\n\nPACK".utf8)))
        #expect(lf.head.status == 200)
        #expect(lf.rest == Array("PACK".utf8))
    }

    @Test func anIncompleteHeadIsNotParsedYet() {
        #expect(CGIResponseHead.parse(Array("Content-Type: text/plain\r\n".utf8)) == nil)
        #expect(CGIResponseHead.parse([]) == nil)
    }
}
