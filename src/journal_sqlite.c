/* journal_sqlite.c - the SQLite journal's own code: making and opening
 * the file (0600, refusing what is not a sitesweep journal, WAL,
 * synchronous FULL, busy timeout, the Unicode lower()), its schema and
 * migrations (user_version 1 to JOURNAL_SCHEMA_VERSION), the check of
 * that schema, and the data_version watch. The helpers both backends
 * share are in journal.c; PostgreSQL's own code is in journal_pg.c. */
#include "journal_int.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define APPLICATION_ID 0x53535750 /* "SSWP" */


/* Statements that add the two-character substrings of text (of the event
 * id), the text ended by char(1) so that its last character has one too,
 * to events_grams, per block of 64 events: every character of the text
 * starts a gram, so a one-character term is found by prefix. A text
 * longer than GRAM_MAX marks its block with the gram ''. from: "" (one
 * row, in the trigger) or " FROM events" (to fill it for existing
 * events). CROSS JOIN keeps gram_pos inside, searched by its key. */
#define GRAMS_OF(id, text, from)                                           \
    "INSERT OR IGNORE INTO events_grams(gram, block) SELECT substr(x, i,"  \
    " 2), b FROM (SELECT " text " || char(1) AS x, " id " >> 6 AS b" from  \
    ") AS t CROSS JOIN gram_pos WHERE i < length(x);"                      \
    "INSERT OR IGNORE INTO events_grams(gram, block) SELECT '', " id       \
    " >> 6" from " WHERE length(" text ") > " GRAM_MAX ";"

/* 4 -> 5: what the list of runs needs, as derived columns of runs, so
 * `runs` and the Cleanups screen read no events (journal_stats.c): the
 * latest event's time, the active time in milliseconds, operators and
 * hosts (JSON arrays, first seen first) and the items by state. Existing
 * runs are filled from their events by jdb_migrate_run_stats. */
#define MIGRATION_RUN_STATS                                                \
    "ALTER TABLE runs ADD COLUMN last_ts TEXT NOT NULL DEFAULT '';"        \
    "ALTER TABLE runs ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0;"    \
    "ALTER TABLE runs ADD COLUMN operators TEXT NOT NULL DEFAULT '[]';"    \
    "ALTER TABLE runs ADD COLUMN hosts TEXT NOT NULL DEFAULT '[]';"        \
    "ALTER TABLE runs ADD COLUMN n_done INTEGER NOT NULL DEFAULT 0;"       \
    "ALTER TABLE runs ADD COLUMN n_skipped INTEGER NOT NULL DEFAULT 0;"    \
    "ALTER TABLE runs ADD COLUMN n_failed INTEGER NOT NULL DEFAULT 0;"     \
    "ALTER TABLE runs ADD COLUMN n_na INTEGER NOT NULL DEFAULT 0;"         \
    "ALTER TABLE runs ADD COLUMN n_open INTEGER NOT NULL DEFAULT 0;"

/* One schema migration: SQL, then (when given) a back-fill in C that
 * derives what the SQL cannot from the events, in the same transaction.
 * The back-fill returns 0, or -1 with e set. */
typedef struct migration {
    const char *sql;
    int (*backfill)(journal *j, ss_err *e);
} migration;

