#!/bin/sh
# bench.sh BIN DIR - the benchmarks of BENCHMARKS.md, run by `make bench`.
# BIN is the release sitesweep, DIR holds gen_journal and bench_page and
# receives the work files (work/, removed at the end; results.txt kept).
# Each figure is measured side by side with its reference in this one run
# and printed as a ratio with its target:
#   1. `sitesweep mark` per process vs `sqlite3` doing a durable insert
#   2. sites, console start, journal pages: 1,000 vs 1,000,000 events
#   3. importing a generated inventory vs `sqlite3 .import` of the file
#   4. the run list (`sitesweep runs`, the console's Cleanups screen and
#      its filter): 99 runs in 1,000 events vs BENCH_HISTORY past runs
#      (default 10,000) more in the 1,000,000-event journal
#   P1.-P4. on PostgreSQL (tests/bench/bench_pg.sh, a private server of
#      its own): mark vs psql, eight concurrent writers, copy, sites,
#      console start and verify at 1,000 vs BENCH_EVENTS events, and the
#      time a mark takes to show on another console
#   5. PostgreSQL journal filter (bench_pg_filter): journal_events_page
#      with text filters on PostgreSQL at 1,000 vs BENCH_PG_EVENTS
#      (default 100000) events, on a private server of its own
# BENCH_N: processes per side in benchmark 1 (default 200).
# BENCH_EVENTS: events of the big journal (default 1000000).
# BENCH_ONLY=runs: only benchmark 4 (and the journals it needs);
# BENCH_ONLY=pg: only the PostgreSQL ones (P1.-P4.); pgsize: only P3.
# BENCH_ONLY=pgfilter: only benchmark 5.
# BENCH_KEEP=1 keeps work/; BENCH_REUSE=1 then measures on its journals
# again instead of generating them (and says so).
set -u
cd "$(dirname "$0")/../.." || exit 2
bin=$1 dir=$2
n=${BENCH_N:-200}
w=$dir/work
res=$dir/results.txt
[ -n "${BENCH_REUSE:-}" ] && [ -s "$w/1m.db" ] || rm -rf "$w"
mkdir -p "$w/home"
export HOME="$w/home" TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8
unset SITESWEEP_JOURNAL SITESWEEP_PROCEDURE NO_COLOR TMUX
export SITESWEEP_OPERATOR=bench
sock="ssbench$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
. tests/bench/bench_pg.sh
trap 'tm kill-server >/dev/null 2>&1; pg_stop; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$w"' EXIT
trap 'exit 1' INT TERM HUP
: >"$res"

say() { printf '%s\n' "$*" | tee -a "$res"; }
die() { echo "bench: $*" >&2; exit 1; }
ns() { date +%s%N; }
# Median of the numbers on stdin.
median() { sort -n | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : 0}'; }
# ratio A B -> A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
# verdict RATIO TARGET -> "ok" or "MISSES".
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print r <= t ? "ok" : "MISSES"}'; }
ms() { awk -v x="$1" 'BEGIN {printf "%.2f", x / 1e6}'; }

proc=data/q287717.procedure
# A private copy of the binary: a rebuild during the run must not change or
# break what is measured. It finds no data/ beside it, so name the procedure.
cp "$bin" "$w/sitesweep" || die "cannot copy $bin"
bin=$w/sitesweep
export SITESWEEP_PROCEDURE="$PWD/$proc"
sqlite() { sqlite3 -batch -init /dev/null "$@"; }

say "sitesweep benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
say "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM;" \
    "$(sqlite3 --version | cut -d' ' -f1-2 | sed 's/^/sqlite3 /')"
say ""

