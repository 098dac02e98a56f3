/* journal_copy.c - a whole journal from one store to another (SQLite to
 * PostgreSQL and back): every event as it is, hash included, with the
 * stored procedures and the tables derived from them, in one transaction
 * of the target. Holds are not copied: they belong to live consoles.
 * `copy` (journal_copy) recomputes every event's hash and the chain as it
 * reads and refuses a source that fails them; verify's private copy
 * (jdb_verify_copy) takes the rows as they are, so that verify itself
 * names what is wrong. */
/* renameat2 (RENAME_NOREPLACE): a copy never replaces a file made
 * meanwhile. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal_int.h"
#include "journal_pg.h"
#include "tempfile.h"

/* A table copied, its columns in order; blob_col is the index of the one
 * BLOB/bytea column, or -1. */
typedef struct copy_table {
    const char *name;
    const char *cols;
    int ncols;
    int blob_col;
    const char *order;
} copy_table;

static const copy_table tables[] = {
    {"procedures", "hash, name, text", 3, 2, "hash"},
    {"events", "id, ts, operator, host, site, run, item, kind, note, data,"
               " prev, hash", 12, -1, "id"},
    {"sites", "code, name, parent, server, drive, state, logon, servers, pdc,"
              " last_event, last_ts, run", 12, -1, "code"},
    {"runs", "id, site, procedure, started, ended, open, closed, applicable,"
             " resume, number, state, prior, last_ts, active_ms, operators,"
             " hosts, n_done, n_skipped, n_failed, n_na, n_open", 21, -1,
     "id"},
    {"item_states", "run, item, state, event", 4, -1, "run, item"},
};
#define NTABLES (sizeof tables / sizeof tables[0])

/* Rows read per query of the events (a PostgreSQL result is held whole). */
#define PAGE 5000

/* The chain as copied so far, when the copy checks it: the id the next
 * event must have and the hash it must chain to. */
typedef struct chain_check {
    int64_t expect;
    char prev[65];
} chain_check;

/* Checks one row of events (the columns of tables[], in order) against
 * the chain: J_OK, or J_ESTORAGE (the source is damaged) with e naming
 * the event and what is wrong with it. */
static int check_event_row(journal *from, db_stmt *st, chain_check *cc,
                           ss_err *e)
{
    event ev;
    jdb_event_from_row(st, &ev);
    char h[65];
    journal_event_hash(&ev, h);
    const char *why = NULL;
    if (ev.id != cc->expect)
        why = ev.id > cc->expect ? "events before it are missing"
                                 : "its id is out of sequence";
    else if (strcmp(ev.prev, cc->prev) != 0)
        why = "it is not chained to the event before it";
    else if (strcmp(h, ev.hash) != 0)
        why = "its content does not match its hash (altered)";
    if (why) {
        ss_errf(e, "%s: event %lld: %s; the journal does not verify, so it "
                   "is not copied (sitesweep verify names what is wrong); "
                   "nothing was copied", from->path, (long long)ev.id, why);
        event_clear(&ev);
        return J_ESTORAGE;
    }
    memcpy(cc->prev, ev.hash, sizeof cc->prev);
    cc->expect++;
    event_clear(&ev);
    return J_OK;
}

/* Test-only (tests/cli/copy-leftover-test, copy-kill-test,
 * pg-copy-nothing-left-test, pg-verify-signal-test; never set in use):
 * when $SITESWEEP_TEST_PAUSE names point, says "sitesweep: test pause:
 * POINT" on stderr and waits up to 60 s doing nothing, so that a test can
 * send a signal at that point. Points: "copy-target-written" (every table
 * copied into the target, its transaction still open);
 * "copy-before-rename" (a new SQLite target committed in its temporary
 * file, not yet renamed into place; the catchable signals blocked);
 * "copy-committed" (copy's target committed and in place, the success
 * message not yet printed); "verify-copied-events" (verify of a
 * PostgreSQL journal: every event is in its private journal.db, the
 * transaction writing it still open). The pause ends early once the file
 * $SITESWEEP_TEST_RESUME (when set) exists, so that a test can let the
 * program go on from that point. */
