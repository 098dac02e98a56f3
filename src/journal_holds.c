/* journal_holds.c - which console holds an open run, and the
 * journaled handover between consoles. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal_int.h"
#include "journal_pg.h"
#include "timing.h"

/* ---- consoles holding runs ---- */

void journal_set_console(journal *j, bool console)
{
    j->console = console;
}

void journal_set_takeover(journal *j, bool takeover)
{
    j->takeover = takeover;
}

/* The run's holder: J_OK found, J_NOTFOUND, J_ESTORAGE. */
static int holder_of(journal *j, int64_t run, run_holder *h, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT operator, host, pid, since FROM holds"
                                   " WHERE run = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, run);
    int rc = jdb_step_row(j, st, "cannot read who holds the run", e);
    if (rc == J_OK) {
        jdb_copy_col(st, 0, h->operator_name, sizeof h->operator_name);
        jdb_copy_col(st, 1, h->host, sizeof h->host);
        h->pid = (long)db_col_int64(st, 2);
        jdb_copy_col(st, 3, h->since, sizeof h->since);
        jdb_done(j, st);
    }
    return rc;
}

static bool holder_is_me(const journal *j, const run_holder *h)
{
    return h->pid == (long)getpid() && strcmp(h->host, j->host) == 0;
}

int jdb_hold_gen(journal *j, int64_t run, int64_t *gen, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT coalesce(max(id), 0) FROM events"
                              " WHERE run = ? AND kind = 'handover'", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, run);
    int rc = jdb_step_row(j, st, "cannot read the run's handovers", e);
    *gen = 0;
    if (rc == J_OK) {
        *gen = db_col_int64(st, 0);
        jdb_done(j, st);
    }
    return rc == J_NOTFOUND ? J_OK : rc;
}

/* PostgreSQL: whether a live session other than this one holds run's
 * lock of its current generation: 1 (filling *by from the server when
 * given), 0, -1 (e set). */
static int pg_other_holds(journal *j, int64_t run, run_holder *by, ss_err *e)
{
    int64_t gen;
    if (jdb_hold_gen(j, run, &gen, e))
        return -1;
    int alive = jpg_hold_alive(j->db, j->schema, run, gen, true, e);
    if (alive == 1 && by) {
        int found = jpg_hold_session(j->db, j->schema, run, gen, by, e);
        if (found < 0)
            return -1;
        if (found == 0) /* it ended just now */
            return 0;
    }
    return alive;
}

/* On PostgreSQL a hold lives as long as the database session of the
 * console that took it (a session advisory lock, journal_pg.c): the
 * server ends it when the console dies, on any host. On SQLite a holder
 * on this host whose process is gone holds nothing; holders on other
 * hosts cannot be checked and count as alive. */
static bool holder_alive(journal *j, int64_t run, const run_holder *h)
{
    if (j->pg) {
        /* The recorded holder's lock, of the hold's current generation:
         * a console taken over keeps its old lock until it learns, and
         * that one no longer counts. */
        ss_err e;
        return pg_other_holds(j, run, NULL, &e) != 0; /* unsure: alive */
    }
    if (strcmp(h->host, j->host) != 0)
        return true;
    return h->pid > 0 && (kill((pid_t)h->pid, 0) == 0 || errno == EPERM);
}

/* Whether another live console holds the run; fills *by. */
int jdb_held_by_other(journal *j, int64_t run, run_holder *by, ss_err *e)
{
    run_holder h;
    int rc = holder_of(j, run, &h, e);
    if (rc < 0)
        return J_ESTORAGE;
    if (rc == J_NOTFOUND && j->pg) {
        /* No row, but the lock is the hold: a row deleted behind the
         * program's back frees nothing while its session lives. */
        int other = pg_other_holds(j, run, &h, e);
        if (other < 0)
            return J_ESTORAGE;
        if (other == 0)
            return J_OK;
        if (by)
            *by = h;
        return J_HELD;
    }
    if (rc == J_NOTFOUND || holder_is_me(j, &h) || !holder_alive(j, run, &h))
        return J_OK;
    if (by)
        *by = h;
    return J_HELD;
}

