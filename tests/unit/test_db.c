/* test_db.c - db.h against the real backends: an SQLite file, and the
 * private PostgreSQL server the test runner starts ($SITESWEEP_TEST_PG,
 * a connection URI; without it the PostgreSQL half is skipped, and under
 * CI=true it fails instead). The same checks run on both: parameters in
 * every spelling, NULLs, blobs with NUL bytes, reuse of kept statements,
 * changes, transactions and the classes of failures. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "fixture.h"

typedef struct fx {
    char dir[64];
    db *d;
} fx;

static int open_sqlite(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f || fx_tmpdir(f->dir, sizeof f->dir, "db"))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/t.db", f->dir);
    sqlite3 *h;
    if (sqlite3_open(path, &h) != SQLITE_OK)
        return -1;
    f->d = db_from_sqlite(h);
    *state = f;
    return f->d ? 0 : -1;
}

static int open_pg(void **state)
{
    const char *uri = fx_pg_uri();
    *state = NULL;
    if (!uri)
        return fx_pg_absent();
    fx *f = calloc(1, sizeof *f);
    char msg[512];
    f->d = db_connect_pg(uri, msg, sizeof msg);
    if (!f->d) {
        fprintf(stderr, "%s\n", msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int close_db(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    db_close(f->d);
    if (f->dir[0] && fx_rmdir(f->dir))
        return -1;
    free(f);
    return 0;
}

#define NEED(state)                                                        \
    fx *f = *(state);                                                      \
    if (!f)                                                                \
        skip();                                                            \
    db *d = f->d

static const char *blob_type(db *d)
{
    return db_kind_of(d) == DB_PG ? "BYTEA" : "BLOB";
}

static void exec_ok(db *d, const char *sql)
{
    if (db_exec(d, sql) != DB_DONE)
        fail_msg("%s: %s", sql, db_errmsg(d));
}

static void test_parameters(void **state)
{
    NEED(state);
    db_stmt *st;
    st = db_prepare(d, "SELECT ?, ?, 'it''s ? :x' /* ? */, :name, :name, "
                       "?4 -- ?\n", false);
    assert_non_null(st);
    assert_int_equal(db_param_index(st, ":name"), 3);
    assert_int_equal(db_param_index(st, ":none"), 0);
    assert_int_equal(db_bind_text(st, 1, "a"), DB_DONE);
    assert_int_equal(db_bind_int64(st, 2, -9007199254740993LL), DB_DONE);
    assert_int_equal(db_bind_text(st, 3, "z\xc3\xbc"), DB_DONE);
    assert_int_equal(db_bind_text(st, 4, NULL), DB_DONE);
    assert_int_equal(db_bind_text(st, 5, "x"), DB_ERROR);
    assert_int_equal(db_step(st), DB_ROW);
    assert_int_equal(db_col_count(st), 6);
    assert_string_equal(db_col_text(st, 0), "a");
    assert_int_equal(db_col_int64(st, 1), -9007199254740993LL);
    assert_string_equal(db_col_text(st, 2), "it's ? :x");
    assert_string_equal(db_col_text(st, 3), "z\xc3\xbc");
    assert_string_equal(db_col_text(st, 4), "z\xc3\xbc");
    assert_true(db_col_null(st, 5));
    assert_null(db_col_text(st, 5));
    assert_int_equal(db_col_int64(st, 5), 0);
    assert_int_equal(db_step(st), DB_DONE);
    db_finalize(st);
}

