/* db.h - one SQL interface over the journal's two backends: an embedded
 * SQLite file and a PostgreSQL server (libpq).
 *
 * The journal's shared queries are written once, in SQL both backends
 * understand, with `?` parameters numbered from 1 (or `?NNN`, or `:name`);
 * the PostgreSQL side turns them into `$n`. What differs between the two
 * (schema, locks, search indexes, integrity checks) lives in each
 * backend's own files, which may reach the native handle (db_sqlite,
 * db_pg). Nothing outside src/journal*.c and src/db*.c includes this.
 *
 * Errors: a failed call returns DB_ERROR (or NULL) and leaves the reason
 * on the connection: db_errmsg (text, owned by the connection, valid until
 * the next call) and db_fault (a class the journal acts on). */
#ifndef SITESWEEP_DB_H
#define SITESWEEP_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct db db;
typedef struct db_stmt db_stmt;
typedef struct sqlite3 sqlite3;
typedef struct pg_conn PGconn;

typedef enum db_kind { DB_SQLITE, DB_PG } db_kind;

/* What db_step and the other calls return. */
enum { DB_ERROR = -1, DB_DONE = 0, DB_ROW = 1 };

/* Why the last call failed. */
typedef enum db_fault {
    DB_FAULT_NONE = 0,
    DB_FAULT_BUSY,       /* another writer holds a lock; try again later */
    DB_FAULT_RETRY,      /* serialization failure or deadlock: the whole
                            transaction may be run again */
    DB_FAULT_READONLY,   /* the journal, its directory or the role is
                            read-only */
    DB_FAULT_FULL,       /* no space left (disk, or the server's) */
    DB_FAULT_IO,         /* an I/O error reading or writing */
    DB_FAULT_CORRUPT,    /* the file or data is damaged */
    DB_FAULT_CONSTRAINT, /* a constraint or trigger refused the change */
    DB_FAULT_GONE,       /* the server cannot be reached or the connection
                            was lost: nothing of the open transaction
                            happened */
    DB_FAULT_OTHER
} db_fault;

/* Whether s names a PostgreSQL journal: a connection URI starting with
 * postgresql:// or postgres://, in lower case, exactly as libpq tells one
 * (libpq compares the prefix case-sensitively). */
bool db_is_pg_uri(const char *s);

/* Whether s looks like a URI but is not one this program opens: a scheme
 * followed by "//" ("postgresq://", "POSTGRESQL://", "mysql://"), or a
 * PostgreSQL scheme mistyped without it ("postgresql:/h/db", "pgsql:...").
 * SQLite's "file:" names and PostgreSQL URIs are not. When true, the
 * scheme (without ':') is written to scheme (n bytes, may be 0). */
bool db_uri_unknown_scheme(const char *s, char *scheme, size_t n);

/* Wraps an open SQLite connection; the db owns it from then on (db_close
 * closes it). Returns NULL only when out of memory (h is then closed). */
db *db_from_sqlite(sqlite3 *h);

/* Connects to PostgreSQL: uri in libpq's URI syntax; the PG* environment
 * variables and ~/.pgpass are honoured. Unless the URI or PGCONNECT_TIMEOUT
 * set it, the connect timeout is 5 s, and TCP keepalives notice a dead
 * peer within about a minute. Returns the connection, or NULL with
 * msg (n bytes) naming the host and database and why; the password is
 * never part of msg. */
db *db_connect_pg(const char *uri, char *msg, size_t n);

/* PostgreSQL: how long (seconds) a statement may go without an answer
 * from the server before it is cancelled and, 2 s later, its connection
 * cut (DB_FAULT_GONE): $SITESWEEP_PG_WAIT (6 to 3600: more than the 5 s a write
 * waits for a lock), else 15. */
int db_pg_wait_seconds(void);

/* The range (seconds) $SITESWEEP_PG_WAIT may name. */
#define DB_PG_WAIT_MIN 6
#define DB_PG_WAIT_MAX 3600

/* Whether $SITESWEEP_PG_WAIT is unset or a plain decimal number of
 * seconds in DB_PG_WAIT_MIN..DB_PG_WAIT_MAX. Set but empty, signed,
 * padded, with a unit or out of range is not valid: the CLI refuses it
 * (exit 2) before any work rather than quietly waiting 15 s. */
bool db_pg_wait_valid(void);

/* PostgreSQL: the server process (pid) of the last connection given up
 * on (db_pg_wait_seconds): it may still run, and still commit what it
 * was asked to. 0 when none (and always for SQLite). */
int db_pg_gone_pid(db *d);

/* Whether the connection to the server is lost (always false for SQLite). */
bool db_lost(db *d);
/* Connects again after a loss, with the same parameters (PostgreSQL):
 * statements prepared on the server are prepared again when next used.
 * DB_DONE, or DB_ERROR while the server cannot be reached. */
int db_reconnect(db *d);

/* Closes the connection and frees every statement still prepared on it
 * (a NULL d is ignored). */
void db_close(db *d);

db_kind db_kind_of(const db *d);
/* The native handles, for the backend's own files; NULL for the other
 * kind. Owned by d. */
sqlite3 *db_sqlite(db *d);
PGconn *db_pg(db *d);

/* The last failure on d: its message (owned by d, "" when none) and
 * class. */
