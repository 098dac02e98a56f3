/* test_filter_pg.c - the Journal filter on PostgreSQL finds exactly what
 * it finds on SQLite: the same events written to both backends, then
 * every term (Unicode case folding: ß/SS, Σ/ς, Ü, CJK; one, two and
 * three or more characters; common, rare, deep down, in a text longer
 * than the index covers) paged both ways on both and compared with each
 * other and with a plain scan folded by text_fold. PostgreSQL's filter
 * index (events_grams, schema 2) is back-filled when a schema 1 journal
 * is upgraded, and verify names a gram missing from it. Runs on the
 * private server of the test run ($SITESWEEP_TEST_PG; skipped without
 * it, failed under CI=true), in a schema of its own. */
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
#include "journal.h"
#include "text.h"

static const char proc_text[] =
    "procedure: t\n"
    "title: Test\n"
    "item 1: One\n"
    "text: first\n";

typedef struct fx {
    char dir[64];
    char path[128];
    char schema[64];
    journal *sq, *pg;
    procedure p;
} fx;

static int setup(void **state)
{
    const char *uri = fx_pg_uri();
    *state = NULL;
    if (!uri)
        return fx_pg_absent();
    fx *f = xcalloc(1, sizeof *f);
    if (fx_tmpdir(f->dir, sizeof f->dir, "filter-pg"))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
    fx_pg_schema(f->schema, sizeof f->schema, "fpg");
    ss_err e;
    if (procedure_parse(proc_text, strlen(proc_text), "t", &f->p, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return -1;
    }
    f->sq = fx_journal(f->path, "alice", "host1");
    f->pg = f->sq ? fx_journal(uri, "alice", "host1") : NULL;
    if (!f->pg)
        return -1;
    *state = f;
    return 0;
}

/* Runs sql on the test server (the schema's search path set). */
static void pg_exec(fx *f, const char *sql)
{
    char msg[512];
    db *d = db_connect_pg(getenv("SITESWEEP_TEST_PG"), msg, sizeof msg);
    assert_non_null(d);
    char *full = xasprintf("SET search_path TO %s; %s", f->schema, sql);
    int rc = db_exec(d, full);
    if (rc != DB_DONE)
        fprintf(stderr, "%s\n", db_errmsg(d));
    assert_int_equal(rc, DB_DONE);
    free(full);
    db_close(d);
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    journal_close(f->sq);
    journal_close(f->pg);
    procedure_free(&f->p);
    int rc = fx_pg_drop_schema(f->schema);
    if (fx_rmdir(f->dir))
        rc = -1;
    free(f);
    return rc;
}

#define NEED(state)                                                        \
    fx *f = *(state);                                                      \
    if (!f)                                                                \
        skip()

/* The same marks, with notes, in j. */
static void note_on(fx *f, journal *j, const char *code, const char *note)
{
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(j, code, "1", OUT_FAILED, note, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(j, code, "1", OUT_REOPENED, NULL, &f->p, &r, &e), 0);
}

/* The same history in both journals. */
static void write_both(fx *f)
{
    journal *js[] = {f->sq, f->pg};
    char *longnote = xcalloc(3000, 1);
    memset(longnote, 'x', 2990);
    memcpy(longnote + 2990, "Zy東", 5);
    for (int k = 0; k < 2; k++) {
        journal *j = js[k];
        fx_import_n(j, 700); /* blocks of 64 well beyond the scan window */
        note_on(f, j, "Q00", "ZÜRICH Lab");
        note_on(f, j, "Q01", "ΣΟΦΙΑ and ΟΔΟΣ");
        note_on(f, j, "Q02", "Straße");
        note_on(f, j, "Q03", "東京都 サーバー");
        note_on(f, j, "Q04", "needle-xyzzy");
        note_on(f, j, "Q05", longnote);
        note_on(f, j, "Q06", "§ ǅ");
    }
    free(longnote);
}

/* Every id the filter term gives on j, paging in direction dir by page
 * events at a time; into out (n ids). */
static size_t page_all(journal *j, const char *term, int dir, size_t page,
                       int64_t *out, size_t cap)
{
    event_filter flt = {NULL, 0, term};
    size_t total = 0, n;
    int64_t from = 0;
    ss_err e;
    do {
        event *evs;
        assert_int_equal(journal_events_page(j, &flt, from, dir, page, &evs, &n, &e), 0);
        for (size_t i = 0; i < n; i++) {
            assert_true(total < cap);
            out[total++] = evs[i].id;
        }
        if (n)
            from = evs[n - 1].id;
        events_free(evs, n);
    } while (n == page);
    return total;
}

typedef struct ids {
    int64_t v[4096];
    size_t n;
    const char *text;
} ids;

static int collect(const event *ev, void *ctx)
{
    ids *r = ctx;
    char *text = xasprintf("%s %s %s %s %s %s %s", ev->ts, ev->operator_name,
                           ev->host, ev->site, ev->item, ev->kind, ev->note);
    if (text_contains_fold(text, r->text) && r->n < 4096)
        r->v[r->n++] = ev->id;
    free(text);
    return 0;
}

static const char *const terms[] = {
    /* Unicode case folding */
    "ß", "SS", "ss", "strasse", "STRASSE", "Straße", "Σ", "ς", "σ", "ΟΔΟΣ",
    "οδος", "Ü", "ü", "zürich", "ZÜRICH", "ǆ", "Ǆ", "東", "東京", "東京都",
    "サーバー", "zy東",
    /* one, two, three and more characters; common and rare */
    "§", "q", "Q0", "q00", "xyzzy", "needle-xyzzy", "zz", "x", "xx", "xxx",
    "fail", "reopened", "T0", "srv", "-", "host1", "no such text",
};

static void test_same_events_on_both_backends(void **state)
{
    NEED(state);
    write_both(f);
    static int64_t a[4096], b[4096];
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++) {
        /* the reference: a plain scan, folded by text_fold */
        ids ref = {.n = 0, .text = terms[i]};
        ss_err e;
        assert_int_equal(journal_events_each(f->sq, NULL, collect, &ref, &e), 0);
        for (int dir = -1; dir <= 1; dir += 2) {
            size_t pages[] = {50, 7};
            for (size_t p = 0; p < 2; p++) {
                size_t na = page_all(f->sq, terms[i], dir, pages[p], a, 4096);
                size_t nb = page_all(f->pg, terms[i], dir, pages[p], b, 4096);
                if (na != nb || na != ref.n)
                    fprintf(stderr, "term \"%s\" dir %d: sqlite %zu, pg %zu,"
                            " scan %zu\n", terms[i], dir, na, nb, ref.n);
                assert_int_equal(na, ref.n);
                assert_int_equal(nb, ref.n);
                for (size_t k = 0; k < na; k++) {
                    assert_int_equal(a[k], b[k]);
                    assert_int_equal(a[k], ref.v[dir < 0 ? ref.n - 1 - k : k]);
                }
            }
        }
    }
    /* Folding that PostgreSQL's lower() does not do, found on both. */
    assert_int_equal(page_all(f->pg, "STRASSE", -1, 50, b, 4096), 1);
    assert_int_equal(page_all(f->pg, "ς", -1, 50, b, 4096), 1);
    assert_int_equal(page_all(f->pg, "zy東", -1, 50, b, 4096), 1);
    /* The site filter still applies on top of the term. */
    event_filter both = {"Q02", 0, "SS"}, other = {"Q01", 0, "SS"};
    event *evs;
    size_t n;
    ss_err e;
    assert_int_equal(journal_events_page(f->pg, &both, 0, -1, 10, &evs, &n, &e), 0);
    assert_int_equal(n, 1);
    events_free(evs, n);
    assert_int_equal(journal_events_page(f->pg, &other, 0, -1, 10, &evs, &n, &e), 0);
    assert_int_equal(n, 0);
    events_free(evs, n);
    /* journal_events_each with a text filter: the same on both. */
    ids ra = {.n = 0, .text = ""}, rb = {.n = 0, .text = ""};
    event_filter flt = {NULL, 0, "ΟΔΟΣ"};
    assert_int_equal(journal_events_each(f->sq, &flt, collect, &ra, &e), 0);
    assert_int_equal(journal_events_each(f->pg, &flt, collect, &rb, &e), 0);
    assert_int_equal(ra.n, 1);
    assert_int_equal(rb.n, 1);
    assert_int_equal(ra.v[0], rb.v[0]);
    /* verify on PostgreSQL checks its index and passes. */
    verify_result v;
    assert_int_equal(journal_verify(f->pg, &v, &e), 0);
}

