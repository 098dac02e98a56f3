/* journal_review.c - runs as cleanups: per-site numbers, the run list
 * with counts and times, item times, the estimate of the time left, and
 * abandoning an open run. See review.h. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "review.h"

void run_summary_clear(run_summary *r)
{
    for (size_t i = 0; i < r->noperators; i++)
        free(r->operators[i]);
    for (size_t i = 0; i < r->nhosts; i++)
        free(r->hosts[i]);
    free(r->operators);
    free(r->hosts);
    memset(r, 0, sizeof *r);
}

void run_summaries_free(run_summary *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_summary_clear(&r[i]);
    free(r);
}

/* Adds s to the list when it is not in it yet. */
static void add_distinct(char ***v, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i], s) == 0)
            return;
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = xstrdup(s);
}

/* The run's own events as timing events (by the events_run index). *out
 * is allocated. */
static int run_events(journal *j, int64_t id, const procedure *p,
                      timing_event **out, size_t *n, ss_err *e)
{
    *out = NULL;
    *n = 0;
    db_stmt *st = jdb_prep(j, "SELECT ts, item, kind FROM events"
                                   " WHERE run = ? ORDER BY id", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, id);
    size_t cap = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap)
            *out = xrealloc(*out, (cap = cap ? cap * 2 : 32) * sizeof **out);
        timing_event *t = &(*out)[(*n)++];
        const char *ts = jdb_col_text(st, 0);
        if (timing_parse_ts(ts, &t->ms))
            t->ms = *n > 1 ? (*out)[*n - 2].ms : 0;
        const char *item = jdb_col_text(st, 1);
        t->item = *item && p ? procedure_find(p, item) : -1;
        t->kind = timing_kind_of(jdb_col_text(st, 2));
    }
    jdb_done(j, st);
    if (rc != DB_DONE) {
        free(*out);
        *out = NULL;
        return jdb_fail(j, e, "cannot read the run's events");
    }
    return J_OK;
}

int journal_run_times(journal *j, int64_t id, const procedure *p,
                      timing_item *items, int64_t *active, ss_err *e)
{
    timing_event *ev;
    size_t n;
    if (run_events(j, id, p, &ev, &n, e))
        return J_ESTORAGE;
    timing_items(ev, n, items, p->nitems, active);
    free(ev);
    return J_OK;
}

/* The median time per closed item over the last REVIEW_ESTIMATE_RUNS
 * completed runs of procedure hash: J_OK with *median, J_NOTFOUND when
 * there is none (fewer than TIMING_MIN_RUNS runs, or no timed item),
 * J_ESTORAGE. */
static int estimate_median(journal *j, const char *hash, int64_t *median,
                           ss_err *e)
{
    const procedure *cached = jdb_stored_procedure(j, hash, e);
    if (!cached)
        return J_ESTORAGE;
    procedure p; /* a copy: the cache may be replaced meanwhile */
    if (procedure_parse(cached->text, cached->textlen, "procedure", &p, e))
        return J_ESTORAGE;
    db_stmt *st = jdb_prep(j, "SELECT id FROM runs WHERE procedure = ?"
                                   " AND state = 'complete' ORDER BY id DESC"
                                   " LIMIT ?", e);
    if (!st) {
        procedure_free(&p);
        return J_ESTORAGE;
    }
    jdb_bind_text(st, 1, hash);
    db_bind_int64(st, 2, REVIEW_ESTIMATE_RUNS);
    int64_t ids[REVIEW_ESTIMATE_RUNS];
    size_t nruns = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW && nruns < REVIEW_ESTIMATE_RUNS)
        ids[nruns++] = db_col_int64(st, 0);
    jdb_done(j, st);
    if (rc != DB_DONE && rc != DB_ROW) {
        procedure_free(&p);
        return jdb_fail(j, e, "cannot read runs");
    }
    /* Per past run, the time of each item whose time was measured, 0 s
     * included (a scripted run records items in under a second); an item
     * closed after an idle gap, or by the command that started the run,
     * has no known time and is no sample. */
    int64_t *samples = xcalloc(nruns * p.nitems + 1, sizeof *samples);
    timing_item *per = xcalloc(p.nitems + 1, sizeof *per);
    size_t ns = 0;
    int out = 0;
    for (size_t r = 0; r < nruns; r++) {
        int64_t active;
        if (journal_run_times(j, ids[r], &p, per, &active, e)) {
            out = J_ESTORAGE;
            break;
        }
        for (size_t i = 0; i < p.nitems; i++)
            if (per[i].measured)
                samples[ns++] = per[i].seconds;
    }
    if (out == 0)
        out = timing_estimate(samples, ns, nruns, 1, median) ? 0
                                                            : J_NOTFOUND;
    free(samples);
    free(per);
    procedure_free(&p);
    return out;
}

