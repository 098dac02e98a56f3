# bench_pg.sh - the PostgreSQL benchmarks of BENCHMARKS.md (issue 10),
# sourced by bench.sh, whose helpers (say, die, ns, median, ratio,
# verdict, ms, tm, make_journals, time_sites, console, console_floor) and
# variables ($bin, $w, $dir, $BIG, $SITES) they use. bench_pg starts a
# private server of its own with tests/pg-server.sh, with fsync on as a
# real server has it (the tests turn it off), and pg_stop ends it.
#   P1. `sitesweep mark` per process vs `psql` doing the same insert
#   P2. eight concurrent `mark` writers vs eight concurrent psql inserters
#   P3. copy of the generated journals to PostgreSQL; sites and console
#      start at 1,000 vs BIG events; verify on both backends
#   P4. the time a mark takes to show on another console
# BENCH_PG_N: processes per side in P1. (default BENCH_N); BENCH_PG_CONC:
# marks per writer in P2. (default 25, so 200 per side); BENCH_PG_LIVE:
# marks in P4. (default 20); BENCH_PG_VERIFY=0 leaves out P3's verify
# (minutes at a million events); BENCH_PG_BACK=0 leaves out P3's copy of
# the big journal back from PostgreSQL to SQLite. BENCH_ONLY=pgsize runs
# P3 alone.

pgdir=""
pg_stop() {
    [ -n "$pgdir" ] || return 0
    sh tests/pg-server.sh stop "$pgdir" >/dev/null 2>&1
    pgdir=""
}

# pg_start: the private server; sets $pg_uri (database postgres).
pg_start() {
    [ -z "$pgdir" ] || return 0
    pgdir=$(mktemp -d /tmp/sitesweep-bench-pg.XXXXXX) || die "mktemp failed"
    pg_uri=$(PG_FSYNC=on sh tests/pg-server.sh start "$pgdir" 2>"$w/pg-server.err") ||
        { rm -rf "$pgdir"; pgdir=""; die "no private PostgreSQL server: $(cat "$w/pg-server.err")"; }
    pgv=$(psql -X -At "$pg_uri" -c "SHOW server_version" 2>/dev/null)
    say "   private PostgreSQL $pgv server (tests/pg-server.sh, Unix socket, fsync on," \
        "synchronous_commit on)"
}

# pg_newdb NAME: a new database on the private server; prints its URI.
pg_newdb() {
    sh tests/pg-server.sh newdb "$pgdir" "$1" 2>>"$w/pg-server.err" || die "cannot create database $1"
}

psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# The events-like table of the floor, in database URI $1.
pg_floor_table() {
    psql_q "$1" -c "CREATE TABLE events(id bigserial PRIMARY KEY,
        ts text NOT NULL, operator text NOT NULL, host text NOT NULL,
        site text NOT NULL, run integer NOT NULL, item text NOT NULL,
        kind text NOT NULL, note text NOT NULL, prev text NOT NULL,
        hash text NOT NULL); CREATE INDEX events_site ON events(site, id);" \
        >/dev/null || die "cannot create the floor table"
}

