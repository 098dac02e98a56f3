/* test_ui_edit.c - the line editor on a buffer, no terminal. */
#include <curses.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "edit.h"
#include "keys.h"

static void type(line_edit *ed, const unsigned *cps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(edit_key(ed, (int)cps[i]), EDIT_CHANGED);
}

static void test_insert_and_move(void **state)
{
    (void)state;
    line_edit ed;
    edit_init(&ed, "", 0);
    const unsigned abc[] = {'a', 'c'};
    type(&ed, abc, 2);
    assert_int_equal(edit_key(&ed, UI_FN(KEY_LEFT)), EDIT_MOVED);
    assert_int_equal(edit_key(&ed, 'b'), EDIT_CHANGED);
    assert_string_equal(ed.buf, "abc");
    assert_int_equal(ed.cur, 2);
    edit_key(&ed, UI_CTRL('A'));
    assert_int_equal(ed.cur, 0);
    edit_key(&ed, UI_FN(KEY_END));
    assert_int_equal(ed.cur, 3);
    edit_key(&ed, UI_FN(KEY_HOME));
    edit_key(&ed, UI_FN(KEY_DC));
    assert_string_equal(ed.buf, "bc");
}

static void test_utf8_editing(void **state)
{
    (void)state;
    line_edit ed;
    edit_init(&ed, "", 0);
    const unsigned z[] = {'Z', 0xFC, 'r', 0x65E5};  /* Zür日 */
    type(&ed, z, 4);
    assert_string_equal(ed.buf, "Z\xc3\xbcr\xe6\x97\xa5");
    edit_key(&ed, UI_FN(KEY_LEFT));
    edit_key(&ed, UI_FN(KEY_LEFT));
    assert_int_equal(ed.cur, 3); /* before "r", after the 2-byte ü */
    assert_int_equal(edit_key(&ed, 127), EDIT_CHANGED); /* Backspace */
    assert_string_equal(ed.buf, "Zr\xe6\x97\xa5");
    assert_int_equal(ed.cur, 1);
    /* a combining mark goes with its base character */
    edit_init(&ed, "e\xcc\x81x", 0);
    edit_key(&ed, UI_FN(KEY_LEFT));
    edit_key(&ed, UI_FN(KEY_LEFT));
    assert_int_equal(ed.cur, 0);
    edit_key(&ed, UI_FN(KEY_DC));
    assert_string_equal(ed.buf, "x");
}

static void test_kills(void **state)
{
    (void)state;
    line_edit ed;
    edit_init(&ed, "disk full on D", 0);
    assert_int_equal(edit_key(&ed, UI_CTRL('W')), EDIT_CHANGED);
    assert_string_equal(ed.buf, "disk full on ");
    edit_key(&ed, UI_CTRL('A'));
    edit_key(&ed, UI_FN(KEY_RIGHT));
    edit_key(&ed, UI_CTRL('K'));
    assert_string_equal(ed.buf, "d");
    edit_key(&ed, UI_CTRL('U'));
    assert_string_equal(ed.buf, "");
    assert_int_equal(ed.len, 0);
    /* nothing to erase: not a change */
    assert_int_equal(edit_key(&ed, 127), EDIT_MOVED);
}

static void test_accept_cancel_ignored(void **state)
{
    (void)state;
    line_edit ed;
    edit_init(&ed, "x", 0);
    assert_int_equal(edit_key(&ed, '\r'), EDIT_ACCEPT);
    assert_int_equal(edit_key(&ed, UI_FN(KEY_ENTER)), EDIT_ACCEPT);
    assert_int_equal(edit_key(&ed, UI_ESC), EDIT_CANCEL);
    assert_int_equal(edit_key(&ed, UI_FN(KEY_F(5))), EDIT_IGNORED);
    assert_int_equal(edit_key(&ed, UI_CTRL('L')), EDIT_IGNORED);
    /* control and bidi code points are never inserted */
    assert_false(edit_insert(&ed, 0x202E));
    assert_false(edit_insert(&ed, 0x9B));
    assert_string_equal(ed.buf, "x");
}

static void test_max_and_init_cut(void **state)
{
    (void)state;
    line_edit ed;
    edit_init(&ed, "ab", 3);
    assert_true(edit_insert(&ed, 'c'));
    assert_false(edit_insert(&ed, 'd'));
    assert_false(edit_insert(&ed, 0xFC));
    assert_string_equal(ed.buf, "abc");
    /* an initial text cut at a character boundary, not inside ü */
    edit_init(&ed, "a\xc3\xbc", 2);
    assert_string_equal(ed.buf, "a");
}

static void test_paste_keeps_or_folds_lines(void **state)
{
    (void)state;
    line_edit ed;
    /* a reason or note keeps its lines: CR, LF and CRLF are one break */
    edit_init(&ed, "", 0);
    assert_true(edit_paste(&ed, "one\r\ntwo\rthree\nfour", true));
    assert_string_equal(ed.buf, "one\ntwo\nthree\nfour");
    assert_int_equal(ed.cur, ed.len);
    /* one line: breaks become spaces, a trailing one is dropped, a tab is
     * a space and other control characters (an ESC of a key sequence)
     * never get in */
    edit_init(&ed, "[]", 0);
    edit_key(&ed, UI_FN(KEY_LEFT));
    assert_true(edit_paste(&ed, "a\r\nb\tc\x1b[Ad\n", false));
    assert_string_equal(ed.buf, "[a b c[Ad]");
    /* whole characters only: what does not fit is left out, and said */
    edit_init(&ed, "", 4);
    assert_false(edit_paste(&ed, "ab\xc3\xbc\xc3\xbc", false));
    assert_string_equal(ed.buf, "ab\xc3\xbc");
    /* the buffer of a multi-line text moves over a break like a char */
    edit_init(&ed, "", 0);
    edit_paste(&ed, "x\ny", true);
    edit_key(&ed, UI_FN(KEY_LEFT));
    edit_key(&ed, 127);
    assert_string_equal(ed.buf, "xy");
}

static void test_view_keeps_cursor_visible(void **state)
{
    (void)state;
    line_edit ed;
    edit_init(&ed, "0123456789", 0);
    size_t start, col;
    edit_view(&ed, 20, &start, &col);
    assert_int_equal(start, 0);
    assert_int_equal(col, 10);
    edit_view(&ed, 5, &start, &col);
    assert_true(col < 5);
    assert_int_equal(start + col, 10);
    edit_key(&ed, UI_FN(KEY_HOME));
    edit_view(&ed, 5, &start, &col);
    assert_int_equal(start, 0);
    assert_int_equal(col, 0);
    /* wide characters: the cursor column counts columns, not bytes */
    edit_init(&ed, "\xe6\x97\xa5\xe6\x97\xa5", 0);
    edit_view(&ed, 10, &start, &col);
    assert_int_equal(col, 4);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_and_move),
        cmocka_unit_test(test_utf8_editing),
        cmocka_unit_test(test_kills),
        cmocka_unit_test(test_accept_cancel_ignored),
        cmocka_unit_test(test_max_and_init_cut),
        cmocka_unit_test(test_view_keeps_cursor_visible),
        cmocka_unit_test(test_paste_keeps_or_folds_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
