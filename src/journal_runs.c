/* journal_runs.c - cleanup runs: starting them, the procedure
 * each pins, item outcomes (marks and notes) and completion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"

/* ---- runs ---- */

/* The procedure stored under hash, parsed once and cached. */
const procedure *jdb_stored_procedure(journal *j, const char *hash,
                                      ss_err *e)
{
    if (strcmp(j->cached_hash, hash) == 0)
        return &j->cached;
    db_stmt *st = jdb_prep(j, "SELECT text FROM procedures WHERE hash = ?", e);
    if (!st)
        return NULL;
    jdb_bind_text(st, 1, hash);
    int rc = jdb_step_row(j, st, "cannot read the run's procedure", e);
    if (rc == J_NOTFOUND)
        ss_errf(e, "%s: the procedure %.12s of this run is missing from "
                   "the journal", j->path, hash);
    if (rc)
        return NULL;
    procedure p;
    size_t len;
    const char *text = db_col_blob(st, 0, &len);
    char name[96];
    snprintf(name, sizeof name, "%s(procedure %.12s)", j->path, hash);
    rc = procedure_parse(text ? text : "", len, name, &p, e);
    jdb_done(j, st);
    if (rc)
        return NULL;
    if (strcmp(p.hash, hash) != 0) {
        /* Replaced behind the program's back: never show its commands. */
        procedure_free(&p);
        ss_errf(e, "%s: the procedure %.12s of this run was changed behind "
                   "the program's back; run 'sitesweep verify'", j->path, hash);
        return NULL;
    }
    procedure_free(&j->cached);
    j->cached = p;
    snprintf(j->cached_hash, sizeof j->cached_hash, "%s", hash);
    return &j->cached;
}

static void procedure_copy(procedure *dst, const procedure *src)
{
    ss_err e;
    if (procedure_parse(src->text, src->textlen, "procedure", dst, &e) != 0)
        memset(dst, 0, sizeof *dst); /* cannot happen: it parsed before */
}

void run_view_free(run_view *rv)
{
    procedure_free(&rv->proc);
    run_state_free(&rv->st);
    memset(rv, 0, sizeof *rv);
}

/* Loads the item states of run id into a fresh run_state. */
int jdb_load_states(journal *j, int64_t id, const procedure *p,
                    const site *s, run_state *rs, ss_err *e)
{
    run_state_init(rs, p, s);
    db_stmt *st = jdb_prep(j, "SELECT item, state FROM item_states WHERE run = ?", e);
    if (!st) {
        run_state_free(rs);
        return J_ESTORAGE;
    }
    db_bind_int64(st, 1, id);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        int idx = procedure_find(p, jdb_col_text(st, 0));
        const char *name = jdb_col_text(st, 1);
        for (int k = ITEM_OPEN; k < ITEM_NA && idx >= 0; k++)
            if (strcmp(name, item_state_name((item_state)k)) == 0)
                run_state_set(rs, (size_t)idx, (item_state)k);
    }
    jdb_done(j, st);
    if (rc != DB_DONE) {
        run_state_free(rs);
        return jdb_fail(j, e, "cannot read the run");
    }
    return J_OK;
}

/* The open run of a site: id and procedure hash; J_NOTFOUND. */
int jdb_open_run(journal *j, const char *code, int64_t *id, char hash[65],
                 char started[32], ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT id, procedure, started FROM runs"
                                   " WHERE site = upper(?) AND open = 1", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, code);
    int rc = jdb_step_row(j, st, "cannot read runs", e);
    if (rc == J_OK) {
        *id = db_col_int64(st, 0);
        jdb_copy_col(st, 1, hash, 65);
        if (started)
            jdb_copy_col(st, 2, started, 32);
        jdb_done(j, st);
    }
    return rc;
}

/* The number of run id at its site, 0 when there is no such run. */
static int64_t run_number(journal *j, int64_t id)
{
    ss_err e;
    db_stmt *st = jdb_prep(j, "SELECT number FROM runs WHERE id = ?", &e);
    if (!st)
        return 0;
    db_bind_int64(st, 1, id);
    int64_t n = db_step(st) == DB_ROW ? db_col_int64(st, 0) : 0;
    jdb_done(j, st);
    return n;
}

