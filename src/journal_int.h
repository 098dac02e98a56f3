/* journal_int.h - what the journal's source files share: the handle, the
 * statement cache and the helpers every write goes through. Not part of
 * the public API (journal.h). */
#ifndef SITESWEEP_JOURNAL_INT_H
#define SITESWEEP_JOURNAL_INT_H

#include <sqlite3.h>

#include "db.h"
#include <stdbool.h>
#include <stdint.h>

#include "journal.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

#define STMT_CACHE 48

/* The text a filter searches: time, operator, host, site, item, kind and
 * note, case-folded as the filter is. lower() is SQLite's (ASCII only)
 * in other programs, but every connection sitesweep opens replaces it with
 * Unicode case folding (jdb_fold_register, text_fold), so the indexes its
 * triggers keep and the filters' own comparisons fold all of Unicode,
 * while an event added with the sqlite3 shell still goes in (its index
 * rows then folded for ASCII only). */
#define EVENT_RAW(p)                                                       \
    p "ts || ' ' || " p "operator || ' ' || " p "host || ' ' || "          \
    p "site || ' ' || " p "item || ' ' || " p "kind || ' ' || " p "note"
#define EVENT_TEXT(p) "lower(" EVENT_RAW(p) ")"

/* Characters of an event's text indexed by events_grams (GRAMS_OF in
 * journal_sqlite.c; verify derives them again in C). */
#define GRAM_MAX "1024"
#define GRAM_MAX_N 1024
/* The trigram index events_text's definition: contentless, of EVENT_TEXT
 * (verify builds a copy of it from the events). */
#define EVENTS_TEXT_ARGS                                                   \
    "text, content = '',  tokenize = 'trigram case_sensitive 1'"

/* A prepared statement kept for reuse. */
struct stmt_slot {
    const char *sql;     /* the SQL literal it was prepared from */
    db_stmt *st;    /* the statement */
    bool busy;           /* in use now */
};

/* What differs between the two backends, for the modules both share:
 * one instance per backend (jdb_sqlite_backend in journal_sqlite.c,
 * jdb_pg_backend in journal_pg.c), set when the journal is opened
 * (journal->be), so that no shared module chooses SQL by backend. Every
 * function returns 0 (J_OK) or, on failure, a J_* code / -1 with e set,
 * as its shared caller documents. */
typedef struct jdb_backend {
    /* The SQL function giving the 1-based byte position of ?2 in ?1, 0
     * when absent: "instr" (SQLite) or "strpos" (PostgreSQL). */
    const char *strpos_fn;
    /* UPDATE of a run's derived columns for one of its events (?1 run
     * id, ?2 event ts, ?3 milliseconds of active time to add, ?4
     * operator, ?5 host): last_ts, active_ms, and operators / hosts as
     * compact JSON arrays, first seen first (jdb_run_event). A string
     * literal: its address keys the statement cache. */
    const char *run_event_sql;
    /* Starts a write transaction holding the append lock (jdb_begin
     * checks the schema's triggers after it). */
    int (*begin)(journal *j, ss_err *e);
    /* journal_schema_check for this backend. */
    int (*schema_check)(journal *j, bool triggers_only, char *why,
                        size_t n, ss_err *e);
    /* journal_watch and journal_changed for this backend. */
    int (*watch)(journal *j, ss_err *e);
    int (*changed)(journal *j, bool *changed, ss_err *e);
    /* Adds event ev (just inserted, inside the caller's transaction) to
     * the filter index the core keeps; NULL when the database keeps it
     * itself (SQLite's triggers). */
    int (*index_event)(journal *j, const event *ev, ss_err *e);
    /* The rest of a page of events matching f (f->text set, folded by
     * text_fold), beyond `from` in direction dir (from <= 0 with dir < 0:
     * from the newest), appended to evs[*count..limit), through the
     * backend's filter indexes. */
    int (*page_text)(journal *j, const event_filter *f, int64_t from,
                     int dir, size_t limit, event *evs, size_t *count,
                     ss_err *e);
    /* Derives the filter index of every event after event `after` again
     * (copy wrote the events without jdb_append); NULL when the database
     * keeps it itself. */
    int (*index_rebuild)(journal *j, int64_t after, ss_err *e);
    /* The site list (journal_sites): SITES_LIST_SELECT from every site
     * with its current run (sites.run), in code order, each run read by
     * its key, never all runs (PostgreSQL's planner would otherwise hash
     * the whole runs table: 30 ms at 10,000 past runs). A literal. */
    const char *sites_sql;
} jdb_backend;

