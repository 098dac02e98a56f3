/* timing.h - time spent per checklist item and per run, from a run's
 * events, and an estimate of the time left. Pure: no I/O and no clock, so
 * every rule is tested with injected timestamps. */
#ifndef SITESWEEP_TIMING_H
#define SITESWEEP_TIMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A gap between two events of a run longer than this (seconds) is idle
 * time (a break, a night, a console left open) and is not counted. */
#define TIMING_IDLE_LIMIT (30 * 60)
/* Past completed runs of the same procedure needed before estimating. */
#define TIMING_MIN_RUNS 3

/* What an event of a run means for timing. */
typedef enum timing_kind {
    TK_START,  /* the run was opened or resumed (run-started, handover, a
                  console resuming it): time restarts here, nothing counted
                  up to it */
    TK_ITEM,   /* an event on an item (done, skipped, reopened, note): the
                  time since the previous event was spent on it */
    TK_FAIL,   /* an item failed: as TK_ITEM, and the item's time up to
                  here was spent on an attempt that failed */
    TK_END,    /* the run ended (run-completed, run-abandoned): counted as
                  active time, on no item */
    TK_OTHER,  /* anything else of the run: counted nowhere, but it is the
                  "previous event" of the next one */
} timing_kind;

typedef struct timing_event {
    int64_t ms;      /* UTC milliseconds since the epoch */
    int item;        /* index of the item (0..nitems-1), -1 for none */
    timing_kind kind;
} timing_event;

/* Whether an interval of gap_ms between two events of a run is counted:
 * 0 <= gap_ms <= TIMING_IDLE_LIMIT seconds (a clock gone back, or idle
 * time, is not). */
bool timing_gap_counts(int64_t gap_ms);
/* Milliseconds of active time an event of kind k adds, gap_ms after the
 * run's previous event: gap_ms when it is counted and k is TK_ITEM,
 * TK_FAIL or TK_END, else 0. timing_items sums these; the journal keeps
 * the sum per run as each event is written. */
int64_t timing_active_add(int64_t gap_ms, timing_kind k);

/* The kind an event kind name ("done", "run-started", ...) has. */
timing_kind timing_kind_of(const char *event_kind);

/* Parses "2026-11-27T02:20:24.123Z" (milliseconds optional) into UTC
 * milliseconds since the epoch: 0, or -1 when it is not that form. */
int timing_parse_ts(const char *ts, int64_t *ms);

/* Time per item and the run's active time, from ev[0..n) in the order they
 * were written (timestamps that go backwards count as 0). item_seconds has
 * nitems entries and is filled (zeroed first): per item the sum of the
 * intervals that ended at an event on it, each interval from the previous
 * event of the run, gaps over TIMING_IDLE_LIMIT not counted. *active is
 * the sum of every counted interval. Seconds are whole, rounded down from
 * the milliseconds summed. item_seconds may be NULL. */
void timing_run(const timing_event *ev, size_t n, int64_t *item_seconds,
                size_t nitems, int64_t *active);

/* What timing_items finds for one item. */
typedef struct timing_item {
    int64_t seconds;        /* all the time spent on it: the sum of the
                               intervals that ended at an event on it */
    int64_t before_failure; /* when retried: the part of seconds up to
                               and including its last failure (the attempts
                               that failed; the reopen and what follows
                               count after it); else 0 */
    bool retried;           /* it failed, and events on it followed its
                               last failure (reopened, done, ...) */
    bool measured;          /* its time is known: the interval that ended
                               at its last event was counted (not an idle
                               gap, not a clock going back) and did not
                               start at a run start or handover of the
                               same instant (one command that started the
                               run and recorded the item: when work on it
                               began is unknown). 0 s can be measured. */
} timing_item;

/* timing_run, per item in full: items has nitems entries (zeroed first;
 * may be NULL when nitems is 0). Seconds are whole, each rounded down from
 * its own milliseconds (seconds - before_failure is the last attempt's
 * time, to within a second). */
void timing_items(const timing_event *ev, size_t n, timing_item *items,
                  size_t nitems, int64_t *active);

/* The median of v[0..n) (the lower middle for even n); sorts v. 0 when n
 * is 0. */
int64_t timing_median(int64_t *v, size_t n);

/* Estimate of the time left in seconds: the median of samples (the time
 * spent per closed item in past completed runs of the same procedure,
 * sorted in place) times open_items. Returns false (no estimate) when
 * past_runs < TIMING_MIN_RUNS or there are no samples. */
bool timing_estimate(int64_t *samples, size_t n, size_t past_runs,
                     size_t open_items, int64_t *seconds);

/* Writes seconds as "1h 05m", "12m 30s" or "45s" into out (n bytes). */
void timing_format(int64_t seconds, char *out, size_t n);

/* Writes an item's time spent into out (n bytes): "4m 10s", or for an
 * item that failed and was then worked on again (retried), the time since its last
 * failure first and the whole after it: "1m 40s since it failed (4m 10s
 * in all)", so the failed attempt is never read as part of the outcome
 * that closed it. */
void timing_item_format(const timing_item *t, char *out, size_t n);

#endif
