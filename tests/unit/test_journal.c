/* test_journal.c - the journal on real SQLite files: creation, schema,
 * append-only events, the hash chain and tampering, import, runs, marks,
 * paging and refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "journal.h"
#include "journal_int.h" /* jdb_append, below the write checks */
#include "review.h"

#define GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

static const char proc_text[] =
    "procedure: t\n"
    "title: Test\n"
    "item 1: One\n"
    "text: first\n"
    "item 2: Two\n"
    "text: second\n"
    "item 3: Logon only\n"
    "text: third on {pdc}\n"
    "applies: logon\n";

typedef struct fx {
    char dir[64];
    char path[128];
    journal *j;
    procedure p;
} fx;

static int setup(void **state)
{
    fx *f = xcalloc(1, sizeof *f);
    if (fx_tmpdir(f->dir, sizeof f->dir, "journal"))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/sub/dir/journal.db", f->dir);
    ss_err e;
    if (procedure_parse(proc_text, strlen(proc_text), "t", &f->p, &e))
        return -1;
    if (!(f->j = fx_journal(f->path, "alice", "host1")))
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

static site make_site(const char *code, bool logon)
{
    site s = fx_site(code);
    ss_err e;
    s.logon = logon;
    if (logon)
        assert_int_equal(site_set_field(&s, FIELD_PDC, "PDC1", &e), 0);
    return s;
}

static void import_sites(fx *f, const site *sites, size_t n, import_stats *st)
{
    inventory inv = {(site *)sites, n, NULL};
    ss_err e;
    assert_int_equal(journal_import(f->j, &inv, "test.csv", st, &e), 0);
}

static int64_t count_events(fx *f)
{
    int64_t n;
    ss_err e;
    assert_int_equal(journal_event_count(f->j, &n, &e), 0);
    return n;
}

/* Runs SQL directly on the file, behind the program's back. */
static int raw_sql(const char *path, const char *sql)
{
    sqlite3 *h;
    if (sqlite3_open(path, &h) != SQLITE_OK)
        return -1;
    int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    sqlite3_close(h);
    return rc;
}

/* Rebuilds both filter indexes from the events as they are now, as a
 * forger who read the source would after changing them (verify derives
 * the indexes again: left stale, they give the forgery away). */
static void forge_indexes(const char *path)
{
    assert_int_equal(raw_sql(path,
        "INSERT INTO events_text(events_text) VALUES('delete-all');"
        "INSERT INTO events_text(rowid, text) SELECT id, " EVENT_TEXT("")
        " FROM events; DELETE FROM events_grams;"
        "INSERT OR IGNORE INTO events_grams(gram, block) SELECT substr(x, i,"
        " 2), b FROM (SELECT " EVENT_TEXT("") " || char(1) AS x, id >> 6 AS"
        " b FROM events) AS t CROSS JOIN gram_pos WHERE i < length(x)"),
        SQLITE_OK);
}

static void test_created_private_and_wal(void **state)
{
    fx *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char dir[160];
    snprintf(dir, sizeof dir, "%s/sub", f->dir);
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
    sqlite3_finalize(q);
    sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), JOURNAL_SCHEMA_VERSION);
    sqlite3_finalize(q);
    sqlite3_close(h);
}

static void test_import_adds_updates_and_journals(void **state)
{
    fx *f = *state;
    site s[2] = {make_site("k7q", false), make_site("AB1", true)};
    import_stats st;
    import_sites(f, s, 2, &st);
    assert_int_equal(st.added, 2);
    assert_int_equal(count_events(f), 3); /* two site-added + import */
    /* Same file again: nothing changes but the import is journaled. */
    import_sites(f, s, 2, &st);
    assert_int_equal(st.unchanged, 2);
    assert_int_equal(st.added + st.updated, 0);
    assert_int_equal(count_events(f), 4);
    snprintf(s[1].name, sizeof s[1].name, "Renamed");
    import_sites(f, s, 2, &st);
    assert_int_equal(st.updated, 1);
    assert_int_equal(st.unchanged, 1);
    event ev;
    ss_err e;
    assert_int_equal(journal_event_get(f->j, 5, &ev, &e), 0);
    assert_string_equal(ev.kind, "site-updated");
    assert_string_equal(ev.site, "AB1");
    assert_string_equal(ev.operator_name, "alice");
    assert_string_equal(ev.host, "host1");
    assert_non_null(strstr(ev.data, "\"name\":\"Renamed\""));
    event_clear(&ev);
    site got;
    assert_int_equal(journal_site_get(f->j, "k7q", &got, &e), 0);
    assert_string_equal(got.code, "K7Q");
    assert_int_equal(journal_site_get(f->j, "ZZZ", &got, &e), JOURNAL_NOTFOUND);
}

static void test_events_are_append_only(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_not_equal(raw_sql(f->path, "UPDATE events SET note = 'x'"), SQLITE_OK);
    assert_int_not_equal(raw_sql(f->path, "DELETE FROM events WHERE id = 1"), SQLITE_OK);
    assert_int_not_equal(raw_sql(f->path, "DELETE FROM procedures"), SQLITE_OK);
    assert_int_not_equal(raw_sql(f->path, "UPDATE procedures SET text = ''"), SQLITE_OK);
    assert_int_equal(count_events(f), 5);
}

static void test_verify_detects_tampering(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_SKIPPED, "not needed", &f->p, &r, &e), 0);
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
    assert_int_equal(v.checked, count_events(f));
    assert_int_equal(v.bad_id, 0);
    /* Alter event 6's note behind the program's back. */
    assert_int_equal(raw_sql(f->path,
        "DROP TRIGGER events_no_update;"
        "UPDATE events SET note = 'done properly' WHERE id = 6;"), SQLITE_OK);
    assert_int_equal(journal_verify(f->j, &v, &e), 1);
    assert_int_equal(v.bad_id, 6);
    assert_non_null(strstr(v.why, "altered"));
}

static void test_verify_detects_removed_event(void **state)
{
    fx *f = *state;
    site s[3] = {make_site("AA1", false), make_site("AA2", false), make_site("AA3", false)};
    import_sites(f, s, 3, NULL);
    assert_int_equal(raw_sql(f->path,
        "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id = 2;"), SQLITE_OK);
    verify_result v;
    ss_err e;
    assert_int_equal(journal_verify(f->j, &v, &e), 1);
    assert_int_equal(v.bad_id, 3);
    /* Renumbering the rest to hide the gap breaks the chain instead. */
    assert_int_equal(raw_sql(f->path,
        "DROP TRIGGER events_no_update; UPDATE events SET id = id - 1 WHERE id > 2;"),
        SQLITE_OK);
    assert_int_equal(journal_verify(f->j, &v, &e), 1);
    assert_int_equal(v.bad_id, 2);
    assert_non_null(strstr(v.why, "chained"));
}

static void test_mark_walks_a_run_to_completion(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    run_view rv;
    assert_int_equal(journal_run_current(f->j, "K7Q", &rv, &e), JOURNAL_NOTFOUND);
    assert_int_equal(journal_mark(f->j, "k7q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_true(r.started);
    assert_false(r.completed);
    site got;
    journal_site_get(f->j, "K7Q", &got, &e);
    assert_int_equal(got.state, STATE_CLEANING);
    /* Retrying the same confirmation records nothing. */
    int64_t before = count_events(f);
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_true(r.already);
    assert_int_equal(r.event, 0);
    assert_int_equal(count_events(f), before);
    /* Item 3 does not apply: the run completes with item 2. */
    assert_int_equal(journal_mark(f->j, "K7Q", "3", OUT_DONE, NULL, &f->p, &r, &e),
                     JOURNAL_EINPUT);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_true(r.completed);
    journal_site_get(f->j, "K7Q", &got, &e);
    assert_int_equal(got.state, STATE_CLEAN);
    assert_int_equal(journal_run_current(f->j, "K7Q", &rv, &e), JOURNAL_NOTFOUND);
    /* The closed run is still readable by id, as the journal recorded it. */
    assert_int_equal(journal_run_get(f->j, "K7Q", 1, &rv, &e), 0);
    assert_false(rv.open);
    assert_string_not_equal(rv.ended, "");
    assert_int_equal(rv.st.state[1], ITEM_DONE);
    assert_int_equal(rv.st.state[2], ITEM_NA);
    assert_true(run_state_complete(&rv.st));
    run_view_free(&rv);
    assert_int_equal(journal_run_get(f->j, "K7Q", 99, &rv, &e), JOURNAL_NOTFOUND);
    site_row *rows;
    size_t n;
    assert_int_equal(journal_sites(f->j, &rows, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_false(rows[0].run_open);
    assert_int_equal(rows[0].closed, 2);
    assert_int_equal(rows[0].applicable, 2);
    assert_string_not_equal(rows[0].run_ended, "");
    free(rows);
    /* Re-running the confirmation that completed the run (a retry after a
     * crash) records nothing and starts no run. */
    int64_t n_before = count_events(f);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_true(r.already);
    assert_false(r.started);
    assert_int_equal(r.run, 1);
    assert_int_equal(count_events(f), n_before);
    /* A second cleanup starts a new run. */
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_true(r.started);
    assert_int_equal(r.run, 2);
}

static void test_mark_refusals_change_nothing(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    int64_t before = count_events(f);
    assert_int_equal(journal_mark(f->j, "XYZ", "1", OUT_DONE, NULL, &f->p, &r, &e), JOURNAL_EINPUT);
    assert_string_equal(e.msg, "no site XYZ in the journal");
    assert_int_equal(journal_mark(f->j, "K7Q", "9", OUT_DONE, NULL, &f->p, &r, &e), JOURNAL_EINPUT);
    assert_string_equal(e.msg, "no item \"9\" in procedure t");
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_SKIPPED, "  ", &f->p, &r, &e), JOURNAL_EINPUT);
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_FAILED, NULL, &f->p, &r, &e), JOURNAL_EINPUT);
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, NULL, &r, &e), JOURNAL_EINPUT);
    assert_int_equal(journal_note(f->j, "K7Q", "1", "hello", NULL, &e), JOURNAL_EINPUT);
    assert_int_equal(count_events(f), before);
    site got;
    journal_site_get(f->j, "K7Q", &got, &e);
    assert_int_equal(got.state, STATE_HUNG); /* no run was started */
}

