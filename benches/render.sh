#!/usr/bin/env bash
# crawl --render against the seed's approach (pyppeteer) on the benchmark site:
#
#   bash benches/render.sh [--pages 1000] [--runs N] [--crawl PATH] [--browser PATH] [--no-netns]
#
# Serves the generated site from benchsite on 127.0.0.1 and loads the same PAGES
# page URLs (the first PAGES of the list benchsite writes, --depth 0) with: the
# static crawl (--concurrency 8, the baseline); crawl --render at
# --render-concurrency 1, 4 and 8 (and --concurrency the same); and
# benches/render_pyppeteer.py (pyppeteer driving the same Chromium) one page at a
# time and with 4 and 8 tabs. RUNS times each, alternating. Prints a markdown
# table of medians: pages/s (pages = lines of the list over wall time), peak RSS
# of the command and every process under it (Chromium's included; a sum of RSS,
# so pages shared between Chromium's processes count once per process), links
# found (lines of its output: the rendered DOM's a.href keeps mailto:, tel: and
# #fragments, which crawl leaves out or strips, so pyppeteer finds more).
# --browser is passed to both crawl and pyppeteer (default: crawl's own choice,
# /usr/bin/chromium for pyppeteer). Everything is on loopback, in a network
# namespace of its own unless --no-netns.
set -euo pipefail

PAGES=1000
RUNS=3
CRAWL=""
BROWSER=""
NETNS=1
ORIGINAL_ARGS=("$@")
while (($#)); do
    case $1 in
        --pages) PAGES=${2:?--pages needs a value}; shift 2 ;;
        --runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
        --crawl) CRAWL=${2:?--crawl needs a value}; shift 2 ;;
        --browser) BROWSER=${2:?--browser needs a value}; shift 2 ;;
        --no-netns) NETNS=0; shift ;;
        -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "render.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
for n in "$PAGES" "$RUNS"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "render.sh: not a positive number: $n" >&2; exit 2; }
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=$ROOT/target/pyppeteer-venv
PYPPETEER_VERSION=2.0.0
log() { printf '%s\n' "$*" >&2; }
die() { log "render.sh: $*"; exit 1; }

# ---------------------------------------------------------------- setup ---
# Everything that needs the network (crates.io, PyPI) happens here, before the
# measurements move into a network namespace of their own.
if [[ -z ${RENDER_MEASURE:-} ]]; then
    log "building benchsite (release)"
    cargo build --release --locked --quiet --manifest-path "$ROOT/benches/site/Cargo.toml" \
        --target-dir "$ROOT/benches/site/target" || die "benchsite build failed"
    if [[ -z $CRAWL ]]; then
        log "building crawl (release)"
        (cd "$ROOT" && cargo build --release --quiet) || die "cargo build failed"
        CRAWL=${CARGO_TARGET_DIR:-$ROOT/target}/release/crawl
    fi
    [[ -x $CRAWL ]] || die "no crawl binary at $CRAWL"
    CRAWL=$(cd "$(dirname "$CRAWL")" && pwd)/$(basename "$CRAWL")
    # pyppeteer in a venv of its own under target/ (not committed). It never
    # downloads a Chromium: render_pyppeteer.py always names one.
    PYNOTE=""
    if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import pyppeteer' 2>/dev/null; then
        log "installing pyppeteer $PYPPETEER_VERSION into $VENV"
        if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install --quiet "pyppeteer==$PYPPETEER_VERSION"; } \
            >"$ROOT/target/pyppeteer-install.log" 2>&1; then
            PYNOTE="pyppeteer did not install: $(grep -m1 -iE 'error' "$ROOT/target/pyppeteer-install.log" || tail -n1 "$ROOT/target/pyppeteer-install.log")"
            log "note: $PYNOTE"
        fi
    fi
    export RENDER_MEASURE=1 RENDER_CRAWL=$CRAWL RENDER_PYNOTE=$PYNOTE RENDER_NETNS_NOTE="no (--no-netns)"
    # Loopback only, by construction: a fresh network namespace has nothing but
    # its own lo, so neither the site's links to other hosts nor Chromium's own
    # background requests can leave the machine.
    if ((NETNS)); then
        for flags in -n -rn; do
            if unshare "$flags" ip link set lo up 2>/dev/null; then
                export RENDER_NETNS_NOTE="yes (unshare $flags: own network namespace, loopback only)"
                # shellcheck disable=SC2016 # expanded by the inner bash
                exec unshare "$flags" bash -c 'ip link set lo up && exec bash "$0" "$@"' \
                    "${BASH_SOURCE[0]}" "${ORIGINAL_ARGS[@]}"
            fi
        done
        RENDER_NETNS_NOTE="no (unshare not permitted here)"
    fi
