/* db.c - the backend-neutral half of db.h: argument checks, dispatch to
 * the backend's operations, the statement list and URI helpers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "db_int.h"

bool db_is_pg_uri(const char *s)
{
    /* Exactly as libpq tells a URI (uri_prefix_length: strncmp, so case
     * matters): "POSTGRESQL://" is not one to libpq. */
    return s && (strncmp(s, "postgresql://", 13) == 0 ||
                 strncmp(s, "postgres://", 11) == 0);
}

/* The length of s's URI scheme ("scheme:", RFC 3986: a letter, then
 * letters, digits, '+', '-', '.'), 0 when s does not start with one. */
static size_t scheme_len(const char *s)
{
    if (!s || !isalpha((unsigned char)s[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' ||
           s[i] == '.')
        i++;
    return s[i] == ':' ? i : 0;
}

bool db_uri_unknown_scheme(const char *s, char *scheme, size_t n)
{
    size_t len = scheme_len(s);
    if (!len || db_is_pg_uri(s) || strncmp(s, "file:", 5) == 0)
        return false;
    char low[32] = "";
    for (size_t i = 0; i < len && i + 1 < sizeof low; i++)
        low[i] = (char)tolower((unsigned char)s[i]);
    /* Anything written as a URI, or a PostgreSQL scheme mistyped
     * ("postgresql:/h/db", "postgresq:...", "pgsql:..."). */
    bool like = strncmp(s + len, "://", 3) == 0 ||
                strncmp(low, "postg", 5) == 0 || strcmp(low, "pg") == 0 ||
                strcmp(low, "pgsql") == 0 || strcmp(low, "psql") == 0;
    if (like && n)
        snprintf(scheme, n, "%.*s", (int)len, s);
    return like;
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

/* Percent-decodes the len bytes at p into out (n bytes, terminated),
 * as libpq decodes a URI's parameter names and values: "%77" is 'w'. A
 * malformed escape is kept as written. */
static void pct_decode(const char *p, size_t len, char *out, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < len && w + 1 < n; i++) {
        if (p[i] == '%' && i + 2 < len &&
            isxdigit((unsigned char)p[i + 1]) &&
            isxdigit((unsigned char)p[i + 2])) {
            char hex[3] = {p[i + 1], p[i + 2], '\0'};
            out[w++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[w++] = p[i];
        }
    }
    out[w] = '\0';
}

bool db_secret_key(const char *key, size_t len)
{
    char k[64];
    pct_decode(key, len, k, sizeof k);
    /* Trailing blanks: libpq's conninfo form allows "password = x". */
    size_t kl = strlen(k);
    while (kl && isspace((unsigned char)k[kl - 1]))
        k[--kl] = '\0';
    /* Case-blind (libpq is not, but a name it refuses is no clue to
     * what the value is), and every keyword whose value is a secret. */
    return strcasecmp(k, "password") == 0 ||
           strcasecmp(k, "sslpassword") == 0;
}

/* Whether the value (len bytes, percent-encoded) of a dbname parameter is
 * itself a connection string or URI, which may carry a password. */
static bool nested_conninfo(const char *v, size_t len)
{
    char d[1024];
    pct_decode(v, len, d, sizeof d);
    return strchr(d, '=') != NULL || strstr(d, "://") != NULL;
}

/* Drops from a URI's query string, in place, every parameter whose name,
 * percent-decoded, is a secret (db_secret_key), and every dbname that is
 * a connection string of its own, keeping the others in their order. */
static void drop_password_param(char *s)
{
    char *q = strchr(s, '?');
    if (!q)
        return;
    char *w = q + 1;               /* where the next kept parameter goes */
    for (char *p = q + 1; *p;) {
        size_t len = strcspn(p, "&");
        bool last = p[len] == '\0';
        size_t klen = strcspn(p, "=&");
        bool drop = db_secret_key(p, klen);
        if (!drop && klen < len) {
            char k[64];
            pct_decode(p, klen, k, sizeof k);
            drop = strcasecmp(k, "dbname") == 0 &&
                   nested_conninfo(p + klen + 1, len - klen - 1);
        }
        if (!drop) {
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

/* Drops the password of "user:password@" in the part of s from p to its
 * next '/' (or '?' in an authority), in place: the first ':' before the
 * last '@' of that part up to the '@'. */
static void drop_userinfo_password(char *p, bool authority)
{
    size_t len = strcspn(p, "/");
    char *at = NULL;
    for (char *c = p; c < p + len; c++)
        if (*c == '@')
            at = c;
    if (!at && authority) {
        /* libpq ends the user part at the first '/' or '@', so a raw
         * '/' in a password makes the rest of it a host, a port and a
         * database: still the user's secret, up to the last '@' before
         * the query. */
        size_t qlen = strcspn(p, "?");
        for (char *c = p; c < p + qlen; c++)
            if (*c == '@')
                at = c;
    }
    if (!at)
        return;
    char *colon = memchr(p, ':', (size_t)(at - p));
    if (colon)
        memmove(colon, at, strlen(at) + 1);
}

/* Drops every secret "keyword=value" of libpq's conninfo form
 * ("host=h password=x", values maybe 'quoted'), in place. */
static void drop_conninfo_secrets(char *s)
{
    char *p = s;
    while (*p) {
        char *tok = p;
        while (*p && !isspace((unsigned char)*p) && *p != '=')
            p++;
        size_t klen = (size_t)(p - tok);
        char *eq = p;
        while (isspace((unsigned char)*eq))
            eq++;
        if (*eq != '=') {
            p = *p ? p + 1 : p;
            continue;
        }
        char *v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        char *end = v;
        if (*end == '\'') {
            for (end++; *end && *end != '\''; end++)
                if (*end == '\\' && end[1])
                    end++;
            if (*end)
                end++;
        } else {
            while (*end && !isspace((unsigned char)*end))
                end++;
        }
        if (klen && db_secret_key(tok, klen)) {
            while (*end && isspace((unsigned char)*end))
                end++;
            memmove(tok, end, strlen(end) + 1);
            p = tok;
        } else {
            p = end;
        }
    }
}

void db_uri_redact(const char *uri, char *out, size_t n)
{
    if (!n)
        return;
    char *s = strdup(uri ? uri : "");
    if (!s) {
        snprintf(out, n, "(journal)");
        return;
    }
    size_t sl = scheme_len(s);
    if (sl && strncmp(s + sl, "://", 3) == 0) {
        /* A URI: its authority's userinfo (a password may hold '@' only
         * percent-encoded, but be safe with a raw one too). */
        drop_userinfo_password(s + sl + 3, true);
    } else {
        /* A path, or a scheme without "//" ("postgresql:u:pw@h/db"): any
         * "name:secret@" in one of its parts, after a scheme. */
        for (char *p = s + (sl ? sl + 1 : 0); *p;) {
            drop_userinfo_password(p, false);
            p += strcspn(p, "/");
            if (*p)
                p++;
        }
    }
    drop_password_param(s);
    if (!sl && strchr(s, '='))
        drop_conninfo_secrets(s);
    snprintf(out, n, "%s", s);
    free(s);
}
