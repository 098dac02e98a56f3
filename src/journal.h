/* journal.h - the SQLite journal: append-only events chained by SHA-256,
 * the site inventory and cleanup runs derived from them in the same
 * transaction. Every write is one durable transaction (WAL, FULL sync). */
#ifndef SITESWEEP_JOURNAL_H
#define SITESWEEP_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "procedure.h"
#include "run.h"
#include "site.h"
#include "util.h"

#define JOURNAL_SCHEMA_VERSION 6
#define JOURNAL_BUSY_MS 5000 /* how long a write waits for another writer */

/* What the journal's functions return (as int). Every function returns
 * J_OK or one of these; the comment on each says which. The values are
 * fixed: callers and tests compare against them, and negative means "did
 * not happen". e is filled for every negative code. */
typedef enum journal_rc {
    J_ESTORAGE = -1, /* the journal could not be read or written (busy,
                        read-only, full, damaged); e says why */
    J_EINPUT = -2,   /* the request itself is wrong (unknown site or item,
                        missing note, not allowed now); e says why */
    J_OK = 0,        /* done */
    J_NOTFOUND = 1,  /* a lookup found nothing; e is not touched */
    J_HELD = 3,      /* the run is held by another console */
    J_ALREADY = 4,   /* the outcome was already recorded: nothing new was
                        written. Internal to the journal modules: the public
                        journal_mark reports it as J_OK with res->already */
} journal_rc;

/* The older names, kept so callers read as before. */
#define JOURNAL_NOTFOUND J_NOTFOUND
#define JOURNAL_EINPUT J_EINPUT
#define JOURNAL_HELD J_HELD

typedef struct journal journal;

/* The journal's path: opt if given, else $SITESWEEP_JOURNAL, else
 * $XDG_DATA_HOME/sitesweep/journal.db, else ~/.local/share/...
 * J_OK, or J_ESTORAGE with e set (no path, or too long). */
int journal_resolve_path(const char *opt, char *buf, size_t n, ss_err *e);

/* Whether path names a PostgreSQL journal (a postgresql:// or
 * postgres:// URI) rather than a SQLite file. */
bool journal_is_server(const char *path);

/* Opens (creating it 0600, and its directory 0700, when missing) and
 * migrates the schema. Refuses a file that is not a SQLite database, or
 * one written by a newer sitesweep. J_OK with *out, or J_ESTORAGE with e
 * set. */
int journal_open(const char *path, journal **out, ss_err *e);
/* journal_open for commands that only read: creates nothing. A missing
 * SQLite file, or a PostgreSQL schema that holds no journal, is
 * J_NOTFOUND with e saying "no journal yet" and where (the PostgreSQL
 * schema and database named). J_OK with *out; J_EINPUT (a bad schema
 * name); J_ESTORAGE. (journal_pg.c) */
int journal_open_existing(const char *path, journal **out, ss_err *e);

/* Refuses a journal name that looks like a URI but is not one this
 * program opens ("postgresq://u:pw@h/db", "postgresql:/h/db",
 * "POSTGRESQL://...": libpq's schemes are postgresql:// and postgres://,
 * in lower case), rather than taking it for a SQLite file name: J_OK, or
 * J_EINPUT with e saying "not a journal: unknown URI scheme", the name
 * without its password. (journal_pg.c) */
int journal_name_check(const char *name, ss_err *e);
/* Writes name into out (n bytes) without any password it holds, as every
 * message shows a journal's name (db_uri_redact). */
void journal_name_redact(const char *name, char *out, size_t n);
void journal_close(journal *j);
const char *journal_path(const journal *j);
/* Who writes the next events. Defaults: login name, gethostname(). */
void journal_set_actor(journal *j, const char *operator_name,
                       const char *host);
const char *journal_operator(const journal *j);
/* Makes a host name, an operator's name or a file name (NUL-terminated,
 * in a buffer of n bytes) fit to record as one line (text.h's rules): unchanged when it is valid UTF-8 without control or
 * bidirectional characters; else escaped as the outputs escape text
 * (\xNN, \x1B, \u202E); when that is n bytes or more, cut between
 * escapes and ended with "..." to show it was cut. */
