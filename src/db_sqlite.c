/* db_sqlite.c - db.h over an SQLite connection: a thin layer, since the
 * shared SQL is already SQLite's. Errors are read from the handle. */
#include <sqlite3.h>
#include <stdlib.h>

#include "db_int.h"

#define H(d) ((sqlite3 *)(d)->native)
#define S(st) ((sqlite3_stmt *)(st)->native)

db *db_from_sqlite(sqlite3 *h)
{
    db *d = calloc(1, sizeof *d);
    if (!d) {
        sqlite3_close(h);
        return NULL;
    }
    d->ops = &db_sqlite_ops;
    d->kind = DB_SQLITE;
    d->native = h;
    return d;
}

static db_stmt *sq_prepare(db *d, const char *sql, bool keep)
{
    sqlite3_stmt *s = NULL;
    unsigned flags = keep ? SQLITE_PREPARE_PERSISTENT : 0;
    if (sqlite3_prepare_v3(H(d), sql, -1, flags, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return NULL;
    }
    db_stmt *st = calloc(1, sizeof *st);
    if (!st) {
        sqlite3_finalize(s);
        return NULL;
    }
    st->native = s;
    st->keep = keep;
    db_link(d, st);
    return st;
}

static void sq_finalize(db_stmt *st)
{
    sqlite3_finalize(S(st));
    free(st);
}

static void sq_reset(db_stmt *st) { sqlite3_reset(S(st)); }
static void sq_clear_bindings(db_stmt *st) { sqlite3_clear_bindings(S(st)); }

static int bound(int rc) { return rc == SQLITE_OK ? DB_DONE : DB_ERROR; }

static int sq_bind_text(db_stmt *st, int i, const char *s, size_t n)
{
    return bound(sqlite3_bind_text64(S(st), i, s, n, SQLITE_TRANSIENT,
                                     SQLITE_UTF8));
}

static int sq_bind_int64(db_stmt *st, int i, int64_t v)
{
    return bound(sqlite3_bind_int64(S(st), i, v));
}

static int sq_bind_null(db_stmt *st, int i)
{
    return bound(sqlite3_bind_null(S(st), i));
}

static int sq_bind_blob(db_stmt *st, int i, const void *p, size_t n)
{
    return bound(sqlite3_bind_blob64(S(st), i, p, n, SQLITE_TRANSIENT));
}

static int sq_param_index(db_stmt *st, const char *name)
{
    return sqlite3_bind_parameter_index(S(st), name);
}

static int sq_step(db_stmt *st)
{
    int rc = sqlite3_step(S(st));
    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE)
        return DB_DONE;
    return DB_ERROR;
}

static int sq_col_count(db_stmt *st) { return sqlite3_column_count(S(st)); }

static bool sq_col_null(db_stmt *st, int i)
{
    return sqlite3_column_type(S(st), i) == SQLITE_NULL;
}

static bool sq_col_is_text(db_stmt *st, int i)
{
    return sqlite3_column_type(S(st), i) == SQLITE_TEXT;
}

static int64_t sq_col_int64(db_stmt *st, int i)
{
    return sqlite3_column_int64(S(st), i);
}

static const char *sq_col_text(db_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(S(st), i);
}

static const void *sq_col_blob(db_stmt *st, int i, size_t *n)
{
    const void *p = sqlite3_column_blob(S(st), i);
    *n = (size_t)sqlite3_column_bytes(S(st), i);
    return p;
}

static int sq_exec(db *d, const char *sql)
{
    return sqlite3_exec(H(d), sql, NULL, NULL, NULL) == SQLITE_OK ? DB_DONE
                                                                  : DB_ERROR;
}

static int64_t sq_changes(db *d) { return sqlite3_changes64(H(d)); }

static bool sq_in_transaction(db *d) { return !sqlite3_get_autocommit(H(d)); }

static const char *sq_errmsg(const db *d) { return sqlite3_errmsg(H(d)); }

static db_fault sq_fault(const db *d)
{
    switch (sqlite3_extended_errcode(H(d)) & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return DB_FAULT_NONE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return DB_FAULT_BUSY;
    case SQLITE_READONLY:
        return DB_FAULT_READONLY;
    case SQLITE_FULL:
        return DB_FAULT_FULL;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return DB_FAULT_IO;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return DB_FAULT_CORRUPT;
    case SQLITE_CONSTRAINT:
        return DB_FAULT_CONSTRAINT;
    default:
        return DB_FAULT_OTHER;
    }
}

static void sq_close(db *d) { sqlite3_close(H(d)); }

const db_ops db_sqlite_ops = {
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .clear_bindings = sq_clear_bindings,
    .bind_text = sq_bind_text,
    .bind_int64 = sq_bind_int64,
    .bind_null = sq_bind_null,
    .bind_blob = sq_bind_blob,
    .param_index = sq_param_index,
    .step = sq_step,
    .col_count = sq_col_count,
    .col_null = sq_col_null,
    .col_is_text = sq_col_is_text,
    .col_int64 = sq_col_int64,
    .col_text = sq_col_text,
    .col_blob = sq_col_blob,
    .exec = sq_exec,
    .changes = sq_changes,
    .in_transaction = sq_in_transaction,
    .errmsg = sq_errmsg,
    .fault = sq_fault,
    .close = sq_close,
};
