/* test_filter.c - journal filters of one or two characters, served by
 * the short-term index: the same answers as a plain scan, in both
 * directions, deep down, across block edges, for long texts, and for
 * events from before the index; case folded for all of Unicode, in both
 * indexes and after the upgrade that rebuilds them (schema 5). */
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
    journal *j;
    procedure p;
} fx;

static int setup(void **state)
{
    fx *f = xcalloc(1, sizeof *f);
    if (fx_tmpdir(f->dir, sizeof f->dir, "filter"))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
    ss_err e;
    if (procedure_parse(proc_text, strlen(proc_text), "t", &f->p, &e) ||
        !(f->j = fx_journal(f->path, "alice", "host1")))
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

/* Every id matching text, newest first, by reading all pages of a plain
 * scan of the whole journal (journal_events_each). */
typedef struct ids {
    int64_t v[8192];
    size_t n;
    const char *text;
} ids;

static int collect(const event *ev, void *ctx)
{
    ids *r = ctx;
    char *text = xasprintf("%s %s %s %s %s %s %s", ev->ts, ev->operator_name,
                           ev->host, ev->site, ev->item, ev->kind, ev->note);
    if (text_contains_fold(text, r->text) && r->n < 8192)
        r->v[r->n++] = ev->id;
    free(text);
    return 0;
}

/* Pages through the filter both ways with the given page size and checks
 * each against the reference. */
static void check_term(fx *f, const char *term, size_t page)
{
    ids ref = {.n = 0, .text = term};
    ss_err e;
    assert_int_equal(journal_events_each(f->j, NULL, collect, &ref, &e), 0);
    event_filter flt = {NULL, 0, term};
    /* Newest first. */
    size_t k = ref.n;
    int64_t from = 0;
    for (;;) {
        event *evs;
        size_t n;
        assert_int_equal(journal_events_page(f->j, &flt, from, -1, page, &evs, &n, &e), 0);
        for (size_t i = 0; i < n; i++) {
            assert_true(k > 0);
            assert_int_equal(evs[i].id, ref.v[--k]);
        }
        if (n)
            from = evs[n - 1].id;
        events_free(evs, n);
        if (n < page)
            break;
    }
    assert_int_equal(k, 0);
    /* Oldest first. */
    k = 0;
    from = 0;
    for (;;) {
        event *evs;
        size_t n;
        assert_int_equal(journal_events_page(f->j, &flt, from, 1, page, &evs, &n, &e), 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(evs[i].id, ref.v[k++]);
        if (n)
            from = evs[n - 1].id;
        events_free(evs, n);
        if (n < page)
            break;
    }
    assert_int_equal(k, ref.n);
}

static void test_short_terms_match_a_scan(void **state)
{
    fx *f = *state;
    fx_import_n(f->j, 2000);
    /* Rare short terms at the newest end, beyond the scan window from the
     * oldest. */
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "Q00", "1", OUT_FAILED, "§", &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "Q00", "1", OUT_REOPENED, NULL, &f->p, &r, &e), 0);
    /* A note longer than the indexed length, its term at the end. */
    char *longnote = xcalloc(3000, 1);
    memset(longnote, 'x', 2990);
    memcpy(longnote + 2990, "Zy", 2);
    assert_int_equal(journal_mark(f->j, "Q01", "1", OUT_SKIPPED, longnote, &f->p, &r, &e), 0);
    free(longnote);
    const char *terms[] = {"§", "zy", "ZY", "q0", "Q7", "7", "xx", "@", "-s"};
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++) {
        check_term(f, terms[i], 50);
        check_term(f, terms[i], 7);
    }
    /* The pages beyond the scan window came from the short-term index:
     * blocks of 64 events, each listing its two-character
     * substrings once. */
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_prepare_v2(db, "SELECT count(*), count(DISTINCT block) FROM"
                           " events_grams WHERE gram = 'q0'", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), sqlite3_column_int(q, 1));
    /* Q00..Q0Z (block 0), QQ0 (id 937, block 14), the marks (block 31). */
    assert_int_equal(sqlite3_column_int(q, 1), 3);
    sqlite3_finalize(q);
    sqlite3_close(db);
    event *evs;
    size_t n;
    /* The site filter still applies on top of the term. */
    event_filter both = {"Q00", 0, "§"};
    assert_int_equal(journal_events_page(f->j, &both, 0, -1, 10, &evs, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(evs[0].kind, "failed");
    events_free(evs, n);
    event_filter other = {"Q01", 0, "§"};
    assert_int_equal(journal_events_page(f->j, &other, 0, -1, 10, &evs, &n, &e), 0);
    assert_int_equal(n, 0);
    events_free(evs, n);
}

/* Marks item 1 of site code with note (failed), then reopens it. */
static void note_on(fx *f, const char *code, const char *note)
{
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, code, "1", OUT_FAILED, note, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, code, "1", OUT_REOPENED, NULL, &f->p, &r, &e), 0);
}