/* Stores the run's counters, items by state and resume point, derived
 * from rs. */
static int store_progress(journal *j, int64_t id, const procedure *p,
                          const run_state *rs, ss_err *e)
{
    int at = run_state_resume(rs);
    run_counts c;
    jdb_count_states(rs, &c);
    db_stmt *st = jdb_prep(j, "UPDATE runs SET closed = ?, applicable = ?,"
                                   " resume = ?, n_done = ?, n_skipped = ?,"
                                   " n_failed = ?, n_na = ?, n_open = ?"
                                   " WHERE id = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, (int64_t)rs->closed);
    db_bind_int64(st, 2, (int64_t)rs->applicable);
    jdb_bind_text(st, 3, at >= 0 ? p->items[at].id : "");
    db_bind_int64(st, 4, (int64_t)c.done);
    db_bind_int64(st, 5, (int64_t)c.skipped);
    db_bind_int64(st, 6, (int64_t)c.failed);
    db_bind_int64(st, 7, (int64_t)c.na);
    db_bind_int64(st, 8, (int64_t)c.open);
    db_bind_int64(st, 9, id);
    return jdb_run(j, st, "cannot record progress", e);
}

/* A site's data changed: re-decide what applies in its open run. */
int jdb_refresh_open_run(journal *j, const site *s, const char *ts,
                         ss_err *e)
{
    (void)ts;
    int64_t id;
    char hash[65];
    int rc = jdb_open_run(j, s->code, &id, hash, NULL, e);
    if (rc)
        return rc == J_NOTFOUND ? J_OK : J_ESTORAGE;
    const procedure *p = jdb_stored_procedure(j, hash, e);
    if (!p)
        return J_ESTORAGE;
    run_state rs;
    if (jdb_load_states(j, id, p, s, &rs, e))
        return J_ESTORAGE;
    rc = store_progress(j, id, p, &rs, e);
    run_state_free(&rs);
    return rc;
}

int jdb_site_when_ended(journal *j, int64_t id, site *s, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT max(id) FROM events WHERE run = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, id);
    int rc = jdb_step_row(j, st, "cannot read the run's events", e);
    if (rc)
        return rc == J_NOTFOUND ? J_OK : rc;
    int64_t last = db_col_int64(st, 0);
    jdb_done(j, st);
    site then;
    rc = jdb_site_as_of(j, s->code, last, &then, e);
    if (rc < 0)
        return rc;
    if (rc == J_OK) {
        then.state = s->state; /* load_run gives the state the run ended with */
        *s = then;
    }
    return J_OK;
}