/* A schema 1 journal (no events_grams) is upgraded: the index is filled
 * from the events, and filters find what they found before. */
static void test_upgrade_backfills_the_index(void **state)
{
    NEED(state);
    write_both(f);
    journal_close(f->pg);
    f->pg = NULL;
    pg_exec(f, "DROP TABLE events_grams; UPDATE meta SET value = '1' WHERE"
               " key = 'schema_version'");
    ss_err e;
    assert_int_equal(journal_open(getenv("SITESWEEP_TEST_PG"), &f->pg, &e), 0);
    static int64_t a[4096], b[4096];
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++) {
        size_t na = page_all(f->sq, terms[i], -1, 50, a, 4096);
        size_t nb = page_all(f->pg, terms[i], -1, 50, b, 4096);
        assert_int_equal(na, nb);
        for (size_t k = 0; k < na; k++)
            assert_int_equal(a[k], b[k]);
    }
    verify_result v;
    assert_int_equal(journal_verify(f->pg, &v, &e), 0);
}

/* A gram removed from the server's index behind the program's back is
 * named by verify, as on SQLite. */
static void test_verify_names_a_missing_gram(void **state)
{
    NEED(state);
    write_both(f);
    /* Folded, "Straße" is "strasse": remove the gram 'ss' of its
     * block. */
    pg_exec(f, "DELETE FROM events_grams WHERE gram = 'ss' AND block ="
               " (SELECT id / 64 FROM events WHERE note = 'Straße')");
    verify_result v;
    ss_err e;
    assert_int_equal(journal_verify(f->pg, &v, &e), 1);
    assert_int_equal(v.problem, VERIFY_DERIVED);
    assert_string_equal(v.table, "events_grams");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_same_events_on_both_backends),
        T(test_upgrade_backfills_the_index),
        T(test_verify_names_a_missing_gram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