/* How many events the filter term finds, newest first, in pages of 50. */
static size_t hits(fx *f, const char *term)
{
    event_filter flt = {NULL, 0, term};
    size_t total = 0, n;
    int64_t from = 0;
    ss_err e;
    do {
        event *evs;
        assert_int_equal(journal_events_page(f->j, &flt, from, -1, 50, &evs, &n, &e), 0);
        total += n;
        if (n)
            from = evs[n - 1].id;
        events_free(evs, n);
    } while (n == 50);
    return total;
}

static const char *const unicode_terms[] = {
    "zürich", "ZÜRICH", "Zürich", "ü", "Ü", "üR", "σοφια", "ΣΟΦΙΑ", "σο",
    "Σ", "ς", "strasse", "STRASSE", "ß", "ss", "éé", "ÉÉ", "ǆ", "Ǆ",
};

static void test_unicode_folding_in_both_indexes(void **state)
{
    fx *f = *state;
    fx_import_n(f->j, 2000);
    note_on(f, "Q00", "ZÜRICH Lab");
    note_on(f, "Q01", "ΣΟΦΙΑ");
    note_on(f, "Q02", "Straße");
    note_on(f, "Q03", "ÉÉ ǅ");
    /* Found whatever the case, through the trigram index (three
     * characters or more) and the short-term index (one or two), in
     * both directions and against a plain scan. */
    for (size_t i = 0; i < sizeof unicode_terms / sizeof *unicode_terms; i++) {
        check_term(f, unicode_terms[i], 50);
        check_term(f, unicode_terms[i], 7);
    }
    assert_int_equal(hits(f, "zürich"), 1);
    assert_int_equal(hits(f, "ZÜRICH"), 1);
    assert_int_equal(hits(f, "ü"), 1);
    assert_int_equal(hits(f, "σοφια"), 1);
    assert_int_equal(hits(f, "ς"), 1); /* final sigma folds to σ */
    assert_int_equal(hits(f, "STRASSE"), 1); /* ß folds to ss */
    assert_int_equal(hits(f, "ǆ"), 1);
    assert_int_equal(text_contains_fold("ΣΟΦΙΑ", "σοφια"), true);
    assert_int_equal(text_contains_fold("Zürich", "ZÜR"), true);
    assert_int_equal(text_contains_fold("Zurich", "ZÜR"), false);
}

/* A journal whose indexes were built by schema 4 (SQLite's lower(),
 * ASCII only: "ZÜRICH" indexed as "zÜrich") is rebuilt on upgrade. The
 * version the fold step upgrades from: the journal is put back there by
 * hand (indexes and version), so every migration after it runs again on
 * reopening; one added after the fold step must be undone here too. */
#define BEFORE_FOLD 5
#define STR_(x) #x
#define STR(x) STR_(x)
#define ASCII_TEXT "lower(ts || ' ' || operator || ' ' || host || ' ' ||" \
                   " site || ' ' || item || ' ' || kind || ' ' || note)"
static void test_upgrade_refolds_the_indexes(void **state)
{
    fx *f = *state;
    fx_import_n(f->j, 600); /* the notes beyond the oldest-first scan window */
    note_on(f, "Q00", "ZÜRICH Lab");
    note_on(f, "Q01", "ΣΟΦΙΑ");
    journal_close(f->j);
    f->j = NULL;
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
        "INSERT INTO events_text(events_text) VALUES('delete-all');"
        "INSERT INTO events_text(rowid, text) SELECT id, " ASCII_TEXT
        " FROM events;"
        "DELETE FROM events_grams;"
        "INSERT OR IGNORE INTO events_grams(gram, block) SELECT substr(x, i,"
        " 2), b FROM (SELECT " ASCII_TEXT " || char(1) AS x, id >> 6 AS b"
        " FROM events) AS t CROSS JOIN gram_pos WHERE i < length(x);"
        "PRAGMA user_version = " STR(BEFORE_FOLD) ";", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    ss_err e;
    assert_int_equal(journal_open(f->path, &f->j, &e), 0);
    journal_set_actor(f->j, "alice", "host1");
    assert_int_equal(hits(f, "zürich"), 1);
    assert_int_equal(hits(f, "ü"), 1);
    assert_int_equal(hits(f, "σοφια"), 1);
    assert_int_equal(hits(f, "σ"), 1);
    for (size_t i = 0; i < sizeof unicode_terms / sizeof *unicode_terms; i++)
        check_term(f, unicode_terms[i], 7);
    /* verify takes the upgraded journal's schema as sitesweep's own */
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
    assert_int_equal(journal_schema_check(f->j, false, v.why, sizeof v.why, &e), 0);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), JOURNAL_SCHEMA_VERSION);
    sqlite3_finalize(q);
    sqlite3_close(db);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_short_terms_match_a_scan),
        T(test_unicode_folding_in_both_indexes),
        T(test_upgrade_refolds_the_indexes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
