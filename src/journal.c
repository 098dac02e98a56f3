/* journal.c - the SQLite journal: append-only hash-chained events and the
 * tables derived from them (sites, runs, item states), written together in
 * one durable transaction. */
#include "journal.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define APPLICATION_ID 0x53535750 /* "SSWP" */
#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

#define STMT_CACHE 48

/* A prepared statement kept for reuse. */
struct stmt_slot {
    const char *sql;     /* the SQL literal it was prepared from */
    sqlite3_stmt *st;    /* the statement */
    bool busy;           /* in use now */
};

struct journal {
    sqlite3 *db;               /* the connection */
    struct stmt_slot cache[STMT_CACHE]; /* statements kept for reuse */
    char *path;                /* as given */
    char operator_name[128];   /* who records */
    char host[256];            /* where */
    bool console;              /* claims runs; marks need the claim */
    char cached_hash[65];      /* procedure parsed last, by hash */
    procedure cached;          /* its parse */
};

/* The text a filter searches: time, operator, host, site, item, kind and
 * note, lower-cased as the filter is. */
#define EVENT_TEXT(p)                                                      \
    "lower(" p "ts || ' ' || " p "operator || ' ' || " p "host || ' ' || " \
    p "site || ' ' || " p "item || ' ' || " p "kind || ' ' || " p "note)"

/* Schema migrations: entry i takes user_version i to i + 1. */
static const char *const migrations[] = {
    "CREATE TABLE events("
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
    "  PRIMARY KEY(run, item)) WITHOUT ROWID;",
    /* 1 -> 2: which console holds an open run. */
    "CREATE TABLE holds(run INTEGER PRIMARY KEY, operator TEXT NOT NULL,"
    "  host TEXT NOT NULL, pid INTEGER NOT NULL, since TEXT NOT NULL);",
    /* 2 -> 3: a trigram index of each event's searchable text, so a filter
     * that matches rarely does not scan a million events per page. Kept by
     * a trigger, in the same transaction as the event. */
    "CREATE VIRTUAL TABLE events_text USING fts5(text, content = '',"
    "  tokenize = 'trigram case_sensitive 1');"
    "CREATE TRIGGER events_text_add AFTER INSERT ON events BEGIN"
    "  INSERT INTO events_text(rowid, text) VALUES(new.id, " EVENT_TEXT("new.") ");"
    "  END;"
    "INSERT INTO events_text(rowid, text) SELECT id, " EVENT_TEXT("") " FROM events;",
};
#define NMIGRATIONS (sizeof migrations / sizeof migrations[0])

_Static_assert(NMIGRATIONS == JOURNAL_SCHEMA_VERSION,
               "one migration per schema version");

/* ---- small SQLite helpers ---- */

static int db_fail(journal *j, ss_err *e, const char *what)
{
    int code = sqlite3_extended_errcode(j->db);
    const char *msg = sqlite3_errmsg(j->db);
    const char *hint = "";
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        hint = " (another sitesweep holds the journal; try again)";
        break;
    case SQLITE_READONLY:
        hint = " (the journal or its directory is read-only)";
        break;
    case SQLITE_FULL:
        hint = " (the disk is full)";
        break;
    default:
        break;
    }
    return ss_errf(e, "%s: %s: %s%s", j->path, what, msg, hint);
}

/* A statement built at run time: prepared for one use, finalized by done. */
static sqlite3_stmt *prep_dyn(journal *j, const char *sql, ss_err *e)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(j, e, "cannot read the journal");
        return NULL;
    }
    return st;
}

/* A statement whose SQL is a string literal: prepared once per journal and
 * kept (keyed by the literal's address), so a write does not re-parse its
 * SQL. A statement already in use (a nested call) gets a fresh one. */
static sqlite3_stmt *prep(journal *j, const char *sql, ss_err *e)
{
    size_t free_slot = STMT_CACHE;
    for (size_t i = 0; i < STMT_CACHE; i++) {
        if (j->cache[i].sql == sql && !j->cache[i].busy) {
            j->cache[i].busy = true;
            return j->cache[i].st;
        }
        if (!j->cache[i].sql && free_slot == STMT_CACHE)
            free_slot = i;
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL) != SQLITE_OK) {
        db_fail(j, e, "cannot read the journal");
        return NULL;
    }
    if (free_slot < STMT_CACHE)
        j->cache[free_slot] = (struct stmt_slot){sql, st, true};
    return st;
}

/* Ends a statement's use: cached ones are reset for the next, others
 * finalized. */
static void done(journal *j, sqlite3_stmt *st)
{
    for (size_t i = 0; i < STMT_CACHE; i++) {
        if (j->cache[i].st == st && j->cache[i].busy) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            j->cache[i].busy = false;
            return;
        }
    }
    sqlite3_finalize(st);
}

static int exec(journal *j, const char *sql, const char *what, ss_err *e)
{
    if (sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(j, e, what);
    return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_TRANSIENT);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static void copy_col(sqlite3_stmt *st, int i, char *dst, size_t n)
{
    snprintf(dst, n, "%s", col_text(st, i));
}

static int begin(journal *j, ss_err *e)
{
    return exec(j, "BEGIN IMMEDIATE", "cannot start a write", e);
}

static void rollback(journal *j)
{
    if (!sqlite3_get_autocommit(j->db))
        sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
}

static int commit(journal *j, ss_err *e)
{
    if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        db_fail(j, e, "cannot commit");
        rollback(j);
        return -1;
    }
    return 0;
}

/* ---- opening ---- */

int journal_resolve_path(const char *opt, char *buf, size_t n, ss_err *e)
{
    const char *env = getenv("SITESWEEP_JOURNAL");
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int len;
    if (opt && *opt)
        len = snprintf(buf, n, "%s", opt);
    else if (env && *env)
        len = snprintf(buf, n, "%s", env);
    else if (xdg && *xdg == '/')
        len = snprintf(buf, n, "%s/sitesweep/journal.db", xdg);
    else if (home && *home)
        len = snprintf(buf, n, "%s/.local/share/sitesweep/journal.db", home);
    else
        return ss_errf(e, "no journal path: set --journal, SITESWEEP_JOURNAL or HOME");
    if (len < 0 || (size_t)len >= n)
        return ss_errf(e, "journal path is too long");
    return 0;
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

/* Creates the file 0600 when missing; refuses a non-SQLite file early with
 * a clearer message than SQLite's. */
static int prepare_file(const char *path, ss_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            return ss_errf(e, "%s: cannot open journal: %s", path,
                           strerror(errno));
        if (make_parent_dirs(path, e))
            return -1;
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            return ss_errf(e, "%s: cannot create journal: %s", path,
                           strerror(errno));
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char head[16];
    ssize_t got = read(fd, head, sizeof head);
    close(fd);
    if (got == 0)
        return 0;
    if (got != (ssize_t)sizeof head || memcmp(head, "SQLite format 3", 16) != 0)
        return ss_errf(e, "%s: not a sitesweep journal (not a SQLite "
                          "database); nothing was changed", path);
    return 0;
}

static int pragma_int(journal *j, const char *sql, int *out, ss_err *e)
{
    sqlite3_stmt *st = prep(j, sql, e);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    done(j, st);
    if (rc != SQLITE_ROW)
        return db_fail(j, e, "cannot read the journal header");
    return 0;
}

static int migrate(journal *j, ss_err *e)
{
    int version, appid, tables;
    if (pragma_int(j, "PRAGMA user_version", &version, e) ||
        pragma_int(j, "PRAGMA application_id", &appid, e) ||
        pragma_int(j, "SELECT count(*) FROM sqlite_master", &tables, e))
        return -1;
    if (appid != APPLICATION_ID && (appid != 0 || tables != 0))
        return ss_errf(e, "%s: not a sitesweep journal (a SQLite database "
                          "of another program); nothing was changed", j->path);
    if (version < 0)
        return ss_errf(e, "%s: not a sitesweep journal (invalid schema "
                          "version %d); nothing was changed", j->path, version);
    if (version > JOURNAL_SCHEMA_VERSION)
        return ss_errf(e, "%s: written by a newer sitesweep (journal schema "
                          "%d; this program knows up to %d); upgrade sitesweep",
                       j->path, version, JOURNAL_SCHEMA_VERSION);
    if (version == JOURNAL_SCHEMA_VERSION)
        return 0;
    if (begin(j, e))
        return -1;
    /* Re-read inside the write lock: another process may have migrated. */
    if (pragma_int(j, "PRAGMA user_version", &version, e)) {
        rollback(j);
        return -1;
    }
    if (version < 0 || version > JOURNAL_SCHEMA_VERSION) {
        rollback(j);
        return ss_errf(e, "%s: the journal's schema version changed to %d "
                          "while opening it; nothing was changed", j->path,
                       version);
    }
    for (int v = version; v < JOURNAL_SCHEMA_VERSION; v++) {
        if (exec(j, migrations[v], "cannot upgrade the journal schema", e)) {
            rollback(j);
            return -1;
        }
    }
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d",
             JOURNAL_SCHEMA_VERSION, APPLICATION_ID);
    if (exec(j, sql, "cannot upgrade the journal schema", e)) {
        rollback(j);
        return -1;
    }
    return commit(j, e);
}