static void test_pause(const char *point)
{
    const char *v = getenv("SITESWEEP_TEST_PAUSE");
    if (!v || strcmp(v, point) != 0)
        return;
    const char *resume = getenv("SITESWEEP_TEST_RESUME");
    fprintf(stderr, "sitesweep: test pause: %s\n", point);
    fflush(stderr);
    for (int i = 0; i < 600; i++) {
        if (resume && *resume && access(resume, F_OK) == 0)
            break;
        struct timespec t = {0, 100000000};
        nanosleep(&t, NULL);
    }
}

/* Whether table (a name from the catalog) is one a new journal fills
 * itself, whatever it holds: PostgreSQL's meta row, SQLite's character
 * positions of the filter index, the full-text index's own bookkeeping
 * (events_text itself is checked), SQLite's internal tables. */
static bool filled_by_schema(journal *to, const char *table)
{
    if (to->pg)
        return strcmp(table, "meta") == 0;
    return strcmp(table, "gram_pos") == 0 ||
           strncmp(table, "events_text_", 12) == 0 ||
           strncmp(table, "sqlite_", 7) == 0;
}

/* Whether the journal holds anything, in any of its tables (the events,
 * the tables derived from them, holds, the filter indexes, any table the
 * schema holds): J_OK (empty), J_EINPUT (not: e names the first table
 * holding a row), J_ESTORAGE. A leftover row of a derived table would
 * otherwise collide with the copy's or outlive it unseen. */
static int must_be_empty(journal *to, ss_err *e)
{
    db_stmt *st = jdb_prep_dyn(to, to->pg
        ? "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid ="
          " c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p')"
          " ORDER BY c.relname"
        : "SELECT name FROM sqlite_master WHERE type = 'table' AND ? = ?"
          " ORDER BY name", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, to->pg ? to->schema : "");
    if (!to->pg)
        jdb_bind_text(st, 2, "");
    char names[64][64];
    size_t n = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW && n < 64)
        snprintf(names[n++], sizeof names[0], "%s", jdb_col_text(st, 0));
    if (rc == DB_ROW)
        rc = DB_DONE; /* more than 64 tables: the first 64 are checked */
    if (rc != DB_DONE)
        jdb_fail(to, e, "cannot read the target journal's tables");
    jdb_done(to, st);
    if (rc != DB_DONE)
        return J_ESTORAGE;
    for (size_t i = 0; i < n; i++) {
        if (filled_by_schema(to, names[i]))
            continue;
        char sql[256];
        int64_t rows;
        /* Catalog names, quoted as identifiers (no '"' in ours). */
        if (strchr(names[i], '"'))
            return ss_errf(e, "%s: the target journal has a table named %s; "
                              "copy only into a new journal; nothing was "
                              "copied", to->path, names[i]), J_EINPUT;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM \"%.63s\""
                                  " LIMIT 1) AS x", names[i]);
        /* jdb_prep_dyn: jdb_scalar keeps its statement by the text's
         * address, the same buffer for every table. */
        db_stmt *one = jdb_prep_dyn(to, sql, e);
        if (!one ||
            jdb_step_row(to, one, "cannot read the target journal", e))
            return J_ESTORAGE;
        rows = db_col_int64(one, 0);
        jdb_done(to, one);
        if (rows)
            return ss_errf(e, "%s: the target journal is not empty (table %s "
                              "holds rows); copy only into a new journal; "
                              "nothing was copied", to->path, names[i]),
                   J_EINPUT;
    }
    return J_OK;
}

/* Copies the rows of st (columns of t) into t in the target: J_OK with
 * *n rows (and *last the last key when keyed by id), J_ESTORAGE. */
