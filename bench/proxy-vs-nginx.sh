#!/usr/bin/env bash
# Reverse-proxy throughput: Slipway's edge in front of a service against nginx in front of the same upstream,
# measured with wrk, same settings, alternating, several runs each. See bench/README.md.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bench/proxy-vs-nginx.sh [options]

  --runs N             measured wrk runs of each proxy, alternating (default 3)
  --duration D         length of one wrk run (default 10s)
  --threads N          wrk threads (default 2)
  --connections N      wrk connections (default 50)
  --nginx-workers N    worker processes of the nginx proxy (default 2: one per core, like Slipway's event loops)
  --binary PATH        the slipway binary (default .build/release/slipway)
  --no-build           do not run `swift build -c release --product slipway` first
  --metrics MODE       on, off or both (default both): Slipway with metrics on, off, or one server of each measured
                       in the same run (two `slipway serve`, each with its own deployment of the service)
  --edge-command CMD   do not run `slipway serve`: run CMD (through sh) as the edge instead. The script exports
                       UPSTREAM_PORT (the upstream nginx it started) and EDGE_PORT (where CMD must listen); the
                       edge must proxy requests for Host `app.localhost` to 127.0.0.1:$UPSTREAM_PORT. For measuring
                       the proxy alone, without the service supervisor.
  -h, --help           this text

Default flow: `slipway serve` on a free port; a service project `bench` (start command runs the upstream nginx
of bench/nginx/upstream.conf) is deployed through the API. Slipway runs it sandboxed: in a network namespace of
its own when the machine allows it (run as root with bubblewrap and slirp4netns), so the edge reaches it through
a socket made in that namespace. The nginx proxy of bench/nginx/proxy.conf forwards to an identical upstream nginx
on the host's loopback (the sandboxed one is out of its reach). Then `wrk -tT -cC -dD --latency` against
http://127.0.0.1:PORT/ with `Host: bench.localhost` for each proxy, RUNS times, alternating which goes first.
Prints each run, the median requests/s and p99 latency of each, and the ratios Slipway / nginx and, with
--metrics both, metrics on / metrics off (docs/operations.md: within 5%).
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
DURATION=10s
THREADS=2
CONNECTIONS=50
NGINX_WORKERS=2
BINARY="$ROOT/.build/release/slipway"
BUILD=1
EDGE_COMMAND=""
METRICS=both

while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --duration) DURATION="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --nginx-workers) NGINX_WORKERS="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --edge-command) EDGE_COMMAND="$2"; shift 2 ;;
        --metrics) METRICS="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
