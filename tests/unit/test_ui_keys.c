/* test_ui_keys.c - key tables, key names and the generated help. */
#include <curses.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edit.h"
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
    assert_int_equal(keymap_lookup(&keys_runs, '\t'), ACT_SWITCH);
    assert_int_equal(keymap_lookup(&keys_runs, '\r'), ACT_OPEN_RUN);
    assert_int_equal(keymap_lookup(&keys_runs, '/'), ACT_FILTER);
    assert_int_equal(keymap_lookup(&keys_runs, 'q'), ACT_BACK);
    assert_int_equal(keymap_lookup(&keys_walk, 'A'), ACT_ABANDON);
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
    const keymap *maps[] = {&keys_sites, &keys_walk, &keys_journal,
                            &keys_runs};
    for (size_t i = 0; i < 4; i++) {
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
                            &keys_pager, &keys_form, &keys_runs,
                            &keys_walk_ro};
    for (size_t m = 0; m < 7; m++)
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

/* Whether some line of l holds s. */
static bool has_line(const text_lines *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strstr(l->v[i], s))
            return true;
    return false;
}

static void test_help_all_from_tables(void **state)
{
    (void)state;
    text_lines l = {0};
    keymap_help_all(&keys_walk, &l);
    assert_true(has_line(&l, "Keys of the Walkthrough screen:"));
    /* the line editor, the y/N question and this help, from their tables */
    assert_true(has_line(&l, "Ctrl-W"));
    assert_true(has_line(&l, "Erase the word before the cursor"));
    assert_true(has_line(&l, "Paste"));
    assert_true(has_line(&l, "A y/N question"));
    assert_true(has_line(&l, "The answer in capitals"));
    assert_true(has_line(&l, "This help:"));
    assert_true(has_line(&l, "* after the mark"));
    /* every line is a heading, a blank, a table line or the legend */
    for (size_t i = 0; i < l.n; i++) {
        const char *s = l.v[i];
        size_t n = strlen(s);
        assert_true(n == 0 || strncmp(s, "  ", 2) == 0 || s[n - 1] == ':' ||
                    strstr(keys_walk.legend, s) != NULL);
    }
    text_lines_free(&l);
    keymap_help_all(&keys_sites, &l);
    assert_true(has_line(&l, "> before a site"));
    assert_false(has_line(&l, "A y/N question")); /* only where it opens */
    text_lines_free(&l);
}

static void test_editor_keys_are_the_table(void **state)
{
    (void)state;
    /* each binding of the editor's table does what its help says */
    for (size_t i = 0; i < keys_edit.n; i++) {
        line_edit ed;
        edit_init(&ed, "ab cd", 0);
        ed.cur = 3;
        int key = keys_edit.b[i].key;
        edit_result r = edit_key(&ed, key);
        switch (keys_edit.b[i].act) {
        case ACT_ED_ACCEPT: assert_int_equal(r, EDIT_ACCEPT); break;
        case ACT_ED_CANCEL: assert_int_equal(r, EDIT_CANCEL); break;
        case ACT_ED_LEFT: assert_int_equal(ed.cur, 2); break;
        case ACT_ED_RIGHT: assert_int_equal(ed.cur, 4); break;
        case ACT_ED_HOME: assert_int_equal(ed.cur, 0); break;
        case ACT_ED_END: assert_int_equal(ed.cur, 5); break;
        case ACT_ED_BACKSPACE: assert_string_equal(ed.buf, "abcd"); break;
        case ACT_ED_DELETE: assert_string_equal(ed.buf, "ab d"); break;
        case ACT_ED_KILL_BEFORE: assert_string_equal(ed.buf, "cd"); break;
        case ACT_ED_KILL_AFTER: assert_string_equal(ed.buf, "ab "); break;
        case ACT_ED_KILL_WORD: assert_string_equal(ed.buf, "cd"); break;
        case ACT_ED_PASTE: assert_int_equal(r, EDIT_IGNORED); break;
        default: fail_msg("unexpected action %d", keys_edit.b[i].act);
        }
    }
}

