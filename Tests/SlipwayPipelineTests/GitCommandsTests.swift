import Foundation
import Testing

@testable import SlipwayPipeline

@Suite struct GitCommandsTests {
    @Test func aBranchHeadIsAShallowSingleBranchClone() {
        #expect(
            GitCommands.cloneBranch(repository: "https://example.com/site.git", branch: "main", into: "/w/src") == [
                "git", "clone", "--quiet", "--depth", "1", "--branch", "main", "--single-branch", "--no-tags", "--",
                "https://example.com/site.git", "/w/src",
            ]
        )
    }

    @Test func absolutePathsAreFetchedAsFileURLsSoThatDepthApplies() {
        #expect(GitCommands.fetchURL("/srv/git/site") == "file:///srv/git/site")
        #expect(GitCommands.fetchURL("git@github.com:a/b.git") == "git@github.com:a/b.git")
        #expect(GitCommands.cloneBranch(repository: "/srv/site", branch: "dev", into: "/w")[10] == "file:///srv/site")
    }

    @Test func anExactCommitIsFetchedAloneAndCheckedOutDetached() {
        let sha = String(repeating: "a", count: 40)
        #expect(GitCommands.initialize("/w/src") == ["git", "init", "--quiet", "/w/src"])
        #expect(
            GitCommands.fetchCommit(repository: "/r", commit: sha, into: "/w/src") == [
                "git", "-C", "/w/src", "fetch", "--quiet", "--depth", "1", "--no-tags", "--", "file:///r", sha,
            ]
        )
        #expect(
            GitCommands.checkout("FETCH_HEAD", in: "/w/src") == [
                "git", "-C", "/w/src", "-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", "FETCH_HEAD", "--",
            ]
        )
    }

    @Test func anAbbreviatedCommitNeedsTheBranchHistory() {
        #expect(
            GitCommands.cloneHistory(repository: "/r", branch: "main", into: "/w") == [
                "git", "clone", "--quiet", "--no-checkout", "--branch", "main", "--single-branch", "--no-tags", "--", "file:///r", "/w",
            ]
        )
        #expect(GitCommands.describeHead(in: "/w") == ["git", "-C", "/w", "log", "-1", "--format=%H%n%an <%ae>%n%s"])
    }

    @Test func gitRunsWithoutPromptsOrAnyoneElsesConfiguration() {
        let environment = GitCommands.environment(home: "/w/home")
        #expect(environment["HOME"] == "/w/home")
        #expect(environment["GIT_TERMINAL_PROMPT"] == "0")
        #expect(environment["GIT_CONFIG_NOSYSTEM"] == "1")
        #expect(environment["GIT_SSH_COMMAND"]?.contains("BatchMode=yes") == true)
        #expect(
            Set(environment.keys) == [
                "PATH", "HOME", "GIT_TERMINAL_PROMPT", "GIT_CONFIG_NOSYSTEM", "GIT_SSH_COMMAND", "LANG", "GIT_ALLOW_PROTOCOL",
                "GIT_PROTOCOL_FROM_USER",
            ])
    }
}

@Suite struct GitCheckoutScriptTests {
    @Test func everyStepIsQuotedAndAFailureOrTheHeadIsReportedWithTheMarker() {
        let script = GitCheckout.script([["git", "init", "--quiet", "/w/src"], ["git", "-C", "/w/src", "log", "-1", "--format=%H"]], marker: "M ")
        #expect(
            script == """
                step() { index=$1; shift; "$@" || { status=$?; echo "M failed $index $status" >&2; exit $status; }; }
                step 0 'git' 'init' '--quiet' '/w/src'
                step 1 'git' '-C' '/w/src' 'log' '-1' '--format=%H' > "$HOME/.slipway-head"
                sed 's/^/M head /' "$HOME/.slipway-head"; rm -f "$HOME/.slipway-head"
                """)
    }
}