/* Schema migrations: entry i takes user_version i to i + 1. */
static const migration migrations[] = {
    {"CREATE TABLE events("
    "  id INTEGER PRIMARY KEY,"
    "  ts TEXT NOT NULL, operator TEXT NOT NULL, host TEXT NOT NULL,"
    "  site TEXT NOT NULL DEFAULT '', run INTEGER NOT NULL DEFAULT 0,"
    "  item TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL,"
    "  note TEXT NOT NULL DEFAULT '', data TEXT NOT NULL DEFAULT '',"
    "  prev TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX events_site ON events(site, id);"
    "CREATE INDEX events_run ON events(run, id);"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN"
    "  SELECT RAISE(ABORT, 'journal events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN"
    "  SELECT RAISE(ABORT, 'journal events are append-only'); END;"
    "CREATE TABLE procedures(hash TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  text TEXT NOT NULL);"
    "CREATE TRIGGER procedures_no_update BEFORE UPDATE ON procedures BEGIN"
    "  SELECT RAISE(ABORT, 'stored procedures are append-only'); END;"
    "CREATE TRIGGER procedures_no_delete BEFORE DELETE ON procedures BEGIN"
    "  SELECT RAISE(ABORT, 'stored procedures are append-only'); END;"
    "CREATE TABLE sites(code TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  parent TEXT NOT NULL, server TEXT NOT NULL, drive TEXT NOT NULL,"
    "  state TEXT NOT NULL, logon INTEGER NOT NULL, servers TEXT NOT NULL,"
    "  pdc TEXT NOT NULL, last_event INTEGER NOT NULL DEFAULT 0,"
    "  last_ts TEXT NOT NULL DEFAULT '', run INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE runs(id INTEGER PRIMARY KEY, site TEXT NOT NULL,"
    "  procedure TEXT NOT NULL, started TEXT NOT NULL,"
    "  ended TEXT NOT NULL DEFAULT '', open INTEGER NOT NULL,"
    "  closed INTEGER NOT NULL DEFAULT 0,"
    "  applicable INTEGER NOT NULL DEFAULT 0,"
    "  resume TEXT NOT NULL DEFAULT '');"
    "CREATE UNIQUE INDEX runs_one_open ON runs(site) WHERE open = 1;"
    "CREATE TABLE item_states(run INTEGER NOT NULL, item TEXT NOT NULL,"
    "  state TEXT NOT NULL, event INTEGER NOT NULL,"
    "  PRIMARY KEY(run, item)) WITHOUT ROWID;", NULL},
    /* 1 -> 2: which console holds an open run. */
    {"CREATE TABLE holds(run INTEGER PRIMARY KEY, operator TEXT NOT NULL,"
    "  host TEXT NOT NULL, pid INTEGER NOT NULL, since TEXT NOT NULL);", NULL},
    /* 2 -> 3: a trigram index of each event's searchable text, so a filter
     * that matches rarely does not scan a million events per page. Kept by
     * a trigger, in the same transaction as the event. */
    {"CREATE VIRTUAL TABLE events_text USING fts5(" EVENTS_TEXT_ARGS ");"
    "CREATE TRIGGER events_text_add AFTER INSERT ON events BEGIN"
    "  INSERT INTO events_text(rowid, text) VALUES(new.id, " EVENT_TEXT("new.") ");"
    "  END;"
    "INSERT INTO events_text(rowid, text) SELECT id, " EVENT_TEXT("") " FROM events;",
    NULL},
    /* 3 -> 4: runs numbered per site (K7Q #1, K7Q #2; the global id stays
     * for the chain), the run's end state (open, complete, abandoned) and
     * the install state the site had before the run, which abandoning the
     * run restores. Derived from the events for existing runs. */
    {"ALTER TABLE runs ADD COLUMN number INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE runs ADD COLUMN state TEXT NOT NULL DEFAULT 'open';"
    "ALTER TABLE runs ADD COLUMN prior TEXT NOT NULL DEFAULT '';"
    "UPDATE runs SET number = (SELECT count(*) FROM runs r WHERE r.site ="
    "  runs.site AND r.id <= runs.id), state = CASE open WHEN 1 THEN 'open'"
    "  ELSE 'complete' END, prior = coalesce((SELECT json_extract(e.data,"
    "  '$.from') FROM events e WHERE e.site = runs.site AND e.kind ="
    "  'site-state' AND e.id > (SELECT s.id FROM events s WHERE s.run ="
    "  runs.id AND s.kind = 'run-started') ORDER BY e.id LIMIT 1), '');"
    "CREATE UNIQUE INDEX runs_site_number ON runs(site, number);"
    /* ... and an index of the two-character substrings of each block of
     * 64 events, so filters too short for the trigram index stay instant
     * (journal_filter.c). gram_pos numbers the characters; a text longer
     * than it marks its block with the gram ''. */
    "CREATE TABLE gram_pos(i INTEGER PRIMARY KEY);"
    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE"
    "  i < " GRAM_MAX ") INSERT INTO gram_pos SELECT i FROM c;"
    "CREATE TABLE events_grams(gram TEXT NOT NULL, block INTEGER NOT NULL,"
    "  PRIMARY KEY(gram, block)) WITHOUT ROWID;"
    "CREATE TRIGGER events_grams_add AFTER INSERT ON events BEGIN "
    GRAMS_OF("new.id", EVENT_TEXT("new."), "") " END;"
    GRAMS_OF("id", EVENT_TEXT(""), " FROM events"), NULL},
    /* 4 -> 5 */
    {MIGRATION_RUN_STATS, jdb_migrate_run_stats},
    /* 5 -> 6: both filter indexes folded for all of Unicode, no longer
     * for ASCII only (the lower() of jdb_fold_register; "ZÜRICH" was
     * indexed as "zÜrich"). A self-contained step: it rebuilds the
     * trigram index whole, and adds the grams of every event whose text
     * is not ASCII (the stale ones left beside them can only make a block
     * be scanned, never hide one). The schema's objects stay as they
     * were. */
    {"INSERT INTO events_text(events_text) VALUES('delete-all');"
     "INSERT INTO events_text(rowid, text) SELECT id, " EVENT_TEXT("") " FROM events;"
     GRAMS_OF("id", EVENT_TEXT(""), " FROM (SELECT * FROM events WHERE"
              " length(CAST(" EVENT_RAW("") " AS BLOB)) <> length("
              EVENT_RAW("") "))"), NULL},
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])