int jdb_console_may_write(journal *j, int64_t run, const char *code,
                          ss_err *e)
{
    if (!j->console)
        return J_OK;
    run_holder h;
    int rc = holder_of(j, run, &h, e);
    if (rc < 0)
        return J_ESTORAGE;
    if (rc == J_OK && holder_is_me(j, &h) && j->pg) {
        /* The row says this console; the lock says whether it still
         * holds: one its lost session still has (a network cut, a stalled
         * backend) is not this session's, and while the lock is not, a
         * script's mark sees the hold gone. Taken here when free. */
        int64_t gen;
        int took;
        if (jdb_hold_gen(j, run, &gen, e) ||
            (took = jpg_hold_take(j->db, j->schema, run, gen, e)) < 0)
            return J_ESTORAGE;
        if (took)
            return J_OK;
        ss_errf(e, "this console's hold on the cleanup of %s is still with "
                   "its lost connection's database session, which the "
                   "server has not ended yet; nothing was recorded: try "
                   "again when it has (the console takes the hold back "
                   "then)", code);
        return J_EINPUT;
    }
    if (rc == J_OK && holder_is_me(j, &h))
        return J_OK;
    if (rc == J_OK && holder_alive(j, run, &h))
        return J_OK; /* the caller says who holds it */
    if (rc == J_NOTFOUND && j->pg) {
        /* The row deleted behind the program's back: this session's lock
         * of the current generation still says it holds the run; another
         * session's, that it does (the caller says who). */
        int64_t gen;
        if (jdb_hold_gen(j, run, &gen, e))
            return J_ESTORAGE;
        int alive = jpg_hold_alive(j->db, j->schema, run, gen, false, e);
        if (alive < 0)
            return J_ESTORAGE;
        if (alive)
            return J_OK;
    }
    ss_errf(e, "this console no longer holds the cleanup of %s (it was "
               "taken over or it ended); nothing was recorded: open it "
               "again from Sites", code);
    return J_EINPUT;
}

/* Inside the claim's transaction: when run is open and its latest event
 * is older than the idle gap, journals a "resumed" event at ts, so that
 * the time of the next item counts from now, not from before the break
 * (timing.h: TK_START). Nothing when the run was worked on recently (a
 * console reopened quickly), ended, or is not there. J_OK, J_ESTORAGE. */
static int resume_after_break(journal *j, int64_t run, const char *ts,
                              ss_err *e)
{
    db_stmt *q = jdb_prep(j, "SELECT r.site, r.open, coalesce((SELECT ts FROM"
                             " events WHERE run = r.id ORDER BY id DESC LIMIT"
                             " 1), '') FROM runs r WHERE r.id = ?", e);
    if (!q)
        return J_ESTORAGE;
    db_bind_int64(q, 1, run);
    int rc = jdb_step_row(j, q, "cannot read the run", e);
    if (rc == J_NOTFOUND)
        return J_OK;
    if (rc)
        return J_ESTORAGE;
    char site_code[4], last[32];
    jdb_copy_col(q, 0, site_code, sizeof site_code);
    bool open = db_col_int64(q, 1) == 1;
    jdb_copy_col(q, 2, last, sizeof last);
    jdb_done(j, q);
    int64_t then, now;
    if (!open || !site_code[0] || timing_parse_ts(last, &then) ||
        timing_parse_ts(ts, &now) ||
        now - then <= (int64_t)TIMING_IDLE_LIMIT * 1000)
        return J_OK;
    char idle[24];
    timing_format((now - then) / 1000, idle, sizeof idle);
    char *note = xasprintf("resumed after %s without events (the last at "
                           "%s)", idle, last);
    rc = jdb_append(j, site_code, run, NULL, "resumed", note, NULL, ts, NULL,
                    e);
    free(note);
    return rc ? J_ESTORAGE : J_OK;
}

