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

#include "journal.h"

typedef struct fx {
    char dir[64];
    char name[512];
    char schema[64];
    journal *a, *b;
} fx;

static site demo_site(const char *code)
{
    site s;
    ss_err e;
    site_init(&s);
    site_set_field(&s, FIELD_CODE, code, &e);
    site_set_field(&s, FIELD_SERVER, "SRV-X", &e);
    site_set_field(&s, FIELD_PARENT, "CEN", &e);
    site_set_field(&s, FIELD_STATE, "hung", &e);
    return s;
}

static int open_both(fx *f)
{
    ss_err e;
    if (journal_open(f->name, &f->a, &e) || journal_open(f->name, &f->b, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    journal_set_actor(f->a, "alice", "host-a");
    journal_set_actor(f->b, "bob", "host-b");
    return 0;
}

static int setup_sqlite(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ss-live-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->name, sizeof f->name, "%s/journal.db", f->dir);
    *state = f;
    return open_both(f);
}

static int counter;

static int setup_pg(void **state)
{
    const char *uri = getenv("SITESWEEP_TEST_PG");
    if (!uri || !*uri) {
        *state = NULL;
        return getenv("CI") && !strcmp(getenv("CI"), "true") ? -1 : 0;
    }
    fx *f = calloc(1, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", uri);
    snprintf(f->schema, sizeof f->schema, "t_live_%ld_%d", (long)getpid(),
             ++counter);
    setenv("SITESWEEP_PG_SCHEMA", f->schema, 1);
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
    char cmd[700];
    if (f->schema[0])
        snprintf(cmd, sizeof cmd, "psql -X -q '%s' -c 'DROP SCHEMA %s CASCADE'"
                 " >/dev/null 2>&1", f->name, f->schema);
    else
        snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
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
    site s = demo_site("K7Q");
    assert_int_equal(journal_site_save(f->b, &s, true, &e), J_OK);
    assert_true(sees_change(f->a));
    assert_true(quiet(f->a));
    /* a's own write is no news to a (b hears of it). */
    assert_int_equal(journal_watch(f->b, &e), J_OK);
    assert_true(quiet(f->b));
    site t = demo_site("BLV");
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
