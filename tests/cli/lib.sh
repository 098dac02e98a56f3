# lib.sh - helpers for the command-line tests: each test gets a private
# directory and journal; every helper fails the test with what it saw.
set -u
: "${SITESWEEP_BIN:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/sitesweep-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
J="$T/journal.db"
# TEST_BACKEND=pg (tests/run-tests.sh, for tests marked "# backends:
# sqlite pg"): the journal is a schema of its own on the private
# PostgreSQL server of the run, dropped at the end.
if [ "${TEST_BACKEND:-sqlite}" = pg ]; then
    : "${SITESWEEP_TEST_PG:?TEST_BACKEND=pg needs SITESWEEP_TEST_PG}"
    SITESWEEP_PG_SCHEMA="t_$(basename "$0" | tr -c 'a-z0-9\n' _)_$$"
    export SITESWEEP_PG_SCHEMA
    J="$SITESWEEP_TEST_PG"
    trap 'psql -X -q "$SITESWEEP_TEST_PG" -c "DROP SCHEMA IF EXISTS $SITESWEEP_PG_SCHEMA CASCADE" >/dev/null 2>&1; rm -rf "$T"' EXIT
fi
DEMO="$PWD/data/demo-sites.csv"
export SITESWEEP_OPERATOR=tester
unset SITESWEEP_JOURNAL SITESWEEP_PROCEDURE

fail() { echo "FAIL: $*" >&2; exit 1; }

# ss ARGS...: runs sitesweep on the test journal; stdout in $T/out,
# stderr in $T/err, exit code in $rc.
ss() {
    "$SITESWEEP_BIN" --journal "$J" "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/err"; then
        cat "$T/err" >&2; fail "sanitizer report from: sitesweep $*"
    fi
    return 0
}

expect_rc() {
    [ "$rc" -eq "$1" ] || { cat "$T/out" "$T/err" >&2; fail "exit $rc, expected $1 (${2:-})"; }
}
out_has() { grep -q -F -- "$1" "$T/out" || { cat "$T/out" >&2; fail "stdout lacks: $1"; }; }
out_lacks() { ! grep -q -F -- "$1" "$T/out" || fail "stdout has: $1"; }
err_has() { grep -q -F -- "$1" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks: $1"; }; }

# Number of events in the journal, read through the program itself.
event_count() {
    "$SITESWEEP_BIN" --journal "$J" journal --format csv </dev/null | sed 1d | grep -c '^"[0-9]' || true
}

# SQL straight on the journal file, behind the program's back.
raw_sql() {
    [ "${TEST_BACKEND:-sqlite}" = sqlite ] || fail "raw_sql needs a SQLite journal"
    sqlite3 "$J" "$@"
}

# rebuild_indexes: both filter indexes made again from the events as they
# are now, as a forger who read the source would after changing events
# (verify derives them again: left stale, they give the change away). The
# texts here are ASCII: the shell's lower() folds them as sitesweep's.
rebuild_indexes() {
    sqlite3 "$J" "INSERT INTO events_text(events_text) VALUES('delete-all');
        INSERT INTO events_text(rowid, text) SELECT id, lower(ts || ' ' ||
          operator || ' ' || host || ' ' || site || ' ' || item || ' ' ||
          kind || ' ' || note) FROM events;
        DELETE FROM events_grams;
        INSERT OR IGNORE INTO events_grams(gram, block) SELECT substr(x, i,
          2), b FROM (SELECT lower(ts || ' ' || operator || ' ' || host ||
          ' ' || site || ' ' || item || ' ' || kind || ' ' || note) ||
          char(1) AS x, id >> 6 AS b FROM events) AS t CROSS JOIN gram_pos
          WHERE i < length(x)"
}

# legacy_note SITE KIND NOTE: appends an event carrying NOTE straight into
# the journal, as a journal written before notes were checked (or another
# tool) may hold; its hash is not chained, so only output tests use it.
legacy_note() {
    printf '%s' "$3" >"$T/legacy-note"
    sqlite3 "$J" "INSERT INTO events(ts, operator, host, site, run, item, kind, note, prev, hash)
        VALUES('2026-01-01T00:00:00.000Z', 'legacy', 'h', '$1', 1, '1', '$2',
               CAST(readfile('$T/legacy-note') AS TEXT), '', '')"
}
# jget FILE PATH: a value of the JSON document in FILE (sqlite3's JSON).
jget() { sqlite3 :memory: "SELECT json_extract(readfile('$1'), '$2')"; }
