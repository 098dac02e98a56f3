# lib.sh - drives the real sitesweep console in a private tmux server.
# Sourced by tests/e2e/*-test (POSIX sh). Each test gets a temporary
# directory with its own HOME and journal; the tmux server is killed on
# exit, pass or fail.
#
#   e2e_start [COLSxROWS]     start the console (default 100x30)
#   keys K...                 tmux send-keys (key names: Enter, Escape, Up, y)
#   type_text TEXT            send TEXT literally
#   paste_text TEXT           paste TEXT as the terminal would (bracketed
#                             when the console asked for it; LF sent as CR)
#   wait_for TEXT             until the screen shows TEXT (~10 s, or
#                             E2E_WAIT tenths of a second), else fail
#   wait_gone TEXT            until the screen no longer shows TEXT
#   key_released              past the held-key window, after the last
#                             copy of a key that answered a question
#   assert_screen_contains TEXT / assert_screen_lacks TEXT
#   ss ARGS...                the CLI on the test's journal
#   events_count [KIND]       events in the journal (of that kind)
#   console_exit_code         waits for the console to end; prints its status
#   console_pid               the console's process id
#   run_script [COLSxROWS]    runs the console on the key script read from
#                             stdin (SITESWEEP_KEYS: one key a line, :type,
#                             :paste, :dump NAME) until it ends; status 0
#   screen_dump NAME          a screen the script dumped, dates, hashes
#                             and times spent made constant, the journal's path left out
#   screen_dump_raw NAME      the same with only the journal's path left out
#                             (dates fixed by SITESWEEP_NOW instead)
#   assert_screen_is NAME     that dump is, line for line, the text on stdin
#   assert_raw_screen_is NAME the same, compared with screen_dump_raw
#
# E2E_ENV adds environment to the console; E2E_AFTER is a command the pane
# runs after the console ended (the pane then stays, for tmux queries).
#   fail MESSAGE              dumps the screen and stderr, exits 1
#
# TEST_BACKEND=pg (tests/run-tests.sh, for tests marked "# backends:
# sqlite pg"): the journal is a schema of its own on the run's private
# PostgreSQL server ($SITESWEEP_TEST_PG), exported as SITESWEEP_PG_SCHEMA
# to the CLI and every console, dropped at the end; screen dumps leave out
# the URI on the bottom row as they leave out the file's path.

set -u
: "${SITESWEEP_BIN:?SITESWEEP_BIN must name the binary under test}"
E2E_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sitesweep-e2e.XXXXXX")
E2E_SOCK="ss$$"
E2E_JOURNAL="$E2E_DIR/journal.db"
E2E_ERR="$E2E_DIR/stderr"
E2E_STATUS="$E2E_DIR/status"
export HOME="$E2E_DIR/home" TZ=UTC LANG=C.UTF-8 LC_ALL=C.UTF-8
mkdir -p "$HOME"
unset SITESWEEP_JOURNAL SITESWEEP_OPERATOR SITESWEEP_NOW NO_COLOR TMUX
# ncurses keeps some allocations for the life of the process: not ours.
export LSAN_OPTIONS="suppressions=$E2E_ROOT/data/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}abort_on_error=0"

E2E_PG=""
if [ "${TEST_BACKEND:-sqlite}" = pg ]; then
    : "${SITESWEEP_TEST_PG:?TEST_BACKEND=pg needs SITESWEEP_TEST_PG}"
    SITESWEEP_PG_SCHEMA="e_$(basename "$0" | tr -c 'a-z0-9\n' _)_$$"
    export SITESWEEP_PG_SCHEMA
    E2E_PG=$SITESWEEP_PG_SCHEMA
    E2E_JOURNAL="$SITESWEEP_TEST_PG"
fi