fi
CRAWL=${RENDER_CRAWL:?}
PYNOTE=${RENDER_PYNOTE:-}
BENCHSITE=$ROOT/benches/site/target/release/benchsite

# ----------------------------------------------------------- measuring ---
TMP=$(mktemp -d "${TMPDIR:-/tmp}/render-bench.XXXXXX")
SITE_PID=""
MEASURE_PID=""  # measure.py, running a command: on SIGTERM it ends that command's process group
cleanup() {
    for p in $MEASURE_PID $SITE_PID; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$BENCHSITE" --pages "$PAGES" --port 0 --urls "$TMP/all-urls.txt" >"$TMP/site.out" 2>"$TMP/site.err" &
SITE_PID=$!
until grep -q '^listening on ' "$TMP/site.out" 2>/dev/null; do
    kill -0 "$SITE_PID" 2>/dev/null || die "benchsite exited: $(tail -n1 "$TMP/site.err")"
    sleep 0.1
done
head -n "$PAGES" "$TMP/all-urls.txt" >"$TMP/urls.txt"
NURLS=$(wc -l <"$TMP/urls.txt")
log "benchsite on $(sed -n 's/^listening on //p' "$TMP/site.out"), $NURLS page URLs"

# measure.py CMD...: runs CMD in a session of its own (so its session id is its
# pid) and samples its memory from the start: every ~100 ms, the sum of RSS over
# CMD's pid, every process whose parent chain leads to it, and every process still
# in its session (Chromium's helpers, even those reparented or put in process
# groups of their own). Shared pages count once per process, as RSS does. The
# peak is the largest such sum, or CMD's own maximum RSS from wait4() if larger
# (a command over before the first sample). Prints "wall_s peak_KiB exit_code";
# on SIGTERM it ends CMD's process group first.
cat >"$TMP/measure.py" <<'EOF_PY'
import os, resource, signal, subprocess, sys, time
KIB = os.sysconf("SC_PAGE_SIZE") // 1024

def tree_rss(root):
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d, "rb") as f:
                s = f.read()
        except OSError:
            continue
        f = s[s.rindex(b")") + 2:].split()  # state ppid pgrp session ...; rss is f[21]
        procs[int(d)] = (int(f[1]), int(f[3]), int(f[21]))
    kids = {}
    for p, v in procs.items():
        kids.setdefault(v[0], []).append(p)
    tree, todo = set(), [root]
    while todo:
        p = todo.pop()
        if p in procs and p not in tree:
            tree.add(p)
            todo.extend(kids.get(p, ()))
    tree.update(p for p, v in procs.items() if v[1] == root)
    return sum(procs[p][2] for p in tree) * KIB

start = time.monotonic()
child = subprocess.Popen(sys.argv[1:], start_new_session=True)
def stop(*_):
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except OSError:
        pass
    sys.exit(143)
signal.signal(signal.SIGTERM, stop)
peak = 0
while True:
    pid, status, ru = os.wait4(child.pid, os.WNOHANG)
    if pid:
        break
    peak = max(peak, tree_rss(child.pid))
    time.sleep(0.1)
wall = time.monotonic() - start
try:
    os.killpg(child.pid, signal.SIGTERM)  # leftovers of the command, if any
except OSError:
    pass
peak = max(peak, ru.ru_maxrss)
print("%.3f %d %d" % (wall, peak, os.waitstatus_to_exitcode(status)))
EOF_PY

RESULTS=$TMP/results
: >"$RESULTS"

