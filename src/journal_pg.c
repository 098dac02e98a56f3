/* journal_pg.c - the PostgreSQL journal's own SQL: its schema (in a
 * schema of its own, "sitesweep" by default), versioned and migrated by
 * the program under an advisory lock, with events and stored procedures
 * append-only by trigger. The queries both backends share are in the
 * other journal_*.c files. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal_int.h"
#include "journal_pg.h"

/* Migrations: entry i takes the schema from version i to i + 1. Version
 * numbers are PostgreSQL's own (the SQLite file counts its own). */
static const char *const pg_migrations[] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE events("
    "  id BIGINT PRIMARY KEY,"
    "  ts TEXT NOT NULL, operator TEXT NOT NULL, host TEXT NOT NULL,"
    "  site TEXT NOT NULL DEFAULT '', run BIGINT NOT NULL DEFAULT 0,"
    "  item TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL,"
    "  note TEXT NOT NULL DEFAULT '', data TEXT NOT NULL DEFAULT '',"
    "  prev TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX events_site ON events(site, id);"
    "CREATE INDEX events_run ON events(run, id);"
    "CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS"
    "  $$BEGIN RAISE EXCEPTION '% are append-only', TG_ARGV[0]; END$$;"
    "CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events"
    "  FOR EACH ROW EXECUTE FUNCTION refuse_change('journal events');"
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events"
    "  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('journal events');"
    "CREATE TABLE procedures(hash TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  text BYTEA NOT NULL);"
    "CREATE TRIGGER procedures_no_change BEFORE UPDATE OR DELETE ON procedures"
    "  FOR EACH ROW EXECUTE FUNCTION refuse_change('stored procedures');"
    "CREATE TRIGGER procedures_no_truncate BEFORE TRUNCATE ON procedures"
    "  FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('stored procedures');"
    "CREATE TABLE sites(code TEXT PRIMARY KEY, name TEXT NOT NULL,"
    "  parent TEXT NOT NULL, server TEXT NOT NULL, drive TEXT NOT NULL,"
    "  state TEXT NOT NULL, logon INTEGER NOT NULL, servers TEXT NOT NULL,"
    "  pdc TEXT NOT NULL, last_event BIGINT NOT NULL DEFAULT 0,"
    "  last_ts TEXT NOT NULL DEFAULT '', run BIGINT NOT NULL DEFAULT 0);"
    "CREATE TABLE runs(id BIGINT PRIMARY KEY, site TEXT NOT NULL,"
    "  procedure TEXT NOT NULL, started TEXT NOT NULL,"
    "  ended TEXT NOT NULL DEFAULT '', open INTEGER NOT NULL,"
    "  closed INTEGER NOT NULL DEFAULT 0,"
    "  applicable INTEGER NOT NULL DEFAULT 0,"
    "  resume TEXT NOT NULL DEFAULT '',"
    "  number INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL DEFAULT 'open',"
    "  prior TEXT NOT NULL DEFAULT '',"
    /* what the run list reads, kept with each event (journal_stats.c) */
    "  last_ts TEXT NOT NULL DEFAULT '',"
    "  active_ms BIGINT NOT NULL DEFAULT 0,"
    "  operators TEXT NOT NULL DEFAULT '[]',"
    "  hosts TEXT NOT NULL DEFAULT '[]',"
    "  n_done INTEGER NOT NULL DEFAULT 0,"
    "  n_skipped INTEGER NOT NULL DEFAULT 0,"
    "  n_failed INTEGER NOT NULL DEFAULT 0,"
    "  n_na INTEGER NOT NULL DEFAULT 0,"
    "  n_open INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX runs_one_open ON runs(site) WHERE open = 1;"
    "CREATE UNIQUE INDEX runs_site_number ON runs(site, number);"
    "CREATE TABLE item_states(run BIGINT NOT NULL, item TEXT NOT NULL,"
    "  state TEXT NOT NULL, event BIGINT NOT NULL, PRIMARY KEY(run, item));"
    /* A hold also names the database session (backend pid) whose advisory
     * lock keeps it: when that session ends, the hold has ended. */
    "CREATE TABLE holds(run BIGINT PRIMARY KEY, operator TEXT NOT NULL,"
    "  host TEXT NOT NULL, pid BIGINT NOT NULL, since TEXT NOT NULL,"
    "  backend BIGINT NOT NULL DEFAULT 0);",
    /* 1 -> 2: the filter index (events_grams, see "the filter index"
     * below), in byte order as SQLite's; back-filled in C from the
     * events by grams_backfill. */
    "CREATE TABLE events_grams(gram TEXT COLLATE \"C\" NOT NULL,"
    "  block BIGINT NOT NULL, PRIMARY KEY(gram, block));",
};
#define NPG (sizeof pg_migrations / sizeof pg_migrations[0])

const int JOURNAL_PG_SCHEMA_VERSION = (int)NPG;

/* The version whose migration adds events_grams; its back-fill. */
#define PG_GRAMS_VERSION 2
static int grams_backfill(db *d);

bool jpg_schema_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 63 || !(islower((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              s[i] == '_'))
            return false;
    /* The server's own schemas, and the one every role writes by default. */
    return strncmp(s, "pg_", 3) != 0 && strcmp(s, "public") != 0 &&
           strcmp(s, "information_schema") != 0;
}

#define SCHEMA_NAME_RULE                                                   \
    "lower-case letters, digits and _, at most 63, not public, "          \
    "information_schema or pg_..."

/* Fails with what, the server's message and the journal's name. */
static int failed(db *d, const char *where, const char *what, ss_err *e)
{
    ss_errf(e, "%s: %s: %s", where, what, db_errmsg(d));
    if (db_in_transaction(d))
        db_exec(d, "ROLLBACK");
    return -1;
}

/* The schema's version: 0 when it has no meta table yet; -1 on failure. */
static int read_version(db *d, const char *schema, const char *where,
                        ss_err *e)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT to_regclass('%s.meta') IS NOT NULL",
             schema);
    db_stmt *st = db_prepare(d, sql, false);
    if (!st || db_step(st) != DB_ROW) {
        db_finalize(st);
        return failed(d, where, "cannot read the journal's schema", e);
    }
    bool has_meta = strcmp(db_col_text(st, 0), "t") == 0;
    db_finalize(st);
    if (!has_meta)
        return 0;
    st = db_prepare(d, "SELECT value FROM meta WHERE key = 'schema_version'",
                    false);
    int rc = st ? db_step(st) : DB_ERROR;
    if (rc == DB_ERROR) {
        db_finalize(st);
        return failed(d, where, "cannot read the journal's schema version", e);
    }
    /* A meta table without a sound version is a damaged journal: said as
     * such, never "upgraded" (its tables exist: that would fail, or worse,
     * build over them). */
    char got[64] = "";
    bool whole = false;
    if (rc == DB_ROW) {
        const char *t = db_col_text(st, 0);
        whole = t && strlen(t) < sizeof got;
        snprintf(got, sizeof got, "%s", t ? t : "");
    }
    db_finalize(st);
    char *end = NULL;
    long v = rc == DB_ROW && whole && isdigit((unsigned char)got[0])
                 ? strtol(got, &end, 10) : 0;
    if (rc == DB_ROW && end && *end == '\0' && v >= 1 && v <= INT32_MAX)
        return (int)v;
    if (db_in_transaction(d))
        db_exec(d, "ROLLBACK");
    if (rc != DB_ROW)
        return ss_errf(e, "%s: the journal is damaged: its meta table has no "
                          "schema_version (schema %s of database %s); nothing "
                          "was changed", where, schema, PQdb(db_pg(d))), -1;
    char *safe = str_escape_unsafe(got);
    ss_errf(e, "%s: the journal is damaged: its meta table's schema_version "
               "holds \"%s%s\", not a version number (schema %s of database "
               "%s); nothing was changed", where, safe, whole ? "" : "...",
            schema, PQdb(db_pg(d)));
    free(safe);
    return -1;
}

/* The tables each migration makes (entry i: version i to i + 1), to tell
 * a schema whose tables do not match its recorded version. */
static const char *const pg_migration_tables[][8] = {
    {"meta", "events", "procedures", "sites", "runs", "item_states",
     "holds", NULL},
    {"events_grams", NULL},
};

/* Refuses to migrate a schema from version v (0: no meta table) when a
 * table a later migration makes is already there (meta.schema_version
 * set back, or the meta table dropped): running the migration would fail
 * on the server's "already exists" or build over the journal. 0; -1 with
 * e naming the schema, the version and the table, the transaction rolled
 * back. */
static int tables_match_version(db *d, const char *schema, const char *where,
                                int v, ss_err *e)
{
    for (int i = v; i < (int)NPG; i++)
        for (size_t k = 0; pg_migration_tables[i][k]; k++) {
            const char *t = pg_migration_tables[i][k];
            char sql[256];
            snprintf(sql, sizeof sql,
                     "SELECT to_regclass('%s.%s') IS NOT NULL", schema, t);
            db_stmt *st = db_prepare(d, sql, false);
            if (!st || db_step(st) != DB_ROW) {
                db_finalize(st);
                return failed(d, where, "cannot read the journal's schema",
                              e);
            }
            bool there = strcmp(db_col_text(st, 0), "t") == 0;
            db_finalize(st);
            if (!there)
                continue;
            if (db_in_transaction(d))
                db_exec(d, "ROLLBACK");
            char rec[64];
            if (v)
                snprintf(rec, sizeof rec, "records version %d", v);
            else
                snprintf(rec, sizeof rec, "has no meta table");
            return ss_errf(e, "%s: the journal is damaged: its catalog does "
                              "not match its recorded version (schema %s of "
                              "database %s %s, but already holds table %s, "
                              "made by version %d); nothing was changed",
                           where, schema, PQdb(db_pg(d)), rec, t, i + 1),
                   -1;
        }
    return 0;
}

/* The schema's creation or upgrade inside d's open transaction (the
 * caller's: jpg_schema_setup's own, or copy's, so that a copy that fails
 * leaves no schema), under the migration lock; the transaction's
 * search_path set to schema. *version (when given) gets the version found
 * (0: none). 0; -1 with e set and the transaction rolled back. */
