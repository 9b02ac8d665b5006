#!/usr/bin/env bash
# The crawl benchmark, in one command (see benches/README.md):
#
#   bash benches/run.sh [--pages N] [--runs N] [--concurrency C] [--scaling] [--crawl PATH]
#
# Builds crawl and benchsite (release), serves a generated site on 127.0.0.1
# from a separate benchsite process, and measures crawl in list mode and
# recursively from /, and wget -r as a peer, printing a markdown table of
# medians that it also writes to benches/results/latest.md.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: bash benches/run.sh [OPTIONS]

Options:
  --pages N        pages in the generated site [default: 20000]
  --runs N         runs of each measurement; the table shows medians [default: 3]
  --concurrency C  crawl --concurrency (and --host-concurrency) [default: 64]
  --scaling        also: list mode at concurrency 1, 8, 64, 256, and list and
                   recursive crawls of 2,000, 20,000 and 200,000 pages
  --crawl PATH     benchmark this crawl binary instead of building the repo's
  --no-netns       do not isolate the measurements in a network namespace
  -h, --help       print this help

Writes the tables to benches/results/latest.md and the logs of the last run
of each measurement to benches/results/last-run/.
EOF
}

PAGES=20000
RUNS=3
CONCURRENCY=64
SCALING=0
CRAWL=""
NETNS=1
ORIGINAL_ARGS=("$@")
ARGS_TEXT=""
for a in "$@"; do ARGS_TEXT+=" $(printf '%q' "$a")"; done
while (($#)); do
    case $1 in
        --pages) PAGES=${2:?--pages needs a value}; shift 2 ;;
        --runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
        --concurrency) CONCURRENCY=${2:?--concurrency needs a value}; shift 2 ;;
        --scaling) SCALING=1; shift ;;
        --crawl) CRAWL=${2:?--crawl needs a value}; shift 2 ;;
        --no-netns) NETNS=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
for n in "$PAGES" "$RUNS" "$CONCURRENCY"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: not a positive number: $n" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCHES=$ROOT/benches
RESULTS_DIR=$BENCHES/results
LOGS=$RESULTS_DIR/last-run
log() { printf '%s\n' "$*" >&2; }
die() { log "run.sh: $*"; exit 1; }

# ---------------------------------------------------------------- setup ---
# Everything that needs the network (apt, crates.io) happens here, before the
# measurements move into a network namespace of their own.
if [[ -z ${BENCH_MEASURE:-} ]]; then
    missing=()
    [[ -x /usr/bin/time ]] || missing+=(time)
    command -v wget >/dev/null || missing+=(wget)
    command -v curl >/dev/null || missing+=(curl)
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        ((EUID == 0)) || die "need ${missing[*]}: run as root or install them (apt-get install ${missing[*]})"
        apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }
    fi

    log "building benchsite (release)"
    cargo build --release --locked --quiet --manifest-path "$BENCHES/site/Cargo.toml" \
        --target-dir "$BENCHES/site/target"
    if [[ -z $CRAWL ]]; then
        log "building crawl (release)"
        (cd "$ROOT" && cargo build --release --quiet)
        CRAWL=${CARGO_TARGET_DIR:-$ROOT/target}/release/crawl
        [[ -x $CRAWL ]] || { log "note: no crawl binary at $CRAWL: crawl rows are skipped"; CRAWL=""; }
    else
        [[ -x $CRAWL ]] || die "--crawl $CRAWL: not an executable"
        CRAWL=$(cd "$(dirname "$CRAWL")" && pwd)/$(basename "$CRAWL")
    fi
    # The parser's ceiling (benches/ceiling.rs): the repository's extractor on
    # pages held in memory, on 1 and 2 threads, with no network.
    log "building the parser-ceiling bench (release)"
    CEILING=$(cd "$ROOT" && cargo bench --locked --bench ceiling --no-run --message-format=json 2>/dev/null |
        grep '"name":"ceiling"' | grep -o '"executable":"[^"]*"' | tail -n1 | cut -d'"' -f4 || true)
    [[ -n $CEILING && -x $CEILING ]] || { log "note: benches/ceiling.rs did not build: no ceiling row"; CEILING=""; }
    export BENCH_MEASURE=1 BENCH_CRAWL=$CRAWL BENCH_CEILING=${CEILING:-} BENCH_NETNS_NOTE="no (--no-netns)"
    # Loopback only, by construction: a fresh network namespace has nothing
    # but its own lo, so no link of the site (external.invalid, ...) can leave
    # the machine, whatever the crawler does with it.
    if ((NETNS)); then
        # Root can make a network namespace (-n); others may through a user
        # namespace (-rn). Probe the whole step, bringing lo up included.
        for flags in -n -rn; do
            if unshare "$flags" ip link set lo up 2>/dev/null; then
                export BENCH_NETNS_NOTE="yes (unshare $flags: own network namespace, loopback only)"
                # shellcheck disable=SC2016 # expanded by the inner bash
                exec unshare "$flags" bash -c 'ip link set lo up && exec bash "$0" "$@"' \
                    "${BASH_SOURCE[0]}" "${ORIGINAL_ARGS[@]}"
            fi
        done
        BENCH_NETNS_NOTE="no (unshare not permitted here)"
    fi
