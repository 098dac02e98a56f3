#!/bin/sh
# run-fuzz.sh SECONDS seq|par DIR TARGET... - runs the libFuzzer binaries
# DIR/fuzz_TARGET, each for SECONDS on a copy of tests/fuzz/corpus/TARGET in
# DIR/corpus-TARGET (so new inputs never land in the committed seeds), then
# once over every file of tests/fuzz/regress/TARGET. "par" runs the targets
# side by side (the short pass of `make test`), "seq" one after another.
# Prints per target the executions and whether it crashed; a crash input is
# kept as DIR/crash-TARGET-*: copy it to tests/fuzz/regress/TARGET/ once the
# bug is fixed. Exit 0 when nothing crashed. $SITESWEEP_BIN, when set, is
# used to add a journal of the current schema to the journal seeds.
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=$1 mode=$2 dir=$3
shift 3
tmp=$(mktemp -d "${FUZZ_TMPBASE:-/dev/shm}/sitesweep-fuzz.XXXXXX" 2>/dev/null ||
      mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
export FUZZ_TMPDIR="$tmp"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

prepare() {
    t=$1
    rm -rf "$dir/corpus-$t"
    mkdir -p "$dir/corpus-$t"
    cp tests/fuzz/corpus/"$t"/* "$dir/corpus-$t/"
    if [ "$t" = journal ] && [ -x "${SITESWEEP_BIN:-}" ]; then
        sh tests/fuzz/make-seed-journal.sh "$dir/corpus-$t/current-schema.db" \
            "$SITESWEEP_BIN" 2>/dev/null ||
            echo "  (no current-schema seed journal: $SITESWEEP_BIN failed)"
    fi
}

# Fuzzes one target; its log is DIR/fuzz-TARGET.log.
fuzz_one() {
    t=$1
    mkdir -p "$tmp/$t"
    FUZZ_TMPDIR="$tmp/$t" "$dir/fuzz_$t" -max_total_time="$secs" -timeout=25 \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$dir/crash-$t-" "$dir/corpus-$t" \
        >"$dir/fuzz-$t.log" 2>&1
    echo $? >"$dir/fuzz-$t.rc"
}

# Runs the target once over each regression input; log DIR/regress-TARGET.log.
regress_one() {
    t=$1
    set -- tests/fuzz/regress/"$t"/*
    if [ ! -f "$1" ]; then
        echo 0 >"$dir/regress-$t.n"
        echo 0 >"$dir/regress-$t.rc"
        return
    fi
    echo $# >"$dir/regress-$t.n"
    FUZZ_TMPDIR="$tmp" "$dir/fuzz_$t" -timeout=25 "$@" \
        >"$dir/regress-$t.log" 2>&1
    echo $? >"$dir/regress-$t.rc"
}

report() {
    t=$1
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/fuzz-$t.log" | tail -n 1)
    [ -n "$runs" ] || runs=$(sed -n 's/.*#\([0-9][0-9]*\).*/\1/p' "$dir/fuzz-$t.log" | tail -n 1)
    cov=$(sed -n 's/.* cov: \([0-9][0-9]*\).*/\1/p' "$dir/fuzz-$t.log" | tail -n 1)
    frc=$(cat "$dir/fuzz-$t.rc") rrc=$(cat "$dir/regress-$t.rc")
    nreg=$(cat "$dir/regress-$t.n")
    if [ "$frc" -eq 0 ]; then
        verdict="no crash"
    else
        art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$dir/fuzz-$t.log" | tail -n 1)
        verdict="CRASHED (exit $frc; input: ${art:-none written}; log: $dir/fuzz-$t.log)"
        grep -m 3 -E 'ERROR|runtime error|SUMMARY' "$dir/fuzz-$t.log" | sed 's/^/      /'
    fi
    if [ "$rrc" -eq 0 ]; then
        reg="$nreg regression inputs ok"
    else
        reg="regression inputs FAILED (log: $dir/regress-$t.log)"
        grep -m 3 -E 'ERROR|runtime error|SUMMARY|Running:' "$dir/regress-$t.log" | sed 's/^/      /'
    fi
    printf '  fuzz_%-10s %10s execs (%ss), coverage %s: %s; %s\n' \
        "$t" "${runs:-?}" "$secs" "${cov:-?}" "$verdict" "$reg"
    [ "$frc" -eq 0 ] && [ "$rrc" -eq 0 ]
}

for t in "$@"; do prepare "$t"; done
if [ "$mode" = par ]; then
    for t in "$@"; do fuzz_one "$t" & done
    wait
else
    for t in "$@"; do fuzz_one "$t"; done
fi
for t in "$@"; do regress_one "$t"; done
status=0
for t in "$@"; do report "$t" || status=1; done
exit $status