# ---- 1. a confirmation per process vs a bare durable insert per process
bench_mark() {
    j=$w/mark.db sq=$w/floor.db
    "$bin" --journal "$j" import data/demo-sites.csv >/dev/null || die "import failed"
    "$bin" --journal "$j" mark K7Q 1 done >/dev/null || die "mark failed"
    sqlite "$sq" "PRAGMA journal_mode=WAL; CREATE TABLE events(
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, operator TEXT NOT NULL,
        host TEXT NOT NULL, site TEXT NOT NULL, run INTEGER NOT NULL,
        item TEXT NOT NULL, kind TEXT NOT NULL, note TEXT NOT NULL,
        prev TEXT NOT NULL, hash TEXT NOT NULL);
        CREATE INDEX events_site ON events(site, id);" >/dev/null
    insert="PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
        INSERT INTO events(ts, operator, host, site, run, item, kind, note,
            prev, hash)
        VALUES(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'bench', 'host', 'K7Q',
            1, '1', 'done', '', coalesce((SELECT hash FROM events
            ORDER BY id DESC LIMIT 1), ''), lower(hex(randomblob(32))));"
    ev0=$("$bin" --journal "$j" verify | sed -n 's/.*: \([0-9]*\) events.*/\1/p')
    t_ss=0 t_sq=0 i=0 kind=reopened
    # Four alternating blocks, so drift in the machine hits both sides.
    for block in 1 2 3 4; do
        k=0 t0=$(ns)
        while [ $k -lt $((n / 4)) ]; do
            "$bin" --journal "$j" mark K7Q 1 $kind >>"$w/mark.out" 2>&1
            if [ $kind = done ]; then kind=reopened; else kind=done; fi
            k=$((k + 1))
        done
        t1=$(ns)
        k=0
        while [ $k -lt $((n / 4)) ]; do
            sqlite "$sq" "$insert" >>"$w/floor.out" 2>&1
            k=$((k + 1))
        done
        t2=$(ns)
        t_ss=$((t_ss + t1 - t0)) t_sq=$((t_sq + t2 - t1))
    done
    runs=$(( (n / 4) * 4 ))
    ev1=$("$bin" --journal "$j" verify | sed -n 's/.*: \([0-9]*\) events.*/\1/p')
    rows=$(sqlite "$sq" "SELECT count(*) FROM events")
    grep -q already "$w/mark.out" && die "a mark recorded nothing (already): $(grep -m1 already "$w/mark.out")"
    [ "$((ev1 - ev0))" -eq "$runs" ] || die "expected $runs new events, got $((ev1 - ev0)): $(grep -v '^K7Q 1 ' "$w/mark.out" | head -n 3)"
    [ "$rows" -eq "$runs" ] || die "expected $runs sqlite3 rows, got $rows"
    a=$((t_ss / runs)) b=$((t_sq / runs))
    r=$(ratio $a $b)
    say "1. mark per process ($runs processes each, WAL + synchronous=FULL, verify intact)"
    say "   sitesweep mark K7Q 1 done|reopened  $(ms $a) ms/op"
    say "   sqlite3 CLI durable INSERT          $(ms $b) ms/op"
    say "   ratio $r (target <= 1.5): $(verdict "$r" 1.5)"
    say ""
}

# ---- 2. sites, console start, journal pages at 1k and 1M events
SITES=100
BIG=${BENCH_EVENTS:-1000000}
HISTORY=${BENCH_HISTORY:-10000}
gen() { # gen OUT EVENTS [HISTORY]
    out=$("$dir/gen_journal" journal "$1" $SITES "$2" "$proc" ${3:-0}) || die "gen_journal failed"
    say "   $out"
    v=$("$bin" --journal "$1" verify) || die "verify failed on $1: $v"
    say "   sitesweep verify: $(echo "$v" | head -n 1)"
}

# time_sites SMALL BIG: `sitesweep sites` on each, alternately, 21 times;
# prints the two medians (ns).
time_sites() {
    : >"$w/s.1"; : >"$w/s.2"
    k=0
    while [ $k -lt 21 ]; do
        for f in 1 2; do
            if [ $f = 1 ]; then jf=$1; else jf=$2; fi
            t0=$(ns)
            "$bin" --journal "$jf" sites >/dev/null || die "sites failed on $jf"
            t1=$(ns)
            echo $((t1 - t0)) >>"$w/s.$f"
        done
        k=$((k + 1))
    done
    echo "$(median <"$w/s.1") $(median <"$w/s.2")"
}

wait_screen() { # wait_screen TEXT: poll the pane until it shows TEXT
    limit=$(( $(ns) + 20000000000 ))
    until tm capture-pane -p -t b 2>/dev/null | grep -q -- "$1"; do
        [ "$(ns)" -lt $limit ] || die "the console never showed \"$1\" in 20 s: $(cat "$w/c.err" 2>/dev/null)"
    done
}

