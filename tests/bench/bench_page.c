/* bench_page.c - times the journal screen's page reads through the core.
 *
 *   bench_page JOURNAL [REPS]
 *
 * Opens the journal once and times, REPS times each (median, microseconds):
 *   top      journal_events_page(from=0, newest first, limit 50)
 *   depth    the same from the event 90% of the way down (id = count/10)
 *   all      depth, filtered by the text "bench" (the operator of every
 *            event: the filter is evaluated on each row it passes)
 *   common   from the newest, filtered by "reopened" (about half the
 *            generated events)
 *   rare     from the newest, filtered by "needle-xyzzy" (one event, 90%
 *            down; gen_journal puts it there): the page must scan to it
 *   short1   the same by the one character "§" (only in that note): too
 *            short for the trigram index, served by the short-term index
 *   short2   the same by the two characters "zz"
 *   sparse   from the newest, filtered by "th" (in one event of 1000, the
 *            benchmark's periodic note "checked by the benchmark"): a page
 *            of 50 reaches 50,000 events down
 * Prints "name microseconds events-returned" lines for bench.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"

#define LIMIT 50

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median time of reps page reads; *got receives the events of the last. */
static double time_page(journal *j, const event_filter *f, int64_t from,
                        int reps, size_t *got)
{
    double *t = malloc((size_t)reps * sizeof *t);
    for (int r = 0; r < reps; r++) {
        event *evs;
        size_t n;
        ss_err e;
        double t0 = now_us();
        if (journal_events_page(j, f, from, -1, LIMIT, &evs, &n, &e)) {
            fprintf(stderr, "bench_page: %s\n", e.msg);
            exit(1);
        }
        t[r] = now_us() - t0;
        *got = n;
        events_free(evs, n);
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    double med = t[reps / 2];
    free(t);
    return med;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bench_page JOURNAL [REPS]\n");
        return 2;
    }
    int reps = argc == 3 ? atoi(argv[2]) : 101;
    if (reps < 1)
        reps = 1;
    journal *j;
    ss_err e;
    int64_t count;
    if (journal_open(argv[1], &j, &e) || journal_event_count(j, &count, &e)) {
        fprintf(stderr, "bench_page: %s\n", e.msg);
        return 1;
    }
    int64_t depth = count / 10 > 1 ? count / 10 : 1;
    event_filter all = {NULL, 0, "bench"};
    event_filter common = {NULL, 0, "reopened"};
    event_filter rare = {NULL, 0, "needle-xyzzy"};
    size_t n;
    printf("events %lld 0\n", (long long)count);
    double us = time_page(j, NULL, 0, reps, &n);
    printf("top %.1f %zu\n", us, n);
    us = time_page(j, NULL, depth, reps, &n);
    printf("depth %.1f %zu\n", us, n);
    us = time_page(j, &all, depth, reps, &n);
    printf("all %.1f %zu\n", us, n);
    us = time_page(j, &common, 0, reps, &n);
    printf("common %.1f %zu\n", us, n);
    us = time_page(j, &rare, 0, reps < 11 ? reps : 11, &n);
    printf("rare %.1f %zu\n", us, n);
    event_filter short1 = {NULL, 0, "\xc2\xa7"}, short2 = {NULL, 0, "zz"};
    event_filter sparse = {NULL, 0, "th"};
    us = time_page(j, &short1, 0, reps < 11 ? reps : 11, &n);
    printf("short1 %.1f %zu\n", us, n);
    us = time_page(j, &short2, 0, reps < 11 ? reps : 11, &n);
    printf("short2 %.1f %zu\n", us, n);
    us = time_page(j, &sparse, 0, reps < 11 ? reps : 11, &n);
    printf("sparse %.1f %zu\n", us, n);
    journal_close(j);
    return 0;
}