static int schema_setup_tx(db *d, const char *schema, const char *where,
                           int *version, ss_err *e)
{
    char sql[512];
    /* One migrating program at a time, on any host: the others wait. */
    snprintf(sql, sizeof sql,
             "SELECT pg_advisory_xact_lock(hashtext('sitesweep "
             "schema %s')); SET LOCAL search_path TO %s",
             schema, schema);
    if (db_exec(d, sql) != DB_DONE)
        return failed(d, where, "cannot open the journal", e);
    int v = read_version(d, schema, where, e);
    if (v < 0)
        return -1;
    if (v > (int)NPG) {
        db_exec(d, "ROLLBACK");
        return ss_errf(e, "%s: the journal's schema %s is version %d, newer "
                          "than this sitesweep knows (%d): upgrade sitesweep; "
                          "nothing was changed", where, schema, v, (int)NPG),
               -1;
    }
    if (v < (int)NPG && tables_match_version(d, schema, where, v, e))
        return -1;
    if (v == 0) {
        snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS %s", schema);
        if (db_exec(d, sql) != DB_DONE)
            return failed(d, where, "cannot create the journal's schema", e);
    }
    for (int i = v; i < (int)NPG; i++) {
        if (db_exec(d, pg_migrations[i]) != DB_DONE ||
            (i + 1 == PG_GRAMS_VERSION && grams_backfill(d))) {
            char what[64];
            snprintf(what, sizeof what, "cannot upgrade the journal to "
                                        "version %d", i + 1);
            return failed(d, where, what, e);
        }
    }
    if (v < (int)NPG) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO meta(key, value) VALUES('schema_version', '%d')"
                 " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 (int)NPG);
        if (db_exec(d, sql) != DB_DONE)
            return failed(d, where, "cannot record the schema version", e);
    }
    if (version)
        *version = v;
    return 0;
}

int jpg_schema_setup(db *d, const char *schema, const char *where,
                     int *version, ss_err *e)
{
    if (!jpg_schema_name_ok(schema))
        return ss_errf(e, "%s: \"%s\" is not a usable schema name ("
                          SCHEMA_NAME_RULE ")", where, schema), -1;
    char sql[512];
    if (db_exec(d, "BEGIN") != DB_DONE)
        return failed(d, where, "cannot open the journal", e);
    int v;
    if (schema_setup_tx(d, schema, where, &v, e))
        return -1;
    if (db_exec(d, "COMMIT") != DB_DONE)
        return failed(d, where, "cannot set up the journal", e);
    /* The shared queries name tables without a schema. */
    snprintf(sql, sizeof sql, "SET search_path TO %s", schema);
    if (db_exec(d, sql) != DB_DONE)
        return failed(d, where, "cannot use the journal's schema", e);
    if (version)
        *version = v;
    return 0;
}

/* ---- holds ---- */

/* The lock class of run's hold in generation gen: the schema and the
 * generation (0: the run was never handed over, the key older sitesweeps
 * used). */
static void hold_class(char *cls, size_t n, const char *schema, int64_t gen)
{
    if (gen)
        snprintf(cls, n, "sitesweep hold %s %lld", schema, (long long)gen);
    else
        snprintf(cls, n, "sitesweep hold %s", schema);
}

/* Runs sql (with the hold's lock class as ?1 and the run as ?2) for one
 * boolean (t/f) or no row: 1, 0, or -1 with e set. */
static int hold_query(db *d, const char *sql, const char *schema,
                      int64_t run, int64_t gen, const char *what, ss_err *e)
{
    if (run < 1 || run > INT32_MAX)
        return ss_errf(e, "run %lld: out of the range holds can lock",
                       (long long)run), -1;
    char cls[128];
    hold_class(cls, sizeof cls, schema, gen);
    db_stmt *st = db_prepare(d, sql, true);
    if (!st)
        return ss_errf(e, "%s: %s", what, db_errmsg(d)), -1;
    db_bind_text(st, 1, cls);
    db_bind_int64(st, 2, run);
    int rc = db_step(st);
    int out = rc == DB_ROW ? strcmp(db_col_text(st, 0), "t") == 0 : 0;
    if (rc == DB_ERROR)
        out = (ss_errf(e, "%s: %s", what, db_errmsg(d)), -1);
    db_finalize(st);
    return out;
}

/* pg_locks rows of the hold's lock (?1 class, ?2 run), granted. */
#define HOLD_LOCKS                                                         \
    " FROM pg_locks WHERE locktype = 'advisory' AND classid ="           \
    " hashtext(?1)::oid AND objid = ?2::int::oid AND objsubid = 2 AND"    \
    " granted"

int jpg_hold_take(db *d, const char *schema, int64_t run, int64_t gen,
                  ss_err *e)
{
    /* Ours already: a session lock is re-entrant and would stack, so
     * look first. */
    int mine = hold_query(d, "SELECT EXISTS(SELECT 1" HOLD_LOCKS " AND pid ="
                             " pg_backend_pid())", schema, run, gen,
                          "cannot read the holds", e);
    if (mine)
        return mine;
    return hold_query(d, "SELECT pg_try_advisory_lock(hashtext(?1), ?2::int)",
                      schema, run, gen, "cannot take the hold", e);
}

int jpg_hold_drop(db *d, const char *schema, int64_t run, int64_t gen,
                  ss_err *e)
{
    int rc = hold_query(d, "SELECT pg_advisory_unlock(hashtext(?1), ?2::int)",
                        schema, run, gen, "cannot let the hold go", e);
    return rc < 0 ? -1 : 0;
}

int jpg_hold_drop_stale(db *d, const char *schema, int64_t run, int64_t gen,
                        ss_err *e)
{
    /* Every hold lock of run this session has under another class: the
     * classid is an oid, the lock function takes it back as an int4. */
    int rc = hold_query(d, "SELECT count(pg_advisory_unlock((classid::bigint"
                           " - CASE WHEN classid::bigint > 2147483647 THEN"
                           " 4294967296 ELSE 0 END)::int, objid::int)) >= 0"
                           " FROM pg_locks WHERE locktype = 'advisory' AND"
                           " objid = ?2::int::oid AND objsubid = 2 AND"
                           " granted AND pid = pg_backend_pid() AND classid"
                           " <> hashtext(?1)::oid", schema, run, gen,
                        "cannot let the old hold go", e);
    return rc < 0 ? -1 : 0;
}

int jpg_hold_alive(db *d, const char *schema, int64_t run, int64_t gen,
                   bool others, ss_err *e)
{
    return hold_query(d, others ? "SELECT EXISTS(SELECT 1" HOLD_LOCKS
                                  " AND pid <> pg_backend_pid())"
                                : "SELECT EXISTS(SELECT 1" HOLD_LOCKS ")",
                      schema, run, gen, "cannot read the holds", e);
}

int jpg_hold_session(db *d, const char *schema, int64_t run, int64_t gen,
                     run_holder *h, ss_err *e)
{
    if (run < 1 || run > INT32_MAX)
        return ss_errf(e, "run %lld: out of the range holds can lock",
                       (long long)run), -1;
    char cls[128];
    hold_class(cls, sizeof cls, schema, gen);
    db_stmt *st = db_prepare(d,
        "SELECT coalesce(a.usename::text, ''), CASE WHEN a.client_port = -1"
        " THEN 'the server''s host (local socket)' ELSE"
        " coalesce(a.client_hostname, host(a.client_addr), 'a host the"
        " server does not show to this role') END, l.pid,"
        " coalesce(to_char(a.backend_start AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''),"
        " coalesce(a.application_name, '')"
        " FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.classid = hashtext(?1)::oid"
        " AND l.objid = ?2::int::oid AND l.objsubid = 2 AND l.granted"
        " AND l.pid <> pg_backend_pid() LIMIT 1", true);
    if (!st)
        return ss_errf(e, "cannot read the holds: %s", db_errmsg(d)), -1;
    db_bind_text(st, 1, cls);
    db_bind_int64(st, 2, run);
    int rc = db_step(st);
    if (rc == DB_ROW) {
        memset(h, 0, sizeof *h);
        snprintf(h->operator_name, sizeof h->operator_name,
                 "database role %s (%s)", db_col_text(st, 0),
                 *db_col_text(st, 4) ? db_col_text(st, 4) : "a session "
                 "without its hold recorded");
        snprintf(h->host, sizeof h->host, "%s", db_col_text(st, 1));
        h->pid = (long)db_col_int64(st, 2);
        snprintf(h->since, sizeof h->since, "%s", db_col_text(st, 3));
    }
    if (rc == DB_ERROR)
        ss_errf(e, "cannot read the holds: %s", db_errmsg(d));
    db_finalize(st);
    return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

/* ---- poolers ---- */

static int one_text(db *d, const char *sql, char *out, size_t n, ss_err *e)
{
    db_stmt *st = db_prepare(d, sql, false);
    int rc = st ? db_step(st) : DB_ERROR;
    if (rc == DB_ROW)
        snprintf(out, n, "%s", db_col_text(st, 0) ? db_col_text(st, 0) : "");
    db_finalize(st);
    if (rc == DB_ERROR)
        return ss_errf(e, "cannot check the database session: %s",
                       db_errmsg(d)), -1;
    if (rc != DB_ROW)
        out[0] = '\0';
    return 0;
}

/* A second connection with c's parameters holds a transaction open while
 * d (c's db) asks for its server process again: 1 when the two shared one
 * or d's changed, 0 when each kept its own, 2 when the second connection
 * could not begin a transaction (a pooler in statement mode refuses
 * BEGIN or drops the client), -1 on failure (e set). */
static int pooler_probe(PGconn *c, db *d, const char *pid, ss_err *e)
{
    PQconninfoOption *opts = PQconninfo(c);
    if (!opts)
        return ss_errf(e, "cannot check the database session: out of memory"),
               -1;
    int k = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        k++;
    const char **keys = xcalloc((size_t)k + 1, sizeof *keys);
    const char **vals = xcalloc((size_t)k + 1, sizeof *vals);
    k = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val) {
            keys[k] = o->keyword;
            vals[k++] = o->val;
        }
    PGconn *p = PQconnectdbParams(keys, vals, 0);
    free(keys);
    free(vals);
    PQconninfoFree(opts);
    char other[32] = "", again[64] = "";
    PGresult *r = NULL;
    bool began = false;
    if (PQstatus(p) == CONNECTION_OK) {
        PGresult *b = PQexec(p, "BEGIN");
        began = PQresultStatus(b) == PGRES_COMMAND_OK;
        PQclear(b);
        if (began)
            r = PQexec(p, "SELECT pg_backend_pid()::text");
    }
    int rc = 0;
    if (PQstatus(p) == CONNECTION_OK && !began) {
        /* A server takes BEGIN; a pooler in statement mode refuses it,
         * or ends the connection (below: no answer to a BEGIN). */
        rc = 2;
    } else if (!began && !r) {
        rc = 2;
    } else if (!r || PQresultStatus(r) != PGRES_TUPLES_OK ||
               PQntuples(r) != 1) {
        ss_errf(e, "cannot check the database session: %s",
                PQerrorMessage(p));
        rc = -1;
    } else
        snprintf(other, sizeof other, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    if (rc == 0)
        rc = one_text(d, "SELECT pg_backend_pid()::text", again, sizeof again,
                      e);
    PQfinish(p); /* its transaction ends with it */
    if (rc)
        return rc;
    return strcmp(other, pid) == 0 || strcmp(again, pid) != 0;
}

int jpg_session_check(db *d, char *why, size_t n, ss_err *e)
{
    char pid[32], marker[64], sql[160], got[64];
    if (one_text(d, "SELECT pg_backend_pid()::text", pid, sizeof pid, e))
        return -1;
    /* Outside a transaction: a session setting, as a lock would be. */
    snprintf(marker, sizeof marker, "%s.%ld", pid, (long)getpid());
    snprintf(sql, sizeof sql, "SET sitesweep.session = '%s'", marker);
    if (db_exec(d, sql) != DB_DONE)
        return ss_errf(e, "cannot check the database session: %s",
                       db_errmsg(d)), -1;
    for (int i = 0; i < 3; i++) {
        if (one_text(d, "SELECT pg_backend_pid()::text || ' ' ||"
                        " coalesce(current_setting('sitesweep.session',"
                        " true), '')", got, sizeof got, e))
            return -1;
        char want[128];
        snprintf(want, sizeof want, "%s %s", pid, marker);
        if (strcmp(got, want) != 0) {
            snprintf(why, n, "the connection is not a session of its own: "
                             "between two transactions it moved to another "
                             "server process or lost its settings (a pooler "
                             "such as pgbouncer in transaction mode?). "
                             "sitesweep ties a console's hold on a cleanup "
                             "to its session: connect directly, or through "
                             "a pooler in session mode");
            return 1;
        }
    }
    /* Alone behind a pooler in transaction mode, a client may be given
     * the same server process every time, and the checks above pass. A
     * pooler shows by the backend key it sent at connection, which is its
     * own, not the server's: then a second client's transaction must get
     * a server process of its own and leave this session its own. */
    PGconn *c = db_pg(d);
    if (c && PQbackendPID(c) != atoi(pid)) {
        int rc = pooler_probe(c, d, pid, e);
        if (rc == 2) {
            snprintf(why, n, "the connection refused a transaction (a "
                             "pooler such as pgbouncer in statement "
                             "mode?). sitesweep writes in transactions and "
                             "ties a console's hold on a cleanup to its "
                             "session: connect directly, or through a "
                             "pooler in session mode");
            return 1;
        }
        if (rc > 0)
            snprintf(why, n, "the connection is not a session of its own: "
                             "it shares its server process with another "
                             "client between transactions (a pooler such "
                             "as pgbouncer in transaction mode?). sitesweep "
                             "ties a console's hold on a cleanup to its "
                             "session: connect directly, or through a "
                             "pooler in session mode");
        return rc;
    }
    return 0;
}

/* ---- opening ---- */

#define APPEND_LOCK "sitesweep append "

/* Whether the journal's schema holds a journal (its meta table): 1, 0, or
 * -1 with e set. Creates nothing. */
static int journal_exists(db *d, const char *schema, const char *where,
                          ss_err *e)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT to_regclass('%s.meta') IS NOT NULL",
             schema);
    db_stmt *st = db_prepare(d, sql, false);
    int rc = st ? db_step(st) : DB_ERROR;
    int out = rc == DB_ROW && strcmp(db_col_text(st, 0), "t") == 0;
    if (rc != DB_ROW)
        out = (ss_errf(e, "%s: cannot read the journal's schema: %s", where,
                       db_errmsg(d)), -1);
    db_finalize(st);
    return out;
}

