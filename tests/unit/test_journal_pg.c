/* test_journal_pg.c - the PostgreSQL journal's own SQL (journal_pg.c) on the
 * private server the test runner starts ($SITESWEEP_TEST_PG; skipped
 * without it, failed under CI=true): created and versioned by the program,
 * append-only events and procedures (no UPDATE, DELETE or TRUNCATE), a
 * newer schema refused untouched, bad schema names refused, and programs
 * setting it up at once all succeed; a hold lives exactly as long as the
 * session that took it (closed or killed with SIGKILL); a direct
 * connection passes the pooler check. Each test uses a schema of its own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fixture.h"
#include "journal_pg.h"

typedef struct fx {
    db *d;
    char schema[64];
} fx;

static db *connect_or_null(void)
{
    const char *uri = fx_pg_uri();
    char msg[512];
    db *d = uri ? db_connect_pg(uri, msg, sizeof msg) : NULL;
    if (!d && uri)
        fprintf(stderr, "%s\n", msg);
    return d;
}

static int setup(void **state)
{
    *state = NULL;
    if (!fx_pg_uri())
        return fx_pg_absent();
    fx *f = calloc(1, sizeof *f);
    f->d = connect_or_null();
    if (!f->d)
        return -1;
    fx_pg_schema(f->schema, sizeof f->schema, "jpg");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    db_exec(f->d, "ROLLBACK");
    db_close(f->d);
    int rc = fx_pg_drop_schema(f->schema);
    free(f);
    return rc;
}

#define NEED(state)                                                        \
    fx *f = *(state);                                                      \
    if (!f)                                                                \
        skip()

static int64_t scalar(db *d, const char *sql)
{
    db_stmt *st = db_prepare(d, sql, false);
    if (!st || db_step(st) != DB_ROW)
        fail_msg("%s: %s", sql, db_errmsg(d));
    int64_t v = db_col_int64(st, 0);
    db_finalize(st);
    return v;
}

static void insert_event(db *d, int64_t id)
{
    db_stmt *st = db_prepare(d, "INSERT INTO events(id, ts, operator, host,"
                                " kind, prev, hash) VALUES(?, 't', 'o', 'h',"
                                " 'import', 'p', 'h')", false);
    db_bind_int64(st, 1, id);
    if (db_step(st) != DB_DONE)
        fail_msg("insert: %s", db_errmsg(d));
    db_finalize(st);
}

static void test_created_then_current(void **state)
{
    NEED(state);
    ss_err e;
    int v = -1;
    assert_int_equal(jpg_schema_setup(f->d, f->schema, "pg", &v, &e), 0);
    assert_int_equal(v, 0);
    /* The session works in the schema: unqualified names reach it. */
    assert_int_equal(scalar(f->d, "SELECT count(*) FROM events"), 0);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM information_schema.tables"
             " WHERE table_schema = '%s'", f->schema);
    assert_int_equal(scalar(f->d, sql), 8); /* events_grams: schema 2 */
    assert_int_equal(jpg_schema_setup(f->d, f->schema, "pg", &v, &e), 0);
    assert_int_equal(v, JOURNAL_PG_SCHEMA_VERSION);
    assert_int_equal(scalar(f->d, sql), 8);
}

static void test_events_append_only(void **state)
{
    NEED(state);
    ss_err e;
    assert_int_equal(jpg_schema_setup(f->d, f->schema, "pg", NULL, &e), 0);
    insert_event(f->d, 1);
    insert_event(f->d, 2);
    const char *refused[] = {
        "UPDATE events SET note = 'forged' WHERE id = 1",
        "DELETE FROM events WHERE id = 2",
        "TRUNCATE events",
        "INSERT INTO procedures(hash, name, text) VALUES('h', 'n', 'x');"
        "UPDATE procedures SET name = 'm'",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(db_exec(f->d, refused[i]), DB_ERROR);
        assert_int_equal(db_fault_of(f->d), DB_FAULT_CONSTRAINT);
        assert_non_null(strstr(db_errmsg(f->d), "append-only"));
    }
    assert_int_equal(scalar(f->d, "SELECT count(*) FROM events"), 2);
    assert_int_equal(scalar(f->d, "SELECT count(*) FROM events WHERE note = ''"), 2);
}

static void test_newer_schema_refused(void **state)
{
    NEED(state);
    ss_err e;
    assert_int_equal(jpg_schema_setup(f->d, f->schema, "pg", NULL, &e), 0);
    char sql[200];
    snprintf(sql, sizeof sql, "UPDATE meta SET value = '%d' WHERE key ="
             " 'schema_version'", JOURNAL_PG_SCHEMA_VERSION + 1);
    assert_int_equal(db_exec(f->d, sql), DB_DONE);
    assert_int_equal(jpg_schema_setup(f->d, f->schema, "pg://x", NULL, &e), -1);
    assert_non_null(strstr(e.msg, "newer than this sitesweep knows"));
    assert_non_null(strstr(e.msg, "pg://x"));
    assert_false(db_in_transaction(f->d));
    snprintf(sql, sizeof sql, "SELECT value::int FROM %s.meta", f->schema);
    assert_int_equal(scalar(f->d, sql), JOURNAL_PG_SCHEMA_VERSION + 1);
}