# measure LABEL KIND CMD...: run CMD under measure.py and append LABEL, wall s,
# peak KiB, links, exit code, note to RESULTS.
measure() {
    local label=$1 kind=$2 wall peak rc links note=""
    shift 2
    rm -f "$TMP/out.tsv"
    python3 "$TMP/measure.py" "$@" >"$TMP/measure.out" 2>"$TMP/cmd.err" </dev/null &
    MEASURE_PID=$!
    wait "$MEASURE_PID" || true
    MEASURE_PID=""
    read -r wall peak rc <"$TMP/measure.out" || die "measure.py failed: $(tail -n1 "$TMP/cmd.err")"
    links=$( (wc -l <"$TMP/out.tsv") 2>/dev/null || echo 0)
    if ((rc != 0)); then
        if [[ $kind == pyppeteer ]] && grep -q '^did not run: ' "$TMP/cmd.err"; then
            note=$(grep -m1 '^did not run: ' "$TMP/cmd.err" | cut -c14-)
        else
            note="exit $rc: $( (grep -m1 -i 'error' "$TMP/cmd.err" || grep -m1 . "$TMP/cmd.err") | cut -c1-200)"
        fi
    fi
    note=${note//$'\t'/ }
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$peak" "$links" "$rc" "$note" >>"$RESULTS"
    log "$(awk -v l="$label" -v w="$wall" -v p="$NURLS" -v m="$peak" -v k="$links" -v rc="$rc" \
        'BEGIN { printf "  %-14s %7.2f s, %6.1f pages/s, peak RSS %6.0f MiB, %7d links, exit %s", l, w, p / w, m / 1024, k, rc }')"
    [[ -z $note ]] || log "    $note"
}

BROWSER_ARG=()
[[ -z $BROWSER ]] || BROWSER_ARG=(--browser "$BROWSER")
PYBROWSER=${BROWSER:-/usr/bin/chromium}
LIST=$TMP/urls.txt
OUT=$TMP/out.tsv
LABELS=(static-c8 render-c1 render-c4 render-c8 pyppeteer-c1 pyppeteer-c4 pyppeteer-c8)
for ((r = 1; r <= RUNS; r++)); do
    log "run $r of $RUNS"
    measure static-c8 crawl "$CRAWL" "$LIST" -o "$OUT" --concurrency 8 --depth 0 --quiet
    for c in 1 4 8; do
        measure "render-c$c" crawl "$CRAWL" "$LIST" -o "$OUT" --render --render-concurrency "$c" \
            --concurrency "$c" --depth 0 --quiet "${BROWSER_ARG[@]}"
    done
    for c in 1 4 8; do
        if [[ -n $PYNOTE ]]; then
            printf '%s\t0\t0\t0\t3\t%s\n' "pyppeteer-c$c" "$PYNOTE" >>"$RESULTS"
            continue
        fi
        measure "pyppeteer-c$c" pyppeteer "$VENV/bin/python" "$ROOT/benches/render_pyppeteer.py" "$LIST" \
            -o "$OUT" --concurrency "$c" --browser "$PYBROWSER"
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
col() { awk -F'\t' -v l="$1" -v c="$2" '$1 == l && $5 == 0 { print $c }' "$RESULTS" | median; }
chromium_version=$("$PYBROWSER" --version 2>/dev/null | head -n1 || true)
pyppeteer_version=$("$VENV/bin/python" -c 'import pyppeteer; print(pyppeteer.__version__)' 2>/dev/null || echo none)
echo
echo "Rendering on the benchmark site: $NURLS pages listed (--depth 0), medians of $RUNS alternating runs," \
    "$(nproc) cores, ${chromium_version:-Chromium ?}, pyppeteer $pyppeteer_version," \
    "network namespace: ${RENDER_NETNS_NOTE:-no}"
echo
echo "| run | pages/s | peak RSS MiB | links found |"
echo "|---|---:|---:|---:|"
for l in "${LABELS[@]}"; do
    ok=$(awk -F'\t' -v l="$l" '$1 == l && $5 == 0' "$RESULTS" | wc -l)
    if ((ok == 0)); then
        why=$(awk -F'\t' -v l="$l" '$1 == l { print $6; exit }' "$RESULTS")
        echo "| $l | did not run: ${why:-?} | | |"
        continue
    fi
    w=$(col "$l" 2); m=$(col "$l" 3); k=$(col "$l" 4)
    awk -v l="$l" -v w="$w" -v m="$m" -v k="$k" -v p="$NURLS" -v ok="$ok" -v runs="$RUNS" 'BEGIN {
        printf "| %s%s | %.1f | %.0f | %d |\n", l, (ok < runs ? " (" ok " of " runs " runs ok)" : ""), p / w, m / 1024, k
    }'
done