/* How pg_open treats a schema that holds no journal. */
typedef enum pg_open_mode {
    PG_EXISTING, /* J_NOTFOUND: nothing made */
    PG_CREATE,   /* made (and committed) now */
    PG_IN_WRITE, /* made by the journal's first write transaction, in it
                    (copy: a rollback or a lost connection leaves none) */
} pg_open_mode;

/* jpg_journal_open, jpg_journal_open_existing and
 * jpg_journal_open_for_copy. */
static int pg_open(const char *uri, pg_open_mode mode, journal **out,
                   ss_err *e)
{
    bool create = mode != PG_EXISTING, later = false;
    char where[1024], msg[1024];
    db_uri_redact(uri, where, sizeof where);
    const char *schema = getenv("SITESWEEP_PG_SCHEMA");
    if (!schema || !*schema)
        schema = "sitesweep";
    /* Said before connecting: nothing is touched with a bad name. */
    if (!jpg_schema_name_ok(schema))
        return ss_errf(e, "%s: SITESWEEP_PG_SCHEMA: \"%s\" is not a usable "
                          "schema name (" SCHEMA_NAME_RULE ")", where,
                       schema), J_EINPUT;
    db *d = db_connect_pg(uri, msg, sizeof msg);
    if (!d)
        return ss_errf(e, "%s", msg), J_ESTORAGE;
    /* The journal's text is UTF-8 and the filter's grams are folded from
     * it byte for byte: a database of another encoding would mangle text
     * (LATIN1: converted, or refused for what it cannot hold) or keep
     * bytes unchecked (SQL_ASCII), so that the filter's pre-check could
     * miss matches. Refused before anything is read or made. */
    const char *enc = PQparameterStatus(db_pg(d), "server_encoding");
    if (!enc || strcmp(enc, "UTF8") != 0) {
        ss_errf(e, "%s: database %s has the encoding %s; a sitesweep "
                   "journal needs a UTF8 database (createdb -E UTF8 "
                   "-T template0)", where, PQdb(db_pg(d)),
                enc ? enc : "(unknown)");
        db_close(d);
        return J_ESTORAGE;
    }
    if (mode != PG_CREATE) {
        int has = journal_exists(d, schema, where, e);
        if (has == 0 && !create)
            ss_errf(e, "%s: no journal yet in schema %s of database %s; "
                       "start with 'sitesweep import FILE' or the console",
                    where, schema, PQdb(db_pg(d)));
        if (has < 0 || (has == 0 && !create)) {
            db_close(d);
            return has == 0 ? J_NOTFOUND : J_ESTORAGE;
        }
        later = has == 0;
    }
    char why[512];
    int rc = jpg_session_check(d, why, sizeof why, e);
    if (rc > 0)
        ss_errf(e, "%s: %s", where, why);
    else if (rc < 0) {
        char said[sizeof e->msg];
        snprintf(said, sizeof said, "%s", e->msg);
        ss_errf(e, "%s: %s", where, said);
    }
    /* A write waits for another writer as long as on SQLite. */
    if (rc == 0 && db_exec(d, "SET lock_timeout = '5s'") != DB_DONE)
        rc = ss_errf(e, "%s: cannot open journal: %s", where, db_errmsg(d));
    if (rc == 0 && !later)
        rc = jpg_schema_setup(d, schema, where, NULL, e);
    if (rc == 0 && later) { /* made by the first write: named already */
        char sql[128];
        snprintf(sql, sizeof sql, "SET search_path TO %s", schema);
        if (db_exec(d, sql) != DB_DONE)
            rc = ss_errf(e, "%s: cannot use the journal's schema: %s", where,
                         db_errmsg(d));
    }
    if (rc) {
        db_close(d);
        return J_ESTORAGE;
    }
    journal *j = xcalloc(1, sizeof *j);
    j->pg_create = later;
    j->db = d;
    j->pg = true;
    j->be = &jdb_pg_backend;
    snprintf(j->schema, sizeof j->schema, "%s", schema);
    j->path = xstrdup(where);
    jdb_default_actor(j);
    *out = j;
    return J_OK;
}

int jpg_journal_open(const char *uri, journal **out, ss_err *e)
{
    return pg_open(uri, PG_CREATE, out, e);
}

int jpg_journal_open_existing(const char *uri, journal **out, ss_err *e)
{
    return pg_open(uri, PG_EXISTING, out, e);
}

int jpg_journal_open_for_copy(const char *uri, journal **out, ss_err *e)
{
    return pg_open(uri, PG_IN_WRITE, out, e);
}

int journal_name_check(const char *name, ss_err *e)
{
    char scheme[32];
    if (!db_uri_unknown_scheme(name, scheme, sizeof scheme))
        return J_OK;
    char show[1024];
    db_uri_redact(name, show, sizeof show);
    return ss_errf(e, "%s: not a journal: unknown URI scheme \"%s\" (a "
                      "PostgreSQL journal is postgresql://... or "
                      "postgres://..., in lower case; a SQLite journal is a "
                      "file name)", show, scheme), J_EINPUT;
}

void journal_name_redact(const char *name, char *out, size_t n)
{
    db_uri_redact(name, out, n);
}

char *jdb_name_shown(const char *name)
{
    size_t n = strlen(name) + 1;
    char *out = xcalloc(1, n);
    db_uri_redact(name, out, n);
    return out;
}

void jdb_err_redact(ss_err *e, const char *raw, const char *shown)
{
    if (!e || !raw || !*raw || !shown || strcmp(raw, shown) == 0)
        return;
    strbuf o = {0};
    size_t nl = strlen(raw);
    const char *p = e->msg, *hit;
    while ((hit = strstr(p, raw)) != NULL) {
        sb_printf(&o, "%.*s%s", (int)(hit - p), p, shown);
        p = hit + nl;
    }
    sb_puts(&o, p);
    snprintf(e->msg, sizeof e->msg, "%s", o.s ? o.s : "");
    sb_free(&o);
}

char *jdb_full_hint(const journal *j, char *buf, size_t n)
{
    if (n)
        buf[0] = '\0';
    if (!j->file)
        return buf;
    char full[PATH_MAX + 64];
    if (*disk_full_hint(j->file, full, sizeof full))
        snprintf(buf, n, " (no space left on the device holding %s)",
                 j->path);
    return buf;
}

int journal_open_existing(const char *path, journal **out, ss_err *e)
{
    *out = NULL;
    if (journal_name_check(path, e))
        return J_EINPUT;
    if (db_is_pg_uri(path))
        return jpg_journal_open_existing(path, out, e);
    struct stat st; /* lstat: a dangling link gets journal_open's message */
    if (lstat(path, &st) != 0 && errno == ENOENT)
        return ss_errf(e, "%s: no journal yet; start with 'sitesweep import "
                          "FILE' or the console", path), J_NOTFOUND;
    return journal_open(path, out, e);
}

/* After a write gave up waiting (lock_timeout, its transaction rolled
 * back): says in e which sessions hold the journal's write lock or a
 * lock on its tables that writes wait for, as the server knows them
 * (application, role, pid, client, since when), rather than guess it was
 * another sitesweep. */