# console_once JOURNAL TAG: starts the console, times start->Sites screen
# and G on the journal screen (jump to the oldest page), appends them to
# c.start.TAG and c.g.TAG, and the VmHWM (kB) after each to c.hwm1/2.TAG.
console_once() {
    t0=$(ns)
    tm new-session -d -s b -x 120 -y 40 "exec '$bin' --journal '$1' 2>'$w/c.err'"
    wait_screen "Last activity"
    wait_screen "AAA "
    t1=$(ns)
    pid=$(tm display -p -t b '#{pane_pid}')
    awk '/VmHWM/ {print $2}' "/proc/$pid/status" >>"$w/c.hwm1.$2"
    tm send-keys -t b Tab # Sites -> Cleanups -> Journal
    wait_screen "d/s/f/na/open"
    tm send-keys -t b Tab
    wait_screen "Time (UTC)"
    t2=$(ns)
    tm send-keys -t b G
    wait_screen "site-added"
    t3=$(ns)
    awk '/VmHWM/ {print $2}' "/proc/$pid/status" >>"$w/c.hwm2.$2"
    tm send-keys -t b q q
    k2=0
    while tm has-session -t b 2>/dev/null; do
        k2=$((k2 + 1)); [ $k2 -lt 2000 ] || die "the console did not quit"
    done
    echo $((t1 - t0)) >>"$w/c.start.$2"
    echo $((t3 - t2)) >>"$w/c.g.$2"
}

# console SMALL BIG REPS: alternately; prints per size the medians of start
# and G (ns) and the highest VmHWM after each (kB): 8 numbers.
console() {
    rm -f "$w"/c.start.* "$w"/c.g.* "$w"/c.hwm*
    k=0
    while [ $k -lt "$3" ]; do
        console_once "$1" 1
        console_once "$2" 2
        k=$((k + 1))
    done
    for f in 1 2; do
        printf '%s %s %s %s ' "$(median <"$w/c.start.$f")" \
            "$(median <"$w/c.g.$f")" "$(sort -n "$w/c.hwm1.$f" | tail -n 1)" \
            "$(sort -n "$w/c.hwm2.$f" | tail -n 1)"
    done
    echo
}

# The tmux overhead alone: a pane that prints the header at once.
console_floor() {
    : >"$w/c.floor"
    k=0
    while [ $k -lt "$1" ]; do
        t0=$(ns)
        tm new-session -d -s b -x 120 -y 40 "printf 'Last activity\nAAA  x\n'; exec sleep 30"
        wait_screen "Last activity"
        wait_screen "AAA "
        t1=$(ns)
        tm kill-session -t b
        echo $((t1 - t0)) >>"$w/c.floor"
        k=$((k + 1))
    done
    median <"$w/c.floor"
}

make_journals() {
    small=$w/1k.db big=$w/1m.db
    [ -z "${made:-}" ] || return 0
    made=1
    if [ -s "$big" ]; then
        say "   (the journals of an earlier BENCH_KEEP run: $("$bin" --journal "$big" verify | head -n 1))"
        return
    fi
    say "   journals for 2. and 4. ($SITES sites, a central one and $((SITES - 1)) with an open run;"
    say "   the big one also $HISTORY past runs, each started, one item done, abandoned):"
    gen "$small" 1000
    gen "$big" "$BIG" "$HISTORY"
}

