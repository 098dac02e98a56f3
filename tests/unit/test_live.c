/* test_live.c - live consoles: journal_changed tells a console, without
 * waiting, that another program committed a write (and only then): on a
 * SQLite file (data_version) and on the private PostgreSQL server of the
 * test run (LISTEN/NOTIFY; skipped without $SITESWEEP_TEST_PG, failed
 * under CI=true). A rolled-back write is not a change. */
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

#include "fixture.h"
#include "journal.h"

typedef struct fx {
    char dir[64];
    char name[512];
    char schema[64];
    journal *a, *b;
} fx;

static int open_both(fx *f)
{
    f->a = fx_journal(f->name, "alice", "host-a");
    f->b = f->a ? fx_journal(f->name, "bob", "host-b") : NULL;
    return f->b ? 0 : -1;
}

static int setup_sqlite(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (fx_tmpdir(f->dir, sizeof f->dir, "live"))
        return -1;
    snprintf(f->name, sizeof f->name, "%s/journal.db", f->dir);
    *state = f;
    return open_both(f);
}

static int setup_pg(void **state)
{
    const char *uri = fx_pg_uri();
    *state = NULL;
    if (!uri)
        return fx_pg_absent();
    fx *f = calloc(1, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", uri);
    fx_pg_schema(f->schema, sizeof f->schema, "live");
    *state = f;
    return open_both(f);
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    journal_close(f->a);
    journal_close(f->b);
    int rc = f->schema[0] ? fx_pg_drop_schema(f->schema) : fx_rmdir(f->dir);
    free(f);
    return rc;
}

/* Whether a sees a change within 5 s (a notification travels through the
 * server; polled, never a fixed sleep). */
static bool sees_change(journal *a)
{
    ss_err e;
    for (int i = 0; i < 500; i++) {
        bool changed;
        assert_int_equal(journal_changed(a, &changed, &e), J_OK);
        if (changed)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static bool quiet(journal *a)
{
    ss_err e;
    bool changed;
    assert_int_equal(journal_changed(a, &changed, &e), J_OK);
    return !changed;
}

static void test_another_programs_write_is_seen(void **state)
{
    fx *f = *state;
    if (!f)
        skip();
    ss_err e;
    assert_int_equal(journal_watch(f->a, &e), J_OK);
    assert_true(quiet(f->a));
    /* b writes: a hears of it, once. */
    site s = fx_site("K7Q");
    assert_int_equal(journal_site_save(f->b, &s, true, &e), J_OK);
    assert_true(sees_change(f->a));
    assert_true(quiet(f->a));
    /* a's own write is no news to a (b hears of it). */
    assert_int_equal(journal_watch(f->b, &e), J_OK);
    assert_true(quiet(f->b));
    site t = fx_site("BLV");
    assert_int_equal(journal_site_save(f->a, &t, true, &e), J_OK);
    assert_true(sees_change(f->b));
    assert_true(quiet(f->a));
    /* A refused write (an existing site added again) changes nothing. */
    assert_int_not_equal(journal_site_save(f->b, &s, true, &e), J_OK);
    assert_true(quiet(f->a));
    assert_int_equal(journal_site_set_state(f->b, "K7Q", STATE_FAILED, &e), J_OK);
    assert_true(sees_change(f->a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_another_programs_write_is_seen,
                                        setup_sqlite, teardown),
        cmocka_unit_test_setup_teardown(test_another_programs_write_is_seen,
                                        setup_pg, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