int journal_run_estimate(journal *j, const char *hash, size_t open_items,
                         int64_t *seconds, ss_err *e)
{
    int64_t median;
    int rc = estimate_median(j, hash, &median, e);
    if (rc == 0)
        *seconds = median * (int64_t)open_items;
    return rc;
}

/* The estimate's median per procedure, kept for one listing: every open
 * run of a procedure shares it. */
typedef struct estimate_cache {
    char hash[65];   /* procedure, "" when nothing is kept */
    int rc;          /* estimate_median's answer for it */
    int64_t median;
} estimate_cache;

/* A summary is one row of runs (schema 5 keeps what the list needs as
 * derived columns: journal_stats.c), no event read. */
#define SUMMARY_SQL                                                        \
    "SELECT r.id, r.number, r.site, r.state, r.procedure,"                 \
    " coalesce(p.name, ''), r.started, r.ended, r.last_ts, r.active_ms,"   \
    " r.operators, r.hosts, r.n_done, r.n_skipped, r.n_failed, r.n_na,"    \
    " r.n_open FROM runs r LEFT JOIN procedures p ON p.hash = r.procedure"

/* Fills the estimate of an open run whose row is read: J_OK, J_ESTORAGE. */
static int summary_finish(journal *j, run_summary *r, estimate_cache *ec,
                          ss_err *e)
{
    if (strcmp(r->state, "open") != 0)
        return J_OK;
    if (strcmp(ec->hash, r->procedure) != 0) {
        ec->rc = estimate_median(j, r->procedure, &ec->median, e);
        snprintf(ec->hash, sizeof ec->hash, "%s", r->procedure);
    }
    if (ec->rc < 0)
        return J_ESTORAGE;
    r->has_estimate = ec->rc == 0;
    if (r->has_estimate)
        r->estimate = ec->median * (int64_t)(r->open + r->failed);
    return J_OK;
}

/* The strings of a JSON array column into a list (a damaged one adds
 * nothing: verify names it). */
static void json_list(const char *text, char ***v, size_t *n)
{
    json_t *a = json_loads(text, 0, NULL);
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x) {
        if (json_is_string(x))
            add_distinct(v, n, json_string_value(x));
    }
    json_decref(a);
}

static void summary_row(db_stmt *st, run_summary *r)
{
    memset(r, 0, sizeof *r);
    r->id = db_col_int64(st, 0);
    r->number = db_col_int64(st, 1);
    jdb_copy_col(st, 2, r->site, sizeof r->site);
    jdb_copy_col(st, 3, r->state, sizeof r->state);
    jdb_copy_col(st, 4, r->procedure, sizeof r->procedure);
    jdb_copy_col(st, 5, r->procedure_name, sizeof r->procedure_name);
    jdb_copy_col(st, 6, r->started, sizeof r->started);
    jdb_copy_col(st, 7, r->ended, sizeof r->ended);
    jdb_copy_col(st, 8, r->last, sizeof r->last);
    r->active = db_col_int64(st, 9) / 1000;
    json_list(jdb_col_text(st, 10), &r->operators, &r->noperators);
    json_list(jdb_col_text(st, 11), &r->hosts, &r->nhosts);
    r->done = (size_t)db_col_int64(st, 12);
    r->skipped = (size_t)db_col_int64(st, 13);
    r->failed = (size_t)db_col_int64(st, 14);
    r->na = (size_t)db_col_int64(st, 15);
    r->open = (size_t)db_col_int64(st, 16);
    int64_t a, b;
    const char *end = r->ended[0] ? r->ended : r->last;
    if (timing_parse_ts(r->started, &a) == 0 && timing_parse_ts(end, &b) == 0)
        r->elapsed = b > a ? (b - a) / 1000 : 0;
}

