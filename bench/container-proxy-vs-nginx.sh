#!/usr/bin/env bash
# Proxy throughput to a container service: Slipway's edge → the container against nginx → the same container.
#
# Usage: bench/container-proxy-vs-nginx.sh [options]
#
#   --runs N             measured wrk runs of each proxy, alternating (default 3)
#   --duration D         length of one wrk run (default 10s)
#   --threads N          wrk threads (default 2)
#   --connections N      wrk connections (default 50)
#   --nginx-workers N    worker processes of the nginx proxy (default 2: one per core, like Slipway's event loops)
#   --upstream KIND      what the container runs: httpd (busybox httpd, default) or nginx (the host's nginx and its
#                        libraries copied into the image, answering bench/nginx/upstream.conf's page from memory)
#   --binary PATH        the slipway binary (default .build/release/slipway, else .build/debug/slipway with a warning)
#   -h, --help           this text
#
# A `service` project with `build_type: dockerfile` is deployed through a running `slipway serve`: its image is made
# here (FROM scratch with /bin/busybox, plus the upstream's files), built by the server with Podman and run as a
# container in a network namespace of its own (slirp4netns, no published port). The edge reaches 127.0.0.1:$PORT inside
# that namespace with a socket made in it (docs/containers.md). The reference is nginx with the configuration of
# bench/nginx/proxy.conf (HTTP/1.1 and a keep-alive pool to the upstream), started with `nsenter --net` in the same
# container's network namespace so that it forwards to the very same address, 127.0.0.1:$PORT of the container; wrk
# runs in that namespace for nginx and on the host's loopback for Slipway (both loopback). Every run prints requests/s,
# p99 and the proxy's own CPU time per request (nginx's master and workers; Slipway's process, not the container), then
# the medians and the ratios Slipway / nginx.
#
# Needs: root, podman with runc, busybox-static, nginx, wrk, nsenter (util-linux), git, curl, python3. Everything listens
# on loopback only; the images and containers are removed by label at the end, the processes by pid.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS=3
DURATION=10s
THREADS=2
CONNECTIONS=50
NGINX_WORKERS=2
UPSTREAM=httpd
BINARY=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --duration) DURATION="$2"; shift 2 ;;
        --threads) THREADS="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --nginx-workers) NGINX_WORKERS="$2"; shift 2 ;;
        --upstream) UPSTREAM="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        -h|--help) sed -n 2,27p "$0"; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
[[ "$RUNS" =~ ^[0-9]+$ && "$RUNS" -ge 1 ]] || { echo "--runs must be a positive integer" >&2; exit 2; }
[[ "$UPSTREAM" =~ ^(httpd|nginx)$ ]] || { echo "--upstream must be httpd or nginx" >&2; exit 2; }
for tool in podman nginx wrk nsenter git curl python3; do
    command -v "$tool" >/dev/null || { echo "$tool is required (Debian: apt-get install -y podman buildah runc busybox-static nginx wrk util-linux git curl python3)" >&2; exit 2; }
done
[[ $(id -u) -eq 0 ]] || { echo "run as root (podman's --userns=auto, nsenter)" >&2; exit 2; }
if [[ -z "$BINARY" ]]; then
    BINARY="$ROOT/.build/release/slipway"
    [[ -x "$BINARY" ]] || { BINARY="$ROOT/.build/debug/slipway"; echo "warning: using the DEBUG build ($BINARY): its figures say little" >&2; }
