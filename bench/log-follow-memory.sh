#!/usr/bin/env bash
# Log-follow memory: a build prints 1,000,000 lines while `curl -N` follows its log as Server-Sent Events;
# the script reports the server's resident memory before, at its peak and after, the lines received and the time.
# Goal: the server's RSS grows by less than 50 MB (it reads the log in chunks and never holds it whole).
#
# Usage: bench/log-follow-memory.sh [--lines N] [--rate R] [--binary PATH] [--port PORT] [--log-cap SIZE] [--json FILE]
#
# Needs: a built binary (swift build -c release --product slipway), git, curl, python3 (standard library only), Linux /proc.
# Everything lives in a fresh temporary directory; the server listens on 127.0.0.1 only and is stopped by its pid.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bench/log-follow-memory.sh [options]

  --lines N      lines the build prints (default 1000000)
  --rate R       make the follower slow: curl --limit-rate R (e.g. 10M bytes/s; default unlimited), so the
                 server must wait for the client while the log keeps growing (back-pressure)
  --binary PATH  the slipway binary (default .build/release/slipway, else .build/debug/slipway with a warning)
  --port PORT    the port for the server (default: a free one chosen by the kernel)
  --log-cap SIZE passed to `slipway serve --log-cap` (default 512MB: the 1,000,000-line log is about 80 MB,
                 more than the default cap of 50MB, which would cut it and fail the build)
  --json FILE    also write the figures to FILE
  -h, --help     this text

Steps: start `slipway serve` with its own data directory; create a project whose build runs
`seq 1 N | sed 's/^/line /'`; deploy it once with 1,000 lines and follow that (warm-up: thread pools, codecs,
database caches); reset the server's peak-RSS counter (/proc/PID/clear_refs); deploy again with N lines and follow
it at once with `curl -sS -N -H 'Accept: text/event-stream'` into a python3 counter (which throws the bytes away),
while a sampler reads VmRSS from /proc/PID/status every 20 ms. Reported: RSS before, peak (VmHWM and the sampled
maximum), after, the growth, the events received, when the first line and the end arrived, and the deployment's
own start/end.
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LINES=1000000
RATE=""
BINARY=""
PORT=""
LOG_CAP="512MB"
JSON_OUT=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        --lines) LINES="$2"; shift 2 ;;
        --rate) RATE="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        --log-cap) LOG_CAP="$2"; shift 2 ;;
        --json) JSON_OUT="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

[[ "$LINES" =~ ^[0-9]+$ && "$LINES" -ge 1 ]] || { echo "--lines must be a positive integer" >&2; exit 2; }
for tool in git curl python3; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done
[[ -r /proc/self/status ]] || { echo "this benchmark reads /proc/PID/status (Linux only)" >&2; exit 2; }

BUILD_KIND="release"
if [[ -z "$BINARY" ]]; then
    if [[ -x "$ROOT/.build/release/slipway" ]]; then
        BINARY="$ROOT/.build/release/slipway"
    elif [[ -x "$ROOT/.build/debug/slipway" ]]; then
        BINARY="$ROOT/.build/debug/slipway"
        BUILD_KIND="debug"
        echo "warning: no release build; using the DEBUG build $BINARY" >&2
    else
        echo "no slipway binary: run 'swift build -c release --product slipway' first (or pass --binary)" >&2
        exit 2
    fi
else
    case "$BINARY" in *debug*) BUILD_KIND="debug" ;; *release*) BUILD_KIND="release" ;; *) BUILD_KIND="given" ;; esac
fi
BINARY="$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-logbench.XXXXXX")"
SERVER_PID=""
SAMPLER_PID=""
FOLLOW_PID=""