_Static_assert(NMIGRATIONS == JOURNAL_SCHEMA_VERSION,
               "one migration per schema version");

/* ---- the schema sitesweep makes ---- */

/* One object of sqlite_master. */
typedef struct schema_obj {
    char *type, *name, *tbl, *sql; /* sql "" when SQLite made it */
} schema_obj;

/* The schema of the current version, made once per process by running
 * every migration on an in-memory database. */
static schema_obj *schema_want;
static size_t schema_nwant;

static int schema_expected(ss_err *e)
{
    if (schema_want)
        return 0;
    sqlite3 *h = NULL;
    if (sqlite3_open(":memory:", &h) != SQLITE_OK) {
        sqlite3_close(h);
        return ss_errf(e, "cannot make the expected journal schema");
    }
    int rc = SQLITE_OK;
    for (size_t v = 0; rc == SQLITE_OK && v < NMIGRATIONS; v++)
        rc = sqlite3_exec(h, migrations[v].sql, NULL, NULL, NULL);
    db *mem = db_from_sqlite(h);
    db_stmt *st = rc == SQLITE_OK && mem
        ? db_prepare(mem, "SELECT type, name, tbl_name, coalesce(sql, '')"
                          " FROM sqlite_master", false)
        : NULL;
    if (!st)
        rc = SQLITE_ERROR;
    schema_obj *want = NULL;
    size_t n = 0, cap = 0;
    while (rc == SQLITE_OK && db_step(st) == DB_ROW) {
        if (n == cap)
            want = xrealloc(want, (cap = cap ? cap * 2 : 32) * sizeof *want);
        want[n++] = (schema_obj){xstrdup(jdb_col_text(st, 0)),
                                 xstrdup(jdb_col_text(st, 1)),
                                 xstrdup(jdb_col_text(st, 2)),
                                 xstrdup(jdb_col_text(st, 3))};
    }
    db_close(mem); /* and st with it */
    if (rc != SQLITE_OK || n == 0) {
        free(want);
        return ss_errf(e, "cannot make the expected journal schema");
    }
    schema_want = want;
    schema_nwant = n;
    return 0;
}

static const schema_obj *schema_find(const char *name)
{
    for (size_t i = 0; i < schema_nwant; i++)
        if (strcmp(schema_want[i].name, name) == 0)
            return &schema_want[i];
    return NULL;
}

/* journal_schema_check of a SQLite journal: its sqlite_master against
 * the one the migrations make. */
