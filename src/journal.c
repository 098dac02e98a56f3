/* journal.c - what both backends share: where the journal lives, opening
 * it (journal_sqlite.c or journal_pg.c by the path), its actor, and the
 * helpers every read and write goes through. Events, sites, runs and holds
 * are in journal_events.c, journal_sites.c, journal_runs.c and
 * journal_holds.c; what they share is in journal_int.h. */
#include "journal_int.h"
#include "journal_pg.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small statement helpers ---- */

int jdb_fail(journal *j, ss_err *e, const char *what)
{
    const char *msg = db_errmsg(j->db);
    const char *hint = "";
    char full[PATH_MAX + 64];
    bool pg = db_kind_of(j->db) == DB_PG;
    switch (db_fault_of(j->db)) {
    case DB_FAULT_BUSY:
        hint = pg ? " (another session holds the journal; try again)"
                  : " (another process holds a lock on the journal; "
                    "try again)";
        break;
    case DB_FAULT_RETRY:
        hint = " (the write met another one at the same time; try again)";
        break;
    case DB_FAULT_READONLY:
        hint = pg ? " (the journal is read-only for this role)"
                  : " (the journal or its directory is read-only)";
        break;
    case DB_FAULT_GONE:
        hint = " (the PostgreSQL server cannot be reached; nothing was "
               "recorded)";
        break;
    case DB_FAULT_FULL:
    case DB_FAULT_IO:
        if (pg) {
            hint = " (the server is out of space or failing)";
            break;
        }
        /* Say "no space left" whenever the file system is full: at 0
         * bytes free even a read fails, as "disk I/O error". */
        hint = jdb_full_hint(j, full, sizeof full);
        if (!*hint && db_fault_of(j->db) == DB_FAULT_FULL)
            hint = " (the disk is full)";
        break;
    default:
        break;
    }
    return ss_errf(e, "%s: %s: %s%s", j->path, what, msg, hint);
}

/* A statement built at run time: prepared for one use, finalized by done. */
db_stmt *jdb_prep_dyn(journal *j, const char *sql, ss_err *e)
{
    db_stmt *st = db_prepare(j->db, sql, false);
    if (!st)
        jdb_fail(j, e, "cannot read the journal");
    return st;
}

/* A statement whose SQL is a string literal: prepared once per journal and
 * kept (keyed by the literal's address), so a write does not re-parse its
 * SQL. A statement already in use (a nested call) gets a fresh one. */
db_stmt *jdb_prep(journal *j, const char *sql, ss_err *e)
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
    db_stmt *st = db_prepare(j->db, sql, free_slot < STMT_CACHE);
    if (!st) {
        jdb_fail(j, e, "cannot read the journal");
        return NULL;
    }
    if (free_slot < STMT_CACHE)
        j->cache[free_slot] = (struct stmt_slot){sql, st, true};
    return st;
}

/* Ends a statement's use: cached ones are reset for the next, others
 * finalized. */
void jdb_done(journal *j, db_stmt *st)
{
    for (size_t i = 0; i < STMT_CACHE; i++) {
        if (j->cache[i].st == st && j->cache[i].busy) {
            db_reset(st);
            db_clear_bindings(st);
            j->cache[i].busy = false;
            return;
        }
    }
    db_finalize(st);
}

int jdb_run(journal *j, db_stmt *st, const char *what, ss_err *e)
{
    int rc = db_step(st);
    if (rc == DB_ERROR) {
        /* The reason first: ending the statement may clear it. */
        jdb_fail(j, e, what);
        jdb_done(j, st);
        return J_ESTORAGE;
    }
    jdb_done(j, st);
    return 0;
}

/* Ends st, after filling e when the step failed. */
int jdb_step_row(journal *j, db_stmt *st, const char *what, ss_err *e)
{
    int rc = db_step(st);
    if (rc == DB_ROW)
        return J_OK;
    if (rc == DB_ERROR)
        jdb_fail(j, e, what);
    jdb_done(j, st);
    return rc == DB_DONE ? J_NOTFOUND : J_ESTORAGE;
}

int jdb_scalar(journal *j, const char *sql, const char *what, int64_t *out,
               ss_err *e)
{
    db_stmt *st = jdb_prep(j, sql, e);
    if (!st)
        return J_ESTORAGE;
    int rc = jdb_step_row(j, st, what, e);
    if (rc == J_NOTFOUND)
        return ss_errf(e, "%s: %s: no answer", j->path, what), J_ESTORAGE;
    if (rc)
        return J_ESTORAGE;
    *out = db_col_int64(st, 0);
    jdb_done(j, st);
    return J_OK;
}

int jdb_exec(journal *j, const char *sql, const char *what, ss_err *e)
{
    if (db_exec(j->db, sql) != DB_DONE)
        return jdb_fail(j, e, what);
    return 0;
}

void jdb_bind_text(db_stmt *st, int i, const char *s)
{
    db_bind_text(st, i, s ? s : "");
}

const char *jdb_col_text(db_stmt *st, int i)
{
    const char *t = db_col_text(st, i);
    return t ? t : "";
}

void jdb_copy_col(db_stmt *st, int i, char *dst, size_t n)
{
    snprintf(dst, n, "%s", jdb_col_text(st, i));
}