static void default_actor(journal *j)
{
    const char *who = getenv("SITESWEEP_OPERATOR");
    if (!who || !*who) {
        struct passwd *pw = getpwuid(geteuid());
        who = pw ? pw->pw_name : getenv("USER");
    }
    snprintf(j->operator_name, sizeof j->operator_name, "%s",
             who && *who ? who : "unknown");
    if (gethostname(j->host, sizeof j->host) != 0 || !j->host[0])
        snprintf(j->host, sizeof j->host, "%s", "localhost");
    j->host[sizeof j->host - 1] = '\0';
}

/* Finalizes the kept statements and closes the connection. */
static void close_db(journal *j)
{
    for (size_t i = 0; i < STMT_CACHE; i++)
        if (j->cache[i].st)
            sqlite3_finalize(j->cache[i].st);
    memset(j->cache, 0, sizeof j->cache);
    if (j->db)
        sqlite3_close(j->db);
    j->db = NULL;
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

/* Opens the connection. A file this user cannot write is opened read-only
 * (reads work, writes fail plainly); when its directory is not writable
 * either, SQLite cannot make the WAL index, so it is read as immutable. */
static int db_connect(journal *j, bool read_only, bool immutable, ss_err *e)
{
    char *uri = read_only ? file_uri(j->path, immutable ? "immutable=1" : "mode=ro")
                          : xstrdup(j->path);
    int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    int rc = sqlite3_open_v2(uri, &j->db, flags, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        ss_errf(e, "%s: cannot open journal: %s", j->path,
                j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
        sqlite3_close(j->db);
        j->db = NULL;
        return -1;
    }
    sqlite3_extended_result_codes(j->db, 1);
    sqlite3_busy_timeout(j->db, JOURNAL_BUSY_MS);
    if (exec(j, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL",
             "cannot configure the journal", e) ||
        (!read_only && exec(j, "PRAGMA journal_mode = WAL",
                            "cannot switch the journal to WAL", e)))
        return -1;
    return 0;
}

int journal_open(const char *path, journal **out, ss_err *e)
{
    *out = NULL;
    if (prepare_file(path, e))
        return -1;
    journal *j = xcalloc(1, sizeof *j);
    j->path = xstrdup(path);
    default_actor(j);
    bool ro = access(path, W_OK) != 0;
    int rc = db_connect(j, ro, false, e);
    if (rc == 0)
        rc = migrate(j, e);
    if (rc && ro && j->db) {
        /* Read-only directory too: no WAL index can be made. */
        close_db(j);
        rc = db_connect(j, true, true, e);
        if (rc == 0)
            rc = migrate(j, e);
    }
    if (rc) {
        journal_close(j);
        return -1;
    }
    *out = j;
    return 0;
}

void journal_close(journal *j)
{
    if (!j)
        return;
    close_db(j);
    procedure_free(&j->cached);
    free(j->path);
    free(j);
}

const char *journal_path(const journal *j)
{
    return j->path;
}

void journal_set_actor(journal *j, const char *operator_name, const char *host)
{
    if (operator_name && *operator_name)
        snprintf(j->operator_name, sizeof j->operator_name, "%s", operator_name);
    if (host && *host)
        snprintf(j->host, sizeof j->host, "%s", host);
}

const char *journal_operator(const journal *j)
{
    return j->operator_name;
}

/* ---- events and the hash chain ---- */

/* The bytes an event's hash covers: the previous hash, then each field as
 * length:value, so no two different events serialise alike. */
void journal_event_hash(const event *ev, char out[65])
{
    strbuf b = {0};
    sb_printf(&b, "sitesweep-event-v1\n%s\n", ev->prev);
    const char *fields[] = {ev->ts, ev->operator_name, ev->host, ev->site,
                            ev->item, ev->kind, ev->note, ev->data};
    sb_printf(&b, "%lld\n%lld\n", (long long)ev->id, (long long)ev->run);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        sb_printf(&b, "%zu:%s\n", strlen(fields[i]), fields[i]);
    sha256_hex(b.s, b.len, out);
    sb_free(&b);
}

/* Appends one event inside the caller's transaction; *id receives its id. */
static int append(journal *j, const char *site_code, int64_t run,
                  const char *item, const char *kind, const char *note,
                  const char *data, const char *ts, int64_t *id, ss_err *e)
{
    event ev = {0};
    sqlite3_stmt *st = prep(j, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", e);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ev.id = sqlite3_column_int64(st, 0) + 1;
        copy_col(st, 1, ev.prev, sizeof ev.prev);
    } else if (rc == SQLITE_DONE) {
        ev.id = 1;
        snprintf(ev.prev, sizeof ev.prev, "%s", GENESIS);
    }
    done(j, st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(j, e, "cannot read the journal");
    snprintf(ev.ts, sizeof ev.ts, "%s", ts);
    ev.operator_name = j->operator_name;
    ev.host = j->host;
    snprintf(ev.site, sizeof ev.site, "%s", site_code ? site_code : "");
    ev.run = run;
    snprintf(ev.item, sizeof ev.item, "%s", item ? item : "");
    snprintf(ev.kind, sizeof ev.kind, "%s", kind);
    ev.note = (char *)(note ? note : "");
    ev.data = (char *)(data ? data : "");
    journal_event_hash(&ev, ev.hash);
    st = prep(j, "INSERT INTO events(id, ts, operator, host, site, run, item,"
                 " kind, note, data, prev, hash)"
                 " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", e);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ev.id);
    bind_text(st, 2, ev.ts);
    bind_text(st, 3, ev.operator_name);
    bind_text(st, 4, ev.host);
    bind_text(st, 5, ev.site);
    sqlite3_bind_int64(st, 6, ev.run);
    bind_text(st, 7, ev.item);
    bind_text(st, 8, ev.kind);
    bind_text(st, 9, ev.note);
    bind_text(st, 10, ev.data);
    bind_text(st, 11, ev.prev);
    bind_text(st, 12, ev.hash);
    rc = sqlite3_step(st);
    done(j, st);
    if (rc != SQLITE_DONE)
        return db_fail(j, e, "cannot record the event");
    if (site_code && *site_code) {
        st = prep(j, "UPDATE sites SET last_event = ?, last_ts = ? WHERE code = ?", e);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, ev.id);
        bind_text(st, 2, ev.ts);
        bind_text(st, 3, site_code);
        rc = sqlite3_step(st);
        done(j, st);
        if (rc != SQLITE_DONE)
            return db_fail(j, e, "cannot record the event");
    }
    if (id)
        *id = ev.id;
    return 0;
}

static void event_from_row(sqlite3_stmt *st, event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, ev->ts, sizeof ev->ts);
    ev->operator_name = xstrdup(col_text(st, 2));
    ev->host = xstrdup(col_text(st, 3));
    copy_col(st, 4, ev->site, sizeof ev->site);
    ev->run = sqlite3_column_int64(st, 5);
    copy_col(st, 6, ev->item, sizeof ev->item);
    copy_col(st, 7, ev->kind, sizeof ev->kind);
    ev->note = xstrdup(col_text(st, 8));
    ev->data = xstrdup(col_text(st, 9));
    copy_col(st, 10, ev->prev, sizeof ev->prev);
    copy_col(st, 11, ev->hash, sizeof ev->hash);
}