int journal_runs_list(journal *j, const char *code, const char *state,
                      run_summary **out, size_t *n, ss_err *e)
{
    *out = NULL;
    *n = 0;
    if (state && strcmp(state, "open") != 0 && strcmp(state, "complete") != 0 &&
        strcmp(state, "abandoned") != 0)
        return ss_errf(e, "'%s' is not a run state: open, complete or "
                          "abandoned", state), J_EINPUT;
    db_stmt *st = jdb_prep(j, SUMMARY_SQL " WHERE (?1 = '' OR r.site ="
                                   " upper(?1)) AND (?2 = '' OR r.state = ?2)"
                                   " ORDER BY r.id DESC", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, code);
    jdb_bind_text(st, 2, state);
    size_t cap = 0, count = 0;
    run_summary *v = NULL;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (count == cap)
            v = xrealloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);
        summary_row(st, &v[count++]);
    }
    jdb_done(j, st);
    if (rc != DB_DONE) {
        run_summaries_free(v, count);
        return jdb_fail(j, e, "cannot read runs");
    }
    estimate_cache ec = {"", 0, 0};
    for (size_t i = 0; i < count; i++) {
        if (summary_finish(j, &v[i], &ec, e)) {
            run_summaries_free(v, count);
            return J_ESTORAGE;
        }
    }
    *out = v;
    *n = count;
    return J_OK;
}

int journal_run_summary(journal *j, int64_t id, run_summary *out, ss_err *e)
{
    memset(out, 0, sizeof *out);
    db_stmt *st = jdb_prep(j, SUMMARY_SQL " WHERE r.id = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, id);
    int rc = jdb_step_row(j, st, "cannot read runs", e);
    if (rc)
        return rc;
    summary_row(st, out);
    jdb_done(j, st);
    estimate_cache ec = {"", 0, 0};
    if (summary_finish(j, out, &ec, e)) {
        run_summary_clear(out);
        return J_ESTORAGE;
    }
    return J_OK;
}

/* The id of the site's run: the latest (number 0) or number n. J_OK,
 * J_NOTFOUND, J_ESTORAGE. */
static int run_id_of(journal *j, const char *code, int64_t number,
                     int64_t *id, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT id FROM runs WHERE site = upper(?1)"
                                   " AND (?2 = 0 OR number = ?2)"
                                   " ORDER BY id DESC LIMIT 1", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, code);
    db_bind_int64(st, 2, number);
    int rc = jdb_step_row(j, st, "cannot read runs", e);
    if (rc == J_OK) {
        *id = db_col_int64(st, 0);
        jdb_done(j, st);
    }
    return rc;
}

int journal_run_numbered(journal *j, const char *code, int64_t number,
                         run_view *out, ss_err *e)
{
    memset(out, 0, sizeof *out);
    int64_t id;
    if (number < 1)
        return J_NOTFOUND;
    int rc = run_id_of(j, code, number, &id, e);
    return rc ? rc : journal_run_get(j, code, id, out, e);
}

int journal_run_latest(journal *j, const char *code, run_view *out,
                       ss_err *e)
{
    memset(out, 0, sizeof *out);
    int64_t id;
    int rc = run_id_of(j, code, 0, &id, e);
    return rc ? rc : journal_run_get(j, code, id, out, e);
}

/* ---- abandoning ---- */

/* The run's prior install state, for giving it back: J_OK, J_ESTORAGE
 * (also when there is no such run: the caller has just found it). */
static int run_prior(journal *j, int64_t id, char prior[16], ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT prior FROM runs WHERE id = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, id);
    int rc = jdb_step_row(j, st, "cannot read the run", e);
    if (rc == J_NOTFOUND)
        return jdb_fail(j, e, "cannot read the run");
    if (rc == J_OK) {
        jdb_copy_col(st, 0, prior, 16);
        jdb_done(j, st);
    }
    return rc;
}