int journal_run_claim(journal *j, int64_t run, bool takeover, run_holder *by,
                      ss_err *e)
{
    char ts[32];
    utc_now(ts);
    if (by)
        memset(by, 0, sizeof *by);
    if (jdb_begin(j, e))
        return J_ESTORAGE;
    run_holder h;
    int rc = jdb_held_by_other(j, run, &h, e);
    /* A holder whose console went away: said to the caller, not asked. */
    run_holder old;
    if (rc == J_OK && by && holder_of(j, run, &old, e) == J_OK &&
        !holder_is_me(j, &old)) {
        *by = old;
        by->gone = true;
    }
    if (rc == J_HELD && !takeover) {
        if (by)
            *by = h;
        return jdb_finish(j, J_HELD, e);
    }
    if (rc == J_HELD) {
        /* The handover is filed under the run's site: without it, it is
         * not written (an event of a run with no site verifies as one
         * sitesweep could not have written). */
        char site_code[4] = "";
        db_stmt *q = jdb_prep(j, "SELECT site FROM runs WHERE id = ?", e);
        if (!q)
            return jdb_finish(j, J_ESTORAGE, e);
        db_bind_int64(q, 1, run);
        rc = jdb_step_row(j, q, "cannot read the run's site", e);
        if (rc == J_NOTFOUND) {
            ss_errf(e, "%s: no cleanup run %lld to take over; nothing was "
                       "recorded", j->path, (long long)run);
            return jdb_finish(j, J_EINPUT, e);
        }
        if (rc)
            return jdb_finish(j, J_ESTORAGE, e);
        jdb_copy_col(q, 0, site_code, sizeof site_code);
        jdb_done(j, q);
        char *note = xasprintf("taken over from %s on %s (pid %ld, holding "
                               "since %s)", h.operator_name, h.host, h.pid,
                               h.since);
        rc = jdb_append(j, site_code, run, NULL, "handover", note, NULL, ts, NULL, e);
        free(note);
    } else if (rc >= 0) {
        /* (a handover restarts the run's time itself) */
        rc = resume_after_break(j, run, ts, e);
    }
    /* The hold's liveness on PostgreSQL: this session's lock on the run,
     * of the generation the handover (if any) just began (not to be had
     * while a live console still has it); any older one of this session
     * no longer counts and goes. */
    int64_t gen = 0;
    int took = 1;
    if (rc >= 0 && j->pg &&
        (jdb_hold_gen(j, run, &gen, e) ||
         (took = jpg_hold_take(j->db, j->schema, run, gen, e)) < 0))
        rc = J_ESTORAGE;
    if (rc >= 0 && took == 0) {
        /* Another live session got the lock since the check above (a
         * console back after a server restart taking its hold again, or
         * a claim racing this one): the run is held. Nothing is written
         * (a handover appended above is rolled back), and no row may say
         * this console holds it without the lock. */
        if (by) {
            memset(by, 0, sizeof *by);
            if (pg_other_holds(j, run, by, e) < 0)
                return jdb_finish(j, J_ESTORAGE, e);
        }
        return jdb_finish(j, J_HELD, e);
    }
    if (rc >= 0 && j->pg &&
        jpg_hold_drop_stale(j->db, j->schema, run, gen, e))
        rc = J_ESTORAGE;
    db_stmt *st = rc < 0 ? NULL
        : jdb_prep(j, "INSERT INTO holds(run, operator, host, pid, since)"
                      " VALUES(?, ?, ?, ?, ?) ON CONFLICT(run) DO UPDATE SET"
                      " operator = excluded.operator, host = excluded.host,"
                      " pid = excluded.pid, since = excluded.since", e);
    if (!st)
        return jdb_finish(j, J_ESTORAGE, e);
    db_bind_int64(st, 1, run);
    jdb_bind_text(st, 2, j->operator_name);
    jdb_bind_text(st, 3, j->host);
    db_bind_int64(st, 4, (int64_t)getpid());
    jdb_bind_text(st, 5, ts);
    return jdb_finish(j, jdb_run(j, st, "cannot claim the run", e), e);
}

int journal_run_release(journal *j, int64_t run, ss_err *e)
{
    int64_t gen = 0;
    if (j->pg && (jdb_hold_gen(j, run, &gen, e) ||
                  jpg_hold_drop(j->db, j->schema, run, gen, e) ||
                  jpg_hold_drop_stale(j->db, j->schema, run, -1, e)))
        return J_ESTORAGE;
    db_stmt *st = jdb_prep(j, "DELETE FROM holds WHERE run = ? AND pid = ?"
                                   " AND host = ?", e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, run);
    db_bind_int64(st, 2, (int64_t)getpid());
    jdb_bind_text(st, 3, j->host);
    return jdb_run(j, st, "cannot release the run", e);
}

int journal_run_hold_check(journal *j, int64_t run, run_holder *by,
                           ss_err *e)
{
    if (by)
        memset(by, 0, sizeof *by);
    run_holder h;
    int rc = holder_of(j, run, &h, e);
    if (rc < 0)
        return J_ESTORAGE;
    if (rc == J_OK && holder_is_me(j, &h))
        return J_OK;
    if (rc == J_NOTFOUND && j->pg) {
        /* No row: still ours while this session has the current lock. */
        int64_t gen;
        if (jdb_hold_gen(j, run, &gen, e))
            return J_ESTORAGE;
        int mine = jpg_hold_alive(j->db, j->schema, run, gen, false, e);
        int other = mine > 0 ? pg_other_holds(j, run, NULL, e) : 0;
        if (mine < 0 || other < 0)
            return J_ESTORAGE;
        if (mine && !other)
            return J_OK;
    }
    /* Not ours any more: who took it (the hold's row, else the run's last
     * handover, as a script's take-over leaves no row). */
    if (rc == J_OK && by) {
        *by = h;
    } else if (by) {
        db_stmt *q = jdb_prep(j, "SELECT operator, host, ts FROM events"
                                 " WHERE run = ? AND kind = 'handover'"
                                 " ORDER BY id DESC LIMIT 1", e);
        if (!q)
            return J_ESTORAGE;
        db_bind_int64(q, 1, run);
        int hr = jdb_step_row(j, q, "cannot read the run's handovers", e);
        if (hr < 0)
            return J_ESTORAGE;
        if (hr == J_OK) {
            jdb_copy_col(q, 0, by->operator_name, sizeof by->operator_name);
            jdb_copy_col(q, 1, by->host, sizeof by->host);
            jdb_copy_col(q, 2, by->since, sizeof by->since);
            jdb_done(j, q);
        }
    }
    /* This session's lock no longer counts (a new generation): let it go,
     * so that nothing on the server says this console holds the run. */
    if (j->pg && jpg_hold_drop_stale(j->db, j->schema, run, -1, e))
        return J_ESTORAGE;
    return J_HELD;
}