void event_clear(event *ev)
{
    free(ev->operator_name);
    free(ev->host);
    free(ev->note);
    free(ev->data);
    memset(ev, 0, sizeof *ev);
}

void events_free(event *evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        event_clear(&evs[i]);
    free(evs);
}

#define EVENT_COLS "id, ts, operator, host, site, run, item, kind, note, data, prev, hash"

/* WHERE clause for a filter; parameters bound by bind_filter from 1. */
static void filter_sql(strbuf *b, const event_filter *f)
{
    sb_puts(b, " WHERE 1");
    if (f && f->site && *f->site)
        sb_puts(b, " AND site = :site");
    if (f && f->run)
        sb_puts(b, " AND run = :run");
    if (f && f->text && *f->text)
        sb_puts(b, " AND instr(lower(ts || ' ' || operator || ' ' || host"
                   " || ' ' || site || ' ' || item || ' ' || kind || ' ' ||"
                   " note), lower(:text)) > 0");
}

static void bind_filter(sqlite3_stmt *st, const event_filter *f)
{
    if (!f)
        return;
    int i;
    if ((i = sqlite3_bind_parameter_index(st, ":site")))
        bind_text(st, i, f->site);
    if ((i = sqlite3_bind_parameter_index(st, ":run")))
        sqlite3_bind_int64(st, i, f->run);
    if ((i = sqlite3_bind_parameter_index(st, ":text")))
        bind_text(st, i, f->text);
}

/* The filter text as an FTS5 phrase for the trigram index, or NULL when
 * there is none or it is shorter than a trigram (then rows are scanned). */
static char *fts_phrase(const event_filter *f)
{
    if (!f || !f->text)
        return NULL;
    size_t chars = 0, n = strlen(f->text);
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)f->text[i] & 0xC0) != 0x80;
    if (chars < 3 || !utf8_valid(f->text, n))
        return NULL;
    strbuf b = {0};
    sb_putc(&b, '"');
    for (const char *p = f->text; *p; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
        sb_add(&b, c == '"' ? "\"\"" : &c, c == '"' ? 2 : 1);
    }
    sb_putc(&b, '"');
    return sb_take(&b);
}

/* Events scanned directly before a filtered page turns to the trigram
 * index: a common term fills its page within them (cheaper than reading
 * long index lists), a rare one goes on through the index. */
#define SCAN_WINDOW 256

/* One query of a page: ids beyond `from` in direction dir (from <= 0 with
 * dir < 0: from the newest), up to `bound` when bound is not 0, through
 * the trigram index when fts is given. Appends to evs[*count..limit). */
static int page_query(journal *j, const event_filter *f, const char *fts,
                      int64_t from, int64_t bound, int dir, size_t limit,
                      event *evs, size_t *count, ss_err *e)
{
    strbuf b = {0};
    const char *id = fts ? "t.rowid" : "id";
    event_filter rest = {f ? f->site : NULL, f ? f->run : 0,
                         fts ? NULL : f ? f->text : NULL};
    if (fts)
        sb_puts(&b, "SELECT " EVENT_COLS " FROM events_text t JOIN events"
                    " ON id = t.rowid");
    else
        sb_puts(&b, "SELECT " EVENT_COLS " FROM events");
    filter_sql(&b, &rest);
    if (fts)
        sb_puts(&b, " AND events_text MATCH :fts");
    if (dir < 0 && from > 0)
        sb_printf(&b, " AND %s < :from", id);
    else if (dir > 0)
        sb_printf(&b, " AND %s > :from", id);
    if (bound)
        sb_printf(&b, " AND %s %s :bound", id, dir < 0 ? ">=" : "<=");
    sb_printf(&b, " ORDER BY %s %s LIMIT :limit", id, dir < 0 ? "DESC" : "ASC");
    sqlite3_stmt *st = prep_dyn(j, b.s, e);
    sb_free(&b);
    if (!st)
        return -1;
    bind_filter(st, &rest);
    int i;
    if (fts && (i = sqlite3_bind_parameter_index(st, ":fts")))
        bind_text(st, i, fts);
    if ((i = sqlite3_bind_parameter_index(st, ":from")))
        sqlite3_bind_int64(st, i, from);
    if ((i = sqlite3_bind_parameter_index(st, ":bound")))
        sqlite3_bind_int64(st, i, bound);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"),
                       (sqlite3_int64)(limit - *count));
    int rc = SQLITE_DONE;
    while (*count < limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        event_from_row(st, &evs[(*count)++]);
    done(j, st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(j, e, "cannot read events");
    return 0;
}

int journal_events_page(journal *j, const event_filter *f, int64_t from,
                        int dir, size_t limit, event **out, size_t *n,
                        ss_err *e)
{
    *out = NULL;
    *n = 0;
    event *evs = xcalloc(limit ? limit : 1, sizeof *evs);
    size_t count = 0;
    char *fts = fts_phrase(f);
    int rc;
    if (!fts) {
        rc = page_query(j, f, NULL, from, 0, dir, limit, evs, &count, e);
    } else {
        /* Scan a window first, then the index beyond it: flat at any
         * depth and journal size, whether the term is common or rare. */
        int64_t start = from;
        rc = 0;
        if (dir < 0 && from <= 0 && (rc = journal_event_count(j, &start, e)) == 0)
            start++;
        int64_t bound = dir < 0 ? start - SCAN_WINDOW : start + SCAN_WINDOW;
        if (dir < 0 && bound < 1)
            bound = 1;
        if (rc == 0)
            rc = page_query(j, f, NULL, start, bound, dir, limit, evs, &count, e);
        /* Beyond the window (ids below bound, or above it), by the index. */
        if (rc == 0 && count < limit && !(dir < 0 && bound <= 1))
            rc = page_query(j, f, fts, bound, 0, dir, limit, evs, &count, e);
    }
    free(fts);
    if (rc) {
        events_free(evs, count);
        return -1;
    }
    *out = evs;
    *n = count;
    return 0;
}

int journal_events_each(journal *j, const event_filter *f,
                        int (*cb)(const event *ev, void *ctx), void *ctx,
                        ss_err *e)
{
    strbuf b = {0};
    sb_puts(&b, "SELECT " EVENT_COLS " FROM events");
    filter_sql(&b, f);
    sb_puts(&b, " ORDER BY id");
    sqlite3_stmt *st = prep_dyn(j, b.s, e);
    sb_free(&b);
    if (!st)
        return -1;
    bind_filter(st, f);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        event ev;
        event_from_row(st, &ev);
        int stop = cb(&ev, ctx);
        event_clear(&ev);
        if (stop) {
            done(j, st);
            return stop < 0 ? -1 : 0;
        }
    }
    done(j, st);
    if (rc != SQLITE_DONE)
        return db_fail(j, e, "cannot read events");
    return 0;
}