/* Fills out with run id of site s: its procedure, times and item states. */
static int load_run(journal *j, const site *s, int64_t id, run_view *out,
                    ss_err *e)
{
    memset(out, 0, sizeof *out);
    db_stmt *st = jdb_prep(j, "SELECT procedure, started, ended, open,"
                                   " number, state, prior"
                                   " FROM runs WHERE id = ? AND site = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, id);
    jdb_bind_text(st, 2, s->code);
    char hash[65] = "";
    int rc = jdb_step_row(j, st, "cannot read runs", e);
    if (rc)
        return rc;
    jdb_copy_col(st, 0, hash, sizeof hash);
    jdb_copy_col(st, 1, out->started, sizeof out->started);
    jdb_copy_col(st, 2, out->ended, sizeof out->ended);
    out->open = (int)db_col_int64(st, 3) != 0;
    out->number = db_col_int64(st, 4);
    jdb_copy_col(st, 5, out->state, sizeof out->state);
    jdb_copy_col(st, 6, out->prior, sizeof out->prior);
    jdb_done(j, st);
    const procedure *p = jdb_stored_procedure(j, hash, e);
    if (!p)
        return J_ESTORAGE;
    procedure_copy(&out->proc, p);
    out->id = id;
    snprintf(out->site, sizeof out->site, "%s", s->code);
    out->values = *s;
    if (!out->open && (rc = jdb_site_when_ended(j, id, &out->values, e))) {
        run_view_free(out);
        return rc;
    }
    if (!out->open) {
        /* The install state the run ended with, not today's: clean after
         * a complete run; after an abandoned one, the state it gave back
         * (as abandoning decides it: failed when none was known). */
        int back = site_state_parse(out->prior);
        out->values.state =
            strcmp(out->state, "abandoned") != 0 ? STATE_CLEAN
            : back < 0 || back == STATE_CLEANING ? STATE_FAILED
                                                 : (site_state)back;
    }
    if (jdb_load_states(j, id, &out->proc, &out->values, &out->st, e)) {
        run_view_free(out);
        return J_ESTORAGE;
    }
    return J_OK;
}

int journal_run_current(journal *j, const char *code, run_view *out, ss_err *e)
{
    memset(out, 0, sizeof *out);
    site s;
    int rc = journal_site_get(j, code, &s, e);
    if (rc)
        return rc == J_NOTFOUND ? J_NOTFOUND : J_ESTORAGE;
    int64_t id;
    char hash[65];
    rc = jdb_open_run(j, s.code, &id, hash, NULL, e);
    return rc ? rc : load_run(j, &s, id, out, e);
}

int journal_run_get(journal *j, const char *code, int64_t id, run_view *out,
                    ss_err *e)
{
    memset(out, 0, sizeof *out);
    site s;
    int rc = journal_site_get(j, code, &s, e);
    if (rc)
        return rc == J_NOTFOUND ? J_NOTFOUND : J_ESTORAGE;
    return load_run(j, &s, id, out, e);
}

/* Q287717 cleans up a secondary site: one without a parent is the central
 * site, and its commands (preinst /delsite:{SEC,PAR}) cannot be filled in.
 * JOURNAL_EINPUT with the reason, or 0. */
static int refuse_central(const site *s, ss_err *e)
{
    if (s->parent[0])
        return 0;
    ss_errf(e, "site %s has no parent site: it is the central site, and the "
               "Q287717 cleanup is for secondary sites; no cleanup was started",
            s->code);
    return JOURNAL_EINPUT;
}

/* Starts a run inside a transaction. */
static int start_run(journal *j, const site *s, const procedure *p,
                     const char *ts, int64_t *id, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "INSERT INTO procedures(hash, name, text)"
                              " VALUES(?, ?, ?) ON CONFLICT DO NOTHING", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, p->hash);
    jdb_bind_text(st, 2, p->name);
    db_bind_blob(st, 3, p->text, p->textlen);
    if (jdb_run(j, st, "cannot store the procedure", e))
        return J_ESTORAGE;
    /* Numbered per site; prior is the state abandoning the run restores. */
    /* Ids in order under the write lock, as the events' are. */
    st = jdb_prep(j, "INSERT INTO runs(id, site, procedure, started, open,"
                     " number, state, prior) VALUES((SELECT coalesce(max(id),"
                     " 0) + 1 FROM runs), ?1, ?2, ?3, 1, 1 + (SELECT"
                     " count(*) FROM runs WHERE site = ?1), 'open', ?4)"
                     " RETURNING id", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, s->code);
    jdb_bind_text(st, 2, p->hash);
    jdb_bind_text(st, 3, ts);
    jdb_bind_text(st, 4, site_state_name(s->state));
    if (jdb_step_row(j, st, "cannot start the run", e))
        return J_ESTORAGE;
    *id = db_col_int64(st, 0);
    jdb_done(j, st);
    char *data = xasprintf("{\"procedure\":\"%s\",\"hash\":\"%s\"}",
                           p->name, p->hash);
    int rc = jdb_append(j, s->code, *id, NULL, "run-started", NULL, data, ts, NULL, e);
    free(data);
    if (rc)
        return J_ESTORAGE;
    st = jdb_prep(j, "UPDATE sites SET run = ? WHERE code = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, *id);
    jdb_bind_text(st, 2, s->code);
    if (jdb_run(j, st, "cannot start the run", e))
        return J_ESTORAGE;
    run_state rs;
    run_state_init(&rs, p, s);
    rc = store_progress(j, *id, p, &rs, e);
    run_state_free(&rs);
    return rc ? J_ESTORAGE
              : jdb_set_state(j, s->code, STATE_CLEANING, true, ts, e);
}

int journal_run_start(journal *j, const char *code, const procedure *p,
                      run_view *out, ss_err *e)
{
    char ts[32];
    utc_now(ts);
    if (jdb_begin(j, e))
        return J_ESTORAGE;
    site s;
    int64_t id;
    char hash[65];
    int rc = journal_site_get(j, code, &s, e);
    if (rc == J_NOTFOUND) {
        ss_errf(e, "no site %s in the journal", code);
        rc = J_EINPUT;
    } else if (rc == J_OK &&
               (rc = jdb_open_run(j, s.code, &id, hash, NULL, e)) == J_OK) {
        ss_errf(e, "site %s already has an open cleanup (%s #%lld)", s.code,
                s.code, (long long)run_number(j, id));
        rc = J_EINPUT;
    } else if (rc == J_NOTFOUND) { /* no open run: start one */
        rc = refuse_central(&s, e);
        if (rc == J_OK)
            rc = start_run(j, &s, p, ts, &id, e) ? J_ESTORAGE : J_OK;
    }
    rc = jdb_finish(j, rc, e);
    if (rc)
        return rc == J_EINPUT ? J_EINPUT : J_ESTORAGE;
    return out ? journal_run_current(j, s.code, out, e) : J_OK;
}

/* Upserts the recorded state of one item. */
static int store_item(journal *j, int64_t run, const char *item,
                      item_state s, int64_t event_id, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "INSERT INTO item_states(run, item, state, event)"
                                   " VALUES(?,?,?,?) ON CONFLICT(run, item) DO UPDATE"
                                   " SET state = excluded.state, event = excluded.event", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, run);
    jdb_bind_text(st, 2, item);
    jdb_bind_text(st, 3, item_state_name(s));
    db_bind_int64(st, 4, event_id);
    return jdb_run(j, st, "cannot record the item", e);
}

