import Foundation
import SlipwaySandbox

/// Whether this machine can run the tests that use real containers.
public enum PodmanMachine {
    /// Root (rootful Podman), Podman with runc, and a static busybox for the tests' base images.
    public static func canRunContainers() async -> Bool {
        guard geteuid() == 0, ContainerEngine.isStaticExecutable("/bin/busybox") else { return false }
        guard case .success(let engine) = await ContainerEngine.detect(.podman) else { return false }
        return engine.runtime == "runc"
    }
}
