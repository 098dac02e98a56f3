/* journal_pg.h - the PostgreSQL journal's schema (journal_pg.c). */
#ifndef SITESWEEP_JOURNAL_PG_H
#define SITESWEEP_JOURNAL_PG_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "journal.h"
#include "util.h"

/* Opens the PostgreSQL journal at uri (libpq's URI; the PG* variables and
 * ~/.pgpass honoured): connects (5 s timeout unless set), refuses a
 * connection multiplexed by a transaction-mode pooler, creates or
 * upgrades the schema ($SITESWEEP_PG_SCHEMA, default "sitesweep"). The
 * journal's path is the URI without its password. J_OK with *out, or
 * J_ESTORAGE with e naming the host and database and why. */
int jpg_journal_open(const char *uri, journal **out, ss_err *e);
/* jpg_journal_open for a command that only reads: a schema that does not
 * hold a journal is not created. J_OK; J_NOTFOUND with e saying "no
 * journal yet in schema S of database D" (nothing made); J_EINPUT (a bad
 * schema name); J_ESTORAGE. */
int jpg_journal_open_existing(const char *uri, journal **out, ss_err *e);
/* jpg_journal_open for copy's target: a schema that holds no journal is
 * not made now but by the journal's first write transaction (jpg_begin),
 * inside it, so that a copy rolled back, or whose connection is lost,
 * leaves no schema, tables or meta behind. A schema that holds a journal
 * is upgraded now, as by jpg_journal_open. Returns as jpg_journal_open. */
int jpg_journal_open_for_copy(const char *uri, journal **out, ss_err *e);

/* Starts a write on a PostgreSQL journal: a transaction holding the
 * journal's append lock (an advisory transaction lock), so that writes
 * from every host are serialised and event and run ids are given gapless,
 * in commit order. Waits up to lock_timeout (5 s). 0, or -1 with e set. */
int jpg_begin(journal *j, ss_err *e);

/* Connects again after the server was lost, and sets the session up as
 * before: schema, lock timeout, LISTEN when watching, and the session
 * locks of the holds this console had. 0; -1 with e saying the journal
 * cannot be reached. */
int jpg_reconnect(journal *j, ss_err *e);

/* Starts listening for other programs' writes (LISTEN): 0, -1 (e). */
int jpg_watch(journal *j, ss_err *e);
/* Whether another program wrote since the last call (notifications read
 * without waiting): 0 with *changed; -1 when the connection is lost and
 * cannot be made again (e says so). A closed connection is made again at
 * once (LISTEN again, *changed: everything is read again), and every
 * JPG_CHECK_MS the session is checked with a query on it
 * (jpg_session_ping), for a connection gone half-open. */
int jpg_changed(journal *j, bool *changed, ss_err *e);

/* Takes again, for this session, the lock of every hold the holds table
 * gives to this console (its pid on its host), of each run's current
 * generation: after a reconnection, and while one is owed (another
 * session, this console's old one not yet ended, still has it; counted
 * in j->pg_holds_owed). 0, or -1 on failure (e set). */
int jpg_holds_retake(journal *j, ss_err *e);

/* How often a watching console checks its session (milliseconds). */
#define JPG_CHECK_MS 30000

/* The same-session check: a cheap query on the journal's own connection
 * (nothing while a transaction is open). When it fails, connects again
 * and sets the session up as before (schema, LISTEN, the holds' locks):
 * *reconnected then; whatever was written meanwhile was not heard and
 * must be read again. 0; -1 when the server cannot be reached (e). */
int jpg_session_ping(journal *j, bool *reconnected, ss_err *e);

/* journal_keepalive of a PostgreSQL journal: what jpg_changed does to
 * keep the session (a closed or lost connection made again at once with
 * its LISTEN and this console's holds; the JPG_CHECK_MS same-session
 * check), without reading the notifications (they stay queued for
 * jpg_changed). 0 with *reconnected; -1 when the server cannot be
 * reached (e). Nothing while a transaction is open. */
int jpg_keepalive(journal *j, bool *reconnected, ss_err *e);