static void test_resume_survives_reopen(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", true);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_FAILED, "access denied", &f->p, &r, &e), 0);
    int64_t note_id;
    assert_int_equal(journal_note(f->j, "K7Q", "2", "retry after reboot", &note_id, &e), 0);
    journal_close(f->j);
    assert_int_equal(journal_open(f->path, &f->j, &e), 0);
    run_view rv;
    assert_int_equal(journal_run_current(f->j, "K7Q", &rv, &e), 0);
    assert_int_equal(rv.st.state[0], ITEM_DONE);
    assert_int_equal(rv.st.state[1], ITEM_FAILED);
    assert_int_equal(rv.st.state[2], ITEM_OPEN);
    assert_int_equal(run_state_resume(&rv.st), 2);
    assert_int_equal(rv.st.closed, 1);
    assert_int_equal(rv.st.applicable, 3);
    run_view_free(&rv);
    event ev;
    assert_int_equal(journal_event_get(f->j, note_id, &ev, &e), 0);
    assert_string_equal(ev.kind, "note");
    assert_string_equal(ev.item, "2");
    assert_string_equal(ev.note, "retry after reboot");
    event_clear(&ev);
}

static void test_run_keeps_its_procedure(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    static const char other[] =
        "procedure: t2\ntitle: Other\nitem 1: One\ntext: a\n"
        "item 2: Two\ntext: b\nitem 5: Five\ntext: c\n";
    procedure p2;
    assert_int_equal(procedure_parse(other, strlen(other), "t2", &p2, &e), 0);
    /* The open run goes on with the procedure it started with. */
    assert_int_equal(journal_mark(f->j, "K7Q", "5", OUT_DONE, NULL, &p2, &r, &e), JOURNAL_EINPUT);
    run_view rv;
    assert_int_equal(journal_run_current(f->j, "K7Q", &rv, &e), 0);
    assert_string_equal(rv.proc.hash, f->p.hash);
    assert_int_equal(rv.proc.nitems, 3);
    run_view_free(&rv);
    procedure_free(&p2);
}

static void test_site_change_updates_progress(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    site_row *rows;
    size_t n;
    journal_sites(f->j, &rows, &n, &e);
    assert_int_equal(rows[0].applicable, 2);
    assert_string_equal(rows[0].resume, "2");
    free(rows);
    s = make_site("K7Q", true);
    s.state = STATE_CLEANING;
    assert_int_equal(journal_site_save(f->j, &s, false, &e), 0);
    journal_sites(f->j, &rows, &n, &e);
    assert_int_equal(rows[0].applicable, 3);
    assert_true(rows[0].run_open);
    free(rows);
    assert_int_equal(journal_site_save(f->j, &s, true, &e), JOURNAL_EINPUT);
    assert_string_equal(e.msg, "site K7Q already exists");
    site nope = make_site("NEW", false);
    assert_int_equal(journal_site_save(f->j, &nope, false, &e), JOURNAL_EINPUT);
    nope.logon = true; /* without a PDC: refused by site_check */
    assert_int_equal(journal_site_save(f->j, &nope, true, &e), JOURNAL_EINPUT);
    assert_non_null(strstr(e.msg, "pdc"));
}