static void busy_why(journal *j, ss_err *e)
{
    char sql[1600];
    snprintf(sql, sizeof sql,
        "WITH k AS (SELECT hashtext('" APPEND_LOCK "%s')::bigint AS key)"
        " SELECT coalesce(nullif(a.application_name, ''), 'a client') ||"
        " ' (role ' || coalesce(a.usename::text, '?') || ', pid ' || a.pid"
        " || ', ' || CASE WHEN a.client_port = -1 THEN 'local socket' ELSE"
        " coalesce(a.client_hostname, host(a.client_addr), 'host not"
        " shown') END || coalesce(', transaction open since ' ||"
        " to_char(a.xact_start AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') || ')'"
        " FROM pg_stat_activity a WHERE a.pid <> pg_backend_pid() AND a.pid"
        " IN (SELECT l.pid FROM pg_locks l, k WHERE l.granted AND"
        " ((l.locktype = 'advisory' AND l.objsubid = 1 AND l.classid ="
        " ((k.key >> 32) & 4294967295)::oid AND l.objid = (k.key &"
        " 4294967295)::oid) OR (l.locktype = 'relation' AND l.mode <>"
        " 'AccessShareLock' AND l.relation IN (SELECT c.oid FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname ="
        " '%s')))) ORDER BY a.pid LIMIT 3", j->schema, j->schema);
    db_stmt *st = db_prepare(j->db, sql, false);
    strbuf who = {0};
    int rc;
    while (st && (rc = db_step(st)) == DB_ROW) {
        char *safe = str_escape_unsafe(db_col_text(st, 0));
        sb_printf(&who, "%s%s", who.len ? "; " : "", safe);
        free(safe);
    }
    db_finalize(st);
    ss_errf(e, "%s: cannot start a write: the journal is busy: %s held its "
               "write lock or its tables for more than 5 s; nothing was "
               "recorded; try again", j->path,
            who.len ? who.s : "another session (it has let go since)");
    sb_free(&who);
}

int jpg_begin(journal *j, ss_err *e)
{
    if (db_lost(j->db) && jpg_reconnect(j, e))
        return -1;
    /* NOTIFY is delivered at commit and dropped with a rollback: the
     * consoles listening hear of every write that happened, and only
     * those (jpg_changed). */
    char sql[256];
    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock("
             "hashtext('" APPEND_LOCK "%s')); NOTIFY ss_%s", j->schema,
             j->schema);
    if (j->pg_create) {
        /* The schema is made in this write's transaction, before its
         * append lock (as every opening takes the migration lock first):
         * committed with the write, or gone with it. */
        if (jdb_exec(j, "BEGIN", "cannot start a write", e))
            return -1;
        if (schema_setup_tx(j->db, j->schema, j->path, NULL, e))
            return -1;
        snprintf(sql, sizeof sql, "SELECT pg_advisory_xact_lock("
                 "hashtext('" APPEND_LOCK "%s')); NOTIFY ss_%s", j->schema,
                 j->schema);
    }
    if (jdb_exec(j, sql, "cannot start a write", e)) {
        if (db_fault_of(j->db) == DB_FAULT_BUSY) {
            jdb_rollback(j);
            busy_why(j, e);
        }
        return -1;
    }
    return 0;
}

/* Sets what a session of the journal needs: 0, -1 (e). */
static int session_setup(journal *j, ss_err *e)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SET lock_timeout = '5s'; SET search_path TO %s",
             j->schema);
    if (jdb_exec(j, sql, "cannot use the journal", e))
        return -1;
    if (j->watching) {
        snprintf(sql, sizeof sql, "LISTEN ss_%s", j->schema);
        if (jdb_exec(j, sql, "cannot watch the journal", e))
            return -1;
    }
    return jpg_holds_retake(j, e);
}

int jpg_holds_retake(journal *j, ss_err *e)
{
    if (j->pg_create) /* no journal yet (copy's target): no holds */
        return 0;
    /* The holds this console had: its session locks went with the old
     * session; take them again (a run another console took meanwhile
     * stays its: the holds row names that console, and this console's
     * next write there is refused). The old session may still hold a
     * lock, when the server has not yet seen it gone (a network cut, a
     * stalled backend): that hold is owed, and taken at the next call. */
    db_stmt *st = jdb_prep(j, "SELECT run FROM holds WHERE pid = ? AND host = ?",
                           e);
    if (!st)
        return -1;
    db_bind_int64(st, 1, (int64_t)getpid());
    jdb_bind_text(st, 2, j->host);
    int64_t runs[64];
    size_t n = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW && n < 64)
        runs[n++] = db_col_int64(st, 0);
    jdb_done(j, st);
    int owed = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t gen;
        int took;
        if (jdb_hold_gen(j, runs[i], &gen, e) ||
            (took = jpg_hold_take(j->db, j->schema, runs[i], gen, e)) < 0)
            return -1;
        owed += took == 0;
    }
    j->pg_holds_owed = owed;
    return 0;
}

int jpg_reconnect(journal *j, ss_err *e)
{
    if (db_reconnect(j->db) != DB_DONE)
        return ss_errf(e, "%s: the journal cannot be reached: %s", j->path,
                       db_errmsg(j->db)), -1;
    return session_setup(j, e);
}

int jpg_watch(journal *j, ss_err *e)
{
    j->watching = true;
    char sql[128];
    snprintf(sql, sizeof sql, "LISTEN ss_%s", j->schema);
    return jdb_exec(j, sql, "cannot watch the journal", e) ? -1 : 0;
}

int jpg_session_ping(journal *j, bool *reconnected, ss_err *e)
{
    *reconnected = false;
    /* (a lost connection's transaction status is unknown: no write) */
    if (!db_lost(j->db) && db_in_transaction(j->db))
        return 0; /* a write is under way: it finds out itself */
    if (!db_lost(j->db) && db_exec(j->db, "SELECT 1") == DB_DONE)
        return 0;
    if (jpg_reconnect(j, e))
        return -1;
    *reconnected = true;
    return 0;
}

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int jpg_changed(journal *j, bool *changed, ss_err *e)
{
    PGconn *c = db_pg(j->db);
    *changed = false;
    /* Lost (the server went away): try again; once back, everything may
     * have changed meanwhile, and is read again. */
    if (db_lost(j->db)) {
        if (jpg_reconnect(j, e))
            return -1;
        *changed = true;
        return 0;
    }
    /* A connection can go half-open (a NAT or firewall drops it without
     * a word) and notifications just stop: every JPG_CHECK_MS, a query on
     * this same session; a failure reconnects, listens again and has
     * everything read again. */
    int64_t now = monotonic_ms();
    if (!j->pg_checked_ms)
        j->pg_checked_ms = now;
    if (now - j->pg_checked_ms >= JPG_CHECK_MS) {
        bool again;
        j->pg_checked_ms = now;
        if (jpg_session_ping(j, &again, e))
            return -1;
        if (again) {
            *changed = true;
            return 0;
        }
    }
    /* Reads what the server sent meanwhile, without waiting. A closed
     * connection (the backend ended, the server restarted) is connected
     * again at once. */
    /* (Twice: a read that got the server's last message, such as the
     * FATAL of a terminated backend, stops there; the second sees the
     * connection's end.) */
    if (!PQconsumeInput(c) || !PQconsumeInput(c) || db_lost(j->db)) {
        char msg[256];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        for (char *p = msg; *p; p++)
            if (*p == '\n')
                *p = ' ';
        if (jpg_reconnect(j, e) == 0) {
            *changed = true;
            return 0;
        }
        return ss_errf(e, "%s: the journal cannot be reached: %s", j->path,
                       msg), -1;
    }
    PGnotify *n;
    while ((n = PQnotifies(c)) != NULL) {
        if (n->be_pid != PQbackendPID(c)) /* not our own writes */
            *changed = true;
        PQfreemem(n);
    }
    /* A hold whose lock the old session kept: taken as soon as it ends. */
    if (j->pg_holds_owed && !db_in_transaction(j->db) &&
        jpg_holds_retake(j, e))
        return -1;
    return 0;
}

int jpg_keepalive(journal *j, bool *reconnected, ss_err *e)
{
    *reconnected = false;
    /* (A lost connection's transaction status is unknown, not idle: it
     * is no write under way.) */
    if (!db_lost(j->db) && db_in_transaction(j->db))
        return 0; /* a write is under way: it finds out itself */
    /* (Twice, as in jpg_changed: the second read sees the end of a
     * connection whose backend ended.) Notifications read here stay in
     * libpq's queue for jpg_changed. */
    if (db_lost(j->db) || !PQconsumeInput(db_pg(j->db)) ||
        !PQconsumeInput(db_pg(j->db)) || db_lost(j->db)) {
        if (jpg_reconnect(j, e))
            return -1;
        *reconnected = true;
        return 0;
    }
    /* A hold whose lock the lost old session kept: taken as soon as it
     * ends, a question open or not. */
    if (j->pg_holds_owed && jpg_holds_retake(j, e))
        return -1;
    int64_t now = monotonic_ms();
    if (!j->pg_checked_ms)
        j->pg_checked_ms = now;
    if (now - j->pg_checked_ms < JPG_CHECK_MS)
        return 0;
    j->pg_checked_ms = now;
    return jpg_session_ping(j, reconnected, e);
}

/* The refusing function's body and the triggers, as the schema makes
 * them. */
#define REFUSE_BODY "BEGIN RAISE EXCEPTION '% are append-only', TG_ARGV[0]; END"
static const char *const want_triggers[] = {
    "events_no_change", "events_no_truncate", "procedures_no_change",
    "procedures_no_truncate",
};

/* ---- the whole catalog ---- */

/* Everything in the journal's schema, one line per object, the schema's
 * own name left out: relations and their kinds, index definitions,
 * columns (type, NOT NULL, default), constraints, functions (kind,
 * language, body digest), types, operators, collations, conversions,
 * text search configurations, statistics. Triggers, rules, row-level
 * security and policies are checked with their own words (above). */
