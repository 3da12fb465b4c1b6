#!/usr/bin/env bash
# Deploy latency: the time from `POST /api/v1/deployments` to the production URL serving the new version,
# for a one-file static site with no build command, next to a plain `git clone --depth 1` + `cp` of the same
# repository measured in the same run (the reference). Goal: Slipway adds less than 100 ms (median).
#
# Usage: bench/deploy-latency.sh [--runs N] [--warmup N] [--poll-ms MS] [--binary PATH] [--port PORT] [--json FILE]
#
# Needs: a built binary (swift build -c release --product slipway), git, curl, python3 (standard library only).
# Everything lives in a fresh temporary directory; the server listens on 127.0.0.1 only and is stopped by its pid.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bench/deploy-latency.sh [options]

  --runs N       measured runs of each side (default 20, at least 15 recommended)
  --warmup N     runs of each side before the measured ones, not counted (default 2)
  --poll-ms MS   pause between two GETs of the production URL while waiting (default 1; 0 = busy polling)
  --binary PATH  the slipway binary (default .build/release/slipway, else .build/debug/slipway with a warning)
  --port PORT    the port for the server (default: a free one chosen by the kernel)
  --json FILE    also write every raw measurement to FILE
  --sandbox-network MODE   passed to `slipway serve` (auto, private or host): run once with each to see what
                 a build's own network namespace (slirp4netns) adds to the clone and build stages
  --build-command CMD      the project's build command (default none; `true` makes the build stage start a sandbox)
  -h, --help     this text

Each run commits a new index.html (a unique marker) to a throwaway repository, then times, with one
monotonic clock in one python3 process:
  slipway    from just before POST /api/v1/deployments until GET http://bench.localhost:PORT/ returns the
             marker (keep-alive connections opened before the clock starts; polled every --poll-ms)
  reference  `git clone --depth 1 file://REPO dir && cp -r dir/. out/` run through /bin/sh
The two alternate which goes first from run to run.
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=20
WARMUP=2
POLL_MS=1
BINARY=""
SANDBOX_NETWORK="auto"
BUILD_COMMAND=""
PORT=""
JSON_OUT=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --warmup) WARMUP="$2"; shift 2 ;;
        --poll-ms) POLL_MS="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        --json) JSON_OUT="$2"; shift 2 ;;
        --sandbox-network) SANDBOX_NETWORK="$2"; shift 2 ;;
        --build-command) BUILD_COMMAND="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
[[ "$WARMUP" =~ ^[0-9]+$ ]] || { echo "--warmup must be a non-negative integer" >&2; exit 2; }
[[ "$POLL_MS" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "--poll-ms must be a number" >&2; exit 2; }
for tool in git curl python3; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

BUILD_KIND="release"
if [[ -z "$BINARY" ]]; then
    if [[ -x "$ROOT/.build/release/slipway" ]]; then
        BINARY="$ROOT/.build/release/slipway"
    elif [[ -x "$ROOT/.build/debug/slipway" ]]; then
        BINARY="$ROOT/.build/debug/slipway"
        BUILD_KIND="debug"
        echo "warning: no release build; using the DEBUG build $BINARY (slower than release)" >&2
    else
        echo "no slipway binary: run 'swift build -c release --product slipway' first (or pass --binary)" >&2
        exit 2
    fi
else
    case "$BINARY" in *debug*) BUILD_KIND="debug" ;; *release*) BUILD_KIND="release" ;; *) BUILD_KIND="given" ;; esac
fi
BINARY="$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-bench.XXXXXX")"
SERVER_PID=""
DRIVER_PID=""

cleanup() {
    local status=$?
    if [[ -n "$DRIVER_PID" ]] && kill -0 "$DRIVER_PID" 2>/dev/null; then
        kill -TERM "$DRIVER_PID" 2>/dev/null || true
        wait "$DRIVER_PID" 2>/dev/null || true
    fi
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server $SERVER_PID did not stop after SIGTERM; sending SIGKILL" >&2
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ $status -ne 0 && -f "$WORK/server.log" ]]; then
        echo "--- last lines of the server log ---" >&2
        tail -n 30 "$WORK/server.log" >&2 || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -z "$PORT" ]]; then
    PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
fi
TOKEN="bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
API="http://127.0.0.1:$PORT"

# A one-file static site on branch main.
REPO="$WORK/repo"
git init --quiet --initial-branch=main "$REPO"
git -C "$REPO" config user.name "Slipway Bench"
git -C "$REPO" config user.email "bench@example.invalid"
git -C "$REPO" config commit.gpgsign false
echo '<!doctype html><title>bench</title><p>initial</p>' >"$REPO/index.html"
git -C "$REPO" add index.html
git -C "$REPO" commit --quiet -m "initial"