/* The columns of the site list (jdb_backend.sites_sql): the site, its
 * last activity, and its current run r (NULLs when none). */
#define SITES_LIST_SELECT                                                  \
    "SELECT s.code, s.name, s.parent, s.server, s.drive, s.state,"         \
    " s.logon, s.servers, s.pdc, s.last_ts, r.id, r.open, r.closed,"       \
    " r.applicable, r.started, r.ended, r.resume, r.procedure, r.number,"  \
    " r.state"

extern const jdb_backend jdb_sqlite_backend;
extern const jdb_backend jdb_pg_backend;

struct journal {
    db *db;                    /* the connection (db.h) */
    const jdb_backend *be;     /* what differs by backend */
    struct stmt_slot cache[STMT_CACHE]; /* statements kept for reuse */
    char *path;                /* the journal's name for every message and
                                  screen: as given, with any password
                                  taken out (db_uri_redact) */
    char *file;                /* SQLite: the file as given, for the file
                                  system only, never for a message (NULL
                                  on PostgreSQL) */
    char operator_name[128];   /* who records */
    char host[256];            /* where */
    bool pg;                   /* a PostgreSQL journal (db_kind_of PG) */
    char schema[64];           /* its schema, when pg */
    bool pg_create;            /* PostgreSQL: no journal in the schema
                                  yet; the next write transaction makes
                                  it, inside it (copy's target) */
    bool console;              /* claims runs; marks need the claim */
    int64_t data_version;      /* SQLite's, at the last journal_changed */
    bool watching;             /* journal_watch was called (PostgreSQL:
                                  LISTEN again after a reconnection) */
    bool takeover;             /* a script may mark a held run */
    int64_t pg_checked_ms;     /* PostgreSQL: monotonic time of the last
                                  same-session check (jpg_changed) */
    int pg_holds_owed;         /* PostgreSQL: holds of this console whose
                                  lock another session (its own old one,
                                  lost but not yet ended) still has: taken
                                  again by each jpg_changed */
    char cached_hash[65];      /* procedure parsed last, by hash */
    procedure cached;          /* its parse */
};

/* verify of a PostgreSQL journal: the whole journal is copied into a
 * private temporary SQLite file (journal_copy) and checked there with
 * every check a SQLite journal gets (chain, checkpoints, events, stored
 * procedures, derived tables), then PostgreSQL's own triggers are
 * checked. Returns as journal_verify_checkpoints. */
/* What jdb_verify_copy runs once its private directory exists and before
 * it copies (so a signal meanwhile still removes the directory): 0 to go
 * on, 1 when it found a problem in res (no copy then), -1 with e set. */
typedef int (*jdb_verify_pre)(journal *j, verify_result *res, void *arg,
                              ss_err *e);
int jdb_verify_copy(journal *j, const checkpoint *anchors, size_t n,
                    jdb_verify_pre pre, void *pre_arg,
                    verify_result *res, ss_err *e);

/* Opens (creating it 0600 when missing) the SQLite journal at path,
 * refusing a file that is not one, and migrates it (journal_sqlite.c):
 * journal_open for a path that is not a PostgreSQL URI. 0 with *out, -1
 * with e set. */
int jsq_journal_open(const char *path, journal **out, ss_err *e);
/* jsq_journal_open of a file the caller has just made, empty, for itself
 * (copy's temporary target, mkstemp): its 0 bytes are taken as a new
 * journal to make, not refused as a truncated one. */
int jsq_journal_open_fresh(const char *path, journal **out, ss_err *e);
/* Finalizes the kept statements and closes j's connection (j->db NULL
 * after; the journal itself stays). */
