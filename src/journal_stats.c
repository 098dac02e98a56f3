/* journal_stats.c - what the list of runs needs, kept as derived columns
 * of runs (journal schema 5) so that listing runs never reads their
 * events: the time of the run's latest event (last_ts), its active time
 * in milliseconds (active_ms, see timing.h), who recorded in it and from
 * where (operators, hosts: JSON arrays, first seen first) and its items by
 * state (n_done, n_skipped, n_failed, n_na, n_open). They are written in
 * the transaction of each event that changes them (jdb_run_event for
 * every event of a run, store_progress in journal_runs.c for the counts)
 * and derived again from the events by verify and by the upgrade to
 * schema 5 (jdb_run_derive, jdb_migrate_run_stats). Every event of a run
 * counts, "resumed" (a console opening it after a break) included: it is
 * the run's latest activity and its operator and host worked on it, but
 * it adds no active time (TK_START: the break before it is idle), as
 * timing_active_add and the re-derivation both say. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "timing.h"

void jdb_count_states(const run_state *rs, run_counts *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < rs->nitems; i++) {
        switch (rs->state[i]) {
        case ITEM_DONE: c->done++; break;
        case ITEM_SKIPPED: c->skipped++; break;
        case ITEM_FAILED: c->failed++; break;
        case ITEM_NA: c->na++; break;
        default: c->open++; break;
        }
    }
}

int jdb_run_event(journal *j, int64_t run, const char *kind, const char *ts,
                  ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT last_ts FROM runs WHERE id = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, run);
    int rc = jdb_step_row(j, st, "cannot read the run", e);
    if (rc == J_NOTFOUND)
        return J_OK; /* no such run: verify names such an event */
    if (rc)
        return J_ESTORAGE;
    int64_t prev, now, add = 0;
    if (timing_parse_ts(jdb_col_text(st, 0), &prev) == 0 &&
        timing_parse_ts(ts, &now) == 0)
        add = timing_active_add(now - prev, timing_kind_of(kind));
    jdb_done(j, st);
    /* operators and hosts are JSON arrays written compactly, first seen
     * first, as SQLite's json_insert writes them; PostgreSQL builds the
     * same text (each backend's run_event_sql). */
    st = jdb_prep(j, j->be->run_event_sql, e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, run);
    jdb_bind_text(st, 2, ts);
    db_bind_int64(st, 3, add);
    jdb_bind_text(st, 4, j->operator_name);
    jdb_bind_text(st, 5, j->host);
    if (jdb_run(j, st, "cannot record the event", e))
        return J_ESTORAGE;
    if (db_changes(j->db) != 1)
        return ss_errf(e, "%s: cannot record the event: run %lld was not "
                          "updated (a trigger not made by sitesweep?); "
                          "nothing was recorded", j->path, (long long)run),
               J_ESTORAGE;
    return J_OK;
}

int jdb_derive_begin(journal *j, ss_err *e)
{
    return jdb_exec(j, "DROP TABLE IF EXISTS temp.ss_site_versions;"
                       "CREATE TEMP TABLE ss_site_versions AS SELECT id, site,"
                       " data FROM main.events WHERE kind IN ('site-added',"
                       " 'site-updated');"
                       "CREATE INDEX temp.ss_site_versions_at ON"
                       " ss_site_versions(site, id)",
                    "cannot derive the runs", e);
}

void jdb_derive_end(journal *j)
{
    db_exec(j->db, "DROP TABLE IF EXISTS temp.ss_site_versions");
}

/* The site as the newest site-added/site-updated event before `before`
 * says it was (from jdb_derive_begin's table: one index lookup, where the
 * events of a site with many runs would be scanned back per run). */
static int site_at(journal *j, const char *code, int64_t before, site *s,
                   ss_err *e)
{
    site_init(s);
    db_stmt *st = jdb_prep_dyn(j, "SELECT data FROM temp.ss_site_versions"
                                       " WHERE site = ? AND id < ? ORDER BY id"
                                       " DESC LIMIT 1", e);
    if (!st)
        return -1;
    jdb_bind_text(st, 1, code);
    db_bind_int64(st, 2, before);
    int rc = db_step(st);
    json_t *o = rc == DB_ROW ? json_loads(jdb_col_text(st, 0), 0, NULL) : NULL;
    jdb_done(j, st);
    if (rc != DB_ROW && rc != DB_DONE)
        return jdb_fail(j, e, "cannot read the site's events");
    for (int f = 0; o && f < FIELD_COUNT; f++) {
        const char *v = json_string_value(json_object_get(o, site_field_name((site_field)f)));
        ss_err ignored;
        if (v)
            site_set_field(s, (site_field)f, v, &ignored);
    }
    json_decref(o);
    return 0;
}

/* The run's active milliseconds from its events, as timing_items sums
 * them. */