# The server, in its own data directory, on loopback only.
mkdir -p "$WORK/data"
(cd "$WORK" && exec env SLIPWAY_ADMIN_TOKEN="$TOKEN" "$BINARY" serve \
    --data-dir "$WORK/data" --host 127.0.0.1 --port "$PORT" --domain localhost \
    --allow-local-repositories "$REPO" --sandbox-network "$SANDBOX_NETWORK" >"$WORK/server.log" 2>&1) &
SERVER_PID=$!

for i in $(seq 1 600); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "the server exited during start-up" >&2
        exit 1
    fi
    if grep -q "Slipway is running" "$WORK/server.log" 2>/dev/null \
        && [[ "$(curl -s -o /dev/null -w '%{http_code}' "$API/health")" == "200" ]]; then
        break
    fi
    [[ $i -eq 600 ]] && { echo "the server did not become ready in 60 s" >&2; exit 1; }
    sleep 0.1
done

PROJECT_JSON="$(curl -sS --fail-with-body -X POST "$API/api/v1/projects" \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    -d "$(python3 -c 'import json, sys; print(json.dumps({"name": "bench", "repository": sys.argv[1], "production_branch": "main", "build_command": sys.argv[2]}))' "$REPO" "$BUILD_COMMAND")")"
grep -m1 "sandbox:" "$WORK/server.log" >&2 || true
PROJECT_ID="$(python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(d.get("id") or d.get("project", {}).get("id") or d["data"]["id"])' "$PROJECT_JSON")"

cat >"$WORK/driver.py" <<'PYEOF'
import datetime, http.client, json, os, secrets, statistics, subprocess, sys, time

port = int(os.environ["B_PORT"]); token = os.environ["B_TOKEN"]; project_id = int(os.environ["B_PROJECT"])
repo = os.environ["B_REPO"]; work = os.environ["B_WORK"]
runs = int(os.environ["B_RUNS"]); warmup = int(os.environ["B_WARMUP"]); poll = float(os.environ["B_POLL_MS"]) / 1000
json_out = os.environ.get("B_JSON", "")
site_host = f"bench.localhost:{port}"
nonce = secrets.token_hex(4)
clock = time.perf_counter  # one monotonic clock for both sides
TIMEOUT = 60.0


def api(method, path, body=None, conn=None):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Host": f"127.0.0.1:{port}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode(); headers["Content-Type"] = "application/json"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse(); payload = response.read()
    if own: conn.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path} -> {response.status}: {payload[:500]!r}")
    return json.loads(payload)


def site_get(conn):
    conn.request("GET", "/", headers={"Host": site_host})
    response = conn.getresponse()
    return response.status, response.read()


def commit_version(marker):
    with open(os.path.join(repo, "index.html"), "w") as f:
        f.write(f"<!doctype html><title>bench</title><p>{marker}</p>\n")
    subprocess.run(["git", "-C", repo, "commit", "--quiet", "-am", marker], check=True)


def parse_ts(text):
    if not text: return None
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()


def measure_slipway(marker):
    api_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30); api_conn.connect()
    site = http.client.HTTPConnection("127.0.0.1", port, timeout=30); site.connect()
    status, body = site_get(site)  # what is live before: must not be the new marker yet
    if marker.encode() in body: raise RuntimeError("the new marker is served before the deployment")
    wall0 = time.time(); t0 = clock()
    created = api("POST", "/api/v1/deployments", {"project_ids": [project_id]}, conn=api_conn)
    t_posted = clock()
    deployment_id = created["deployment_ids"][0]
    polls = 0; next_state_check = t_posted + 0.5
    while True:
        try:
            status, body = site_get(site)
        except (http.client.HTTPException, OSError):
            site.close(); site = http.client.HTTPConnection("127.0.0.1", port, timeout=30); continue
        polls += 1
        if status == 200 and marker.encode() in body:
            t1 = clock(); break
        now = clock()
        if now >= next_state_check:
            deployment = api("GET", f"/api/v1/deployments/{deployment_id}")
            if deployment["state"] == "failed":
                raise RuntimeError(f"deployment {deployment_id} failed: {deployment.get('error')}: {deployment.get('output', {}).get('system_payload', [])[-8:]}")
            next_state_check = now + 0.5
        if now - t0 > TIMEOUT: raise RuntimeError(f"deployment {deployment_id} not served after {TIMEOUT} s")
        if poll > 0: time.sleep(poll)
    api_conn.close(); site.close()
    # Where the time went, from the deployment's own timestamps (microseconds, same machine clock).
    d = api("GET", f"/api/v1/deployments/{deployment_id}")
    if d.get("state") != "success": raise RuntimeError(f"deployment {deployment_id} is {d.get('state')}")
    stages = {s["name"]: s for s in d.get("stages", [])}
    def span(a, b):
        return None if a is None or b is None else (b - a) * 1000
    def stage_ms(name):
        s = stages.get(name) or {}
        return span(parse_ts(s.get("started_on")), parse_ts(s.get("ended_on")))
    created_at, started_at, completed_at = parse_ts(d.get("created_at")), parse_ts(d.get("started_at")), parse_ts(d.get("completed_at"))
    wall_served = wall0 + (t1 - t0)
    phases = {
        "POST request → created_at": span(wall0, created_at),
        "created_at → started_at (queue, claim)": span(created_at, started_at),
        "stage initialize": stage_ms("initialize"),
        "stage clone_repo": stage_ms("clone_repo"),
        "stage build (publish)": stage_ms("build"),
        "stage deploy (go live)": stage_ms("deploy"),
        "completed_at → marker seen (commit, route, poll)": span(completed_at, wall_served),
        "POST response time (client)": (t_posted - t0) * 1000,
    }
    return {"ms": (t1 - t0) * 1000, "deployment_id": deployment_id, "polls": polls, "phases": phases}