void jdb_close_db(journal *j);
/* name without its password (db_uri_redact), allocated (the caller
 * frees it); never NULL. */
char *jdb_name_shown(const char *name);
/* Replaces every raw in e's message by shown (a journal's name as given
 * and as it may be shown); a message too long for e is cut. */
void jdb_err_redact(ss_err *e, const char *raw, const char *shown);
/* disk_full_hint for j's file, naming it as j->path (no password):
 * " (no space left on the device holding NAME)" or "", in buf (n bytes). */
char *jdb_full_hint(const journal *j, char *buf, size_t n);

/* Sets the journal's default operator (SITESWEEP_OPERATOR, the login
 * name) and host (gethostname, cleaned). */
void jdb_default_actor(journal *j);

/* Fills e with what failed on the journal, with a hint for busy,
 * read-only and full; returns J_ESTORAGE. */
int jdb_fail(journal *j, ss_err *e, const char *what);
/* Prepares SQL built at run time, for one use (end it with jdb_done). */
db_stmt *jdb_prep_dyn(journal *j, const char *sql, ss_err *e);
/* Prepares SQL from a string literal, kept per journal for reuse. */
db_stmt *jdb_prep(journal *j, const char *sql, ss_err *e);
/* Ends a statement's use: kept ones are reset, others finalized. */
void jdb_done(journal *j, db_stmt *st);
/* Steps a statement that returns no rows and ends its use: J_OK, or
 * J_ESTORAGE with e saying what failed (what: "cannot record the event"). */
int jdb_run(journal *j, db_stmt *st, const char *what, ss_err *e);
/* Steps st for its one row (a lookup): J_OK with the row ready, the caller
 * reads its columns and then ends st with jdb_done; J_NOTFOUND when there
 * is none, st already ended and e untouched; J_ESTORAGE with e saying what
 * failed (what: "cannot read runs"), st already ended. */
int jdb_step_row(journal *j, db_stmt *st, const char *what, ss_err *e);
/* The one integer the literal query sql returns (no parameters):
 * J_OK with *out; J_ESTORAGE with e saying what failed (what), also when
 * it returns no row. */
int jdb_scalar(journal *j, const char *sql, const char *what, int64_t *out,
               ss_err *e);
/* Runs SQL without results; what names the action in the error. */
int jdb_exec(journal *j, const char *sql, const char *what, ss_err *e);
/* Binds a string (NULL as ""). */
void jdb_bind_text(db_stmt *st, int i, const char *s);
/* A text column, "" for NULL. */
const char *jdb_col_text(db_stmt *st, int i);
/* Copies a text column into a fixed buffer. */
void jdb_copy_col(db_stmt *st, int i, char *dst, size_t n);
/* Starts a write transaction (BEGIN IMMEDIATE): J_OK, J_ESTORAGE. */
int jdb_begin(journal *j, ss_err *e);
/* Rolls back the transaction, if one is open. */
void jdb_rollback(journal *j);
/* Commits durably: J_OK; rolls back and returns J_ESTORAGE (e set) when
 * it cannot. */
int jdb_commit(journal *j, ss_err *e);
/* Ends the write transaction begun with jdb_begin by the outcome rc of its
 * work: commits when rc is J_OK (returning jdb_commit's answer), else
 * rolls back and returns rc unchanged (e as the work left it). */
int jdb_finish(journal *j, int rc, ss_err *e);
/* Appends one event, chained to the last, inside the caller's
 * transaction; *id receives its id. J_OK, J_ESTORAGE. */
int jdb_append(journal *j, const char *site_code, int64_t run,
               const char *item, const char *kind, const char *note,
               const char *data, const char *ts, int64_t *id, ss_err *e);
/* Sets a site's install state inside a transaction, journaled; only
 * internal callers (runs) may set or leave "cleaning". J_OK, J_EINPUT (no
 * such site, or "cleaning" from outside), J_ESTORAGE. */
int jdb_set_state(journal *j, const char *code, site_state to,
                  bool internal, const char *ts, ss_err *e);
/* The procedure a run pinned, by hash, parsed once and cached; NULL with
 * e set when it is missing, changed or cannot be read. */
