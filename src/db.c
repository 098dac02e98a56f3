/* db.c - the backend-neutral half of db.h: argument checks, dispatch to
 * the backend's operations, the statement list and URI helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db_int.h"

bool db_is_pg_uri(const char *s)
{
    return s && (strncasecmp(s, "postgresql://", 13) == 0 ||
                 strncasecmp(s, "postgres://", 11) == 0);
}

void db_link(db *d, db_stmt *st)
{
    st->d = d;
    st->prev = NULL;
    st->next = d->stmts;
    if (d->stmts)
        d->stmts->prev = st;
    d->stmts = st;
}

void db_unlink(db_stmt *st)
{
    if (st->prev)
        st->prev->next = st->next;
    else
        st->d->stmts = st->next;
    if (st->next)
        st->next->prev = st->prev;
    st->prev = st->next = NULL;
}

void db_set_error(db *d, db_fault f, const char *sqlstate, const char *msg)
{
    d->fault = f;
    snprintf(d->sqlstate, sizeof d->sqlstate, "%s", sqlstate ? sqlstate : "");
    snprintf(d->err, sizeof d->err, "%s", msg ? msg : "");
    size_t n = strlen(d->err);
    while (n && (d->err[n - 1] == '\n' || d->err[n - 1] == ' '))
        d->err[--n] = '\0';
}

void db_close(db *d)
{
    if (!d)
        return;
    while (d->stmts)
        db_finalize(d->stmts);
    d->ops->close(d);
    free(d);
}

db_kind db_kind_of(const db *d) { return d->kind; }

bool db_lost(db *d)
{
    return d->kind == DB_PG && db_pg_lost(d);
}

int db_reconnect(db *d)
{
    return d->kind == DB_PG ? db_pg_reconnect(d) : DB_DONE;
}

sqlite3 *db_sqlite(db *d)
{
    return d->kind == DB_SQLITE ? (sqlite3 *)d->native : NULL;
}

PGconn *db_pg(db *d)
{
    return d->kind == DB_PG ? (PGconn *)d->native : NULL;
}

const char *db_errmsg(const db *d) { return d->ops->errmsg(d); }
db_fault db_fault_of(const db *d) { return d->ops->fault(d); }
const char *db_sqlstate(const db *d) { return d->sqlstate; }

db_stmt *db_prepare(db *d, const char *sql, bool keep)
{
    return d->ops->prepare(d, sql, keep);
}

void db_finalize(db_stmt *st)
{
    if (!st)
        return;
    db_unlink(st);
    st->d->ops->finalize(st);
}

void db_reset(db_stmt *st) { st->d->ops->reset(st); }
void db_clear_bindings(db_stmt *st) { st->d->ops->clear_bindings(st); }

int db_bind_text(db_stmt *st, int i, const char *s)
{
    if (!s)
        return st->d->ops->bind_null(st, i);
    return st->d->ops->bind_text(st, i, s, strlen(s));
}

int db_bind_int64(db_stmt *st, int i, int64_t v)
{
    return st->d->ops->bind_int64(st, i, v);
}

int db_bind_null(db_stmt *st, int i) { return st->d->ops->bind_null(st, i); }

int db_bind_blob(db_stmt *st, int i, const void *p, size_t n)
{
    return st->d->ops->bind_blob(st, i, p, n);
}

int db_param_index(db_stmt *st, const char *name)
{
    return st->d->ops->param_index(st, name);
}

int db_step(db_stmt *st) { return st->d->ops->step(st); }
int db_col_count(db_stmt *st) { return st->d->ops->col_count(st); }
bool db_col_null(db_stmt *st, int i) { return st->d->ops->col_null(st, i); }
bool db_col_is_text(db_stmt *st, int i) { return st->d->ops->col_is_text(st, i); }
int64_t db_col_int64(db_stmt *st, int i) { return st->d->ops->col_int64(st, i); }
const char *db_col_text(db_stmt *st, int i) { return st->d->ops->col_text(st, i); }

const void *db_col_blob(db_stmt *st, int i, size_t *n)
{
    return st->d->ops->col_blob(st, i, n);
}

int db_exec(db *d, const char *sql) { return d->ops->exec(d, sql); }
int64_t db_changes(db *d) { return d->ops->changes(d); }
bool db_in_transaction(db *d) { return d->ops->in_transaction(d); }

/* Drops every "password=..." parameter from a URI's query string, in
 * place, keeping the others in their order. */
static void drop_password_param(char *s)
{
    char *q = strchr(s, '?');
    if (!q)
        return;
    char *w = q + 1;               /* where the next kept parameter goes */
    for (char *p = q + 1; *p;) {
        size_t len = strcspn(p, "&");
        bool last = p[len] == '\0';
        if (strncasecmp(p, "password=", 9) != 0) {
            if (w > q + 1)
                *w++ = '&';
            memmove(w, p, len);
            w += len;
        }
        p += len + (last ? 0 : 1);
    }
    if (w == q + 1)
        w = q;                     /* nothing left: no '?' either */
    *w = '\0';
}

void db_uri_redact(const char *uri, char *out, size_t n)
{
    if (!n)
        return;
    if (!db_is_pg_uri(uri)) {
        snprintf(out, n, "%s", uri ? uri : "");
        return;
    }
    char *s = strdup(uri);
    if (!s) {
        snprintf(out, n, "postgresql://");
        return;
    }
    char *auth = strstr(s, "://") + 3;
    size_t hostlen = strcspn(auth, "/?");
    /* userinfo ends at the last '@' before the path: a password may hold
     * '@' only percent-encoded, but be safe with a raw one too. */
    char *at = NULL;
    for (char *c = auth; c < auth + hostlen; c++)
        if (*c == '@')
            at = c;
    if (at) {
        char *colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon)
            memmove(colon, at, strlen(at) + 1);
    }
    drop_password_param(s);
    snprintf(out, n, "%s", s);
    free(s);
}