int journal_event_get(journal *j, int64_t id, event *out, ss_err *e)
{
    sqlite3_stmt *st = prep(j, "SELECT " EVENT_COLS " FROM events WHERE id = ?", e);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        event_from_row(st, out);
    done(j, st);
    if (rc == SQLITE_DONE)
        return JOURNAL_NOTFOUND;
    if (rc != SQLITE_ROW)
        return db_fail(j, e, "cannot read events");
    return 0;
}

int journal_event_count(journal *j, int64_t *n, ss_err *e)
{
    /* ids are dense from 1 (deletes are refused), so max(id) is the count
     * without a scan. */
    sqlite3_stmt *st = prep(j, "SELECT coalesce(max(id), 0) FROM events", e);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    done(j, st);
    if (rc != SQLITE_ROW)
        return db_fail(j, e, "cannot count events");
    return 0;
}

/* Checks that derive the state tables from the events again: each query
 * returns the first thing that disagrees, as one text column. */
static const struct {
    const char *what; /* which table, for the message */
    const char *sql;  /* first disagreement, or no row */
} derived_checks[] = {
    {"item_states",
     "WITH last AS (SELECT run, item, CASE kind WHEN 'reopened' THEN 'open'"
     "  ELSE kind END AS state, max(id) FROM events WHERE kind IN ('done',"
     "  'skipped', 'failed', 'reopened') GROUP BY run, item)"
     " SELECT 'run ' || run || ' item ' || item FROM (SELECT run, item, state"
     "  FROM last EXCEPT SELECT run, item, state FROM item_states UNION ALL"
     "  SELECT run, item, state FROM item_states EXCEPT SELECT run, item,"
     "  state FROM last) LIMIT 1"},
    {"runs",
     "SELECT 'run ' || r.id FROM runs r WHERE r.site IS NOT (SELECT site"
     "  FROM events WHERE run = r.id AND kind = 'run-started') OR r.open !="
     "  NOT EXISTS (SELECT 1 FROM events WHERE run = r.id AND kind ="
     "  'run-completed') LIMIT 1"},
    {"runs",
     "SELECT 'run ' || run || ' is missing' FROM events WHERE kind ="
     "  'run-started' AND run NOT IN (SELECT id FROM runs) LIMIT 1"},
    {"sites",
     "SELECT 'site ' || s.code FROM sites s WHERE NOT EXISTS (SELECT 1 FROM"
     "  (SELECT data FROM events WHERE site = s.code AND kind IN"
     "  ('site-added', 'site-updated') ORDER BY id DESC LIMIT 1) d WHERE"
     "  json_extract(d.data, '$.name') = s.name AND json_extract(d.data,"
     "  '$.parent') = s.parent AND json_extract(d.data, '$.server') ="
     "  s.server AND json_extract(d.data, '$.drive') = s.drive AND"
     "  json_extract(d.data, '$.logon') = CASE s.logon WHEN 1 THEN 'yes'"
     "  ELSE 'no' END AND json_extract(d.data, '$.servers') = s.servers AND"
     "  json_extract(d.data, '$.pdc') = s.pdc) OR s.state IS NOT (SELECT"
     "  CASE kind WHEN 'site-state' THEN json_extract(data, '$.to') ELSE"
     "  json_extract(data, '$.state') END FROM events WHERE site = s.code"
     "  AND kind IN ('site-added', 'site-updated', 'site-state') ORDER BY"
     "  id DESC LIMIT 1) LIMIT 1"},
    {"sites",
     "SELECT 'site ' || site || ' is missing' FROM events WHERE kind ="
     "  'site-added' AND site NOT IN (SELECT code FROM sites) LIMIT 1"},
};

/* The chain is intact: do the tables the program reads agree with it? */
static int verify_derived(journal *j, verify_result *res, ss_err *e)
{
    for (size_t i = 0; i < sizeof derived_checks / sizeof derived_checks[0]; i++) {
        sqlite3_stmt *st = prep(j, derived_checks[i].sql, e);
        if (!st)
            return -1;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            snprintf(res->why, sizeof res->why, "the %s table disagrees with "
                     "the events at %s (changed behind the program's back)",
                     derived_checks[i].what, col_text(st, 0));
        done(j, st);
        if (rc == SQLITE_ROW)
            return 1;
        if (rc != SQLITE_DONE)
            return db_fail(j, e, "cannot check the derived tables");
    }
    return 0;
}

int journal_verify(journal *j, verify_result *res, ss_err *e)
{
    memset(res, 0, sizeof *res);
    sqlite3_stmt *st = prep(j, "SELECT " EVENT_COLS " FROM events ORDER BY id", e);
    if (!st)
        return -1;
    char prev[65] = GENESIS;
    int64_t expect = 1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        event ev;
        event_from_row(st, &ev);
        char h[65];
        journal_event_hash(&ev, h);
        res->checked++;
        const char *why = NULL;
        if (ev.id != expect)
            why = ev.id > expect ? "events before it are missing"
                                 : "its id is out of sequence";
        else if (strcmp(ev.prev, prev) != 0)
            why = "it is not chained to the event before it";
        else if (strcmp(h, ev.hash) != 0)
            why = "its content does not match its hash (altered)";
        if (why) {
            /* A damaged row may carry an id of 0 or less: name its place. */
            res->bad_id = ev.id > 0 ? ev.id : expect;
            snprintf(res->why, sizeof res->why, "%s", why);
            event_clear(&ev);
            done(j, st);
            return 1;
        }
        memcpy(prev, ev.hash, sizeof prev);
        expect++;
        event_clear(&ev);
    }
    done(j, st);
    if (rc != SQLITE_DONE)
        return db_fail(j, e, "cannot read events");
    return verify_derived(j, res, e);
}

/* ---- sites ---- */

static char *site_json(const site *s)
{
    json_t *o = json_object();
    for (int f = 0; f < FIELD_COUNT; f++) {
        char buf[SITE_SERVERS_MAX + 1];
        site_get_field(s, (site_field)f, buf, sizeof buf);
        json_object_set_new(o, site_field_name((site_field)f), json_string(buf));
    }
    char *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    char *copy = xstrdup(out ? out : "{}");
    free(out);
    return copy;
}

static void site_from_row(sqlite3_stmt *st, int c, site *s)
{
    site_init(s);
    copy_col(st, c + 0, s->code, sizeof s->code);
    copy_col(st, c + 1, s->name, sizeof s->name);
    copy_col(st, c + 2, s->parent, sizeof s->parent);
    copy_col(st, c + 3, s->server, sizeof s->server);
    s->drive = col_text(st, c + 4)[0];
    int state = site_state_parse(col_text(st, c + 5));
    s->state = state < 0 ? STATE_PENDING : (site_state)state;
    s->logon = sqlite3_column_int(st, c + 6) != 0;
    copy_col(st, c + 7, s->servers, sizeof s->servers);
    copy_col(st, c + 8, s->pdc, sizeof s->pdc);
}

#define SITE_COLS "code, name, parent, server, drive, state, logon, servers, pdc"

int journal_site_get(journal *j, const char *code, site *out, ss_err *e)
{
    sqlite3_stmt *st = prep(j, "SELECT " SITE_COLS " FROM sites"
                               " WHERE code = upper(?)", e);
    if (!st)
        return -1;
    bind_text(st, 1, code);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        site_from_row(st, 0, out);
    done(j, st);
    if (rc == SQLITE_DONE)
        return JOURNAL_NOTFOUND;
    if (rc != SQLITE_ROW)
        return db_fail(j, e, "cannot read sites");
    return 0;
}

int journal_site_count(journal *j, size_t *n, ss_err *e)
{
    sqlite3_stmt *st = prep(j, "SELECT count(*) FROM sites", e);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
    done(j, st);
    if (rc != SQLITE_ROW)
        return db_fail(j, e, "cannot count sites");
    return 0;
}