const procedure *jdb_stored_procedure(journal *j, const char *hash,
                                      ss_err *e);
/* The item states of run id, as a fresh run_state: J_OK, J_ESTORAGE (rs
 * freed). */
int jdb_load_states(journal *j, int64_t id, const procedure *p,
                    const site *s, run_state *rs, ss_err *e);
/* The site's open run: J_OK with its id and procedure hash, J_NOTFOUND,
 * or J_ESTORAGE. */
int jdb_open_run(journal *j, const char *code, int64_t *id, char hash[65],
                 char started[32], ss_err *e);
/* A site's data changed: re-decides what applies in its open run. J_OK
 * (also when none is open), J_ESTORAGE. */
int jdb_refresh_open_run(journal *j, const site *s, const char *ts,
                         ss_err *e);
/* Closes run id inside a transaction: open 0, state ("complete" or
 * "abandoned"), ended ts, and no console holds it any more. J_OK, or
 * J_ESTORAGE with e saying what failed (what: "cannot close the run"). */
int jdb_close_run(journal *j, int64_t run, const char *state, const char *ts,
                  const char *what, ss_err *e);
/* One query of a filtered page (journal_events.c): ids beyond `from` in
 * direction dir (from <= 0 with dir < 0: from the newest), up to `bound`
 * when bound is not 0, through the trigram index when fts is given;
 * appends to evs[*count..limit). */
int jdb_page_query(journal *j, const event_filter *f, const char *fts,
                   int64_t from, int64_t bound, int dir, size_t limit,
                   event *evs, size_t *count, ss_err *e);
/* An event from a row of "id, ts, operator, host, site, run, item, kind,
 * note, data, prev, hash"; the strings are allocated (event_clear). */
void jdb_event_from_row(db_stmt *st, event *ev);
/* Reads the rows of st, events of EVENT_COLS, into evs[*count..limit) and
 * ends st: J_OK, J_ESTORAGE (e set; the events read so far stay in evs,
 * counted). */
int jdb_read_events(journal *j, db_stmt *st, size_t limit, event *evs,
                    size_t *count, ss_err *e);
/* Whether the filter's text is one or two characters (valid UTF-8): too
 * short for the trigram index, served by the short-term index. */
/* Registers sitesweep's lower() (Unicode case folding, text_fold) on db;
 * every journal connection has it. SQLITE_OK or SQLite's error. */
int jdb_fold_register(sqlite3 *h);
bool jdb_short_filter(const event_filter *f);
/* The rest of a page for a one- or two-character filter, beyond `from`
 * (exclusive) in direction dir: only the blocks of events whose text holds
 * the term are scanned (journal_filter.c). */
int jdb_page_short(journal *j, const event_filter *f, int64_t from, int dir,
                   size_t limit, event *evs, size_t *count, ss_err *e);

/* The text a filter searches of ev (EVENT_RAW's fields joined by
 * spaces), case-folded by text_fold as SQLite's lower() folds it in the
 * journal's triggers: allocated, the caller frees it. */
char *jdb_event_fold(const event *ev);
/* Whether ev's folded text holds term (already folded): the filter's
 * test, made in C so that both backends fold alike. */
bool jdb_event_matches(const event *ev, const char *term);
/* Calls add for each gram events_grams indexes of the folded text (as
 * GRAMS_OF makes them in SQL): every character with the next one, the
 * last with char(1), the first GRAM_MAX_N characters; then "" (n 0) when
 * the text is longer. Grams may repeat; g is valid during the call. */
void jdb_grams_each(const char *folded,
                    void (*add)(const char *g, size_t n, void *ctx),
                    void *ctx);

/* jdb_sqlite_backend's page_text (journal_filter.c): a window of events
 * scanned first, then the trigram index (three characters or more) or
 * the short-term index (one or two) beyond it. */
int jsq_page_text(journal *j, const event_filter *f, int64_t from, int dir,
                  size_t limit, event *evs, size_t *count, ss_err *e);

/* ---- derived columns of runs for the run list (journal_stats.c) ---- */