static int copy_rows(journal *from, journal *to, const copy_table *t,
                     db_stmt *st, int64_t *n, int64_t *last, chain_check *cc,
                     ss_err *e)
{
    strbuf b = {0};
    sb_printf(&b, "INSERT INTO %s(%s) VALUES(", t->name, t->cols);
    for (int c = 0; c < t->ncols; c++)
        sb_puts(&b, c ? ", ?" : "?");
    sb_puts(&b, ")");
    db_stmt *ins = jdb_prep_dyn(to, b.s, e);
    sb_free(&b);
    if (!ins) {
        jdb_done(from, st);
        return J_ESTORAGE;
    }
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (cc && check_event_row(from, st, cc, e) != J_OK) {
            db_finalize(ins);
            jdb_done(from, st);
            return J_ESTORAGE;
        }
        for (int c = 0; c < t->ncols; c++) {
            if (db_col_null(st, c)) {
                db_bind_null(ins, c + 1);
            } else if (c == t->blob_col) {
                size_t len;
                const void *p = db_col_blob(st, c, &len);
                db_bind_blob(ins, c + 1, p, len);
            } else {
                db_bind_text(ins, c + 1, db_col_text(st, c));
            }
        }
        if (last)
            *last = db_col_int64(st, 0);
        if (db_step(ins) != DB_DONE) {
            jdb_fail(to, e, "cannot copy into the target journal");
            db_finalize(ins);
            jdb_done(from, st);
            return J_ESTORAGE;
        }
        db_reset(ins);
        (*n)++;
    }
    if (rc != DB_DONE)
        jdb_fail(from, e, "cannot read the journal to copy");
    db_finalize(ins);
    jdb_done(from, st);
    return rc == DB_DONE ? J_OK : J_ESTORAGE;
}

/* Appends one value to a row of COPY's text format: "\N" for NULL,
 * else the bytes with backslash, tab, newline and carriage return
 * escaped (the only bytes COPY's text format gives a meaning to), so
 * that the server stores exactly these bytes. */
static void copy_text_value(strbuf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = NULL;
        switch (s[i]) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: continue;
        }
        sb_add(b, s + run, i - run);
        sb_puts(b, esc);
        run = i + 1;
    }
    sb_add(b, s + run, n - run);
}

/* A bytea value in COPY's text format: bytea's hex form ("\x..."), its
 * backslash escaped for COPY. */
static void copy_bytea_value(strbuf *b, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sb_puts(b, "\\\\x");
    for (size_t i = 0; i < n; i++) {
        sb_putc(b, hex[p[i] >> 4]);
        sb_putc(b, hex[p[i] & 15]);
    }
}

/* Bytes of rows gathered before they are sent to the server. */
#define COPY_CHUNK (1 << 20)

/* copy_rows into a PostgreSQL target: the rows of st go to the server
 * as one COPY ... FROM STDIN (in the target's open transaction, under
 * its append lock), in chunks of about COPY_CHUNK bytes: one round trip
 * per chunk instead of one per row. The events' triggers (append-only)
 * hold for COPY as for INSERT. J_OK with *n rows, J_ESTORAGE. */
static int copy_rows_pg(journal *from, journal *to, const copy_table *t,
                        db_stmt *st, int64_t *n, int64_t *last,
                        chain_check *cc, ss_err *e)
{
    strbuf b = {0};
    sb_printf(&b, "COPY %s(%s) FROM STDIN", t->name, t->cols);
    int rc = db_pg_copy_begin(to->db, b.s) == DB_DONE ? J_OK
             : jdb_fail(to, e, "cannot copy into the target journal");
    sb_free(&b);
    if (rc) {
        jdb_done(from, st);
        return J_ESTORAGE;
    }
    int step;
    bool sent_ok = true;
    while ((step = db_step(st)) == DB_ROW) {
        if (cc && check_event_row(from, st, cc, e) != J_OK) {
            rc = J_ESTORAGE;
            break;
        }
        for (int c = 0; c < t->ncols; c++) {
            if (c)
                sb_putc(&b, '\t');
            if (db_col_null(st, c)) {
                sb_puts(&b, "\\N");
            } else if (c == t->blob_col) {
                size_t len;
                const void *p = db_col_blob(st, c, &len);
                copy_bytea_value(&b, p, len);
            } else {
                const char *v = db_col_text(st, c);
                copy_text_value(&b, v, strlen(v));
            }
        }
        sb_putc(&b, '\n');
        if (last)
            *last = db_col_int64(st, 0);
        (*n)++;
        if (b.len >= COPY_CHUNK) {
            if (db_pg_copy_put(to->db, b.s, b.len) != DB_DONE) {
                sent_ok = false;
                break;
            }
            b.len = 0;
        }
    }
    if (rc == J_OK && sent_ok && step != DB_ROW && step != DB_DONE)
        rc = jdb_fail(from, e, "cannot read the journal to copy");
    if (rc == J_OK && sent_ok && b.len &&
        db_pg_copy_put(to->db, b.s, b.len) != DB_DONE)
        sent_ok = false;
    sb_free(&b);
    jdb_done(from, st);
    if (rc != J_OK || !sent_ok) {
        /* e already says why when the source failed; else the server's
         * reason comes with the end of the copy */
        bool server = rc == J_OK;
        db_pg_copy_end(to->db, "sitesweep copy stopped");
        if (server)
            jdb_fail(to, e, "cannot copy into the target journal");
        return J_ESTORAGE;
    }
    if (db_pg_copy_end(to->db, NULL) != DB_DONE)
        return jdb_fail(to, e, "cannot copy into the target journal"),
               J_ESTORAGE;
    return J_OK;
}

