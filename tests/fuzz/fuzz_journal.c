/* fuzz_journal.c - libFuzzer target for opening an arbitrary file as a
 * journal. Each input is written to a temporary file and opened; when it
 * opens, every read path the console and the command line use runs on it:
 * verify, the site list, event pages (plain, filtered, both directions)
 * and the open run of a few sites. Nothing may crash or leak, and a
 * refusal must name the file. The file and its -wal, -shm and -journal
 * companions are removed after every input.
 * Temporary files go to $FUZZ_TMPDIR, else /dev/shm (fsync is cheap on
 * tmpfs), else $TMPDIR or /tmp. Built and run by `make fuzz` (tests/extra.mk). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char tmp_dir[512];  /* this process's private directory */
static char db_path[600];  /* the journal file inside it */

/* Removes the journal and every file SQLite may have put beside it. */
static void remove_files(void)
{
    static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
    char p[640];
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        snprintf(p, sizeof p, "%s%s", db_path, tails[i]);
        unlink(p);
    }
}

static void cleanup_dir(void)
{
    remove_files();
    rmdir(tmp_dir);
}

static const char *pick_base(void)
{
    const char *env = getenv("FUZZ_TMPDIR");
    struct stat sb;
    if (env && *env)
        return env;
    if (stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
        access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    env = getenv("TMPDIR");
    return env && *env ? env : "/tmp";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(tmp_dir, sizeof tmp_dir, "%s/fuzz-journal-XXXXXX", pick_base());
    if (!mkdtemp(tmp_dir)) {
        perror("fuzz_journal: mkdtemp");
        abort();
    }
    snprintf(db_path, sizeof db_path, "%s/j.db", tmp_dir);
    atexit(cleanup_dir);
    /* Journal events carry the operator; keep it stable between runs. */
    setenv("SITESWEEP_OPERATOR", "fuzz", 1);
    return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
    FILE *f = fopen(db_path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz_journal: writing the input");
        abort();
    }
}

/* A page must hold at most limit events, each with its strings set. */
static void check_page(const event *evs, size_t n, size_t limit)
{
    if (n > limit)
        abort();
    for (size_t i = 0; i < n; i++)
        if (!evs[i].operator_name || !evs[i].host || !evs[i].note ||
            !evs[i].data)
            abort();
}

static void read_pages(journal *j, const char *site_code)
{
    event_filter all = {NULL, 0, NULL};
    event_filter text = {NULL, 0, "done"};
    event_filter narrow = {site_code, 1, "4b"};
    const event_filter *filters[] = {NULL, &all, &text, &narrow};
    for (size_t k = 0; k < sizeof filters / sizeof filters[0]; k++) {
        event *evs;
        size_t n;
        ss_err e;
        if (journal_events_page(j, filters[k], 0, -1, 20, &evs, &n, &e) == 0) {
            check_page(evs, n, 20);
            int64_t from = n ? evs[n - 1].id : 0;
            events_free(evs, n);
            if (journal_events_page(j, filters[k], from, 1, 7, &evs, &n,
                                    &e) == 0) {
                check_page(evs, n, 7);
                events_free(evs, n);
            }
        }
    }
    int64_t count;
    event ev;
    ss_err e;
    if (journal_event_count(j, &count, &e) == 0 && count > 0 &&
        journal_event_get(j, count, &ev, &e) == 0)
        event_clear(&ev);
}

static void read_run(journal *j, const char *code)
{
    run_view rv;
    ss_err e;
    int rc = journal_run_current(j, code, &rv, &e);
    if (rc == 0) {
        if (!rv.open || rv.st.nitems != rv.proc.nitems)
            abort();
        (void)run_state_resume(&rv.st);
        run_view_free(&rv);
    } else if (rc != JOURNAL_NOTFOUND && rc != -1) {
        abort();
    }
}

static void exercise(journal *j)
{
    verify_result vr;
    ss_err e;
    int rc = journal_verify(j, &vr, &e);
    /* A refusal says why; the bad event's id may be anything, even 0,
     * in a damaged file. */
    if (rc < -1 || rc > 1 || (rc == 1 && vr.why[0] == '\0'))
        abort();
    site_row *rows = NULL;
    size_t n = 0;
    char first[4] = "K7Q", last[4] = "CEN";
    if (journal_sites(j, &rows, &n, &e) == 0) {
        if (n) {
            snprintf(first, sizeof first, "%s", rows[0].site.code);
            snprintf(last, sizeof last, "%s", rows[n - 1].site.code);
        }
        free(rows);
    }
    size_t count;
    (void)journal_site_count(j, &count, &e);
    read_pages(j, first);
    read_run(j, first);
    read_run(j, last);
    read_run(j, "K7Q");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    remove_files();
    write_input(data, size);
    journal *j = NULL;
    ss_err e = {{0}};
    if (journal_open(db_path, &j, &e) == 0) {
        if (!j)
            abort();
        exercise(j);
        journal_close(j);
    } else if (j || strncmp(e.msg, db_path, strlen(db_path)) != 0) {
        abort(); /* a refusal must name the file */
    }
    remove_files();
    return 0;
}