/* Abandons the site's open run inside the caller's transaction: J_OK,
 * J_EINPUT, J_HELD (filling *by when given), J_ESTORAGE. */
static int abandon_in_tx(journal *j, const char *code, const char *reason,
                         bool takeover, run_holder *by, int64_t *number,
                         const char *ts, ss_err *e)
{
    site s;
    int rc = journal_site_get(j, code, &s, e);
    if (rc == J_NOTFOUND)
        return ss_errf(e, "no site %s in the journal", code), J_EINPUT;
    if (rc)
        return J_ESTORAGE;
    int64_t id;
    char hash[65];
    rc = jdb_open_run(j, s.code, &id, hash, NULL, e);
    if (rc == J_NOTFOUND)
        return ss_errf(e, "site %s has no open cleanup to abandon", s.code),
               J_EINPUT;
    if (rc)
        return J_ESTORAGE;
    if (number && journal_run_number(j, id, number, e) < 0)
        return J_ESTORAGE;
    if ((rc = jdb_console_may_write(j, id, s.code, e)))
        return rc;
    run_holder h;
    int held = jdb_held_by_other(j, id, &h, e);
    if (held < 0)
        return J_ESTORAGE;
    if (held == J_HELD && !takeover) {
        if (by)
            *by = h;
        ss_errf(e, "the cleanup of %s is held by %s on %s (pid %ld) since "
                   "%s; nothing was recorded (--take-over takes it over, "
                   "journaled as a handover)", s.code, h.operator_name, h.host,
                h.pid, h.since);
        return J_HELD;
    }
    if (held == J_HELD) {
        char *note = xasprintf("taken over from %s on %s (pid %ld, holding "
                               "since %s)", h.operator_name, h.host, h.pid,
                               h.since);
        rc = jdb_append(j, s.code, id, NULL, "handover", note, NULL, ts, NULL, e);
        free(note);
        if (rc)
            return J_ESTORAGE;
    }
    char prior[16] = "";
    if (run_prior(j, id, prior, e))
        return J_ESTORAGE;
    int back = site_state_parse(prior);
    /* A run from before the prior state was kept, with none derivable. */
    site_state to = back < 0 || back == STATE_CLEANING ? STATE_FAILED
                                                       : (site_state)back;
    char *data = xasprintf("{\"prior\":\"%s\"}", site_state_name(to));
    rc = jdb_append(j, s.code, id, NULL, "run-abandoned", reason, data, ts,
                    NULL, e);
    free(data);
    if (rc)
        return J_ESTORAGE;
    if (jdb_close_run(j, id, "abandoned", ts, "cannot abandon the run", e))
        return J_ESTORAGE;
    return jdb_set_state(j, s.code, to, true, ts, e);
}

int journal_run_abandon(journal *j, const char *code, const char *reason,
                        bool takeover, run_holder *by, int64_t *number,
                        ss_err *e)
{
    if (!reason || !text_has_visible(reason))
        return ss_errf(e, "abandoning a cleanup needs a reason"),
               J_EINPUT;
    char ts[32];
    utc_now(ts);
    if (jdb_begin(j, e))
        return J_ESTORAGE;
    int rc = jdb_finish(j, abandon_in_tx(j, code, reason, takeover, by,
                                         number, ts, e), e);
    return rc == J_EINPUT || rc == J_HELD ? rc : rc ? J_ESTORAGE : J_OK;
}

int journal_run_number(journal *j, int64_t id, int64_t *number, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT number FROM runs WHERE id = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, id);
    int rc = jdb_step_row(j, st, "cannot read runs", e);
    if (rc == J_OK) {
        *number = db_col_int64(st, 0);
        jdb_done(j, st);
    }
    return rc;
}

const char *event_display_note(const event *ev, char *buf, size_t n)
{
    if (ev->note[0] || strcmp(ev->kind, "site-state") != 0 || !ev->data[0])
        return ev->note;
    json_t *d = json_loads(ev->data, 0, NULL);
    const char *from = json_string_value(json_object_get(d, "from"));
    const char *to = json_string_value(json_object_get(d, "to"));
    if (from && to)
        snprintf(buf, n, "%s -> %s", from, to);
    json_decref(d);
    return from && to ? buf : ev->note;
}
