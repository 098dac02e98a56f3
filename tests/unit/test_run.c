/* test_run.c - run state: transitions, counters and the resume position
 * after any sequence of outcomes (checked against a reference model). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static const char proc_text[] =
    "procedure: t\n"
    "title: Test\n"
    "item 1: One\n"
    "text: first\n"
    "item 2: Two\n"
    "text: second\n"
    "item 3: Logon only\n"
    "text: third\n"
    "applies: logon\n"
    "item 4: Four\n"
    "text: fourth\n";

static procedure proc;
static site with_logon, without_logon;

static int setup(void **state)
{
    (void)state;
    ss_err e;
    if (procedure_parse(proc_text, strlen(proc_text), "t.procedure", &proc, &e))
        return -1;
    site_init(&with_logon);
    site_init(&without_logon);
    with_logon.logon = true;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    procedure_free(&proc);
    return 0;
}

static void test_init_decides_applicability(void **state)
{
    (void)state;
    run_state r;
    run_state_init(&r, &proc, &without_logon);
    assert_int_equal(r.nitems, 4);
    assert_int_equal(r.state[2], ITEM_NA);
    assert_int_equal(r.applicable, 3);
    assert_int_equal(r.closed, 0);
    run_state_free(&r);
    run_state_init(&r, &proc, &with_logon);
    assert_int_equal(r.state[2], ITEM_OPEN);
    assert_int_equal(r.applicable, 4);
    run_state_free(&r);
}

static void test_transitions(void **state)
{
    (void)state;
    run_state r;
    ss_err e;
    run_state_init(&r, &proc, &without_logon);
    assert_int_equal(run_state_apply(&r, &proc, 0, OUT_DONE, &e), APPLY_CHANGED);
    assert_int_equal(run_state_apply(&r, &proc, 0, OUT_DONE, &e), APPLY_ALREADY);
    assert_int_equal(run_state_apply(&r, &proc, 0, OUT_FAILED, &e), -1);
    assert_string_equal(e.msg, "item 1 is done: reopen it first");
    assert_int_equal(run_state_apply(&r, &proc, 0, OUT_SKIPPED, &e), -1);
    assert_int_equal(run_state_apply(&r, &proc, 1, OUT_REOPENED, &e), APPLY_ALREADY);
    assert_int_equal(run_state_apply(&r, &proc, 1, OUT_FAILED, &e), APPLY_CHANGED);
    assert_int_equal(r.failed, 1);
    /* A failed item may be resolved directly. */
    assert_int_equal(run_state_apply(&r, &proc, 1, OUT_SKIPPED, &e), APPLY_CHANGED);
    assert_int_equal(r.failed, 0);
    assert_int_equal(r.closed, 2);
    assert_int_equal(run_state_apply(&r, &proc, 2, OUT_DONE, &e), -1);
    assert_string_equal(e.msg, "item 3 does not apply to this site");
    assert_int_equal(run_state_apply(&r, &proc, 9, OUT_DONE, &e), -1);
    assert_int_equal(run_state_apply(&r, &proc, 0, OUT_REOPENED, &e), APPLY_CHANGED);
    assert_int_equal(r.state[0], ITEM_OPEN);
    assert_int_equal(r.closed, 1);
    run_state_free(&r);
}

static void test_resume_and_next(void **state)
{
    (void)state;
    run_state r;
    ss_err e;
    run_state_init(&r, &proc, &without_logon);
    assert_int_equal(run_state_resume(&r), 0);
    run_state_apply(&r, &proc, 0, OUT_DONE, &e);
    assert_int_equal(run_state_resume(&r), 1);
    assert_int_equal(run_state_next_open(&r, 0), 1);
    run_state_apply(&r, &proc, 1, OUT_FAILED, &e);
    /* The failed item is not "open": the next open one comes first. */
    assert_int_equal(run_state_resume(&r), 3);
    assert_int_equal(run_state_next_open(&r, 1), 3);
    run_state_apply(&r, &proc, 3, OUT_DONE, &e);
    /* Only the failed one is left. */
    assert_int_equal(run_state_resume(&r), 1);
    assert_int_equal(run_state_next_open(&r, 3), 1);
    assert_false(run_state_complete(&r));
    run_state_apply(&r, &proc, 1, OUT_DONE, &e);
    assert_true(run_state_complete(&r));
    assert_int_equal(run_state_resume(&r), -1);
    assert_int_equal(run_state_next_open(&r, 0), -1);
    run_state_free(&r);
}