static void test_parse_names(void **state)
{
    (void)state;
    assert_int_equal(keys_parse("Enter"), '\r');
    assert_int_equal(keys_parse("Esc"), UI_ESC);
    assert_int_equal(keys_parse("Escape"), UI_ESC);
    assert_int_equal(keys_parse("PgDn"), UI_FN(KEY_NPAGE));
    assert_int_equal(keys_parse("Ctrl-U"), UI_CTRL('U'));
    assert_int_equal(keys_parse("C-w"), UI_CTRL('W'));
    assert_int_equal(keys_parse("F2"), UI_FN(KEY_F(2)));
    assert_int_equal(keys_parse("y"), 'y');
    assert_int_equal(keys_parse("\xc3\xbc"), 0xFC);
    assert_int_equal(keys_parse("yy"), -1);
    assert_int_equal(keys_parse(""), -1);
    /* every name keys_name writes for the tables' keys reads back */
    const keymap *maps[] = {&keys_sites, &keys_walk, &keys_journal,
                            &keys_pager, &keys_form, &keys_edit,
                            &keys_confirm, &keys_runs, &keys_walk_ro};
    for (size_t m = 0; m < sizeof maps / sizeof *maps; m++)
        for (size_t i = 0; i < maps[m]->n; i++) {
            char name[24];
            int key = maps[m]->b[i].key;
            keys_name(key, name, sizeof name);
            int back = keys_parse(name);
            /* Enter has three codes and one name */
            if (strcmp(name, "Enter") == 0 || strcmp(name, "Backspace") == 0 ||
                key == UI_PASTE_KEY)
                continue;
            assert_int_equal(back, key);
        }
}

/* The help of the new keys comes from the tables: A in the walkthrough,
 * Enter and Tab on Cleanups. */
static void test_help_lists_cleanup_keys(void **state)
{
    (void)state;
    text_lines l = {0};
    keymap_help_all(&keys_walk, &l);
    assert_true(has_line(&l, "Abandon this cleanup"));
    bool a_line = false;
    for (size_t i = 0; i < l.n; i++)
        if (strstr(l.v[i], "Abandon this cleanup"))
            a_line = strncmp(l.v[i], "  A ", 4) == 0;
    assert_true(a_line);
    text_lines_free(&l);
    keymap_help_all(&keys_runs, &l);
    assert_true(has_line(&l, "Keys of the Cleanups screen:"));
    assert_true(has_line(&l, "Open the cleanup (a finished one read-only)"));
    assert_true(has_line(&l, "Next view: Sites, Cleanups, Journal"));
    text_lines_free(&l);
    /* a finished cleanup lists no key that records */
    keymap_help_all(&keys_walk_ro, &l);
    assert_true(has_line(&l, "Keys of the Walkthrough (read-only) screen:"));
    assert_false(has_line(&l, "Mark the item done"));
    assert_false(has_line(&l, "Abandon this cleanup"));
    assert_true(has_line(&l, "are refused here"));
    text_lines_free(&l);
    for (size_t i = 0; i < keys_walk_ro.n; i++) {
        ui_action a = keys_walk_ro.b[i].act;
        assert_true(a != ACT_DONE && a != ACT_SKIP && a != ACT_FAIL &&
                    a != ACT_NOTE && a != ACT_REOPEN && a != ACT_ABANDON);
    }
}

/* The held-key rule is a pure function of key times: the answer of the
 * last question, arriving again less than KEY_RELEASE_MS after its last
 * copy, is still held; exactly KEY_RELEASE_MS or more is a fresh press. */
static void test_key_still_held(void **state)
{
    (void)state;
    const long long t = 50000;
    /* no key answered yet: nothing is held */
    assert_false(key_still_held(-1, t, 'y', t + 10));
    /* a slow repeat (300 ms) and a long first delay (1 s) are held */
    assert_true(key_still_held('y', t, 'y', t + 300));
    assert_true(key_still_held('y', t, 'y', t + 1000));
    /* the boundary: one ms short of the window is held; the window is not */
    assert_true(key_still_held('y', t, 'y', t + KEY_RELEASE_MS - 1));
    assert_false(key_still_held('y', t, 'y', t + KEY_RELEASE_MS));
    /* a deliberate second press after 1.2 s */
    assert_false(key_still_held('y', t, 'y', t + 1200));
    /* a different key is never held, however soon */
    assert_false(key_still_held('y', t, 'n', t));
    assert_false(key_still_held('y', t, 'Y', t + 1));
    assert_false(key_still_held('\r', t, UI_FN(KEY_ENTER), t + 1));
    /* function keys follow the same rule */
    assert_true(key_still_held(UI_FN(KEY_ENTER), t, UI_FN(KEY_ENTER), t));
    /* the same time (copies read in one burst) and a clock that went back */
    assert_true(key_still_held('y', t, 'y', t));
    assert_true(key_still_held('y', t, 'y', t - 5));
    /* each discarded copy moves the last arrival on: a held key at 300 ms
     * stays held for as long as it is held */
    long long at = t;
    for (int i = 1; i <= 10; i++) {
        assert_true(key_still_held('y', at, 'y', t + 300 * i));
        at = t + 300 * i;
    }
    assert_false(key_still_held('y', at, 'y', at + KEY_RELEASE_MS));
}