[[ "$METRICS" =~ ^(on|off|both)$ ]] || { echo "--metrics must be on, off or both" >&2; exit 2; }
for tool in nginx wrk curl python3 git; do
    command -v "$tool" >/dev/null || { echo "$tool is required (Debian: apt-get install -y nginx wrk curl python3 git)" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-proxy-bench.XXXXXX")"
mkdir -p "$WORK/tmp"
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM



# Renders a template of bench/nginx: $1 template, $2 output, then NAME=VALUE pairs for @NAME@.
render() {
    local template="$1" output="$2"
    shift 2
    local script=()
    for pair in "$@"; do script+=(-e "s|@${pair%%=*}@|${pair#*=}|g"); done
    sed "${script[@]}" "$template" >"$output"
}

UPSTREAM_PORT="$(free_port)"
# The servers measured, in order: nginx first, then each Slipway (metrics on: `slipway`, off: `slipway-off`).
SIDES=(nginx)
declare -A PID_OF PORT_OF
NGINX_PORT="$(free_port)"
EDGE_PORT="$(free_port)"

if [[ -z "$EDGE_COMMAND" ]]; then
    if [[ $BUILD -eq 1 ]]; then
        echo "building slipway (release)…" >&2
        (cd "$ROOT" && swift build -c release --product slipway >&2)
    fi
    [[ -x "$BINARY" ]] || { echo "no slipway binary at $BINARY (build it, or pass --binary)" >&2; exit 2; }
    HOST="bench.localhost"
    TOKEN="bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    API="http://127.0.0.1:$EDGE_PORT"

    # The service's source: the upstream's config and a start script that fills in its port and runs it.
    REPO="$WORK/repo"
    git init --quiet --initial-branch=main "$REPO"
    cp "$ROOT/bench/nginx/upstream.conf" "$REPO/upstream.conf"
    cat >"$REPO/start.sh" <<'SH'
# Runs the benchmark's upstream nginx on $PORT in a fresh directory of its own.
dir="$(mktemp -d)"
mkdir -p "$dir/tmp"
sed -e "s|@PORT@|$PORT|g" -e "s|@PREFIX@|$dir|g" upstream.conf >"$dir/nginx.conf"
exec nginx -p "$dir" -c "$dir/nginx.conf"
SH
    git -C "$REPO" add upstream.conf start.sh
    git -C "$REPO" -c user.name="Slipway Bench" -c user.email=bench@example.invalid -c commit.gpgsign=false commit --quiet -m "upstream"

    # One `slipway serve` per metrics setting, each with the service deployed: $1 the side's name, $2 on|off, $3 its
    # edge port, $4 the service ports it gives out (apart, so two servers never pick the same).
    start_slipway() {
        local side="$1" metrics="$2" port="$3" service_ports="$4" pid
        mkdir -p "$WORK/data-$side"
        (cd "$WORK" && exec env SLIPWAY_ADMIN_TOKEN="$TOKEN" "$BINARY" serve \
            --data-dir "$WORK/data-$side" --host 127.0.0.1 --port "$port" --domain localhost --metrics "$metrics" \
            --service-ports "$service_ports" --allow-local-repositories "$REPO" >"$WORK/$side.log" 2>&1) &
        pid=$!
        PIDS+=("$pid")
        PID_OF[$side]=$pid
        PORT_OF[$side]=$port
        API="http://127.0.0.1:$port"
        wait_for_ok "$API/health" "localhost" 60 "$pid"
        grep -m1 "sandbox:" "$WORK/$side.log" >&2 || true
        deploy_project "{\"name\":\"bench\",\"repository\":\"$REPO\",\"production_branch\":\"main\",
            \"kind\":\"service\",\"build_command\":\"\",\"output_dir\":\".\",\"start_command\":\"sh start.sh\",
            \"health_check_path\":\"/\"}" 120
        wait_for_ok "http://127.0.0.1:$port/" "$HOST" 60 "$pid"
    }
    if [[ "$METRICS" != off ]]; then start_slipway slipway on "$EDGE_PORT" 20000-24999; SIDES+=(slipway); fi
    if [[ "$METRICS" != on ]]; then start_slipway slipway-off off "$(free_port)" 25000-29999; SIDES+=(slipway-off); fi
    EDGE_PID="${PID_OF[${SIDES[1]}]}"
    EDGE_PORT="${PORT_OF[${SIDES[1]}]}"
else
    HOST="app.localhost"
    (cd "$ROOT" && UPSTREAM_PORT="$UPSTREAM_PORT" EDGE_PORT="$EDGE_PORT" exec sh -c "$EDGE_COMMAND" >"$WORK/edge.log" 2>&1) &
    EDGE_PID=$!
    PIDS+=("$EDGE_PID")
    PID_OF[slipway]=$EDGE_PID
    PORT_OF[slipway]=$EDGE_PORT
    SIDES+=(slipway)
fi
# The reference's upstream: the same nginx configuration on the host's loopback (with --edge-command, the edge's too).
render "$ROOT/bench/nginx/upstream.conf" "$WORK/upstream.conf" "PORT=$UPSTREAM_PORT" "PREFIX=$WORK"
nginx -p "$WORK" -c "$WORK/upstream.conf" >"$WORK/upstream.log" 2>&1 &
PIDS+=("$!")
wait_for_ok "http://127.0.0.1:$UPSTREAM_PORT/" "$HOST" 10 "${PIDS[-1]}"
if [[ -n "$EDGE_COMMAND" ]]; then wait_for_ok "http://127.0.0.1:$EDGE_PORT/" "$HOST" 60 "$EDGE_PID"; fi

render "$ROOT/bench/nginx/proxy.conf" "$WORK/proxy.conf" "PORT=$NGINX_PORT" "UPSTREAM_PORT=$UPSTREAM_PORT" "PREFIX=$WORK" "WORKERS=$NGINX_WORKERS"
nginx -p "$WORK" -c "$WORK/proxy.conf" >"$WORK/nginx-proxy.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
PID_OF[nginx]=$NGINX_PID
PORT_OF[nginx]=$NGINX_PORT
wait_for_ok "http://127.0.0.1:$NGINX_PORT/" "$HOST" 10 "${PIDS[-1]}"

# Both proxies must deliver the upstream's page.
UPSTREAM_BODY="$(curl -s "http://127.0.0.1:$UPSTREAM_PORT/")"
for side in "${SIDES[@]}"; do
    port="${PORT_OF[$side]}"
    [[ "$(curl -s -H "Host: $HOST" "http://127.0.0.1:$port/")" == "$UPSTREAM_BODY" ]] \
        || { echo "the proxy on port $port does not return the upstream's page" >&2; exit 1; }
done


# The processes whose CPU time counts for a proxy: nginx's master and workers; Slipway's own process (not the service
# it runs, which is the upstream); an --edge-command and its children.
proxy_pids() {
    case "$1" in
        nginx) echo "$NGINX_PID" $(pgrep -P "$NGINX_PID") ;;
        slipway*) if [[ -z "$EDGE_COMMAND" ]]; then echo "${PID_OF[$1]}"; else echo "$EDGE_PID" $(pgrep -P "$EDGE_PID"); fi ;;
    esac
}

# One wrk run against a proxy (nginx or slipway): prints "requests/s p99-ms non-2xx cpu-us-per-request". $3, $4: another
# Host and path (default the service's, /).
measure() {
    local side="$1" duration="$2" host="${3:-$HOST}" path="${4:-/}" port before after
    port="${PORT_OF[$side]}"
    local pids
    pids="$(proxy_pids "$side")"
    # shellcheck disable=SC2086
    before="$(cpu_ticks $pids)"
    local output
    output="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -H "Host: $host" "http://127.0.0.1:$port$path")"
    # shellcheck disable=SC2086
    after="$(cpu_ticks $pids)"
    awk -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" '
        /Requests\/sec:/ { rps = $2 }
        /requests in/ { requests = $1 }
        /Non-2xx or 3xx responses:/ { bad = $5 }
        $1 == "99%" {
            value = $2; unit = value; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", value)
            p99 = (unit == "us") ? value / 1000 : (unit == "s") ? value * 1000 : value
        }
        END { printf "%.0f %.2f %d %.2f\n", rps, p99, bad + 0, (requests > 0 ? ticks / hz * 1e6 / requests : 0) }' <<<"$output"
}

# The ceiling: the same edge answering a small response of its own (no proxying), with the same wrk settings.
if [[ -z "$EDGE_COMMAND" ]]; then OWN_PATH="/health"; else OWN_PATH="/"; fi
curl -sf -o /dev/null -H "Host: localhost" "http://127.0.0.1:$EDGE_PORT$OWN_PATH" || { echo "the edge does not answer $OWN_PATH for Host localhost" >&2; exit 1; }

echo "upstream 127.0.0.1:$UPSTREAM_PORT, nginx proxy :$NGINX_PORT ($NGINX_WORKERS workers), slipway edges:$(for side in "${SIDES[@]:1}"; do printf ' %s :%s' "$side" "${PORT_OF[$side]}"; done); Host: $HOST"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $RUNS runs each, alternating"
for side in "${SIDES[@]}"; do measure "$side" 2s >/dev/null; done

: >"$WORK/results"
for run in $(seq 1 "$RUNS"); do
    # Each run starts with another server: every one goes first, in the middle and last as often.
    count=${#SIDES[@]}
    order=()
    for ((i = 0; i < count; i++)); do order+=("${SIDES[$(((i + run - 1) % count))]}"); done
    for side in "${order[@]}"; do
        result="$(measure "$side" "$DURATION")"
        echo "$run $side $result" >>"$WORK/results"
        read -r rps p99 bad cpu <<<"$result"
        printf "run %d  %-11s %8s req/s  p99 %7s ms  %6s µs CPU/request%s\n" "$run" "$side" "$rps" "$p99" "$cpu" \
            "$([[ $bad -gt 0 ]] && echo "  ($bad non-2xx!)")"
    done
done

read -r own_rps own_p99 _ _ <<<"$(measure "${SIDES[1]}" "$DURATION" localhost "$OWN_PATH")"
printf "ceiling  slipway's own %s (Host: localhost), no proxying: %s req/s  p99 %s ms\n" "$OWN_PATH" "$own_rps" "$own_p99"

python3 "$ROOT/bench/ratios.py" "$WORK/results"