/* The schema check of a PostgreSQL journal (journal_schema_check): its
 * triggers must be exactly the ones sitesweep makes, enabled, calling its
 * refusing function unchanged, and its tables must have no rule, no
 * row-level security and no policy (each can swallow, rewrite or hide
 * rows without a trigger). 0; 1 with why (n bytes) naming each thing
 * found; -1 with e set. */
int jpg_schema_check(db *d, char *why, size_t n, ss_err *e);

/* The schema version this program makes (PostgreSQL's own numbering). */
extern const int JOURNAL_PG_SCHEMA_VERSION;

/* Whether s may name the journal's schema: lower-case letters, digits and
 * '_', starting with a letter or '_', at most 63 bytes, not "pg_...",
 * "public" or "information_schema". */
bool jpg_schema_name_ok(const char *s);

/* Creates or upgrades the journal's schema in d's database, one program
 * at a time (an advisory transaction lock), and sets the session's
 * search_path to it. where names the journal in messages (a redacted
 * URI). *version (when given) receives the version found before (0: a new
 * journal). 0; -1 with e set: a bad schema name, a schema newer than this
 * program (nothing changed), or a server failure (rolled back). */
int jpg_schema_setup(db *d, const char *schema, const char *where,
                     int *version, ss_err *e);

/* ---- holds: a console's hold on a run is a session advisory lock ----
 * The lock lives exactly as long as the console's database session: when
 * the console dies (kill -9, network cut, host gone) the server ends the
 * session and the hold with it. Locks are keyed by the schema (several
 * journals may share a database), the hold's generation and the run id.
 * The generation (jdb_hold_gen) is the id of the run's latest handover
 * event, 0 when none: a handover moves the hold to a new key, so a
 * console taken over holds nothing that counts any more, even before it
 * lets its old lock go. The holds table only says who; the lock says
 * whether (a row deleted behind the program's back does not free a run). */

/* Takes the hold of run (generation gen) for d's session without
 * waiting: 1 taken (or already ours), 0 another session holds it, -1 on
 * failure (e set). */
int jpg_hold_take(db *d, const char *schema, int64_t run, int64_t gen,
                  ss_err *e);
/* Lets it go: 0, -1 on failure. */
int jpg_hold_drop(db *d, const char *schema, int64_t run, int64_t gen,
                  ss_err *e);
/* Lets go every hold lock of run this session has under another
 * generation than gen (a console that learns it was taken over): 0, -1. */
int jpg_hold_drop_stale(db *d, const char *schema, int64_t run, int64_t gen,
                        ss_err *e);
/* Whether a live session holds run in generation gen (others: a session
 * other than d's): 1 yes, 0 no, -1 on failure. */
int jpg_hold_alive(db *d, const char *schema, int64_t run, int64_t gen,
                   bool others, ss_err *e);
/* Who the server says holds run in generation gen, another session than
 * d's (for a hold whose row is missing): its role and application name in
 * h->operator_name, client host, backend pid and session start (UTC).
 * 1 found, 0 none, -1 (e set). */
int jpg_hold_session(db *d, const char *schema, int64_t run, int64_t gen,
                     run_holder *h, ss_err *e);

/* Whether d is a session of its own on the server, as holds need: not
 * multiplexed by a pooler in transaction mode (pgbouncer's default), where
 * a session lock would outlive its console or vanish. Tells by a marker
 * set on the session and a backend pid that must both survive separate
 * transactions; behind a pooler (the backend key libpq got is not the
 * server process's pid) also by a second connection with d's parameters,
 * whose open transaction must get a server process of its own while d
 * keeps its one. 0 fit; 1 not (why, n bytes, says so); -1 on failure (e
 * set). */
int jpg_session_check(db *d, char *why, size_t n, ss_err *e);

/* ---- the filter index (events_grams, schema 2) ---- */

/* For verify of a PostgreSQL journal: replaces the events_grams rows of
 * copy (its private SQLite copy, where SQLite's trigger derived them
 * again) with the PostgreSQL journal's own, so that verify compares the
 * server's index with what the events make. 0, -1 with e set. */
int jpg_grams_into(journal *j, journal *copy, ss_err *e);

#endif
