/* report.h - cleanups as cleanups: the run list (`sitesweep runs`) and
 * one run's report (`sitesweep report`): the site, the procedure, who
 * worked on it and for how long, the outcome, the checklist as it ended,
 * handovers, drift and the journal's checkpoint. */
#ifndef SITESWEEP_REPORT_H
#define SITESWEEP_REPORT_H

#include <stdio.h>

#include "export.h"
#include "review.h"

#define FMTS_REPORT ((1u << FMT_MD) | (1u << FMT_JSON))

/* Everything a report shows, gathered from the journal. */
typedef struct run_report {
    site site;                 /* the site's values now */
    char parent_server[SITE_HOST_MAX + 1]; /* "" when unknown */
    run_view rv;               /* the run, its pinned procedure, item states */
    run_summary sum;           /* counts, people, times */
    event *events;             /* the run's own events, oldest first */
    size_t nevents;
    timing_item *item_times;   /* per item of rv.proc: time spent */
    char *drift;               /* how the current procedure file differs
                                  from the run's, NULL when it does not */
    char drift_unchecked[1024]; /* why drift could not be checked (the
                                  procedure file cannot be read); "" when
                                  it was checked */
    checkpoint cp;             /* the journal's checkpoint, taken before
                                  the run was read */
} run_report;

/* Loads the report of the site's run `number` (0: its latest run).
 * current (may be NULL) is the procedure file now, for the drift note.
 * 0; JOURNAL_NOTFOUND when the site or the run does not exist; -1 with e
 * set. Free with run_report_free. */
int run_report_load(journal *j, const char *code, int64_t number,
                    const procedure *current, run_report *out, ss_err *e);
void run_report_free(run_report *r);

/* Writes the report as md (a Markdown document ending with the
 * checkpoint line) or json (data/output-formats.md). 0, or -1 when a
 * write failed. */
int export_report(FILE *f, out_format fmt, const run_report *r);

/* Writes the run list (table, csv, json or md). 0, or -1 on write error. */
int export_runs(FILE *f, out_format fmt, const run_summary *v, size_t n);

/* The outcome of a run in one line, e.g. "complete: the site is clean; 19
 * done, 1 skipped, 1 not applicable". Returns a new string. */
char *run_outcome_line(const run_summary *s);

#endif