bench_size() {
    say "2. $SITES sites; 1,000 events vs $BIG events (generated in one process)"
    make_journals
    c=$(time_sites "$small" "$big") || exit 1
    set -- $c; s1=$1 s2=$2
    r=$(ratio "$s2" "$s1")
    say "   sitesweep sites (median of 21)      1k $(ms "$s1") ms   1M $(ms "$s2") ms   ratio $r (target <= 1.2): $(verdict "$r" 1.2)"
    tm new-session -d -s keep "exec sleep 600" # keeps the tmux server up
    floor=$(console_floor 7) || exit 1
    c=$(console "$small" "$big" 7) || exit 1
    set -- $c; c1=$1 g1=$2 m1=$3 n1=$4 c2=$5 g2=$6 m2=$7 n2=$8
    r=$(ratio "$c2" "$c1")
    rn=$(ratio $((c2 - floor)) $((c1 - floor)))
    say "   console start to Sites screen       1k $(ms "$c1") ms   1M $(ms "$c2") ms   ratio $r (target <= 1.2): $(verdict "$r" 1.2)"
    say "     (tmux polling floor $(ms "$floor") ms; without it 1k $(ms $((c1 - floor))) ms, 1M $(ms $((c2 - floor))) ms, ratio $rn)"
    r=$(ratio "$g2" "$g1")
    say "   console journal screen, G (oldest)  1k $(ms "$g1") ms   1M $(ms "$g2") ms   ratio $r (target <= 1.2): $(verdict "$r" 1.2)"
    r=$(ratio "$m2" "$m1")
    say "   console peak RSS (VmHWM), Sites     1k ${m1} kB   1M ${m2} kB   ratio $r"
    r=$(ratio "$n2" "$n1")
    say "   console peak RSS after journal G    1k ${n1} kB   1M ${n2} kB   ratio $r"
    # Three alternating passes; per figure the lowest median is kept, so
    # a passing disturbance of the machine does not make a ratio.
    : >"$w/p1"; : >"$w/p2"
    for pass in 1 2 3; do
        "$dir/bench_page" "$small" >>"$w/p1" || die "bench_page failed"
        "$dir/bench_page" "$big" >>"$w/p2" || die "bench_page failed"
    done
    for what in top depth all common rare short1 short2 sparse; do
        a=$(awk -v k=$what '$1 == k {print $2}' "$w/p1" | sort -n | head -n 1)
        b=$(awk -v k=$what '$1 == k {print $2}' "$w/p2" | sort -n | head -n 1)
        na=$(awk -v k=$what '$1 == k {print $3; exit}' "$w/p1")
        nb=$(awk -v k=$what '$1 == k {print $3; exit}' "$w/p2")
        r=$(ratio "$b" "$a")
        case $what in
        top) label="page of 50, newest          ";;
        depth) label="page of 50, 90% down        ";;
        all) label="90% down, filter \"bench\"    ";;
        common) label="newest, filter \"reopened\"   ";;
        rare) label="filter \"needle-xyzzy\" (1 hit)";;
        short1) label="filter \"§\" (1 hit)          ";;
        short2) label="filter \"zz\" (1 hit)         ";;
        sparse) label="filter \"th\" (1 in 1000)     ";;
        esac
        case $what in
        short*|sparse) # too short for the trigram index: an absolute target
            say "   journal_events_page $label 1k ${a} us ($na)   1M ${b} us ($nb)   (target 1M < 50 ms): $(verdict "$b" 50000)";;
        *)
            say "   journal_events_page $label 1k ${a} us ($na)   1M ${b} us ($nb)   ratio $r (target <= 1.2): $(verdict "$r" 1.2)";;
        esac
    done
    tm kill-server >/dev/null 2>&1
    say ""
}

# ---- 3. import of a large inventory vs sqlite3 .import
NIMPORT=46000
bench_import() {
    csv=$w/sites.csv
    "$dir/gen_journal" csv "$csv" $NIMPORT >/dev/null || die "gen_journal csv failed"
    : >"$w/i.ss"; : >"$w/i.sq"
    k=0
    while [ $k -lt 3 ]; do
        rm -f "$w"/imp.db* "$w"/sq.db*
        sqlite "$w/sq.db" "PRAGMA journal_mode=WAL; CREATE TABLE sites(
            code TEXT PRIMARY KEY, name TEXT NOT NULL, parent TEXT NOT NULL,
            server TEXT NOT NULL, drive TEXT NOT NULL, state TEXT NOT NULL,
            logon TEXT NOT NULL, servers TEXT NOT NULL, pdc TEXT NOT NULL);" >/dev/null
        t0=$(ns)
        out=$("$bin" --journal "$w/imp.db" import "$csv") || die "import failed: $out"
        t1=$(ns)
        sqlite "$w/sq.db" "PRAGMA synchronous=FULL;" ".import --csv --skip 1 $csv sites" ||
            die "sqlite3 .import failed"
        t2=$(ns)
        echo $((t1 - t0)) >>"$w/i.ss"
        echo $((t2 - t1)) >>"$w/i.sq"
        k=$((k + 1))
    done
    rows=$(sqlite "$w/sq.db" "SELECT count(*) FROM sites")
    [ "$rows" -eq $NIMPORT ] || die "sqlite3 imported $rows rows, not $NIMPORT"
    case $out in *"$NIMPORT added"*) ;; *) die "unexpected import output: $out";; esac
    a=$(median <"$w/i.ss") b=$(median <"$w/i.sq")
    say "3. import of a $NIMPORT-site CSV (median of 3; not 100,000: site codes are"
    say "   three letters/digits, so at most 46,652 distinct codes exist)"
    say "   sitesweep import                    $(ms "$a") ms ($(awk -v a="$a" -v n=$NIMPORT 'BEGIN {printf "%.1f", a / n / 1e3}') us/site)"
    say "   sqlite3 .import --csv               $(ms "$b") ms"
    say "   ratio $(ratio "$a" "$b") (no target set; reported)"
    say ""
}

