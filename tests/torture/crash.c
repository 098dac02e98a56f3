/* crash.c - kills `sitesweep mark` with SIGKILL at random moments while it
 * records confirmations, the way an operator's terminal dies, and proves
 * after every kill that the journal verifies, that every confirmation the
 * program reported is in it exactly once, that nothing is doubled, and
 * that the resume point is where the operator would expect it.
 *
 *   crash SITESWEEP_BIN JOURNAL KILLS [SEED]
 *
 * The journal must hold the demo inventory. The driver walks the sites
 * that have no open run, item by item, as an operator retrying after each
 * crash would: a killed `mark` is simply run again. Every attempt carries
 * a unique note ("attempt-N") so the journal shows which attempt recorded
 * what. Prints the counts it reached; exits 1 on the first broken promise. */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

#define MAX_ATTEMPTS 100000

/* What each attempt did, by attempt number. */
typedef enum { ATT_KILLED, ATT_RECORDED, ATT_ALREADY } attempt_kind;

typedef struct torture {
    const char *bin;      /* sitesweep under test */
    const char *journal;  /* journal path */
    attempt_kind att[MAX_ATTEMPTS]; /* outcome of each attempt */
    int seen[MAX_ATTEMPTS];         /* events carrying each attempt's note */
    int attempts;         /* attempts made */
    int kills;            /* attempts killed before they answered */
    int kills_wanted;     /* stop after this many kills */
    int acked;            /* attempts that reported a new record */
    int already;          /* retries told "already done" */
    int completed;        /* runs completed */
} torture;

static void die(const char *fmt, const char *a)
{
    fprintf(stderr, "crash: FAIL: ");
    fprintf(stderr, fmt, a);
    fputc('\n', stderr);
    exit(1);
}

/* Runs one `mark` attempt; kills it after delay_us unless it ends first.
 * Returns the attempt kind; *out gets what it printed. */
static attempt_kind attempt(torture *t, const char *code, const char *item,
                            long delay_us, char *out, size_t outn)
{
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe: %s", strerror(errno));
    char note[32];
    snprintf(note, sizeof note, "attempt-%d", t->attempts);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execl(t->bin, t->bin, "--journal", t->journal, "--operator", "torture",
              "mark", code, item, "done", "--note", note, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    struct timespec ts = {delay_us / 1000000, (delay_us % 1000000) * 1000};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < outn && (n = read(fds[0], out + got, outn - 1 - got)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        return ATT_KILLED;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "crash: status %d, %s %s\n", status, code, item);
        die("mark exited badly: %s", out);
    }
    return strstr(out, "already done") ? ATT_ALREADY : ATT_RECORDED;
}

static int count_note(const event *ev, void *ctx)
{
    torture *t = ctx;
    int n;
    if (strcmp(ev->kind, "done") == 0 && sscanf(ev->note, "attempt-%d", &n) == 1 &&
        n >= 0 && n < MAX_ATTEMPTS)
        t->seen[n]++;
    return 0;
}

/* After each kill: the chain verifies, every reported record is there
 * exactly once, no attempt recorded twice, no retry recorded anew after
 * an earlier attempt committed. */
static void check(torture *t, const char *item)
{
    journal *j;
    ss_err e;
    if (journal_open(t->journal, &j, &e))
        die("reopen: %s", e.msg);
    /* verify of a server journal copies it whole: every tenth kill
     * there (and at the end, by the test), every kill on a file; or
     * every CRASH_VERIFY_EVERY-th when that is rarer (the sanitizer
     * pass sets it: damage a kill did stays until a verify finds it). */
    verify_result v;
    bool server = strncmp(t->journal, "postgres", 8) == 0;
    int every = server ? 10 : 1;
    const char *ev = getenv("CRASH_VERIFY_EVERY");
    if (ev && atoi(ev) > every)
        every = atoi(ev);
    if (t->kills % every == 0 && journal_verify(j, &v, &e) != 0)
        die("verify failed: %s", v.why[0] ? v.why : e.msg);
    memset(t->seen, 0, sizeof t->seen);
    event_filter f = {NULL, 0, NULL};
    if (journal_events_each(j, &f, count_note, t, &e))
        die("read: %s", e.msg);
    for (int i = 0; i < t->attempts; i++) {
        if (t->seen[i] > 1)
            die("an attempt was recorded twice (%s)", item);
        if (t->att[i] == ATT_RECORDED && t->seen[i] != 1)
            die("a reported confirmation is missing (%s)", item);
        if (t->att[i] == ATT_ALREADY && t->seen[i] != 0)
            die("an 'already done' retry recorded something (%s)", item);
    }
    journal_close(j);
}