const char *db_errmsg(const db *d);
db_fault db_fault_of(const db *d);
/* The PostgreSQL SQLSTATE of the last failure ("" when none or SQLite). */
const char *db_sqlstate(const db *d);

/* Prepares one statement. keep: the statement will be reused (PostgreSQL
 * prepares it on the server once per connection). NULL on failure. The
 * statement belongs to d; end it with db_finalize. */
db_stmt *db_prepare(db *d, const char *sql, bool keep);
/* Frees a statement (NULL ignored). */
void db_finalize(db_stmt *st);
/* Makes a statement ready to run again; bindings are kept. */
void db_reset(db_stmt *st);
/* Sets every parameter back to NULL. */
void db_clear_bindings(db_stmt *st);

/* Binds parameter i (from 1). Text is copied; NULL s binds SQL NULL.
 * DB_DONE, or DB_ERROR for an index out of range. */
int db_bind_text(db_stmt *st, int i, const char *s);
int db_bind_int64(db_stmt *st, int i, int64_t v);
int db_bind_null(db_stmt *st, int i);
/* Binds n bytes as a BLOB (SQLite) / bytea (PostgreSQL); copied. */
int db_bind_blob(db_stmt *st, int i, const void *p, size_t n);
/* The index of the parameter named name (":from"), 0 when there is none. */
int db_param_index(db_stmt *st, const char *name);

/* Runs the statement, or moves to its next row: DB_ROW with a row ready,
 * DB_DONE when there are no (more) rows, DB_ERROR (see db_errmsg). On
 * PostgreSQL the first step runs the query and holds its whole result. */
int db_step(db_stmt *st);

/* Columns of the current row, from 0. A NULL reads as 0 / NULL. Text and
 * blobs are owned by the statement, valid until the next step, reset or
 * finalize. */
int db_col_count(db_stmt *st);
bool db_col_null(db_stmt *st, int i);
/* Whether the value is text (not NULL, not a number or blob stored in a
 * column SQLite does not type; PostgreSQL's text columns always are). */
bool db_col_is_text(db_stmt *st, int i);
int64_t db_col_int64(db_stmt *st, int i);
const char *db_col_text(db_stmt *st, int i);
const void *db_col_blob(db_stmt *st, int i, size_t *n);

/* Runs SQL without results (several statements separated by ';' allowed,
 * no parameters): DB_DONE or DB_ERROR. */
int db_exec(db *d, const char *sql);
/* Rows changed by the last INSERT, UPDATE or DELETE run on d. */
int64_t db_changes(db *d);
/* Whether a transaction is open on d. */
bool db_in_transaction(db *d);

/* Writes a journal's name into out (n bytes, always terminated) without
 * any password it may hold: "postgresql://alice:secret@h/db" ->
 * "postgresql://alice@h/db" (any scheme), a password=... parameter
 * dropped, and in a path or a scheme without "//" every "name:secret@" in
 * a part between slashes made "name@" ("/srv/alice:pw@h/j.db" ->
 * "/srv/alice@h/j.db"). A parameter name is percent-decoded first
 * ("pass%77ord=x" is dropped), sslpassword goes as password does, a
 * dbname that is itself a connection string is dropped, and a raw '/' in
 * a URI's password ("postgresql://u:pw/x@h/db") still counts as the
 * password up to the last '@' before the query. In a name without a
 * scheme, libpq's "keyword=value" form loses its password=... too.
 * Every message that names a journal uses it. */
void db_uri_redact(const char *uri, char *out, size_t n);

/* Whether the connection keyword at key (len bytes, percent-encoded as in
 * a URI's query, case ignored) holds a secret libpq sends to the server:
 * password, sslpassword. db_uri_redact drops these parameters. */
bool db_secret_key(const char *key, size_t len);

/* ---- PostgreSQL bulk copy in (COPY ... FROM STDIN, libpq's copy
 * protocol) ----
 * Every wait is bounded as a statement's is (db_pg_wait_seconds with
 * nothing moving, then a cancel request and 2 s more, then the
 * connection is cut: DB_FAULT_GONE), per round trip. Errors leave the
 * reason on d (db_errmsg, db_fault_of). For PostgreSQL connections only.
 *
 * db_pg_copy_begin runs sql, a "COPY table(cols) FROM STDIN" in COPY's
 * text format: DB_DONE with the copy under way, DB_ERROR (the server
 * refused it; no copy under way). While a copy is under way no other
 * statement may run on d: end it with db_pg_copy_end. */
int db_pg_copy_begin(db *d, const char *sql);
/* Sends n bytes of rows (whole rows or parts of them, in COPY's text
 * format: values separated by tabs, rows ended by '\n', "\N" for NULL,
 * backslash, tab, newline and carriage return escaped). The bytes are the
 * caller's; libpq copies them. DB_DONE, DB_ERROR (then end the copy with
 * db_pg_copy_end, which reports the server's reason). */
int db_pg_copy_put(db *d, const char *buf, size_t n);
/* Ends the copy: abort_reason NULL to finish (DB_DONE when the server
 * took every row: db_changes says how many; DB_ERROR with its reason,
 * e.g. a row it refused), else the copy is abandoned with that reason
 * (DB_ERROR). Either way the copy is over. An abandoned or refused copy
 * leaves the transaction it ran in failed: roll it back. */
int db_pg_copy_end(db *d, const char *abort_reason);

#endif