stop_pid() {
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "process $pid did not stop after SIGTERM; sending SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    stop_pid "$FOLLOW_PID"
    stop_pid "$SAMPLER_PID"
    stop_pid "$SERVER_PID"
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
AUTH="Authorization: Bearer $TOKEN"

# A site whose build prints as many lines as lines.txt says.
REPO="$WORK/repo"
git init --quiet --initial-branch=main "$REPO"
git -C "$REPO" config user.name "Slipway Bench"
git -C "$REPO" config user.email "bench@example.invalid"
git -C "$REPO" config commit.gpgsign false
cat >"$REPO/build.sh" <<'EOF'
#!/bin/sh
set -e
seq 1 "$(cat lines.txt)" | sed 's/^/line /'
mkdir -p dist
echo '<p>printed lines</p>' > dist/index.html
EOF
echo 1000 >"$REPO/lines.txt"
git -C "$REPO" add build.sh lines.txt
git -C "$REPO" commit --quiet -m "1000 lines"

# The server, in its own data directory, on loopback only.
CAP_ARGS=()
if "$BINARY" serve --help 2>/dev/null | grep -q -- "--log-cap"; then
    CAP_ARGS=(--log-cap "$LOG_CAP")
else
    LOG_CAP="(no --log-cap option)"
fi
mkdir -p "$WORK/data"
(cd "$WORK" && exec env SLIPWAY_ADMIN_TOKEN="$TOKEN" "$BINARY" serve \
    --data-dir "$WORK/data" --host 127.0.0.1 --port "$PORT" --domain localhost --allow-local-repositories "$REPO" "${CAP_ARGS[@]}" >"$WORK/server.log" 2>&1) &
SERVER_PID=$!

for i in $(seq 1 600); do
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "the server exited during start-up" >&2; exit 1; }
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$API/health")" == "200" ]] && break
    [[ $i -eq 600 ]] && { echo "the server did not become ready in 60 s" >&2; exit 1; }
    sleep 0.1
done

json_field() { python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }
rss_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }

PROJECT_JSON="$(curl -sS --fail-with-body -X POST "$API/api/v1/projects" -H "$AUTH" -H "Content-Type: application/json" \
    -d "{\"name\":\"loud\",\"repository\":\"$REPO\",\"build_command\":\"sh build.sh\",\"output_dir\":\"dist\"}")"
PROJECT_ID="$(json_field "$PROJECT_JSON" 'd["id"]')"

deploy() {
    local answer
    answer="$(curl -sS --fail-with-body -X POST "$API/api/v1/deployments" -H "$AUTH" -H "Content-Type: application/json" \
        -d "{\"project_ids\":[$PROJECT_ID]}")"
    json_field "$answer" 'd["deployment_ids"][0]'
}

# Counts the events curl hands over on stdin and throws the bytes away; prints one JSON object at the end.
cat >"$WORK/count.py" <<'PYEOF'
import json, sys, time
start = float(sys.argv[1])
events = stdout_lines = comments = 0
first_line_at = end_at = None
end_data = None
pending_end = False
last_id = None
for raw in sys.stdin.buffer:
    if raw.startswith(b"id: "):
        events += 1
        last_id = raw[4:].strip().decode()
        if first_line_at is None:
            first_line_at = time.time() - start
    elif raw.startswith(b"data: "):
        if pending_end:
            end_data = json.loads(raw[6:])
            pending_end = False
        elif b'"stream":"stdout"' in raw:
            stdout_lines += 1
    elif raw.startswith(b"event: end"):
        pending_end = True
        end_at = time.time() - start
    elif raw.startswith(b":"):
        comments += 1
print(json.dumps({"events": events, "stdout_lines": stdout_lines, "comments": comments, "last_id": last_id,
                  "first_line_at": first_line_at, "end_at": end_at, "closed_at": time.time() - start, "end": end_data}))
PYEOF