void journal_host_clean(char *host, size_t n);

/* Live consoles. journal_watch starts watching for writes by other
 * programs (a console calls it once); journal_changed then says, without
 * waiting, whether any other connection has committed a write since its
 * last call: SQLite's data_version, PostgreSQL's LISTEN/NOTIFY (a write
 * notifies at commit). Cheap enough to call several times a second.
 * J_OK with *changed; J_ESTORAGE (e says why: the server cannot be
 * reached). */
int journal_watch(journal *j, ss_err *e);
int journal_changed(journal *j, bool *changed, ss_err *e);
/* Keeps a console's journal session alive while it waits in a dialog,
 * where journal_changed is not called: on PostgreSQL, a connection lost
 * or closed (the server restarted) is made again with its LISTEN, and
 * the session locks of this console's holds are taken again (a run
 * another console took meanwhile stays that console's: this console's
 * next write there is refused); every JPG_CHECK_MS the same-session
 * check. Does not read what changed: changes stay for journal_changed,
 * except across a reconnection, after which *reconnected is true and
 * everything must be read again. Nothing on SQLite (J_OK, *reconnected
 * false). Cheap enough to call several times a second. J_OK;
 * J_ESTORAGE (e: the server cannot be reached). */
int journal_keepalive(journal *j, bool *reconnected, ss_err *e);

/* Number of sites known (0 on a new journal): J_OK, J_ESTORAGE. */
int journal_site_count(journal *j, size_t *n, ss_err *e);

/* Imports a validated inventory in one transaction: new sites are added,
 * changed sites updated, each journaled, plus one "import" event.
 * J_OK; J_EINPUT (e names the source line or site), J_ESTORAGE: nothing
 * is imported then. */
typedef struct import_stats {
    size_t added, updated, unchanged;
} import_stats;
int journal_import(journal *j, const inventory *inv, const char *source,
                   import_stats *st, ss_err *e);

/* Adds (create=true, refused if the code exists) or updates (refused if
 * missing) one site, journaled. The site must pass site_check.
 * J_OK, J_EINPUT (refused), J_ESTORAGE. */
int journal_site_save(journal *j, const site *s, bool create, ss_err *e);
/* Sets a site's install state, journaled ("site-state"): J_OK, J_EINPUT
 * (no such site, or "cleaning", which only runs set), J_ESTORAGE. */
int journal_site_set_state(journal *j, const char *code, site_state st,
                           ss_err *e);
/* J_OK found, J_NOTFOUND, J_ESTORAGE. Code matched case-insensitively. */
int journal_site_get(journal *j, const char *code, site *out, ss_err *e);

/* A site with its cleanup progress, for lists. */
typedef struct site_row {
    site site;
    int64_t run;          /* latest run id, 0 when none */
    bool run_open;        /* the latest run is still open */
    size_t closed;        /* items done or skipped in the latest run */
    size_t applicable;    /* applicable items in the latest run */
    char run_started[32]; /* UTC start of the latest run, "" if none */
    char run_ended[32];   /* UTC completion, "" while open */
    char resume[PROC_ID_MAX + 1]; /* first open item of an open run */
    char last_activity[32]; /* UTC time of the site's latest event */
    char run_procedure[65]; /* SHA-256 of the procedure the run pinned */
    int64_t run_number;   /* the latest run's number at this site (1, 2..) */
    char run_state[12];   /* "open", "complete", "abandoned"; "" if none */
} site_row;
/* All sites ordered by code; reads only the derived tables (constant per
 * site, whatever the journal's length). J_OK with *rows allocated, or
 * J_ESTORAGE. */
int journal_sites(journal *j, site_row **rows, size_t *n, ss_err *e);