static int copy_table_rows(journal *from, journal *to, const copy_table *t,
                           int64_t *n, chain_check *cc, ss_err *e)
{
    bool paged = strcmp(t->name, "events") == 0;
    if (!paged)
        cc = NULL;
    int64_t after = 0;
    for (;;) {
        strbuf b = {0};
        sb_printf(&b, "SELECT %s FROM %s", t->cols, t->name);
        if (paged)
            sb_printf(&b, " WHERE id > ? ORDER BY id LIMIT %d", PAGE);
        else
            sb_printf(&b, " ORDER BY %s", t->order);
        db_stmt *st = jdb_prep_dyn(from, b.s, e);
        sb_free(&b);
        if (!st)
            return J_ESTORAGE;
        if (paged)
            db_bind_int64(st, 1, after);
        int64_t before = *n;
        int rc = to->pg ? copy_rows_pg(from, to, t, st, n,
                                       paged ? &after : NULL, cc, e)
                        : copy_rows(from, to, t, st, n,
                                    paged ? &after : NULL, cc, e);
        if (rc || !paged || *n - before < PAGE)
            return rc;
    }
}

/* Runs verify on j (what names it in e): J_OK when it passes, J_ESTORAGE
 * when it fails or cannot run, e saying which check and where. */
static int verified(journal *j, const char *what, ss_err *e)
{
    verify_result res;
    int rc = journal_verify(j, &res, e);
    if (rc < 0)
        return J_ESTORAGE;
    if (rc == 0 && res.problem == VERIFY_OK)
        return J_OK;
    char at[96] = "";
    int64_t ev = res.bad_id ? res.bad_id : res.event;
    if (ev)
        snprintf(at, sizeof at, "event %lld: ", (long long)ev);
    else if (res.table[0])
        snprintf(at, sizeof at, "table %s: ", res.table);
    return ss_errf(e, "%s: %s%s; %s does not verify, so it is not copied "
                      "(sitesweep verify names what is wrong); nothing was "
                      "copied", j->path, at, res.why, what), J_ESTORAGE;
}

/* The catchable terminating signals (tempfile.h's), blocked; *old gets
 * the mask to put back. */
static void block_signals(sigset_t *old)
{
    static const int caught[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
                                 SIGUSR1, SIGUSR2, SIGALRM};
    sigset_t sigs;
    sigemptyset(&sigs);
    for (size_t i = 0; i < sizeof caught / sizeof caught[0]; i++)
        sigaddset(&sigs, caught[i]);
    sigprocmask(SIG_BLOCK, &sigs, old);
}

/* SQLite's files beside a journal: the file itself, then its side files. */
#define NSIDE COPY_TARGET_FILES
static const char *const side_names[NSIDE] = {"", "-wal", "-shm",
                                              "-journal"};