/* Writes the site row (insert or replace), keeping its activity columns. */
static int site_store(journal *j, const site *s, ss_err *e)
{
    sqlite3_stmt *st = prep(j,
        "INSERT INTO sites(" SITE_COLS ") VALUES(?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(code) DO UPDATE SET name = excluded.name,"
        " parent = excluded.parent, server = excluded.server,"
        " drive = excluded.drive, state = excluded.state,"
        " logon = excluded.logon, servers = excluded.servers,"
        " pdc = excluded.pdc", e);
    if (!st)
        return -1;
    char drive[2] = {s->drive, '\0'};
    bind_text(st, 1, s->code);
    bind_text(st, 2, s->name);
    bind_text(st, 3, s->parent);
    bind_text(st, 4, s->server);
    bind_text(st, 5, drive);
    bind_text(st, 6, site_state_name(s->state));
    sqlite3_bind_int(st, 7, s->logon);
    bind_text(st, 8, s->servers);
    bind_text(st, 9, s->pdc);
    int rc = sqlite3_step(st);
    done(j, st);
    if (rc != SQLITE_DONE)
        return db_fail(j, e, "cannot store the site");
    return 0;
}

static bool site_equal(const site *a, const site *b)
{
    for (int f = 0; f < FIELD_COUNT; f++) {
        char x[SITE_SERVERS_MAX + 1], y[SITE_SERVERS_MAX + 1];
        site_get_field(a, (site_field)f, x, sizeof x);
        site_get_field(b, (site_field)f, y, sizeof y);
        if (strcmp(x, y) != 0)
            return false;
    }
    return true;
}

static int refresh_open_run(journal *j, const site *s, const char *ts,
                            ss_err *e);

/* Adds or updates one site inside a transaction; *changed tells which. */
static int open_run(journal *j, const char *code, int64_t *id, char hash[65],
                    char started[32], ss_err *e);

/* "cleaning" means a cleanup run is open, so the journal keeps that state
 * itself: a site with an open run stays cleaning whatever it is given,
 * and a site without one cannot be set to cleaning. */
static int state_rule(journal *j, site *s, ss_err *e)
{
    int64_t id;
    char hash[65];
    int rc = open_run(j, s->code, &id, hash, NULL, e);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        s->state = STATE_CLEANING;
        return 0;
    }
    if (s->state == STATE_CLEANING) {
        ss_errf(e, "field \"state\": \"cleaning\" is set by sitesweep while "
                   "a cleanup run is open, and %s has none", s->code);
        return JOURNAL_EINPUT;
    }
    return 0;
}

static int site_put(journal *j, const site *given, const char *ts,
                    int *changed, ss_err *e)
{
    site old, copy = *given;
    const site *s = &copy;
    int rc = state_rule(j, &copy, e);
    if (rc)
        return rc;
    rc = journal_site_get(j, s->code, &old, e);
    if (rc < 0)
        return -1;
    *changed = 0;
    if (rc == 0 && site_equal(&old, s))
        return 0;
    char *data = site_json(s);
    if (site_store(j, s, e) ||
        append(j, s->code, 0, NULL, rc == 0 ? "site-updated" : "site-added",
               NULL, data, ts, NULL, e)) {
        free(data);
        return -1;
    }
    free(data);
    *changed = rc == 0 ? 2 : 1;
    return rc == 0 ? refresh_open_run(j, s, ts, e) : 0;
}

int journal_import(journal *j, const inventory *inv, const char *source,
                   import_stats *stats, ss_err *e)
{
    import_stats st = {0, 0, 0};
    char ts[32];
    utc_now(ts);
    if (begin(j, e))
        return -1;
    for (size_t i = 0; i < inv->n; i++) {
        int changed;
        int rc = site_put(j, &inv->sites[i], ts, &changed, e);
        if (rc) {
            rollback(j);
            if (rc == JOURNAL_EINPUT) {
                ss_err inner = *e;
                if (inv->lines)
                    ss_errf(e, "%s:%d: %s", source, inv->lines[i], inner.msg);
                else
                    ss_errf(e, "%s: site %s: %s", source, inv->sites[i].code,
                            inner.msg);
            }
            return rc;
        }
        if (changed == 1)
            st.added++;
        else if (changed == 2)
            st.updated++;
        else
            st.unchanged++;
    }
    char *data = xasprintf("{\"sites\":%zu,\"added\":%zu,\"updated\":%zu,"
                           "\"unchanged\":%zu}",
                           inv->n, st.added, st.updated, st.unchanged);
    int rc = append(j, NULL, 0, NULL, "import", source, data, ts, NULL, e);
    free(data);
    if (rc || commit(j, e)) {
        rollback(j);
        return -1;
    }
    if (stats)
        *stats = st;
    return 0;
}

int journal_site_save(journal *j, const site *s, bool create, ss_err *e)
{
    site_field bad;
    if (site_check(s, &bad, e))
        return JOURNAL_EINPUT;
    char ts[32];
    utc_now(ts);
    if (begin(j, e))
        return -1;
    site old;
    int rc = journal_site_get(j, s->code, &old, e);
    if (rc < 0) {
        rollback(j);
        return -1;
    }
    if (create && rc == 0) {
        rollback(j);
        ss_errf(e, "site %s already exists", s->code);
        return JOURNAL_EINPUT;
    }
    if (!create && rc == JOURNAL_NOTFOUND) {
        rollback(j);
        ss_errf(e, "no site %s in the journal", s->code);
        return JOURNAL_EINPUT;
    }
    int changed;
    rc = site_put(j, s, ts, &changed, e);
    if (rc || commit(j, e)) {
        rollback(j);
        return rc == JOURNAL_EINPUT ? JOURNAL_EINPUT : -1;
    }
    return 0;
}

/* Sets the state inside a transaction, journaled when it changes. */
static int set_state(journal *j, const char *code, site_state to,
                     bool internal, const char *ts, ss_err *e)
{
    site s;
    int rc = journal_site_get(j, code, &s, e);
    if (rc < 0)
        return -1;
    if (rc == JOURNAL_NOTFOUND) {
        ss_errf(e, "no site %s in the journal", code);
        return JOURNAL_EINPUT;
    }
    if (s.state == to)
        return 0;
    if (!internal && (to == STATE_CLEANING || s.state == STATE_CLEANING)) {
        ss_errf(e, "%s: the state \"cleaning\" belongs to an open cleanup "
                   "run; sitesweep sets it when a run starts and clears it "
                   "when the run completes", s.code);
        return JOURNAL_EINPUT;
    }
    char *data = xasprintf("{\"from\":\"%s\",\"to\":\"%s\"}",
                           site_state_name(s.state), site_state_name(to));
    s.state = to;
    rc = site_store(j, &s, e) ||
         append(j, s.code, 0, NULL, "site-state", NULL, data, ts, NULL, e);
    free(data);
    return rc ? -1 : 0;
}

int journal_site_set_state(journal *j, const char *code, site_state st,
                           ss_err *e)
{
    char ts[32];
    utc_now(ts);
    if (begin(j, e))
        return -1;
    int rc = set_state(j, code, st, false, ts, e);
    if (rc || commit(j, e)) {
        rollback(j);
        return rc ? rc : -1;
    }
    return 0;
}