# ---- 4. the run list: `sitesweep runs` and the Cleanups screen
# time_cmd REPS ARGS...: median ns of `sitesweep ARGS` (output dropped).
time_cmd() {
    reps=$1; shift
    : >"$w/t.cmd"
    k=0
    while [ $k -lt "$reps" ]; do
        t0=$(ns)
        "$bin" "$@" >/dev/null || die "sitesweep $* failed"
        t1=$(ns)
        echo $((t1 - t0)) >>"$w/t.cmd"
        k=$((k + 1))
    done
    median <"$w/t.cmd"
}

# cleanups_once JOURNAL TAG FILTER ROW: the console on JOURNAL; times Tab
# from Sites to the Cleanups screen (header and a row shown), then typing
# FILTER after / until ROW is on screen; appends to cl.tab.TAG, cl.f.TAG.
cleanups_once() {
    tm new-session -d -s b -x 160 -y 40 "exec '$bin' --journal '$1' 2>'$w/c.err'"
    wait_screen "Last activity"
    t0=$(ns)
    tm send-keys -t b Tab
    wait_screen "d/s/f/na/open"
    wait_screen " open "
    t1=$(ns)
    tm send-keys -t b /
    wait_screen "/"
    t2=$(ns)
    tm send-keys -t b -l "$3"
    wait_screen "$4"
    t3=$(ns)
    tm send-keys -t b Escape q q
    k2=0
    while tm has-session -t b 2>/dev/null; do
        k2=$((k2 + 1)); [ $k2 -lt 2000 ] || die "the console did not quit"
    done
    echo $((t1 - t0)) >>"$w/cl.tab.$2"
    echo $((t3 - t2)) >>"$w/cl.f.$2"
}

bench_runs() {
    say "4. the run list: 1,000 events and $((SITES - 1)) runs vs $BIG events and $((SITES - 1 + HISTORY)) runs"
    make_journals
    n1=$("$bin" --journal "$small" runs --format csv | tail -n +2 | wc -l)
    n2=$("$bin" --journal "$big" runs --format csv | tail -n +2 | wc -l)
    a=$(time_cmd 7 --journal "$small" runs) b=$(time_cmd 7 --journal "$big" runs)
    say "   sitesweep runs (table, median of 7)   $n1 runs $(ms "$a") ms   $n2 runs $(ms "$b") ms" \
        "($(awk -v t="$b" -v n="$n2" 'BEGIN {printf "%.1f", t / n / 1e3}') us/run; target 1M < 1 s): $(verdict "$b" 1000000000)"
    a=$(time_cmd 7 --journal "$small" runs --format json) b=$(time_cmd 7 --journal "$big" runs --format json)
    say "   sitesweep runs --format json          $n1 runs $(ms "$a") ms   $n2 runs $(ms "$b") ms"
    a=$(time_cmd 7 --journal "$small" runs --site AAB) b=$(time_cmd 7 --journal "$big" runs --site AAB)
    nb=$("$bin" --journal "$big" runs --site AAB --format csv | tail -n +2 | wc -l)
    say "   sitesweep runs --site AAB             1 run $(ms "$a") ms   $nb runs $(ms "$b") ms"
    tm new-session -d -s keep "exec sleep 600" # keeps the tmux server up
    rm -f "$w"/cl.*
    mid=$((HISTORY / (2 * (SITES - 1)) + 1)) # a run of AAC half way down
    k=0
    while [ $k -lt 5 ]; do
        cleanups_once "$small" 1 "AAC #1" "AAC #1 "
        cleanups_once "$big" 2 "AAC #$mid" "AAC #$mid "
        k=$((k + 1))
    done
    a=$(median <"$w/cl.tab.1") b=$(median <"$w/cl.tab.2")
    say "   console Tab to Cleanups (median of 5)  $n1 runs $(ms "$a") ms   $n2 runs $(ms "$b") ms (tmux polling included)"
    a=$(median <"$w/cl.f.1") b=$(median <"$w/cl.f.2")
    say "   console Cleanups filter to one run     $n1 runs $(ms "$a") ms   $n2 runs $(ms "$b") ms (typing \"AAC #$mid\" to its row, tmux polling included)"
    tm kill-server >/dev/null 2>&1
    say ""
}