static void test_bad_schema_names(void **state)
{
    NEED(state);
    ss_err e;
    const char *bad[] = {"", "Bad", "a-b", "a;drop", "pg_catalog", "1abc",
                         "a b", "\xc3\xa9t\xc3\xa9", "public",
                         "information_schema", "pg_temp"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(jpg_schema_name_ok(bad[i]));
        assert_int_equal(jpg_schema_setup(f->d, bad[i], "pg", NULL, &e), -1);
        assert_non_null(strstr(e.msg, "not a usable schema name"));
    }
    assert_true(jpg_schema_name_ok("sitesweep"));
    assert_true(jpg_schema_name_ok("_team_2"));
}

static void test_concurrent_setup(void **state)
{
    NEED(state);
    enum { N = 6 };
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            db *d = connect_or_null();
            ss_err e;
            int rc = d ? jpg_schema_setup(d, f->schema, "pg", NULL, &e) : -1;
            if (rc)
                fprintf(stderr, "child: %s\n", d ? e.msg : "no connection");
            db_close(d);
            _exit(rc ? 1 : 0);
        }
    }
    for (int i = 0; i < N; i++) {
        int status;
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.meta", f->schema);
    assert_int_equal(scalar(f->d, sql), 1);
}

/* Waits (up to 30 s, polling) until run's hold is alive == want. */
static bool hold_becomes(db *d, const char *schema, int64_t run, int want)
{
    ss_err e;
    for (int i = 0; i < 3000; i++) {
        int a = jpg_hold_alive(d, schema, run, 0, false, &e);
        if (a < 0)
            fail_msg("%s", e.msg);
        if (a == want)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static void test_hold_lives_with_its_session(void **state)
{
    NEED(state);
    ss_err e;
    db *other = connect_or_null();
    assert_non_null(other);
    assert_int_equal(jpg_hold_alive(f->d, f->schema, 5, 0, false, &e), 0);
    assert_int_equal(jpg_hold_take(f->d, f->schema, 5, 0, &e), 1);
    assert_int_equal(jpg_hold_take(f->d, f->schema, 5, 0, &e), 1); /* ours */
    assert_int_equal(jpg_hold_take(other, f->schema, 5, 0, &e), 0);
    assert_int_equal(jpg_hold_alive(other, f->schema, 5, 0, false, &e), 1);
    /* Another run, or the same run of another journal, is free. */
    assert_int_equal(jpg_hold_take(other, f->schema, 6, 0, &e), 1);
    assert_int_equal(jpg_hold_take(other, "another_journal", 5, 0, &e), 1);
    /* Let go once: not held any more (taking it twice did not stack). */
    assert_int_equal(jpg_hold_drop(f->d, f->schema, 5, 0, &e), 0);
    assert_int_equal(jpg_hold_alive(other, f->schema, 5, 0, false, &e), 0);
    /* The session ends: so does its hold. */
    assert_int_equal(jpg_hold_take(f->d, f->schema, 7, 0, &e), 1);
    db *third = connect_or_null();
    assert_int_equal(jpg_hold_take(third, f->schema, 7, 0, &e), 0);
    db_close(f->d);
    f->d = third;
    assert_true(hold_becomes(third, f->schema, 7, 0));
    assert_int_equal(jpg_hold_take(third, f->schema, 7, 0, &e), 1);
    assert_int_equal(jpg_hold_take(third, f->schema, 0, 0, &e), -1);
    db_close(other);
}

static void test_hold_of_a_killed_console_ends(void **state)
{
    NEED(state);
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    if (pid == 0) {
        db *d = connect_or_null();
        ss_err e;
        char c = d && jpg_hold_take(d, f->schema, 9, 0, &e) == 1 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    ss_err e;
    assert_int_equal(jpg_hold_take(f->d, f->schema, 9, 0, &e), 0);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    assert_true(hold_becomes(f->d, f->schema, 9, 0));
    assert_int_equal(jpg_hold_take(f->d, f->schema, 9, 0, &e), 1);
    close(ready[0]);
    close(ready[1]);
}

static void test_direct_session_passes_pooler_check(void **state)
{
    NEED(state);
    char why[512] = "";
    ss_err e;
    assert_int_equal(jpg_session_check(f->d, why, sizeof why, &e), 0);
    assert_string_equal(why, "");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_created_then_current),
        T(test_events_append_only),
        T(test_newer_schema_refused),
        T(test_bad_schema_names),
        T(test_concurrent_setup),
        T(test_hold_lives_with_its_session),
        T(test_hold_of_a_killed_console_ends),
        T(test_direct_session_passes_pooler_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