/* The rule's state over a sequence of key times: y answers at 0 and is
 * held at a 300 ms repeat (every copy discarded, each restarting the
 * gap); a gap of KEY_RELEASE_MS lets go; another key lets go at once;
 * with nothing answered, nothing is held. */
static void test_key_hold_sequence(void **state)
{
    (void)state;
    key_hold h = {-1, 0};
    assert_false(key_hold_arrived(&h, 'y', 0));
    key_hold_answered(&h, 'y', 1000);
    for (long long t = 1300; t <= 4000; t += 300)
        assert_true(key_hold_arrived(&h, 'y', t)); /* held for 3 s */
    /* 3700 was the last copy: 1099 ms later still held, restarting */
    assert_true(key_hold_arrived(&h, 'y', 3700 + KEY_RELEASE_MS - 1));
    long long last = 3700 + KEY_RELEASE_MS - 1;
    /* a deliberate press after the window: let go, not held */
    assert_false(key_hold_arrived(&h, 'y', last + KEY_RELEASE_MS));
    assert_int_equal(h.key, -1);
    assert_false(key_hold_arrived(&h, 'y', last + KEY_RELEASE_MS + 1));
    /* answered by Enter; a typed reason in between lets Enter go */
    key_hold_answered(&h, '\r', 10000);
    assert_true(key_hold_arrived(&h, '\r', 10200));
    assert_false(key_hold_arrived(&h, 'o', 10250));
    assert_false(key_hold_arrived(&h, '\r', 10300));
    /* an answer older than the last copy keeps the later time */
    key_hold_answered(&h, 'n', 20000);
    assert_true(key_hold_arrived(&h, 'n', 20500));
    key_hold_answered(&h, 'n', 20100);
    assert_int_equal(h.at, 20500);
    assert_true(key_hold_arrived(&h, 'n', 20500 + KEY_RELEASE_MS - 1));
}

/* Ctrl-C, Ctrl-\ and Ctrl-Z act on every screen (the terminal layer reads
 * them): every screen's help lists them, from their table, with what each
 * does, and the table holds exactly the keys ui/term.c turns into signals
 * (0x03 SIGINT, 0x1c SIGQUIT, 0x1a SIGTSTP). */
static void test_help_lists_signal_keys(void **state)
{
    (void)state;
    const keymap *maps[] = {&keys_sites, &keys_walk, &keys_journal,
                            &keys_form, &keys_runs, &keys_walk_ro};
    for (size_t m = 0; m < sizeof maps / sizeof *maps; m++) {
        text_lines l = {0};
        keymap_help_all(maps[m], &l);
        assert_true(has_line(&l, "Ctrl-C             Leave at once, as SIGINT"));
        assert_true(has_line(&l, "Ctrl-\\             Leave at once, as SIGQUIT"));
        assert_true(has_line(&l, "Ctrl-Z             Stop the console"));
        text_lines_free(&l);
    }
    assert_int_equal(keys_signals.n, 3);
    assert_int_equal(keymap_lookup(&keys_signals, 0x03), ACT_SIG_INT);
    assert_int_equal(keymap_lookup(&keys_signals, 0x1c), ACT_SIG_QUIT);
    assert_int_equal(keymap_lookup(&keys_signals, 0x1a), ACT_SIG_STOP);
    assert_int_equal(keys_parse("Ctrl-\\"), 0x1c);
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
        cmocka_unit_test(test_help_all_from_tables),
        cmocka_unit_test(test_editor_keys_are_the_table),
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_help_lists_cleanup_keys),
        cmocka_unit_test(test_key_still_held),
        cmocka_unit_test(test_key_hold_sequence),
        cmocka_unit_test(test_help_lists_signal_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