int journal_sites(journal *j, site_row **rows, size_t *n, ss_err *e)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = prep(j,
        "SELECT s.code, s.name, s.parent, s.server, s.drive, s.state,"
        " s.logon, s.servers, s.pdc, s.last_ts, r.id, r.open, r.closed,"
        " r.applicable, r.started, r.ended, r.resume, r.procedure"
        " FROM sites s LEFT JOIN runs r ON r.id = s.run ORDER BY s.code", e);
    if (!st)
        return -1;
    size_t cap = 16, count = 0;
    site_row *out = xcalloc(cap, sizeof *out);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap)
            out = xrealloc(out, (cap *= 2) * sizeof *out);
        site_row *r = &out[count++];
        memset(r, 0, sizeof *r);
        site_from_row(st, 0, &r->site);
        copy_col(st, 9, r->last_activity, sizeof r->last_activity);
        r->run = sqlite3_column_int64(st, 10);
        r->run_open = sqlite3_column_int(st, 11) != 0;
        r->closed = (size_t)sqlite3_column_int64(st, 12);
        r->applicable = (size_t)sqlite3_column_int64(st, 13);
        copy_col(st, 14, r->run_started, sizeof r->run_started);
        copy_col(st, 15, r->run_ended, sizeof r->run_ended);
        copy_col(st, 16, r->resume, sizeof r->resume);
        copy_col(st, 17, r->run_procedure, sizeof r->run_procedure);
    }
    done(j, st);
    if (rc != SQLITE_DONE) {
        free(out);
        return db_fail(j, e, "cannot read sites");
    }
    *rows = out;
    *n = count;
    return 0;
}

/* ---- runs ---- */

/* The procedure stored under hash, parsed once and cached. */
static const procedure *stored_procedure(journal *j, const char *hash,
                                         ss_err *e)
{
    if (strcmp(j->cached_hash, hash) == 0)
        return &j->cached;
    sqlite3_stmt *st = prep(j, "SELECT text FROM procedures WHERE hash = ?", e);
    if (!st)
        return NULL;
    bind_text(st, 1, hash);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        done(j, st);
        if (rc == SQLITE_DONE)
            ss_errf(e, "%s: the procedure %.12s of this run is missing from "
                       "the journal", j->path, hash);
        else
            db_fail(j, e, "cannot read the run's procedure");
        return NULL;
    }
    procedure p;
    const char *text = (const char *)sqlite3_column_blob(st, 0);
    int len = sqlite3_column_bytes(st, 0);
    char name[96];
    snprintf(name, sizeof name, "%s(procedure %.12s)", j->path, hash);
    rc = procedure_parse(text ? text : "", (size_t)len, name, &p, e);
    done(j, st);
    if (rc)
        return NULL;
    procedure_free(&j->cached);
    j->cached = p;
    snprintf(j->cached_hash, sizeof j->cached_hash, "%s", hash);
    return &j->cached;
}

static void procedure_copy(procedure *dst, const procedure *src)
{
    ss_err e;
    if (procedure_parse(src->text, src->textlen, "procedure", dst, &e) != 0)
        memset(dst, 0, sizeof *dst); /* cannot happen: it parsed before */
}

void run_view_free(run_view *rv)
{
    procedure_free(&rv->proc);
    run_state_free(&rv->st);
    memset(rv, 0, sizeof *rv);
}

/* Loads the item states of run id into a fresh run_state. */
static int load_states(journal *j, int64_t id, const procedure *p,
                       const site *s, run_state *rs, ss_err *e)
{
    run_state_init(rs, p, s);
    sqlite3_stmt *st = prep(j, "SELECT item, state FROM item_states WHERE run = ?", e);
    if (!st) {
        run_state_free(rs);
        return -1;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int idx = procedure_find(p, col_text(st, 0));
        const char *name = col_text(st, 1);
        for (int k = ITEM_OPEN; k < ITEM_NA && idx >= 0; k++)
            if (strcmp(name, item_state_name((item_state)k)) == 0)
                run_state_set(rs, (size_t)idx, (item_state)k);
    }
    done(j, st);
    if (rc != SQLITE_DONE) {
        run_state_free(rs);
        return db_fail(j, e, "cannot read the run");
    }
    return 0;
}

/* The open run of a site: id and procedure hash; JOURNAL_NOTFOUND. */
static int open_run(journal *j, const char *code, int64_t *id, char hash[65],
                    char started[32], ss_err *e)
{
    sqlite3_stmt *st = prep(j, "SELECT id, procedure, started FROM runs"
                               " WHERE site = upper(?) AND open = 1", e);
    if (!st)
        return -1;
    bind_text(st, 1, code);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        copy_col(st, 1, hash, 65);
        if (started)
            copy_col(st, 2, started, 32);
    }
    done(j, st);
    if (rc == SQLITE_DONE)
        return JOURNAL_NOTFOUND;
    if (rc != SQLITE_ROW)
        return db_fail(j, e, "cannot read runs");
    return 0;
}

/* Stores the run's counters and resume point, derived from rs. */
static int store_progress(journal *j, int64_t id, const procedure *p,
                          const run_state *rs, ss_err *e)
{
    int at = run_state_resume(rs);
    sqlite3_stmt *st = prep(j, "UPDATE runs SET closed = ?, applicable = ?,"
                               " resume = ? WHERE id = ?", e);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)rs->closed);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)rs->applicable);
    bind_text(st, 3, at >= 0 ? p->items[at].id : "");
    sqlite3_bind_int64(st, 4, id);
    int rc = sqlite3_step(st);
    done(j, st);
    return rc == SQLITE_DONE ? 0 : db_fail(j, e, "cannot record progress");
}

/* A site's data changed: re-decide what applies in its open run. */
static int refresh_open_run(journal *j, const site *s, const char *ts,
                            ss_err *e)
{
    (void)ts;
    int64_t id;
    char hash[65];
    int rc = open_run(j, s->code, &id, hash, NULL, e);
    if (rc)
        return rc == JOURNAL_NOTFOUND ? 0 : -1;
    const procedure *p = stored_procedure(j, hash, e);
    if (!p)
        return -1;
    run_state rs;
    if (load_states(j, id, p, s, &rs, e))
        return -1;
    rc = store_progress(j, id, p, &rs, e);
    run_state_free(&rs);
    return rc;
}

/* Fills out with run id of site s: its procedure, times and item states. */
static int load_run(journal *j, const site *s, int64_t id, run_view *out,
                    ss_err *e)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = prep(j, "SELECT procedure, started, ended, open"
                               " FROM runs WHERE id = ? AND site = ?", e);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, s->code);
    char hash[65] = "";
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_col(st, 0, hash, sizeof hash);
        copy_col(st, 1, out->started, sizeof out->started);
        copy_col(st, 2, out->ended, sizeof out->ended);
        out->open = sqlite3_column_int(st, 3) != 0;
    }
    done(j, st);
    if (rc == SQLITE_DONE)
        return JOURNAL_NOTFOUND;
    if (rc != SQLITE_ROW)
        return db_fail(j, e, "cannot read runs");
    const procedure *p = stored_procedure(j, hash, e);
    if (!p)
        return -1;
    procedure_copy(&out->proc, p);
    out->id = id;
    snprintf(out->site, sizeof out->site, "%s", s->code);
    if (load_states(j, id, &out->proc, s, &out->st, e)) {
        run_view_free(out);
        return -1;
    }
    return 0;
}

int journal_run_current(journal *j, const char *code, run_view *out, ss_err *e)
{
    memset(out, 0, sizeof *out);
    site s;
    int rc = journal_site_get(j, code, &s, e);
    if (rc)
        return rc == JOURNAL_NOTFOUND ? JOURNAL_NOTFOUND : -1;
    int64_t id;
    char hash[65];
    rc = open_run(j, s.code, &id, hash, NULL, e);
    return rc ? rc : load_run(j, &s, id, out, e);
}

int journal_run_get(journal *j, const char *code, int64_t id, run_view *out,
                    ss_err *e)
{
    memset(out, 0, sizeof *out);
    site s;
    int rc = journal_site_get(j, code, &s, e);
    if (rc)
        return rc == JOURNAL_NOTFOUND ? JOURNAL_NOTFOUND : -1;
    return load_run(j, &s, id, out, e);
}