# Samples VmRSS every 20 ms until stopped; prints the maximum in kB on SIGTERM.
cat >"$WORK/sample.py" <<'PYEOF'
import signal, sys, time
pid = sys.argv[1]
peak = 0
def report(*_):
    print(peak, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
while True:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    peak = max(peak, int(line.split()[1]))
    except FileNotFoundError:
        report()
    time.sleep(0.02)
PYEOF

RATE_ARGS=()
[[ -n "$RATE" ]] && RATE_ARGS=(--limit-rate "$RATE")
follow() {  # follow DEPLOYMENT_ID START_EPOCH OUTPUT_FILE [curl options]
    curl -sS -N "${@:4}" -H 'Accept: text/event-stream' -H "$AUTH" "$API/api/v1/deployments/$1/logs" | python3 "$WORK/count.py" "$2" >"$3"
}

# Warm-up: a 1,000-line build, followed to its end.
WARM_ID="$(deploy)"
follow "$WARM_ID" "$(date +%s.%N)" "$WORK/warm.json"
[[ "$(json_field "$(cat "$WORK/warm.json")" 'd["end"]["state"]')" == "success" ]] || { echo "the warm-up deployment failed: $(cat "$WORK/warm.json")" >&2; exit 1; }

echo "$LINES" >"$REPO/lines.txt"
git -C "$REPO" commit --quiet -am "$LINES lines"
sleep 1
RSS_BEFORE="$(rss_kb "$SERVER_PID" VmRSS)"
HWM_RESET="no"
if echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null; then HWM_RESET="yes"; fi
HWM_BEFORE="$(rss_kb "$SERVER_PID" VmHWM)"

python3 "$WORK/sample.py" "$SERVER_PID" >"$WORK/sampled.txt" &
SAMPLER_PID=$!

START="$(date +%s.%N)"
ID="$(deploy)"
follow "$ID" "$START" "$WORK/follow.json" "${RATE_ARGS[@]}" &
FOLLOW_PID=$!
wait "$FOLLOW_PID"
FOLLOW_PID=""
RSS_AT_END="$(rss_kb "$SERVER_PID" VmRSS)"
HWM="$(rss_kb "$SERVER_PID" VmHWM)"
kill -TERM "$SAMPLER_PID"
wait "$SAMPLER_PID" || true
SAMPLER_PID=""
SAMPLED_PEAK="$(cat "$WORK/sampled.txt")"
sleep 2
RSS_AFTER="$(rss_kb "$SERVER_PID" VmRSS)"

DEPLOYMENT="$(curl -sS --fail-with-body "$API/api/v1/deployments/$ID" -H "$AUTH")"

# The finished log again, straight to /dev/null: the server's read-and-send rate without a live build.
REPLAY="$(curl -sS -N -o /dev/null -w '%{size_download} %{time_total}' -H 'Accept: text/event-stream' -H "$AUTH" \
    "$API/api/v1/deployments/$ID/logs")"
RSS_AFTER_REPLAY="$(rss_kb "$SERVER_PID" VmRSS)"
LOG_FILE="$WORK/data/logs/$(json_field "$DEPLOYMENT" 'd["uid"]').log"
LOG_BYTES="$(stat -c %s "$LOG_FILE" 2>/dev/null || echo 0)"
LOG_LINES="$(wc -l <"$LOG_FILE" 2>/dev/null || echo 0)"

B_FOLLOW="$(cat "$WORK/follow.json")" B_DEPLOYMENT="$DEPLOYMENT" B_START="$START" B_LINES="$LINES" B_KIND="$BUILD_KIND" \
    B_BINARY="$BINARY" B_CAP="$LOG_CAP" B_RATE="${RATE:-unlimited}" B_RSS_BEFORE="$RSS_BEFORE" B_HWM_BEFORE="$HWM_BEFORE" B_HWM_RESET="$HWM_RESET" \
    B_HWM="$HWM" B_SAMPLED="$SAMPLED_PEAK" B_RSS_AT_END="$RSS_AT_END" B_RSS_AFTER="$RSS_AFTER" B_LOG_BYTES="$LOG_BYTES" \
    B_LOG_LINES="$LOG_LINES" B_REPLAY="$REPLAY" B_RSS_AFTER_REPLAY="$RSS_AFTER_REPLAY" B_JSON="$JSON_OUT" python3 - <<'PYEOF'
import datetime, json, os
e = os.environ
follow = json.loads(e["B_FOLLOW"]); deployment = json.loads(e["B_DEPLOYMENT"]); start = float(e["B_START"])
def at(text):
    if not text: return None
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp() - start
stages = {s["name"]: s for s in deployment.get("stages", [])}
build = stages.get("build", {})
kb = lambda name: int(e[name])
before, hwm, sampled, at_end, after = kb("B_RSS_BEFORE"), kb("B_HWM"), kb("B_SAMPLED"), kb("B_RSS_AT_END"), kb("B_RSS_AFTER")
peak = max(hwm, sampled) if e["B_HWM_RESET"] == "yes" else sampled
growth = peak - before
figures = {
    "binary": e["B_BINARY"], "build": e["B_KIND"], "lines_printed": int(e["B_LINES"]), "log_cap": e["B_CAP"],
    "follower_rate": e["B_RATE"],
    "log_file_bytes": int(e["B_LOG_BYTES"]), "log_file_lines": int(e["B_LOG_LINES"]),
    "events_received": follow["events"], "stdout_lines_received": follow["stdout_lines"], "keep_alive_comments": follow["comments"],
    "end_event": follow["end"], "deployment_state": deployment["state"],
    "first_line_received_s": follow["first_line_at"], "build_stage_ended_s": at(build.get("ended_on")),
    "end_event_received_s": follow["end_at"], "stream_closed_s": follow["closed_at"],
    "rss_before_kb": before, "peak_vmhwm_kb": hwm, "peak_sampled_kb": sampled, "hwm_reset": e["B_HWM_RESET"] == "yes",
    "rss_at_end_kb": at_end, "rss_after_2s_kb": after, "growth_kb": growth, "goal_met": growth < 50 * 1024,
    "replay_bytes": int(e["B_REPLAY"].split()[0]), "replay_s": float(e["B_REPLAY"].split()[1]),
    "rss_after_replay_kb": kb("B_RSS_AFTER_REPLAY"),
}
mb = lambda k: f"{k / 1024:7.1f} MB"
print(f"slipway log-follow memory ({figures['build']} build: {figures['binary']})")
print(f"  build printed            {figures['lines_printed']:>12,} lines   (log file {figures['log_file_lines']:,} lines, {figures['log_file_bytes'] / 1e6:.1f} MB; --log-cap {figures['log_cap']})")
print(f"  events received          {figures['events_received']:>12,}         ({figures['stdout_lines_received']:,} build lines, {figures['keep_alive_comments']} comments; follower rate {figures['follower_rate']})")
print(f"  end event                {json.dumps(figures['end_event'])}")
fmt = lambda v: "-" if v is None else f"{v:6.2f} s"
print(f"  first line received at   {fmt(figures['first_line_received_s'])}   (after POST /deployments)")
print(f"  build stage ended at      {fmt(figures['build_stage_ended_s'])}")
print(f"  end event received at     {fmt(figures['end_event_received_s'])}")
print(f"  stream closed at          {fmt(figures['stream_closed_s'])}")
print(f"  server RSS before        {mb(before)}   (after a 1,000-line warm-up follow)")
print(f"  server peak (VmHWM)      {mb(hwm)}   (peak counter reset before the run: {figures['hwm_reset']})")
print(f"  server peak (sampled)    {mb(sampled)}   (VmRSS every 20 ms)")
print(f"  server RSS at the end    {mb(at_end)}")
print(f"  server RSS 2 s later     {mb(after)}")
print(f"  growth (peak - before)   {mb(growth)}   goal < 50 MB: {'met' if figures['goal_met'] else 'NOT met'}")
replay_rate = figures["log_file_lines"] / figures["replay_s"] if figures["replay_s"] > 0 else 0
print(f"  replay of the finished log to /dev/null: {figures['replay_bytes'] / 1e6:.1f} MB in {figures['replay_s']:.2f} s"
      f" ({replay_rate:,.0f} lines/s); server RSS afterwards {mb(figures['rss_after_replay_kb']).strip()}")
if e["B_JSON"]:
    with open(e["B_JSON"], "w") as f: json.dump(figures, f, indent=2)
PYEOF