static int active_of(journal *j, int64_t run, int64_t *active_ms, ss_err *e)
{
    *active_ms = 0;
    db_stmt *st = jdb_prep(j, "SELECT ts, kind FROM events WHERE run = ?"
                                   " ORDER BY id", e);
    if (!st)
        return -1;
    db_bind_int64(st, 1, run);
    int64_t prev = 0;
    bool first = true;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        int64_t ms;
        if (timing_parse_ts(jdb_col_text(st, 0), &ms))
            ms = prev; /* as run_events reads it */
        if (!first)
            *active_ms += timing_active_add(ms - prev,
                                            timing_kind_of(jdb_col_text(st, 1)));
        first = false;
        prev = ms;
    }
    jdb_done(j, st);
    return rc == DB_DONE ? 0 : jdb_fail(j, e, "cannot read the run's events");
}

int jdb_run_derive(journal *j, int64_t run, const char *code,
                   const char *hash, int64_t completed, run_derived *out,
                   ss_err *e)
{
    memset(out, 0, sizeof *out);
    const procedure *p = jdb_stored_procedure(j, hash, e);
    if (!p)
        return 1; /* reported by the procedure checks */
    site s;
    if (site_at(j, code, completed ? completed : INT64_MAX, &s, e))
        return -1;
    run_state rs;
    run_state_init(&rs, p, &s);
    db_stmt *st = jdb_prep(j, "SELECT item, kind FROM events WHERE run = ?"
                                   " AND kind IN ('done', 'skipped', 'failed',"
                                   " 'reopened') ORDER BY id", e);
    if (!st) {
        run_state_free(&rs);
        return -1;
    }
    db_bind_int64(st, 1, run);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        int idx = procedure_find(p, jdb_col_text(st, 0));
        int o = outcome_parse(jdb_col_text(st, 1));
        static const item_state to[OUT_COUNT] = {ITEM_DONE, ITEM_SKIPPED,
                                                 ITEM_FAILED, ITEM_OPEN};
        if (idx >= 0 && o >= 0)
            run_state_set(&rs, (size_t)idx, to[o]);
    }
    jdb_done(j, st);
    if (rc != DB_DONE) {
        run_state_free(&rs);
        return jdb_fail(j, e, "cannot read the run's events");
    }
    int at = run_state_resume(&rs);
    out->closed = rs.closed;
    out->applicable = rs.applicable;
    snprintf(out->resume, sizeof out->resume, "%s", at >= 0 ? p->items[at].id : "");
    jdb_count_states(&rs, &out->counts);
    run_state_free(&rs);
    return active_of(j, run, &out->active_ms, e);
}

int jdb_migrate_run_stats(journal *j, ss_err *e)
{
    if (jdb_exec(j, "UPDATE runs SET last_ts = " RUN_LAST_TS_SQL("runs.id") ","
                    " operators = " RUN_PEOPLE_SQL("operator", "runs.id") ","
                    " hosts = " RUN_PEOPLE_SQL("host", "runs.id"),
                 "cannot upgrade the journal schema", e))
        return -1;
    typedef struct {
        int64_t id, completed;
        char site[4], hash[65];
    } run_ref;
    run_ref *runs = NULL;
    size_t n = 0, cap = 0;
    db_stmt *st = jdb_prep_dyn(j, "SELECT r.id, r.site, r.procedure,"
        " coalesce((SELECT min(x.id) FROM events x WHERE x.run = r.id AND"
        " x.kind IN ('run-completed', 'run-abandoned')), 0) FROM runs r", e);
    if (!st)
        return -1;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (n == cap)
            runs = xrealloc(runs, (cap = cap ? cap * 2 : 16) * sizeof *runs);
        runs[n].id = db_col_int64(st, 0);
        jdb_copy_col(st, 1, runs[n].site, sizeof runs[n].site);
        jdb_copy_col(st, 2, runs[n].hash, sizeof runs[n].hash);
        runs[n].completed = db_col_int64(st, 3);
        n++;
    }
    jdb_done(j, st);
    int out = rc == DB_DONE ? 0 : jdb_fail(j, e, "cannot upgrade the journal schema");
    if (out == 0)
        out = jdb_derive_begin(j, e);
    for (size_t i = 0; out == 0 && i < n; i++) {
        run_derived d;
        int got = jdb_run_derive(j, runs[i].id, runs[i].site, runs[i].hash,
                                 runs[i].completed, &d, e);
        if (got < 0)
            out = -1;
        if (got)
            continue; /* its procedure is missing: verify says so */
        st = jdb_prep_dyn(j, "UPDATE runs SET active_ms = ?, n_done = ?,"
                             " n_skipped = ?, n_failed = ?, n_na = ?,"
                             " n_open = ? WHERE id = ?", e);
        if (!st) {
            out = -1;
            break;
        }
        db_bind_int64(st, 1, d.active_ms);
        db_bind_int64(st, 2, (int64_t)d.counts.done);
        db_bind_int64(st, 3, (int64_t)d.counts.skipped);
        db_bind_int64(st, 4, (int64_t)d.counts.failed);
        db_bind_int64(st, 5, (int64_t)d.counts.na);
        db_bind_int64(st, 6, (int64_t)d.counts.open);
        db_bind_int64(st, 7, runs[i].id);
        out = jdb_run(j, st, "cannot upgrade the journal schema", e);
    }
    jdb_derive_end(j);
    free(runs);
    return out;
}