/* A run with the procedure it pinned when it started. */
typedef struct run_view {
    int64_t id;            /* the journal's run id (global, for the chain) */
    int64_t number;        /* the run's number at its site: K7Q #1, #2.. */
    char site[4];
    bool open;
    char state[12];        /* "open", "complete" or "abandoned" */
    char prior[16];        /* install state of the site before the run */
    char started[32];
    char ended[32];        /* "" while open */
    procedure proc;        /* parsed from the text stored with the run */
    run_state st;          /* item states now */
    site values;           /* the site's values the run is shown with: now
                              for an open run; for a finished one, as they
                              were at its last event (what applied then and
                              what its commands said), so a later import
                              or edit cannot rewrite a finished cleanup */
} run_view;
void run_view_free(run_view *rv);

/* After a write that may or may not be recorded (its COMMIT's answer was
 * lost): whether the server process that had it has ended, so that what
 * the journal says now is final. 1 (or when there was no such write, and
 * always on SQLite), 0 while it still runs or the journal cannot be
 * reached, -1 when it cannot be told. */
int journal_doubt_settled(journal *j);

/* The site's open run: J_OK, J_NOTFOUND (no such site or none open),
 * J_ESTORAGE. */
int journal_run_current(journal *j, const char *code, run_view *out,
                        ss_err *e);
/* Run id of the site, open or closed: J_OK, J_NOTFOUND, J_ESTORAGE. */
int journal_run_get(journal *j, const char *code, int64_t id, run_view *out,
                    ss_err *e);
/* Starts a run of p for the site ("run-started"; the site's state becomes
 * cleaning). Refused when one is open. p's text is stored with the run.
 * J_OK (out, when given, is the new run), J_EINPUT (no such site, or a run
 * is open), J_ESTORAGE. */
int journal_run_start(journal *j, const char *code, const procedure *p,
                      run_view *out, ss_err *e);

/* A console that holds a run: one console at a time works on a run. */
typedef struct run_holder {
    char operator_name[128]; /* who */
    char host[256];          /* where */
    long pid;                /* which process */
    char since[32];          /* UTC time it took the run */
    bool gone;               /* journal_run_claim: this holder's console
                                had gone away (process or database
                                session ended), and the claim took its
                                place without a question */
} run_holder;

/* Marks this handle as a console: it claims runs, and its marks are
 * refused once another console has taken its run over. */
void journal_set_console(journal *j, bool console);
/* For a script's handle (not a console): marks on a run a live console
 * holds are refused (J_HELD, saying who holds it, from where and since
 * when) unless takeover is set; then the mark journals a "handover" event
 * first and the console's hold ends, in the same transaction. */
void journal_set_takeover(journal *j, bool takeover);
/* Claims the run for this console. J_OK when claimed (or already ours, or
 * the holder's console is gone: then *by says who it was, by->gone set);
 * J_HELD when another live console holds
 * it, *by saying who, from where and since when. With takeover, takes it
 * from that console and journals a "handover" event. Otherwise, when the
 * run is open and its latest event is older than the idle gap
 * (TIMING_IDLE_LIMIT), journals a "resumed" event in the same
 * transaction: the next item's time counts from it. J_EINPUT when
 * there is no such run to take over (nothing written); J_ESTORAGE (also
 * when the run's site cannot be read: nothing written). */
int journal_run_claim(journal *j, int64_t run, bool takeover, run_holder *by,
                      ss_err *e);
/* Lets the run go when this console leaves it: J_OK, J_ESTORAGE. */
int journal_run_release(journal *j, int64_t run, ss_err *e);
/* Whether this console still holds run (it claimed it), asked when the
 * journal changed elsewhere: J_OK it does; J_HELD it does not any more
 * (another console or a script's --take-over took it over, or it ended):
 * *by (when given) says who took it over and when (the hold's row, else
 * the run's last handover event; zeroed when neither says), and on
 * PostgreSQL this session lets its lock on the run go; J_ESTORAGE. */
int journal_run_hold_check(journal *j, int64_t run, run_holder *by,
                           ss_err *e);