fi
[[ -x "$BINARY" ]] || { echo "no slipway binary at $BINARY" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-container-proxy.XXXXXX")"
mkdir -p "$WORK/tmp"
PIDS=()
RUN_LABEL="slipway-bench.run=$(basename "$WORK")"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
remove_images() {
    # The server removed its containers when it stopped; its images carry the project's uid, the base image the run's label.
    for uid in $(cat "$WORK/project-uid" 2>/dev/null); do
        podman rm --force --time 0 $(podman ps --all --quiet --filter "label=slipway.runtime=$WORK/data") >/dev/null 2>&1 || true
        podman rmi --force $(podman images -q --filter "label=slipway.project=$uid") >/dev/null 2>&1 || true
    done
    podman rmi --force $(podman images -q --filter "label=$RUN_LABEL") >/dev/null 2>&1 || true
}
# Stops nginx and the server (which stops its container) first, then removes the images, then lib.sh's cleanup.
finish() {
    local status=$?
    set +e
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill -TERM "${PIDS[$i]}" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    remove_images
    (exit "$status")
    cleanup
}
trap finish EXIT
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

# The base image: busybox, every applet linked in /bin.
BASE="localhost/slipway-bench/busybox:$(basename "$WORK" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9')"
mkdir -p "$WORK/base"
cp /bin/busybox "$WORK/base/busybox"
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' >"$WORK/base/Dockerfile"
podman build --runtime runc --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none --label "$RUN_LABEL" \
    -t "$BASE" "$WORK/base" >"$WORK/base.log" 2>&1

# The service's repository: the page (the upstream page of bench/nginx/upstream.conf, so both upstreams answer the same
# bytes) and a Dockerfile that serves it on 127.0.0.1:$PORT.
REPO="$WORK/repo"
git init --quiet --initial-branch=main "$REPO"
mkdir -p "$REPO/www"
sed -n 's/^ *return 200 "\(.*\)\\n";$/\1/p' "$ROOT/bench/nginx/upstream.conf" | sed 's/\\"/"/g' >"$REPO/www/index.html"
[[ -s "$REPO/www/index.html" ]] || { echo "could not take the page out of bench/nginx/upstream.conf" >&2; exit 1; }
if [[ "$UPSTREAM" == httpd ]]; then
    cat >"$REPO/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY www /www
CMD ["sh", "-c", "exec httpd -f -p 127.0.0.1:\$PORT -h /www"]
DOCKERFILE
else
    # The host's nginx with the libraries it links (ldd), and the upstream configuration filled in at start.
    mkdir -p "$REPO/rootfs/usr/sbin" "$REPO/rootfs/etc"
    cp /usr/sbin/nginx "$REPO/rootfs/usr/sbin/nginx"
    for library in $(ldd /usr/sbin/nginx | grep -o '/[^ ]*'); do
        mkdir -p "$REPO/rootfs$(dirname "$library")"
        cp -L "$library" "$REPO/rootfs$library"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$REPO/rootfs/etc/passwd"
    printf 'root:x:0:\n' >"$REPO/rootfs/etc/group"
    cp "$ROOT/bench/nginx/upstream.conf" "$REPO/upstream.conf"
    cat >"$REPO/Dockerfile" <<DOCKERFILE
FROM $BASE
COPY rootfs /
COPY upstream.conf /upstream.conf
CMD ["sh", "-c", "mkdir -p /run/nginx/tmp && sed -e \"s|@PORT@|\$PORT|g\" -e 's|@PREFIX@|/run/nginx|g' /upstream.conf >/run/nginx/nginx.conf && exec /usr/sbin/nginx -p /run/nginx -c /run/nginx/nginx.conf"]
DOCKERFILE
fi
git -C "$REPO" add -A
git -C "$REPO" -c user.name="Slipway Bench" -c user.email=bench@example.invalid -c commit.gpgsign=false commit --quiet -m "upstream"

# The server, and the service deployed through its API.
EDGE_PORT="$(free_port)"
TOKEN="bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
API="http://127.0.0.1:$EDGE_PORT"
HOST="box.localhost"
mkdir -p "$WORK/data"
(cd "$WORK" && exec env SLIPWAY_ADMIN_TOKEN="$TOKEN" "$BINARY" serve --data-dir "$WORK/data" --host 127.0.0.1 --port "$EDGE_PORT" \
    --domain localhost --container-engine podman --allow-local-repositories "$REPO" >"$WORK/slipway.log" 2>&1) &
SLIPWAY_PID=$!
PIDS+=("$SLIPWAY_PID")
wait_for_ok "$API/health" "localhost" 120 "$SLIPWAY_PID"
grep -m1 "containers" "$WORK/slipway.log" >&2 || true
PROJECT_JSON="$(api POST /api/v1/projects "{\"name\":\"box\",\"repository\":\"$REPO\",\"production_branch\":\"main\",\"kind\":\"service\",
    \"build_type\":\"dockerfile\",\"health_check_path\":\"/\",\"health_check_timeout\":300,\"standby_window\":0}")"
python3 -c 'import json, sys; print(json.loads(sys.argv[1])["uid"])' "$PROJECT_JSON" >"$WORK/project-uid"
PROJECT_ID="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["id"])' "$PROJECT_JSON")"
DEPLOYMENT_ID="$(api POST /api/v1/deployments "{\"project_ids\":[$PROJECT_ID]}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["deployment_ids"][0])')"
for i in $(seq 1 6000); do
    state="$(api GET "/api/v1/deployments/$DEPLOYMENT_ID" | python3 -c 'import json, sys; print(json.load(sys.stdin)["state"])')"
    [[ "$state" == success ]] && break
    case "$state" in failed|canceled|skipped) echo "the deployment ended $state" >&2; api GET "/api/v1/deployments/$DEPLOYMENT_ID" >&2; exit 1 ;; esac
    [[ $i -eq 6000 ]] && { echo "the deployment did not succeed within 10 minutes" >&2; exit 1; }
    sleep 0.1
done
wait_for_ok "http://127.0.0.1:$EDGE_PORT/" "$HOST" 60 "$SLIPWAY_PID"

# The container's main process (its network namespace) and the port it listens on inside it.
read -r CONTAINER_PID CONTAINER_PORT <<<"$(api GET /api/v1/projects/box | python3 -c '
import json, sys
process = json.load(sys.stdin)["services"]["processes"][0]
print(process["pid"], process["port"])')"
NETNS="/proc/$CONTAINER_PID/ns/net"
[[ -e "$NETNS" ]] || { echo "no network namespace at $NETNS" >&2; exit 1; }
in_container_network() { nsenter --net="$NETNS" "$@"; }

# nginx, in the container's network namespace, forwarding to the container's 127.0.0.1:$PORT.
NGINX_PORT="$(free_port)"
render "$ROOT/bench/nginx/proxy.conf" "$WORK/proxy.conf" "PORT=$NGINX_PORT" "UPSTREAM_PORT=$CONTAINER_PORT" "PREFIX=$WORK" "WORKERS=$NGINX_WORKERS"
nsenter --net="$NETNS" nginx -p "$WORK" -c "$WORK/proxy.conf" >"$WORK/nginx-proxy.log" 2>&1 &
NGINX_PID=$!
PIDS+=("$NGINX_PID")
for i in $(seq 1 100); do
    [[ "$(in_container_network curl -s -o /dev/null -w '%{http_code}' -H "Host: $HOST" "http://127.0.0.1:$NGINX_PORT/")" == 200 ]] && break
    kill -0 "$NGINX_PID" 2>/dev/null || { echo "nginx exited" >&2; exit 1; }
    [[ $i -eq 100 ]] && { echo "nginx did not answer" >&2; exit 1; }
    sleep 0.1
done

# Both proxies must deliver the container's page.
UPSTREAM_BODY="$(in_container_network curl -s "http://127.0.0.1:$CONTAINER_PORT/")"
[[ "$(curl -s -H "Host: $HOST" "http://127.0.0.1:$EDGE_PORT/")" == "$UPSTREAM_BODY" ]] || { echo "Slipway does not return the container's page" >&2; exit 1; }
[[ "$(in_container_network curl -s -H "Host: $HOST" "http://127.0.0.1:$NGINX_PORT/")" == "$UPSTREAM_BODY" ]] || { echo "nginx does not return the container's page" >&2; exit 1; }

# One wrk run against a proxy: prints "requests/s p99-ms non-2xx cpu-us-per-request".
measure() {
    local side="$1" duration="$2" pids before after output
    if [[ "$side" == nginx ]]; then pids="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"; else pids="$SLIPWAY_PID"; fi
    # shellcheck disable=SC2086
    before="$(cpu_ticks $pids)"
    if [[ "$side" == nginx ]]; then
        output="$(in_container_network wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -H "Host: $HOST" "http://127.0.0.1:$NGINX_PORT/")"
    else
        output="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -H "Host: $HOST" "http://127.0.0.1:$EDGE_PORT/")"
    fi
    # shellcheck disable=SC2086
    after="$(cpu_ticks $pids)"
    awk -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" '
        /Requests\/sec:/ { rps = $2 }
        /requests in/ { requests = $1 }
        /Non-2xx or 3xx responses:/ { bad = $5 }
        /Socket errors:/ { errors = $0 }
        $1 == "99%" {
            value = $2; unit = value; sub(/^[0-9.]+/, "", unit); sub(/[a-z]+$/, "", value)
            p99 = (unit == "us") ? value / 1000 : (unit == "s") ? value * 1000 : value
        }
        END { printf "%.0f %.2f %d %.2f\n", rps, p99, bad + 0, (requests > 0 ? ticks / hz * 1e6 / requests : 0) }' <<<"$output"
}

echo "container pid $CONTAINER_PID, its 127.0.0.1:$CONTAINER_PORT ($UPSTREAM); slipway edge :$EDGE_PORT ($BINARY);" \
    "nginx :$NGINX_PORT in the container's network namespace ($NGINX_WORKERS workers); Host: $HOST"
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $RUNS runs each, alternating; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for side in nginx slipway; do measure "$side" 2s >/dev/null; done
: >"$WORK/results"
for run in $(seq 1 "$RUNS"); do
    if ((run % 2)); then order=(nginx slipway); else order=(slipway nginx); fi
    for side in "${order[@]}"; do
        result="$(measure "$side" "$DURATION")"
        echo "$run $side $result" >>"$WORK/results"
        read -r rps p99 bad cpu <<<"$result"
        printf "run %d  %-8s %8s req/s  p99 %7s ms  %6s µs CPU/request%s\n" "$run" "$side" "$rps" "$p99" "$cpu" \
            "$([[ $bad -gt 0 ]] && echo "  ($bad non-2xx!)")"
    done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$ROOT/bench/ratios.py" "$WORK/results"