static void test_paging_and_filter(void **state)
{
    fx *f = *state;
    site s[50];
    char code[4];
    for (int i = 0; i < 50; i++) {
        code[0] = 'S';
        code[1] = (char)('0' + i / 10);
        code[2] = (char)('0' + i % 10);
        code[3] = '\0';
        s[i] = make_site(code, false);
    }
    import_sites(f, s, 50, NULL); /* events 1..50 sites, 51 import */
    event *evs;
    size_t n;
    ss_err e;
    assert_int_equal(journal_events_page(f->j, NULL, 0, -1, 20, &evs, &n, &e), 0);
    assert_int_equal(n, 20);
    assert_int_equal(evs[0].id, 51);
    assert_int_equal(evs[19].id, 32);
    int64_t last = evs[19].id;
    events_free(evs, n);
    assert_int_equal(journal_events_page(f->j, NULL, last, -1, 20, &evs, &n, &e), 0);
    assert_int_equal(evs[0].id, 31);
    events_free(evs, n);
    assert_int_equal(journal_events_page(f->j, NULL, 45, 1, 20, &evs, &n, &e), 0);
    assert_int_equal(n, 6);
    assert_int_equal(evs[0].id, 46);
    events_free(evs, n);
    event_filter flt = {NULL, 0, "s4"};
    assert_int_equal(journal_events_page(f->j, &flt, 0, -1, 100, &evs, &n, &e), 0);
    assert_int_equal(n, 10); /* S40..S49, matched case-insensitively */
    assert_string_equal(evs[0].site, "S49");
    events_free(evs, n);
    /* Three characters or more go through the trigram index: the same
     * answers, in both directions, with quotes and case ignored. */
    event_filter fts = {NULL, 0, "\"S07\""};
    assert_int_equal(journal_events_page(f->j, &fts, 0, -1, 100, &evs, &n, &e), 0);
    assert_int_equal(n, 0);
    events_free(evs, n);
    fts.text = "ite-added";
    assert_int_equal(journal_events_page(f->j, &fts, 30, -1, 100, &evs, &n, &e), 0);
    assert_int_equal(n, 29);
    assert_int_equal(evs[0].id, 29);
    events_free(evs, n);
    assert_int_equal(journal_events_page(f->j, &fts, 45, 1, 100, &evs, &n, &e), 0);
    assert_int_equal(n, 5);
    assert_int_equal(evs[0].id, 46);
    events_free(evs, n);
    fts.text = "TEST.CSV";
    assert_int_equal(journal_events_page(f->j, &fts, 0, -1, 100, &evs, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(evs[0].kind, "import");
    events_free(evs, n);
    event_filter by_site = {"S07", 0, NULL};
    assert_int_equal(journal_events_page(f->j, &by_site, 0, -1, 100, &evs, &n, &e), 0);
    assert_int_equal(n, 1);
    events_free(evs, n);
}

static void test_refuses_foreign_and_newer_files(void **state)
{
    fx *f = *state;
    char path[160];
    journal *j = NULL;
    ss_err e;
    snprintf(path, sizeof path, "%s/garbage.db", f->dir);
    static const char junk[] = "this is not a database at all, just text\n";
    FILE *fp = fopen(path, "w");
    fputs(junk, fp);
    fclose(fp);
    assert_int_equal(journal_open(path, &j, &e), -1);
    assert_non_null(strstr(e.msg, "not a sitesweep journal"));
    struct stat st;
    stat(path, &st);
    assert_int_equal(st.st_size, strlen(junk)); /* untouched */
    snprintf(path, sizeof path, "%s/other.db", f->dir);
    assert_int_equal(raw_sql(path, "CREATE TABLE t(x)"), SQLITE_OK);
    assert_int_equal(journal_open(path, &j, &e), -1);
    assert_non_null(strstr(e.msg, "another program"));
    /* A negative version (found by fuzzing: it indexed the migrations
     * out of bounds) is refused, not migrated. */
    assert_int_equal(raw_sql(f->path, "PRAGMA user_version = -88"), SQLITE_OK);
    assert_int_equal(journal_open(f->path, &j, &e), -1);
    assert_non_null(strstr(e.msg, "invalid schema version -88"));
    assert_int_equal(raw_sql(f->path, "PRAGMA user_version = 99"), SQLITE_OK);
    assert_int_equal(journal_open(f->path, &j, &e), -1);
    assert_non_null(strstr(e.msg, "newer sitesweep"));
    assert_non_null(strstr(e.msg, "schema 99"));
}

/* The checks of a read-only journal, run as a user the file denies
 * writing (root ignores file modes, so the test drops to "nobody"). */
static int read_only_checks(const char *path, const procedure *p)
{
    journal *j;
    ss_err e;
    if (journal_open(path, &j, &e))
        return fprintf(stderr, "open: %s\n", e.msg), 1;
    mark_result r;
    int rc = journal_mark(j, "K7Q", "1", OUT_DONE, NULL, p, &r, &e);
    int64_t n = 0;
    journal_event_count(j, &n, &e);
    site_row *rows;
    size_t count = 0;
    int lrc = journal_sites(j, &rows, &count, &e);
    if (lrc == 0)
        free(rows);
    journal_close(j);
    if (rc != -1 || !strstr(e.msg, "read-only"))
        return fprintf(stderr, "mark: rc %d, %s\n", rc, e.msg), 1;
    return n == 2 && lrc == 0 && count == 1 ? 0 : 1;
}

static void test_read_only_journal_refuses_writes(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    journal_close(f->j);
    f->j = NULL;
    /* Let the other user reach the file, but not write it. */
    char cmd[640];
    snprintf(cmd, sizeof cmd, "chmod 755 %s %s/sub %s/sub/dir && chmod 444 %s",
             f->dir, f->dir, f->dir, f->path);
    assert_int_equal(system(cmd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        _exit(read_only_checks(f->path, &f->p));
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_resolve_path(void **state)
{
    (void)state;
    char buf[256];
    ss_err e;
    setenv("SITESWEEP_JOURNAL", "/env/j.db", 1);
    assert_int_equal(journal_resolve_path("/opt/j.db", buf, sizeof buf, &e), 0);
    assert_string_equal(buf, "/opt/j.db");
    assert_int_equal(journal_resolve_path(NULL, buf, sizeof buf, &e), 0);
    assert_string_equal(buf, "/env/j.db");
    unsetenv("SITESWEEP_JOURNAL");
    setenv("XDG_DATA_HOME", "/xdg", 1);
    assert_int_equal(journal_resolve_path(NULL, buf, sizeof buf, &e), 0);
    assert_string_equal(buf, "/xdg/sitesweep/journal.db");
    unsetenv("XDG_DATA_HOME");
    setenv("HOME", "/home/op", 1);
    assert_int_equal(journal_resolve_path(NULL, buf, sizeof buf, &e), 0);
    assert_string_equal(buf, "/home/op/.local/share/sitesweep/journal.db");
}

/* Undoes migration 4 -> 5 on a file, behind the program's back. */
#define V5_TO_V4                                                          \
    "ALTER TABLE runs DROP COLUMN last_ts;"                                \
    "ALTER TABLE runs DROP COLUMN active_ms;"                              \
    "ALTER TABLE runs DROP COLUMN operators;"                              \
    "ALTER TABLE runs DROP COLUMN hosts;"                                  \
    "ALTER TABLE runs DROP COLUMN n_done;"                                 \
    "ALTER TABLE runs DROP COLUMN n_skipped;"                              \
    "ALTER TABLE runs DROP COLUMN n_failed;"                               \
    "ALTER TABLE runs DROP COLUMN n_na;"                                   \
    "ALTER TABLE runs DROP COLUMN n_open;"

/* Undoes migrations 3 -> 4 -> 5 on a file, behind the program's back. */
#define V4_TO_V3 V5_TO_V4                                                 \
    "DROP INDEX runs_site_number; ALTER TABLE runs DROP COLUMN number;"    \
    "ALTER TABLE runs DROP COLUMN state; ALTER TABLE runs DROP COLUMN prior;" \
    "DROP TRIGGER events_grams_add; DROP TABLE events_grams;"              \
    "DROP TABLE gram_pos;"

/* A version-3 journal with runs: the migration numbers them per site, in
 * the order they started, and finds each one's end state and the install
 * state the site had before it; verify agrees with what it derived. */
static void test_migrates_v3_runs(void **state)
{
    fx *f = *state;
    site s[2] = {make_site("K7Q", false), make_site("BLV", false)};
    s[1].state = STATE_FAILED;
    import_sites(f, s, 2, NULL);
    mark_result r;
    ss_err e;
    /* K7Q run 1 completes, BLV run 2 stays open, K7Q run 3 stays open. */
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_true(r.completed);
    assert_int_equal(journal_mark(f->j, "BLV", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(r.run, 3);
    journal_close(f->j);
    assert_int_equal(raw_sql(f->path, V4_TO_V3 "PRAGMA user_version = 3"), SQLITE_OK);
    assert_int_equal(journal_open(f->path, &f->j, &e), 0);
    struct { const char *code; int64_t id, number; const char *st, *prior; } want[] = {
        {"K7Q", 1, 1, "complete", "hung"},
        {"BLV", 2, 1, "open", "failed"},
        {"K7Q", 3, 2, "open", "clean"},
    };
    for (size_t i = 0; i < 3; i++) {
        run_view rv;
        assert_int_equal(journal_run_get(f->j, want[i].code, want[i].id, &rv, &e), 0);
        assert_int_equal(rv.number, want[i].number);
        assert_string_equal(rv.state, want[i].st);
        assert_string_equal(rv.prior, want[i].prior);
        run_view_free(&rv);
    }
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
    /* The short-term index covers the events from before the upgrade. */
    sqlite3 *h;
    sqlite3_open(f->path, &h);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(h, "SELECT count(*) FROM events_grams WHERE gram = 'k7'",
                       -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 1);
    sqlite3_finalize(q);
    sqlite3_close(h);
    /* The next run of BLV after the migration is BLV #2. */
    site_row *rows;
    size_t n;
    assert_int_equal(journal_sites(f->j, &rows, &n, &e), 0);
    assert_string_equal(rows[1].site.code, "K7Q");
    assert_int_equal(rows[1].run_number, 2);
    assert_string_equal(rows[1].run_state, "open");
    free(rows);
    /* verify derives the new columns too. */
    const char *tamper[] = {"UPDATE runs SET number = 3 WHERE id = 3",
                            "UPDATE runs SET state = 'abandoned' WHERE id = 2",
                            "UPDATE runs SET prior = 'active' WHERE id = 1"};
    const char *why[] = {"run 3, column number: expected 2, found 3",
                         "run 2, column state: expected 'open', found 'abandoned'",
                         "run 1, column prior: expected 'hung', found 'active'"};
    const char *undo[] = {"UPDATE runs SET number = 2 WHERE id = 3",
                          "UPDATE runs SET state = 'open' WHERE id = 2",
                          "UPDATE runs SET prior = 'hung' WHERE id = 1"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(raw_sql(f->path, tamper[i]), SQLITE_OK);
        assert_int_equal(journal_verify(f->j, &v, &e), 1);
        assert_non_null(strstr(v.why, why[i]));
        assert_int_equal(raw_sql(f->path, undo[i]), SQLITE_OK);
    }
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
}

/* The derived columns of runs that the run list reads, one row a run, as
 * text (caller frees). */
static char *run_stats(const char *path)
{
    sqlite3 *h;
    sqlite3_open(path, &h);
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(h, "SELECT group_concat(id || '|' ||"
        " last_ts || '|' || active_ms || '|' || operators || '|' || hosts"
        " || '|' || n_done || '|' || n_skipped || '|' || n_failed || '|' ||"
        " n_na || '|' || n_open, char(10)) FROM (SELECT * FROM runs ORDER BY"
        " id)", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    char *s = xstrdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(h);
    return s;
}

/* A version-4 journal: the upgrade to 5 fills last_ts, active_ms,
 * operators, hosts and the counts of every run from its events, exactly
 * as the writes keep them; the list reads them; verify derives them again
 * and names each one changed; an open run goes on being kept. */
static void test_migrates_v4_run_stats(void **state)
{
    fx *f = *state;
    site s[2] = {make_site("K7Q", true), make_site("BLV", false)};
    import_sites(f, s, 2, NULL);
    mark_result r;
    ss_err e;
    /* K7Q #1: alice and bob, a failed item retried; complete. */
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_FAILED, "denied", &f->p, &r, &e), 0);
    journal_set_actor(f->j, "bob", "host2");
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_REOPENED, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "K7Q", "3", OUT_SKIPPED, "no PDC", &f->p, &r, &e), 0);
    assert_true(r.completed);
    /* BLV #1 open: one failed, item 3 n/a (no logon). */
    journal_set_actor(f->j, "carol", "host1");
    assert_int_equal(journal_mark(f->j, "BLV", "1", OUT_FAILED, "x", &f->p, &r, &e), 0);
    /* K7Q #2 abandoned. */
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_run_abandon(f->j, "K7Q", "wrong site", false, NULL, NULL, &e), 0);
    char *want = run_stats(f->path);
    assert_non_null(strstr(want, "1|20"));
    assert_non_null(strstr(want, "|[\"alice\",\"bob\"]|[\"host1\",\"host2\"]|2|1|0|0|0"));
    assert_non_null(strstr(want, "2|20"));
    assert_non_null(strstr(want, "|[\"carol\"]|[\"host1\"]|0|0|1|1|1"));
    run_summary *v;
    size_t n;
    assert_int_equal(journal_runs_list(f->j, NULL, NULL, &v, &n, &e), 0);
    assert_int_equal(n, 3);
    int64_t active[3];
    for (size_t i = 0; i < 3; i++)
        active[i] = v[i].active;
    run_summaries_free(v, n);
    journal_close(f->j);
    assert_int_equal(raw_sql(f->path, V5_TO_V4 "PRAGMA user_version = 4"), SQLITE_OK);
    assert_int_equal(journal_open(f->path, &f->j, &e), 0);
    journal_set_actor(f->j, "carol", "host1");
    char *got = run_stats(f->path);
    assert_string_equal(got, want);
    free(got);
    free(want);
    assert_int_equal(journal_runs_list(f->j, NULL, NULL, &v, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[1].site, "BLV");
    assert_int_equal(v[1].failed, 1);
    assert_int_equal(v[1].na, 1);
    assert_int_equal(v[1].open, 1);
    assert_string_equal(v[1].operators[0], "carol");
    assert_string_equal(v[2].state, "complete");
    assert_int_equal(v[2].noperators, 2);
    assert_string_equal(v[2].hosts[1], "host2");
    assert_int_equal(v[2].done, 2);
    assert_int_equal(v[2].skipped, 1);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(v[i].active, active[i]);
    run_summaries_free(v, n);
    verify_result vr;
    assert_int_equal(journal_verify(f->j, &vr, &e), 0);
    /* verify derives each new column again. */
    const char *tamper[] = {
        "UPDATE runs SET last_ts = '2020-01-01T00:00:00.000Z' WHERE id = 1",
        "UPDATE runs SET active_ms = active_ms + 1 WHERE id = 2",
        "UPDATE runs SET operators = '[\"bob\",\"alice\"]' WHERE id = 1",
        "UPDATE runs SET hosts = '[]' WHERE id = 2",
        "UPDATE runs SET n_done = 3 WHERE id = 1",
        "UPDATE runs SET n_skipped = 0 WHERE id = 1",
        "UPDATE runs SET n_failed = 0 WHERE id = 2",
        "UPDATE runs SET n_na = 0 WHERE id = 2",
        "UPDATE runs SET n_open = 2 WHERE id = 2",
    };
    const char *col[] = {"last_ts", "active_ms", "operators", "hosts", "n_done",
                         "n_skipped", "n_failed", "n_na", "n_open"};
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(raw_sql(f->path, tamper[i]), SQLITE_OK);
        assert_int_equal(journal_verify(f->j, &vr, &e), 1);
        assert_int_equal(vr.problem, VERIFY_DERIVED);
        assert_string_equal(vr.table, "runs");
        assert_string_equal(vr.column, col[i]);
        /* Upgrading again from 4 derives it back from the events. */
        journal_close(f->j);
        assert_int_equal(raw_sql(f->path, V5_TO_V4 "PRAGMA user_version = 4"), SQLITE_OK);
        assert_int_equal(journal_open(f->path, &f->j, &e), 0);
        journal_set_actor(f->j, "carol", "host1");
        assert_int_equal(journal_verify(f->j, &vr, &e), 0);
    }
    /* The open run goes on being kept after the upgrade. */
    assert_int_equal(journal_mark(f->j, "BLV", "1", OUT_REOPENED, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "BLV", "2", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_verify(f->j, &vr, &e), 0);
    assert_int_equal(journal_runs_list(f->j, "BLV", NULL, &v, &n, &e), 0);
    assert_int_equal(v[0].done, 1);
    assert_int_equal(v[0].failed, 0);
    assert_int_equal(v[0].open, 1);
    run_summaries_free(v, n);
}

static void test_migrates_older_schema(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    journal_close(f->j);
    /* What a version-1 journal looked like: no holds, no text index, no
     * run numbers. */
    assert_int_equal(raw_sql(f->path, V4_TO_V3 "DROP TABLE holds;"
                                      "DROP TRIGGER events_text_add;"
                                      "DROP TABLE events_text; PRAGMA user_version = 1"),
                     SQLITE_OK);
    ss_err e;
    assert_int_equal(journal_open(f->path, &f->j, &e), 0);
    sqlite3 *h;
    sqlite3_open(f->path, &h);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(h, "SELECT (SELECT user_version FROM pragma_user_version),"
                           " (SELECT count(*) FROM sqlite_master WHERE name = 'holds')",
                       -1, &q, NULL);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), JOURNAL_SCHEMA_VERSION);
    assert_int_equal(sqlite3_column_int(q, 1), 1);
    sqlite3_finalize(q);
    sqlite3_close(h);
    /* The data survived the upgrade and the chain still verifies; the
     * new text index covers the old events. */
    site got;
    assert_int_equal(journal_site_get(f->j, "K7Q", &got, &e), 0);
    event *evs;
    size_t n;
    event_filter flt = {NULL, 0, "SITE-ADD"};
    assert_int_equal(journal_events_page(f->j, &flt, 0, -1, 10, &evs, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_string_equal(evs[0].site, "K7Q");
    events_free(evs, n);
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
}

/* A second console in another process: claims K7Q's run, then waits for
 * a byte on `go` before trying to mark; exits 0 when its mark is refused
 * as taken over. */
static void other_console(const char *path, const procedure *p, int ready, int go)
{
    journal *j;
    ss_err e;
    if (journal_open(path, &j, &e))
        _exit(10);
    journal_set_actor(j, "bob", "host1");
    journal_set_console(j, true);
    run_view rv;
    if (journal_run_current(j, "K7Q", &rv, &e) != 0)
        _exit(11);
    if (journal_run_claim(j, rv.id, false, NULL, &e) != 0)
        _exit(12);
    char c = 1;
    if (write(ready, &c, 1) != 1 || read(go, &c, 1) != 1)
        _exit(13);
    mark_result r;
    int rc = journal_mark(j, "K7Q", "2", OUT_DONE, NULL, p, &r, &e);
    run_view_free(&rv);
    journal_close(j);
    _exit(rc == JOURNAL_EINPUT && strstr(e.msg, "taken over by alice") ? 0 : 14);
}

static void test_one_console_holds_a_run(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    if (pid == 0)
        other_console(f->path, &f->p, ready[1], go[0]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    journal_set_console(f->j, true);
    run_holder by;
    assert_int_equal(journal_run_claim(f->j, r.run, false, &by, &e), JOURNAL_HELD);
    assert_string_equal(by.operator_name, "bob");
    assert_int_equal(by.pid, pid);
    assert_string_not_equal(by.since, "");
    int64_t before = count_events(f);
    /* An explicit takeover, journaled. */
    assert_int_equal(journal_run_claim(f->j, r.run, true, &by, &e), 0);
    assert_int_equal(count_events(f), before + 1);
    event ev;
    assert_int_equal(journal_event_get(f->j, before + 1, &ev, &e), 0);
    assert_string_equal(ev.kind, "handover");
    assert_string_equal(ev.site, "K7Q");
    assert_non_null(strstr(ev.note, "taken over from bob on host1"));
    event_clear(&ev);
    /* The console that lost the run can no longer record in it. */
    assert_int_equal(write(go[1], "x", 1), 1);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(count_events(f), before + 1);
    /* Ours: claiming again is a no-op, marks go through. */
    assert_int_equal(journal_run_claim(f->j, r.run, false, &by, &e), 0);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_run_release(f->j, r.run, &e), 0);
    close(ready[0]); close(ready[1]); close(go[0]); close(go[1]);
}

/* A console opening a run after a break longer than the idle gap
 * journals "resumed" in the claim, and the next item's time counts from
 * it; opening it again soon after, or within the gap, writes nothing. */
static void test_claim_after_a_break_resumes(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    setenv("SITESWEEP_NOW", "2026-11-27T09:00:00.000Z", 1);
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    journal_set_console(f->j, true);
    /* At the gap: not a break. */
    setenv("SITESWEEP_NOW", "2026-11-27T09:30:00.000Z", 1);
    int64_t before = count_events(f);
    assert_int_equal(journal_run_claim(f->j, r.run, false, NULL, &e), 0);
    assert_int_equal(count_events(f), before);
    assert_int_equal(journal_run_release(f->j, r.run, &e), 0);
    /* Two hours after the last event. */
    setenv("SITESWEEP_NOW", "2026-11-27T11:00:00.000Z", 1);
    assert_int_equal(journal_run_claim(f->j, r.run, false, NULL, &e), 0);
    assert_int_equal(count_events(f), before + 1);
    event ev;
    assert_int_equal(journal_event_get(f->j, before + 1, &ev, &e), 0);
    assert_string_equal(ev.kind, "resumed");
    assert_string_equal(ev.site, "K7Q");
    assert_int_equal(ev.run, r.run);
    assert_string_equal(ev.item, "");
    assert_string_equal(ev.ts, "2026-11-27T11:00:00.000Z");
    assert_non_null(strstr(ev.note, "2h 00m"));
    event_clear(&ev);
    /* Opened again at once: the run's last event is recent. */
    assert_int_equal(journal_run_claim(f->j, r.run, false, NULL, &e), 0);
    assert_int_equal(count_events(f), before + 1);
    setenv("SITESWEEP_NOW", "2026-11-27T11:04:00.000Z", 1);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_DONE, NULL, &f->p, &r, &e), 0);
    unsetenv("SITESWEEP_NOW");
    timing_item items[3];
    int64_t active;
    assert_int_equal(journal_run_times(f->j, r.run, &f->p, items, &active, &e), 0);
    assert_int_equal(items[1].seconds, 4 * 60);
    assert_true(items[1].measured);
    assert_int_equal(active, 4 * 60);
    /* The run's derived columns (last activity, active time, people)
     * agree with the events, resumed included. */
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
    run_summary sum;
    assert_int_equal(journal_run_summary(f->j, r.run, &sum, &e), 0);
    assert_string_equal(sum.last, "2026-11-27T11:04:00.000Z");
    assert_int_equal(sum.active, 4 * 60);
    run_summary_clear(&sum);
}

static void test_dead_holder_holds_nothing(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    pid_t pid = fork();
    if (pid == 0) {
        journal *j;
        if (journal_open(f->path, &j, &e))
            _exit(1);
        journal_set_actor(j, "bob", "host1"); /* same host as the test's */
        if (journal_run_claim(j, r.run, false, NULL, &e))
            _exit(1);
        _exit(0); /* dies holding the run, as after kill -9 */
    }
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(WEXITSTATUS(status), 0);
    int64_t before = count_events(f);
    journal_set_console(f->j, true);
    run_holder by;
    assert_int_equal(journal_run_claim(f->j, r.run, false, &by, &e), 0);
    assert_int_equal(count_events(f), before); /* no handover needed */
    assert_true(by.gone); /* said, for the console's status line */
    assert_string_equal(by.operator_name, "bob");
    assert_int_equal(by.pid, pid);
    /* Claiming again: ours, nobody went away. */
    assert_int_equal(journal_run_claim(f->j, r.run, false, &by, &e), 0);
    assert_false(by.gone);
    /* A holder on another host cannot be checked: it counts as alive. */
    journal_set_actor(f->j, "carol", "host2");
    assert_int_equal(journal_run_claim(f->j, r.run, false, &by, &e), JOURNAL_HELD);
    assert_string_equal(by.host, "host1");
}

/* A console records only in the run it holds: after a script took the
 * run over, or abandoned it and a new run began, the console's marks,
 * notes and abandon are refused and nothing is written (they once went
 * into the site's new run). */
static void test_console_records_only_in_its_run(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", true);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    int64_t first = r.run;
    journal_set_console(f->j, true);
    assert_int_equal(journal_run_claim(f->j, first, false, NULL, &e), 0);

    /* A script on another host takes the run over. */
    journal *script;
    assert_int_equal(journal_open(f->path, &script, &e), 0);
    journal_set_actor(script, "bob", "host2");
    journal_set_takeover(script, true);
    assert_int_equal(journal_mark(script, "K7Q", "2", OUT_DONE, NULL, NULL, &r, &e), 0);
    int64_t before = count_events(f);
    assert_int_equal(journal_mark(f->j, "K7Q", "3", OUT_DONE, NULL, NULL, &r, &e),
                     JOURNAL_EINPUT);
    assert_non_null(strstr(e.msg, "no longer holds the cleanup of K7Q"));
    int64_t ev;
    assert_int_equal(journal_note(f->j, "K7Q", "3", "hello", &ev, &e), JOURNAL_EINPUT);
    assert_int_equal(journal_run_abandon(f->j, "K7Q", "why", false, NULL, NULL, &e),
                     JOURNAL_EINPUT);
    assert_int_equal(count_events(f), before);

    /* The script abandons it and starts K7Q #2: the console, still showing
     * #1, must not record into #2. */
    assert_int_equal(journal_run_abandon(script, "K7Q", "wrong site", true, NULL,
                                         NULL, &e), 0);
    assert_int_equal(journal_mark(script, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_true(r.started);
    assert_int_not_equal(r.run, first);
    before = count_events(f);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_DONE, NULL, NULL, &r, &e),
                     JOURNAL_EINPUT);
    assert_int_equal(count_events(f), before);
    journal_close(script);
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
}

/* A takeover journals a handover under the run's site: when that cannot
 * be read (no such run, or the runs table unreadable), nothing is written
 * rather than a handover with an empty site. */
static void test_claim_needs_the_runs_site(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    /* A live holder on another host, of a run the runs table lacks. */
    assert_int_equal(raw_sql(f->path, "INSERT INTO holds VALUES(77, 'bob',"
                                      " 'host9', 1, '2026-11-27T02:00:00Z')"),
                     SQLITE_OK);
    journal_set_console(f->j, true);
    int64_t before = count_events(f);
    assert_int_equal(journal_run_claim(f->j, 77, true, NULL, &e), JOURNAL_EINPUT);
    assert_non_null(strstr(e.msg, "no cleanup run 77"));
    assert_int_equal(count_events(f), before);
    /* The runs table cannot be read: a storage error, nothing written. */
    assert_int_equal(raw_sql(f->path, "INSERT INTO holds VALUES(1, 'bob',"
                                      " 'host9', 1, '2026-11-27T02:00:00Z');"
                                      "ALTER TABLE runs RENAME TO runs_gone"),
                     SQLITE_OK);
    assert_int_equal(journal_run_claim(f->j, 1, true, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "runs"));
    assert_int_equal(count_events(f), before);
    assert_int_equal(raw_sql(f->path, "ALTER TABLE runs_gone RENAME TO runs;"
                                      "DELETE FROM holds WHERE run = 77"),
                     SQLITE_OK);
    /* Readable again: the takeover is journaled under K7Q. */
    assert_int_equal(journal_run_claim(f->j, 1, true, NULL, &e), 0);
    event ev;
    assert_int_equal(journal_event_get(f->j, before + 1, &ev, &e), 0);
    assert_string_equal(ev.kind, "handover");
    assert_string_equal(ev.site, "K7Q");
    event_clear(&ev);
    /* Every event is one sitesweep could write; only the renamed table's
     * SQL (SQLite quotes the new name) differs from sitesweep's schema. */
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 1);
    assert_int_equal(v.problem, VERIFY_SCHEMA);
}

/* Past the first few thousand events a filtered page is served by the
 * trigram index: the answers must be the same as a plain scan's. */
static void test_filter_beyond_scan_window(void **state)
{
    fx *f = *state;
    enum { N = 2600 };
    site *s = xcalloc(N, sizeof *s);
    static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    for (int i = 0; i < N; i++) {
        char code[4] = {'X', digits[i / 36 % 36], digits[i % 36], '\0'};
        code[0] = (char)('Q' + i / 1296); /* no device names (AUX...) */
        s[i] = make_site(code, false);
        if (i == 7)
            snprintf(s[i].name, sizeof s[i].name, "needle");
    }
    import_sites(f, s, N, NULL); /* events 1..N, N+1 the import */
    ss_err e;
    event *evs;
    size_t n;
    /* Site 7 (Q07) is 2594 events down: found, and only it. */
    event_filter rare = {NULL, 0, "Q07"};
    assert_int_equal(journal_events_page(f->j, &rare, 0, -1, 10, &evs, &n, &e), 0);
    assert_int_equal(n, 1);
    assert_int_equal(evs[0].id, 8);
    events_free(evs, n);
    /* Oldest first from the start: the window covers it. */
    assert_int_equal(journal_events_page(f->j, &rare, 0, 1, 10, &evs, &n, &e), 0);
    assert_int_equal(n, 1);
    events_free(evs, n);
    /* A term in every event, paged across the window's edge: contiguous,
     * newest first, none skipped or repeated. */
    event_filter all = {NULL, 0, "alice"};
    int64_t from = 0, expect = N + 1;
    for (int page = 0; page < 60; page++) {
        assert_int_equal(journal_events_page(f->j, &all, from, -1, 50, &evs, &n, &e), 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(evs[i].id, expect--);
        if (n)
            from = evs[n - 1].id;
        events_free(evs, n);
    }
    assert_int_equal(expect, 0); /* every event, once */
    /* And forward from deep down, across the window's far edge. */
    assert_int_equal(journal_events_page(f->j, &all, 10, 1, 50, &evs, &n, &e), 0);
    assert_int_equal(n, 50);
    assert_int_equal(evs[0].id, 11);
    assert_int_equal(evs[49].id, 60);
    events_free(evs, n);
    assert_int_equal(journal_events_page(f->j, &all, 2005, 1, 10, &evs, &n, &e), 0);
    assert_int_equal(n, 10);
    assert_int_equal(evs[0].id, 2006);
    events_free(evs, n);
    free(s);
}

static void test_checkpoint_names_the_newest_event(void **state)
{
    fx *f = *state;
    checkpoint c;
    ss_err e;
    char txt[CHECKPOINT_MAX];
    assert_int_equal(journal_checkpoint(f->j, &c, &e), 0);
    assert_int_equal(c.events, 0);
    checkpoint_format(&c, txt);
    assert_string_equal(txt, "0:" "0000000000000000000000000000000000000000000000000000000000000000");
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    assert_int_equal(journal_checkpoint(f->j, &c, &e), 0);
    int64_t n = count_events(f);
    assert_int_equal(c.events, n);
    event ev;
    assert_int_equal(journal_event_get(f->j, n, &ev, &e), 0);
    assert_string_equal(c.hash, ev.hash);
    event_clear(&ev);
    /* Round trip, upper-case hex accepted and folded. */
    checkpoint_format(&c, txt);
    for (char *p = txt; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    checkpoint back;
    assert_int_equal(checkpoint_parse(txt, &back, &e), 0);
    assert_int_equal(back.events, n);
    assert_string_equal(back.hash, c.hash);
    /* Malformed forms are refused with the text named. */
    const char *bad[] = {"", ":", "12", "x:abc", "-1:" "00",
                         "3:0000", "99999999999999999999:00",
                         "1:zz00000000000000000000000000000000000000000000000000000000000000"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(checkpoint_parse(bad[i], &back, &e), -1);
        assert_non_null(strstr(e.msg, "checkpoint"));
    }
}

/* ---- verify: every tampering class ---- */

/* A journal with two sites, an open run of K7Q (1 done, 2 failed), then a
 * second import (an event that changes no derived row). */
static void verify_fixture(fx *f)
{
    site s[2] = {make_site("K7Q", false), make_site("AB1", true)};
    import_sites(f, s, 2, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_FAILED, "access denied", &f->p, &r, &e), 0);
    assert_false(r.completed);
    import_sites(f, s, 2, NULL);
}

/* Reopens the fixture's journal on the file as it is now (a fresh
 * connection sees changes made to the file behind its back). */
static void reopen(fx *f)
{
    ss_err e;
    journal_close(f->j);
    assert_int_equal(journal_open(f->path, &f->j, &e), 0);
}

/* Puts back, exactly as sitesweep makes them, the append-only triggers a
 * forger dropped to tamper (verify compares the schema too), and reopens
 * the journal. */
static void put_back_triggers(fx *f)
{
    static const struct {
        const char *name, *table, *what;
    } t[] = {
        {"events_no_update", "UPDATE ON events", "journal events"},
        {"events_no_delete", "DELETE ON events", "journal events"},
        {"procedures_no_update", "UPDATE ON procedures", "stored procedures"},
        {"procedures_no_delete", "DELETE ON procedures", "stored procedures"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "CREATE TRIGGER %s BEFORE %s BEGIN  SELECT"
                 " RAISE(ABORT, '%s are append-only'); END", t[i].name,
                 t[i].table, t[i].what);
        int rc = raw_sql(f->path, sql);
        assert_true(rc == SQLITE_OK || rc == SQLITE_ERROR); /* kept: exists */
    }
    reopen(f);
}

/* Verifies with the given checkpoints; returns journal_verify's code. */
static int verify_with(fx *f, const checkpoint *c, size_t n, verify_result *v)
{
    ss_err e;
    int rc = journal_verify_checkpoints(f->j, c, n, v, &e);
    if (rc < 0)
        fprintf(stderr, "%s\n", e.msg);
    return rc;
}

/* Appends, behind the program's back, an event chained to the current
 * head with a correctly recomputed hash: what a forger with the file and
 * the source code can do. */
static void forge_append(fx *f, const char *note)
{
    checkpoint head;
    ss_err e;
    assert_int_equal(journal_checkpoint(f->j, &head, &e), 0);
    event ev;
    memset(&ev, 0, sizeof ev);
    ev.id = head.events + 1;
    snprintf(ev.ts, sizeof ev.ts, "%s", "2026-11-27T02:20:24.123Z");
    ev.operator_name = (char *)"alice";
    ev.host = (char *)"host1";
    snprintf(ev.kind, sizeof ev.kind, "%s", "import");
    ev.note = (char *)note;
    ev.data = (char *)"";
    memcpy(ev.prev, head.hash, sizeof ev.prev);
    journal_event_hash(&ev, ev.hash);
    char sql[512];
    snprintf(sql, sizeof sql, "INSERT INTO events(id, ts, operator, host, kind,"
             " note, prev, hash) VALUES(%lld, '%s', 'alice', 'host1', 'import',"
             " '%s', '%s', '%s')", (long long)ev.id, ev.ts, note, ev.prev, ev.hash);
    assert_int_equal(raw_sql(f->path, sql), SQLITE_OK);
}

/* Appends, behind the program's back, an event of any kind with a
 * correctly chained hash; returns its id. */
/* The note forge_event writes (SQL-safe text). */
static const char *forge_note = "";

static int64_t forge_event(fx *f, const char *code, int64_t run,
                           const char *item, const char *kind,
                           const char *data)
{
    checkpoint head;
    ss_err e;
    assert_int_equal(journal_checkpoint(f->j, &head, &e), 0);
    event ev;
    memset(&ev, 0, sizeof ev);
    ev.id = head.events + 1;
    snprintf(ev.ts, sizeof ev.ts, "%s", "2026-11-27T02:20:24.123Z");
    ev.operator_name = (char *)"mallory";
    ev.host = (char *)"vm";
    snprintf(ev.site, sizeof ev.site, "%s", code);
    ev.run = run;
    snprintf(ev.item, sizeof ev.item, "%s", item);
    snprintf(ev.kind, sizeof ev.kind, "%s", kind);
    ev.note = (char *)forge_note;
    ev.data = (char *)data;
    memcpy(ev.prev, head.hash, sizeof ev.prev);
    journal_event_hash(&ev, ev.hash);
    char sql[640];
    snprintf(sql, sizeof sql, "INSERT INTO events(id, ts, operator, host, site,"
             " run, item, kind, note, data, prev, hash) VALUES(%lld, '%s',"
             " 'mallory', 'vm', '%s', %lld, '%s', '%s', '%s', '%s', '%s', '%s')",
             (long long)ev.id, ev.ts, code, (long long)run, item, kind,
             forge_note, data, ev.prev, ev.hash);
    assert_int_equal(raw_sql(f->path, sql), SQLITE_OK);
    reopen(f);
    return ev.id;
}

/* Events no sitesweep could write, each with an intact chain, are named
 * by verify with their id and why, before any derived table. */
static void test_verify_impossible_events(void **state)
{
    (void)state;
    static const struct {
        const char *site, *item, *kind, *data;
        int64_t run;
        const char *why;
        bool end_run_first; /* forge a run-completed of run 1 first */
        const char *note;   /* the forged event's note, "" when NULL */
    } cases[] = {
        {"K7Q", "", "approved-by-ciso", "", 1, "is not one sitesweep writes", false, NULL},
        {"K7Q", "ZZZ", "done", "", 1, "which the procedure of run 1", false, NULL},
        {"AB1", "3", "done", "", 1, "is a cleanup of K7Q", false, NULL},
        {"K7Q", "1", "done", "", 9, "run 9, which no earlier run-started", false, NULL},
        {"K7Q", "1", "done", "", 0, "must name a run and an item", false, NULL},
        {"K7Q", "", "run-started", "{\"hash\":\"ab\"}", 1, "starts run 1 again", false, NULL},
        {"K7Q", "", "run-started", "", 2, "as a JSON object", false, NULL},
        {"K7Q", "", "run-started", "{}", 2, "must name its procedure", false, NULL},
        {"K7Q", "", "note", "{x", 1, "its data is not JSON", false, NULL},
        {"ZZ9", "", "site-state", "{}", 0, "no earlier site-added", false, NULL},
        {"K7Q", "", "site-added", "{}", 0, "adds site 'K7Q' again", false, NULL},
        {"", "1", "import", "", 0, "outside any run", false, NULL},
        {"K7Q", "3", "done", "", 1, "which ended at event", true, NULL},
        {"K7Q", "1", "skipped", "", 1, "needs a reason with visible text", false, NULL},
        {"K7Q", "1", "failed", "", 1, "needs a reason with visible text", false, NULL},
        {"K7Q", "", "run-abandoned", "{\"prior\":\"hung\"}", 1,
         "needs a reason with visible text", false, NULL},
        {"K7Q", "", "resumed", "", 0, "must name a run and a site", false, NULL},
        {"", "", "resumed", "", 1, "must name a run and a site", false, NULL},
        {"K7Q", "", "resumed", "", 1, "which ended at event", true, NULL},
        {"K7Q", "1", "resumed", "", 1, "about the run, not item '1'", false, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        void *st = NULL;
        assert_int_equal(setup(&st), 0);
        fx *f = st;
        verify_fixture(f);
        verify_result v;
        assert_int_equal(verify_with(f, NULL, 0, &v), 0);
        if (cases[i].end_run_first) {
            forge_event(f, "K7Q", 1, "", "run-completed", "");
        }
        forge_note = cases[i].note ? cases[i].note : "";
        int64_t id = forge_event(f, cases[i].site, cases[i].run,
                                 cases[i].item, cases[i].kind, cases[i].data);
        forge_note = "";
        if (verify_with(f, NULL, 0, &v) != 1)
            fail_msg("case %zu: not found", i);
        if (v.problem != VERIFY_EVENT || !strstr(v.why, cases[i].why))
            fail_msg("case %zu: %s", i, v.why);
        assert_int_equal(v.event, id);
        char named[48];
        snprintf(named, sizeof named, "event %lld ", (long long)id);
        assert_non_null(strstr(v.why, named));
        assert_int_equal(teardown(&st), 0);
    }
}

/* An abandoned run's prior changed behind the program's back is named as
 * that row and column, not blamed on the genuine abandon event (which
 * gives the site back the state it had before the run). */
static void test_verify_names_tampered_prior(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    mark_result r;
    ss_err e;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(journal_run_abandon(f->j, "K7Q", "wrong site", false, NULL,
                                         NULL, &e), 0);
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
    assert_int_equal(raw_sql(f->path, "UPDATE runs SET prior = 'active'"), SQLITE_OK);
    reopen(f);
    assert_int_equal(journal_verify(f->j, &v, &e), 1);
    assert_int_equal(v.problem, VERIFY_DERIVED);
    assert_string_equal(v.table, "runs");
    assert_string_equal(v.column, "prior");
}

/* A host name is recorded valid and safe: escaped when the kernel's
 * name holds invalid UTF-8, ESC or a bidi override; cut between escapes,
 * and visibly ("..."). */
static void test_host_clean(void **state)
{
    (void)state;
    char h[64] = "vm-01.example";
    journal_host_clean(h, sizeof h);
    assert_string_equal(h, "vm-01.example");
    strcpy(h, "h\xff\x1b[31m\xe2\x80\xae");
    journal_host_clean(h, sizeof h);
    assert_string_equal(h, "h\\xFF\\x1B[31m\\u202E");
    char small[8] = "ab\xff\xfe";
    journal_host_clean(small, sizeof small);
    assert_string_equal(small, "ab..."); /* cut visibly, between escapes */
}

/* An append that a trigger swallows or changes is not reported as
 * stored, even where no write check ran before it (a trigger added after
 * the write began cannot be, but the append trusts nothing). */
static void test_append_reads_back(void **state)
{
    fx *f = *state;
    site s[1] = {make_site("K7Q", false)};
    import_sites(f, s, 1, NULL);
    checkpoint before;
    ss_err e;
    assert_int_equal(journal_checkpoint(f->j, &before, &e), 0);
    assert_int_equal(raw_sql(f->path, "CREATE TRIGGER a BEFORE INSERT ON events"
                     " BEGIN SELECT RAISE(IGNORE); END;"), SQLITE_OK);
    reopen(f);
    int64_t id = 0;
    assert_int_equal(jdb_append(f->j, "K7Q", 0, NULL, "note", "x", NULL,
                                "2026-11-27T02:20:24.123Z", &id, &e), -1);
    assert_non_null(strstr(e.msg, "did not store it"));
    assert_int_equal(raw_sql(f->path, "DROP TRIGGER a; DROP TRIGGER"
                     " events_no_update; CREATE TRIGGER c AFTER INSERT ON events"
                     " BEGIN UPDATE events SET note = 'forged' WHERE id = new.id;"
                     " END;"), SQLITE_OK);
    reopen(f);
    assert_int_equal(jdb_append(f->j, "K7Q", 0, NULL, "note", "x", NULL,
                                "2026-11-27T02:20:24.123Z", &id, &e), -1);
    assert_non_null(strstr(e.msg, "does not read back as written"));
    assert_int_equal(raw_sql(f->path, "DROP TRIGGER c; CREATE TRIGGER d BEFORE"
                     " UPDATE ON sites BEGIN SELECT RAISE(IGNORE); END;"), SQLITE_OK);
    reopen(f);
    assert_int_equal(jdb_append(f->j, "K7Q", 0, NULL, "note", "x", NULL,
                                "2026-11-27T02:20:24.123Z", &id, &e), -1);
    assert_non_null(strstr(e.msg, "site K7Q was not updated"));
}

static void test_verify_prints_head_and_holds_checkpoints(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    checkpoint now, old = {0, GENESIS_HASH};
    ss_err e;
    assert_int_equal(journal_checkpoint(f->j, &now, &e), 0);
    verify_result v;
    checkpoint both[2] = {old, now};
    assert_int_equal(verify_with(f, both, 2, &v), 0);
    assert_int_equal(v.problem, VERIFY_OK);
    assert_int_equal(v.head.events, now.events);
    assert_string_equal(v.head.hash, now.hash);
    /* A checkpoint beyond the head, or with another hash, does not hold. */
    checkpoint ahead = now;
    ahead.events++;
    assert_int_equal(verify_with(f, &ahead, 1, &v), 1);
    assert_int_equal(v.problem, VERIFY_CHECKPOINT);
    checkpoint other = now;
    other.hash[0] = other.hash[0] == 'a' ? 'b' : 'a';
    assert_int_equal(verify_with(f, &other, 1, &v), 1);
    assert_int_equal(v.problem, VERIFY_CHECKPOINT);
    assert_int_equal(v.event, now.events);
    assert_string_equal(v.expected, other.hash);
    assert_string_equal(v.found, now.hash);
}

static void test_verify_truncation_needs_a_later_checkpoint(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    checkpoint after;
    ss_err e;
    assert_int_equal(journal_checkpoint(f->j, &after, &e), 0);
    /* The newest event is the second import: removing it leaves every
     * derived row right, so only a checkpoint taken after it can tell. */
    char sql[160];
    snprintf(sql, sizeof sql, "DROP TRIGGER events_no_delete; DELETE FROM"
             " events WHERE id = %lld", (long long)after.events);
    assert_int_equal(raw_sql(f->path, sql), SQLITE_OK);
    put_back_triggers(f);
    verify_result v;
    assert_int_equal(verify_with(f, NULL, 0, &v), 1); /* stale indexes */
    assert_string_equal(v.table, "events_text");
    forge_indexes(f->path);
    assert_int_equal(verify_with(f, NULL, 0, &v), 0); /* the documented limit */
    assert_int_equal(verify_with(f, &after, 1, &v), 1);
    assert_int_equal(v.problem, VERIFY_CHECKPOINT);
    assert_int_equal(v.event, after.events);
    assert_string_equal(v.expected, after.hash);
    assert_non_null(strstr(v.why, "removed"));
}

static void test_verify_wipe_needs_a_checkpoint(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    checkpoint c;
    ss_err e;
    assert_int_equal(journal_checkpoint(f->j, &c, &e), 0);
    assert_int_equal(raw_sql(f->path,
        "DROP TRIGGER events_no_delete; DROP TRIGGER procedures_no_delete;"
        " DELETE FROM events; DELETE FROM procedures; DELETE FROM sites;"
        " DELETE FROM runs; DELETE FROM item_states; DELETE FROM holds;"), SQLITE_OK);
    put_back_triggers(f);
    forge_indexes(f->path);
    verify_result v;
    assert_int_equal(verify_with(f, NULL, 0, &v), 0); /* like a new journal */
    assert_int_equal(v.head.events, 0);
    assert_int_equal(verify_with(f, &c, 1, &v), 1);
    assert_int_equal(v.problem, VERIFY_CHECKPOINT);
    assert_int_equal(v.checked, 0);
}

static void test_verify_forged_append(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    checkpoint real;
    ss_err e;
    assert_int_equal(journal_checkpoint(f->j, &real, &e), 0);
    /* The forger removes the newest event and appends his own in its
     * place, hash recomputed: the chain alone cannot tell... */
    char sql[160];
    snprintf(sql, sizeof sql, "DROP TRIGGER events_no_delete; DELETE FROM"
             " events WHERE id = %lld", (long long)real.events);
    assert_int_equal(raw_sql(f->path, sql), SQLITE_OK);
    put_back_triggers(f);
    forge_append(f, "forged.csv");
    put_back_triggers(f);
    forge_indexes(f->path);
    verify_result v;
    assert_int_equal(verify_with(f, NULL, 0, &v), 0);
    /* ...the checkpoint taken after the real event can. */
    assert_int_equal(verify_with(f, &real, 1, &v), 1);
    assert_int_equal(v.problem, VERIFY_CHECKPOINT);
    assert_int_equal(v.event, real.events);
    assert_string_equal(v.expected, real.hash);
    assert_string_not_equal(v.found, real.hash);
    /* An event forged after the newest checkpoint cannot be told from a
     * real one: what a checkpoint does not prove. */
    forge_append(f, "later.csv");
    put_back_triggers(f);
    checkpoint forged;
    assert_int_equal(journal_checkpoint(f->j, &forged, &e), 0);
    assert_int_equal(forged.events, real.events + 1);
}

/* Recomputes prev and hash of every event from id `from` on, as a forger
 * rewriting the history would. */
static void rehash_from(fx *f, int64_t from)
{
    int64_t n = count_events(f);
    char prev[65] = GENESIS_HASH;
    ss_err e;
    if (from > 1) {
        event ev;
        assert_int_equal(journal_event_get(f->j, from - 1, &ev, &e), 0);
        memcpy(prev, ev.hash, sizeof prev);
        event_clear(&ev);
    }
    for (int64_t id = from; id <= n; id++) {
        event ev;
        assert_int_equal(journal_event_get(f->j, id, &ev, &e), 0);
        memcpy(ev.prev, prev, sizeof prev);
        journal_event_hash(&ev, ev.hash);
        char sql[256];
        snprintf(sql, sizeof sql, "UPDATE events SET prev = '%s', hash = '%s'"
                 " WHERE id = %lld", ev.prev, ev.hash, (long long)id);
        assert_int_equal(raw_sql(f->path, sql), SQLITE_OK);
        memcpy(prev, ev.hash, sizeof prev);
        event_clear(&ev);
    }
}

static void test_verify_rewrite_needs_an_earlier_checkpoint(void **state)
{
    fx *f = *state;
    site s = make_site("K7Q", false);
    import_sites(f, &s, 1, NULL);
    checkpoint early;
    ss_err e;
    assert_int_equal(journal_checkpoint(f->j, &early, &e), 0);
    mark_result r;
    assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e), 0);
    /* Who imported the site is rewritten, and the whole chain with it. */
    assert_int_equal(raw_sql(f->path, "DROP TRIGGER events_no_update;"
        " UPDATE events SET operator = 'mallory' WHERE id = 1"), SQLITE_OK);
    reopen(f);
    rehash_from(f, 1);
    put_back_triggers(f);
    forge_indexes(f->path);
    verify_result v;
    assert_int_equal(verify_with(f, NULL, 0, &v), 0);
    assert_int_equal(verify_with(f, &early, 1, &v), 1);
    assert_int_equal(v.problem, VERIFY_CHECKPOINT);
    assert_int_equal(v.event, early.events);
    assert_string_equal(v.expected, early.hash);
}

static void test_verify_procedure_swap(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    /* New text under the same hash key: what the console would show. */
    assert_int_equal(raw_sql(f->path, "DROP TRIGGER procedures_no_update;"
        " UPDATE procedures SET text = replace(text, 'first', 'format C:')"), SQLITE_OK);
    reopen(f);
    verify_result v;
    assert_int_equal(verify_with(f, NULL, 0, &v), 1);
    assert_int_equal(v.problem, VERIFY_PROCEDURE);
    assert_string_equal(v.table, "procedures");
    assert_string_equal(v.column, "text");
    assert_non_null(strstr(v.why, "replaced"));
    /* And the run refuses to show the poisoned commands. */
    run_view rv;
    ss_err e;
    assert_int_equal(journal_run_current(f->j, "K7Q", &rv, &e), -1);
    assert_non_null(strstr(e.msg, "changed behind"));
}

static void test_verify_procedure_that_no_longer_parses(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    /* Text and hash key changed together: the hash agrees, the text is
     * not a procedure. */
    char h[65], sql[256];
    sha256_hex("garbage", 7, h);
    snprintf(sql, sizeof sql, "DROP TRIGGER procedures_no_update;"
             " UPDATE procedures SET text = 'garbage', hash = '%s'", h);
    assert_int_equal(raw_sql(f->path, sql), SQLITE_OK);
    reopen(f);
    verify_result v;
    assert_int_equal(verify_with(f, NULL, 0, &v), 1);
    assert_int_equal(v.problem, VERIFY_PROCEDURE);
    assert_non_null(strstr(v.why, "no longer parses"));
}

static void test_verify_procedure_name(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    assert_int_equal(raw_sql(f->path, "DROP TRIGGER procedures_no_update;"
        " UPDATE procedures SET name = 'q287717-approved'"), SQLITE_OK);
    reopen(f);
    verify_result v;
    assert_int_equal(verify_with(f, NULL, 0, &v), 1);
    assert_int_equal(v.problem, VERIFY_PROCEDURE);
    assert_string_equal(v.column, "name");
    assert_string_equal(v.expected, "t");
    assert_string_equal(v.found, "q287717-approved");
}

static void test_verify_run_procedure_link(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    /* A second, valid procedure stored and the run pointed at it. */
    procedure q;
    ss_err e;
    static const char other[] = "procedure: evil\ntitle: Evil\nitem 1: One\n"
                                "text: format C:\nitem 2: Two\ntext: x\n";
    assert_int_equal(procedure_parse(other, strlen(other), "evil", &q, &e), 0);
    char sql[512];
    snprintf(sql, sizeof sql, "INSERT INTO procedures VALUES('%s', 'evil', '%s');"
             " UPDATE runs SET procedure = '%s'", q.hash, other, q.hash);
    assert_int_equal(raw_sql(f->path, sql), SQLITE_OK);
    procedure_free(&q);
    reopen(f);
    verify_result v;
    assert_int_equal(verify_with(f, NULL, 0, &v), 1);
    assert_int_equal(v.problem, VERIFY_PROCEDURE);
    assert_string_equal(v.column, "(row)"); /* stored, but no run started with it */
}

/* Each derived column changed behind the program's back is named. */
static void test_verify_every_derived_column(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    static const struct {
        const char *sql, *table, *column;
    } cases[] = {
        {"UPDATE item_states SET state = 'failed' WHERE item = '1'", "item_states", "state"},
        {"UPDATE item_states SET event = 1 WHERE item = '1'", "item_states", "event"},
        {"DELETE FROM item_states WHERE item = '2'", "item_states", "(row)"},
        {"INSERT INTO item_states VALUES(1, '3', 'done', 3)", "item_states", "(row)"},
        {"UPDATE runs SET site = 'AB1'", "runs", "site"},
        {"UPDATE runs SET procedure = 'x'", "runs", "procedure"},
        {"UPDATE runs SET started = '2020-01-01T00:00:00.000Z'", "runs", "started"},
        {"UPDATE runs SET ended = '2026-11-27T02:20:24.123Z'", "runs", "ended"},
        {"UPDATE runs SET open = 0", "runs", "open"},
        {"UPDATE runs SET closed = closed + 1", "runs", "closed"},
        {"UPDATE runs SET applicable = applicable + 1", "runs", "applicable"},
        {"UPDATE runs SET resume = '1'", "runs", "resume"},
        {"DELETE FROM runs", "runs", "(row)"},
        {"INSERT INTO runs(id, site, procedure, started, open) SELECT 9, 'AB1',"
         " procedure, started, 1 FROM runs", "runs", "(row)"},
        {"UPDATE sites SET name = 'x' WHERE code = 'AB1'", "sites", "name"},
        {"UPDATE sites SET parent = '' WHERE code = 'AB1'", "sites", "parent"},
        {"UPDATE sites SET server = 'EVIL' WHERE code = 'AB1'", "sites", "server"},
        {"UPDATE sites SET drive = 'Z' WHERE code = 'AB1'", "sites", "drive"},
        {"UPDATE sites SET state = 'clean' WHERE code = 'K7Q'", "sites", "state"},
        {"UPDATE sites SET logon = 0 WHERE code = 'AB1'", "sites", "logon"},
        {"UPDATE sites SET servers = 'X' WHERE code = 'AB1'", "sites", "servers"},
        {"UPDATE sites SET pdc = 'X' WHERE code = 'AB1'", "sites", "pdc"},
        {"UPDATE sites SET last_event = 1 WHERE code = 'K7Q'", "sites", "last_event"},
        {"UPDATE sites SET last_ts = '' WHERE code = 'K7Q'", "sites", "last_ts"},
        {"UPDATE sites SET run = 0 WHERE code = 'K7Q'", "sites", "run"},
        {"DELETE FROM sites WHERE code = 'AB1'", "sites", "(row)"},
        {"INSERT INTO sites(code, name, parent, server, drive, state, logon,"
         " servers, pdc) VALUES('ZZ9', '', 'CEN', 'S', 'C', 'hung', 0, '', '')",
         "sites", "(row)"},
    };
    journal_close(f->j);
    f->j = NULL;
    char good[160], cmd[640];
    snprintf(good, sizeof good, "%s.good", f->path);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", f->path, good);
    assert_int_equal(system(cmd), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        journal_close(f->j);
        f->j = NULL;
        snprintf(cmd, sizeof cmd, "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'",
                 good, f->path, f->path, f->path);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(raw_sql(f->path, cases[i].sql), SQLITE_OK);
        reopen(f);
        verify_result v;
        int rc = verify_with(f, NULL, 0, &v);
        if (rc != 1 || strcmp(v.table, cases[i].table) != 0 ||
            strcmp(v.column, cases[i].column) != 0)
            fail_msg("%s: verify %d, %s.%s: %s", cases[i].sql, rc, v.table,
                     v.column, v.why);
        assert_int_equal(v.problem, VERIFY_DERIVED);
    }
}

/* Points the first freeblock of a table's root page (a leaf in these
 * small journals) beyond the page: every read still works, the page is
 * damaged. */
static void corrupt_root_page(fx *f, const char *table)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
    sqlite3_stmt *q;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT rootpage, (SELECT page_size FROM"
             " pragma_page_size) FROM sqlite_master WHERE name = '%s'", table);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    long page = sqlite3_column_int(q, 0), size = sqlite3_column_int(q, 1);
    sqlite3_finalize(q);
    sqlite3_close(h);
    FILE *fp = fopen(f->path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, (page - 1) * size + 1, SEEK_SET), 0);
    assert_int_equal(fwrite("\040", 1, 1, fp), 1);
    assert_int_equal(fclose(fp), 0);
}

