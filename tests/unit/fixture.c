/* fixture.c - shared unit-test set-up (see fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "fixture.h"

int fx_tmpdir(char *dir, size_t n, const char *tag)
{
    int w = snprintf(dir, n, "/tmp/ss-%s-XXXXXX", tag);
    if (w < 0 || (size_t)w >= n)
        return -1;
    return mkdtemp(dir) ? 0 : -1;
}

int fx_rmdir(const char *dir)
{
    char cmd[512];
    int w = snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (w < 0 || (size_t)w >= sizeof cmd || strchr(dir, '\''))
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}

site fx_site(const char *code)
{
    site s;
    ss_err e;
    site_init(&s);
    assert_int_equal(site_set_field(&s, FIELD_CODE, code, &e), 0);
    assert_int_equal(site_set_field(&s, FIELD_SERVER, "SRV-X", &e), 0);
    assert_int_equal(site_set_field(&s, FIELD_PARENT, "CEN", &e), 0);
    assert_int_equal(site_set_field(&s, FIELD_STATE, "hung", &e), 0);
    return s;
}

void fx_import_n(journal *j, int n)
{
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    assert_true(n > 0 && n <= 9 * 1296);
    site *s = calloc((size_t)n, sizeof *s);
    assert_non_null(s);
    for (int i = 0; i < n; i++) {
        char code[4] = {(char)('Q' + i / 1296), digits[i / 36 % 36],
                        digits[i % 36], '\0'};
        s[i] = fx_site(code);
    }
    inventory inv = {s, (size_t)n, NULL};
    ss_err e;
    assert_int_equal(journal_import(j, &inv, "t.csv", NULL, &e), 0);
    free(s);
}

journal *fx_journal(const char *path, const char *who, const char *host)
{
    journal *j;
    ss_err e;
    if (journal_open(path, &j, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return NULL;
    }
    journal_set_actor(j, who, host);
    return j;
}

const char *fx_pg_uri(void)
{
    const char *uri = getenv("SITESWEEP_TEST_PG");
    return uri && *uri ? uri : NULL;
}

int fx_pg_absent(void)
{
    const char *ci = getenv("CI");
    if (ci && !strcmp(ci, "true")) {
        fprintf(stderr, "SITESWEEP_TEST_PG is not set under CI\n");
        return -1;
    }
    return 0;
}

void fx_pg_schema(char *schema, size_t n, const char *tag)
{
    static int counter;
    snprintf(schema, n, "t_%s_%ld_%d", tag, (long)getpid(), ++counter);
    setenv("SITESWEEP_PG_SCHEMA", schema, 1);
}

int fx_pg_drop_schema(const char *schema)
{
    const char *uri = fx_pg_uri();
    if (!uri)
        return -1;
    char msg[512], sql[256];
    db *d = db_connect_pg(uri, msg, sizeof msg);
    if (!d) {
        fprintf(stderr, "%s\n", msg);
        return -1;
    }
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS \"%s\" CASCADE", schema);
    int rc = db_exec(d, sql) == DB_DONE ? 0 : -1;
    db_close(d);
    return rc;
}
