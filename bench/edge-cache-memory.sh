#!/usr/bin/env bash
# The edge's file cache under a site larger than it: Slipway's resident memory after every file was served (several
# times, concurrently) must stay within the cache's budget plus 60 MB (issue 16). See bench/README.md.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: bench/edge-cache-memory.sh [options]
  --edge-cache SIZE    slipway serve --edge-cache (default 64MB)
  --files N            files of the site (default 300; each 512 KiB, so 150 MiB: more than the cache)
  --rounds N           times every file is fetched (default 3)
  --binary PATH        the slipway binary (default .build/release/slipway)
  --no-build           do not run `swift build -c release --product slipway` first
  -h, --help           this text

`slipway serve` runs on a free port with the cache given; a static project whose output is N files of 512 KiB
(half of them text, compressed when the build is stored, so both forms pass through the cache) is deployed through
the API; every file is fetched ROUNDS times, 16 at a time, half of the requests asking for gzip. Prints Slipway's
resident memory (VmRSS) and its peak (VmHWM) before and after, and both against the budget plus 60 MB.
USAGE
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EDGE_CACHE=64MB
FILES=300
ROUNDS=3
BINARY="$ROOT/.build/release/slipway"
BUILD=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --edge-cache) EDGE_CACHE="$2"; shift 2 ;;
        --files) FILES="$2"; shift 2 ;;
        --rounds) ROUNDS="$2"; shift 2 ;;
        --binary) BINARY="$2"; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[[ "$FILES" =~ ^[0-9]+$ && "$FILES" -ge 1 && "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 1 ]] || { echo "--files and --rounds are positive integers" >&2; exit 2; }
[[ "$EDGE_CACHE" =~ ^([0-9]+)MB$ ]] || { echo "--edge-cache is a number of MB here, like 64MB" >&2; exit 2; }
BUDGET_MB="${BASH_REMATCH[1]}"
for tool in curl python3 git xargs; do
    command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slipway-cache-bench.XXXXXX")"
PIDS=()
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
trap_cleanup

release_binary

SITE="$WORK/site"
git init --quiet --initial-branch=main "$SITE"
python3 - "$SITE" "$FILES" <<'PY'
import os, random, sys
site, count = sys.argv[1], int(sys.argv[2])
random.seed(11)
words = ["slipway", "edge", "cache", "budget", "file", "served", "memory", "bytes", "least", "recently", "used"]
for i in range(count):
    if i % 2 == 0:
        text = ""
        while len(text) < 512 * 1024:
            text += " ".join(random.choice(words) for _ in range(16)) + "\n"
        open(os.path.join(site, f"f{i}.txt"), "w").write(text[:512 * 1024])
    else:
        open(os.path.join(site, f"f{i}.bin"), "wb").write(os.urandom(512 * 1024))
PY
git -C "$SITE" add -A
git -C "$SITE" -c user.name="Slipway Bench" -c user.email=bench@example.invalid -c commit.gpgsign=false commit --quiet -m "site"

PORT="$(free_port)"
TOKEN="bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
API="http://127.0.0.1:$PORT"
HOST="site.localhost"
mkdir -p "$WORK/data"
(cd "$WORK" && exec env SLIPWAY_ADMIN_TOKEN="$TOKEN" "$BINARY" serve \
    --data-dir "$WORK/data" --host 127.0.0.1 --port "$PORT" --domain localhost \
    --allow-local-repositories "$SITE" --edge-cache "$EDGE_CACHE" >"$WORK/slipway.log" 2>&1) &
EDGE_PID=$!
PIDS+=("$EDGE_PID")
wait_for_ok "$API/health" "localhost" 60 "$EDGE_PID"

deploy_project "{\"name\":\"site\",\"repository\":\"$SITE\",\"production_branch\":\"main\",\"build_command\":\"true\",\"output_dir\":\".\"}" 300

memory() { awk -v key="$1:" '$1 == key { print int($2 / 1024) }' "/proc/$EDGE_PID/status"; }
echo "before: VmRSS $(memory VmRSS) MiB, VmHWM $(memory VmHWM) MiB"

# Every file, ROUNDS times, 16 requests at a time, the text ones asked for gzip every other time.
for round in $(seq 1 "$ROUNDS"); do
    for i in $(seq 0 $((FILES - 1))); do
        if ((i % 2 == 0)); then echo "f$i.txt $((round % 2))"; else echo "f$i.bin 0"; fi
    done | xargs -P 16 -n 2 sh -c '
        if [ "$2" = 1 ]; then encoding="Accept-Encoding: gzip"; else encoding="X-None: 1"; fi
        code="$(curl -s -o /dev/null -w "%{http_code}" -H "Host: '"$HOST"'" -H "$encoding" "'"$API"'/$1")"
        [ "$code" = 200 ] || { echo "$1: $code" >&2; exit 255; }' sh
done

RSS="$(memory VmRSS)"
HWM="$(memory VmHWM)"
LIMIT=$((BUDGET_MB + 60))
echo "after $ROUNDS rounds of $FILES files (512 KiB each) with a ${BUDGET_MB} MB cache: VmRSS $RSS MiB, VmHWM $HWM MiB"
echo "budget + 60 MB = $LIMIT MB: resident $([[ $RSS -le $LIMIT ]] && echo within || echo OVER), peak $([[ $HWM -le $LIMIT ]] && echo within || echo OVER)"