/* Starts a run inside a transaction. */
static int start_run(journal *j, const site *s, const procedure *p,
                     const char *ts, int64_t *id, ss_err *e)
{
    sqlite3_stmt *st = prep(j, "INSERT OR IGNORE INTO procedures(hash, name, text)"
                               " VALUES(?, ?, ?)", e);
    if (!st)
        return -1;
    bind_text(st, 1, p->hash);
    bind_text(st, 2, p->name);
    sqlite3_bind_blob(st, 3, p->text, (int)p->textlen, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    done(j, st);
    if (rc != SQLITE_DONE)
        return db_fail(j, e, "cannot store the procedure");
    st = prep(j, "INSERT INTO runs(site, procedure, started, open)"
                 " VALUES(?, ?, ?, 1)", e);
    if (!st)
        return -1;
    bind_text(st, 1, s->code);
    bind_text(st, 2, p->hash);
    bind_text(st, 3, ts);
    rc = sqlite3_step(st);
    done(j, st);
    if (rc != SQLITE_DONE)
        return db_fail(j, e, "cannot start the run");
    *id = sqlite3_last_insert_rowid(j->db);
    char *data = xasprintf("{\"procedure\":\"%s\",\"hash\":\"%s\"}",
                           p->name, p->hash);
    rc = append(j, s->code, *id, NULL, "run-started", NULL, data, ts, NULL, e);
    free(data);
    if (rc)
        return -1;
    st = prep(j, "UPDATE sites SET run = ? WHERE code = ?", e);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, *id);
    bind_text(st, 2, s->code);
    rc = sqlite3_step(st);
    done(j, st);
    if (rc != SQLITE_DONE)
        return db_fail(j, e, "cannot start the run");
    run_state rs;
    run_state_init(&rs, p, s);
    rc = store_progress(j, *id, p, &rs, e);
    run_state_free(&rs);
    return rc ? -1 : set_state(j, s->code, STATE_CLEANING, true, ts, e);
}

int journal_run_start(journal *j, const char *code, const procedure *p,
                      run_view *out, ss_err *e)
{
    char ts[32];
    utc_now(ts);
    if (begin(j, e))
        return -1;
    site s;
    int rc = journal_site_get(j, code, &s, e);
    if (rc == JOURNAL_NOTFOUND) {
        rollback(j);
        ss_errf(e, "no site %s in the journal", code);
        return JOURNAL_EINPUT;
    }
    int64_t id;
    char hash[65];
    if (rc == 0 && (rc = open_run(j, s.code, &id, hash, NULL, e)) == 0) {
        rollback(j);
        ss_errf(e, "site %s already has an open cleanup run (%lld)", s.code,
                (long long)id);
        return JOURNAL_EINPUT;
    }
    if (rc < 0 || start_run(j, &s, p, ts, &id, e) || commit(j, e)) {
        rollback(j);
        return -1;
    }
    return out ? journal_run_current(j, s.code, out, e) : 0;
}

/* Upserts the recorded state of one item. */
static int store_item(journal *j, int64_t run, const char *item,
                      item_state s, int64_t event_id, ss_err *e)
{
    sqlite3_stmt *st = prep(j, "INSERT INTO item_states(run, item, state, event)"
                               " VALUES(?,?,?,?) ON CONFLICT(run, item) DO UPDATE"
                               " SET state = excluded.state, event = excluded.event", e);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    bind_text(st, 2, item);
    bind_text(st, 3, item_state_name(s));
    sqlite3_bind_int64(st, 4, event_id);
    int rc = sqlite3_step(st);
    done(j, st);
    return rc == SQLITE_DONE ? 0 : db_fail(j, e, "cannot record the item");
}

/* Closes a completed run and marks the site clean. */
static int complete_run(journal *j, const site *s, int64_t run, const char *ts,
                        ss_err *e)
{
    if (append(j, s->code, run, NULL, "run-completed", NULL, NULL, ts, NULL, e))
        return -1;
    sqlite3_stmt *st = prep(j, "UPDATE runs SET open = 0, ended = ? WHERE id = ?", e);
    if (!st)
        return -1;
    bind_text(st, 1, ts);
    sqlite3_bind_int64(st, 2, run);
    int rc = sqlite3_step(st);
    done(j, st);
    if (rc != SQLITE_DONE)
        return db_fail(j, e, "cannot close the run");
    st = prep(j, "DELETE FROM holds WHERE run = ?", e);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    rc = sqlite3_step(st);
    done(j, st);
    if (rc != SQLITE_DONE)
        return db_fail(j, e, "cannot close the run");
    return set_state(j, s->code, STATE_CLEAN, true, ts, e);
}

/* ---- consoles holding runs ---- */

void journal_set_console(journal *j, bool console)
{
    j->console = console;
}

/* The run's holder: 0 found, JOURNAL_NOTFOUND, -1. */
static int holder_of(journal *j, int64_t run, run_holder *h, ss_err *e)
{
    sqlite3_stmt *st = prep(j, "SELECT operator, host, pid, since FROM holds"
                               " WHERE run = ?", e);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy_col(st, 0, h->operator_name, sizeof h->operator_name);
        copy_col(st, 1, h->host, sizeof h->host);
        h->pid = (long)sqlite3_column_int64(st, 2);
        copy_col(st, 3, h->since, sizeof h->since);
    }
    done(j, st);
    if (rc == SQLITE_DONE)
        return JOURNAL_NOTFOUND;
    return rc == SQLITE_ROW ? 0 : db_fail(j, e, "cannot read who holds the run");
}

static bool holder_is_me(const journal *j, const run_holder *h)
{
    return h->pid == (long)getpid() && strcmp(h->host, j->host) == 0;
}

/* A holder on this host whose process is gone holds nothing. Holders on
 * other hosts cannot be checked and count as alive. */
static bool holder_alive(const journal *j, const run_holder *h)
{
    if (strcmp(h->host, j->host) != 0)
        return true;
    return h->pid > 0 && (kill((pid_t)h->pid, 0) == 0 || errno == EPERM);
}

/* Whether another live console holds the run; fills *by. */
static int held_by_other(journal *j, int64_t run, run_holder *by, ss_err *e)
{
    run_holder h;
    int rc = holder_of(j, run, &h, e);
    if (rc < 0)
        return -1;
    if (rc == JOURNAL_NOTFOUND || holder_is_me(j, &h) || !holder_alive(j, &h))
        return 0;
    if (by)
        *by = h;
    return 1;
}

int journal_run_claim(journal *j, int64_t run, bool takeover, run_holder *by,
                      ss_err *e)
{
    char ts[32];
    utc_now(ts);
    if (begin(j, e))
        return -1;
    run_holder h;
    int rc = held_by_other(j, run, &h, e);
    if (rc == 1 && !takeover) {
        rollback(j);
        if (by)
            *by = h;
        return JOURNAL_HELD;
    }
    if (rc == 1) {
        char site_code[4] = "";
        sqlite3_stmt *q = prep(j, "SELECT site FROM runs WHERE id = ?", e);
        if (q) {
            sqlite3_bind_int64(q, 1, run);
            if (sqlite3_step(q) == SQLITE_ROW)
                copy_col(q, 0, site_code, sizeof site_code);
            done(j, q);
        }
        char *note = xasprintf("taken over from %s on %s (pid %ld, holding "
                               "since %s)", h.operator_name, h.host, h.pid,
                               h.since);
        rc = append(j, site_code, run, NULL, "handover", note, NULL, ts, NULL, e);
        free(note);
    }
    sqlite3_stmt *st = rc < 0 ? NULL
        : prep(j, "INSERT OR REPLACE INTO holds(run, operator, host, pid, since)"
                  " VALUES(?, ?, ?, ?, ?)", e);
    if (!st) {
        rollback(j);
        return -1;
    }
    sqlite3_bind_int64(st, 1, run);
    bind_text(st, 2, j->operator_name);
    bind_text(st, 3, j->host);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)getpid());
    bind_text(st, 5, ts);
    rc = sqlite3_step(st);
    done(j, st);
    if (rc != SQLITE_DONE) {
        db_fail(j, e, "cannot claim the run");
        rollback(j);
        return -1;
    }
    return commit(j, e);
}

