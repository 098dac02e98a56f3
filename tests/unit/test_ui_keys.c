/* test_ui_keys.c - key tables, key names and the generated help. */
#include <curses.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"

static void test_lookup(void **state)
{
    (void)state;
    assert_int_equal(keymap_lookup(&keys_walk, 'y'), ACT_DONE);
    assert_int_equal(keymap_lookup(&keys_walk, '\r'), ACT_DONE);
    assert_int_equal(keymap_lookup(&keys_walk, 's'), ACT_SKIP);
    assert_int_equal(keymap_lookup(&keys_walk, 'x'), ACT_FAIL);
    assert_int_equal(keymap_lookup(&keys_walk, 'u'), ACT_REOPEN);
    assert_int_equal(keymap_lookup(&keys_walk, 'c'), ACT_COPY);
    assert_int_equal(keymap_lookup(&keys_walk, 'q'), ACT_BACK);
    assert_int_equal(keymap_lookup(&keys_sites, 'q'), ACT_QUIT);
    assert_int_equal(keymap_lookup(&keys_sites, '\t'), ACT_SWITCH);
    assert_int_equal(keymap_lookup(&keys_journal, '\t'), ACT_SWITCH);
    assert_int_equal(keymap_lookup(&keys_sites, UI_FN(KEY_NPAGE)),
                     ACT_PAGE_DOWN);
    assert_int_equal(keymap_lookup(&keys_sites, 'G'), ACT_END);
    assert_int_equal(keymap_lookup(&keys_sites, 'z'), ACT_NONE);
    /* a function key never collides with the character of its code */
    assert_int_equal(keymap_lookup(&keys_sites, KEY_DOWN), ACT_NONE);
}

static void test_everywhere_keys(void **state)
{
    (void)state;
    const keymap *maps[] = {&keys_sites, &keys_walk, &keys_journal};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(keymap_lookup(maps[i], '?'), ACT_HELP);
        assert_int_equal(keymap_lookup(maps[i], 'j'), ACT_DOWN);
        assert_int_equal(keymap_lookup(maps[i], 'k'), ACT_UP);
        assert_int_equal(keymap_lookup(maps[i], UI_FN(KEY_UP)), ACT_UP);
        assert_int_equal(keymap_lookup(maps[i], 'g'), ACT_HOME);
    }
}

static void test_no_key_bound_twice(void **state)
{
    (void)state;
    const keymap *maps[] = {&keys_sites, &keys_walk, &keys_journal,
                            &keys_pager, &keys_form};
    for (size_t m = 0; m < 5; m++)
        for (size_t i = 0; i < maps[m]->n; i++)
            for (size_t k = i + 1; k < maps[m]->n; k++)
                assert_int_not_equal(maps[m]->b[i].key, maps[m]->b[k].key);
}

static void test_key_names(void **state)
{
    (void)state;
    char b[32];
    keys_name(UI_FN(KEY_NPAGE), b, sizeof b);
    assert_string_equal(b, "PgDn");
    keys_name('\r', b, sizeof b);
    assert_string_equal(b, "Enter");
    keys_name(UI_CTRL('U'), b, sizeof b);
    assert_string_equal(b, "Ctrl-U");
    keys_name(UI_FN(KEY_F(2)), b, sizeof b);
    assert_string_equal(b, "F2");
    keys_name('j', b, sizeof b);
    assert_string_equal(b, "j");
    keys_name(0xFC, b, sizeof b);
    assert_string_equal(b, "\xc3\xbc");
}

static void test_help_lists_every_action(void **state)
{
    (void)state;
    text_lines l = {0};
    size_t n = keymap_help(&keys_walk, &l);
    assert_int_equal(n, l.n);
    bool seen[ACT_COUNT] = {false};
    for (size_t i = 0; i < keys_walk.n; i++)
        seen[keys_walk.b[i].act] = true;
    size_t actions = 0;
    for (int a = 0; a < ACT_COUNT; a++) {
        if (!seen[a])
            continue;
        actions++;
        bool found = false;
        for (size_t i = 0; i < l.n; i++)
            found = found || strstr(l.v[i], action_help((ui_action)a));
        assert_true(found);
    }
    assert_int_equal(actions, n);
    /* both keys of one action on one line, Enter named once */
    bool done_line = false;
    for (size_t i = 0; i < l.n; i++)
        if (strstr(l.v[i], "Mark the item done")) {
            assert_non_null(strstr(l.v[i], "Enter, y"));
            assert_null(strstr(strstr(l.v[i], "Enter") + 1, "Enter"));
            done_line = true;
        }
    assert_true(done_line);
    text_lines_free(&l);
}

static void test_hints_fit(void **state)
{
    (void)state;
    char *h = keymap_hints(&keys_sites, 200);
    assert_non_null(strstr(h, "Enter open"));
    assert_non_null(strstr(h, "? help"));
    assert_non_null(strstr(h, "q quit"));
    free(h);
    h = keymap_hints(&keys_sites, 20);
    assert_true(strlen(h) <= 20);
    assert_non_null(strstr(h, "Enter open"));
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_everywhere_keys),
        cmocka_unit_test(test_no_key_bound_twice),
        cmocka_unit_test(test_key_names),
        cmocka_unit_test(test_help_lists_every_action),
        cmocka_unit_test(test_hints_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