def measure_reference(run_dir, marker):
    os.makedirs(os.path.join(run_dir, "out"))
    command = "git clone --quiet --depth 1 file://\"$REPO\" dir && cp -r dir/. out/"
    env = dict(os.environ, REPO=repo)
    t0 = clock()
    subprocess.run(["/bin/sh", "-c", command], cwd=run_dir, env=env, check=True)
    t1 = clock()
    with open(os.path.join(run_dir, "out", "index.html")) as f:
        if marker not in f.read(): raise RuntimeError("the reference copy does not hold the new marker")
    subprocess.run(["rm", "-rf", run_dir], check=True)
    return {"ms": (t1 - t0) * 1000}


results = {"slipway": [], "reference": []}
for i in range(warmup + runs):
    measured = i >= warmup
    label = f"run {i - warmup + 1}/{runs}" if measured else f"warm-up {i + 1}/{warmup}"
    marker = f"slipway-bench-{nonce}-{i}"
    commit_version(marker)
    order = ["slipway", "reference"] if i % 2 == 0 else ["reference", "slipway"]
    row = {}
    for side in order:
        if side == "slipway":
            row[side] = measure_slipway(marker)
        else:
            row[side] = measure_reference(os.path.join(work, f"ref-{i}"), marker)
    print(f"  {label:>14}: slipway {row['slipway']['ms']:7.1f} ms ({row['slipway']['polls']:3d} polls)"
          f"   reference {row['reference']['ms']:6.1f} ms", file=sys.stderr, flush=True)
    if measured:
        for side in results: results[side].append(row[side])


def p90(values):  # nearest rank
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 90 // 100) - 1)]


ref = [r["ms"] for r in results["reference"]]
sw = [r["ms"] for r in results["slipway"]]
print()
print(f"Deploy latency, {runs} runs (+{warmup} warm-up), poll every {os.environ['B_POLL_MS']} ms, "
      f"{os.environ['B_BUILD_KIND']} build, {os.cpu_count()} CPUs")
print()
print(f"| {'measurement':<46} | {'median':>9} | {'p90':>9} | {'min':>9} |")
print(f"|{'-' * 48}|{'-' * 10}:|{'-' * 10}:|{'-' * 10}:|")
for name, values in [("reference: git clone --depth 1 + cp -r", ref), ("slipway: POST → production serves new version", sw)]:
    print(f"| {name:<46} | {statistics.median(values):6.1f} ms | {p90(values):6.1f} ms | {min(values):6.1f} ms |")
print()
added = statistics.median(sw) - statistics.median(ref)
paired = statistics.median([s - r for s, r in zip(sw, ref)])
print(f"Slipway adds {added:.1f} ms (median) to the reference "
      f"(median of per-run differences {paired:.1f} ms; ratio of medians {statistics.median(sw) / statistics.median(ref):.2f}×).")
print(f"Goal < 100 ms added: {'met' if added < 100 else 'NOT met'}.")
print()
print("Where Slipway's time goes (medians, from the deployment's own timestamps):")
names = list(results["slipway"][0]["phases"].keys())
for name in names:
    values = [r["phases"][name] for r in results["slipway"] if r["phases"][name] is not None]
    if values:
        print(f"  {name:<48} {statistics.median(values):7.1f} ms   (min {min(values):6.1f}, max {max(values):6.1f})")
if json_out:
    with open(json_out, "w") as f:
        json.dump({"runs": runs, "warmup": warmup, "poll_ms": float(os.environ["B_POLL_MS"]), "results": results}, f, indent=1)
PYEOF

echo "slipway: $BINARY ($BUILD_KIND), pid $SERVER_PID, port $PORT, work dir $WORK" >&2
B_PORT="$PORT" B_TOKEN="$TOKEN" B_PROJECT="$PROJECT_ID" B_REPO="$REPO" B_WORK="$WORK" \
B_RUNS="$RUNS" B_WARMUP="$WARMUP" B_POLL_MS="$POLL_MS" B_JSON="$JSON_OUT" B_BUILD_KIND="$BUILD_KIND" \
    python3 "$WORK/driver.py" &
DRIVER_PID=$!
# In the background and waited for, so that a signal to this script reaches the traps at once.
wait "$DRIVER_PID"
DRIVER_PID=""