fi
CRAWL=${BENCH_CRAWL:-}
CEILING=${BENCH_CEILING:-}
BENCHSITE=$BENCHES/site/target/release/benchsite

# ----------------------------------------------------------- measuring ---
TMP=$(mktemp -d "${TMPDIR:-/tmp}/crawl-bench.XXXXXX")
SERVER_PID=""
stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        if [[ -s $TMP/server.err ]]; then tail -n1 "$TMP/server.err" >>"$LOGS/server.log"; fi
        SERVER_PID=""
    fi
}
cleanup() {
    stop_server
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
rm -rf "$LOGS"
mkdir -p "$LOGS"
RESULTS=$TMP/results.tsv
: >"$RESULTS"
CEILING_HELD=""

HAS_HOST=0
HAS_DEPTH=0
HAS_STATE=0
if [[ -n $CRAWL ]]; then
    help=$("$CRAWL" --help 2>&1 || true)
    grep -q -- --host-concurrency <<<"$help" && HAS_HOST=1
    grep -q -- --depth <<<"$help" && HAS_DEPTH=1
    grep -q -- --state <<<"$help" && HAS_STATE=1
fi

# start_server PAGES: serves a site of PAGES pages, sets ORIGIN and the
# site's figures, writes $TMP/urls.txt (every page) and $TMP/root.txt (/).
start_server() {
    stop_server
    log "starting benchsite --pages $1"
    # A fresh file: the shell may not have truncated an old one yet when we
    # first look, and its `listening on` line names the previous port.
    rm -f "$TMP/server.out"
    "$BENCHSITE" --pages "$1" --port 0 --urls "$TMP/urls.txt" >"$TMP/server.out.new" 2>"$TMP/server.err" &
    SERVER_PID=$!
    local waited=0
    until grep -q '^listening on ' "$TMP/server.out.new" 2>/dev/null; do
        kill -0 "$SERVER_PID" 2>/dev/null || die "benchsite exited: $(cat "$TMP/server.err")"
        ((waited++ < 6000)) || die "benchsite not ready after 600 s"
        sleep 0.1
    done
    mv "$TMP/server.out.new" "$TMP/server.out"
    ORIGIN=http://$(sed -n 's/^listening on //p' "$TMP/server.out")
    printf '%s/\n' "$ORIGIN" >"$TMP/root.txt"
    stats "$TMP/site"
    SITE_PAGES=$(val "$TMP/site" site_pages)
    SITE_BYTES=$(val "$TMP/site" site_bytes)
    REACH_200=$(val "$TMP/site" reachable_200)
    REACH_404=$(val "$TMP/site" reachable_404)
    head -n1 "$TMP/server.err" >>"$LOGS/server.log"
}

# server_cpu: benchsite's user+system CPU seconds so far.
server_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' \
        "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0
}
stats() { curl -sf --max-time 10 "$ORIGIN/_benchsite/stats" >"$1" || die "no stats from benchsite"; }
val() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# measure LABEL RUN EXPECTED CMD...: runs CMD under /usr/bin/time and records
# the server's counters for it: one line of $RESULTS.
measure() {
    local label=$1 run=$2 expected=$3 rc=0
    shift 3
    stats "$TMP/before"
    local server_before server_after
    server_before=$(server_cpu)
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$@" >"$TMP/cmd.out" 2>"$TMP/cmd.err" || rc=$?
    stats "$TMP/after"
    server_after=$(server_cpu)
    local wall user sys rss
    read -r wall user sys rss < <(tail -n1 "$TMP/time")
    local d=()
    for k in get_200 requests get_404 head body_bytes; do
        d+=("$(($(val "$TMP/after" "$k") - $(val "$TMP/before" "$k")))")
    done
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$run" "$wall" "$user" \
        "$sys" "$rss" "${d[0]}" "${d[1]}" "${d[2]}" "${d[3]}" "${d[4]}" "$rc" "$expected" \
        "$(awk -v a="$server_before" -v b="$server_after" 'BEGIN { printf "%.2f", b - a }')" >>"$RESULTS"
    {
        printf '$'
        printf ' %q' "$@"
        printf '\n--- stdout (last 50 lines)\n'
        tail -n 50 "$TMP/cmd.out"
        printf -- '--- stderr (last 50 lines)\n'
        tail -n 50 "$TMP/cmd.err"
    } >"$LOGS/$label.log"
    log "$(printf '  %-22s run %s: %6.2f s, %6s pages (%s expected), %5.0f pages/s, %6.2f CPU s, %4.0f MB, exit %s' \
        "$label" "$run" "$wall" "${d[0]}" "$expected" "$(awk -v p="${d[0]}" -v w="$wall" 'BEGIN { print (w > 0 ? p / w : 0) }')" \
        "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "$rc")"
}

