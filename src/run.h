/* run.h - the state of one cleanup run, derived from its events. Pure: no
 * I/O, so resume positions can be tested for any sequence of events. */
#ifndef SITESWEEP_RUN_H
#define SITESWEEP_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include "procedure.h"
#include "site.h"
#include "util.h"

typedef enum item_state {
    ITEM_OPEN,    /* not yet closed (or reopened) */
    ITEM_DONE,    /* confirmed done */
    ITEM_SKIPPED, /* skipped with a reason */
    ITEM_FAILED,  /* failed, with a note: still to be resolved */
    ITEM_NA,      /* not applicable to this site (decided by its data) */
} item_state;

typedef enum outcome {
    OUT_DONE,
    OUT_SKIPPED,
    OUT_FAILED,
    OUT_REOPENED,
    OUT_COUNT
} outcome;

/* What applying an outcome did. */
typedef enum run_apply {
    APPLY_CHANGED = 0,   /* the item's state changed */
    APPLY_ALREADY = 1,   /* the item already was in that state: no-op */
} run_apply;

typedef struct run_state {
    size_t nitems;      /* = procedure's nitems */
    item_state *state;  /* one per item, in procedure order: what to show */
    item_state *recorded; /* what the events say, applicable or not */
    size_t closed;      /* applicable items done or skipped */
    size_t applicable;  /* items that apply to the site */
    size_t failed;      /* items failed and not yet resolved */
} run_state;

const char *item_state_name(item_state s); /* "open", "done", ..., "n/a" */
/* The three-column mark of a checklist line: "[ ]", "[x]", "[-]", "[!]",
 * "n/a" (the walkthrough, the procedure table and the md report). */
const char *item_state_mark(item_state s);
const char *outcome_name(outcome o);       /* "done", "skipped", ... */
int outcome_parse(const char *s);          /* -1 when unknown */
/* Whether an outcome needs a non-empty note (skipped, failed). */
bool outcome_needs_note(outcome o);

/* Every applicable item open, the others ITEM_NA. */
void run_state_init(run_state *r, const procedure *p, const site *s);
void run_state_free(run_state *r);
/* Applies one outcome to item idx. Allowed: done/skipped on open or failed;
 * failed on open; reopened on done, skipped or failed. Returns APPLY_* or
 * -1 with e saying why ("4b.2 is done: reopen it first"). */
int run_state_apply(run_state *r, const procedure *p, size_t idx, outcome o,
                    ss_err *e);
/* Sets an item's recorded state directly (loading a stored run). */
void run_state_set(run_state *r, size_t idx, item_state s);
/* Re-decides applicability for a changed site, keeping recorded states. */
void run_state_reapply(run_state *r, const procedure *p, const site *s);

/* Where a resumed run starts: the first open item, else the first failed
 * item; -1 when every applicable item is done or skipped. */
int run_state_resume(const run_state *r);
/* The next open item after idx (wrapping), else the first failed; -1. */
int run_state_next_open(const run_state *r, size_t idx);
/* Every applicable item done or skipped. */
bool run_state_complete(const run_state *r);
/* The applicable items before idx that are still open or failed: the
 * article's steps run in order, so an outcome for idx then is out of
 * order. Names them into b as "1", "1 and 2", "1, 2 and 3" or "1, 2, 3
 * and 4 more" (appended; b is the caller's). Returns how many there are,
 * 0 when idx is in order. Every place that records an outcome (console
 * and `sitesweep mark`) asks this one function. */
size_t run_state_open_before(const run_state *r, const procedure *p,
                             size_t idx, strbuf *b);

#endif