# The console drops a key that comes in a question's first 250 ms
# (ASK_SETTLE_MS, ui/keys.h): nobody reads a question that fast. So a
# key sent within 300 ms of a look at a screen (capture-pane, by any
# helper or test, in any subshell: the time is kept in a file) waits out
# the rest of them first, as an operator reading the screen would.
_e2e_settle() {
    [ -f "$E2E_DIR/seen" ] || return 0
    _left=$(( 300 - ($(date +%s%N) - $(cat "$E2E_DIR/seen")) / 1000000 ))
    rm -f "$E2E_DIR/seen"
    [ "$_left" -gt 0 ] && [ "$_left" -le 300 ] &&
        sleep "$(printf '0.%03d' "$_left")"
    return 0
}
t() {
    case "$1" in send-keys|paste-buffer) _e2e_settle ;; esac
    tmux -L "$E2E_SOCK" -f /dev/null "$@"
    _rc=$?
    [ "$1" = capture-pane ] && date +%s%N >"$E2E_DIR/seen"
    return $_rc
}

e2e_cleanup() {
    t kill-server >/dev/null 2>&1
    [ -z "$E2E_PG" ] || psql -X -q "$SITESWEEP_TEST_PG" \
        -c "DROP SCHEMA IF EXISTS $E2E_PG CASCADE" >/dev/null 2>&1
    rm -rf "$E2E_DIR"
}
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM HUP

screen_text() { t capture-pane -p -t ss 2>/dev/null; }

fail() {
    echo "FAIL: $*"
    echo "----- screen -----"
    screen_text
    echo "----- stderr -----"
    cat "$E2E_ERR" 2>/dev/null
    exit 1
}

# Runs the CLI on the test's journal.
ss() { "$SITESWEEP_BIN" --journal "$E2E_JOURNAL" --operator tester "$@"; }

