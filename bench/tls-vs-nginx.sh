#!/usr/bin/env bash
# HTTPS: Slipway's edge serving a deployed static page over TLS against nginx serving the same file with the same
# ECDSA P-256 certificate, measured with wrk, same settings, alternating, several runs each. See bench/README.md.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: bench/tls-vs-nginx.sh [options]

  --runs N             measured wrk runs of each server per measure, alternating (default 3)
  --duration D         length of one wrk run (default 5s)
  --threads N          wrk threads (default 2)
  --connections N      wrk connections (default 50)
  --nginx-workers N    worker processes of nginx (default 2: one per core, like Slipway's event loops)
  --binary PATH        the slipway binary (default .build/release/slipway)
  --no-build           do not run `swift build -c release --product slipway` first
  -h, --help           this text

A certificate for localhost, *.localhost and site.localhost (ECDSA P-256, self-signed by openssl) is made; `slipway serve` runs with
--https-port and --tls-cert/--tls-key on free ports and a static project `site` (a 4 KiB page) is deployed through
the API; nginx (bench/nginx/tls.conf) serves the same file with the same certificate, without session resumption on
either side. Two measures, each RUNS times per server, alternating which goes first:
- keep-alive: `wrk -tT -cC -dD --latency` over HTTPS, requests/s;
- handshakes: the same with `Connection: close`, so every request is a new TLS connection (a full handshake):
  requests/s is new TLS handshakes/s.
Prints each run and, per measure, the median requests/s, p99 latency and CPU time per request of both, and the ratios
Slipway / nginx. Then Slipway's resident memory.
USAGE
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
DURATION=5s
THREADS=2
CONNECTIONS=50
NGINX_WORKERS=2
BINARY="$ROOT/.build/release/slipway"
BUILD=1

while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --duration) DURATION="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --nginx-workers) NGINX_WORKERS="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
for tool in nginx wrk curl python3 git openssl; do
    command -v "$tool" >/dev/null || { echo "$tool is required (Debian: apt-get install -y nginx wrk curl python3 git openssl)" >&2; exit 2; }