static void test_kept_statement_reused(void **state)
{
    NEED(state);
    exec_ok(d, "CREATE TEMP TABLE kv(k TEXT PRIMARY KEY, v BIGINT)");
    db_stmt *ins = db_prepare(d, "INSERT INTO kv(k, v) VALUES(?, ?)", true);
    assert_non_null(ins);
    for (int i = 0; i < 5; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        db_bind_text(ins, 1, k);
        db_bind_int64(ins, 2, i * 10);
        assert_int_equal(db_step(ins), DB_DONE);
        assert_int_equal(db_changes(d), 1);
        db_reset(ins);
    }
    db_stmt *sum = db_prepare(d, "SELECT count(*), sum(v) FROM kv WHERE v >= ?",
                              true);
    db_bind_int64(sum, 1, 20);
    assert_int_equal(db_step(sum), DB_ROW);
    assert_int_equal(db_col_int64(sum, 0), 3);
    assert_int_equal(db_col_int64(sum, 1), 90);
    db_reset(sum);
    /* Bindings survive a reset; a new one replaces the old. */
    assert_int_equal(db_step(sum), DB_ROW);
    assert_int_equal(db_col_int64(sum, 0), 3);
    db_reset(sum);
    db_bind_int64(sum, 1, 0);
    assert_int_equal(db_step(sum), DB_ROW);
    assert_int_equal(db_col_int64(sum, 0), 5);
    db_finalize(sum);

    exec_ok(d, "UPDATE kv SET v = v + 1 WHERE v < 25");
    assert_int_equal(db_changes(d), 3);

    /* A duplicate key is a constraint failure, said as such. */
    db_bind_text(ins, 1, "k1");
    db_bind_int64(ins, 2, 1);
    assert_int_equal(db_step(ins), DB_ERROR);
    assert_int_equal(db_fault_of(d), DB_FAULT_CONSTRAINT);
    assert_true(strlen(db_errmsg(d)) > 0);
    db_finalize(ins);
    exec_ok(d, "DROP TABLE kv");
}

static void test_rows_in_order(void **state)
{
    NEED(state);
    exec_ok(d, "CREATE TEMP TABLE n(i BIGINT)");
    db_stmt *ins = db_prepare(d, "INSERT INTO n(i) VALUES(?)", true);
    exec_ok(d, "BEGIN");
    assert_true(db_in_transaction(d));
    for (int i = 0; i < 100; i++) {
        db_bind_int64(ins, 1, i);
        assert_int_equal(db_step(ins), DB_DONE);
        db_reset(ins);
    }
    exec_ok(d, "COMMIT");
    assert_false(db_in_transaction(d));
    db_stmt *st = db_prepare(d, "SELECT i FROM n ORDER BY i DESC LIMIT ?", false);
    db_bind_int64(st, 1, 50);
    int64_t want = 99, got = 0;
    while (db_step(st) == DB_ROW) {
        assert_int_equal(db_col_int64(st, 0), want--);
        got++;
    }
    assert_int_equal(got, 50);
    db_finalize(st);
    /* A rolled-back insert leaves nothing. */
    exec_ok(d, "BEGIN");
    db_bind_int64(ins, 1, 1000);
    assert_int_equal(db_step(ins), DB_DONE);
    db_reset(ins);
    exec_ok(d, "ROLLBACK");
    st = db_prepare(d, "SELECT count(*) FROM n WHERE i = 1000", false);
    assert_int_equal(db_step(st), DB_ROW);
    assert_int_equal(db_col_int64(st, 0), 0);
    db_finalize(st);
    db_finalize(ins);
    exec_ok(d, "DROP TABLE n");
}

static void test_blob_with_nul(void **state)
{
    NEED(state);
    char sql[96];
    snprintf(sql, sizeof sql, "CREATE TEMP TABLE b(id BIGINT, v %s)",
             blob_type(d));
    exec_ok(d, sql);
    const unsigned char bytes[] = {'a', 0, 0xff, '\\', 'x', 0, '\n'};
    db_stmt *st = db_prepare(d, "INSERT INTO b(id, v) VALUES(1, ?)", false);
    assert_int_equal(db_bind_blob(st, 1, bytes, sizeof bytes), DB_DONE);
    assert_int_equal(db_step(st), DB_DONE);
    db_finalize(st);
    st = db_prepare(d, "SELECT v FROM b WHERE id = 1", false);
    assert_int_equal(db_step(st), DB_ROW);
    size_t n;
    const void *p = db_col_blob(st, 0, &n);
    assert_int_equal(n, sizeof bytes);
    assert_memory_equal(p, bytes, sizeof bytes);
    db_finalize(st);
    exec_ok(d, "DROP TABLE b");
}

static void test_errors_are_classed(void **state)
{
    NEED(state);
    db_stmt *st = db_prepare(d, "SELEC nonsense", false);
    if (st) {
        /* PostgreSQL parses when the statement first runs. */
        assert_int_equal(db_step(st), DB_ERROR);
        db_finalize(st);
    }
    assert_true(strstr(db_errmsg(d), "syntax") != NULL);
    assert_int_equal(db_fault_of(d), DB_FAULT_OTHER);
    /* The connection still works after a failure. */
    st = db_prepare(d, "SELECT 7", false);
    assert_int_equal(db_step(st), DB_ROW);
    assert_int_equal(db_col_int64(st, 0), 7);
    db_finalize(st);
}

