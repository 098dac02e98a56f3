/* test_pg_holds.c - holds on PostgreSQL are the session advisory locks,
 * not the rows of the holds table (journal_holds.c, journal_pg.c), on the
 * private server of the test run ($SITESWEEP_TEST_PG; skipped without it,
 * failed under CI=true): a hold row deleted behind the program's back
 * frees nothing while the holder's session lives; after a handover, the
 * hold's liveness is the new holder's session, not the old console's
 * lock it has not let go yet; and a console taken over by a script learns
 * it when asked (journal_run_hold_check) and lets its lock go; a console
 * whose lost session still has its lock records nothing until it ends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fixture.h"
#include "journal.h"
#include "procedure.h"

typedef struct fx {
    char uri[512];
    char schema[64];
    journal *a, *b; /* a: a console; b: a script */
    procedure p;
    db *raw;        /* SQL behind the program's back */
} fx;

static journal *open_as(fx *f, const char *who, const char *host,
                        bool console)
{
    journal *j = fx_journal(f->uri, who, host);
    if (j)
        journal_set_console(j, console);
    return j;
}

static int setup(void **state)
{
    const char *uri = fx_pg_uri();
    *state = NULL;
    if (!uri)
        return fx_pg_absent();
    fx *f = calloc(1, sizeof *f);
    snprintf(f->uri, sizeof f->uri, "%s", uri);
    fx_pg_schema(f->schema, sizeof f->schema, "holds");
    *state = f;
    ss_err e;
    char msg[512];
    f->raw = db_connect_pg(uri, msg, sizeof msg);
    if (!f->raw || procedure_load("data/q287717.procedure", &f->p, &e))
        return -1;
    f->a = open_as(f, "alice", "host-a", true);
    f->b = open_as(f, "bob", "host-b", false);
    if (!f->a || !f->b)
        return -1;
    site s = fx_site("K7Q");
    mark_result r;
    if (journal_site_save(f->b, &s, true, &e) ||
        journal_mark(f->b, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    run_holder by;
    if (journal_run_claim(f->a, r.run, false, &by, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    journal_close(f->a);
    journal_close(f->b);
    int rc = fx_pg_drop_schema(f->schema);
    db_close(f->raw);
    procedure_free(&f->p);
    free(f);
    return rc;
}

#define NEED(state)                                                        \
    fx *f = *(state);                                                      \
    if (!f)                                                                \
        skip()

static void raw_exec(fx *f, const char *fmt)
{
    char sql[256];
    snprintf(sql, sizeof sql, fmt, f->schema);
    if (db_exec(f->raw, sql) != DB_DONE)
        fail_msg("%s: %s", sql, db_errmsg(f->raw));
}

static int64_t raw_count(fx *f, const char *sql)
{
    db_stmt *st = db_prepare(f->raw, sql, false);
    if (!st || db_step(st) != DB_ROW)
        fail_msg("%s: %s", sql, db_errmsg(f->raw));
    int64_t v = db_col_int64(st, 0);
    db_finalize(st);
    return v;
}

static void test_deleted_row_frees_nothing(void **state)
{
    NEED(state);
    ss_err e;
    mark_result r;
    /* As the consoles' role may: the live console's row goes. */
    raw_exec(f, "DELETE FROM %s.holds");
    int rc = journal_mark(f->b, "K7Q", "2", OUT_DONE, NULL, &f->p, &r, &e);
    assert_int_equal(rc, J_HELD);
    assert_non_null(strstr(e.msg, "is held by"));
    /* The console itself still holds it, and records. */
    assert_int_equal(journal_mark(f->a, "K7Q", "2", OUT_DONE, NULL, &f->p,
                                  &r, &e), J_OK);
    run_holder by;
    assert_int_equal(journal_run_hold_check(f->a, r.run, &by, &e), J_OK);
}

static void test_liveness_follows_the_handover(void **state)
{
    NEED(state);
    ss_err e;
    run_holder by;
    /* Another console takes the run over from a, which has not noticed
     * (its old lock still held), then dies. */
    journal *c = open_as(f, "carol", "host-c", true);
    assert_non_null(c);
    assert_int_equal(journal_run_claim(c, 1, false, &by, &e), J_HELD);
    assert_int_equal(journal_run_claim(c, 1, true, &by, &e), J_OK);
    journal_close(c);
    /* Nobody live holds the run now: a's stale lock does not count. */
    mark_result r;
    assert_int_equal(journal_mark(f->b, "K7Q", "2", OUT_DONE, NULL, &f->p,
                                  &r, &e), J_OK);
    assert_false(r.already);
}

static void test_taken_over_console_lets_go(void **state)
{
    NEED(state);
    ss_err e;
    run_holder by;
    mark_result r;
    assert_int_equal(journal_run_hold_check(f->a, 1, &by, &e), J_OK);
    journal_set_takeover(f->b, true);
    assert_int_equal(journal_mark(f->b, "K7Q", "2", OUT_DONE, NULL, &f->p,
                                  &r, &e), J_OK);
    assert_true(raw_count(f, "SELECT count(*) FROM pg_locks WHERE locktype ="
                             " 'advisory' AND objid = 1 AND objsubid = 2") > 0);
    assert_int_equal(journal_run_hold_check(f->a, 1, &by, &e), J_HELD);
    assert_string_equal(by.operator_name, "bob");
    assert_string_equal(by.host, "host-b");
    /* a's session holds nothing of the run any more. */
    assert_int_equal(raw_count(f, "SELECT count(*) FROM pg_locks WHERE"
                                  " locktype = 'advisory' AND objid = 1 AND"
                                  " objsubid = 2"), 0);
    /* ... and records nothing there. */
    assert_int_not_equal(journal_mark(f->a, "K7Q", "3", OUT_DONE, NULL,
                                      &f->p, &r, &e), J_OK);
}

/* The console's connection is lost while the server still has its old
 * session (a network cut, a stalled backend), lock and all: the console
 * reconnects, but its hold is not this session's until that one ends. It
 * records nothing meanwhile (a script is refused too: the lock is alive),
 * and takes the hold back as soon as the old session lets go. Here the
 * raw connection stands in for the old session. */
static void test_lock_kept_by_the_lost_session(void **state)
{
    NEED(state);
    ss_err e;
    mark_result r;
    bool changed = false;
    assert_int_equal(journal_watch(f->a, &e), 0);
    int64_t old = raw_count(f, "SELECT pid FROM pg_locks WHERE locktype ="
                               " 'advisory' AND objid = 1 AND objsubid = 2"
                               " AND granted");
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%lld)",
             (long long)old);
    raw_exec(f, sql);
    raw_exec(f, "SELECT pg_advisory_lock(hashtext('sitesweep hold %s'), 1)");
    /* (the end of the connection may take the console a look or two) */
    for (int i = 0; i < 100 && !changed; i++) {
        assert_int_equal(journal_changed(f->a, &changed, &e), 0);
        if (!changed)
            nanosleep(&(struct timespec){0, 50000000}, NULL);
    }
    assert_true(changed);
    assert_int_equal(journal_mark(f->a, "K7Q", "2", OUT_DONE, NULL, &f->p,
                                  &r, &e), J_EINPUT);
    assert_non_null(strstr(e.msg, "nothing was recorded"));
    assert_int_equal(journal_mark(f->b, "K7Q", "3", OUT_DONE, NULL, &f->p,
                                  &r, &e), J_HELD);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.events WHERE item"
                              " IN ('2', '3')", f->schema);
    assert_int_equal(raw_count(f, sql), 0);
    /* The old session ends: the next look at the journal takes it back. */
    raw_exec(f, "SELECT pg_advisory_unlock(hashtext('sitesweep hold %s'), 1)");
    assert_int_equal(journal_changed(f->a, &changed, &e), 0);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM pg_locks WHERE"
                                  " locktype = 'advisory' AND objid = 1 AND"
                                  " objsubid = 2 AND granted AND pid <>"
                                  " pg_backend_pid()"), 1);
    assert_int_equal(journal_mark(f->b, "K7Q", "3", OUT_DONE, NULL, &f->p,
                                  &r, &e), J_HELD);
    assert_int_equal(journal_mark(f->a, "K7Q", "2", OUT_DONE, NULL, &f->p,
                                  &r, &e), J_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_deleted_row_frees_nothing),
        T(test_liveness_follows_the_handover),
        T(test_taken_over_console_lets_go),
        T(test_lock_kept_by_the_lost_session),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
