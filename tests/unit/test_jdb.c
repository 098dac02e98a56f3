/* test_jdb.c - the journal's internal SQLite helpers (journal_int.h):
 * jdb_step_row tells a row from none from a storage error and ends the
 * statement when it returns no row; jdb_finish commits on J_OK, rolls back
 * otherwise, and leaves nothing of the transaction behind when the commit
 * itself fails. */
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
#include "journal_int.h"

typedef struct fx {
    char dir[64];
    char path[128];
    journal *j;
} fx;

static int setup(void **state)
{
    fx *f = xcalloc(1, sizeof *f);
    if (fx_tmpdir(f->dir, sizeof f->dir, "jdb"))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
    if (!(f->j = fx_journal(f->path, "alice", "host1")))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    journal_close(f->j);
    if (fx_rmdir(f->dir))
        return -1;
    free(f);
    return 0;
}

static int64_t count_events(fx *f)
{
    int64_t n;
    ss_err e;
    assert_int_equal(journal_event_count(f->j, &n, &e), J_OK);
    return n;
}

/* The statement of one literal, cached: a second jdb_prep of the same
 * literal hands back the same statement only when the first use ended. */
static const char row_sql[] = "SELECT 7 WHERE ?1";

static void test_step_row_row_and_not_found(void **state)
{
    fx *f = *state;
    ss_err e;
    db_stmt *st = jdb_prep(f->j, row_sql, &e);
    assert_non_null(st);
    db_bind_int64(st, 1, 1);
    assert_int_equal(jdb_step_row(f->j, st, "cannot test", &e), J_OK);
    assert_int_equal((int)db_col_int64(st, 0), 7);
    jdb_done(f->j, st);

    /* No row: J_NOTFOUND, e untouched, the statement ended (reused). */
    snprintf(e.msg, sizeof e.msg, "untouched");
    st = jdb_prep(f->j, row_sql, &e);
    db_bind_int64(st, 1, 0);
    assert_int_equal(jdb_step_row(f->j, st, "cannot test", &e), J_NOTFOUND);
    assert_string_equal(e.msg, "untouched");
    db_stmt *again = jdb_prep(f->j, row_sql, &e);
    assert_ptr_equal(again, st);
    db_bind_int64(again, 1, 1);
    assert_int_equal(jdb_step_row(f->j, again, "cannot test", &e), J_OK);
    jdb_done(f->j, again);
}

static const char overflow_sql[] = "SELECT abs(-9223372036854775807 - 1)";

static void test_step_row_storage_error(void **state)
{
    fx *f = *state;
    ss_err e = {{0}};
    /* A step that fails at run time, as a damaged or busy file does. */
    db_stmt *st = jdb_prep(f->j, overflow_sql, &e);
    assert_non_null(st);
    assert_int_equal(jdb_step_row(f->j, st, "cannot test", &e), J_ESTORAGE);
    assert_non_null(strstr(e.msg, f->path));
    assert_non_null(strstr(e.msg, "cannot test"));
    assert_non_null(strstr(e.msg, "integer overflow"));
    /* Ended: the cached statement is free for the next use. */
    assert_ptr_equal(jdb_prep(f->j, overflow_sql, &e), st);
    jdb_done(f->j, st);
    /* The same for a statement prepared for one use (finalized). */
    st = jdb_prep_dyn(f->j, overflow_sql, &e);
    assert_non_null(st);
    assert_int_equal(jdb_step_row(f->j, st, "cannot test", &e), J_ESTORAGE);
    assert_non_null(strstr(e.msg, "integer overflow"));
}

static void test_finish_commits_on_ok(void **state)
{
    fx *f = *state;
    ss_err e;
    char ts[32];
    utc_now(ts);
    assert_int_equal(jdb_begin(f->j, &e), J_OK);
    assert_int_equal(jdb_append(f->j, NULL, 0, NULL, "import", "t", NULL, ts,
                                NULL, &e), J_OK);
    assert_int_equal(jdb_finish(f->j, J_OK, &e), J_OK);
    assert_true(sqlite3_get_autocommit(db_sqlite(f->j->db)));
    assert_int_equal(count_events(f), 1);
}