int jdb_close_run(journal *j, int64_t run, const char *state, const char *ts,
                  const char *what, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "UPDATE runs SET open = 0, state = ?,"
                                   " ended = ? WHERE id = ?", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, state);
    jdb_bind_text(st, 2, ts);
    db_bind_int64(st, 3, run);
    if (jdb_run(j, st, what, e))
        return J_ESTORAGE;
    st = jdb_prep(j, "DELETE FROM holds WHERE run = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, run);
    return jdb_run(j, st, what, e);
}

/* Closes a completed run and marks the site clean. */
static int complete_run(journal *j, const site *s, int64_t run, const char *ts,
                        ss_err *e)
{
    if (jdb_append(j, s->code, run, NULL, "run-completed", NULL, NULL, ts, NULL, e))
        return J_ESTORAGE;
    if (jdb_close_run(j, run, "complete", ts, "cannot close the run", e))
        return J_ESTORAGE;
    return jdb_set_state(j, s->code, STATE_CLEAN, true, ts, e);
}

/* Resolves site, run (starting one when allowed) and item for a write. */
typedef struct mark_ctx {
    site s;
    int64_t run;
    const procedure *p;
    int idx;
    bool started;
} mark_ctx;

/* Whether recording (item, o) with no open run would only repeat the
 * confirmation that completed the site's latest run: an operator re-running
 * the command after a crash that hid its success. J_ALREADY (*run the
 * completed run), J_OK when it would not, J_ESTORAGE. */
