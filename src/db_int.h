/* db_int.h - what db.c shares with each backend's file (db_sqlite.c,
 * db_pg.c): the connection, the statement and the table of operations
 * every backend fills in. Not part of db.h's interface. */
#ifndef SITESWEEP_DB_INT_H
#define SITESWEEP_DB_INT_H

#include "db.h"

/* One backend's half of db.h; db.c checks arguments and dispatches. */
typedef struct db_ops {
    db_stmt *(*prepare)(db *d, const char *sql, bool keep);
    void (*finalize)(db_stmt *st);
    void (*reset)(db_stmt *st);
    void (*clear_bindings)(db_stmt *st);
    int (*bind_text)(db_stmt *st, int i, const char *s, size_t n);
    int (*bind_int64)(db_stmt *st, int i, int64_t v);
    int (*bind_null)(db_stmt *st, int i);
    int (*bind_blob)(db_stmt *st, int i, const void *p, size_t n);
    int (*param_index)(db_stmt *st, const char *name);
    int (*step)(db_stmt *st);
    int (*col_count)(db_stmt *st);
    bool (*col_null)(db_stmt *st, int i);
    bool (*col_is_text)(db_stmt *st, int i);
    int64_t (*col_int64)(db_stmt *st, int i);
    const char *(*col_text)(db_stmt *st, int i);
    const void *(*col_blob)(db_stmt *st, int i, size_t *n);
    int (*exec)(db *d, const char *sql);
    int64_t (*changes)(db *d);
    bool (*in_transaction)(db *d);
    const char *(*errmsg)(const db *d);
    db_fault (*fault)(const db *d);
    void (*close)(db *d);
} db_ops;

struct db {
    const db_ops *ops;
    db_kind kind;
    void *native;          /* sqlite3 * or PGconn * */
    db_stmt *stmts;        /* every live statement, so close frees them */
    /* PostgreSQL keeps its own error state (SQLite asks its handle). */
    char err[512];
    char sqlstate[6];
    db_fault fault;
    int64_t changes;
    unsigned generation;   /* bumped at each (re)connection: statements
                              prepared on the server before it are gone */
    unsigned next_name;    /* for server-side statement names */
    bool gave_up;          /* PostgreSQL: the last wait for an answer ran
                              out and the connection was cut (db_pg.c) */
    int gone_pid;          /* the server process of that connection (it
                              may live on, a COMMIT pending), 0 none */
};

struct db_stmt {
    db *d;
    db_stmt *prev, *next;  /* in d->stmts */
    void *native;          /* sqlite3_stmt * (SQLite) */
    /* PostgreSQL: the translated SQL, its parameters and its result. */
    char *sql;
    int nparams;
    char **names;          /* parameter names (":from"), NULL entries for
                              positional ones */
    char **vals;           /* text (or binary for blobs), NULL for NULL */
    int *lens;
    int *fmts;             /* 0 text, 1 binary */
    bool keep;
    char name[24];         /* server-side name when kept */
    unsigned generation;   /* connection generation it was prepared in */
    void *res;             /* PGresult * of the last run */
    int row;               /* next row to hand out; -1 before running */
    int nrows;
    unsigned char *blob;   /* last unescaped bytea */
};

/* Links st into d's list of statements / out of it. */
void db_link(db *d, db_stmt *st);
void db_unlink(db_stmt *st);
/* Records a failure on d (PostgreSQL); msg is copied (trailing newlines
 * trimmed). */
void db_set_error(db *d, db_fault f, const char *sqlstate, const char *msg);

/* PostgreSQL's half of db_lost and db_reconnect (db_pg.c). */
bool db_pg_lost(db *d);
int db_pg_reconnect(db *d);

extern const db_ops db_sqlite_ops;
extern const db_ops db_pg_ops;

#endif