#define CATALOG_LINES \
    "SELECT CASE c.relkind WHEN 'r' THEN 'table ' WHEN 'i' THEN 'index ' WHEN 'S' THEN 'sequence ' WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' WHEN 'c' THEN 'type ' WHEN 'f' THEN 'foreign table ' WHEN 'p' THEN 'partitioned table ' WHEN 'I' THEN 'partitioned index ' ELSE 'relation ' END || c.relname || CASE WHEN c.relkind IN ('i', 'I') THEN ': ' || replace(replace(pg_get_indexdef(c.oid), s.pre, ''), s.pre2, '') ELSE '' END || CASE WHEN c.relispartition THEN ' (a partition)' ELSE '' END || CASE WHEN c.relhassubclass THEN ' (inherited)' ELSE '' END AS line FROM pg_class c JOIN s ON c.relnamespace = s.oid " \
    "UNION ALL SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') || CASE WHEN a.attgenerated <> '' THEN ' GENERATED' ELSE '' END || CASE WHEN a.attidentity <> '' THEN ' IDENTITY' ELSE '' END FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN s ON c.relnamespace = s.oid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') " \
    "UNION ALL SELECT 'constraint ' || coalesce(c.relname || '.', '') || k.conname || ': ' || replace(replace(pg_get_constraintdef(k.oid), s.pre, ''), s.pre2, '') || CASE WHEN k.convalidated THEN '' ELSE ' NOT VALID' END || CASE WHEN k.condeferrable THEN ' DEFERRABLE' ELSE '' END FROM pg_constraint k JOIN s ON k.connamespace = s.oid LEFT JOIN pg_class c ON c.oid = k.conrelid " \
    "UNION ALL SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || p.prokind::text || ' ' || l.lanname || ' ' || md5(coalesce(p.prosrc, '')) || CASE WHEN p.prosecdef THEN ' SECURITY DEFINER' ELSE '' END FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang JOIN s ON p.pronamespace = s.oid " \
    "UNION ALL SELECT 'type ' || t.typname FROM pg_type t JOIN s ON t.typnamespace = s.oid WHERE t.typrelid = 0 AND t.typcategory <> 'A' " \
    "UNION ALL SELECT 'operator ' || o.oprname FROM pg_operator o JOIN s ON o.oprnamespace = s.oid " \
    "UNION ALL SELECT 'collation ' || o.collname FROM pg_collation o JOIN s ON o.collnamespace = s.oid " \
    "UNION ALL SELECT 'conversion ' || o.conname FROM pg_conversion o JOIN s ON o.connamespace = s.oid " \
    "UNION ALL SELECT 'text search configuration ' || o.cfgname FROM pg_ts_config o JOIN s ON o.cfgnamespace = s.oid " \
    "UNION ALL SELECT 'statistics ' || o.stxname FROM pg_statistic_ext o JOIN s ON o.stxnamespace = s.oid "
/* s: the journal's schema (the search path's first), names printed with
 * it left out. */
#define CATALOG_CTE                                                        \
    "WITH s AS (SELECT oid, nspname || '.' AS pre, nspname || '.' AS pre2" \
    " FROM pg_namespace WHERE nspname = current_schema()) "
/* This session's temporary schema, where derive_want makes the schema's
 * objects: the server prints their names as pg_temp_N. or pg_temp. */
static const char catalog_temp_sql[] =
    "WITH s AS (SELECT oid, nspname || '.' AS pre, 'pg_temp.'::text AS pre2"
    " FROM pg_namespace WHERE oid = pg_my_temp_schema()) "
    "SELECT line FROM ( " CATALOG_LINES ") x ORDER BY 1";

/* The whole check in one statement, so that a write pays one round trip
 * for it: part 1, the triggers of the schema's tables (name, enabled,
 * function, body); part 2, what else can make a table swallow, rewrite
 * or hide rows without a trigger: rules (CREATE RULE ... DO INSTEAD),
 * row-level security and its policies (sitesweep makes none); part 3,
 * the catalog's lines (CATALOG_LINES). */
static const char check_sql[] =
    CATALOG_CTE
    "SELECT 1 AS part, t.tgname::text AS a, t.tgenabled::text AS b,"
    " p.proname::text AS c, p.prosrc AS d"
    " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
    " JOIN s ON s.oid = c.relnamespace"
    " JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal"
    " UNION ALL SELECT 2, 'rule ' || r.rulename || ' on ' || c.relname,"
    " NULL, NULL, NULL FROM pg_rewrite r JOIN pg_class c ON c.oid ="
    " r.ev_class JOIN s ON s.oid = c.relnamespace"
    " WHERE r.rulename <> '_RETURN'"
    " UNION ALL SELECT 2, 'row-level security on ' || c.relname, NULL,"
    " NULL, NULL FROM pg_class c JOIN s ON s.oid = c.relnamespace"
    " WHERE c.relrowsecurity OR c.relforcerowsecurity"
    " UNION ALL SELECT 2, 'policy ' || p.polname || ' on ' || c.relname,"
    " NULL, NULL, NULL FROM pg_policy p JOIN pg_class c ON c.oid ="
    " p.polrelid JOIN s ON s.oid = c.relnamespace"
    " UNION ALL SELECT 3, line, NULL, NULL, NULL FROM ( " CATALOG_LINES
    ") x ORDER BY 1, 2";

/* What catalog_sql reads from a schema sitesweep made (version 2: with
 * the filter index events_grams), in any order. */
static const char *const catalog_want[] = {
    "column events.data text NOT NULL DEFAULT ''::text",
    "column events.hash text NOT NULL",
    "column events.host text NOT NULL",
    "column events.id bigint NOT NULL",
    "column events.item text NOT NULL DEFAULT ''::text",
    "column events.kind text NOT NULL",
    "column events.note text NOT NULL DEFAULT ''::text",
    "column events.operator text NOT NULL",
    "column events.prev text NOT NULL",
    "column events.run bigint NOT NULL DEFAULT 0",
    "column events.site text NOT NULL DEFAULT ''::text",
    "column events.ts text NOT NULL",
    "column events_grams.block bigint NOT NULL",
    "column events_grams.gram text NOT NULL",
    "column holds.backend bigint NOT NULL DEFAULT 0",
    "column holds.host text NOT NULL",
    "column holds.operator text NOT NULL",
    "column holds.pid bigint NOT NULL",
    "column holds.run bigint NOT NULL",
    "column holds.since text NOT NULL",
    "column item_states.event bigint NOT NULL",
    "column item_states.item text NOT NULL",
    "column item_states.run bigint NOT NULL",
    "column item_states.state text NOT NULL",
    "column meta.key text NOT NULL",
    "column meta.value text NOT NULL",
    "column procedures.hash text NOT NULL",
    "column procedures.name text NOT NULL",
    "column procedures.text bytea NOT NULL",
    "column runs.active_ms bigint NOT NULL DEFAULT 0",
    "column runs.applicable integer NOT NULL DEFAULT 0",
    "column runs.closed integer NOT NULL DEFAULT 0",
    "column runs.ended text NOT NULL DEFAULT ''::text",
    "column runs.hosts text NOT NULL DEFAULT '[]'::text",
    "column runs.id bigint NOT NULL",
    "column runs.last_ts text NOT NULL DEFAULT ''::text",
    "column runs.n_done integer NOT NULL DEFAULT 0",
    "column runs.n_failed integer NOT NULL DEFAULT 0",
    "column runs.n_na integer NOT NULL DEFAULT 0",
    "column runs.n_open integer NOT NULL DEFAULT 0",
    "column runs.n_skipped integer NOT NULL DEFAULT 0",
    "column runs.number integer NOT NULL DEFAULT 0",
    "column runs.open integer NOT NULL",
    "column runs.operators text NOT NULL DEFAULT '[]'::text",
    "column runs.prior text NOT NULL DEFAULT ''::text",
    "column runs.procedure text NOT NULL",
    "column runs.resume text NOT NULL DEFAULT ''::text",
    "column runs.site text NOT NULL",
    "column runs.started text NOT NULL",
    "column runs.state text NOT NULL DEFAULT 'open'::text",
    "column sites.code text NOT NULL",
    "column sites.drive text NOT NULL",
    "column sites.last_event bigint NOT NULL DEFAULT 0",
    "column sites.last_ts text NOT NULL DEFAULT ''::text",
    "column sites.logon integer NOT NULL",
    "column sites.name text NOT NULL",
    "column sites.parent text NOT NULL",
    "column sites.pdc text NOT NULL",
    "column sites.run bigint NOT NULL DEFAULT 0",
    "column sites.server text NOT NULL",
    "column sites.servers text NOT NULL",
    "column sites.state text NOT NULL",
    "constraint events.events_pkey: PRIMARY KEY (id)",
    "constraint events_grams.events_grams_pkey: PRIMARY KEY (gram, block)",
    "constraint holds.holds_pkey: PRIMARY KEY (run)",
    "constraint item_states.item_states_pkey: PRIMARY KEY (run, item)",
    "constraint meta.meta_pkey: PRIMARY KEY (key)",
    "constraint procedures.procedures_pkey: PRIMARY KEY (hash)",
    "constraint runs.runs_pkey: PRIMARY KEY (id)",
    "constraint sites.sites_pkey: PRIMARY KEY (code)",
    "function refuse_change() f plpgsql 7c1cc6ebfb358b20141326c54eb5a4cf",
    "index events_grams_pkey: CREATE UNIQUE INDEX events_grams_pkey ON events_grams USING btree (gram, block)",
    "index events_pkey: CREATE UNIQUE INDEX events_pkey ON events USING btree (id)",
    "index events_run: CREATE INDEX events_run ON events USING btree (run, id)",
    "index events_site: CREATE INDEX events_site ON events USING btree (site, id)",
    "index holds_pkey: CREATE UNIQUE INDEX holds_pkey ON holds USING btree (run)",
    "index item_states_pkey: CREATE UNIQUE INDEX item_states_pkey ON item_states USING btree (run, item)",
    "index meta_pkey: CREATE UNIQUE INDEX meta_pkey ON meta USING btree (key)",
    "index procedures_pkey: CREATE UNIQUE INDEX procedures_pkey ON procedures USING btree (hash)",
    "index runs_one_open: CREATE UNIQUE INDEX runs_one_open ON runs USING btree (site) WHERE (open = 1)",
    "index runs_pkey: CREATE UNIQUE INDEX runs_pkey ON runs USING btree (id)",
    "index runs_site_number: CREATE UNIQUE INDEX runs_site_number ON runs USING btree (site, number)",
    "index sites_pkey: CREATE UNIQUE INDEX sites_pkey ON sites USING btree (code)",
    "table events",
    "table events_grams",
    "table holds",
    "table item_states",
    "table meta",
    "table procedures",
    "table runs",
    "table sites",
};
#define NCATALOG (sizeof catalog_want / sizeof *catalog_want)

