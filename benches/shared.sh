#!/usr/bin/env bash
# The shared frontier on the benchmark site (see benches/README.md):
#
#   bash benches/shared.sh [--pages N] [--runs N] [--concurrency C] [--crawl PATH]
#
# Serves the generated site from benchsite on 127.0.0.1, starts a redis-server on a
# free loopback port, and crawls the site recursively from / three ways, RUNS times
# each, alternating: in memory (one process, the baseline), one worker through
# Redis, and three workers through Redis sharing one crawl. For each it prints
# pages/s, the crawl's CPU, and for the Redis runs the commands Redis served and its
# CPU per page (INFO commandstats and INFO cpu, before and after) and its memory per
# URL seen. Everything stays on loopback.
set -euo pipefail

PAGES=20000
RUNS=3
CONCURRENCY=64
CRAWL=""
while (($#)); do
    case $1 in
        --pages) PAGES=${2:?}; shift 2 ;;
        --runs) RUNS=${2:?}; shift 2 ;;
        --concurrency) CONCURRENCY=${2:?}; shift 2 ;;
        --crawl) CRAWL=${2:?}; shift 2 ;;
        -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "shared.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf '%s\n' "$*" >&2; }
die() { log "shared.sh: $*"; exit 1; }
command -v redis-server >/dev/null || die "redis-server is not installed (apt-get install redis-server)"
if [[ -z $CRAWL ]]; then
    log "building crawl (release)"
    (cd "$ROOT" && cargo build --release --quiet) || die "cargo build failed"
    CRAWL=$ROOT/target/release/crawl
fi
log "building benchsite (release)"
(cd "$ROOT/benches/site" && cargo build --release --quiet) || die "benchsite build failed"
BENCHSITE=$ROOT/benches/site/target/release/benchsite

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

"$BENCHSITE" --pages "$PAGES" --port 0 --urls "$TMP/urls.txt" >"$TMP/site.out" 2>"$TMP/site.err" &
PIDS+=($!)
until grep -q '^listening on ' "$TMP/site.out" 2>/dev/null; do sleep 0.1; done
ORIGIN=http://$(sed -n 's/^listening on //p' "$TMP/site.out")
printf '%s/\n' "$ORIGIN" >"$TMP/root.txt"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$TMP" >"$TMP/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
until redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
REDIS=redis://127.0.0.1:$PORT/0
rcli() { redis-cli -p "$PORT" "$@"; }
calls() { rcli info commandstats | awk -F'[=,:]' '/^cmdstat_/ { n += $3 } END { print n + 0 }'; }
# Round trips: the scripts run (EVALSHA, EVAL); the few commands sent on their own
# (the settings check, robots.txt) are left out, as commandstats counts the commands
# scripts run under the same names.
trips() { rcli info commandstats | awk -F'[=,:]' '/^cmdstat_(evalsha|eval):/ { n += $3 } END { print n + 0 }'; }
rcpu() { rcli info cpu | awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.3f\n", s }'; }
rmem() { rcli info memory | awk -F: '/^used_memory:/ { print $2 + 0 }'; }
cpu_of() { awk '{ print $2 + $3 }' "$1"; }

ARGS=(--depth 1000000 --concurrency "$CONCURRENCY" --host-concurrency "$CONCURRENCY" -q)
RESULTS=$TMP/results
: >"$RESULTS"

# run LABEL WORKERS: one crawl of the site from /; WORKERS 0 is in memory.
run() {
    local label=$1 workers=$2 id="bench-$RANDOM-$RANDOM"
    local calls0 cpu0 mem0 trips0 start end pages cpu=0 rc=0
    rcli flushall >/dev/null
    calls0=$(calls); cpu0=$(rcpu); mem0=$(rmem); trips0=$(trips)
    start=$(date +%s.%N)
    if ((workers == 0)); then
        /usr/bin/time -f '%e %U %S' -o "$TMP/time.0" "$CRAWL" "$TMP/root.txt" -o "$TMP/out.0" "${ARGS[@]}" \
            2>"$TMP/err.0" || rc=$?
        cpu=$(cpu_of "$TMP/time.0")
    else
        local pids=() i
        for ((i = 0; i < workers; i++)); do
            /usr/bin/time -f '%e %U %S' -o "$TMP/time.$i" "$CRAWL" "$TMP/root.txt" -o "$TMP/out.$i" \
                "${ARGS[@]}" --frontier "$REDIS" --crawl-id "$id" 2>"$TMP/err.$i" &
            pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p" || rc=$?; done
        for ((i = 0; i < workers; i++)); do
            cpu=$(awk -v a="$cpu" -v b="$(cpu_of "$TMP/time.$i")" 'BEGIN { print a + b }')
        done
    fi
    end=$(date +%s.%N)
    pages=$(cat "$TMP"/out.* | cut -f1 | sort -u | wc -l)
    local dcalls dcpu seen mem dtrips
    dtrips=$(($(trips) - trips0))
    dcalls=$(($(calls) - calls0))
    dcpu=$(awk -v a="$cpu0" -v b="$(rcpu)" 'BEGIN { print b - a }')
    mem=$(($(rmem) - mem0))
    seen=$(rcli --scan --pattern "crawl:{$id/*}:seen" | while read -r k; do rcli scard "$k"; done |
        awk '{ s += $1 } END { print s + 0 }')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" \
        "$pages" "$cpu" "$dcalls" "$dcpu" "$seen" "$mem" "$rc" "$dtrips" >>"$RESULTS"
    log "$(printf '  %-10s %6.2f s, %6d pages, %7.0f pages/s, crawl CPU %6.2f s, exit %s' "$label" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$pages" \
        "$(awk -v a="$start" -v b="$end" -v p="$pages" 'BEGIN { print p / (b - a) }')" "$cpu" "$rc")"
    rm -f "$TMP"/out.* "$TMP"/time.*
}