static int jsq_schema_check(journal *j, bool triggers_only, char *why,
                            size_t n, ss_err *e)
{
    if (schema_expected(e))
        return -1;
    int version;
    db_stmt *st = jdb_prep(j, "PRAGMA user_version", e);
    if (!st)
        return -1;
    int rc = db_step(st);
    version = rc == DB_ROW ? (int)db_col_int64(st, 0) : -1;
    jdb_done(j, st);
    if (rc != DB_ROW)
        return jdb_fail(j, e, "cannot read the journal's schema");
    /* An older journal read without migrating has part of the schema:
     * then only objects sitesweep never makes are named. */
    bool whole = !triggers_only && version == JOURNAL_SCHEMA_VERSION;
    st = jdb_prep(j, "SELECT type, name, tbl_name, coalesce(sql, '') FROM"
                     " main.sqlite_master ORDER BY type, name", e);
    if (!st)
        return -1;
    strbuf extra = {0}, altered = {0}, missing = {0};
    bool *seen = xcalloc(schema_nwant, sizeof *seen);
    while ((rc = db_step(st)) == DB_ROW) {
        const char *type = jdb_col_text(st, 0), *name = jdb_col_text(st, 1);
        const char *tbl = jdb_col_text(st, 2), *sql = jdb_col_text(st, 3);
        if (triggers_only && strcmp(type, "trigger") != 0)
            continue;
        /* Statistics SQLite keeps itself (ANALYZE) hold no logic. */
        if (strcmp(type, "table") == 0 && strncmp(name, "sqlite_stat", 11) == 0)
            continue;
        const schema_obj *w = schema_find(name);
        if (w)
            seen[w - schema_want] = true;
        strbuf *b = !w ? &extra
                    : strcmp(w->type, type) != 0 || strcmp(w->tbl, tbl) != 0 ||
                          (whole && strcmp(w->sql, sql) != 0) ||
                          (strcmp(type, "trigger") == 0 && strcmp(w->sql, sql) != 0)
                        ? &altered : NULL;
        if (b) {
            char *safe = str_escape_unsafe(name);
            sb_printf(b, "%s%s %s on %s", b->len ? ", " : "", type, safe, tbl);
            free(safe);
        }
    }
    jdb_done(j, st);
    if (rc != DB_DONE) {
        free(seen);
        sb_free(&extra);
        sb_free(&altered);
        return jdb_fail(j, e, "cannot read the journal's schema");
    }
    for (size_t i = 0; whole && i < schema_nwant; i++)
        if (!seen[i] && strncmp(schema_want[i].name, "sqlite_stat", 11) != 0)
            sb_printf(&missing, "%s%s %s", missing.len ? ", " : "",
                      schema_want[i].type, schema_want[i].name);
    free(seen);
    int out = 0;
    if (extra.len || altered.len || missing.len) {
        snprintf(why, n, "its schema is not the one sitesweep makes:%s%s%s%s"
                 "%s%s", extra.len ? " not made by sitesweep: " : "",
                 extra.len ? extra.s : "",
                 altered.len ? (extra.len ? "; altered: " : " altered: ") : "",
                 altered.len ? altered.s : "",
                 missing.len ? (extra.len || altered.len ? "; missing: "
                                                         : " missing: ") : "",
                 missing.len ? missing.s : "");
        out = 1;
    }
    sb_free(&extra);
    sb_free(&altered);
    sb_free(&missing);
    return out;
}

/* mkdir -p of the directory holding path, new directories 0700. */
static int make_parent_dirs(const char *path, ss_err *e)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        free(dir);
        return 0;
    }
    *slash = '\0';
    for (char *p = dir + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                int err = errno;
                ss_errf(e, "%s: cannot create directory %s: %s", path, dir,
                        strerror(err));
                free(dir);
                return -1;
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    free(dir);
    return 0;
}

/* What the file's header says it is, before SQLite touches it. */
typedef enum file_identity {
    ID_NEW,     /* empty: a journal is made in it */
    ID_OURS,    /* the header carries sitesweep's application_id */
    ID_UNKNOWN, /* a SQLite database with application_id 0: ask SQLite
                   (a journal whose header is still in its -wal) */
} file_identity;

/* Refuses names SQLite would not take as a file: ":memory:", "" and
 * "file:" URIs (which could name an in-memory database and "store"
 * nothing). "./file:x" names a file called file:x. */
static int check_name(const char *path, ss_err *e)
{
    if (!*path)
        return ss_errf(e, "the journal path is empty: name a file");
    if (strcmp(path, ":memory:") == 0)
        return ss_errf(e, "%s: is SQLite's name for an in-memory database, "
                          "which would keep nothing: the journal must be a "
                          "file; nothing was changed", path);
    if (strncmp(path, "file:", 5) == 0)
        return ss_errf(e, "%s: is a SQLite URI, not a file name: the journal "
                          "must be a file (write ./%s for a file of that "
                          "name); nothing was changed", path, path);
    return 0;
}

/* Creates the file 0600 when missing; refuses anything that is not a
 * regular file, and a file that is not a sitesweep journal, before SQLite
 * opens it (SQLite would block on a FIFO, make "/dev/null-journal", or
 * change another program's database). */
