import Foundation
import SlipwayCore
import SlipwaySandbox

/// What one run of a compose app starts (docs/containers.md "Compose apps"): a pod, then a container per service in
/// the set's order, each joining the pod's namespaces.
struct ComposeProgram: Sendable {
    struct Container: Sendable {
        let service: ComposeService
        let spec: ContainerRunSpec
    }

    let pod: PodSpec
    /// In start order.
    let containers: [Container]
    let exposeService: String
    /// The engine volumes the containers mount, with their labels.
    let volumes: [(name: String, labels: [String: String])]

    func container(_ service: String) -> Container? { containers.first { $0.service.name == service } }

    var summary: String {
        let services = containers.map { "\($0.service.name) (\($0.service.image))" }.joined(separator: ", ")
        return "compose set \(pod.name): \(services)"
    }
}

extension ServiceProcess {
    /// One run of a compose set, to its end; returns how it ended. The pod is made, the containers started in their
    /// order (waiting for a `service_healthy` dependency's health check), the exposed service's network namespace told
    /// to the edge, and every container's output followed. The run ends when the exposed service ends, or a service
    /// whose `restart` asks for it; the whole set is removed then (and started again after the backoff when live).
    func runCompose(_ program: ComposeProgram, client: ContainerClient) async -> String {
        try? await client.removePods([program.pod.name])
        defer { clearContainerProcessID() }
        do {
            for volume in program.volumes { try await client.ensureVolume(volume.name, labels: volume.labels) }
            try await client.createPod(program.pod)
            for container in program.containers {
                if isStopping { break }
                for dependency in container.service.dependsOn where dependency.condition == .healthy {
                    guard let target = program.container(dependency.service), let check = target.service.healthcheck else { continue }
                    try await waitUntilHealthy(target, check: check, client: client)
                }
                if isStopping { break }
                let command = (container.service.entrypoint ?? []) + (container.service.command ?? [])
                emit(
                    system: "Starting service \(container.service.name): \(container.spec.name) of \(container.spec.image)"
                        + (command.isEmpty ? "" : ": " + command.joined(separator: " ")))
                try await client.run(container.spec)
            }
            if isStopping {
                await Self.removePod(program.pod.name, client: client, gracePeriod: .zero)
                return "stopped"
            }
            guard let exposed = program.container(program.exposeService) else { throw ServiceFailure("expose_service is not in the set") }
            let running = try await client.inspect(exposed.spec.name)
            guard running.running, let pid = running.processID else {
                throw ServiceFailure("service \(program.exposeService) exited with status \(running.exitCode) as it started")
            }
            setContainerProcessID(pid)
            publish(ServiceAddress(port: port, namespace: try NetworkNamespace.of(processID: pid)))
            let ended = await follow(program, client: client)
            await Self.removePod(program.pod.name, client: client, gracePeriod: .zero)
            return ended
        } catch {
            await Self.removePod(program.pod.name, client: client, gracePeriod: .zero)
            if isStopping { return "stopped" }
            return "could not start: \(error)"
        }
    }

    /// Runs the service's compose health check in its container (`exec`) until it passes; throws once it failed
    /// `retries` times after `start_period`.
    private func waitUntilHealthy(_ target: ComposeProgram.Container, check: ComposeHealthcheck, client: ContainerClient) async throws {
        let name = target.service.name
        emit(system: "Waiting for service \(name) to be healthy: \(check.test.joined(separator: " "))")
        let clock = ContinuousClock()
        let started = clock.now
        var failures = 0
        while !isStopping {
            let output = try await client.exec(target.spec.name, check.test, timeout: .milliseconds(Int(check.timeout * 1000)))
            if output.termination.succeeded {
                emit(system: "Service \(name) is healthy")
                return
            }
            if clock.now - started >= .milliseconds(Int(check.startPeriod * 1000)) { failures += 1 }
            if failures >= check.retries {
                let said = (output.standardError + " " + output.standardOutput).trimmingCharacters(in: .whitespacesAndNewlines)
                throw ServiceFailure(
                    "service \(name)'s healthcheck failed \(failures) times (\(output.termination.summary)\(said.isEmpty ? "" : ": " + said))")
            }
            await waitForStop(timeout: .milliseconds(Int(max(check.interval, 0.1) * 1000)))
        }
    }

    /// Follows every container's output until one whose end ends the set: the exposed service, or one whose
    /// `restart` policy restarts it. A service that ends otherwise (`restart: no`, or `on-failure` with status 0)
    /// stays ended.
    private func follow(_ program: ComposeProgram, client: ContainerClient) async -> String {
        await withTaskGroup(of: (ComposeService, Int32?).self) { group in
            for container in program.containers {
                group.addTask {
                    let prefix = "[\(container.service.name)] "
                    _ = try? await ChildProcess.run(client.commands.logs(container.spec.name), timeout: nil, gracePeriod: .seconds(1)) { line in
                        self.emit(
                            LogLine(timestamp: Date(), stream: line.stream == .stdout ? .stdout : .stderr, stage: nil, text: prefix + line.text))
                    }
                    let state = try? await client.inspect(container.spec.name)
                    return (container.service, state?.exitCode)
                }
            }
            defer { group.cancelAll() }
            while let (service, status) = await group.next() {
                guard let status else { return "service \(service.name) was removed" }
                let ended = "service \(service.name) exited with status \(status)"
                if service.name == program.exposeService || service.restart.restarts(afterStatus: status) { return ended }
                emit(system: "The \(ended) (restart: \(service.restart.rawValue)): it stays stopped")
            }
            return "every service ended"
        }
    }

    /// Stops the pod's containers (their stop signal, SIGKILL after `gracePeriod`) and removes the pod with them, in a
    /// task of its own: a cancelled task's engine commands would be stopped as they start.
    static func removePod(_ name: String, client: ContainerClient, gracePeriod: Duration) async {
        let seconds = Int(gracePeriod.components.seconds)
        await Task.detached { try? await client.stopPod(name, timeoutSeconds: seconds) }.value
    }
}