typedef struct mark_result {
    int64_t event;      /* id of the recorded event, 0 when nothing was */
    int64_t run;        /* the run it belongs to */
    int64_t number;     /* that run's number at the site (K7Q #2: 2) */
    bool started;       /* a run was started for it */
    bool already;       /* the item already had that outcome (in the open
                           run, or as the confirmation that completed the
                           latest run): nothing new was recorded */
    bool completed;     /* this closed the run: the site is now clean */
    size_t closed;      /* the run's items done or skipped, after it */
    size_t applicable;  /* the run's applicable items */
    char procedure[65]; /* hash of the procedure the run follows */
} mark_result;
/* Returns J_OK, J_EINPUT, J_HELD (a script's mark on a run a live console
 * holds, without journal_set_takeover) or J_ESTORAGE. When the item already had that
 * outcome (J_ALREADY inside), returns J_OK with res->already and writes
 * nothing.
 * Records an outcome for an item of the site's open run, starting a run
 * of p when none is open (p may be NULL then only if a run is open). One
 * transaction: the event, the derived state, completion and the site's new
 * state all commit together, or nothing does. */
int journal_mark(journal *j, const char *code, const char *item, outcome o,
                 const char *note, const procedure *p, mark_result *res,
                 ss_err *e);
/* Adds a note to an item of the site's open run: J_OK (*event its id),
 * J_EINPUT (empty note, unknown site or item, no open run, taken over),
 * J_ESTORAGE. */
int journal_note(journal *j, const char *code, const char *item,
                 const char *note, int64_t *event, ss_err *e);

/* One journal event. */
typedef struct event {
    int64_t id;        /* 1, 2, ... in the order written */
    char ts[32];       /* UTC, "2026-11-27T02:20:24.123Z" */
    char *operator_name;
    char *host;
    char site[4];      /* "" when the event concerns no one site */
    int64_t run;       /* 0 when none */
    int64_t run_number; /* the run's number at its site (K7Q #2: 2) when a
                           writer looked it up (journal_run_number), else 0;
                           not part of the hash */
    char item[PROC_ID_MAX + 1]; /* "" when none */
    char kind[24];     /* import, site-added, site-updated, site-state,
                          run-started, done, skipped, failed, reopened,
                          note, run-completed, run-abandoned, handover */
    char *note;        /* "" when none */
    char *data;        /* JSON details, "" when none */
    char prev[65];     /* hash of the event before */
    char hash[65];     /* SHA-256 over prev and this event's fields */
} event;
void event_clear(event *ev);
/* The hash that chains ev: SHA-256 over ev->prev and each of its fields
 * (id, run, ts, operator, host, site, item, kind, note, data), each
 * written as length:value so no two events serialise alike. */
void journal_event_hash(const event *ev, char out[65]);
void events_free(event *evs, size_t n);

typedef struct event_filter {
    const char *site; /* exact code, or NULL */
    int64_t run;      /* run id, or 0 */
    const char *text; /* substring of time, operator, site, item, kind or
                         note (case-insensitive), or NULL */
} event_filter;

/* A page of events. dir < 0: ids below from (0 = from the newest),
 * newest first. dir > 0: ids above from, oldest first. Uses the primary
 * key, so a page costs the same at any depth. J_OK with *out allocated
 * (events_free), or J_ESTORAGE. */
int journal_events_page(journal *j, const event_filter *f, int64_t from,
                        int dir, size_t limit, event **out, size_t *n,
                        ss_err *e);
/* Streams every matching event oldest first; cb returning non-zero stops.
 * J_OK (also when cb stopped with > 0), J_ESTORAGE (also when cb stopped
 * with < 0: cb fills e itself then). */
int journal_events_each(journal *j, const event_filter *f,
                        int (*cb)(const event *ev, void *ctx), void *ctx,
                        ss_err *e);
/* Event id: J_OK (event_clear it), J_NOTFOUND, J_ESTORAGE. */
int journal_event_get(journal *j, int64_t id, event *out, ss_err *e);
/* Number of events: J_OK, J_ESTORAGE. */
int journal_event_count(journal *j, int64_t *n, ss_err *e);

