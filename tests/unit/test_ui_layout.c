/* test_ui_layout.c - screen arithmetic at several terminal sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "layout.h"

static int sites_total(const sites_cols *c)
{
    return c->mark + c->code + c->name + c->parent + c->server + c->state +
           c->progress + c->activity;
}

static void test_sites_columns(void **state)
{
    (void)state;
    const int widths[] = {60, 80, 100, 132, 200};
    for (size_t i = 0; i < 5; i++) {
        sites_cols c;
        layout_sites(widths[i], &c);
        assert_true(sites_total(&c) <= widths[i]);
        assert_true(c.name >= 8);
        assert_true(c.server >= 6);
        assert_true(c.progress >= 16); /* "done 2026-11-27" + space */
    }
    sites_cols c;
    layout_sites(60, &c);
    assert_int_equal(c.activity, 0); /* dropped when narrow */
    layout_sites(100, &c);
    assert_true(c.activity >= 17);
    assert_int_equal(sites_total(&c), 100);
}

static void test_journal_columns(void **state)
{
    (void)state;
    const int widths[] = {60, 80, 100, 160};
    for (size_t i = 0; i < 4; i++) {
        journal_cols c;
        layout_journal(widths[i], &c);
        int total = c.time + c.operator_name + c.site + c.item + c.kind +
                    c.note;
        assert_int_equal(total, widths[i]);
        assert_true(c.note >= 8);
        assert_true(c.kind >= 14); /* "run-completed" + space */
    }
    journal_cols c;
    layout_journal(60, &c);
    assert_int_equal(c.seconds, 0);
    layout_journal(120, &c);
    assert_int_equal(c.seconds, 1);
}

/* The Cleanups columns fill the width; a narrow terminal drops the end
 * date first, a wide one adds the procedure. */
static void test_runs_columns(void **state)
{
    (void)state;
    const int widths[] = {60, 80, 100, 140, 200};
    for (size_t i = 0; i < sizeof widths / sizeof *widths; i++) {
        runs_cols c;
        layout_runs(widths[i], &c);
        int sum = c.run + c.state + c.procedure + c.started + c.ended +
                  c.elapsed + c.active + c.items + c.operators;
        assert_true(c.run >= 9);        /* "K7Q #12" + space */
        assert_true(c.state >= 10);     /* "abandoned" + space */
        assert_true(c.started >= 17);   /* "2026-11-27 02:44" + space */
        assert_true(c.items >= 15);     /* "21/21/21/21/21" */
        assert_true(c.operators >= 1);
        if (widths[i] >= 90)
            assert_int_equal(sum, widths[i]);
    }
    runs_cols c;
    layout_runs(80, &c);
    assert_int_equal(c.ended, 0);
    assert_int_equal(c.procedure, 0);
    layout_runs(100, &c);
    assert_true(c.ended >= 17);
    layout_runs(140, &c);
    assert_true(c.procedure > 0);
}

static void test_walk_panes(void **state)
{
    (void)state;
    const int sizes[][2] = {{15, 60}, {24, 80}, {30, 100}, {50, 200}};
    for (size_t i = 0; i < 4; i++) {
        walk_layout l;
        layout_walk(sizes[i][0], sizes[i][1], &l);
        assert_true(l.pane_rows >= 1);
        /* panes end above the hint and status lines */
        assert_int_equal(l.pane_top + l.pane_rows, sizes[i][0] - 2);
        assert_true(l.list_w >= 26 || l.list_w == sizes[i][1] / 2);
        assert_true(l.sep_x >= l.list_w);
        assert_true(l.detail_x > l.sep_x);
        assert_int_equal(l.detail_x + l.detail_w, sizes[i][1]);
        assert_true(l.detail_w >= 28);
    }
    walk_layout l;
    layout_walk(50, 200, &l);
    assert_int_equal(l.list_w, 44); /* the list stops growing */
}

static void test_scroll(void **state)
{
    (void)state;
    assert_int_equal(layout_scroll(0, 5, 10), 0);
    assert_int_equal(layout_scroll(0, 10, 10), 1);
    assert_int_equal(layout_scroll(8, 3, 10), 3);
    assert_int_equal(layout_scroll(0, 25, 10), 16);
    assert_int_equal(layout_scroll(4, 0, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sites_columns),
        cmocka_unit_test(test_journal_columns),
        cmocka_unit_test(test_runs_columns),
        cmocka_unit_test(test_walk_panes),
        cmocka_unit_test(test_scroll),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