/* The expected catalog, derived from the server itself rather than
 * transcribed: how a server prints an index or constraint definition, a
 * column default or a type differs between PostgreSQL versions (13 to 17
 * need not agree with 15, from which catalog_want was copied), but a
 * server prints the objects its own DDL made the same way, whichever
 * schema holds them. So the program's own migrations, every one up to
 * the current version, are run in this session's temporary schema inside
 * a transaction (or a savepoint of the write's transaction) that is
 * always rolled back, and catalog_temp_sql reads them with the very
 * expressions catalog_sql uses, the schema's name left out. Nothing
 * outside this session can touch its temporary schema, and type and
 * function names resolve in pg_catalog first, so what the journal's
 * schema holds cannot change the expectation. The comparison is then
 * line for line, whatever the version's wording. Kept per connection
 * (the db and its server process: a reconnect derives it again), so a
 * write costs no extra round trip for it. Without the TEMP privilege
 * (or on a standby) it cannot be derived, and catalog_want is used. */
static struct {
    const db *d;     /* the connection derived for (compared only) */
    int backend;     /* its server process at the time */
    int version;     /* PQserverVersion */
    char **lines;    /* the expected lines, or NULL: catalog_want */
    size_t n;
} want_cache;

static void want_cache_clear(void)
{
    for (size_t i = 0; i < want_cache.n; i++)
        free(want_cache.lines[i]);
    free(want_cache.lines);
    memset(&want_cache, 0, sizeof want_cache);
}

/* Runs sql on d: true when it went through. */
static bool derive_exec(db *d, const char *sql)
{
    return db_exec(d, sql) == DB_DONE;
}

/* Fills want_cache for d: derived lines, or none (catalog_want) when the
 * server would not make the objects. Leaves d's transaction state as it
 * was. */
static void derive_want(db *d)
{
    PGconn *c = db_pg(d);
    want_cache_clear();
    want_cache.d = d;
    want_cache.backend = c ? PQbackendPID(c) : 0;
    want_cache.version = c ? PQserverVersion(c) : 0;
    bool in_tx = db_in_transaction(d);
    if (!derive_exec(d, in_tx ? "SAVEPOINT ss_derive" : "BEGIN"))
        return;
    bool ok = derive_exec(d, "SET LOCAL search_path TO pg_temp");
    for (size_t i = 0; ok && i < NPG; i++) {
        /* A function in pg_temp is found only by its qualified name. */
        strbuf sql = {0};
        const char *p = pg_migrations[i], *hit;
        static const char fn[] = "EXECUTE FUNCTION refuse_change(";
        while ((hit = strstr(p, fn)) != NULL) {
            sb_printf(&sql, "%.*sEXECUTE FUNCTION pg_temp.refuse_change(",
                      (int)(hit - p), p);
            p = hit + strlen(fn);
        }
        sb_puts(&sql, p);
        ok = derive_exec(d, sql.s);
        sb_free(&sql);
    }
    char **lines = NULL;
    size_t n = 0, cap = 0;
    db_stmt *st = ok ? db_prepare(d, catalog_temp_sql, false) : NULL;
    int rc = st ? DB_ROW : DB_ERROR;
    while (st && (rc = db_step(st)) == DB_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 128;
            lines = xrealloc(lines, cap * sizeof *lines);
        }
        lines[n++] = xstrdup(db_col_text(st, 0) ? db_col_text(st, 0) : "");
    }
    db_finalize(st);
    derive_exec(d, in_tx ? "ROLLBACK TO SAVEPOINT ss_derive; RELEASE "
                           "SAVEPOINT ss_derive" : "ROLLBACK");
    if (rc == DB_ERROR || n == 0) {
        for (size_t i = 0; i < n; i++)
            free(lines[i]);
        free(lines);
        return; /* catalog_want */
    }
    want_cache.lines = lines;
    want_cache.n = n;
}

/* The expected catalog for d: *want (n lines), derived once per
 * connection (derive_want). */
static void expected_catalog(db *d, const char *const **want, size_t *n)
{
    PGconn *c = db_pg(d);
    int backend = c ? PQbackendPID(c) : 0;
    if (want_cache.d != d || want_cache.backend != backend ||
        want_cache.version != (c ? PQserverVersion(c) : 0) ||
        (!want_cache.lines && !want_cache.backend))
        derive_want(d);
    if (want_cache.lines) {
        *want = (const char *const *)want_cache.lines;
        *n = want_cache.n;
    } else {
        *want = catalog_want;
        *n = NCATALOG;
    }
}

/* The catalog lines of the check (part 3) against the expected ones: a
 * line not expected is "not made by sitesweep", an expected one not seen
 * "missing or altered"; at most 8 named, then how many more. */
typedef struct catalog_cmp {
    const char *const *want;
    size_t nwant;
    bool *seen;
    int shown;
} catalog_cmp;

static void catalog_line(catalog_cmp *k, const char *line, strbuf *bad)
{
    size_t i = 0;
    while (i < k->nwant && strcmp(k->want[i], line) != 0)
        i++;
    if (i < k->nwant && !k->seen[i]) {
        k->seen[i] = true;
        return;
    }
    if (k->shown++ < 8) {
        char *safe = str_escape_unsafe(line);
        sb_printf(bad, "%s%s not made by sitesweep", bad->len ? ", " : "",
                  safe);
        free(safe);
    }
}

static void catalog_missing(catalog_cmp *k, strbuf *bad)
{
    for (size_t i = 0; i < k->nwant; i++)
        if (!k->seen[i] && k->shown++ < 8)
            sb_printf(bad, "%s%s missing or altered", bad->len ? ", " : "",
                      k->want[i]);
    if (k->shown > 8)
        sb_printf(bad, ", and %d more", k->shown - 8);
}

int jpg_schema_check(db *d, char *why, size_t n, ss_err *e)
{
    catalog_cmp k = {0};
    expected_catalog(d, &k.want, &k.nwant);
    db_stmt *st = db_prepare(d, check_sql, true);
    if (!st)
        return ss_errf(e, "cannot read the journal's schema: %s",
                       db_errmsg(d)), -1;
    k.seen = xcalloc(k.nwant ? k.nwant : 1, sizeof *k.seen);
    strbuf bad = {0}, other = {0}, cat = {0};
    size_t seen = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        int part = (int)db_col_int64(st, 0);
        const char *a = db_col_text(st, 1) ? db_col_text(st, 1) : "";
        if (part == 1) {
            bool known = false;
            for (size_t i = 0; i < sizeof want_triggers / sizeof *want_triggers; i++)
                known = known || strcmp(a, want_triggers[i]) == 0;
            const char *b = db_col_text(st, 2), *c = db_col_text(st, 3),
                       *body = db_col_text(st, 4);
            bool ok = known && b && strcmp(b, "O") == 0 && c &&
                      strcmp(c, "refuse_change") == 0 && body &&
                      strcmp(body, REFUSE_BODY) == 0;
            seen += known;
            if (!ok) {
                char *safe = str_escape_unsafe(a);
                sb_printf(&bad, "%s%s %s", bad.len ? ", " : "",
                          known ? "altered or disabled trigger" : "trigger "
                          "not made by sitesweep:", safe);
                free(safe);
            }
        } else if (part == 2) {
            char *safe = str_escape_unsafe(a);
            sb_printf(&other, "%s%s not made by sitesweep",
                      other.len ? ", " : "", safe);
            free(safe);
        } else {
            catalog_line(&k, a, &cat);
        }
    }
    db_finalize(st);
    if (rc == DB_ERROR) {
        free(k.seen);
        sb_free(&bad);
        sb_free(&other);
        sb_free(&cat);
        return ss_errf(e, "cannot read the journal's schema: %s",
                       db_errmsg(d)), -1;
    }
    catalog_missing(&k, &cat);
    free(k.seen);
    if (seen != sizeof want_triggers / sizeof *want_triggers)
        sb_printf(&bad, "%striggers missing", bad.len ? ", " : "");
    /* Said in this order: triggers, rewriters, the rest of the catalog. */
    if (other.len)
        sb_printf(&bad, "%s%s", bad.len ? ", " : "", other.s);
    if (cat.len)
        sb_printf(&bad, "%s%s", bad.len ? ", " : "", cat.s);
    sb_free(&other);
    sb_free(&cat);
    int out = 0;
    if (bad.len) {
        char name[128] = "";
        ss_err ignored = {{0}};
        one_text(d, "SELECT current_schema()", name, sizeof name, &ignored);
        snprintf(why, n, "its schema %s is not the one sitesweep makes: %s",
                 name, bad.s);
        out = 1;
    }
    sb_free(&bad);
    return out;
}

/* ---- the filter index (schema 2): events_grams, kept by the core ----
 * The same index as a SQLite journal's events_grams: per block of 64
 * events (id / 64), every distinct two-character substring of each
 * event's text case-folded by text_fold (the last character paired with
 * char(1); a text longer than GRAM_MAX_N characters marks its block with
 * the gram ''). PostgreSQL cannot fold as text_fold does, so the grams
 * are derived in C (jdb_grams_each) and written with each event, in its
 * transaction (jpg_index_event); a filter's candidate blocks come from
 * the index and their events are tested in C (jdb_event_matches), so
 * both backends find exactly the same events. */

/* Distinct grams of one block, collected for one INSERT. */
typedef struct gram_set {
    char **v;
    size_t n, cap;
} gram_set;

/* Adds a copy of gram g (n bytes); gram_set_unique drops repeats. */
static void gram_add(const char *g, size_t n, void *ctx)
{
    gram_set *s = ctx;
    if (s->n == s->cap)
        s->v = xrealloc(s->v, (s->cap = s->cap ? s->cap * 2 : 256) *
                                  sizeof *s->v);
    char *c = xcalloc(1, n + 1);
    memcpy(c, g, n);
    s->v[s->n++] = c;
}

static int gram_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts s's grams (byte order) and keeps each once. */
static void gram_set_unique(gram_set *s)
{
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof *s->v, gram_cmp);
    size_t k = 1;
    for (size_t i = 1; i < s->n; i++) {
        if (strcmp(s->v[i], s->v[k - 1]) == 0)
            free(s->v[i]);
        else
            s->v[k++] = s->v[i];
    }
    s->n = k;
}

static void gram_set_clear(gram_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    s->n = 0;
}

/* The grams of s, each once, as a JSON array of strings (allocated); a
 * gram JSON cannot hold (never, for text PostgreSQL stored) becomes '',
 * which only makes its block be scanned. */
static char *grams_json(gram_set *s)
{
    gram_set_unique(s);
    json_t *a = json_array();
    for (size_t i = 0; i < s->n; i++) {
        json_t *v = json_string(s->v[i]);
        json_array_append_new(a, v ? v : json_string(""));
    }
    char *out = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return out;
}

#define GRAMS_INSERT                                                       \
    "INSERT INTO events_grams(gram, block) SELECT g, ?2::bigint FROM"     \
    " json_array_elements_text(?1::json) AS g ON CONFLICT DO NOTHING"