int journal_run_release(journal *j, int64_t run, ss_err *e)
{
    sqlite3_stmt *st = prep(j, "DELETE FROM holds WHERE run = ? AND pid = ?"
                               " AND host = ?", e);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)getpid());
    bind_text(st, 3, j->host);
    int rc = sqlite3_step(st);
    done(j, st);
    return rc == SQLITE_DONE ? 0 : db_fail(j, e, "cannot release the run");
}

/* Resolves site, run (starting one when allowed) and item for a write. */
typedef struct mark_ctx {
    site s;
    int64_t run;
    const procedure *p;
    int idx;
    bool started;
} mark_ctx;

/* Whether recording (item, o) with no open run would only repeat the
 * confirmation that completed the site's latest run: an operator re-running
 * the command after a crash that hid its success. */
static int repeats_completion(journal *j, const site *s, const char *item,
                              outcome o, int64_t *run, ss_err *e)
{
    sqlite3_stmt *st = prep(j,
        "SELECT e.run, e.item, e.kind FROM sites s JOIN runs r ON r.id = s.run"
        " JOIN events e ON e.run = r.id WHERE s.code = ? AND r.open = 0"
        " AND e.kind IN ('done', 'skipped') ORDER BY e.id DESC LIMIT 1", e);
    if (!st)
        return -1;
    bind_text(st, 1, s->code);
    int rc = sqlite3_step(st), same = 0;
    if (rc == SQLITE_ROW) {
        same = str_ieq(col_text(st, 1), item) &&
               strcmp(col_text(st, 2), outcome_name(o)) == 0;
        *run = sqlite3_column_int64(st, 0);
    }
    done(j, st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(j, e, "cannot read runs");
    return same;
}

static int mark_prepare(journal *j, const char *code, const char *item,
                        int retry_of, const procedure *start_with,
                        const char *ts, mark_ctx *m, ss_err *e)
{
    int rc = journal_site_get(j, code, &m->s, e);
    if (rc == JOURNAL_NOTFOUND) {
        ss_errf(e, "no site %s in the journal", code);
        return JOURNAL_EINPUT;
    }
    if (rc)
        return -1;
    char hash[65];
    rc = open_run(j, m->s.code, &m->run, hash, NULL, e);
    if (rc < 0)
        return -1;
    if (rc == JOURNAL_NOTFOUND) {
        if (!start_with) {
            ss_errf(e, "site %s has no open cleanup run", m->s.code);
            return JOURNAL_EINPUT;
        }
        if (procedure_find(start_with, item) < 0) {
            ss_errf(e, "no item \"%s\" in procedure %s", item, start_with->name);
            return JOURNAL_EINPUT;
        }
        if (retry_of >= 0) {
            int again = repeats_completion(j, &m->s, item, (outcome)retry_of,
                                           &m->run, e);
            if (again)
                return again < 0 ? -1 : APPLY_ALREADY;
        }
        if (start_run(j, &m->s, start_with, ts, &m->run, e))
            return -1;
        m->started = true;
        m->s.state = STATE_CLEANING;
        snprintf(hash, sizeof hash, "%s", start_with->hash);
    }
    run_holder h;
    if (j->console && !m->started) {
        int held = held_by_other(j, m->run, &h, e);
        if (held < 0)
            return -1;
        if (held) {
            ss_errf(e, "the cleanup of %s was taken over by %s on %s at %s; "
                       "nothing was recorded", m->s.code, h.operator_name,
                    h.host, h.since);
            return JOURNAL_EINPUT;
        }
    }
    /* The caller's procedure when it is the run's (same bytes): no need
     * to parse the stored copy. */
    m->p = start_with && strcmp(start_with->hash, hash) == 0
               ? start_with : stored_procedure(j, hash, e);
    if (!m->p)
        return -1;
    m->idx = procedure_find(m->p, item);
    if (m->idx < 0) {
        ss_errf(e, "no item \"%s\" in procedure %s", item, m->p->name);
        return JOURNAL_EINPUT;
    }
    return 0;
}

int journal_mark(journal *j, const char *code, const char *item, outcome o,
                 const char *note, const procedure *p, mark_result *res,
                 ss_err *e)
{
    mark_result r;
    memset(&r, 0, sizeof r);
    if (res)
        *res = r;
    if ((unsigned)o >= OUT_COUNT)
        return ss_errf(e, "unknown outcome"), JOURNAL_EINPUT;
    if (outcome_needs_note(o) && (!note || !note[strspn(note, " \t")]))
        return ss_errf(e, "%s needs a note saying why", outcome_name(o)),
               JOURNAL_EINPUT;
    char ts[32];
    utc_now(ts);
    if (begin(j, e))
        return -1;
    mark_ctx m = {0};
    int rc = mark_prepare(j, code, item, (int)o, p, ts, &m, e);
    if (rc == APPLY_ALREADY) { /* it completed the latest run */
        rollback(j);
        r.already = true;
        r.run = m.run;
        if (res)
            *res = r;
        return 0;
    }
    run_state rs = {0};
    if (rc == 0 && (rc = load_states(j, m.run, m.p, &m.s, &rs, e)) == 0) {
        rc = run_state_apply(&rs, m.p, (size_t)m.idx, o, e);
        if (rc < 0)
            rc = JOURNAL_EINPUT;
    }
    const char *id = rc >= 0 ? m.p->items[m.idx].id : item;
    if (rc == APPLY_ALREADY) {
        r.already = true;
        r.run = m.run;
        rollback(j);
        run_state_free(&rs);
        if (res)
            *res = r;
        return 0;
    }
    if (rc == 0)
        rc = append(j, m.s.code, m.run, id, outcome_name(o), note, NULL, ts,
                    &r.event, e);
    if (rc == 0)
        rc = store_item(j, m.run, id, rs.recorded[m.idx], r.event, e);
    if (rc == 0)
        rc = store_progress(j, m.run, m.p, &rs, e);
    r.closed = rs.closed;
    r.applicable = rs.applicable;
    if (rc == 0)
        snprintf(r.procedure, sizeof r.procedure, "%s", m.p->hash);
    if (rc == 0 && run_state_complete(&rs)) {
        rc = complete_run(j, &m.s, m.run, ts, e);
        r.completed = rc == 0;
    }
    run_state_free(&rs);
    if (rc || (rc = commit(j, e))) {
        rollback(j);
        return rc == JOURNAL_EINPUT ? JOURNAL_EINPUT : -1;
    }
    r.run = m.run;
    r.started = m.started;
    if (res)
        *res = r;
    return 0;
}

int journal_note(journal *j, const char *code, const char *item,
                 const char *note, int64_t *event_id, ss_err *e)
{
    if (!note || !note[strspn(note, " \t")])
        return ss_errf(e, "the note is empty"), JOURNAL_EINPUT;
    char ts[32];
    utc_now(ts);
    if (begin(j, e))
        return -1;
    mark_ctx m = {0};
    int rc = mark_prepare(j, code, item, -1, NULL, ts, &m, e);
    if (rc == 0)
        rc = append(j, m.s.code, m.run, m.p->items[m.idx].id, "note", note,
                    NULL, ts, event_id, e);
    if (rc || (rc = commit(j, e))) {
        rollback(j);
        return rc == JOURNAL_EINPUT ? JOURNAL_EINPUT : -1;
    }
    return 0;
}