static void test_finish_rolls_back_on_failure(void **state)
{
    fx *f = *state;
    ss_err e;
    char ts[32];
    utc_now(ts);
    const int codes[] = {J_EINPUT, J_ESTORAGE, J_HELD, J_ALREADY, J_NOTFOUND};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        assert_int_equal(jdb_begin(f->j, &e), J_OK);
        assert_int_equal(jdb_append(f->j, NULL, 0, NULL, "import", "t", NULL,
                                    ts, NULL, &e), J_OK);
        snprintf(e.msg, sizeof e.msg, "the work's own error");
        /* rc unchanged, e as the work left it, nothing kept. */
        assert_int_equal(jdb_finish(f->j, codes[i], &e), codes[i]);
        assert_string_equal(e.msg, "the work's own error");
        assert_true(sqlite3_get_autocommit(db_sqlite(f->j->db)));
        assert_int_equal(count_events(f), 0);
    }
}

static void test_failed_commit_rolls_back(void **state)
{
    fx *f = *state;
    ss_err e;
    char ts[32];
    utc_now(ts);
    /* A deferred foreign key makes COMMIT itself fail, and SQLite leaves
     * the transaction open then: only jdb_finish's rollback ends it. */
    assert_int_equal(sqlite3_exec(db_sqlite(f->j->db),
        "CREATE TABLE t_parent(id INTEGER PRIMARY KEY);"
        "CREATE TABLE t_child(p INTEGER REFERENCES t_parent(id)"
        " DEFERRABLE INITIALLY DEFERRED);", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(jdb_begin(f->j, &e), J_OK);
    int64_t id = 0;
    assert_int_equal(jdb_append(f->j, NULL, 0, NULL, "import", "t", NULL, ts,
                                &id, &e), J_OK);
    assert_int_equal(id, 1);
    assert_int_equal(jdb_exec(f->j, "INSERT INTO t_child VALUES(42)",
                              "cannot test", &e), J_OK);
    assert_int_equal(jdb_finish(f->j, J_OK, &e), J_ESTORAGE);
    assert_non_null(strstr(e.msg, "cannot commit"));
    assert_non_null(strstr(e.msg, "FOREIGN KEY"));
    /* Nothing of the transaction is visible, and the handle writes on. */
    assert_true(sqlite3_get_autocommit(db_sqlite(f->j->db)));
    assert_int_equal(count_events(f), 0);
    db_stmt *st = jdb_prep_dyn(f->j, "SELECT count(*) FROM t_child", &e);
    assert_int_equal(jdb_step_row(f->j, st, "cannot test", &e), J_OK);
    assert_int_equal((int)db_col_int64(st, 0), 0);
    jdb_done(f->j, st);
    /* verify names tables sitesweep never makes: drop the test's own. */
    verify_result res;
    assert_int_equal(journal_verify(f->j, &res, &e), 1);
    assert_non_null(strstr(res.why, "t_child"));
    assert_int_equal(sqlite3_exec(db_sqlite(f->j->db), "DROP TABLE t_child;"
                                  "DROP TABLE t_parent;", NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(journal_verify(f->j, &res, &e), 0);
    assert_int_equal(jdb_begin(f->j, &e), J_OK);
    assert_int_equal(jdb_append(f->j, NULL, 0, NULL, "import", "t", NULL, ts,
                                &id, &e), J_OK);
    assert_int_equal(jdb_finish(f->j, J_OK, &e), J_OK);
    assert_int_equal(id, 1);
    assert_int_equal(count_events(f), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_step_row_row_and_not_found,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_step_row_storage_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_finish_commits_on_ok, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_finish_rolls_back_on_failure,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_rolls_back, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