static int prepare_file(const char *path, bool fresh, file_identity *id,
                        ss_err *e)
{
    *id = ID_NEW;
    if (check_name(path, e))
        return -1;
    /* false when another process just made it, or the caller (fresh) */
    bool existed = !fresh;
    int fd = file_open_regular(path, O_RDONLY, "journal", e);
    if (fd < 0) {
        if (errno != ENOENT) {
            if (errno == EACCES || errno == EPERM)
                ss_errf(e, "%s: cannot open journal: %s", path,
                        strerror(errno));
            return -1;
        }
        if (make_parent_dirs(path, e))
            return -1;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                  0600);
        if (fd < 0 && errno != EEXIST)
            return ss_errf(e, "%s: cannot create journal: %s", path,
                           strerror(errno));
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        /* Another process made it meanwhile: look at what it is (empty
         * while that process writes the schema). */
        if ((fd = file_open_regular(path, O_RDONLY, "journal", e)) < 0)
            return -1;
        existed = false;
    }
    unsigned char head[100];
    ssize_t got = read(fd, head, sizeof head);
    close(fd);
    if (got == 0 && !existed)
        return 0;
    if (got == 0)
        return ss_errf(e, "%s: the file is empty (0 bytes): not a journal "
                          "(truncated, or a crash while it was being "
                          "created?); nothing was changed; to start a new "
                          "journal there, remove the file first", path);
    if (got != (ssize_t)sizeof head ||
        memcmp(head, "SQLite format 3", 16) != 0)
        return ss_errf(e, "%s: not a sitesweep journal (not a SQLite "
                          "database); nothing was changed", path);
    uint32_t appid = (uint32_t)head[68] << 24 | (uint32_t)head[69] << 16 |
                     (uint32_t)head[70] << 8 | head[71];
    if (appid == APPLICATION_ID) {
        *id = ID_OURS;
        return 0;
    }
    if (appid != 0)
        return ss_errf(e, "%s: not a sitesweep journal (a SQLite database "
                          "of another program, application id 0x%08X); "
                          "nothing was changed", path, (unsigned)appid);
    *id = ID_UNKNOWN;
    return 0;
}

static int pragma_int(journal *j, const char *sql, int *out, ss_err *e)
{
    db_stmt *st = jdb_prep(j, sql, e);
    if (!st)
        return -1;
    int rc = db_step(st);
    if (rc == DB_ROW)
        *out = (int)db_col_int64(st, 0);
    jdb_done(j, st);
    if (rc != DB_ROW)
        return jdb_fail(j, e, "cannot read the journal header");
    return 0;
}

/* Refuses a database that is not a sitesweep journal: reads only, before
 * any setting is changed. An empty database (no schema, application id 0)
 * is taken as a new journal. */
static int check_identity(journal *j, ss_err *e)
{
    int appid, tables;
    if (pragma_int(j, "PRAGMA application_id", &appid, e) ||
        pragma_int(j, "SELECT count(*) FROM sqlite_master", &tables, e))
        return -1;
    if (appid != APPLICATION_ID && (appid != 0 || tables != 0))
        return ss_errf(e, "%s: not a sitesweep journal (a SQLite database "
                          "of another program); nothing was changed", j->path);
    return 0;
}

static int migrate(journal *j, ss_err *e)
{
    int version;
    if (pragma_int(j, "PRAGMA user_version", &version, e))
        return -1;
    if (version < 0)
        return ss_errf(e, "%s: not a sitesweep journal (invalid schema "
                          "version %d); nothing was changed", j->path, version);
    if (version > JOURNAL_SCHEMA_VERSION)
        return ss_errf(e, "%s: written by a newer sitesweep (journal schema "
                          "%d; this program knows up to %d); upgrade sitesweep",
                       j->path, version, JOURNAL_SCHEMA_VERSION);
    if (version == JOURNAL_SCHEMA_VERSION)
        return 0;
    if (jdb_begin(j, e))
        return -1;
    /* Re-read inside the write lock: another process may have migrated. */
    if (pragma_int(j, "PRAGMA user_version", &version, e)) {
        jdb_rollback(j);
        return -1;
    }
    if (version < 0 || version > JOURNAL_SCHEMA_VERSION) {
        jdb_rollback(j);
        return ss_errf(e, "%s: the journal's schema version changed to %d "
                          "while opening it; nothing was changed", j->path,
                       version);
    }
    for (int v = version; v < JOURNAL_SCHEMA_VERSION; v++) {
        if (jdb_exec(j, migrations[v].sql, "cannot upgrade the journal schema", e) ||
            (migrations[v].backfill && migrations[v].backfill(j, e))) {
            jdb_rollback(j);
            return -1;
        }
    }
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d",
             JOURNAL_SCHEMA_VERSION, APPLICATION_ID);
    if (jdb_exec(j, sql, "cannot upgrade the journal schema", e)) {
        jdb_rollback(j);
        return -1;
    }
    return jdb_commit(j, e);
}