# Starts the console in a fresh tmux server; extra args go to sitesweep.
e2e_start() {
    size=${1:-100x30}
    [ $# -gt 0 ] && shift
    rm -f "$E2E_STATUS"
    t new-session -d -s ss -x "${size%x*}" -y "${size#*x}" \
        "env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 HOME='$HOME' \
         LSAN_OPTIONS='$LSAN_OPTIONS' ${E2E_PG:+SITESWEEP_PG_SCHEMA=$E2E_PG} \
         ${E2E_ENV:-} '$SITESWEEP_BIN' --journal '$E2E_JOURNAL' --operator tester $* \
         2>>'$E2E_ERR'; echo \$? >'$E2E_STATUS'; ${E2E_AFTER:-}" ||
        fail "cannot start tmux"
    t set-option -t ss remain-on-exit off >/dev/null 2>&1
}

keys() { t send-keys -t ss "$@"; }
type_text() { t send-keys -t ss -l "$1"; }
paste_text() {
    t set-buffer -b e2e -- "$1" && t paste-buffer -p -b e2e -t ss
}
console_pid() {
    pgrep -P "$(t display-message -p -t ss '#{pane_pid}')" | head -n 1
}
resize() { t resize-window -t ss -x "${1%x*}" -y "${1#*x}"; }

wait_for() {
    _n=0
    while [ $_n -lt "${E2E_WAIT:-100}" ]; do
        screen_text | grep -qF -- "$1" && return 0
        sleep 0.1
        _n=$((_n + 1))
    done
    fail "timed out waiting for: $1"
}

# The held-key rule (KEY_RELEASE_MS in ui/keys.h): the last key when a
# question opens (the one that opened it, or answered the last question)
# counts as held down until none of it came for 1.1 s.
# A test that answers the next question with the same key first waits
# for that question to be on screen (wait_for), then calls this: a wait
# that can only grow longer under load, never shorter.
key_released() { sleep 1.3; }

wait_gone() {
    _n=0
    while [ $_n -lt 100 ]; do
        screen_text | grep -qF -- "$1" || return 0
        sleep 0.1
        _n=$((_n + 1))
    done
    fail "still on screen after 10 s: $1"
}

assert_screen_contains() {
    screen_text | grep -qF -- "$1" || fail "screen lacks: $1"
}

assert_screen_lacks() {
    screen_text | grep -qF -- "$1" && fail "screen shows: $1"
    return 0
}

# The line of the screen holding TEXT (first match).
screen_line() { screen_text | grep -F -- "$1" | head -n 1; }

# Events in the journal, all or of one kind (csv, header skipped).
events_count() {
    if [ $# -eq 0 ]; then
        ss journal --format csv | tail -n +2 | grep -c . || true
    else
        ss journal --format csv | tail -n +2 | grep -c ",\"$1\"," || true
    fi
}

# Waits for the console to exit and prints its exit status.
console_exit_code() {
    _n=0
    while [ ! -s "$E2E_STATUS" ] && [ $_n -lt 100 ]; do
        sleep 0.1
        _n=$((_n + 1))
    done
    [ -s "$E2E_STATUS" ] || fail "the console did not exit"
    cat "$E2E_STATUS"
}

# Runs the console on the key script on stdin; ":dump NAME" lines write
# $E2E_DIR/NAME. No waiting on the screen: the console reads each line
# after it has drawn the screen the line before left.
run_script() {
    _size=${1:-80x24}
    sed "s#^:dump #:dump $E2E_DIR/#" >"$E2E_DIR/keys"
    E2E_ENV="SITESWEEP_KEYS=$E2E_DIR/keys ${E2E_ENV:-}" e2e_start "$_size"
    _code=$(console_exit_code)
    [ "$_code" = 0 ] || fail "key script: exit status $_code"
    check_stderr
    t kill-server >/dev/null 2>&1
}

# A dump as it is, but for the journal's path (and what follows it) on
# the bottom row: for screens whose dates are fixed by SITESWEEP_NOW.
screen_dump_raw() {
    [ -f "$E2E_DIR/$1" ] || fail "no screen dump $1"
    sed -e "s# *$E2E_DIR/.*\$##" -e "s# *postgresql://.*\$##" "$E2E_DIR/$1"
}

screen_dump() {
    [ -f "$E2E_DIR/$1" ] || fail "no screen dump $1"
    sed -E -e 's/20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}/DATE/g' \
        -e 's/(procedure [a-z0-9]+) [0-9a-f]{8}/\1 HASH/' \
        -e 's/(spent |left ~)[0-9]+[hms]( [0-9]+[hms])?/\1TIME/g' \
        -e "s# *$E2E_DIR/.*\$##" -e "s# *postgresql://.*\$##" "$E2E_DIR/$1"
}

# Fails unless screen dump NAME is, line for line, the text on stdin.
assert_screen_is() {
    screen_dump "$1" >"$E2E_DIR/$1.got"
    cat >"$E2E_DIR/$1.want"
    diff -u "$E2E_DIR/$1.want" "$E2E_DIR/$1.got" ||
        fail "screen $1 differs from the expected one (above)"
}

# The same for a screen whose dates SITESWEEP_NOW fixed: nothing masked
# but the journal's path.
assert_raw_screen_is() {
    screen_dump_raw "$1" >"$E2E_DIR/$1.got"
    cat >"$E2E_DIR/$1.want"
    diff -u "$E2E_DIR/$1.want" "$E2E_DIR/$1.got" ||
        fail "screen $1 differs from the expected one (above)"
}

# Fails when the program's stderr holds a sanitizer report.
check_stderr() {
    if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' \
        "$E2E_ERR" 2>/dev/null; then
        fail "sanitizer report on stderr"
    fi
}

# Quits with q from Sites (after going back to it) and checks a clean exit.
quit_console() {
    keys q
    code=$(console_exit_code)
    [ "$code" = 0 ] || fail "console exit status $code"
    check_stderr
}

# A journal with the demo inventory, imported through the CLI.
import_demo() {
    ss import "$E2E_ROOT/data/demo-sites.csv" >/dev/null ||
        fail "import of the demo inventory failed"
}