static void test_close_frees_open_statements(void **state)
{
    NEED(state);
    /* Left for db_close (valgrind and ASan check nothing leaks). */
    db_stmt *st = db_prepare(d, "SELECT ? || 'x'", true);
    db_bind_text(st, 1, "y");
    assert_int_equal(db_step(st), DB_ROW);
    assert_string_equal(db_col_text(st, 0), "yx");
}

static void test_uri_redact(void **state)
{
    (void)state;
    char out[128];
    db_uri_redact("postgresql://alice:s3cret@db.example:5432/journal", out,
                  sizeof out);
    assert_string_equal(out, "postgresql://alice@db.example:5432/journal");
    db_uri_redact("postgres://bob@h/db?password=s3cret&sslmode=require", out,
                  sizeof out);
    assert_string_equal(out, "postgres://bob@h/db?sslmode=require");
    db_uri_redact("postgresql:///db?sslmode=require&password=s3cret", out,
                  sizeof out);
    assert_string_equal(out, "postgresql:///db?sslmode=require");
    db_uri_redact("postgresql:///db?password=s3cret", out, sizeof out);
    assert_string_equal(out, "postgresql:///db");
    db_uri_redact("POSTGRESQL://a:p%40ss@h/db", out, sizeof out);
    assert_string_equal(out, "POSTGRESQL://a@h/db");
    db_uri_redact("postgresql://a:p@ss@h/db", out, sizeof out);
    assert_string_equal(out, "postgresql://a@h/db");
    /* A path, or a mistyped URI, may hold a password too. */
    db_uri_redact("/var/lib/x:y@z.db", out, sizeof out);
    assert_string_equal(out, "/var/lib/x@z.db");
    db_uri_redact("postgresq://u:s3cret@h/db", out, sizeof out);
    assert_string_equal(out, "postgresq://u@h/db");
    db_uri_redact("postgresql:/u:s3cret@h/db", out, sizeof out);
    assert_string_equal(out, "postgresql:/u@h/db");
    db_uri_redact("postgresql:u:s3cret@h/db", out, sizeof out);
    assert_string_equal(out, "postgresql:u@h/db");
    db_uri_redact("dir/a:s3cret@b/j.db?password=x", out, sizeof out);
    assert_string_equal(out, "dir/a@b/j.db");
    db_uri_redact("journal.db", out, sizeof out);
    assert_string_equal(out, "journal.db");
    /* libpq's schemes, exactly (its prefix match is case-sensitive). */
    assert_true(db_is_pg_uri("postgres://h/db"));
    assert_true(db_is_pg_uri("postgresql://h/db"));
    assert_false(db_is_pg_uri("PostgreSQL://h/db"));
    assert_false(db_is_pg_uri("postgresql:/h/db"));
    assert_false(db_is_pg_uri("journal.db"));
    char sch[32];
    const char *unknown[] = {"postgresq://u:pw@h/db", "postgresql:/h/db",
                             "POSTGRESQL://h/db", "Postgres://h", "mysql://h",
                             "postgresql:h/db", "pgsql:h", "x+y.z://w"};
    for (size_t i = 0; i < sizeof unknown / sizeof *unknown; i++)
        assert_true(db_uri_unknown_scheme(unknown[i], sch, sizeof sch));
    db_uri_unknown_scheme("POSTGRESQL://h/db", sch, sizeof sch);
    assert_string_equal(sch, "POSTGRESQL");
    const char *known[] = {"postgresql://h/db", "postgres://h", "journal.db",
                           "/var/j.db", "file:j.db?mode=ro", ":memory:",
                           "dir/a:b.db", "1abc://x"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        assert_false(db_uri_unknown_scheme(known[i], sch, sizeof sch));
}

static void test_unreachable_server(void **state)
{
    (void)state;
    char msg[512];
    time_t t0 = time(NULL);
    db *d = db_connect_pg("postgresql://u:s3cret@/nodb?host=/nonexistent-dir",
                          msg, sizeof msg);
    assert_null(d);
    assert_true(time(NULL) - t0 < 30);
    assert_non_null(strstr(msg, "/nonexistent-dir"));
    assert_non_null(strstr(msg, "nodb"));
    assert_null(strstr(msg, "s3cret"));
    assert_null(strchr(msg, '\n'));
    /* URIs libpq cannot parse are quoted back by it: never the password. */
    const char *bad[] = {
        "postgres://u:S3c%20ret@[::1/db",
        "postgresql://u:S3c%zzPW@/db",
        "Postgres://u:S3cretPW@/db?host=/nonexistent-dir",
        "postgresql:///db?host=/nonexistent-dir&password=S3cretQ&x=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d = db_connect_pg(bad[i], msg, sizeof msg);
        assert_null(d);
        if (strstr(msg, "S3c"))
            fail_msg("case %zu leaks the password: %s", i, msg);
    }
}


/* Many URI shapes, a secret ("Zq9...") in each place libpq takes one
 * from: never in db_uri_redact's text, never in the real open error. */
static void test_secret_never_shown(void **state)
{
    (void)state;
    const char *schemes[] = {"postgresql://", "postgres://"};
    const char *auths[] = {"", "u@", "u:Zq9a@", "u:Zq9%2Fb@", "u:Zq9c/Zq9d@",
                           "u:Zq9e?Zq9f@", "u:Zq9g@Zq9h@", "u:Zq9i:Zq9j@",
                           "u%3A:Zq9k@", ":Zq9l@"};
    const char *paths[] = {"/db", "/", "", "/d%40b"};
    const char *queries[] = {
        "", "password=Zq9m", "pass%77ord=Zq9n", "%70%61ssword=Zq9o",
        "PASSWORD=Zq9p", "sslpassword=Zq9q", "ssl%70assword=Zq9r",
        "password=Zq9s%26t", "dbname=host%3Dx%20password%3DZq9u",
        "user=v&password=Zq9w&sslmode=disable", "password=",
        "pass%77ord=Zq9x&pass%57ord=Zq9y"};
    char uri[512], out[512], msg[1024];
    int n = 0;
    for (size_t a = 0; a < sizeof schemes / sizeof *schemes; a++)
        for (size_t b = 0; b < sizeof auths / sizeof *auths; b++)
            for (size_t c = 0; c < sizeof paths / sizeof *paths; c++)
                for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
                    snprintf(uri, sizeof uri,
                             "%s%s%s?host=/nonexistent-dir%s%s", schemes[a],
                             auths[b], paths[c], *queries[q] ? "&" : "",
                             queries[q]);
                    db_uri_redact(uri, out, sizeof out);
                    if (strstr(out, "Zq9"))
                        fail_msg("redact %s -> %s", uri, out);
                    db *d = db_connect_pg(uri, msg, sizeof msg);
                    assert_null(d);
                    if (strstr(msg, "Zq9"))
                        fail_msg("open %s -> %s", uri, msg);
                    n++;
                }
    assert_true(n > 900);
    /* The shapes of issue 10's report, exactly. */
    db_uri_redact("postgresql:///x?host=/t/sock&user=postgres&"
                  "pass%77ord=SeCrEt", out, sizeof out);
    assert_string_equal(out, "postgresql:///x?host=/t/sock&user=postgres");
    db_uri_redact("postgresql://postgres:SeCrEt/x@/t1?host=/t/sock", out,
                  sizeof out);
    assert_string_equal(out, "postgresql://postgres@/t1?host=/t/sock");
    db_connect_pg("postgresql://postgres:SeCrEt/x@/t1?host=/t/sock", msg,
                  sizeof msg);
    assert_non_null(strstr(msg, "cannot parse the PostgreSQL URI"));
    assert_null(strstr(msg, "SeCrEt"));
    /* libpq's keyword=value form, should a name be one. */
    db_uri_redact("host=/x password=Zq9z user=u", out, sizeof out);
    assert_string_equal(out, "host=/x user=u");
    db_uri_redact("host=/x sslpassword = 'Zq9 y\\' z' user=u", out,
                  sizeof out);
    assert_string_equal(out, "host=/x user=u");
}

#define BOTH(fn)                                                           \
    cmocka_unit_test_setup_teardown(fn, open_sqlite, close_db),            \
        cmocka_unit_test_setup_teardown(fn, open_pg, close_db)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(test_parameters),
        BOTH(test_kept_statement_reused),
        BOTH(test_rows_in_order),
        BOTH(test_blob_with_nul),
        BOTH(test_errors_are_classed),
        BOTH(test_close_frees_open_statements),
        cmocka_unit_test(test_uri_redact),
        cmocka_unit_test(test_unreachable_server),
        cmocka_unit_test(test_secret_never_shown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
