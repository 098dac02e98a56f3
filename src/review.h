/* review.h - reviewing cleanups as cleanups: runs numbered per site, the
 * list of every run with its counts and times, one run's item times, the
 * estimate of the time left, and abandoning an open run. The list reads
 * the derived runs table only (plus, for open runs, the events of at most
 * REVIEW_ESTIMATE_RUNS past runs per procedure for the estimate); one
 * run's item times read that run's events. Implemented in
 * journal_review.c. */
#ifndef SITESWEEP_REVIEW_H
#define SITESWEEP_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "timing.h"

/* Past completed runs of a procedure an estimate looks at, newest first. */
#define REVIEW_ESTIMATE_RUNS 20

/* One cleanup run, summed up for lists: one row of the runs table, whose
 * derived columns (journal schema 5) hold the times, people and counts. */
typedef struct run_summary {
    int64_t id;             /* the journal's run id (global) */
    int64_t number;         /* its number at the site: K7Q #2 is 2 */
    char site[4];
    char state[12];         /* "open", "complete" or "abandoned" */
    char procedure[65];     /* SHA-256 of the procedure it pinned */
    char procedure_name[64];
    char started[32];       /* UTC */
    char ended[32];         /* UTC completion or abandonment, "" if open */
    char last[32];          /* UTC time of the run's latest event */
    int64_t elapsed;        /* seconds from start to end (to the latest
                               event while open) */
    int64_t active;         /* seconds of work: see timing_run */
    char **operators;       /* who recorded in it, first seen first */
    size_t noperators;
    char **hosts;           /* from where, first seen first */
    size_t nhosts;
    size_t done, skipped, failed, na, open; /* items by state now */
    bool has_estimate;      /* an open run with >= TIMING_MIN_RUNS past runs */
    int64_t estimate;       /* seconds left, when has_estimate */
} run_summary;

/* Frees what the summary owns and zeroes it. */
void run_summary_clear(run_summary *r);
void run_summaries_free(run_summary *r, size_t n);

/* Every run, newest first, of site code (NULL: all) in state (NULL: any;
 * "open", "complete" or "abandoned"). *out is allocated (free with
 * run_summaries_free). J_OK, J_EINPUT (unknown state), or J_ESTORAGE. */
int journal_runs_list(journal *j, const char *code, const char *state,
                      run_summary **out, size_t *n, ss_err *e);
/* The summary of run id: J_OK, J_NOTFOUND, J_ESTORAGE. */
int journal_run_summary(journal *j, int64_t id, run_summary *out, ss_err *e);

/* The site's latest run (open or not): J_OK, J_NOTFOUND (no site or no
 * run), J_ESTORAGE. Free out with run_view_free. */
int journal_run_latest(journal *j, const char *code, run_view *out,
                       ss_err *e);
/* The site's run number `number` (K7Q #2: 2): J_OK, J_NOTFOUND,
 * J_ESTORAGE. */
int journal_run_numbered(journal *j, const char *code, int64_t number,
                         run_view *out, ss_err *e);

/* The time spent on each item of run id (items: p->nitems entries, p the
 * run's procedure; see timing_items: all seconds, the part before its
 * last failure, whether measured) and its active seconds, from the run's
 * own events. J_OK, J_ESTORAGE. */
int journal_run_times(journal *j, int64_t id, const procedure *p,
                      timing_item *items, int64_t *active, ss_err *e);
/* Estimate of the seconds left for open_items items of a run of procedure
 * hash: J_OK with *seconds, J_NOTFOUND when fewer than TIMING_MIN_RUNS
 * completed runs of it exist, J_ESTORAGE. */
int journal_run_estimate(journal *j, const char *hash, size_t open_items,
                         int64_t *seconds, ss_err *e);

/* Ends the site's open run as abandoned ("run-abandoned", the reason as
 * its note) and gives the site back the install state it had before the
 * run ("site-state"), in one transaction; a new run may then start.
 * J_OK; refused with J_EINPUT when reason is empty, the site unknown or it
 * has no open run; J_HELD (filling *by when given) when another live
 * console holds the run, unless takeover, which journals a "handover"
 * first. *number (may be NULL) receives the run's number. J_ESTORAGE on
 * storage errors. */
int journal_run_abandon(journal *j, const char *code, const char *reason,
                        bool takeover, run_holder *by, int64_t *number,
                        ss_err *e);

/* The number at its site of run id (K7Q #2: 2): J_OK, J_NOTFOUND,
 * J_ESTORAGE. */
int journal_run_number(journal *j, int64_t id, int64_t *number, ss_err *e);

/* What the note column shows for an event: its note, or for a site-state
 * change "hung -> cleaning" (from its data). Points into ev or buf (n
 * bytes). */
const char *event_display_note(const event *ev, char *buf, size_t n);

#endif