# crawl_run LABEL RUN MODE CONCURRENCY: MODE is list, recursive, or state (recursive
# with its state on disk, a new state each run).
crawl_run() {
    local label=$1 run=$2 mode=$3 c=$4 args expected
    if [[ $mode == list ]]; then
        args=("$TMP/urls.txt")
        expected=$SITE_PAGES
    else
        args=("$TMP/root.txt" --depth 1000000)
        expected=$REACH_200
    fi
    if [[ $mode == state ]]; then
        rm -rf "$TMP/state"
        args+=(--state "$TMP/state")
    fi
    args+=(-o "$TMP/out.tsv" --concurrency "$c")
    if ((HAS_HOST)); then args+=(--host-concurrency "$c"); fi
    measure "$label" "$run" "$expected" "$CRAWL" "${args[@]}"
    if [[ -f $TMP/out.tsv ]]; then
        # Not timed: what the crawler wrote, for a sanity check in the log.
        awk -F'\t' '!seen[$1]++ { s++ } END { printf "output: %d lines, %d distinct first fields\n", NR, s }' \
            "$TMP/out.tsv" >>"$LOGS/$label.log"
        rm -f "$TMP/out.tsv"
    fi
}

# wget_run LABEL RUN VARIANT: wget -r from /, --spider or --delete-after.
wget_run() {
    local label=$1 run=$2 variant=$3
    rm -rf "$TMP/wget"
    mkdir "$TMP/wget"
    measure "$label" "$run" "$REACH_200" wget -r -l inf "$variant" -nv -e robots=off -nd \
        -P "$TMP/wget" -o "$TMP/wget.log" "$ORIGIN/"
    { tail -n 3 "$TMP/wget.log"; printf 'wget log: %d pages downloaded\n' \
        "$(grep -c ' URL:.* -> ' "$TMP/wget.log" || true)"; } >>"$LOGS/$label.log"
}