static void test_next_open_wraps(void **state)
{
    (void)state;
    run_state r;
    ss_err e;
    run_state_init(&r, &proc, &with_logon);
    run_state_apply(&r, &proc, 3, OUT_DONE, &e);
    assert_int_equal(run_state_next_open(&r, 3), 0);
    assert_int_equal(run_state_next_open(&r, 1), 2);
    run_state_free(&r);
}

static void test_reapply_keeps_records(void **state)
{
    (void)state;
    run_state r;
    ss_err e;
    run_state_init(&r, &proc, &with_logon);
    run_state_apply(&r, &proc, 2, OUT_DONE, &e);
    assert_int_equal(r.closed, 1);
    run_state_reapply(&r, &proc, &without_logon);
    assert_int_equal(r.state[2], ITEM_NA);
    assert_int_equal(r.closed, 0);
    assert_int_equal(r.applicable, 3);
    run_state_reapply(&r, &proc, &with_logon);
    assert_int_equal(r.state[2], ITEM_DONE);
    assert_int_equal(r.closed, 1);
    run_state_free(&r);
}

static void test_names(void **state)
{
    (void)state;
    assert_int_equal(outcome_parse("done"), OUT_DONE);
    assert_int_equal(outcome_parse("reopened"), OUT_REOPENED);
    assert_int_equal(outcome_parse("Done"), -1);
    assert_int_equal(outcome_parse("open"), -1);
    assert_true(outcome_needs_note(OUT_SKIPPED));
    assert_true(outcome_needs_note(OUT_FAILED));
    assert_false(outcome_needs_note(OUT_DONE));
    assert_false(outcome_needs_note(OUT_REOPENED));
    assert_string_equal(item_state_name(ITEM_NA), "n/a");
}

/* Reference model: the same rules written plainly, to compare with run.c
 * over many random sequences. */
static int model_apply(int *st, int o)
{
    int next = o == OUT_DONE ? ITEM_DONE : o == OUT_SKIPPED ? ITEM_SKIPPED
               : o == OUT_FAILED ? ITEM_FAILED : ITEM_OPEN;
    if (*st == next)
        return APPLY_ALREADY;
    if ((o == OUT_DONE || o == OUT_SKIPPED) && *st != ITEM_OPEN && *st != ITEM_FAILED)
        return -1;
    if (o == OUT_FAILED && *st != ITEM_OPEN)
        return -1;
    if (o == OUT_REOPENED && *st == ITEM_OPEN)
        return -1;
    *st = next;
    return APPLY_CHANGED;
}

static void test_random_sequences_match_model(void **state)
{
    (void)state;
    srand(287717);
    for (int round = 0; round < 2000; round++) {
        run_state r;
        ss_err e;
        const site *s = round % 2 ? &with_logon : &without_logon;
        run_state_init(&r, &proc, s);
        int model[4];
        for (int i = 0; i < 4; i++)
            model[i] = r.state[i];
        int steps = rand() % 12;
        for (int k = 0; k < steps; k++) {
            size_t idx = (size_t)(rand() % 4);
            int o = rand() % OUT_COUNT;
            int want = model[idx] == ITEM_NA ? -1 : model_apply(&model[idx], o);
            assert_int_equal(run_state_apply(&r, &proc, idx, (outcome)o, &e), want);
        }
        int first_open = -1, first_failed = -1;
        size_t closed = 0;
        for (int i = 0; i < 4; i++) {
            assert_int_equal(r.state[i], model[i]);
            if (model[i] == ITEM_OPEN && first_open < 0)
                first_open = i;
            if (model[i] == ITEM_FAILED && first_failed < 0)
                first_failed = i;
            closed += model[i] == ITEM_DONE || model[i] == ITEM_SKIPPED;
        }
        assert_int_equal(r.closed, closed);
        assert_int_equal(run_state_resume(&r),
                         first_open >= 0 ? first_open : first_failed);
        assert_int_equal(run_state_complete(&r),
                         first_open < 0 && first_failed < 0);
        run_state_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_decides_applicability),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_resume_and_next),
        cmocka_unit_test(test_next_open_wraps),
        cmocka_unit_test(test_reapply_keeps_records),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_random_sequences_match_model),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