int journal_copy_target_open(const char *path, copy_target *t,
                             journal **out, ss_err *e)
{
    memset(t, 0, sizeof *t);
    t->note = -1;
    for (size_t i = 0; i < NSIDE; i++)
        t->slots[i] = -1;
    *out = NULL;
    if (journal_is_server(path))
        return jpg_journal_open_for_copy(path, out, e);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    struct stat st;
    /* An existing file is the target itself (journal_open refuses what
     * is not a journal; copy refuses one that is not empty), and names
     * SQLite would not take as files get journal_open's refusal. */
    if (lstat(path, &st) == 0 || errno != ENOENT || !*base ||
        strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0 ||
        strlen(path) >= sizeof t->final)
        return journal_open(path, out, e) ? J_ESTORAGE : J_OK;
    snprintf(t->final, sizeof t->final, "%s", path);
    snprintf(t->temp, sizeof t->temp, "%.*s.%s.copy-XXXXXX",
             (int)(base - path), path, base);
    /* Made and registered with the signals blocked: none leaves it. */
    sigset_t old;
    block_signals(&old);
    int fd = mkstemp(t->temp);
    int err = errno;
    if (fd >= 0) {
        close(fd);
        for (size_t i = 0; i < NSIDE; i++) {
            char *f = xasprintf("%s%s", t->temp, side_names[i]);
            t->slots[i] = tempfile_register(f, false);
            free(f);
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (fd < 0) {
        char *shown = jdb_name_shown(path);
        ss_errf(e, "%s: cannot create journal: %s", shown, strerror(err));
        free(shown);
        t->temp[0] = '\0';
        return J_ESTORAGE;
    }
    journal *j;
    if (jsq_journal_open_fresh(t->temp, &j, e)) {
        char *shown = jdb_name_shown(path);
        jdb_err_redact(e, t->temp, shown);
        free(shown);
        journal_copy_target_end(t);
        return J_ESTORAGE;
    }
    /* Every message names the target, not its temporary name. */
    free(j->path);
    j->path = jdb_name_shown(path);
    *out = j;
    return J_OK;
}

void journal_copy_target_end(copy_target *t)
{
    /* Placed: only the temporary name's side files (SQLite removes them
     * as it closes; these are for a close that could not). */
    if (t->temp[0])
        for (size_t i = t->placed ? 1 : 0; i < NSIDE; i++) {
            char *f = xasprintf("%s%s", t->temp, side_names[i]);
            unlink(f);
            free(f);
        }
    for (size_t i = 0; i < NSIDE; i++) {
        tempfile_forget(t->slots[i]);
        t->slots[i] = -1;
    }
    tempfile_forget(t->note);
    t->note = -1;
    t->temp[0] = '\0';
}

/* fsync of path (a file, or a directory when dir): 0, or -1 with errno. */
static int sync_path(const char *path, bool dir)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) |
                            O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

/* The directory holding path (n bytes into dir): "." when it has no '/'. */
static void dir_of(const char *path, char *dir, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, n, ".");
    else if (slash == path)
        snprintf(dir, n, "/");
    else
        snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

/* A new SQLite target committed in its temporary file t->temp: every
 * page moved out of the write-ahead log into the file, the connection
 * closed (SQLite removes its -wal and -shm), the file synced, then
 * renamed to t->final without replacing anything there (renameat2
 * RENAME_NOREPLACE; where the file system lacks it, link() and unlink()
 * of the temporary name), and the directory synced. J_OK (to's connection
 * closed); J_EINPUT when a file appeared at t->final meanwhile (it is
 * left as it is); J_ESTORAGE. Either way e names the target. */
static int put_in_place(journal *to, copy_target *t, ss_err *e)
{
    int64_t busy = 1;
    db_stmt *st = jdb_prep_dyn(to, "PRAGMA wal_checkpoint(TRUNCATE)", e);
    if (!st)
        return J_ESTORAGE;
    if (db_step(st) == DB_ROW)
        busy = db_col_int64(st, 0);
    jdb_done(to, st);
    jdb_close_db(to);
    char *wal = xasprintf("%s-wal", t->temp);
    struct stat ws;
    bool wal_left = stat(wal, &ws) == 0 && ws.st_size > 0;
    free(wal);
    if (busy != 0 || wal_left)
        return ss_errf(e, "%s: cannot finish the copy: its write-ahead log "
                          "could not be moved into the file; nothing was "
                          "copied", to->path), J_ESTORAGE;
    char dir[4096];
    dir_of(t->final, dir, sizeof dir);
    if (sync_path(t->temp, false) != 0)
        return ss_errf(e, "%s: cannot finish the copy: %s; nothing was "
                          "copied", to->path, strerror(errno)), J_ESTORAGE;
    int rc = renameat2(AT_FDCWD, t->temp, AT_FDCWD, t->final,
                       RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
        rc = link(t->temp, t->final);
        if (rc == 0)
            unlink(t->temp);
    }
    if (rc != 0 && errno == EEXIST)
        return ss_errf(e, "%s: another program made this file while the "
                          "copy ran: it is left as it is, and nothing was "
                          "copied; copy only into a new journal", to->path),
               J_EINPUT;
    if (rc != 0)
        return ss_errf(e, "%s: cannot put the copy in place: %s; nothing was "
                          "copied", to->path, strerror(errno)), J_ESTORAGE;
    t->placed = true;
    sync_path(dir, true); /* the rename is made; a failed sync changes
                             nothing more that could be undone */
    return J_OK;
}

/* The copy; check: recompute every event's hash and the chain, and
 * refuse (J_ESTORAGE) at the first event that fails them. */
static int copy_journal(journal *from, journal *to, bool check,
                        copy_target *t, copy_stats *stats, ss_err *e)
{
    memset(stats, 0, sizeof *stats);
    chain_check cc = {.expect = 1, .prev = GENESIS};
    /* One snapshot of the source; one transaction of the target, which
     * ends all copied or nothing. */
    if (jdb_exec(from, from->pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                                : "BEGIN", "cannot read the journal to copy", e))
        return J_ESTORAGE;
    int rc = jdb_begin(to, e) ? J_ESTORAGE : must_be_empty(to, e);
    if (rc && rc != J_ESTORAGE)
        jdb_rollback(to);
    for (size_t i = 0; rc == J_OK && i < NTABLES; i++) {
        int64_t n = 0;
        rc = copy_table_rows(from, to, &tables[i], &n, check ? &cc : NULL,
                             e);
        if (strcmp(tables[i].name, "events") == 0) {
            stats->events = n;
            if (rc == J_OK && !check) /* verify's private copy */
                test_pause("verify-copied-events");
        }
        else if (strcmp(tables[i].name, "sites") == 0)
            stats->sites = n;
        else if (strcmp(tables[i].name, "runs") == 0)
            stats->runs = n;
    }
    /* The filter index, where the core keeps it: derived again. */
    if (rc == J_OK && to->be->index_rebuild)
        rc = to->be->index_rebuild(to, 0, e);
    if (rc == J_OK && check)
        test_pause("copy-target-written");
    if (rc == J_OK)
        rc = journal_checkpoint(from, &stats->from, e) ? J_ESTORAGE : J_OK;
    if (rc == J_OK)
        rc = journal_checkpoint(to, &stats->to, e) ? J_ESTORAGE : J_OK;
    if (rc == J_OK && (stats->from.events != stats->to.events ||
                       strcmp(stats->from.hash, stats->to.hash) != 0))
        rc = (ss_errf(e, "%s: the copy does not end at the source's "
                         "checkpoint; nothing was copied", to->path),
              J_ESTORAGE);
    /* A SQLite target is verified whole before it is committed: never a
     * copy that verify would reject (a PostgreSQL target's source was
     * verified before the copy began, and the target was empty). */
    if (rc == J_OK && check && !to->pg)
        rc = verified(to, "the copy", e);
    jdb_rollback(from);
    if (rc != J_OK) {
        jdb_rollback(to);
        return rc;
    }
    /* The commit, the new file put in place and the note a signal then
     * writes, with no signal between them (one meanwhile is delivered
     * after: it finds the copy complete, in place, and says so). */
    sigset_t old;
    block_signals(&old);
    rc = jdb_commit(to, e);
    if (rc == J_OK) {
        to->pg_create = false; /* the schema, if made, is committed */
        if (t && t->temp[0]) {
            test_pause("copy-before-rename");
            rc = put_in_place(to, t, e);
        }
    }
    if (rc == J_OK && t) {
        char cp[CHECKPOINT_MAX];
        checkpoint_format(&stats->to, cp);
        char *note = xasprintf("sitesweep: copy: interrupted after the copy "
                               "was committed: %s is complete and kept "
                               "(%lld events, checkpoint %s)\n", to->path,
                               (long long)stats->events, cp);
        t->note = tempfile_note(note);
        free(note);
        /* the temporary name is no more: the target is the result */
        for (size_t i = 0; i < NSIDE; i++) {
            tempfile_forget(t->slots[i]);
            t->slots[i] = -1;
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (rc == J_OK && check) /* not verify's private copy */
        test_pause("copy-committed");
    return rc;
}

int journal_copy(journal *from, journal *to, copy_target *t,
                 copy_stats *stats, ss_err *e)
{
    /* The source's derived tables are copied as they are: a source verify
     * rejects is not copied (the chain is checked again as it is read). */
    memset(stats, 0, sizeof *stats);
    int rc = verified(from, "the journal to copy", e);
    return rc ? rc : copy_journal(from, to, true, t, stats, e);
}

/* ---- verify of a PostgreSQL journal ---- */

static const char *const copy_names[] = {"journal.db", "journal.db-wal",
                                         "journal.db-shm",
                                         "journal.db-journal"};
#define NCOPY (sizeof copy_names / sizeof copy_names[0])

/* Registers the private copy (the directory, then the file and SQLite's
 * side files) for removal should a signal end verify: slots[] gets the
 * NCOPY + 1 slots. */
static void register_copy(const char dir[4096], int slots[NCOPY + 1])
{
    char path[4200];
    slots[0] = tempfile_register(dir, true);
    for (size_t i = 0; i < NCOPY; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, copy_names[i]);
        slots[i + 1] = tempfile_register(path, false);
    }
}

/* Removes the private copy: the file, SQLite's side files, the
 * directory; then forgets their slots. */
static void remove_copy(const char dir[4096], const int slots[NCOPY + 1])
{
    char path[4200];
    for (size_t i = 0; i < NCOPY; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, copy_names[i]);
        unlink(path);
    }
    rmdir(dir);
    for (size_t i = 0; i <= NCOPY; i++)
        tempfile_forget(slots[i]);
}

int jdb_verify_copy(journal *j, const checkpoint *anchors, size_t n,
                    jdb_verify_pre pre, void *pre_arg,
                    verify_result *res, ss_err *e)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096], path[4200];
    if (snprintf(dir, sizeof dir, "%.4000s/sitesweep-verify.XXXXXX",
                 tmp && *tmp ? tmp : "/tmp") >= (int)sizeof dir)
        return ss_errf(e, "TMPDIR is too long"), -1;
    if (!mkdtemp(dir))
        return ss_errf(e, "%s: cannot make a private copy to verify: %s",
                       j->path, strerror(errno)), -1;
    int slots[NCOPY + 1];
    register_copy(dir, slots);
    snprintf(path, sizeof path, "%s/journal.db", dir);
    int rc = pre ? pre(j, res, pre_arg, e) : 0;
    if (rc != 0) {
        remove_copy(dir, slots);
        return rc;
    }
    journal *copy;
    rc = journal_open(path, &copy, e);
    /* A private, disposable file, removed however verify ends: no
     * write-ahead log to write every page twice, no sync, a large page
     * cache (the copy's indexes are built as the events go in). */
    if (rc == 0 && jdb_exec(copy, "PRAGMA journal_mode = MEMORY;"
                                  " PRAGMA synchronous = OFF;"
                                  " PRAGMA cache_size = -131072",
                            "cannot set up the private copy", e)) {
        journal_close(copy);
        rc = -1;
    }
    if (rc == 0) {
        copy_stats st;
        rc = copy_journal(j, copy, false, NULL, &st, e); /* as it is:
                                                          verify judges it */
        if (rc == 0) /* the server's filter index, to be checked */
            rc = jpg_grams_into(j, copy, e);
        if (rc == 0)
            rc = journal_verify_checkpoints(copy, anchors, n, res, e);
        journal_close(copy);
    }
    remove_copy(dir, slots);
    if (rc != 0)
        return rc;
    /* What the copy cannot show: PostgreSQL's own triggers. */
    char why[sizeof res->why];
    rc = jpg_schema_check(j->db, why, sizeof why, e);
    if (rc == 1) {
        snprintf(res->table, sizeof res->table, "%s", "pg_catalog");
        res->problem = VERIFY_SCHEMA;
        snprintf(res->why, sizeof res->why, "%s", why);
    }
    return rc;
}
