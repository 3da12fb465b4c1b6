#!/usr/bin/env bash
# Static files: Slipway's edge serving a deployed static site against nginx serving the same files, measured with
# wrk, same settings, alternating, several runs each. See bench/README.md.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: bench/static-vs-nginx.sh [options]

  --runs N             measured wrk runs of each server per file, alternating (default 3)
  --duration D         length of one wrk run (default 5s)
  --threads N          wrk threads (default 2)
  --connections N      wrk connections (default 50)
  --nginx-workers N    worker processes of nginx (default 2: one per core, like Slipway's event loops)
  --edge-cache SIZE    slipway serve --edge-cache (default its own, 256MB)
  --metrics MODE       on, off or both (default both): Slipway with metrics on, off, or one server of each measured
                       in the same run (two `slipway serve`, each with the site deployed)
  --binary PATH        the slipway binary (default .build/release/slipway)
  --no-build           do not run `swift build -c release --product slipway` first
  -h, --help           this text

`slipway serve` runs on a free port; a static project `site` whose output is the files below is deployed through
the API; nginx (bench/nginx/static.conf) serves the same files from the same directory. The files: a 1 KiB page, a
4 KiB page, a 100 KiB script (compressible; its `.gz` sits next to it for nginx's gzip_static, and the script asks
with Accept-Encoding: gzip) and a 5 MiB file. For each file `wrk -tT -cC -dD --latency` runs RUNS times per server,
alternating which goes first. Prints each run and, per file, the median requests/s, p99 latency, CPU time per
request and bytes/s of each, the ratios Slipway / nginx and, with --metrics both, metrics on / metrics off
(docs/operations.md: within 5%). Then Slipway's resident memory.
USAGE
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
DURATION=5s
THREADS=2
CONNECTIONS=50
NGINX_WORKERS=2
EDGE_CACHE=""
BINARY="$ROOT/.build/release/slipway"
BUILD=1
METRICS=both

while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --duration) DURATION="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --nginx-workers) NGINX_WORKERS="$2"; shift 2 ;;
        --edge-cache) EDGE_CACHE="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --metrics) METRICS="$2"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
[[ "$METRICS" =~ ^(on|off|both)$ ]] || { echo "--metrics must be on, off or both" >&2; exit 2; }
for tool in nginx wrk curl python3 git gzip; do
    command -v "$tool" >/dev/null || { echo "$tool is required (Debian: apt-get install -y nginx wrk curl python3 git gzip)" >&2; exit 2; }
done
MIME_TYPES=/etc/nginx/mime.types
[[ -r "$MIME_TYPES" ]] || { echo "nginx's mime.types is not at $MIME_TYPES" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-static-bench.XXXXXX")"
mkdir -p "$WORK/tmp"
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM



release_binary

# The site: the same files for both servers, committed for Slipway, served from the checkout by nginx.
SITE="$WORK/site"
git init --quiet --initial-branch=main "$SITE"
python3 - "$SITE" <<'PY'
import os, random, sys
site = sys.argv[1]
random.seed(7)
def page(size):
    line = "<p>Slipway serves this page from its edge; nginx serves the same bytes.</p>\n"
    body = "<!doctype html><html><head><title>bench</title></head><body>\n"
    while len(body) < size - 16:
        body += line
    return (body + "</body></html>\n")[:size]
open(os.path.join(site, "page-1k.html"), "w").write(page(1024))
open(os.path.join(site, "page-4k.html"), "w").write(page(4096))
words = ["function", "return", "const", "let", "value", "slipway", "edge", "build", "deploy", "=>", "{", "}", ";"]
script = ""
while len(script) < 100 * 1024:
    script += " ".join(random.choice(words) for _ in range(12)) + "\n"
open(os.path.join(site, "app.js"), "w").write(script[:100 * 1024])
open(os.path.join(site, "big.bin"), "wb").write(os.urandom(5 * 1024 * 1024))
PY
gzip -9 -k -n "$SITE/app.js"
git -C "$SITE" add -A
git -C "$SITE" -c user.name="Slipway Bench" -c user.email=bench@example.invalid -c commit.gpgsign=false commit --quiet -m "site"

NGINX_PORT="$(free_port)"
TOKEN="bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
HOST="site.localhost"
# The servers measured, in order: nginx first, then each Slipway (metrics on: `slipway`, off: `slipway-off`).
SIDES=(nginx)
declare -A PID_OF PORT_OF
# One `slipway serve` per metrics setting, each with the site deployed: $1 the side's name, $2 on|off.
start_slipway() {
    local side="$1" metrics="$2" port pid
    port="$(free_port)"
    mkdir -p "$WORK/data-$side"
    (cd "$WORK" && exec env SLIPWAY_ADMIN_TOKEN="$TOKEN" "$BINARY" serve \
        --data-dir "$WORK/data-$side" --host 127.0.0.1 --port "$port" --domain localhost --metrics "$metrics" \
        --allow-local-repositories "$SITE" ${EDGE_CACHE:+--edge-cache "$EDGE_CACHE"} >"$WORK/$side.log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    PID_OF[$side]=$pid
    PORT_OF[$side]=$port
    SIDES+=("$side")
    API="http://127.0.0.1:$port"
    wait_for_ok "$API/health" "localhost" 60 "$pid"
    deploy_project "{\"name\":\"site\",\"repository\":\"$SITE\",\"production_branch\":\"main\",\"build_command\":\"true\",\"output_dir\":\".\"}" 120
}
if [[ "$METRICS" != off ]]; then start_slipway slipway on; fi
if [[ "$METRICS" != on ]]; then start_slipway slipway-off off; fi

sed -e "s|@PORT@|$NGINX_PORT|g" -e "s|@PREFIX@|$WORK|g" -e "s|@ROOT@|$SITE|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" \
    -e "s|@MIME_TYPES@|$MIME_TYPES|g" "$ROOT/bench/nginx/static.conf" >"$WORK/static.conf"
nginx -p "$WORK" -c "$WORK/static.conf" >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
PID_OF[nginx]=$NGINX_PID
PORT_OF[nginx]=$NGINX_PORT
wait_for_ok "http://127.0.0.1:$NGINX_PORT/page-1k.html" "$HOST" 10 "$NGINX_PID"

# Both servers must deliver the same bytes of every file.
for file in page-1k.html page-4k.html app.js big.bin; do
    for side in "${SIDES[@]}"; do
        port="${PORT_OF[$side]}"
        cmp -s <(curl -s -H "Host: $HOST" "http://127.0.0.1:$port/$file") "$SITE/$file" \
            || { echo "the server on port $port does not return the bytes of $file" >&2; exit 1; }
    done
done


# Both must answer the script compressed when asked (nginx: gzip_static; Slipway: compressed when the build was stored).
for side in "${SIDES[@]}"; do
    port="${PORT_OF[$side]}"
    curl -s -D - -o /dev/null -H "Host: $HOST" -H "Accept-Encoding: gzip" "http://127.0.0.1:$port/app.js" | grep -qi '^content-encoding: gzip' \
        || { echo "the server on port $port does not answer app.js with gzip when asked" >&2; exit 1; }
    cmp -s <(curl -s -H "Host: $HOST" -H "Accept-Encoding: gzip" "http://127.0.0.1:$port/app.js" | gzip -dc) "$SITE/app.js" \
        || { echo "the server on port $port does not return the bytes of app.js compressed" >&2; exit 1; }
done
server_pids() {
    case "$1" in
        nginx) echo "$NGINX_PID" $(pgrep -P "$NGINX_PID") ;;
        slipway*) echo "${PID_OF[$1]}" ;;
    esac
}