/* A file: URI for path, percent-encoding what a URI must not hold. */
static char *file_uri(const char *path, const char *query)
{
    strbuf b = {0};
    sb_puts(&b, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
            sb_putc(&b, (char)*p);
        else
            sb_printf(&b, "%%%02X", *p);
    }
    sb_printf(&b, "?%s", query);
    return sb_take(&b);
}

/* How a connection opens the journal. */
typedef enum open_mode {
    OPEN_RW,        /* read-write, shared (the -shm file is the WAL index) */
    OPEN_RO,        /* read-only ("mode=ro") */
    OPEN_IMMUTABLE, /* the main file alone: only when no -wal holds events */
    OPEN_EXCLUSIVE, /* read-write, exclusive locking: the WAL index is kept
                       in memory, so no -shm file is needed */
} open_mode;

/* Opens the connection (no setting changed yet: checkpoints on close are
 * off until check_identity has said the file is ours). The read-only
 * modes use a URI built from the path (percent-encoded, so nothing in the
 * name is read as a parameter); the others pass it as a plain file name. */
static int sqlite_connect(journal *j, open_mode mode, ss_err *e)
{
    bool read_only = mode == OPEN_RO || mode == OPEN_IMMUTABLE;
    char *name = read_only ? file_uri(j->file, mode == OPEN_IMMUTABLE
                                                   ? "immutable=1"
                                                   : "mode=ro")
                           : xstrdup(j->file);
    int flags = (read_only ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI
                           : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX;
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(name, &h, flags, NULL);
    free(name);
    if (rc != SQLITE_OK) {
        char hint[PATH_MAX + 64];
        ss_errf(e, "%s: cannot open journal: %s%s", j->path,
                h ? sqlite3_errmsg(h) : sqlite3_errstr(rc),
                jdb_full_hint(j, hint, sizeof hint));
        sqlite3_close(h);
        return -1;
    }
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_timeout(h, JOURNAL_BUSY_MS);
    sqlite3_db_config(h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    rc = jdb_fold_register(h);
    j->db = db_from_sqlite(h);
    if (!j->db)
        return ss_errf(e, "%s: cannot open journal: out of memory", j->path);
    if (rc != SQLITE_OK)
        return jdb_fail(j, e, "cannot open journal");
    if (mode == OPEN_EXCLUSIVE &&
        jdb_exec(j, "PRAGMA locking_mode = EXCLUSIVE",
                 "cannot lock the journal", e))
        return -1;
    return jdb_exec(j, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL",
                    "cannot configure the journal", e);
}

/* lower(X): X case-folded for all of Unicode (text_fold), in place of
 * SQLite's own, which lowers ASCII only. NULL stays NULL. */
static void sql_fold(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
        return; /* the result is NULL */
    const unsigned char *s = sqlite3_value_text(argv[0]);
    if (!s) {
        sqlite3_result_error_nomem(cx);
        return;
    }
    /* Most text is ASCII: lowered here in one pass, without text_fold's
     * buffer; with no capital letter it is its own result. */
    int n = sqlite3_value_bytes(argv[0]), i = 0;
    bool upper = false;
    for (; i < n && s[i] < 0x80; i++)
        upper |= s[i] >= 'A' && s[i] <= 'Z';
    if (i == n && !upper) {
        sqlite3_result_value(cx, argv[0]);
    } else if (i == n) {
        char *f = sqlite3_malloc(n + 1);
        if (!f) {
            sqlite3_result_error_nomem(cx);
            return;
        }
        for (i = 0; i <= n; i++)
            f[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
        sqlite3_result_text(cx, f, n, sqlite3_free);
    } else {
        sqlite3_result_text(cx, text_fold((const char *)s), -1, free);
    }
}

int jdb_fold_register(sqlite3 *h)
{
    return sqlite3_create_function(h, "lower", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC |
                                       SQLITE_INNOCUOUS,
                                   NULL, sql_fold, NULL, NULL);
}

/* Starts a write: BEGIN IMMEDIATE takes SQLite's write lock, which
 * serialises appends. */
static int jsq_begin(journal *j, ss_err *e)
{
    return jdb_exec(j, "BEGIN IMMEDIATE", "cannot start a write", e);
}

/* Settings that change the file, once it is known to be a journal. */
static int db_setup(journal *j, bool read_only, ss_err *e)
{
    if (read_only)
        return 0;
    sqlite3_db_config(db_sqlite(j->db), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
    return jdb_exec(j, "PRAGMA journal_mode = WAL",
                    "cannot switch the journal to WAL", e);
}

/* Whether the directory holding path can be written (SQLite makes the
 * -wal and -shm files there). */
static bool dir_writable(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    bool ok = access(dir, W_OK) == 0;
    free(dir);
    return ok;
}

/* Whether path's -wal and -shm files exist and can be written, so a
 * read-write connection works even where they could not be created. */
static bool wal_files_writable(const char *path)
{
    char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
    bool ok = access(wal, W_OK) == 0 && access(shm, W_OK) == 0;
    free(wal);
    free(shm);
    return ok;
}

/* Size of path's -wal file; 0 when there is none. */
static long long wal_size(const char *path)
{
    char *wal = xasprintf("%s-wal", path);
    struct stat st;
    long long n = stat(wal, &st) == 0 ? (long long)st.st_size : 0;
    free(wal);
    return n;
}

/* Connects, checks the file is a journal, sets it up and migrates it:
 * 0; -1 when it could not be read; -2 when it was read but not set up or
 * migrated. */
static int open_as(journal *j, open_mode mode, file_identity id, ss_err *e)
{
    if (sqlite_connect(j, mode, e))
        return -1;
    if (id != ID_NEW && check_identity(j, e))
        return -1;
    bool ro = mode == OPEN_RO || mode == OPEN_IMMUTABLE;
    if (db_setup(j, ro, e) || migrate(j, e))
        return -2;
    return 0;
}

/* Whether a rollback journal (PATH-journal) with content lies beside
 * path: a transaction a crashed program left, which opening the database
 * read-write would roll back. sitesweep journals use WAL, never this. */
static bool hot_journal(const char *path)
{
    char *rj = xasprintf("%s-journal", path);
    struct stat st;
    bool hot = stat(rj, &st) == 0 && st.st_size > 0;
    free(rj);
    return hot;
}

/* For a database whose header does not say it is a journal: asks SQLite
 * through a read-only connection, which cannot change the file (a
 * read-write one would roll back another program's unfinished
 * transaction). 0 when it is a journal or empty, or could not be read this
 * way (the caller's own open will say why); -1 when it is not one. */
static int probe_identity(journal *j, ss_err *e)
{
    ss_err pe;
    int rc = sqlite_connect(j, OPEN_RO, &pe);
    if (rc == 0)
        rc = check_identity(j, &pe);
    if (rc != 0) {
        int code = j->db ? sqlite3_extended_errcode(db_sqlite(j->db)) : SQLITE_CANTOPEN;
        if ((code & 0xff) == SQLITE_READONLY && hot_journal(j->file)) {
            ss_errf(e, "%s: not a sitesweep journal (a SQLite database "
                       "with another program's unfinished transaction in "
                       "%s-journal); nothing was changed", j->path, j->path);
            rc = -1;
        } else if (code == SQLITE_OK || code == DB_ROW ||
                   code == DB_DONE) {
            *e = pe; /* read, and not ours */
            rc = -1;
        } else {
            rc = 0; /* not readable this way: the real open says why */
        }
    }
    jdb_close_db(j);
    return rc;
}

static int jsq_changed(journal *j, bool *changed, ss_err *e);

/* journal_watch: SQLite's data version, read now to compare later. */
static int jsq_watch(journal *j, ss_err *e)
{
    bool ignored;
    return jsq_changed(j, &ignored, e);
}

/* journal_changed: whether SQLite's data version moved. */
static int jsq_changed(journal *j, bool *changed, ss_err *e)
{
    *changed = false;
    /* Changes when another connection commits, never for our own. */
    int64_t v;
    if (jdb_scalar(j, "PRAGMA data_version", "cannot read the journal", &v, e))
        return J_ESTORAGE;
    *changed = j->data_version && v != j->data_version;
    j->data_version = v;
    return J_OK;
}

/* The opening itself: jsq_journal_open, whose messages may still name
 * path as given. */
static int sq_open(const char *path, bool fresh, journal **out, ss_err *e)
{
    *out = NULL;
    file_identity id;
    if (prepare_file(path, fresh, &id, e))
        return -1;
    journal *j = xcalloc(1, sizeof *j);
    j->file = xstrdup(path);
    j->path = jdb_name_shown(path);
    j->be = &jdb_sqlite_backend;
    jdb_default_actor(j);
    /* Read-only when the file cannot be written, or its directory cannot
     * and SQLite's -wal and -shm files are not there to be written: a
     * read-write connection would fail at the first read. */
    bool ro = access(path, W_OK) != 0 ||
              (!dir_writable(path) && !wal_files_writable(path));
    int rc = id == ID_UNKNOWN && !ro ? probe_identity(j, e) : 0;
    if (rc == 0)
        rc = open_as(j, ro ? OPEN_RO : OPEN_RW, id, e);
    int why = rc == -1 && ro && j->db ? sqlite3_extended_errcode(db_sqlite(j->db)) & 0xff
                                      : 0;
    if (why == SQLITE_CANTOPEN || why == SQLITE_READONLY) {
        /* A read-only directory without a -shm file: SQLite cannot read
         * the -wal through a shared WAL index. Reading the main file alone
         * is right only when the -wal holds nothing. Otherwise a journal
         * this user may write is opened with exclusive locking, which
         * keeps the WAL index in memory; else say why rather than show a
         * part. */
        long long wal = wal_size(path);
        char *walpath = xasprintf("%s-wal", path);
        bool writable = access(path, W_OK) == 0 && access(walpath, W_OK) == 0;
        free(walpath);
        jdb_close_db(j);
        if (wal > 0 && writable) {
            rc = open_as(j, OPEN_EXCLUSIVE, id, e);
        } else if (wal > 0) {
            ss_errf(e, "%s: cannot read the journal: its directory is "
                       "read-only and %s-wal still holds %lld bytes of "
                       "events that SQLite can read only by creating %s-shm "
                       "there, or with write access to both files; open it "
                       "once where its directory can be written (or copy "
                       "the journal with its -wal file); nothing was "
                       "changed", j->path, j->path, wal, j->path);
        } else {
            rc = open_as(j, OPEN_IMMUTABLE, id, e);
        }
    }
    if (rc) {
        journal_close(j);
        return -1;
    }
    *out = j;
    return 0;
}

static int jsq_open(const char *path, bool fresh, journal **out, ss_err *e)
{
    int rc = sq_open(path, fresh, out, e);
    if (rc && e) {
        /* The file checks (and SQLite's own text) name the file as given:
         * shown without its password, as every later message is. */
        char *shown = jdb_name_shown(path);
        jdb_err_redact(e, path, shown);
        free(shown);
    }
    return rc;
}

int jsq_journal_open(const char *path, journal **out, ss_err *e)
{
    return jsq_open(path, false, out, e);
}

int jsq_journal_open_fresh(const char *path, journal **out, ss_err *e)
{
    return jsq_open(path, true, out, e);
}

const jdb_backend jdb_sqlite_backend = {
    .strpos_fn = "instr",
    .sites_sql = SITES_LIST_SELECT
        " FROM sites s LEFT JOIN runs r ON r.id = s.run ORDER BY s.code",
    .run_event_sql =
        "UPDATE runs SET last_ts = ?2, active_ms = active_ms + ?3,"
        " operators = CASE WHEN EXISTS (SELECT 1 FROM"
        " json_each(runs.operators) WHERE value = ?4) THEN"
        " operators ELSE json_insert(operators, '$[#]', ?4) END,"
        " hosts = CASE WHEN EXISTS (SELECT 1 FROM"
        " json_each(runs.hosts) WHERE value = ?5) THEN hosts"
        " ELSE json_insert(hosts, '$[#]', ?5) END WHERE id = ?1",
    .begin = jsq_begin,
    .schema_check = jsq_schema_check,
    .watch = jsq_watch,
    .changed = jsq_changed,
    .index_event = NULL,   /* events_text_add, events_grams_add triggers */
    .page_text = jsq_page_text,
    .index_rebuild = NULL, /* the same triggers, as copy inserts */
};
