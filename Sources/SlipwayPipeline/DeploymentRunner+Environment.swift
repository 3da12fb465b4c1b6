import Foundation
import SlipwayCore

extension DeploymentRunner {
    /// Loads the deployment's env snapshot (taken now if it has none yet), makes the log hide its secret values from
    /// here on, and says which variables the build gets — names only.
    func loadEnvironmentVariables(of run: DeploymentRun) async throws {
        guard let variables else { return }
        let snapshot = try await variables.snapshot(of: run.deployment)
        run.log?.maskSecrets(SecretMasker(variables: snapshot))
        run.environmentVariables = snapshot
        if snapshot.isEmpty {
            run.system("Environment: no project variables for \(run.deployment.environment.rawValue)", stage: .initialize)
        } else {
            let names = snapshot.keys.sorted().map { snapshot[$0]!.secret ? "\($0) (secret)" : $0 }
            run.system(
                "Environment snapshot: \(names.joined(separator: ", "))", stage: .initialize
            )
        }
    }
}