# ceiling_run RUN: the parser's ceiling, in the same conditions as the crawls.
ceiling_run() {
    [[ -n $CEILING ]] || return 0
    local t1 t2
    if ! "$CEILING" "$TMP/urls.txt" >"$TMP/ceiling.out" 2>>"$LOGS/ceiling.log"; then
        log "  parser ceiling run $1: failed (benches/results/last-run/ceiling.log)"
        return 0
    fi
    cat "$TMP/ceiling.out" >>"$LOGS/ceiling.log"
    t1=$(awk '$1 == "ceiling_threads_1" { print $2 }' "$TMP/ceiling.out")
    t2=$(awk '$1 == "ceiling_threads_2" { print $2 }' "$TMP/ceiling.out")
    CEILING_HELD=$(awk '$1 == "pages_held" { print $2 }' "$TMP/ceiling.out")
    if [[ -z $t1 || -z $t2 ]]; then
        log "  parser ceiling run $1: no figures (benches/results/last-run/ceiling.log)"
        return 0
    fi
    printf '%s\t%s\t%s\n' "$1" "$t1" "$t2" >>"$TMP/ceiling.tsv"
    log "$(printf '  %-22s run %s: %6s pages/s on 1 thread, %6s on 2 threads' parser-ceiling "$1" "$t1" "$t2")"
}