for ((r = 1; r <= RUNS; r++)); do
    log "run $r of $RUNS"
    run memory 0
    run redis-1 1
    run redis-3 3
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
col() { awk -F'\t' -v l="$1" -v c="$2" '$1 == l { print $c }' "$RESULTS" | median; }
echo
echo "Shared frontier on the benchmark site: $PAGES pages, recursive from /, --concurrency $CONCURRENCY," \
    "medians of $RUNS alternating runs, $(nproc) cores, redis-server $(redis-server --version | awk '{ print $3 }' | tr -d v=)"
echo
echo "| run | pages | wall s | pages/s | crawl CPU s | round trips/page | Redis commands/page | Redis CPU us/page | Redis bytes/seen URL |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for l in memory redis-1 redis-3; do
    w=$(col "$l" 2); p=$(col "$l" 3); c=$(col "$l" 4); k=$(col "$l" 5); u=$(col "$l" 6); s=$(col "$l" 7); m=$(col "$l" 8); t=$(col "$l" 10)
    awk -v l="$l" -v w="$w" -v p="$p" -v c="$c" -v k="$k" -v u="$u" -v s="$s" -v m="$m" -v t="$t" 'BEGIN {
        if (l == "memory") printf "| %s | %d | %.2f | %.0f | %.2f | - | - | - | - |\n", l, p, w, p / w, c
        else printf "| %s | %d | %.2f | %.0f | %.2f | %.1f | %.1f | %.1f | %.0f |\n", l, p, w, p / w, c, t / p, k / p, u * 1e6 / p, (s > 0 ? m / s : 0)
    }'
done
u1=$(col redis-1 6); p1=$(col redis-1 3)
awk -v u="$u1" -v p="$p1" 'BEGIN { if (u > 0) printf "\nOne Redis core at this CPU per page: about %.0f pages/s\n", p / u }'
