/* test_review.c - runs as cleanups on real journal files: numbers per
 * site, the run list and its counts, the latest run, and the rules of
 * abandoning an open run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "review.h"

static const char proc_text[] =
    "procedure: t\n"
    "title: Test\n"
    "item 1: One\n"
    "text: first\n"
    "item 2: Two\n"
    "text: second\n"
    "item 3: Logon only\n"
    "text: third on {pdc}\n"
    "applies: logon\n"
    "item 4: Four\n"
    "text: fourth\n";

typedef struct fx {
    char dir[64];
    char path[128];
    journal *j;
    procedure p;
} fx;

static int setup(void **state)
{
    fx *f = xcalloc(1, sizeof *f);
    if (fx_tmpdir(f->dir, sizeof f->dir, "review"))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
    ss_err e;
    if (procedure_parse(proc_text, strlen(proc_text), "t", &f->p, &e) ||
        !(f->j = fx_journal(f->path, "alice", "host1")))
        return -1;
    site s[2];
    const char *codes[] = {"K7Q", "BLV"};
    const char *states[] = {"hung", "failed"};
    for (int i = 0; i < 2; i++) {
        site_init(&s[i]);
        if (site_set_field(&s[i], FIELD_CODE, codes[i], &e) ||
            site_set_field(&s[i], FIELD_SERVER, "SRV-X", &e) ||
            site_set_field(&s[i], FIELD_PARENT, "CEN", &e) ||
            site_set_field(&s[i], FIELD_STATE, states[i], &e))
            return -1;
    }
    inventory inv = {s, 2, NULL};
    if (journal_import(f->j, &inv, "t.csv", NULL, &e))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    journal_close(f->j);
    procedure_free(&f->p);
    if (fx_rmdir(f->dir))
        return -1;
    free(f);
    return 0;
}

static void mark(fx *f, const char *code, const char *item, outcome o,
                 const char *note, mark_result *r)
{
    ss_err e;
    mark_result tmp;
    if (journal_mark(f->j, code, item, o, note, &f->p, r ? r : &tmp, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        fail();
    }
}

static int64_t count_events(fx *f)
{
    int64_t n;
    ss_err e;
    assert_int_equal(journal_event_count(f->j, &n, &e), 0);
    return n;
}

static int raw_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return -1;
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void complete(fx *f, const char *code)
{
    mark(f, code, "1", OUT_DONE, NULL, NULL);
    mark(f, code, "2", OUT_DONE, NULL, NULL);
    mark_result r;
    mark(f, code, "4", OUT_DONE, NULL, &r);
    assert_true(r.completed);
}

/* K7Q #1, BLV #1, K7Q #2: numbers count per site, ids across sites. */
static void test_runs_numbered_per_site(void **state)
{
    fx *f = *state;
    mark_result r;
    complete(f, "K7Q");
    mark(f, "BLV", "1", OUT_DONE, NULL, &r);
    assert_int_equal(r.run, 2);
    assert_int_equal(r.number, 1);
    mark(f, "K7Q", "1", OUT_DONE, NULL, &r);
    assert_int_equal(r.run, 3);
    assert_int_equal(r.number, 2);
    assert_true(r.started);
    ss_err e;
    run_view rv;
    assert_int_equal(journal_run_numbered(f->j, "k7q", 2, &rv, &e), 0);
    assert_int_equal(rv.id, 3);
    assert_string_equal(rv.state, "open");
    assert_string_equal(rv.prior, "clean");
    run_view_free(&rv);
    assert_int_equal(journal_run_numbered(f->j, "K7Q", 1, &rv, &e), 0);
    assert_int_equal(rv.id, 1);
    assert_string_equal(rv.state, "complete");
    assert_string_equal(rv.prior, "hung");
    run_view_free(&rv);
    assert_int_equal(journal_run_numbered(f->j, "K7Q", 3, &rv, &e), JOURNAL_NOTFOUND);
    assert_int_equal(journal_run_numbered(f->j, "K7Q", 0, &rv, &e), JOURNAL_NOTFOUND);
    assert_int_equal(journal_run_latest(f->j, "BLV", &rv, &e), 0);
    assert_int_equal(rv.number, 1);
    assert_int_equal(rv.id, 2);
    run_view_free(&rv);
}

/* The latest run is found whether it is open or complete. */
static void test_latest_run_open_or_not(void **state)
{
    fx *f = *state;
    ss_err e;
    run_view rv;
    assert_int_equal(journal_run_latest(f->j, "K7Q", &rv, &e), JOURNAL_NOTFOUND);
    assert_int_equal(journal_run_latest(f->j, "NOP", &rv, &e), JOURNAL_NOTFOUND);
    complete(f, "K7Q");
    assert_int_equal(journal_run_latest(f->j, "K7Q", &rv, &e), 0);
    assert_false(rv.open);
    assert_int_equal(rv.st.closed, 3);
    assert_int_equal(rv.st.state[0], ITEM_DONE);
    run_view_free(&rv);
}