/* Writes the grams of s for block with st (GRAMS_INSERT): 0, -1. */
static int grams_write(db_stmt *st, int64_t block, gram_set *s)
{
    if (!s->n)
        return 0;
    char *js = grams_json(s);
    db_bind_text(st, 1, js);
    db_bind_int64(st, 2, block);
    int rc = db_step(st);
    db_reset(st);
    free(js);
    return rc == DB_DONE ? 0 : -1;
}

/* Derives the grams of every event after event `after` into
 * events_grams, a page of events at a time, inside the caller's
 * transaction: the schema 2 back-fill and the rebuild after a copy. 0, or
 * -1 with db_errmsg(d) saying why. */
static int grams_fill(db *d, int64_t after)
{
    db_stmt *rd = db_prepare(d, "SELECT id, ts, operator, host, site, item,"
                                " kind, note FROM events WHERE id > ?1"
                                " ORDER BY id LIMIT 4096", false);
    db_stmt *wr = db_prepare(d, GRAMS_INSERT, false);
    gram_set set = {0};
    int64_t block = -1;
    int rc = rd && wr ? 0 : -1;
    while (rc == 0) {
        db_bind_int64(rd, 1, after);
        int step, rows = 0;
        while ((step = db_step(rd)) == DB_ROW) {
            event ev = {0};
            ev.id = db_col_int64(rd, 0);
            snprintf(ev.ts, sizeof ev.ts, "%s", db_col_text(rd, 1));
            ev.operator_name = (char *)db_col_text(rd, 2);
            ev.host = (char *)db_col_text(rd, 3);
            snprintf(ev.site, sizeof ev.site, "%s", db_col_text(rd, 4));
            snprintf(ev.item, sizeof ev.item, "%s", db_col_text(rd, 5));
            snprintf(ev.kind, sizeof ev.kind, "%s", db_col_text(rd, 6));
            ev.note = (char *)db_col_text(rd, 7);
            if (ev.id / 64 != block) {
                if (grams_write(wr, block, &set))
                    rc = -1;
                gram_set_clear(&set);
                block = ev.id / 64;
            }
            char *folded = jdb_event_fold(&ev);
            jdb_grams_each(folded, gram_add, &set);
            free(folded);
            after = ev.id;
            rows++;
        }
        db_reset(rd);
        if (step == DB_ERROR)
            rc = -1;
        if (rows < 4096)
            break;
    }
    if (rc == 0 && grams_write(wr, block, &set))
        rc = -1;
    gram_set_clear(&set);
    free(set.v);
    db_finalize(rd);
    db_finalize(wr);
    return rc;
}

/* The schema 2 migration's back-fill (jpg_schema_setup). */
static int grams_backfill(db *d)
{
    return grams_fill(d, 0);
}

static int jpg_index_event(journal *j, const event *ev, ss_err *e)
{
    gram_set set = {0};
    char *folded = jdb_event_fold(ev);
    jdb_grams_each(folded, gram_add, &set);
    free(folded);
    db_stmt *st = jdb_prep(j, GRAMS_INSERT, e);
    int rc = st ? 0 : J_ESTORAGE;
    if (st) {
        char *js = grams_json(&set);
        db_bind_text(st, 1, js);
        db_bind_int64(st, 2, ev->id / 64);
        rc = jdb_run(j, st, "cannot record the event", e);
        free(js);
    }
    gram_set_clear(&set);
    free(set.v);
    return rc ? J_ESTORAGE : J_OK;
}

static int jpg_index_rebuild(journal *j, int64_t after, ss_err *e)
{
    if (grams_fill(j->db, after))
        return jdb_fail(j, e, "cannot index the events"), J_ESTORAGE;
    return J_OK;
}

int jpg_grams_into(journal *j, journal *copy, ss_err *e)
{
    if (jdb_exec(copy, "BEGIN IMMEDIATE; DELETE FROM events_grams",
                 "cannot copy the filter index", e))
        return -1;
    db_stmt *ins = jdb_prep_dyn(copy, "INSERT INTO events_grams(gram, block)"
                                      " VALUES(?, ?)", e);
    int64_t block = -1;
    char gram[64] = "";
    int rc = ins ? 0 : -1;
    while (rc == 0) {
        /* keyset pages in the primary key's order (gram, block) */
        db_stmt *st = jdb_prep(j, "SELECT block, gram FROM events_grams"
                                  " WHERE (gram, block) > (?2, ?1::bigint)"
                                  " ORDER BY gram, block LIMIT 20000", e);
        if (!st) {
            rc = -1;
            break;
        }
        db_bind_int64(st, 1, block);
        db_bind_text(st, 2, gram);
        int step, rows = 0;
        while (rc == 0 && (step = db_step(st)) == DB_ROW) {
            block = db_col_int64(st, 0);
            snprintf(gram, sizeof gram, "%s", jdb_col_text(st, 1));
            db_bind_text(ins, 1, jdb_col_text(st, 1));
            db_bind_int64(ins, 2, block);
            if (db_step(ins) != DB_DONE)
                rc = jdb_fail(copy, e, "cannot copy the filter index");
            db_reset(ins);
            rows++;
        }
        if (rc == 0 && step == DB_ERROR)
            rc = jdb_fail(j, e, "cannot read the filter index");
        jdb_done(j, st);
        if (rows < 20000)
            break;
    }
    if (ins)
        jdb_done(copy, ins);
    if (rc) {
        jdb_rollback(copy);
        return -1;
    }
    return jdb_commit(copy, e) ? -1 : 0;
}

/* Events tested in C before a filtered page turns to the index: a
 * common term fills its page within them. */
#define PG_SCAN_WINDOW 256
/* Candidate blocks read per query of the index: as many as events still
 * wanted (a block the gram range names holds a match of a one- or
 * two-character term), within these bounds. */
#define PG_BLOCKS_MIN 8
#define PG_BLOCKS_MAX 64
/* Postings counted at most per gram when choosing the rarest. */
#define PG_RARE_CAP 512

/* Appends to evs[*count..limit) those of the events ev[0..n) that match
 * term, taking them over (the others are cleared). */
static void keep_matches(event *ev, size_t n, const char *term, event *evs,
                         size_t *count, size_t limit)
{
    for (size_t i = 0; i < n; i++) {
        if (*count < limit && jdb_event_matches(&ev[i], term))
            evs[(*count)++] = ev[i];
        else
            event_clear(&ev[i]);
    }
}

/* The query grams of a folded term of chars characters: the rarest of
 * its two-character substrings drives the scan of the index in block
 * order (`drive`), the others (`others`, a JSON array, *nothers of them)
 * must be in the same block. A term of one character has no gram of its
 * own: every gram it starts (a range, lo..hi). 0, -1 with e set. */
typedef struct term_grams {
    char lo[16], hi[16];
    char *others;
    int64_t nothers;
} term_grams;

/* The smallest UTF-8 text above every one starting with the character
 * c (valid UTF-8, one character) into out (8 bytes at least): the next
 * code point, past the surrogates; after U+10FFFF that character twice. */
static void utf8_next_char(const char *c, char *out)
{
    const unsigned char *s = (const unsigned char *)c;
    unsigned cp = s[0] < 0x80 ? s[0]
                : s[0] < 0xE0 ? (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu)
                : s[0] < 0xF0 ? (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 |
                                    (s[2] & 0x3Fu)
                : (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 |
                      (s[2] & 0x3Fu) << 6 | (s[3] & 0x3Fu);
    if (cp >= 0x10FFFF) {
        strcpy(out, "\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf");
        return;
    }
    cp = cp + 1 == 0xD800 ? 0xE000 : cp + 1;
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | cp >> 6);
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | cp >> 12);
        *o++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | cp >> 18);
        *o++ = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *o = '\0';
}

static void collect_gram(const char *g, size_t n, void *ctx)
{
    gram_set *s = ctx;
    if (n && g[n - 1] != '\x01') /* the term's end is no text's end */
        gram_add(g, n, s);
}

static int term_grams_of(journal *j, const char *term, term_grams *t,
                         ss_err *e)
{
    memset(t, 0, sizeof *t);
    size_t n = strlen(term), chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)term[i] & 0xC0) != 0x80;
    bool valid = utf8_valid(term, n);
    if (valid && chars == 1) {
        /* [c, the next character): UTF-8's byte order is code points' */
        memcpy(t->lo, term, n + 1);
        utf8_next_char(term, t->hi);
        return 0;
    }
    gram_set set = {0};
    if (valid && n <= 4000)
        jdb_grams_each(term, collect_gram, &set);
    gram_set_unique(&set);
    if (set.n == 0) { /* no gram to look up: every block */
        free(set.v);
        utf8_next_char("\xf4\x8f\xbf\xbf", t->hi); /* above all grams */
        return 0;
    }
    /* The rarest gram: postings counted up to PG_RARE_CAP each (no
     * question when there is one gram: a two-character term). */
    char *all = set.n > 1 ? grams_json(&set) : NULL;
    db_stmt *st = !all ? NULL : jdb_prep_dyn(j, "SELECT g, (SELECT count(*) FROM (SELECT 1"
                              " FROM events_grams WHERE gram = g LIMIT ?2)"
                              " AS c) FROM json_array_elements_text(?1::json)"
                              " AS g ORDER BY 2, 1 LIMIT 1", e);
    int rc = st || !all ? 0 : -1;
    size_t best = 0;
    if (st) {
        db_bind_text(st, 1, all);
        db_bind_int64(st, 2, PG_RARE_CAP);
        rc = jdb_step_row(j, st, "cannot read the filter index", e);
        if (rc == J_OK) {
            const char *g = jdb_col_text(st, 0);
            for (size_t i = 0; i < set.n; i++)
                if (strcmp(set.v[i], g) == 0)
                    best = i;
            jdb_done(j, st);
        }
        rc = rc == J_OK ? 0 : -1;
    }
    free(all);
    if (rc == 0) {
        size_t k = strlen(set.v[best]);
        memcpy(t->lo, set.v[best], k + 1);
        memcpy(t->hi, set.v[best], k + 1);
        t->hi[k] = '\x01'; /* nothing sorts between g and g + \x01 */
        t->hi[k + 1] = '\0';
        free(set.v[best]);
        set.v[best] = set.v[--set.n];
        t->nothers = (int64_t)set.n;
        t->others = grams_json(&set);
    }
    gram_set_clear(&set);
    free(set.v);
    return rc;
}

/* Candidate blocks: those holding a gram in [?1, ?2) and every gram of
 * ?4 (?3 of them), or the gram '' (a text too long to index whole),
 * beyond block ?5, nearest first. */
