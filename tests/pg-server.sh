#!/bin/sh
# pg-server.sh - a private PostgreSQL server for the tests.
#
#   pg-server.sh start DIR   initdb into DIR/data, start a server listening
#                            only on a Unix socket in DIR/sock (no TCP),
#                            print its connection URI (database "postgres")
#   pg-server.sh newdb DIR NAME
#                            create database NAME, print its URI
#   pg-server.sh halt DIR    stop it at once (pg_ctl -m immediate), keep DIR
#   pg-server.sh restart DIR start the halted server again
#   pg-server.sh stop DIR    stop the server at once and remove DIR
#
# Run as root, the server runs as an unprivileged user (postgres when that
# account exists, else nobody): PostgreSQL refuses to run as root. Clients
# connect through the socket with trust authentication: the socket's
# directory is the server's own and nothing listens on the network.
# PGBIN names the directory of initdb/pg_ctl (default: the newest
# /usr/lib/postgresql/*/bin). Exit 0 on success; 1 with a message.
set -u

fail() { echo "pg-server: $*" >&2; exit 1; }

pgbin() {
    if [ -n "${PGBIN:-}" ]; then echo "$PGBIN"; return; fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/initdb" ] && { echo "$d"; return; }
    done
    p=$(command -v initdb 2>/dev/null) && { dirname "$p"; return; }
    return 1
}

# as_server CMD...: runs CMD as the server's owner.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}

pick_owner() {
    if [ "$(id -u)" -ne 0 ]; then owner=$(id -un); return; fi
    if id postgres >/dev/null 2>&1; then owner=postgres; else owner=nobody; fi
}

uri() { printf 'postgresql:///%s?host=%s/sock&user=postgres\n' "$2" "$1"; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || fail "usage: pg-server.sh start|newdb|stop DIR [NAME]"
case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
pick_owner

case "$cmd" in
start)
    bin=$(pgbin) || fail "PostgreSQL server programs not found (install the Debian package postgresql)"
    mkdir -p "$dir" || fail "cannot create $dir"
    # The owner must reach DIR: a root-only parent (0700 mktemp) would
    # stop it, so the server's files live in DIR itself, made its own.
    mkdir -p "$dir/data" "$dir/sock"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$owner" "$dir" "$dir/data" "$dir/sock" || fail "cannot chown $dir"
        chmod 0711 "$dir"
    fi
    chmod 0700 "$dir/data" "$dir/sock"
    as_server "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
        --locale=C.UTF-8 -N >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; fail "initdb failed in $dir/data"; }
    # fsync off: the tests kill processes, never the machine; the
    # benchmarks start their own server with the defaults.
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k $dir/sock -c fsync=${PG_FSYNC:-off} -c max_connections=200" \
        start >/dev/null 2>&1 \
        || { cat "$dir/server.log" >&2; fail "the server did not start ($dir/server.log)"; }
    uri "$dir" postgres
    ;;
newdb)
    name=${3:?database name}
    bin=$(pgbin) || fail "PostgreSQL programs not found"
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d "$(uri "$dir" postgres)" -U postgres \
        -c "CREATE DATABASE \"$name\"" >/dev/null || fail "cannot create database $name"
    uri "$dir" "$name"
    ;;
halt)
    bin=$(pgbin) || fail "PostgreSQL programs not found"
    as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 ||
        fail "cannot halt the server in $dir"
    ;;
restart)
    bin=$(pgbin) || fail "PostgreSQL programs not found"
    as_server "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -k $dir/sock -c fsync=${PG_FSYNC:-off} -c max_connections=200" \
        start >/dev/null 2>&1 \
        || { cat "$dir/server.log" >&2; fail "the server did not start again ($dir/server.log)"; }
    ;;
stop)
    bin=$(pgbin) || fail "PostgreSQL programs not found"
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_server "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    fi
    rm -rf "$dir"
    ;;
*)
    fail "unknown command $cmd"
    ;;
esac