/* The item the site's open run resumes at ("" when it has none); returns
 * the open run's id, 0 when none is open. */
static int64_t resume_of(torture *t, const char *code, char *item, size_t n)
{
    int64_t id = 0;
    journal *j;
    ss_err e;
    run_view rv;
    item[0] = '\0';
    if (journal_open(t->journal, &j, &e))
        die("reopen: %s", e.msg);
    if (journal_run_current(j, code, &rv, &e) == 0) {
        int at = run_state_resume(&rv.st);
        if (at >= 0)
            snprintf(item, n, "%s", rv.proc.items[at].id);
        id = rv.id;
        run_view_free(&rv);
    }
    journal_close(j);
    return id;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: crash SITESWEEP_BIN JOURNAL KILLS [SEED]\n");
        return 2;
    }
    static torture t;
    t.bin = argv[1];
    t.journal = argv[2];
    t.kills_wanted = atoi(argv[3]);
    srand(argc > 4 ? (unsigned)atoi(argv[4]) : (unsigned)time(NULL));
    const char *sites[] = {"K7Q", "SEA", "ZRH", "B25", "BLV", "SFO", "MUC", "T01"};
    size_t si = 0;
    char out[4096], item[16], expect[16] = "";
    int64_t cur_run = 0;
    /* Delays up to the time one mark takes, learnt from unkilled runs
     * (a moving average, so one slow fsync does not stretch them all). */
    long slowest = 20000;
    int killed_in_a_row = 0;
    while (t.kills < t.kills_wanted && t.attempts < MAX_ATTEMPTS - 1) {
        const char *code = sites[si % (sizeof sites / sizeof sites[0])];
        int64_t run = resume_of(&t, code, item, sizeof item);
        bool killed = t.attempts && t.att[t.attempts - 1] == ATT_KILLED;
        if (!run && cur_run && !killed) { /* the run we walked is complete */
            t.completed++;
            si++;
            cur_run = 0;
            expect[0] = '\0';
            continue;
        }
        if (!run && cur_run) {
            /* The kill hid whether the last step completed the run: the
             * operator runs it again, which must not start a new run. */
            snprintf(item, sizeof item, "%s", expect);
            run = cur_run;
        }
        if (run && !item[0])
            die("an open run has nothing left to do: %s", code);
        if (!run)
            snprintf(item, sizeof item, "1");
        bool retry = t.attempts && t.att[t.attempts - 1] == ATT_KILLED && expect[0];
        if (retry && run && strcmp(item, expect) != 0) {
            /* The killed attempt committed: the operator, not knowing,
             * runs the same command again. */
            snprintf(item, sizeof item, "%s", expect);
        }
        cur_run = run;
        /* After a reported confirmation the run resumes past that item;
         * after a kill it may resume at it (not committed) or past it. */
        if (expect[0] && strcmp(item, expect) == 0 &&
            t.att[t.attempts - 1] != ATT_KILLED)
            die("a confirmed item is still the resume point: %s", item);
        /* Most kills anywhere in the run, a third near its end, where
         * the commit and the report race. */
        long delay = rand() % 3 ? rand() % (slowest + 1)
                                : slowest * 8 / 10 + rand() % (slowest * 3 / 10 + 1);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        attempt_kind k = attempt(&t, code, item, delay, out, sizeof out);
        clock_gettime(CLOCK_MONOTONIC, &b);
        t.att[t.attempts++] = k;
        if (k == ATT_KILLED) {
            t.kills++;
            /* Killed every time: a mark takes longer here than learnt
             * (a server journal): widen the window until some finish. */
            if (++killed_in_a_row >= 5) {
                slowest = slowest * 3 / 2;
                killed_in_a_row = 0;
            }
        } else {
            killed_in_a_row = 0;
            long took = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000;
            if (took < 2000000)
                slowest = (slowest * 7 + took) / 8;
            t.acked += k == ATT_RECORDED;
            t.already += k == ATT_ALREADY;
        }
        check(&t, item);
        snprintf(expect, sizeof expect, "%s", item);
    }
    if (t.acked == 0)
        die("no attempt was recorded and reported: %s", "the kills tested nothing");
    printf("crash: %d attempts, %d killed, %d recorded and reported, "
           "%d retries found their step already recorded, %d runs completed; "
           "journal verified after every %s\n",
           t.attempts, t.kills, t.acked, t.already, t.completed,
           strncmp(t.journal, "postgres", 8) == 0 ? "tenth kill" : "kill");
    return 0;
}
