#!/bin/sh
# make-seed-journal.sh OUT BIN [PROCEDURE] - writes a small, valid journal
# (512-byte pages, rollback mode, one file) to OUT as a fuzz seed: the demo
# sites imported, a run with items done, skipped, failed, reopened and a
# note, and one completed run. BIN is the sitesweep binary.
set -eu
out=$1 bin=$2 proc=${3:-tests/fuzz/corpus/procedure/tiny.procedure}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/seed.db
# An empty database with small pages; sitesweep creates its schema in it.
sqlite3 "$db" "PRAGMA page_size=512; CREATE TABLE t(x); DROP TABLE t;"
ss() { SITESWEEP_OPERATOR=seed "$bin" --journal "$db" --procedure "$proc" "$@" >/dev/null; }
ss import data/demo-sites.csv
ss mark K7Q 1 done
ss mark K7Q 4e skipped --note "no logon discovery"
ss mark K7Q 1 reopened
ss mark B25 1 failed --note "access denied"
ss mark B25 1 done
ss mark B25 4e done
sqlite3 "$db" "PRAGMA journal_mode=DELETE; VACUUM;" >/dev/null
"$bin" --journal "$db" verify >/dev/null
cp "$db" "$out"