done
MIME_TYPES=/etc/nginx/mime.types
[[ -r "$MIME_TYPES" ]] || { echo "nginx's mime.types is not at $MIME_TYPES" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-tls-bench.XXXXXX")"
mkdir -p "$WORK/tmp"
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

release_binary

# One certificate for both servers.
CERT="$WORK/cert.pem"
KEY="$WORK/key.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$KEY" -out "$CERT" -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,DNS:*.localhost,DNS:site.localhost" 2>"$WORK/openssl.log"

# The site: the same file for both servers, committed for Slipway, served from the checkout by nginx.
SITE="$WORK/site"
git init --quiet --initial-branch=main "$SITE"
python3 - "$SITE" <<'PY'
import os, sys
line = "<p>Slipway serves this page from its edge; nginx serves the same bytes.</p>\n"
body = "<!doctype html><html><head><title>bench</title></head><body>\n"
while len(body) < 4096 - 16:
    body += line
open(os.path.join(sys.argv[1], "page-4k.html"), "w").write((body + "</body></html>\n")[:4096])
PY
git -C "$SITE" add -A
git -C "$SITE" -c user.name="Slipway Bench" -c user.email=bench@example.invalid -c commit.gpgsign=false commit --quiet -m "site"

EDGE_PORT="$(free_port)"
TLS_PORT="$(free_port)"
NGINX_PORT="$(free_port)"
TOKEN="bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
API="http://127.0.0.1:$EDGE_PORT"
HOST="site.localhost"
mkdir -p "$WORK/data"
(cd "$WORK" && exec env SLIPWAY_ADMIN_TOKEN="$TOKEN" "$BINARY" serve \
    --data-dir "$WORK/data" --host 127.0.0.1 --port "$EDGE_PORT" --domain localhost \
    --https-port "$TLS_PORT" --tls-cert "$CERT" --tls-key "$KEY" \
    --allow-local-repositories "$SITE" >"$WORK/slipway.log" 2>&1) &
EDGE_PID=$!
PIDS+=("$EDGE_PID")
wait_for_ok "$API/health" "127.0.0.1" 60 "$EDGE_PID"
deploy_project "{\"name\":\"site\",\"repository\":\"$SITE\",\"production_branch\":\"main\",\"build_command\":\"true\",\"output_dir\":\".\"}" 120

sed -e "s|@PORT@|$NGINX_PORT|g" -e "s|@PREFIX@|$WORK|g" -e "s|@ROOT@|$SITE|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" \
    -e "s|@MIME_TYPES@|$MIME_TYPES|g" -e "s|@CERT@|$CERT|g" -e "s|@KEY@|$KEY|g" "$ROOT/bench/nginx/tls.conf" >"$WORK/tls.conf"
nginx -p "$WORK" -c "$WORK/tls.conf" >"$WORK/nginx.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
for i in $(seq 1 100); do
    kill -0 "$NGINX_PID" 2>/dev/null || { echo "nginx exited" >&2; exit 1; }
    [[ "$(curl -sk -o /dev/null -w '%{http_code}' -H "Host: $HOST" "https://127.0.0.1:$NGINX_PORT/page-4k.html")" == "200" ]] && break
    [[ $i -eq 100 ]] && { echo "nginx did not answer over HTTPS within 10 s" >&2; exit 1; }
    sleep 0.1
done

# Both servers must deliver the same bytes, with the same certificate.
for port in "$NGINX_PORT" "$TLS_PORT"; do
    cmp -s <(curl -s --cacert "$CERT" --resolve "$HOST:$port:127.0.0.1" "https://$HOST:$port/page-4k.html") "$SITE/page-4k.html" \
        || { echo "the server on port $port does not return the bytes of page-4k.html over HTTPS with the certificate" >&2; exit 1; }
done

server_pids() {
    case "$1" in
        nginx) echo "$NGINX_PID" $(pgrep -P "$NGINX_PID") ;;
        slipway) echo "$EDGE_PID" ;;
    esac
}

# One wrk run: prints "requests/s p99-ms non-2xx cpu-us-per-request". $3: an extra header (Connection: close).
measure() {
    local side="$1" duration="$2" extra="${3:-}" port before after output
    if [[ "$side" == nginx ]]; then port="$NGINX_PORT"; else port="$TLS_PORT"; fi
    local pids
    pids="$(server_pids "$side")"
    # shellcheck disable=SC2086
    before="$(cpu_ticks $pids)"
    if [[ -n "$extra" ]]; then
        output="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -H "Host: $HOST" -H "$extra" "https://127.0.0.1:$port/page-4k.html")"
    else
        output="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -H "Host: $HOST" "https://127.0.0.1:$port/page-4k.html")"
    fi
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

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "slipway edge https :$TLS_PORT, nginx https :$NGINX_PORT ($NGINX_WORKERS workers); Host: $HOST; ECDSA P-256"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $RUNS runs each per measure, alternating"
MEASURES=("keep-alive|" "handshakes|Connection: close")
for entry in "${MEASURES[@]}"; do
    name="${entry%%|*}"
    extra="${entry#*|}"
    measure nginx 2s "$extra" >/dev/null
    measure slipway 2s "$extra" >/dev/null
    NGINX_RESULTS=()
    SLIPWAY_RESULTS=()
    for run in $(seq 1 "$RUNS"); do
        if ((run % 2 == 1)); then order=(nginx slipway); else order=(slipway nginx); fi
        for side in "${order[@]}"; do
            result="$(measure "$side" "$DURATION" "$extra")"
            echo "  $name run $run $side: $result (req/s p99-ms non-2xx cpu-us/req)"
            if [[ "$side" == nginx ]]; then NGINX_RESULTS+=("$result"); else SLIPWAY_RESULTS+=("$result"); fi
        done
    done
    column_median() { printf '%s\n' "${@:2}" | awk -v c="$1" '{ print $c }' | median; }
    n_rps="$(column_median 1 "${NGINX_RESULTS[@]}")"; s_rps="$(column_median 1 "${SLIPWAY_RESULTS[@]}")"
    n_p99="$(column_median 2 "${NGINX_RESULTS[@]}")"; s_p99="$(column_median 2 "${SLIPWAY_RESULTS[@]}")"
    n_cpu="$(column_median 4 "${NGINX_RESULTS[@]}")"; s_cpu="$(column_median 4 "${SLIPWAY_RESULTS[@]}")"
    awk -v p="$name" -v nr="$n_rps" -v sr="$s_rps" -v np="$n_p99" -v sp="$s_p99" -v nc="$n_cpu" -v sc="$s_cpu" 'BEGIN {
        printf "%s: nginx %.0f req/s p99 %.2f ms %.1f us/req | slipway %.0f req/s p99 %.2f ms %.1f us/req\n", p, nr, np, nc, sr, sp, sc
        printf "%s: ratio slipway/nginx: requests/s %.2f, CPU per request %.2f\n", p, sr / nr, (nc > 0 ? sc / nc : 0)
    }'
done
echo "slipway resident memory: $(awk '/VmRSS/ { print $2 / 1024 " MiB" }' /proc/"$EDGE_PID"/status) (peak $(awk '/VmHWM/ { print $2 / 1024 " MiB" }' /proc/"$EDGE_PID"/status))"