#define PG_CANDIDATES(cmp, order)                                          \
    "SELECT block FROM (SELECT DISTINCT block FROM events_grams WHERE"     \
    " gram >= ?1 AND gram < ?2 AND block " cmp " ?5::bigint) AS c WHERE"   \
    " ?3::bigint = 0 OR (SELECT count(*) FROM events_grams h WHERE"        \
    " h.block = c.block AND h.gram IN (SELECT json_array_elements_text("   \
    "?4::json))) = ?3::bigint UNION SELECT block FROM events_grams WHERE"  \
    " gram = '' AND block " cmp " ?5::bigint ORDER BY block " order        \
    " LIMIT ?6"

/* A cheap test on the server that keeps every event the filter could
 * match (the events are tested in C after it): an event whose text is
 * not all ASCII (its folding is text_fold's, not the server's), or whose
 * ASCII text, lowered as ASCII (COLLATE "C": no locale's rules), holds
 * the term ?5 when the term is ASCII (?6 = 1); an ASCII text folds to
 * ASCII, so a term that is not can only be in the others. */
#define PG_PREFILTER                                                       \
    " AND (octet_length(" PG_TEXT ") <> length(" PG_TEXT ") OR (?6::int"   \
    " = 1 AND strpos(lower(" PG_TEXT " COLLATE \"C\"), ?5) > 0))"
#define PG_TEXT                                                            \
    "(ts || ' ' || operator || ' ' || host || ' ' || site || ' ' || item"  \
    " || ' ' || kind || ' ' || note)"
#define PG_EVENT_COLS                                                      \
    "SELECT id, ts, operator, host, site, run, item, kind, note, data,"    \
    " prev, hash FROM events WHERE (?3 = '' OR site = ?3) AND (?4::bigint" \
    " = 0 OR run = ?4::bigint)" PG_PREFILTER

/* The events of ids ?1 (an array: the ids of the candidate blocks)
 * beyond id ?2, nearest first. The ids are listed, not joined from the
 * blocks: the planner then knows how few rows come, and neither scans
 * events nor compiles the query (JIT). */
#define PG_BLOCK_EVENTS(cmp, order)                                        \
    PG_EVENT_COLS " AND id = ANY(?1::bigint[]) AND id " cmp " ?2::bigint"  \
    " ORDER BY id " order

/* The events of ids strictly between ?1 and ?2 (the window), nearest
 * first. */
#define PG_WINDOW_EVENTS(order)                                            \
    PG_EVENT_COLS " AND id > ?1::bigint AND id < ?2::bigint ORDER BY id "  \
    order

/* Binds the parameters PG_EVENT_COLS shares (?3 to ?6). */
static void bind_event_filter(db_stmt *st, const event_filter *f)
{
    bool ascii = true;
    for (const char *p = f->text; *p; p++)
        ascii = ascii && (unsigned char)*p < 0x80;
    jdb_bind_text(st, 3, f->site);
    db_bind_int64(st, 4, f->run);
    jdb_bind_text(st, 5, f->text);
    db_bind_int64(st, 6, ascii);
}

static int jpg_page_text(journal *j, const event_filter *f, int64_t from,
                         int dir, size_t limit, event *evs, size_t *count,
                         ss_err *e)
{
    /* A window of events nearest to `from`, tested in C. */
    int64_t start = from;
    if (dir < 0 && from <= 0) {
        if (journal_event_count(j, &start, e))
            return J_ESTORAGE;
        start++;
    }
    int64_t bound = dir < 0 ? start - PG_SCAN_WINDOW : start + PG_SCAN_WINDOW;
    if (dir < 0 && bound < 1)
        bound = 1;
    db_stmt *ws = jdb_prep_dyn(j, dir < 0 ? PG_WINDOW_EVENTS("DESC")
                                          : PG_WINDOW_EVENTS("ASC"), e);
    if (!ws)
        return J_ESTORAGE;
    /* ids in [bound, start) going down, (start, bound] going up */
    db_bind_int64(ws, 1, dir < 0 ? bound - 1 : start);
    db_bind_int64(ws, 2, dir < 0 ? start : bound + 1);
    bind_event_filter(ws, f);
    event *win = xcalloc(PG_SCAN_WINDOW + 1, sizeof *win);
    size_t nwin = 0;
    int rc = jdb_read_events(j, ws, PG_SCAN_WINDOW + 1, win, &nwin, e);
    keep_matches(win, nwin, f->text, evs, count, limit);
    free(win);
    if (rc)
        return J_ESTORAGE;
    if (*count >= limit || (dir < 0 && bound <= 1))
        return J_OK;
    /* Beyond the window: the blocks the index names, a few at a time;
     * ids below bound (dir < 0, bound itself was scanned) or above it. */
    term_grams t;
    if (term_grams_of(j, f->text, &t, e))
        return J_ESTORAGE;
    int64_t cursor = bound; /* exclusive */
    while (rc == 0 && *count < limit) {
        size_t want = limit - *count;
        int64_t nblocks = want < PG_BLOCKS_MIN ? PG_BLOCKS_MIN
                        : want > PG_BLOCKS_MAX ? PG_BLOCKS_MAX : (int64_t)want;
        /* Planned with the values each time (an unnamed statement): a
         * generic plan cannot know how narrow the gram range is. */
        db_stmt *st = jdb_prep_dyn(j, dir < 0 ? PG_CANDIDATES("<=", "DESC")
                                              : PG_CANDIDATES(">=", "ASC"), e);
        if (!st) {
            rc = -1;
            break;
        }
        jdb_bind_text(st, 1, t.lo);
        jdb_bind_text(st, 2, t.hi);
        db_bind_int64(st, 3, t.nothers);
        jdb_bind_text(st, 4, t.others ? t.others : "[]");
        db_bind_int64(st, 5, dir < 0 ? (cursor - 1) / 64 : (cursor + 1) / 64);
        db_bind_int64(st, 6, nblocks);
        strbuf blocks = {0}; /* their ids, as an array literal */
        sb_putc(&blocks, '{');
        int step, nb = 0;
        int64_t last = 0;
        while ((step = db_step(st)) == DB_ROW) {
            last = db_col_int64(st, 0);
            for (int k = 0; k < 64; k++)
                sb_printf(&blocks, "%s%lld", nb || k ? "," : "",
                          (long long)(last * 64 + k));
            nb++;
        }
        sb_putc(&blocks, '}');
        if (step == DB_ERROR)
            rc = jdb_fail(j, e, "cannot read the filter index");
        jdb_done(j, st);
        if (rc == 0 && nb) {
            st = jdb_prep_dyn(j, dir < 0 ? PG_BLOCK_EVENTS("<", "DESC")
                                         : PG_BLOCK_EVENTS(">", "ASC"), e);
            if (!st) {
                rc = -1;
            } else {
                jdb_bind_text(st, 1, blocks.s);
                db_bind_int64(st, 2, cursor);
                bind_event_filter(st, f);
                event *got = xcalloc((size_t)nb * 64, sizeof *got);
                size_t ngot = 0;
                rc = jdb_read_events(j, st, (size_t)nb * 64, got, &ngot, e);
                keep_matches(got, ngot, f->text, evs, count, limit);
                free(got);
            }
        }
        sb_free(&blocks);
        if (nb < nblocks)
            break;
        cursor = dir < 0 ? last * 64 : last * 64 + 63;
    }
    free(t.others);
    return rc ? J_ESTORAGE : J_OK;
}

/* journal_watch / journal_changed / journal_schema_check of a
 * PostgreSQL journal, as the backend table calls them. */
static int jpg_watch_op(journal *j, ss_err *e)
{
    return jpg_watch(j, e) ? J_ESTORAGE : J_OK;
}

static int jpg_changed_op(journal *j, bool *changed, ss_err *e)
{
    return jpg_changed(j, changed, e) ? J_ESTORAGE : J_OK;
}

static int jpg_schema_check_op(journal *j, bool triggers_only, char *why,
                               size_t n, ss_err *e)
{
    (void)triggers_only; /* the whole catalog is checked here */
    int rc = jpg_schema_check(j->db, why, n, e);
    if (rc < 0) { /* say which journal, and whether anything happened */
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", e->msg);
        ss_errf(e, "%s (schema %s of database %s): %s%s", j->path,
                j->schema, PQdb(db_pg(j->db)), msg,
                db_fault_of(j->db) == DB_FAULT_GONE
                    ? " (the PostgreSQL server cannot be reached)"
                    : "");
    }
    return rc;
}

const jdb_backend jdb_pg_backend = {
    .strpos_fn = "strpos",
    /* OFFSET 0 keeps the subquery a lookup per site by runs' key. */
    .sites_sql = SITES_LIST_SELECT
        " FROM sites s LEFT JOIN LATERAL (SELECT * FROM runs"
        " WHERE runs.id = s.run OFFSET 0) r ON true ORDER BY s.code",
    .run_event_sql =
        "UPDATE runs SET last_ts = ?2, active_ms = active_ms +"
        " ?3, operators = CASE WHEN EXISTS (SELECT 1 FROM"
        " json_array_elements_text(runs.operators::json) v"
        " WHERE v = ?4) THEN operators WHEN operators = '[]'"
        " THEN '[' || to_json(?4::text)::text || ']' ELSE"
        " left(operators, -1) || ',' || to_json(?4::text)::text"
        " || ']' END, hosts = CASE WHEN EXISTS (SELECT 1 FROM"
        " json_array_elements_text(runs.hosts::json) v WHERE"
        " v = ?5) THEN hosts WHEN hosts = '[]' THEN '[' ||"
        " to_json(?5::text)::text || ']' ELSE left(hosts, -1)"
        " || ',' || to_json(?5::text)::text || ']' END"
        " WHERE id = ?1",
    .begin = jpg_begin,
    .schema_check = jpg_schema_check_op,
    .watch = jpg_watch_op,
    .changed = jpg_changed_op,
    .index_event = jpg_index_event,
    .page_text = jpg_page_text,
    .index_rebuild = jpg_index_rebuild,
};

int journal_doubt_settled(journal *j)
{
    if (!j->pg || !db_pg_gone_pid(j->db))
        return 1;
    if (db_lost(j->db))
        return 0;
    db_stmt *st = db_prepare(j->db, "SELECT NOT EXISTS(SELECT 1 FROM"
                             " pg_stat_activity WHERE pid = ?)", true);
    if (!st)
        return -1;
    db_bind_int64(st, 1, db_pg_gone_pid(j->db));
    int rc = db_step(st);
    int out = rc == DB_ROW ? strcmp(db_col_text(st, 0), "t") == 0 : -1;
    db_finalize(st);
    return out;
}