static int repeats_completion(journal *j, const site *s, const char *item,
                              outcome o, int64_t *run, ss_err *e)
{
    db_stmt *st = jdb_prep(j,
        "SELECT e.run, e.item, e.kind FROM sites s JOIN runs r ON r.id = s.run"
        " JOIN events e ON e.run = r.id WHERE s.code = ? AND r.state = 'complete'"
        " AND e.kind IN ('done', 'skipped') ORDER BY e.id DESC LIMIT 1", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, s->code);
    int rc = jdb_step_row(j, st, "cannot read runs", e);
    if (rc == J_OK) {
        bool same = str_ieq(jdb_col_text(st, 1), item) &&
                    strcmp(jdb_col_text(st, 2), outcome_name(o)) == 0;
        *run = db_col_int64(st, 0);
        jdb_done(j, st);
        rc = same ? J_ALREADY : J_OK;
    }
    return rc == J_NOTFOUND ? J_OK : rc;
}

/* Finds the site, its open run (starting one of start_with when none is
 * open and start_with is given), the run's procedure and the item, inside
 * the caller's transaction. retry_of is the outcome being recorded, or -1.
 * J_OK; J_ALREADY when no run is open and the outcome only repeats the one
 * that completed the latest run (m->run is that run); J_EINPUT; J_ESTORAGE. */
static int mark_prepare(journal *j, const char *code, const char *item,
                        int retry_of, const procedure *start_with,
                        const char *ts, mark_ctx *m, ss_err *e)
{
    int rc = journal_site_get(j, code, &m->s, e);
    if (rc == J_NOTFOUND) {
        ss_errf(e, "no site %s in the journal", code);
        return J_EINPUT;
    }
    if (rc)
        return J_ESTORAGE;
    char hash[65];
    rc = jdb_open_run(j, m->s.code, &m->run, hash, NULL, e);
    if (rc < 0)
        return J_ESTORAGE;
    if (rc == J_NOTFOUND) {
        if (!start_with) {
            ss_errf(e, "site %s has no open cleanup run", m->s.code);
            return J_EINPUT;
        }
        if (procedure_find(start_with, item) < 0) {
            ss_errf(e, "no item \"%s\" in procedure %s", item, start_with->name);
            return J_EINPUT;
        }
        if (refuse_central(&m->s, e))
            return JOURNAL_EINPUT;
        if (retry_of >= 0) {
            rc = repeats_completion(j, &m->s, item, (outcome)retry_of,
                                    &m->run, e);
            if (rc)
                return rc;
        }
        if (start_run(j, &m->s, start_with, ts, &m->run, e))
            return J_ESTORAGE;
        m->started = true;
        m->s.state = STATE_CLEANING;
        snprintf(hash, sizeof hash, "%s", start_with->hash);
    }
    if (!m->started && (rc = jdb_console_may_write(j, m->run, m->s.code, e)))
        return rc;
    run_holder h;
    int held = m->started ? J_OK : jdb_held_by_other(j, m->run, &h, e);
    if (held < 0)
        return J_ESTORAGE;
    if (held == J_HELD && j->console) {
        ss_errf(e, "the cleanup of %s was taken over by %s on %s at %s; "
                   "nothing was recorded", m->s.code, h.operator_name,
                h.host, h.since);
        return J_EINPUT;
    }
    if (held == J_HELD && !j->takeover) {
        ss_errf(e, "the cleanup of %s is held by %s's console on %s (pid "
                   "%ld) since %s; nothing was recorded (--take-over takes "
                   "it over, journaled as a handover)", m->s.code,
                h.operator_name, h.host, h.pid, h.since);
        return J_HELD;
    }
    if (held == J_HELD) { /* a script takes the run over: said, then done */
        char *note = xasprintf("taken over by a script from %s on %s (pid "
                               "%ld, holding since %s)", h.operator_name,
                               h.host, h.pid, h.since);
        int arc = jdb_append(j, m->s.code, m->run, NULL, "handover", note,
                             NULL, ts, NULL, e);
        free(note);
        db_stmt *st = arc ? NULL
            : jdb_prep(j, "DELETE FROM holds WHERE run = ?", e);
        if (!st)
            return J_ESTORAGE;
        db_bind_int64(st, 1, m->run);
        if (jdb_run(j, st, "cannot take the run over", e))
            return J_ESTORAGE;
    }
    /* The caller's procedure when it is the run's (same bytes): no need
     * to parse the stored copy. */
    m->p = start_with && strcmp(start_with->hash, hash) == 0
               ? start_with : jdb_stored_procedure(j, hash, e);
    if (!m->p)
        return J_ESTORAGE;
    m->idx = procedure_find(m->p, item);
    if (m->idx < 0) {
        ss_errf(e, "no item \"%s\" in procedure %s", item, m->p->name);
        return J_EINPUT;
    }
    return J_OK;
}