static void test_verify_damaged_pages(void **state)
{
    fx *f = *state;
    verify_fixture(f);
    journal_close(f->j);
    f->j = NULL;
    char good[160], cmd[640];
    snprintf(good, sizeof good, "%s.good", f->path);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", f->path, good);
    assert_int_equal(system(cmd), 0);
    const char *tables[] = {"runs", "sites", "item_states", "procedures"};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        snprintf(cmd, sizeof cmd, "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'",
                 good, f->path, f->path, f->path);
        assert_int_equal(system(cmd), 0);
        corrupt_root_page(f, tables[i]);
        ss_err e;
        assert_int_equal(journal_open(f->path, &f->j, &e), 0);
        verify_result v;
        int rc = verify_with(f, NULL, 0, &v);
        if (rc != 1 || v.problem != VERIFY_FILE)
            fail_msg("%s: verify %d (%d): %s", tables[i], rc, v.problem, v.why);
        journal_close(f->j);
        f->j = NULL;
    }
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_created_private_and_wal),
        T(test_import_adds_updates_and_journals),
        T(test_events_are_append_only),
        T(test_verify_detects_tampering),
        T(test_verify_detects_removed_event),
        T(test_verify_prints_head_and_holds_checkpoints),
        T(test_verify_truncation_needs_a_later_checkpoint),
        T(test_verify_wipe_needs_a_checkpoint),
        T(test_verify_forged_append),
        cmocka_unit_test(test_verify_impossible_events),
        T(test_verify_names_tampered_prior),
        cmocka_unit_test(test_host_clean),
        T(test_append_reads_back),
        T(test_verify_rewrite_needs_an_earlier_checkpoint),
        T(test_verify_procedure_swap),
        T(test_verify_procedure_that_no_longer_parses),
        T(test_verify_procedure_name),
        T(test_verify_run_procedure_link),
        T(test_verify_every_derived_column),
        T(test_verify_damaged_pages),
        T(test_mark_walks_a_run_to_completion),
        T(test_mark_refusals_change_nothing),
        T(test_resume_survives_reopen),
        T(test_run_keeps_its_procedure),
        T(test_site_change_updates_progress),
        T(test_paging_and_filter),
        T(test_filter_beyond_scan_window),
        T(test_refuses_foreign_and_newer_files),
        T(test_read_only_journal_refuses_writes),
        T(test_migrates_v4_run_stats),
        T(test_migrates_older_schema),
        T(test_migrates_v3_runs),
        T(test_one_console_holds_a_run),
        T(test_console_records_only_in_its_run),
        T(test_dead_holder_holds_nothing),
        T(test_claim_after_a_break_resumes),
        T(test_claim_needs_the_runs_site),
        T(test_checkpoint_names_the_newest_event),
        cmocka_unit_test(test_resolve_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