/* A checkpoint names the journal's whole history in one string: the number
 * of events and the newest event's hash, written "N:HASH" (HASH 64
 * lower-case hex digits; "0:" + 64 zeros for an empty journal). */
#define CHECKPOINT_MAX (21 + 1 + 64 + 1)
typedef struct checkpoint {
    int64_t events;    /* N: number of events */
    char hash[65];     /* hash of event N (the genesis hash when N is 0) */
} checkpoint;
/* The journal's checkpoint now: J_OK, or J_ESTORAGE with e set. Reads one
 * row. */
int journal_checkpoint(journal *j, checkpoint *out, ss_err *e);
/* Writes "N:HASH" into out (CHECKPOINT_MAX bytes). */
void checkpoint_format(const checkpoint *c, char out[CHECKPOINT_MAX]);
/* Parses "N:HASH" (N >= 0, HASH 64 hex digits, upper case accepted and
 * stored lower): J_OK, or -1 with e naming what is wrong with s (ss_errf's
 * value; it reads no journal, so no other code applies). */
int checkpoint_parse(const char *s, checkpoint *out, ss_err *e);

/* What verify found wrong first. */
typedef enum verify_problem {
    VERIFY_OK,         /* nothing: the journal is intact */
    VERIFY_FILE,       /* SQLite's integrity check failed: damaged pages */
    VERIFY_CHAIN,      /* an event altered, removed or inserted (bad_id) */
    VERIFY_CHECKPOINT, /* the history differs from a given checkpoint */
    VERIFY_PROCEDURE,  /* a stored procedure changed or no longer parses */
    VERIFY_DERIVED,    /* a derived table disagrees with the events */
    VERIFY_EVENT,      /* an event no sitesweep could have written
                          (event: its id) */
    VERIFY_SCHEMA,     /* a table, index, trigger or view sitesweep did not
                          make, or one of its own missing or altered */
} verify_problem;

typedef struct verify_result {
    int64_t checked;   /* events checked */
    int64_t bad_id;    /* first bad event of the chain, 0 when the chain is
                          good (VERIFY_CHAIN only) */
    char why[256];     /* what is wrong, in words */
    verify_problem problem; /* which check failed first */
    int64_t event;     /* the event the disagreement is about: the
                          checkpoint's N, the event a derived row comes
                          from; 0 when none */
    char table[32];    /* the table that disagrees, "" when none */
    char column[32];   /* its column ("(row)": a whole row), "" when none */
    char key[64];      /* which row: "run 2 item 4a", "site K7Q" */
    char expected[96]; /* what the events say (SQL-quoted for derived
                          rows, the hash for a checkpoint) */
    char found[96];    /* what the file holds */
    checkpoint head;   /* the history checked: events and the last hash */
} verify_result;
/* Compares the journal's schema (sqlite_master: every table, index,
 * trigger and view, with its SQL) with the one this sitesweep makes for
 * its schema version; SQLite's statistics tables are allowed. With
 * triggers_only, only triggers (any not made by sitesweep, or changed).
 * A journal of an older schema version is checked for objects sitesweep
 * never makes only. Returns 0 when it matches; 1 when not, with why (n
 * bytes, NUL-terminated) naming each extra, altered and missing object;
 * -1 when it cannot be read (e set). */
int journal_schema_check(journal *j, bool triggers_only, char *why,
                         size_t n, ss_err *e);

/* journal_verify_checkpoints with no checkpoints: the same returns. */
int journal_verify(journal *j, verify_result *res, ss_err *e);

/* What journal_copy did. */
typedef struct copy_stats {
    int64_t events, sites, runs; /* rows copied */
    checkpoint from, to;         /* both journals' checkpoints after */
} copy_stats;
/* copy's target, as journal_copy_target_open opened it. A new SQLite
 * file is written under a temporary name beside it,
 * DIR/.NAME.copy-XXXXXX (0600), and renamed to NAME only once the copy
 * is committed; a copy that fails, or a catchable signal, removes the
 * temporary file (and SQLite's -wal, -shm, -journal beside it); after a
 * SIGKILL or a crash it may stay, a stale temporary file no program
 * reads, never at NAME. A PostgreSQL schema that holds no journal is made
 * by the copy's own transaction. */
