#!/usr/bin/env bash
# Container services and warm standby (docs/containers.md): how long a rollback takes to go live, from just before
# POST /api/v1/deployments/{id}/rollback until the edge serves the old version,
#   standby    a container service rolled back to its warm standby (a route switch)
#   container  the same rolled back with standby_window 0 (a container start plus the health check)
#   process    a process service (the same busybox httpd, sandboxed) rolled back with standby_window 0
# The difference container − process is what starting a container adds to a service deploy. Both services health
# check every 50 ms. Medians over --runs rollbacks each.
#
# Usage: bench/container-standby.sh [--runs N] [--binary PATH]
# Needs: root, podman with runc, busybox-static, git, curl, python3. The server listens on 127.0.0.1 only; the base
# image is made here from /bin/busybox and removed by label at the end, like every container and image the server made.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=20
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

REPO="$WORK/repo"
git init --quiet --initial-branch=main "$REPO"
git -C "$REPO" config user.name "Slipway Bench"
git -C "$REPO" config user.email "bench@example.invalid"
mkdir -p "$REPO/www"
cat >"$REPO/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY www /www
CMD ["sh", "-c", "exec httpd -f -p 127.0.0.1:\$PORT -h /www"]
DOCKERFILE
for version in v1 v2; do
    echo "$version" >"$REPO/www/index.html"
    git -C "$REPO" add -A
    git -C "$REPO" commit --quiet -m "$version"
done

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

B_PORT="$PORT" B_TOKEN="$TOKEN" B_REPO="$REPO" B_RUNS="$RUNS" B_WORK="$WORK" python3 - <<'PYEOF'
import http.client, json, os, statistics, subprocess, time

port = int(os.environ["B_PORT"]); token = os.environ["B_TOKEN"]; repo = os.environ["B_REPO"]
runs = int(os.environ["B_RUNS"]); work = os.environ["B_WORK"]
clock = time.perf_counter

def api(method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse(); data = response.read(); conn.close()
    if response.status >= 300: raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data) if data else None

def wait(deployment_id):
    while True:
        state = api("GET", f"/api/v1/deployments/{deployment_id}")["state"]
        if state == "success": return
        if state in ("failed", "canceled", "skipped"):
            raise SystemExit(f"deployment {deployment_id} ended {state}: {api('GET', f'/api/v1/deployments/{deployment_id}').get('error')}")
        time.sleep(0.05)

def deploy(project_id, commit):
    deployment_id = api("POST", "/api/v1/deployments", {"project_ids": [project_id], "commit_id": commit})["deployment_ids"][0]
    wait(deployment_id)
    return deployment_id

edge = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
def served(name):
    global edge
    try:
        edge.request("GET", "/", headers={"Host": f"{name}.localhost:{port}"})
        response = edge.getresponse(); body = response.read()
        return body.decode().strip() if response.status == 200 else None
    except Exception:
        edge.close(); edge = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        return None

def rollbacks(name, first, second):
    # Alternates between the two versions: each rollback's target is the deployment serving the other one.
    times = []; serving = {"v1": first, "v2": second}
    for run in range(runs + 2):
        now = served(name); target = "v1" if now == "v2" else "v2"
        started = clock()
        new = api("POST", f"/api/v1/deployments/{serving[target]}/rollback")["deployment_id"]
        while served(name) != target: time.sleep(0.0005)
        elapsed = clock() - started
        wait(new); serving[target] = new
        if run >= 2: times.append(elapsed * 1000)
        time.sleep(0.3)  # the replaced version's drain ends and it becomes the standby
    return times

commits = subprocess.run(["git", "-C", repo, "log", "--format=%H", "--reverse"], capture_output=True, text=True, check=True).stdout.split()
common = {"repository": repo, "production_branch": "main", "kind": "service", "health_check_path": "/",
          "health_check_interval": 0.05, "drain_timeout": 0}
box = api("POST", "/api/v1/projects", dict(common, name="box", build_type="dockerfile", standby_window=600))
proc = api("POST", "/api/v1/projects", dict(common, name="proc", build_command="true", output_dir=".",
                                             start_command="exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h www", standby_window=0))
with open(os.path.join(work, "project-uids"), "w") as f: f.write(box["uid"] + "\n" + proc["uid"] + "\n")
results = {}
box_first = deploy(box["id"], commits[0]); box_second = deploy(box["id"], commits[1])
results["standby"] = rollbacks("box", box_first, box_second)
api("PATCH", "/api/v1/projects/box", {"standby_window": 0})
results["container"] = rollbacks("box", box_first, box_second)
proc_first = deploy(proc["id"], commits[0]); proc_second = deploy(proc["id"], commits[1])
results["process"] = rollbacks("proc", proc_first, proc_second)
print(f"rollback → edge serving the old version, {runs} runs each (ms): median, min, max")
for key, label in [("standby", "container, to its warm standby"), ("container", "container, standby_window 0 (start + health check)"),
                   ("process", "process, standby_window 0 (start + health check)")]:
    values = results[key]
    print(f"  {label:52} {statistics.median(values):8.1f} {min(values):8.1f} {max(values):8.1f}")
print(f"  a container start adds {statistics.median(results['container']) - statistics.median(results['process']):.1f} ms (median difference)")
PYEOF
