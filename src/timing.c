/* timing.c - time per item and per run, and the estimate of time left. */
#include "timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

timing_kind timing_kind_of(const char *k)
{
    static const char *const item[] = {"done", "skipped", "reopened",
                                       "note"};
    if (strcmp(k, "failed") == 0)
        return TK_FAIL;
    for (size_t i = 0; i < sizeof item / sizeof item[0]; i++)
        if (strcmp(k, item[i]) == 0)
            return TK_ITEM;
    if (strcmp(k, "run-started") == 0 || strcmp(k, "handover") == 0 ||
        strcmp(k, "resumed") == 0)
        return TK_START;
    if (strcmp(k, "run-completed") == 0 || strcmp(k, "run-abandoned") == 0)
        return TK_END;
    return TK_OTHER;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n decimal digits at s into *v; false when one is not a digit. */
static bool digits(const char *s, int n, int64_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

int timing_parse_ts(const char *ts, int64_t *ms)
{
    int64_t y, mo, d, h, mi, s, frac = 0;
    if (strlen(ts) < 20 || !digits(ts, 4, &y) || ts[4] != '-' ||
        !digits(ts + 5, 2, &mo) || ts[7] != '-' || !digits(ts + 8, 2, &d) ||
        ts[10] != 'T' || !digits(ts + 11, 2, &h) || ts[13] != ':' ||
        !digits(ts + 14, 2, &mi) || ts[16] != ':' || !digits(ts + 17, 2, &s))
        return -1;
    const char *p = ts + 19;
    if (*p == '.') {
        if (!digits(p + 1, 3, &frac))
            return -1;
        p += 4;
    }
    if (strcmp(p, "Z") != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        h > 23 || mi > 59 || s > 60)
        return -1;
    *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 +
          s * 1000 + frac;
    return 0;
}

bool timing_gap_counts(int64_t gap_ms)
{
    return gap_ms >= 0 && gap_ms <= (int64_t)TIMING_IDLE_LIMIT * 1000;
}

int64_t timing_active_add(int64_t gap_ms, timing_kind k)
{
    bool kind = k == TK_ITEM || k == TK_FAIL || k == TK_END;
    return kind && timing_gap_counts(gap_ms) ? gap_ms : 0;
}

void timing_items(const timing_event *ev, size_t n, timing_item *items,
                  size_t nitems, int64_t *active)
{
    size_t m = nitems ? nitems : 1;
    int64_t *ms = xcalloc(m, sizeof *ms), *failed_ms = xcalloc(m, sizeof *ms);
    bool *measured = xcalloc(m, sizeof *measured);
    unsigned char *failed = xcalloc(m, 1); /* 1 failed, 2 then retried */
    int64_t total = 0;
    for (size_t i = 1; i < n; i++) {
        const timing_event *cur = &ev[i], *prev = &ev[i - 1];
        int64_t gap = cur->ms - prev->ms;
        bool counted = timing_gap_counts(gap);
        bool on_item = cur->kind == TK_ITEM || cur->kind == TK_FAIL;
        total += timing_active_add(gap, cur->kind);
        if (!on_item || cur->item < 0 || (size_t)cur->item >= nitems)
            continue;
        size_t k = (size_t)cur->item;
        if (counted)
            ms[k] += gap;
        measured[k] = counted && !(prev->kind == TK_START && gap == 0);
        if (cur->kind == TK_FAIL) {
            failed_ms[k] = ms[k];
            failed[k] = 1;
        } else if (failed[k]) {
            failed[k] = 2;
        }
    }
    for (size_t i = 0; items && i < nitems; i++)
        items[i] = (timing_item){ms[i] / 1000,
                                 failed[i] == 2 ? failed_ms[i] / 1000 : 0,
                                 failed[i] == 2, measured[i]};
    free(failed);
    free(ms);
    free(failed_ms);
    free(measured);
    *active = total / 1000;
}

void timing_run(const timing_event *ev, size_t n, int64_t *item_seconds,
                size_t nitems, int64_t *active)
{
    timing_item *items = xcalloc(nitems ? nitems : 1, sizeof *items);
    timing_items(ev, n, items, nitems, active);
    for (size_t i = 0; item_seconds && i < nitems; i++)
        item_seconds[i] = items[i].seconds;
    free(items);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t timing_median(int64_t *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_i64);
    return v[(n - 1) / 2];
}

bool timing_estimate(int64_t *samples, size_t n, size_t past_runs,
                     size_t open_items, int64_t *seconds)
{
    if (past_runs < TIMING_MIN_RUNS || n == 0)
        return false;
    *seconds = timing_median(samples, n) * (int64_t)open_items;
    return true;
}

void timing_format(int64_t s, char *out, size_t n)
{
    if (s < 0)
        s = 0;
    if (s >= 3600)
        snprintf(out, n, "%lldh %02lldm", (long long)(s / 3600),
                 (long long)(s / 60 % 60));
    else if (s >= 60)
        snprintf(out, n, "%lldm %02llds", (long long)(s / 60),
                 (long long)(s % 60));
    else
        snprintf(out, n, "%llds", (long long)s);
}

void timing_item_format(const timing_item *t, char *out, size_t n)
{
    char all[24], since[24];
    timing_format(t->seconds, all, sizeof all);
    if (!t->retried) {
        snprintf(out, n, "%s", all);
        return;
    }
    timing_format(t->seconds - t->before_failure, since, sizeof since);
    snprintf(out, n, "%s since it failed (%s in all)", since, all);
}