# ---- 5. the Journal filter on PostgreSQL (events_grams, schema 2)
# Journals generated as SQLite files, copied to a private server (copy
# derives the filter index), then bench_page's pages alternately on the
# small and the big one, three passes, lowest median kept per figure.
PG_BIG=${BENCH_PG_EVENTS:-100000}
bench_pg_filter() {
    say "5. PostgreSQL journal filter: 1,000 vs $PG_BIG events (journal_events_page, a private server, Unix socket)"
    pgdir=$w/pgf
    # the server goes with the run, however it ends
    trap 'sh tests/pg-server.sh stop "$pgdir" >/dev/null 2>&1; tm kill-server >/dev/null 2>&1; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$w"' EXIT
    uri=$(sh tests/pg-server.sh start "$pgdir") || die "cannot start a PostgreSQL server"
    for spec in "1k 1000" "big $PG_BIG"; do
        set -- $spec
        "$dir/gen_journal" journal "$w/pgf-$1.db" $SITES "$2" "$proc" 0 >/dev/null || die "gen_journal failed"
        t0=$(ns)
        SITESWEEP_PG_SCHEMA="bf_$1" "$bin" copy "$w/pgf-$1.db" "$uri" >/dev/null || die "copy to PostgreSQL failed"
        say "   copy of $2 events into PostgreSQL (with its filter index): $(ms $(( $(ns) - t0 ))) ms"
    done
    : >"$w/q1"; : >"$w/q2"
    for pass in 1 2 3; do
        SITESWEEP_PG_SCHEMA=bf_1k "$dir/bench_page" "$uri" 21 >>"$w/q1" || die "bench_page failed"
        SITESWEEP_PG_SCHEMA=bf_big "$dir/bench_page" "$uri" 21 >>"$w/q2" || die "bench_page failed"
    done
    for what in top all common rare short1 short2 sparse; do
        a=$(awk -v k=$what '$1 == k {print $2}' "$w/q1" | sort -n | head -n 1)
        b=$(awk -v k=$what '$1 == k {print $2}' "$w/q2" | sort -n | head -n 1)
        na=$(awk -v k=$what '$1 == k {print $3; exit}' "$w/q1")
        nb=$(awk -v k=$what '$1 == k {print $3; exit}' "$w/q2")
        say "   PostgreSQL $what: 1k ${a} us ($na)   $PG_BIG ${b} us ($nb)   ratio $(ratio "$b" "$a") (target big < 50 ms): $(verdict "$b" 50000)"
    done
    sh tests/pg-server.sh stop "$pgdir" >/dev/null 2>&1
    say ""
}

start=$(ns)
if [ "${BENCH_ONLY:-}" = pgfilter ]; then
    bench_pg_filter
    exit 0
fi
if [ "${BENCH_ONLY:-}" = runs ]; then
    bench_runs
    say "total bench time $(awk -v x=$(( $(ns) - start )) 'BEGIN {printf "%.0f", x / 1e9}') s; figures kept in $res"
    exit 0
fi
if [ "${BENCH_ONLY:-}" = pg ] || [ "${BENCH_ONLY:-}" = pgsize ]; then
    bench_pg
    say "total bench time $(awk -v x=$(( $(ns) - start )) 'BEGIN {printf "%.0f", x / 1e9}') s; figures kept in $res"
    exit 0
fi
bench_mark
bench_size
bench_runs
bench_import
bench_pg
bench_pg_filter
say "total bench time $(awk -v x=$(( $(ns) - start )) 'BEGIN {printf "%.0f", x / 1e9}') s; figures kept in $res"