median() {
    sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# metric LABEL AWK-EXPR: the median over runs; fields are $3 wall, $4 user,
# $5 sys, $6 RSS KB, $7 pages (GET 200), $8 requests, $9 GET 404, $10 HEAD,
# $11 body bytes, $12 exit code, $13 pages expected.
metric() { awk -F'\t' -v l="$1" "\$1 == l { print $2 }" "$RESULTS" | median; }
# The medians of one measurement, by name.
# shellcheck disable=SC2016 # awk's fields, not shell expansions
{
    m_wall() { metric "$1" '$3'; }
    m_cpu() { metric "$1" '$4 + $5'; }
    m_rss() { metric "$1" '$6 / 1024'; }
    m_pages() { metric "$1" '$7'; }
    m_requests() { metric "$1" '$8'; }
    m_404() { metric "$1" '$9'; }
    m_expected() { metric "$1" '$13'; }
    m_pps() { metric "$1" '($3 > 0 ? $7 / $3 : 0)'; }
    m_mbs() { metric "$1" '($3 > 0 ? $11 / 1e6 / $3 : 0)'; }
    m_server() { metric "$1" '$14'; }
    m_busy() { metric "$1" '($3 > 0 ? ($4 + $5 + $14) / $3 : 0)'; }
}
exits() { awk -F'\t' -v l="$1" '$1 == l { print $12 }' "$RESULTS" | sort -un | paste -sd, -; }
has() { awk -F'\t' -v l="$1" '$1 == l { f = 1 } END { exit !f }' "$RESULTS"; }

# row LABEL NAME MODE: a row of the main table.
row() {
    has "$1" || return 0
    local pages expected mark=""
    pages=$(m_pages "$1")
    expected=$(m_expected "$1")
    [[ $pages == "$expected" ]] || { mark=" (≠ $expected)"; MISMATCH=1; }
    printf '| %s | %s | %s%s | %s | %s | %.2f | %.0f | %.1f | %.2f | %.2f | %.2f | %.1f | %s |\n' "$2" "$3" \
        "$pages" "$mark" "$(m_requests "$1")" "$(m_404 "$1")" "$(m_wall "$1")" \
        "$(m_pps "$1")" "$(m_mbs "$1")" \
        "$(m_cpu "$1")" "$(m_server "$1")" "$(m_busy "$1")" "$(m_rss "$1")" "$(exits "$1")"
}
ratio() {
    if ! has "$1" || ! has "$2"; then return 0; fi
    awk -v a="$(m_pps "$1")" -v b="$(m_pps "$2")" \
        -v t="$3" 'BEGIN { if (b > 0) printf "- %s: %.2f×\n", t, a / b }'
}

# ----------------------------------------------------------------- runs ---
start_server "$PAGES"
log "site: $SITE_PAGES pages, $SITE_BYTES bytes; from /: $REACH_200 URLs answer 200, $REACH_404 answer 404"
NOTES=()
[[ -n $CRAWL ]] || NOTES+=("no crawl binary: crawl rows skipped")
if [[ -n $CRAWL ]] && ((!HAS_DEPTH)); then NOTES+=("crawl has no --depth: recursive crawl skipped"); fi
if [[ -n $CRAWL ]] && ((!HAS_HOST)); then NOTES+=("crawl has no --host-concurrency: not passed"); fi
for ((run = 1; run <= RUNS; run++)); do
    log "run $run of $RUNS"
    if [[ -n $CRAWL ]]; then
        crawl_run crawl-list "$run" list "$CONCURRENCY"
        if ((HAS_DEPTH)); then crawl_run crawl-recursive "$run" recursive "$CONCURRENCY"; fi
        if ((HAS_STATE)); then crawl_run crawl-state "$run" state "$CONCURRENCY"; fi
    fi
    wget_run wget-spider "$run" --spider
    wget_run wget-delete-after "$run" --delete-after
    ceiling_run "$run"
    if [[ -n $CEILING ]]; then
        # crawl's fetch path alone: every page fetched and read whole, nothing
        # parsed or written, so what fetching costs a page shows on its own.
        measure fetch-only "$run" "$SITE_PAGES" "$CEILING" --fetch-only "$TMP/urls.txt" \
            --concurrency "$CONCURRENCY"
    fi
done

# The report's header describes this site, not the scaling sites below.
MAIN_PAGES=$SITE_PAGES MAIN_BYTES=$SITE_BYTES MAIN_200=$REACH_200 MAIN_404=$REACH_404
if ((SCALING)) && [[ -n $CRAWL ]]; then
    for c in 1 8 64 256; do
        for ((run = 1; run <= RUNS; run++)); do
            crawl_run "list-c$c" "$run" list "$c"
        done
    done
    for size in 2000 20000 200000; do
        start_server "$size"
        for ((run = 1; run <= RUNS; run++)); do
            crawl_run "size$size-list" "$run" list "$CONCURRENCY"
            if ((HAS_DEPTH)); then crawl_run "size$size-recursive" "$run" recursive "$CONCURRENCY"; fi
        done
    done
elif ((SCALING)); then
    NOTES+=("--scaling needs a crawl binary: scaling tables skipped")
fi
stop_server

# --------------------------------------------------------------- report ---
MISMATCH=0
{
    cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //' || true)
    repo_version=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)
    echo "## crawl benchmark"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); benches/ at $repo_version; median of $RUNS runs."
    echo
    echo "- machine: $(nproc) CPUs, ${cpu:-unknown CPU}, Linux $(uname -r), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- network namespace: ${BENCH_NETNS_NOTE:-no}"
    echo "- site: $MAIN_PAGES pages ($(awk -v b="$MAIN_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB) served by benchsite (1 thread) on loopback; a crawl from / finds $MAIN_200 URLs answering 200 (pages, /, query variants) and $MAIN_404 answering 404"
    if [[ -n $CRAWL ]]; then
        echo "- crawl: $CRAWL ($("$CRAWL" --version 2>/dev/null | head -n1 || true)) --concurrency $CONCURRENCY$(if ((HAS_HOST)); then echo " --host-concurrency $CONCURRENCY"; fi)"
    fi
    for note in "${NOTES[@]}"; do echo "- note: $note"; done
    echo
    echo "| tool | mode | pages | requests | GET 404s | wall s | pages/s | MB/s | CPU s (user+sys) | server CPU s | cores busy | peak RSS MB | exit |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    row crawl-list crawl "list ($MAIN_PAGES URLs)"
    row crawl-recursive crawl "recursive from /"
    row crawl-state crawl "recursive from /, --state (on disk)"
    row wget-spider "wget --spider" "recursive from /"
    row wget-delete-after "wget --delete-after" "recursive from /"
    row fetch-only "crawl's fetch path alone" "list, nothing parsed or written"
    ratios=$(
        ratio crawl-recursive wget-spider "pages/s, crawl recursive / wget --spider"
        ratio crawl-recursive wget-delete-after "pages/s, crawl recursive / wget --delete-after"
        ratio crawl-list wget-spider "pages/s, crawl list / wget --spider"
        ratio crawl-state crawl-recursive "pages/s, crawl recursive with --state / in memory"
    )
    if [[ -s $TMP/ceiling.tsv ]]; then
        c1=$(cut -f2 "$TMP/ceiling.tsv" | median)
        c2=$(cut -f3 "$TMP/ceiling.tsv" | median)
        ratios+=$'\n'"$(printf -- '- parser ceiling (benches/ceiling.rs: crawl'"'"'s decode and extraction of %s of these pages held in memory; no network, no server): %.0f pages/s on 1 thread, %.0f on 2' \
            "${CEILING_HELD:-?}" "$c1" "$c2")"
        for l in crawl-list crawl-recursive; do
            has "$l" || continue
            ratios+=$'\n'"$(awk -v a="$(m_pps "$l")" -v b="$c2" -v l="${l#crawl-}" \
                'BEGIN { if (b > 0) printf "- pages/s, crawl %s / parser ceiling on 2 threads: %.0f%%", l, 100 * a / b }')"
        done
        if has fetch-only && has crawl-list; then
            # Two cores shared by parsing, fetching and serving: each page needs
            # its parse (2 / c2 core-seconds at the ceiling), its fetch and its
            # share of the server, so no crawler can go faster than this here.
            ratios+=$'\n'"$(awk -v c2="$c2" -v fc="$(m_cpu fetch-only)" -v fp="$(m_pages fetch-only)" \
                -v sc="$(m_server crawl-list)" -v sp="$(m_pages crawl-list)" -v a="$(m_pps crawl-list)" \
                'BEGIN { if (c2 > 0 && fp > 0 && sp > 0) {
                    p = 2 / c2; f = fc / fp; s = sc / sp; lim = 2 / (p + f + s)
                    printf "- limit of two cores: parse %.0f µs + fetch %.0f µs + server %.0f µs of CPU a page = %.0f pages/s; crawl list reaches %.0f%% of it",
                        p * 1e6, f * 1e6, s * 1e6, lim, 100 * a / lim } }')"
        fi
    fi
    if [[ -n $ratios ]]; then printf '\n%s\n' "$ratios"; fi
    if has list-c1; then
        echo
        echo "### Concurrency (list mode, $MAIN_PAGES pages)"
        echo
        echo "| --concurrency | pages/s | MB/s | CPU s | peak RSS MB |"
        echo "|---:|---:|---:|---:|---:|"
        for c in 1 8 64 256; do
            printf '| %s | %.0f | %.1f | %.2f | %.1f |\n' "$c" "$(m_pps "list-c$c")" \
                "$(m_mbs "list-c$c")" "$(m_cpu "list-c$c")" \
                "$(m_rss "list-c$c")"
        done
    fi
    if has size2000-list; then
        echo
        echo "### Crawl size (--concurrency $CONCURRENCY)"
        echo
        echo "| pages in site | mode | pages fetched | pages/s | CPU s | peak RSS MB |"
        echo "|---:|---|---:|---:|---:|---:|"
        for size in 2000 20000 200000; do
            for mode in list recursive; do
                has "size$size-$mode" || continue
                printf '| %s | %s | %s | %.0f | %.2f | %.1f |\n' "$size" "$mode" "$(m_pages "size$size-$mode")" \
                    "$(m_pps "size$size-$mode")" "$(m_cpu "size$size-$mode")" \
                    "$(m_rss "size$size-$mode")"
            done
        done
    fi
    echo
    echo "Columns: benches/README.md. Rerun: \`bash benches/run.sh${ARGS_TEXT}\`."
} >"$TMP/table.md"
if ((MISMATCH)); then
    printf '\n(≠ N: the tool fetched a different number of pages than a full crawl finds; see benches/results/last-run/)\n' >>"$TMP/table.md"
fi
cp "$RESULTS" "$LOGS/runs.tsv"
cp "$TMP/table.md" "$RESULTS_DIR/latest.md"
cat "$TMP/table.md"
