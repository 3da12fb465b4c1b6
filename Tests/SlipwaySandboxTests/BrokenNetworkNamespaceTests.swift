import Testing

@testable import SlipwaySandbox

/// Reading Podman's complaint about a container whose network namespace file is not a namespace
/// (`ContainerClient.repairNetworkNamespace(of:)`), from the exact text Podman 4.3.1 writes.
struct BrokenNetworkNamespaceTests {
    static let id = "d71facd714dd727017c79cfc41fdff42c73963612f4ac7df73f763b44dc20223"
    static let path = "/run/netns/netns-f433b672-c979-a173-ce4a-39c7c8f8ce9c"

    static func output(_ standardError: String) -> ContainerOutput {
        ContainerOutput(termination: Termination(exitCode: 125, signal: nil, timedOut: false), standardOutput: "", standardError: standardError)
    }

    @Test func theContainerAndItsFileAreReadFromPodmansComplaint() {
        let standardError = """
            time="2026-12-04T23:32:24Z" level=error msg="Joining network namespace for container \(Self.id): retrieving network \
            namespace at \(Self.path): unknown FS magic on \\"\(Self.path)\\": ef53"
            Error: joining network namespace of container \(Self.id): retrieving network namespace at \(Self.path): unknown FS \
            magic on "\(Self.path)": ef53
            """
        #expect(BrokenNetworkNamespace(reportedIn: Self.output(standardError)) == BrokenNetworkNamespace(container: Self.id, path: Self.path))
        let short = "Error: joining network namespace of container \(Self.id): retrieving network namespace at \(Self.path): unknown FS magic"
        #expect(BrokenNetworkNamespace(reportedIn: Self.output(short)) == BrokenNetworkNamespace(container: Self.id, path: Self.path))
    }

    @Test func otherFailuresAreNotRead() {
        #expect(BrokenNetworkNamespace(reportedIn: Self.output("Error: no container with name or ID \"x\" found: no such container")) == nil)
        let shortID = "Error: joining network namespace of container abc: retrieving network namespace at /x: y"
        #expect(BrokenNetworkNamespace(reportedIn: Self.output(shortID)) == nil)
        #expect(BrokenNetworkNamespace(reportedIn: Self.output("Error: joining network namespace of container \(Self.id): something else")) == nil)
    }

    @Test func onlyFilesWhereEnginesKeepNamespacesAreRepaired() {
        #expect(!NetworkNamespaceFile.repair(path: "/etc/passwd", processID: 1))
        #expect(!NetworkNamespaceFile.repair(path: "/run/netns/../../etc/passwd", processID: 1))
        #expect(!NetworkNamespaceFile.repair(path: "/run/netns/netns-that-does-not-exist-\(Self.id)", processID: 1))
    }
}