/* A run's items by the state they show. */
typedef struct run_counts {
    size_t done, skipped, failed, na, open;
} run_counts;
/* Counts rs's items by state (rs->state). */
void jdb_count_states(const run_state *rs, run_counts *c);
/* Keeps run's derived columns for an event of kind at ts (UTC) just
 * appended by this handle's operator and host, inside the caller's
 * transaction: last_ts, active_ms (the interval from the run's previous
 * event, as timing_active_add counts it), operators and hosts. J_OK (also
 * when there is no such run), J_ESTORAGE with e set. */
int jdb_run_event(journal *j, int64_t run, const char *kind, const char *ts,
                  ss_err *e);
/* What a run's events say its derived columns are. */
typedef struct run_derived {
    size_t closed, applicable;     /* applicable items closed; applicable */
    char resume[PROC_ID_MAX + 1];  /* first open item, "" when none */
    run_counts counts;             /* items by state */
    int64_t active_ms;             /* active time, milliseconds */
} run_derived;
/* Makes (and jdb_derive_end drops) the temporary table jdb_run_derive
 * reads the site's versions from: one pass over the events, inside the
 * caller's transaction. 0, or -1 with e set. */
int jdb_derive_begin(journal *j, ss_err *e);
void jdb_derive_end(journal *j);
/* Derives run's columns from its events (between jdb_derive_begin and
 * jdb_derive_end): its procedure (by hash), the
 * site as it was at event `completed` (the run's end; 0 while open: the
 * site now) and the newest outcome of each item. 0; 1 when the procedure
 * is missing or does not parse (reported by verify's procedure checks);
 * -1 with e set when the journal cannot be read. */
int jdb_run_derive(journal *j, int64_t run, const char *code,
                   const char *hash, int64_t completed, run_derived *out,
                   ss_err *e);
/* The schema 5 upgrade's back-fill: fills the new columns of every run
 * from its events, inside the migration's transaction. 0, or -1 with e
 * set. */
int jdb_migrate_run_stats(journal *j, ss_err *e);
/* SQL of a run's last_ts and of its operators or hosts (col), first seen
 * first, derived from the events (run: SQL naming the run id). */
#define RUN_LAST_TS_SQL(run)                                               \
    "coalesce((SELECT ts FROM main.events WHERE run = " run               \
    " ORDER BY id DESC LIMIT 1), '')"
#define RUN_PEOPLE_SQL(col, run)                                           \
    "(SELECT json_group_array(" col ") FROM (SELECT " col " FROM"         \
    " main.events WHERE run = " run " GROUP BY " col " ORDER BY min(id)))"

/* The generation of run's hold: the id of its latest handover event, 0
 * when none (journal_pg.h: a hold's lock key). J_OK, J_ESTORAGE. */
int jdb_hold_gen(journal *j, int64_t run, int64_t *gen, ss_err *e);

/* Whether another live console holds the run: J_HELD (filling *by when
 * given), J_OK when none does, J_ESTORAGE. */
int jdb_held_by_other(journal *j, int64_t run, run_holder *by, ss_err *e);

/* The site's values as its last site-added or site-updated event up to
 * event id upto recorded them: J_OK (out filled), J_NOTFOUND (no such
 * event, or one this program could not have written), J_ESTORAGE. */
int jdb_site_as_of(journal *j, const char *code, int64_t upto, site *out,
                   ss_err *e);

/* The site's values when finished run id ended (its last event), into
 * *s, which holds the current ones and keeps them when the history has
 * none; the install state stays today's. J_OK, J_ESTORAGE. */
int jdb_site_when_ended(journal *j, int64_t id, site *s, ss_err *e);

/* Whether this console may record in run (code names its site, for the
 * message): a console records only in the run it holds and shows. J_OK
 * when the journal is not a console's, this console holds the run, or
 * another live console does (the caller's jdb_held_by_other says who);
 * J_EINPUT when no live console holds it (a script took it over, or the
 * run ended and another began), e saying so; J_ESTORAGE. */
int jdb_console_may_write(journal *j, int64_t run, const char *code,
                          ss_err *e);

#endif