# One wrk run: prints "requests/s p99-ms non-2xx cpu-us-per-request megabytes/s". $3: the path, $4: an extra header.
measure() {
    local side="$1" duration="$2" path="$3" extra="${4:-}" port before after output
    port="${PORT_OF[$side]}"
    local pids
    pids="$(server_pids "$side")"
    # shellcheck disable=SC2086
    before="$(cpu_ticks $pids)"
    if [[ -n "$extra" ]]; then
        output="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -H "Host: $HOST" -H "$extra" "http://127.0.0.1:$port$path")"
    else
        output="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -H "Host: $HOST" "http://127.0.0.1:$port$path")"
    fi
    # shellcheck disable=SC2086
    after="$(cpu_ticks $pids)"
    awk -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" '
        /Requests\/sec:/ { rps = $2 }
        /Transfer\/sec:/ {
            value = $2; unit = value; sub(/^[0-9.]+/, "", unit); sub(/[A-Za-z]+$/, "", value)
            mbps = (unit == "GB") ? value * 1024 : (unit == "KB") ? value / 1024 : (unit == "B") ? value / 1048576 : value
        }
        /requests in/ { requests = $1 }
        /Non-2xx or 3xx responses:/ { bad = $5 }
        $1 == "99%" {
            value = $2; unit = value; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", value)
            p99 = (unit == "us") ? value / 1000 : (unit == "s") ? value * 1000 : value
        }
        END { printf "%.0f %.2f %d %.2f %.1f\n", rps, p99, bad + 0, (requests > 0 ? ticks / hz * 1e6 / requests : 0), mbps }' <<<"$output"
}

echo "nginx :$NGINX_PORT ($NGINX_WORKERS workers), slipway edges:$(for side in "${SIDES[@]:1}"; do printf ' %s :%s' "$side" "${PORT_OF[$side]}"; done); Host: $HOST"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $RUNS runs each per file, alternating"
FILES=("/page-1k.html|" "/page-4k.html|" "/app.js|Accept-Encoding: gzip" "/big.bin|")
for entry in "${FILES[@]}"; do
    path="${entry%%|*}"
    extra="${entry#*|}"
    for side in "${SIDES[@]}"; do measure "$side" 2s "$path" "$extra" >/dev/null; done
    : >"$WORK/results"
    for run in $(seq 1 "$RUNS"); do
        # Each run starts with another server: every one goes first, in the middle and last as often.
        count=${#SIDES[@]}
        order=()
        for ((i = 0; i < count; i++)); do order+=("${SIDES[$(((i + run - 1) % count))]}"); done
        for side in "${order[@]}"; do
            result="$(measure "$side" "$DURATION" "$path" "$extra")"
            echo "  $path${extra:+ ($extra)} run $run $side: $result (req/s p99-ms non-2xx cpu-us/req MB/s)"
            echo "$run $side $result" >>"$WORK/results"
        done
    done
    python3 "$ROOT/bench/ratios.py" "$WORK/results" "$path"
done
for side in "${SIDES[@]:1}"; do
    pid="${PID_OF[$side]}"
    echo "$side resident memory: $(awk '/VmRSS/ { print $2 / 1024 " MiB" }' /proc/"$pid"/status) (peak $(awk '/VmHWM/ { print $2 / 1024 " MiB" }' /proc/"$pid"/status))"
done
