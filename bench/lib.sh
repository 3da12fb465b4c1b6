# What the benchmarks share: stopping what they started, free ports, waiting for a server, CPU time of processes.
# Sourced by the bench/*-vs-nginx.sh scripts after they set WORK (a temporary directory) and PIDS (an array).

# Stops every process of PIDS in reverse order of start (TERM, then KILL after 10 s), shows the last lines of the
# logs in WORK when the script failed, and removes WORK.
cleanup() {
    local status=$?
    # Stop in reverse order of start (an edge stops the service it runs).
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
        local pid="${PIDS[$i]}"
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 100); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$pid" 2>/dev/null && { echo "process $pid did not stop after SIGTERM; sending SIGKILL" >&2; kill -KILL "$pid" 2>/dev/null || true; }
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [[ $status -ne 0 ]]; then
        for log in "$WORK"/*.log; do
            [[ -f "$log" ]] || continue
            echo "--- last lines of $(basename "$log") ---" >&2
            tail -n 20 "$log" >&2 || true
        done
    fi
    rm -rf "$WORK"
    exit "$status"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until `curl` of $1 with Host $2 answers 200, at most $3 seconds; $4 is a pid that must stay alive.
wait_for_ok() {
    local url="$1" host="$2" seconds="$3" pid="$4"
    for i in $(seq 1 $((seconds * 10))); do
        kill -0 "$pid" 2>/dev/null || { echo "process $pid exited while waiting for $url" >&2; return 1; }
        [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: $host" "$url")" == "200" ]] && return 0
        sleep 0.1
    done
    echo "$url (Host: $host) did not answer 200 within $seconds s" >&2
    return 1
}

# The CPU time (user + system, clock ticks) used so far by the processes given (every thread of each).
cpu_ticks() {
    local total=0 stat fields
    for pid in "$@"; do
        for stat in /proc/"$pid"/task/*/stat; do
            [[ -r "$stat" ]] || continue
            # The fields after the command name, which is in parentheses and may hold spaces.
            read -r -a fields <<<"$(sed 's/^.*) //' "$stat")"
            total=$((total + fields[11] + fields[12]))
        done
    done
    echo "$total"
}

# A call of Slipway's native API at $API with the token $TOKEN: $1 the method, $2 the path, $3 a JSON body.
api() {
    curl -sS --fail-with-body -X "$1" "$API$2" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" ${3:+-d "$3"}
}

# Creates a project from the JSON $1 through the API and deploys it, waiting at most $2 seconds (default 120) for the
# deployment to succeed.
deploy_project() {
    local project_json="$1" seconds="${2:-120}" project_id deploy_json deployment_id state
    project_id="$(python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(d.get("id") or d["data"]["id"])' "$(api POST /api/v1/projects "$project_json")")"
    deploy_json="$(api POST /api/v1/deployments "{\"project_ids\":[$project_id]}")"
    deployment_id="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["deployment_ids"][0])' "$deploy_json")"
    for i in $(seq 1 $((seconds * 10))); do
        state="$(api GET "/api/v1/deployments/$deployment_id" | python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])')"
        [[ "$state" == "success" ]] && return 0
        case "$state" in failed|canceled|cancelled|skipped) echo "the deployment ended '$state'" >&2; return 1 ;; esac
        sleep 0.1
    done
    echo "the deployment did not succeed within $seconds s" >&2
    return 1
}

# Builds the release binary when $BUILD is 1 (from $ROOT), then checks that $BINARY is there.
release_binary() {
    if [[ $BUILD -eq 1 ]]; then
        echo "building slipway (release)…" >&2
        (cd "$ROOT" && swift build -c release --product slipway >&2)
    fi
    [[ -x "$BINARY" ]] || { echo "no slipway binary at $BINARY (build it, or pass --binary)" >&2; exit 2; }
}

# Runs `cleanup` when the script ends, however it ends.
trap_cleanup() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
