#!/usr/bin/env bash
# Container services (docs/containers.md): the time a container start adds to a service deploy. The same tiny HTTP
# service (busybox httpd on 127.0.0.1:$PORT) is deployed --runs times each, alternating,
#   process    a `command` build, run as a sandboxed process
#   container  a `dockerfile` build (FROM a busybox base image made here), run as a container
# and each deployment's go-live is read from the API's deployment JSON: from the start of its `deploy` stage (the
# process or container start) to the end of its `health_check` stage (the first 2xx, then the route switch). The
# first deploy of each kind is not counted (it makes the image layers; later builds of the same commit come from the
# layer cache, and the build stage is not timed anyway). Medians, and container − process.
#
# Usage: bench/container-start.sh [--runs N] [--binary PATH]
# Needs: root, podman with runc, busybox-static, git, curl, python3. The server listens on 127.0.0.1 only, keeps its
# data in a temporary directory and is stopped by pid at the end; the base image and the server's images are removed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=5
BINARY=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        -h|--help) sed -n 2,13p "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
for tool in podman git curl python3; do command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }; done
[[ -x /bin/busybox ]] || { echo "/bin/busybox is required (apt-get install busybox-static)" >&2; exit 2; }
if [[ -z "$BINARY" ]]; then
    BINARY="$ROOT/.build/release/slipway"
    [[ -x "$BINARY" ]] || { BINARY="$ROOT/.build/debug/slipway"; echo "warning: using the DEBUG build" >&2; }
fi
[[ -x "$BINARY" ]] || { echo "no slipway binary at $BINARY" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench.XXXXXX")"
PIDS=()
RUN_LABEL="slipway-bench.run=$(basename "$WORK")"
source "$ROOT/bench/lib.sh"
remove_images() {
    # The server's images carry the projects' uids; the base image the run's label.
    for uid in $(cat "$WORK/project-uids" 2>/dev/null); do
        podman rmi --force $(podman images -q --filter "label=slipway.project=$uid") >/dev/null 2>&1 || true
    done
    podman rmi --force $(podman images -q --filter "label=$RUN_LABEL") >/dev/null 2>&1 || true
}
trap 'remove_images; cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

BASE="localhost/slipway-bench/busybox:$(basename "$WORK" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9')"
mkdir -p "$WORK/base"
cp /bin/busybox "$WORK/base/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' >"$WORK/base/Dockerfile"
podman build --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none --label "$RUN_LABEL" \
    -t "$BASE" "$WORK/base" >"$WORK/base.log" 2>&1

# One repository for both projects: the Dockerfile for the container, the start command for the process.
REPO="$WORK/repo"
git init --quiet --initial-branch=main "$REPO"
git -C "$REPO" config user.name "Slipway Bench"
git -C "$REPO" config user.email "bench@example.invalid"
mkdir -p "$REPO/www"
echo "hello" >"$REPO/www/index.html"
cat >"$REPO/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY www /www
CMD ["sh", "-c", "exec httpd -f -p 127.0.0.1:\$PORT -h /www"]
DOCKERFILE
git -C "$REPO" add -A
git -C "$REPO" commit --quiet -m "hello"

PORT="$(free_port)"
TOKEN="bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
API="http://127.0.0.1:$PORT"
mkdir -p "$WORK/data"
(cd "$WORK" && exec env SLIPWAY_ADMIN_TOKEN="$TOKEN" "$BINARY" serve --data-dir "$WORK/data" --host 127.0.0.1 --port "$PORT" \
    --domain localhost --allow-local-repositories "$REPO" >"$WORK/server.log" 2>&1) &
PIDS+=($!)
for i in $(seq 1 600); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$API/health")" == "200" ]] && break
    [[ $i -eq 600 ]] && { echo "the server did not become ready" >&2; exit 1; }
    sleep 0.1
done
grep -m1 "containers" "$WORK/server.log" >&2 || true
echo "binary: $BINARY" >&2
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

B_PORT="$PORT" B_TOKEN="$TOKEN" B_REPO="$REPO" B_RUNS="$RUNS" B_WORK="$WORK" python3 - <<'PYEOF'
import http.client, json, os, statistics, time
from datetime import datetime

port = int(os.environ["B_PORT"]); token = os.environ["B_TOKEN"]; repo = os.environ["B_REPO"]
runs = int(os.environ["B_RUNS"]); work = os.environ["B_WORK"]

def api(method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse(); data = response.read(); conn.close()
    if response.status >= 300: raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data) if data else None

def deploy(project_id):
    deployment_id = api("POST", "/api/v1/deployments", {"project_ids": [project_id]})["deployment_ids"][0]
    while True:
        deployment = api("GET", f"/api/v1/deployments/{deployment_id}")
        if deployment["state"] == "success": return deployment
        if deployment["state"] in ("failed", "canceled", "skipped"):
            raise SystemExit(f"deployment {deployment_id} ended {deployment['state']}: {deployment.get('error')}")
        time.sleep(0.1)

def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

def go_live_ms(deployment):
    # From the start of the deploy stage to the end of the health check (first 2xx, route switched). The deploy stage
    # alone ends as soon as the start is launched, so the start itself mostly falls in the health check's time.
    stages = {stage["name"]: stage for stage in deployment["stages"]}
    return (instant(stages["health_check"]["ended_on"]) - instant(stages["deploy"]["started_on"])).total_seconds() * 1000

common = {"repository": repo, "production_branch": "main", "kind": "service", "health_check_path": "/",
          "health_check_interval": 0.05, "drain_timeout": 0, "standby_window": 0}
box = api("POST", "/api/v1/projects", dict(common, name="box", build_type="dockerfile"))
proc = api("POST", "/api/v1/projects", dict(common, name="proc", build_command="true", output_dir=".",
                                             start_command="exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h www"))
with open(os.path.join(work, "project-uids"), "w") as f: f.write(box["uid"] + "\n" + proc["uid"] + "\n")
results = {"container": [], "process": []}
for run in range(runs + 1):
    for kind, project in (("container", box), ("process", proc)):
        deployment = deploy(project["id"])
        if run >= 1: results[kind].append(go_live_ms(deployment))
print(f"deploy stage start → health check passed and route switched, {runs} deploys each (ms): median, min, max")
for kind, label in (("process", "process service (command build, sandboxed)"), ("container", "container service (dockerfile build)")):
    values = results[kind]
    print(f"  {label:44} {statistics.median(values):8.1f} {min(values):8.1f} {max(values):8.1f}")
difference = statistics.median(results["container"]) - statistics.median(results["process"])
print(f"  a container start adds {difference:.1f} ms to a service deploy (difference of the medians)")
PYEOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