# The floor's insert for SITE: what a mark does at the least, one
# transaction that takes the append lock, reads the previous hash and
# appends a chained row.
pg_floor_sql() {
    printf '%s' "BEGIN; SELECT pg_advisory_xact_lock(4242);
        INSERT INTO events(ts, operator, host, site, run, item, kind, note,
            prev, hash)
        VALUES(to_char(clock_timestamp() AT TIME ZONE 'UTC',
            'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), 'bench', 'host', '$1', 1,
            '1', 'done', '', coalesce((SELECT hash FROM events ORDER BY id
            DESC LIMIT 1), ''), encode(sha256(random()::text::bytea), 'hex'));
        COMMIT;"
}

# pg_events URI: the journal's event count (its CSV journal's rows).
pg_events() { "$bin" --journal "$1" journal --format csv | tail -n +2 | grep -c '^"[0-9]' || true; }

# ---- P1. a confirmation per process on PostgreSQL vs psql
bench_pg_mark() {
    pn=${BENCH_PG_N:-$n}
    j=$(pg_newdb bench_mark) fl=$(pg_newdb bench_floor)
    "$bin" --journal "$j" import data/demo-sites.csv >/dev/null || die "import on PostgreSQL failed"
    "$bin" --journal "$j" mark K7Q 1 done >/dev/null || die "mark on PostgreSQL failed"
    pg_floor_table "$fl"
    ins=$(pg_floor_sql K7Q)
    ev0=$(pg_events "$j")
    t_ss=0 t_pq=0 kind=reopened
    for block in 1 2 3 4; do
        k=0 t0=$(ns)
        while [ $k -lt $((pn / 4)) ]; do
            "$bin" --journal "$j" mark K7Q 1 $kind >>"$w/pgmark.out" 2>&1
            if [ $kind = done ]; then kind=reopened; else kind=done; fi
            k=$((k + 1))
        done
        t1=$(ns)
        k=0
        while [ $k -lt $((pn / 4)) ]; do
            psql_q "$fl" -c "$ins" >>"$w/pgfloor.out" 2>&1
            k=$((k + 1))
        done
        t2=$(ns)
        t_ss=$((t_ss + t1 - t0)) t_pq=$((t_pq + t2 - t1))
    done
    runs=$(( (pn / 4) * 4 ))
    ev1=$(pg_events "$j")
    rows=$(psql -X -At "$fl" -c "SELECT count(*) FROM events")
    grep -q already "$w/pgmark.out" && die "a mark on PostgreSQL recorded nothing: $(grep -m1 already "$w/pgmark.out")"
    [ "$((ev1 - ev0))" -eq "$runs" ] || die "expected $runs new events on PostgreSQL, got $((ev1 - ev0)): $(grep -v '^K7Q 1 ' "$w/pgmark.out" | head -n 3)"
    [ "$rows" -eq "$runs" ] || die "expected $runs psql rows, got $rows"
    a=$((t_ss / runs)) b=$((t_pq / runs))
    r=$(ratio $a $b)
    say "P1. mark per process on PostgreSQL ($runs processes each, four alternating blocks)"
    say "   sitesweep mark K7Q 1 done|reopened  $(ms $a) ms/op"
    say "   psql: lock, read prev hash, INSERT  $(ms $b) ms/op"
    say "   ratio $r (target <= 1.5): $(verdict "$r" 1.5)"
    say ""
}

# ---- P2. eight concurrent writers
PG_WRITERS="K7Q B25 BLV SEA PDX SFO T01 ZRH"
bench_pg_conc() {
    per=${BENCH_PG_CONC:-25}
    j=$(pg_newdb bench_conc) fl=$(pg_newdb bench_conc_floor)
    "$bin" --journal "$j" import data/demo-sites.csv >/dev/null || die "import on PostgreSQL failed"
    for s in $PG_WRITERS; do
        "$bin" --journal "$j" mark $s 1 done >/dev/null || die "mark $s failed"
    done
    pg_floor_table "$fl"
    ev0=$(pg_events "$j")
    : >"$w/conc.fail"
    t_ss=0 t_pq=0
    for block in 1 2; do
        t0=$(ns)
        for s in $PG_WRITERS; do
            # Each site alternates done and reopened across both blocks:
            # its item is done before the first, and per may be odd.
            (k=0 kind=reopened
             [ $(( (block - 1) * per % 2 )) -eq 0 ] || kind=done
             while [ $k -lt "$per" ]; do
                 "$bin" --journal "$j" mark $s 1 $kind >>"$w/conc.$s.out" 2>&1 ||
                     echo "$s $k" >>"$w/conc.fail"
                 if [ $kind = done ]; then kind=reopened; else kind=done; fi
                 k=$((k + 1))
             done) &
        done
        wait
        t1=$(ns)
        for s in $PG_WRITERS; do
            (ins=$(pg_floor_sql $s) k=0
             while [ $k -lt "$per" ]; do
                 psql_q "$fl" -c "$ins" >>"$w/concfloor.out" 2>&1 || echo "psql $s $k" >>"$w/conc.fail"
                 k=$((k + 1))
             done) &
        done
        wait
        t2=$(ns)
        t_ss=$((t_ss + t1 - t0)) t_pq=$((t_pq + t2 - t1))
    done
    total=$((per * 8 * 2))
    [ -s "$w/conc.fail" ] && die "concurrent writes failed: $(head -n 3 "$w/conc.fail"; cat "$w"/conc.*.out | grep -v ' (run ' | head -n 3)"
    ev1=$(pg_events "$j")
    rows=$(psql -X -At "$fl" -c "SELECT count(*) FROM events")
    [ "$((ev1 - ev0))" -eq "$total" ] || die "expected $total new events, got $((ev1 - ev0))"
    [ "$rows" -eq "$total" ] || die "expected $total psql rows, got $rows"
    v=$("$bin" --journal "$j" verify) || die "verify after the concurrent marks failed: $v"
    a=$(awk -v n=$total -v t=$t_ss 'BEGIN {printf "%.1f", n / (t / 1e9)}')
    b=$(awk -v n=$total -v t=$t_pq 'BEGIN {printf "%.1f", n / (t / 1e9)}')
    r=$(ratio "$a" "$b")
    say "P2. eight concurrent writers on PostgreSQL ($per per writer, two alternating blocks: $total each;"
    say "   each mark process on its own site; chain verified after)"
    say "   sitesweep mark x8                   $a marks/s"
    say "   psql insert x8                      $b inserts/s"
    say "   throughput ratio $r (target >= 0.7): $(awk -v r="$r" 'BEGIN {print (r >= 0.7 ? "ok" : "MISSES")}')"
    say ""
}

# ---- P3. the big journal on PostgreSQL: copy, sites, console start, verify
bench_pg_size() {
    say "P3. $SITES sites on PostgreSQL; 1,000 events vs $BIG events"
    make_journals
    pgsmall=$(pg_newdb bench_1k) pgbig=$(pg_newdb bench_big)
    t0=$(ns)
    out=$("$bin" copy "$small" "$pgsmall" 2>&1) || die "copy to PostgreSQL failed: $out"
    t1=$(ns)
    out=$("$bin" copy "$big" "$pgbig" 2>&1) || die "copy to PostgreSQL failed: $out"
    t2=$(ns)
    cpb=$(echo "$out" | sed -n 's/^checkpoint: //p')
    say "   sitesweep copy SQLite -> PostgreSQL  1k $(ms $((t1 - t0))) ms   $BIG events $(ms $((t2 - t1))) ms" \
        "($(awk -v t=$((t2 - t1)) -v n="$BIG" 'BEGIN {printf "%.0f", n / (t / 1e9)}') events/s)"
    c=$(time_sites "$pgsmall" "$pgbig") || exit 1
    set -- $c; s1=$1 s2=$2
    r=$(ratio "$s2" "$s1")
    say "   sitesweep sites (median of 21)      1k $(ms "$s1") ms   big $(ms "$s2") ms   ratio $r (target <= 1.2): $(verdict "$r" 1.2)"
    tm new-session -d -s keep "exec sleep 3600" # keeps the tmux server up
    floor=$(console_floor 7) || exit 1
    c=$(console "$pgsmall" "$pgbig" 7) || exit 1
    set -- $c; c1=$1 g1=$2 c2=$5 g2=$6
    r=$(ratio "$c2" "$c1")
    rn=$(ratio $((c2 - floor)) $((c1 - floor)))
    say "   console start to Sites screen       1k $(ms "$c1") ms   big $(ms "$c2") ms   ratio $r (target <= 1.2): $(verdict "$r" 1.2)"
    say "     (tmux polling floor $(ms "$floor") ms; without it 1k $(ms $((c1 - floor))) ms, big $(ms $((c2 - floor))) ms, ratio $rn)"
    r=$(ratio "$g2" "$g1")
    say "   console journal screen, G (oldest)  1k $(ms "$g1") ms   big $(ms "$g2") ms   ratio $r"
    tm kill-server >/dev/null 2>&1
    if [ "${BENCH_PG_BACK:-1}" = 1 ]; then
        t0=$(ns)
        out=$("$bin" copy "$pgbig" "$w/back.db" 2>&1) || die "copy from PostgreSQL failed: $out"
        t1=$(ns)
        [ -n "$cpb" ] && echo "$out" | grep -qxF "checkpoint: $cpb" ||
            die "copy back: not the checkpoint of the copy there ($cpb): $out"
        say "   sitesweep copy PostgreSQL -> SQLite  $BIG events $(ms $((t1 - t0))) ms" \
            "($(awk -v t=$((t1 - t0)) -v n="$BIG" 'BEGIN {printf "%.0f", n / (t / 1e9)}') events/s;" \
            "it verifies the source on the server first and the new file before it commits)"
        rm -f "$w/back.db"
    fi
    if [ "${BENCH_PG_VERIFY:-1}" = 0 ]; then
        say "   (verify left out: BENCH_PG_VERIFY=0)"
        say ""
        return
    fi
    t0=$(ns)
    v1=$("$bin" --journal "$pgbig" verify) || die "verify on PostgreSQL failed: $v1"
    t1=$(ns)
    v2=$("$bin" --journal "$big" verify) || die "verify on SQLite failed: $v2"
    t2=$(ns)
    [ "$(echo "$v1" | grep checkpoint)" = "$(echo "$v2" | grep checkpoint)" ] ||
        die "the checkpoints differ: $v1 / $v2"
    r=$(ratio $((t1 - t0)) $((t2 - t1)))
    say "   sitesweep verify, $BIG events        PostgreSQL $(ms $((t1 - t0))) ms   SQLite $(ms $((t2 - t1))) ms   ratio $r (same checkpoint)"
    say ""
}

# ---- P4. a mark seen by another console
bench_pg_live() {
    nl=${BENCH_PG_LIVE:-20}
    j=$(pg_newdb bench_live)
    "$bin" --journal "$j" import data/demo-sites.csv >/dev/null || die "import on PostgreSQL failed"
    "$bin" --journal "$j" mark K7Q 2 done >/dev/null || die "mark failed"
    tm new-session -d -s b -x 120 -y 40 "exec '$bin' --journal '$j' 2>'$w/c.err'"
    wait_screen "Last activity"
    wait_screen "K7Q "
    row() { tm capture-pane -p -t b 2>/dev/null | grep -m 1 'K7Q '; }
    : >"$w/live"; : >"$w/live.mark"
    k=0 kind=done
    while [ $k -lt "$nl" ]; do
        before=$(row)
        t0=$(ns)
        "$bin" --journal "$j" mark K7Q 1 $kind >/dev/null 2>>"$w/live.err" || die "mark failed: $(cat "$w/live.err")"
        t1=$(ns)
        limit=$((t1 + 10000000000))
        while [ "$(row)" = "$before" ]; do
            [ "$(ns)" -lt $limit ] || die "the console did not show mark $k in 10 s"
        done
        t2=$(ns)
        echo $((t2 - t1)) >>"$w/live"
        echo $((t1 - t0)) >>"$w/live.mark"
        if [ $kind = done ]; then kind=reopened; else kind=done; fi
        k=$((k + 1))
    done
    # The polling grain: one capture-pane of the row.
    : >"$w/live.grain"
    k=0
    while [ $k -lt 20 ]; do
        t0=$(ns); row >/dev/null; t1=$(ns)
        echo $((t1 - t0)) >>"$w/live.grain"
        k=$((k + 1))
    done
    tm kill-server >/dev/null 2>&1
    md=$(median <"$w/live") worst=$(sort -n "$w/live" | tail -n 1)
    say "P4. a mark on another console, PostgreSQL (LISTEN/NOTIFY; $nl marks, the Sites screen's K7Q row)"
    say "   from the mark's exit to the row changed  median $(ms "$md") ms   worst $(ms "$worst") ms" \
        "(target: within 1 s): $(verdict "$worst" 1000000000)"
    say "   (the mark process itself took $(ms "$(median <"$w/live.mark")") ms, one poll of the screen" \
        "$(ms "$(median <"$w/live.grain")") ms, medians)"
    say ""
}

bench_pg() {
    say "PostgreSQL (issue 10)"
    pg_start
    say ""
    if [ "${BENCH_ONLY:-}" != pgsize ]; then
        bench_pg_mark
        bench_pg_conc
        bench_pg_live
    fi
    bench_pg_size
    pg_stop
}