static void test_runs_list_counts_and_filters(void **state)
{
    fx *f = *state;
    complete(f, "K7Q");
    mark(f, "BLV", "1", OUT_DONE, NULL, NULL);
    mark(f, "BLV", "2", OUT_SKIPPED, "not needed", NULL);
    mark(f, "BLV", "4", OUT_FAILED, "access denied", NULL);
    journal_set_actor(f->j, "bob", "host2");
    mark(f, "K7Q", "1", OUT_DONE, NULL, NULL);
    ss_err e;
    run_summary *v;
    size_t n;
    assert_int_equal(journal_runs_list(f->j, NULL, NULL, &v, &n, &e), 0);
    assert_int_equal(n, 3);
    /* Newest first. */
    assert_string_equal(v[0].site, "K7Q");
    assert_int_equal(v[0].number, 2);
    assert_string_equal(v[0].state, "open");
    assert_int_equal(v[0].noperators, 1);
    assert_string_equal(v[0].operators[0], "bob");
    assert_string_equal(v[0].hosts[0], "host2");
    assert_string_equal(v[1].site, "BLV");
    assert_int_equal(v[1].done, 1);
    assert_int_equal(v[1].skipped, 1);
    assert_int_equal(v[1].failed, 1);
    assert_int_equal(v[1].na, 1);
    assert_int_equal(v[1].open, 0);
    assert_string_equal(v[1].procedure_name, "t");
    assert_string_equal(v[1].procedure, f->p.hash);
    assert_false(v[1].has_estimate); /* no three past runs */
    assert_string_equal(v[2].state, "complete");
    assert_int_equal(v[2].done, 3);
    assert_string_not_equal(v[2].ended, "");
    assert_string_equal(v[2].operators[0], "alice");
    run_summaries_free(v, n);
    assert_int_equal(journal_runs_list(f->j, "k7q", NULL, &v, &n, &e), 0);
    assert_int_equal(n, 2);
    run_summaries_free(v, n);
    assert_int_equal(journal_runs_list(f->j, NULL, "complete", &v, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, 1);
    run_summaries_free(v, n);
    assert_int_equal(journal_runs_list(f->j, "K7Q", "abandoned", &v, &n, &e), 0);
    assert_int_equal(n, 0);
    run_summaries_free(v, n);
    assert_int_equal(journal_runs_list(f->j, NULL, "done", &v, &n, &e), JOURNAL_EINPUT);
    assert_non_null(strstr(e.msg, "not a run state"));
    int64_t secs;
    assert_int_equal(journal_run_estimate(f->j, f->p.hash, 3, &secs, &e), JOURNAL_NOTFOUND);
}

/* Scripted cleanups record items within a second: those 0 s are measured
 * times, and three such cleanups give an estimate (of 0 s) instead of
 * none. */
static void test_estimate_from_scripted_runs(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 3; i++)
        complete(f, "K7Q");
    mark(f, "BLV", "1", OUT_DONE, NULL, NULL);
    ss_err e;
    int64_t secs = -1;
    assert_int_equal(journal_run_estimate(f->j, f->p.hash, 2, &secs, &e), 0);
    assert_int_equal(secs, 0);
    run_summary *v;
    size_t n;
    assert_int_equal(journal_runs_list(f->j, "BLV", NULL, &v, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_true(v[0].has_estimate);
    assert_int_equal(v[0].estimate, 0);
    run_summaries_free(v, n);
    timing_item it[4];
    int64_t active;
    run_view rv;
    assert_int_equal(journal_run_numbered(f->j, "K7Q", 1, &rv, &e), 0);
    assert_int_equal(journal_run_times(f->j, rv.id, &rv.proc, it, &active, &e), 0);
    assert_false(it[0].measured); /* item 1 started the run: unknown */
    assert_true(it[1].measured);  /* item 2: 0 s, known */
    assert_false(it[2].measured); /* item 3: n/a, never recorded */
    assert_true(it[3].measured);
    run_view_free(&rv);
}

/* Refusals record nothing. */
static void test_abandon_refusals(void **state)
{
    fx *f = *state;
    ss_err e;
    int64_t before = count_events(f);
    assert_int_equal(journal_run_abandon(f->j, "K7Q", "mistake", false, NULL, NULL, &e),
                     JOURNAL_EINPUT);
    assert_non_null(strstr(e.msg, "no open cleanup"));
    assert_int_equal(journal_run_abandon(f->j, "NOP", "mistake", false, NULL, NULL, &e),
                     JOURNAL_EINPUT);
    assert_non_null(strstr(e.msg, "no site NOP"));
    mark(f, "K7Q", "1", OUT_DONE, NULL, NULL);
    before = count_events(f);
    const char *blank[] = {NULL, "", "  \t\n"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(journal_run_abandon(f->j, "K7Q", blank[i], false, NULL, NULL, &e),
                         JOURNAL_EINPUT);
        assert_non_null(strstr(e.msg, "needs a reason"));
    }
    /* Held by a console on another host (alive as far as we can tell). */
    assert_int_equal(raw_sql(f->path, "INSERT INTO holds VALUES(1, 'bob', 'host2',"
                                      " 4242, '2026-11-27T01:00:00.000Z')"), SQLITE_OK);
    run_holder by;
    assert_int_equal(journal_run_abandon(f->j, "K7Q", "mistake", false, &by, NULL, &e),
                     JOURNAL_HELD);
    assert_string_equal(by.operator_name, "bob");
    assert_string_equal(by.host, "host2");
    assert_non_null(strstr(e.msg, "held by bob on host2"));
    assert_int_equal(count_events(f), before);
    site s;
    assert_int_equal(journal_site_get(f->j, "K7Q", &s, &e), 0);
    assert_int_equal(s.state, STATE_CLEANING);
    /* A holder on this host whose process is gone holds nothing. */
    assert_int_equal(raw_sql(f->path, "UPDATE holds SET host = 'host1', pid = 999999999"),
                     SQLITE_OK);
    assert_int_equal(journal_run_abandon(f->j, "K7Q", "mistake", false, NULL, NULL, &e), 0);
    assert_int_equal(count_events(f), before + 2); /* no handover */
}

/* Abandoning: the run ends abandoned with its reason, the site gets its
 * state back, a new run can start as #2, and the abandoned run is kept. */
static void test_abandon_restores_state_and_keeps_run(void **state)
{
    fx *f = *state;
    ss_err e;
    mark(f, "K7Q", "1", OUT_DONE, NULL, NULL);
    mark(f, "K7Q", "2", OUT_SKIPPED, "nothing to do", NULL);
    assert_int_equal(raw_sql(f->path, "INSERT INTO holds VALUES(1, 'bob', 'host2',"
                                      " 4242, '2026-11-27T01:00:00.000Z')"), SQLITE_OK);
    int64_t before = count_events(f), number = 0;
    assert_int_equal(journal_run_abandon(f->j, "k7q", "started on the wrong site",
                                         true, NULL, &number, &e), 0);
    assert_int_equal(number, 1);
    /* handover, run-abandoned, site-state: one transaction. */
    assert_int_equal(count_events(f), before + 3);
    const char *kinds[] = {"handover", "run-abandoned", "site-state"};
    for (int i = 0; i < 3; i++) {
        event ev;
        assert_int_equal(journal_event_get(f->j, before + 1 + i, &ev, &e), 0);
        assert_string_equal(ev.kind, kinds[i]);
        assert_string_equal(ev.site, "K7Q");
        if (i == 1) {
            assert_string_equal(ev.note, "started on the wrong site");
            assert_int_equal(ev.run, 1);
        }
        if (i == 2) {
            char buf[64];
            assert_string_equal(event_display_note(&ev, buf, sizeof buf),
                                "cleaning -> hung");
        }
        event_clear(&ev);
    }
    site s;
    assert_int_equal(journal_site_get(f->j, "K7Q", &s, &e), 0);
    assert_int_equal(s.state, STATE_HUNG);
    run_view rv;
    assert_int_equal(journal_run_current(f->j, "K7Q", &rv, &e), JOURNAL_NOTFOUND);
    assert_int_equal(journal_run_abandon(f->j, "K7Q", "again", false, NULL, NULL, &e),
                     JOURNAL_EINPUT);
    /* Kept and reviewable, with its item states. */
    assert_int_equal(journal_run_numbered(f->j, "K7Q", 1, &rv, &e), 0);
    assert_string_equal(rv.state, "abandoned");
    assert_false(rv.open);
    assert_string_not_equal(rv.ended, "");
    assert_int_equal(rv.st.state[0], ITEM_DONE);
    assert_int_equal(rv.st.state[1], ITEM_SKIPPED);
    run_view_free(&rv);
    site_row *rows;
    size_t n;
    assert_int_equal(journal_sites(f->j, &rows, &n, &e), 0);
    assert_string_equal(rows[1].site.code, "K7Q");
    assert_false(rows[1].run_open);
    assert_string_equal(rows[1].run_state, "abandoned");
    free(rows);
    /* Marking what the abandoned run last recorded is not a retry of a
     * completion: it starts K7Q #2. */
    mark_result r;
    mark(f, "K7Q", "2", OUT_SKIPPED, "nothing to do", &r);
    assert_false(r.already);
    assert_true(r.started);
    assert_int_equal(r.number, 2);
    assert_int_equal(journal_run_current(f->j, "K7Q", &rv, &e), 0);
    assert_string_equal(rv.prior, "hung");
    run_view_free(&rv);
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
    /* verify derives an abandoned run's state from its events. */
    assert_int_equal(raw_sql(f->path, "UPDATE runs SET state = 'complete' WHERE id = 1"),
                     SQLITE_OK);
    assert_int_equal(journal_verify(f->j, &v, &e), 1);
    assert_non_null(strstr(v.why, "run 1, column state: expected 'abandoned'"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_runs_numbered_per_site),
        T(test_latest_run_open_or_not),
        T(test_runs_list_counts_and_filters),
        T(test_estimate_from_scripted_runs),
        T(test_abandon_refusals),
        T(test_abandon_restores_state_and_keeps_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