int journal_mark(journal *j, const char *code, const char *item, outcome o,
                 const char *note, const procedure *p, mark_result *res,
                 ss_err *e)
{
    mark_result r;
    memset(&r, 0, sizeof r);
    if (res)
        *res = r;
    if ((unsigned)o >= OUT_COUNT)
        return ss_errf(e, "unknown outcome"), J_EINPUT;
    if (outcome_needs_note(o) && (!note || !text_has_visible(note)))
        return ss_errf(e, "%s needs a note saying why", outcome_name(o)),
               J_EINPUT;
    char ts[32];
    utc_now(ts);
    if (jdb_begin(j, e))
        return J_ESTORAGE;
    mark_ctx m = {0};
    run_state rs = {0};
    int rc = mark_prepare(j, code, item, (int)o, p, ts, &m, e);
    if (rc == J_OK &&
        (rc = jdb_load_states(j, m.run, m.p, &m.s, &rs, e)) == J_OK) {
        rc = run_state_apply(&rs, m.p, (size_t)m.idx, o, e);
        rc = rc < 0 ? J_EINPUT : rc == APPLY_ALREADY ? J_ALREADY : J_OK;
    }
    if (rc == J_ALREADY) { /* in the open run, or it completed the latest */
        r.already = true;
        r.run = m.run;
        r.number = run_number(j, m.run);
        jdb_rollback(j);
        run_state_free(&rs);
        if (res)
            *res = r;
        return J_OK;
    }
    const char *id = rc == J_OK ? m.p->items[m.idx].id : item;
    if (rc == 0)
        rc = jdb_append(j, m.s.code, m.run, id, outcome_name(o), note, NULL, ts,
                    &r.event, e);
    if (rc == 0)
        rc = store_item(j, m.run, id, rs.recorded[m.idx], r.event, e);
    if (rc == 0)
        rc = store_progress(j, m.run, m.p, &rs, e);
    r.closed = rs.closed;
    r.applicable = rs.applicable;
    if (rc == 0)
        snprintf(r.procedure, sizeof r.procedure, "%s", m.p->hash);
    if (rc == 0 && run_state_complete(&rs)) {
        rc = complete_run(j, &m.s, m.run, ts, e);
        r.completed = rc == 0;
    }
    run_state_free(&rs);
    rc = jdb_finish(j, rc, e);
    if (rc)
        return rc == J_EINPUT || rc == J_HELD ? rc : J_ESTORAGE;
    r.run = m.run;
    r.number = run_number(j, m.run);
    r.started = m.started;
    if (res)
        *res = r;
    return J_OK;
}

int journal_note(journal *j, const char *code, const char *item,
                 const char *note, int64_t *event_id, ss_err *e)
{
    if (!note || !text_has_visible(note))
        return ss_errf(e, "the note is empty"), J_EINPUT;
    char ts[32];
    utc_now(ts);
    if (jdb_begin(j, e))
        return J_ESTORAGE;
    mark_ctx m = {0};
    int rc = mark_prepare(j, code, item, -1, NULL, ts, &m, e);
    if (rc == 0)
        rc = jdb_append(j, m.s.code, m.run, m.p->items[m.idx].id, "note", note,
                    NULL, ts, event_id, e);
    rc = jdb_finish(j, rc, e);
    return rc == J_EINPUT ? J_EINPUT : rc ? J_ESTORAGE : J_OK;
}
