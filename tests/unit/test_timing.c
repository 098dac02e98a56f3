/* test_timing.c - time per item and per run from injected timestamps:
 * idle gaps, resumes, reopened items, notes; the estimate of time left. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "timing.h"

#define S(x) ((int64_t)(x) * 1000) /* seconds as milliseconds */

static void test_parse_ts(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(timing_parse_ts("1970-01-01T00:00:00.000Z", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(timing_parse_ts("2026-11-27T02:20:24.123Z", &ms), 0);
    assert_int_equal(ms, INT64_C(1795746024123));
    assert_int_equal(timing_parse_ts("2000-03-01T00:00:01Z", &ms), 0);
    assert_int_equal(ms, INT64_C(951868801000));
    const char *bad[] = {"", "2026-11-27", "2026-11-27 02:20:24.123Z",
                         "2026-13-27T02:20:24.123Z", "2026-11-27T02:20:24.1Z",
                         "2026-11-27T02:20:24.123", "x026-11-27T02:20:24.123Z"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(timing_parse_ts(bad[i], &ms), -1);
}

static void test_kinds(void **state)
{
    (void)state;
    assert_int_equal(timing_kind_of("done"), TK_ITEM);
    assert_int_equal(timing_kind_of("note"), TK_ITEM);
    assert_int_equal(timing_kind_of("reopened"), TK_ITEM);
    assert_int_equal(timing_kind_of("failed"), TK_FAIL);
    assert_int_equal(timing_kind_of("run-started"), TK_START);
    assert_int_equal(timing_kind_of("handover"), TK_START);
    assert_int_equal(timing_kind_of("run-completed"), TK_END);
    assert_int_equal(timing_kind_of("run-abandoned"), TK_END);
    assert_int_equal(timing_kind_of("site-state"), TK_OTHER);
}

/* Each item's time runs from the previous event of the run. */
static void test_time_from_previous_event(void **state)
{
    (void)state;
    timing_event ev[] = {
        {S(1000), -1, TK_START},
        {S(1060), 0, TK_ITEM},   /* item 0: 60 s after the start */
        {S(1090), 1, TK_ITEM},   /* item 1: 30 s */
        {S(1300), 2, TK_ITEM},   /* item 2: 210 s */
        {S(1300), -1, TK_END},   /* completion, same moment */
    };
    int64_t per[3], active;
    timing_run(ev, 5, per, 3, &active);
    assert_int_equal(per[0], 60);
    assert_int_equal(per[1], 30);
    assert_int_equal(per[2], 210);
    assert_int_equal(active, 300);
}

/* A gap over the idle limit counts for nothing; one at the limit counts. */
static void test_idle_gaps_not_counted(void **state)
{
    (void)state;
    timing_event ev[] = {
        {S(0), -1, TK_START},
        {S(TIMING_IDLE_LIMIT), 0, TK_ITEM},             /* at the limit */
        {S(2 * TIMING_IDLE_LIMIT + 1), 1, TK_ITEM},     /* over: idle */
        {S(2 * TIMING_IDLE_LIMIT + 41), 1, TK_ITEM},    /* a note, 40 s */
        {S(9 * 3600), 2, TK_ITEM},                      /* overnight */
    };
    int64_t per[3], active;
    timing_run(ev, 5, per, 3, &active);
    assert_int_equal(per[0], TIMING_IDLE_LIMIT);
    assert_int_equal(per[1], 40);
    assert_int_equal(per[2], 0);
    assert_int_equal(active, TIMING_IDLE_LIMIT + 40);
}

/* A resume (or handover) starts the clock again: the time up to it is not
 * counted, the next item's time runs from it. */
static void test_resume_restarts_the_clock(void **state)
{
    (void)state;
    timing_event ev[] = {
        {S(0), -1, TK_START},
        {S(100), 0, TK_ITEM},
        {S(700), -1, TK_START},  /* resumed 10 min later */
        {S(745), 1, TK_ITEM},    /* 45 s after the resume */
        {S(800), -1, TK_OTHER},
        {S(810), 2, TK_ITEM},    /* 10 s after the other event */
    };
    int64_t per[3], active;
    timing_run(ev, 6, per, 3, &active);
    assert_int_equal(per[0], 100);
    assert_int_equal(per[1], 45);
    assert_int_equal(per[2], 10);
    assert_int_equal(active, 155);
}

/* After a break longer than the idle gap, the first item counts from the
 * "resumed" event a console journals on opening the run, not 0 s. */
static void test_break_then_resumed(void **state)
{
    (void)state;
    assert_int_equal(timing_kind_of("resumed"), TK_START);
    timing_event ev[] = {
        {S(0), -1, timing_kind_of("run-started")},
        {S(60), 0, timing_kind_of("done")},
        {S(60 + 2 * 3600), -1, timing_kind_of("resumed")},
        {S(60 + 2 * 3600 + 240), 1, timing_kind_of("done")},
    };
    timing_item items[2];
    int64_t active;
    timing_items(ev, 4, items, 2, &active);
    assert_int_equal(items[1].seconds, 240);
    assert_true(items[1].measured);
    assert_int_equal(active, 60 + 240);
    /* Without it the interval from before the break is idle: 0 s. */
    ev[2] = ev[3];
    timing_items(ev, 3, items, 2, &active);
    assert_int_equal(items[1].seconds, 0);
    assert_false(items[1].measured);
}

/* A reopened item's time is every interval that ended on it: the first
 * attempt, the reopen and the second attempt. */
static void test_reopened_item_sums(void **state)
{
    (void)state;
    timing_event ev[] = {
        {S(0), -1, TK_START},
        {S(50), 0, TK_ITEM},     /* done: 50 */
        {S(70), 1, TK_ITEM},     /* other item: 20 */
        {S(75), 0, TK_ITEM},     /* reopened: 5 */
        {S(175), 0, TK_ITEM},    /* done again: 100 */
        {S(170), 1, TK_ITEM},    /* clock went back: 0 */
    };
    int64_t per[2], active;
    timing_run(ev, 6, per, 2, &active);
    assert_int_equal(per[0], 155);
    assert_int_equal(per[1], 20);
    assert_int_equal(active, 175);
    /* Milliseconds add up before rounding down; no items, no events. */
    timing_event ms[] = {{0, -1, TK_START}, {400, 0, TK_ITEM},
                         {800, 0, TK_ITEM}, {1400, 0, TK_ITEM}};
    timing_run(ms, 4, per, 1, &active);
    assert_int_equal(per[0], 1);
    assert_int_equal(active, 1);
    timing_run(NULL, 0, NULL, 0, &active);
    assert_int_equal(active, 0);
    /* Out-of-range items count as active time only. */
    timing_event odd[] = {{0, -1, TK_START}, {S(9), 7, TK_ITEM}};
    timing_run(odd, 2, per, 2, &active);
    assert_int_equal(per[0] + per[1], 0);
    assert_int_equal(active, 9);
}

/* Which items' times are known: 0 s is a measurement (a script records
 * items within a second); an item after an idle gap, after the clock went
 * back, or recorded by the command that started the run (the same
 * instant as the start) is not. Failing counts as time on the item. */
static void test_zero_seconds_are_measured(void **state)
{
    (void)state;
    timing_event ev[] = {
        {S(0), -1, TK_START},
        {S(0), 0, TK_ITEM},                          /* started by it */
        {S(0) + 5, 1, TK_ITEM},                      /* 5 ms: 0 s, known */
        {S(0) + 9, 2, TK_FAIL},                      /* failed, 4 ms */
        {S(TIMING_IDLE_LIMIT + 1), 3, TK_ITEM},      /* after idle */
        {S(TIMING_IDLE_LIMIT), 4, TK_ITEM},          /* clock went back */
        {S(TIMING_IDLE_LIMIT + 100), -1, TK_START},  /* handover */
        {S(TIMING_IDLE_LIMIT + 102), 5, TK_ITEM},    /* 2 s after it */
    };
    timing_item it[6];
    int64_t active;
    timing_items(ev, 8, it, 6, &active);
    bool known[6] = {false, true, true, false, false, true};
    int64_t secs[6] = {0, 0, 0, 0, 0, 2};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(it[i].measured, known[i]);
        assert_int_equal(it[i].seconds, secs[i]);
    }
    assert_int_equal(active, 2);
    /* A later event on an item decides: measured again when it is. */
    timing_event again[] = {{S(0), -1, TK_START}, {S(0), 0, TK_ITEM},
                            {S(3), 0, TK_ITEM}};
    timing_items(again, 3, it, 1, &active);
    assert_true(it[0].measured);
    assert_int_equal(it[0].seconds, 3);
}

/* An item that failed, was reopened and then done: the time up to and
 * including the failure is kept apart, so the done is shown with the time
 * since the failure and the whole beside it. */
static void test_failed_attempt_kept_apart(void **state)
{
    (void)state;
    timing_event ev[] = {
        {S(0), -1, TK_START},
        {S(60), 0, TK_FAIL},     /* item 0 failed after 60 s */
        {S(90), 1, TK_ITEM},     /* item 1: 30 s */
        {S(100), 0, TK_ITEM},    /* item 0 reopened: 10 s */
        {S(130), 0, TK_ITEM},    /* item 0 done: 30 s */
        {S(150), 1, TK_FAIL},    /* item 1 fails: 20 s */
        {S(200), 1, TK_FAIL},    /* and fails again (a note): 50 s */
    };
    timing_item it[2];
    int64_t active;
    timing_items(ev, 7, it, 2, &active);
    assert_int_equal(it[0].seconds, 100);
    assert_int_equal(it[0].before_failure, 60);
    assert_int_equal(it[1].seconds, 100);
    assert_true(it[0].retried);
    assert_int_equal(it[1].before_failure, 0); /* it ended failed */
    assert_false(it[1].retried);
    assert_int_equal(active, 200);
    char b[80];
    timing_item_format(&it[0], b, sizeof b);
    assert_string_equal(b, "40s since it failed (1m 40s in all)");
    timing_item_format(&it[1], b, sizeof b);
    assert_string_equal(b, "1m 40s");
    /* Within a second of the failure is still since the failure. */
    timing_item quick = {0, 0, true, true};
    timing_item_format(&quick, b, sizeof b);
    assert_string_equal(b, "0s since it failed (0s in all)");
    timing_item plain = {75, 0, false, true};
    timing_item_format(&plain, b, sizeof b);
    assert_string_equal(b, "1m 15s");
    /* timing_run gives the same totals. */
    int64_t per[2];
    timing_run(ev, 7, per, 2, &active);
    assert_int_equal(per[0], 100);
    assert_int_equal(per[1], 100);
}

static void test_estimate_needs_three_runs(void **state)
{
    (void)state;
    int64_t v[] = {90, 30, 60, 600, 45};
    int64_t s = -1;
    assert_false(timing_estimate(v, 5, 2, 4, &s));
    assert_int_equal(s, -1);
    assert_false(timing_estimate(v, 0, 5, 4, &s));
    assert_true(timing_estimate(v, 5, 3, 4, &s));
    assert_int_equal(s, 60 * 4); /* median 60, not the mean (165) */
    int64_t even[] = {40, 10, 30, 20};
    assert_int_equal(timing_median(even, 4), 20);
    assert_true(timing_estimate(even, 4, 3, 0, &s));
    assert_int_equal(s, 0);
}

static void test_format(void **state)
{
    (void)state;
    char b[32];
    timing_format(45, b, sizeof b);
    assert_string_equal(b, "45s");
    timing_format(750, b, sizeof b);
    assert_string_equal(b, "12m 30s");
    timing_format(3900, b, sizeof b);
    assert_string_equal(b, "1h 05m");
    timing_format(-5, b, sizeof b);
    assert_string_equal(b, "0s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ts),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_time_from_previous_event),
        cmocka_unit_test(test_idle_gaps_not_counted),
        cmocka_unit_test(test_resume_restarts_the_clock),
        cmocka_unit_test(test_break_then_resumed),
        cmocka_unit_test(test_reopened_item_sums),
        cmocka_unit_test(test_zero_seconds_are_measured),
        cmocka_unit_test(test_failed_attempt_kept_apart),
        cmocka_unit_test(test_estimate_needs_three_runs),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