int jdb_begin(journal *j, ss_err *e)
{
    if (j->be->begin(j, e))
        return -1;
    /* A trigger sitesweep did not make (or one of its own, changed) could
     * swallow or rewrite what is written: refuse to write at all. */
    char why[512];
    int rc = journal_schema_check(j, true, why, sizeof why, e);
    if (rc == 0)
        return 0;
    jdb_rollback(j);
    if (rc < 0) {
        /* Before anything was written: certain. */
        size_t len = strlen(e->msg);
        snprintf(e->msg + len, sizeof e->msg - len, "; nothing was recorded");
        return -1;
    }
    return ss_errf(e, "%s: %s; refusing to write (run 'sitesweep verify'); "
                      "nothing was recorded", j->path, why);
}

void jdb_rollback(journal *j)
{
    if (db_in_transaction(j->db))
        db_exec(j->db, "ROLLBACK");
}

int jdb_commit(journal *j, ss_err *e)
{
    if (db_exec(j->db, "COMMIT") != DB_DONE) {
        /* The COMMIT went out and its answer was lost: the server may
         * have committed it. Never say "nothing was recorded" then. */
        if (db_fault_of(j->db) == DB_FAULT_GONE) {
            ss_errf(e, "%s: cannot confirm the write: %s; it may or may not "
                       "be recorded: check with 'sitesweep journal' once "
                       "the journal can be reached", j->path,
                    db_errmsg(j->db));
            jdb_rollback(j);
            return J_ESTORAGE;
        }
        jdb_fail(j, e, "cannot commit");
        jdb_rollback(j);
        return J_ESTORAGE;
    }
    return 0;
}

int jdb_finish(journal *j, int rc, ss_err *e)
{
    if (rc == J_OK)
        return jdb_commit(j, e);
    jdb_rollback(j);
    return rc;
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

void jdb_default_actor(journal *j)
{
    const char *who = getenv("SITESWEEP_OPERATOR");
    if (!who || !*who) {
        struct passwd *pw = getpwuid(geteuid());
        who = pw ? pw->pw_name : getenv("USER");
    }
    snprintf(j->operator_name, sizeof j->operator_name, "%s",
             who && *who ? who : "unknown");
    /* A console's name from the environment or the password file follows
     * the rules of the field (text.h), as the host's does: escaped. */
    journal_host_clean(j->operator_name, sizeof j->operator_name);
    /* SITESWEEP_HOST names the host where gethostname says nothing
     * useful (containers), and lets tests play several hosts. */
    const char *host = getenv("SITESWEEP_HOST");
    if (host && *host)
        snprintf(j->host, sizeof j->host, "%s", host);
    else if (gethostname(j->host, sizeof j->host) != 0 || !j->host[0])
        snprintf(j->host, sizeof j->host, "%s", "localhost");
    j->host[sizeof j->host - 1] = '\0';
    journal_host_clean(j->host, sizeof j->host);
}

void journal_host_clean(char *host, size_t n)
{
    size_t at;
    if (n == 0 || str_find_unsafe(host, &at) == 0)
        return;
    /* The kernel's name may hold anything (sethostname takes bytes):
     * recorded escaped, as every output shows unsafe text, so the
     * journal never holds invalid UTF-8 or a raw escape sequence. */
    char *esc = str_escape_unsafe(host);
    size_t len = strlen(esc);
    bool cut = len >= n;
    if (cut) {
        /* Cut visibly ("..." after it), never silently. */
        len = n > 4 ? n - 4 : 0;
        /* Not in the middle of an escape: \xNN, \u202E, \n. */
        for (size_t k = len; k > 0 && len - k < 6; k--) {
            if (esc[k - 1] == '\\') {
                len = k - 1;
                break;
            }
        }
    }
    memcpy(host, esc, len);
    host[len] = '\0';
    if (cut && n > 4)
        memcpy(host + len, "...", 4);
    free(esc);
}

void jdb_close_db(journal *j)
{
    memset(j->cache, 0, sizeof j->cache); /* db_close frees them */
    db_close(j->db);
    j->db = NULL;
}

int journal_schema_check(journal *j, bool triggers_only, char *why,
                         size_t n, ss_err *e)
{
    return j->be->schema_check(j, triggers_only, why, n, e);
}

int journal_watch(journal *j, ss_err *e)
{
    return j->be->watch(j, e);
}

int journal_changed(journal *j, bool *changed, ss_err *e)
{
    return j->be->changed(j, changed, e);
}

int journal_keepalive(journal *j, bool *reconnected, ss_err *e)
{
    *reconnected = false;
    if (!j->pg)
        return J_OK;
    return jpg_keepalive(j, reconnected, e) ? J_ESTORAGE : J_OK;
}

bool journal_is_server(const char *path)
{
    return db_is_pg_uri(path);
}

int journal_open(const char *path, journal **out, ss_err *e)
{
    *out = NULL;
    if (db_is_pg_uri(path))
        return jpg_journal_open(path, out, e);
    return jsq_journal_open(path, out, e);
}

void journal_close(journal *j)
{
    if (!j)
        return;
    jdb_close_db(j);
    procedure_free(&j->cached);
    free(j->file);
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
    {
        snprintf(j->operator_name, sizeof j->operator_name, "%s", operator_name);
        journal_host_clean(j->operator_name, sizeof j->operator_name);
    }
    if (host && *host) {
        snprintf(j->host, sizeof j->host, "%s", host);
        journal_host_clean(j->host, sizeof j->host);
    }
}

const char *journal_operator(const journal *j)
{
    return j->operator_name;
}