#define COPY_TARGET_FILES 4
typedef struct copy_target {
    char final[4096];  /* a new SQLite file: the name it gets; else "" */
    char temp[4200];   /* its temporary name; "" when none */
    int slots[COPY_TARGET_FILES]; /* tempfile slots of temp and its side
                                     files (-1: none) */
    int note;          /* tempfile_note slot once committed, -1 */
    bool placed;       /* renamed into place */
} copy_target;
/* Opens path (a SQLite file or a PostgreSQL URI, as journal_open takes
 * it) as copy's target: an existing file or a schema that holds a journal
 * as journal_open does; a new SQLite file under its temporary name (see
 * copy_target), the journal named as path in every message; a PostgreSQL
 * schema without a journal is made by the copy's transaction, not now.
 * J_OK with *out and t filled; J_EINPUT (a bad schema name); J_ESTORAGE
 * (e set; nothing left behind). Call journal_copy_target_end(t) once the
 * journal is closed, whatever happened. */
int journal_copy_target_open(const char *path, copy_target *t,
                             journal **out, ss_err *e);
/* After copy's target is closed: removes a temporary file that was not
 * put in place (and its side files), and forgets every signal slot. */
void journal_copy_target_end(copy_target *t);
/* Copies the whole journal from (read in one snapshot) into to, which
 * must be empty: no row in any of its tables (events, sites, runs, item
 * states, procedures, holds, the filter indexes; e names the first table
 * holding one). The source must pass journal_verify first, and a SQLite
 * target is verified before it is committed: a copy verify would reject
 * is never committed. Every event with its hash, the stored procedures, sites,
 * runs and item states, in one transaction of to, so the copy is whole
 * or nothing; both then have the same checkpoint. Holds are not copied.
 * Every event's hash and the chain are computed again as they are read
 * (journal_event_hash): a source that fails them (an event altered,
 * removed, inserted) is refused, e naming the event, and to is left as it
 * was (rolled back). t (NULL for none) is to's copy_target: a new SQLite
 * file is put in place right after the commit (to's connection is then
 * closed), and from the commit on a catchable signal does not destroy the
 * target but writes on stderr that it is complete and kept, with its
 * checkpoint, before the process dies of it; the commit, the rename and
 * that note are made with those signals blocked. J_OK; J_EINPUT (to is
 * not empty, or a file appeared at the new target's name meanwhile;
 * nothing copied); J_ESTORAGE (either journal cannot be read or written,
 * the source's chain is broken or it does not verify; nothing copied). */
int journal_copy(journal *from, journal *to, copy_target *t,
                 copy_stats *stats, ss_err *e);

/* Checks everything the journal can prove about itself, inside one read
 * transaction, and stops at the first problem: SQLite's integrity check of
 * every page; the hash chain from the genesis hash; each of the n
 * checkpoints (the journal still holds exactly that history: at least N
 * events, event N with that hash); each stored procedure against its hash
 * and parsed; each run's procedure against its run-started event; and
 * every row and column of sites, runs and item_states derived again from
 * the events; and, on SQLite, the filter indexes: every gram of
 * events_grams the events make (extra grams allowed) and every term of
 * events_text finding exactly the events that hold it. A checkpoint proves nothing about events after it. anchors
 * may be NULL when n is 0; nothing is written to the journal.
 * Returns 0 when all hold (res->head is the history checked); 1 when one
 * does not (res->problem and the fields after it say which; this 1 is a
 * verdict, not J_NOTFOUND); J_ESTORAGE when the journal cannot be read (e
 * set; never "intact"). */
int journal_verify_checkpoints(journal *j, const checkpoint *anchors,
                               size_t n, verify_result *res, ss_err *e);

#endif
