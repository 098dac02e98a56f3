#!/bin/sh
# Runs every test and prints one summary line "N passed, N failed".
# Arguments: the cmocka unit-test binaries. Also runs tests/cli/*-test and
# tests/e2e/*-test (shell scripts that drive $SITESWEEP_BIN).
# TESTS_FILTER=substring runs only the tests whose name contains it.
set -u
cd "$(dirname "$0")/.." || exit 2
: "${SITESWEEP_BIN:?SITESWEEP_BIN must name the binary under test}"
export SITESWEEP_BIN
export TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8
unset SITESWEEP_JOURNAL SITESWEEP_OPERATOR SITESWEEP_PROCEDURE SITESWEEP_NOW NO_COLOR \
      SITESWEEP_HOST SITESWEEP_PG_SCHEMA
out=${BUILD:-build}/test-logs
rm -rf "$out"; mkdir -p "$out"
passed=0 failed=0 failures=""

# A private PostgreSQL server (tests/pg-server.sh) for the tests that use
# one: $SITESWEEP_TEST_PG is its URI. Without the server programs the
# PostgreSQL tests are skipped, except under CI, where that fails the run.
pgdir=""
stop_pg() { [ -z "$pgdir" ] || sh tests/pg-server.sh stop "$pgdir"; pgdir=""; }
trap stop_pg EXIT
trap 'stop_pg; exit 130' INT
trap 'stop_pg; exit 143' TERM
if [ -z "${SITESWEEP_TEST_PG:-}" ]; then
    pgdir=$(mktemp -d /tmp/sitesweep-pg.XXXXXX)
    if SITESWEEP_TEST_PG=$(sh tests/pg-server.sh start "$pgdir" 2>"$out/pg-server.log"); then
        export SITESWEEP_TEST_PG
    else
        rm -rf "$pgdir"; pgdir=""
        echo "  no private PostgreSQL server (see $out/pg-server.log): its tests are skipped"
        if [ "${CI:-}" = true ]; then echo "CI needs PostgreSQL"; exit 1; fi
    fi
fi

run_one() {
    name=$1; shift
    case "$name" in *"${TESTS_FILTER:-}"*) ;; *) return ;; esac
    log="$out/$(echo "$name" | tr / _).log"
    _t0=$(date +%s)
    if "$@" >"$log" 2>&1; then
        _dt=$(($(date +%s) - _t0))
        passed=$((passed + 1)); printf '  ok    %s (%d s)\n' "$name" "$_dt"
    else
        _dt=$(($(date +%s) - _t0))
        failed=$((failed + 1)); failures="$failures $name"
        printf '  FAIL  %s (%d s, log: %s)\n' "$name" "$_dt" "$log"
        tail -n 30 "$log" | sed 's/^/        /'
    fi
    case $name in pg/*) pg_secs=$((pg_secs + _dt));; esac
}
pg_secs=0

for t in "$@"; do run_one "unit/$(basename "$t")" "$t"; done
for t in tests/cli/*-test tests/e2e/*-test; do
    [ -f "$t" ] || continue
    run_one "${t#tests/}" sh "$t"
done
# Again on PostgreSQL, the tests that say they run on both backends.
if [ -n "${SITESWEEP_TEST_PG:-}" ]; then
    for t in tests/cli/*-test tests/e2e/*-test; do
        grep -q '^# backends: sqlite pg$' "$t" || continue
        run_one "pg/${t#tests/}" env TEST_BACKEND=pg sh "$t"
    done
fi

echo
[ "$pg_secs" -eq 0 ] || echo "the PostgreSQL reruns (pg/) took $pg_secs s"
[ -z "$failures" ] || echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
