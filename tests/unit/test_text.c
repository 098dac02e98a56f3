/* test_text.c - cropping and wrapping by display columns. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"
#include "util.h"

static void test_width(void **state)
{
    (void)state;
    assert_int_equal(text_width("abc"), 3);
    assert_int_equal(text_width("Zürich"), 6);
    assert_int_equal(text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* 日本 */
    assert_int_equal(text_width("e\xcc\x81"), 1); /* e + combining acute */
}

static void test_fit_never_splits(void **state)
{
    (void)state;
    size_t used = 99;
    /* "日本" is 2+2 columns: 3 columns hold only the first (3 bytes). */
    assert_int_equal(text_fit("\xe6\x97\xa5\xe6\x9c\xac", 3, &used), 3);
    assert_int_equal(used, 2);
    /* a combining mark stays with its base character */
    assert_int_equal(text_fit("ae\xcc\x81x", 2, &used), 4);
    assert_int_equal(used, 2);
    assert_int_equal(text_fit("abc", 0, &used), 0);
    assert_int_equal(text_fit("ab", 10, &used), 2);
}

static void test_crop(void **state)
{
    (void)state;
    char *s = text_crop("San Francisco", 8, "~");
    assert_string_equal(s, "San Fra~");
    free(s);
    s = text_crop("short", 8, "~");
    assert_string_equal(s, "short");
    free(s);
    /* wide characters: 5 columns hold 日本 and the ellipsis, not 日本語 */
    s = text_crop("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5, "~");
    assert_string_equal(s, "\xe6\x97\xa5\xe6\x9c\xac~");
    free(s);
    /* escapes are never passed through raw, and count in the width */
    s = text_crop("a\033[31mb", 40, "~");
    assert_string_equal(s, "a\\x1B[31mb");
    assert_null(strchr(s, '\033'));
    free(s);
    s = text_crop("x\xe2\x80\xaey", 40, "~"); /* U+202E RLO */
    assert_string_equal(s, "x\\u202Ey");
    free(s);
}

static void test_wrap_words(void **state)
{
    (void)state;
    text_lines l = {0};
    size_t n = text_wrap("the quick brown fox jumps", 10, 0, &l);
    assert_int_equal(n, 3);
    assert_string_equal(l.v[0], "the quick");
    assert_string_equal(l.v[1], "brown fox");
    assert_string_equal(l.v[2], "jumps");
    text_lines_free(&l);
}

static void test_wrap_long_word_and_indent(void **state)
{
    (void)state;
    text_lines l = {0};
    text_wrap("HKLM\\Software\\Microsoft\\SMS x", 10, 2, &l);
    assert_true(l.n >= 3);
    assert_string_equal(l.v[0], "HKLM\\"); /* after a separator, not inside */
    for (size_t i = 1; i < l.n; i++) {
        assert_memory_equal(l.v[i], "  ", 2);
        assert_true(text_width(l.v[i]) <= 10);
    }
    text_lines_free(&l);
}

static void test_wrap_newlines_and_controls(void **state)
{
    (void)state;
    text_lines l = {0};
    size_t n = text_wrap("one\n\ntwo\tthree\033", 40, 0, &l);
    assert_int_equal(n, 3);
    assert_string_equal(l.v[0], "one");
    assert_string_equal(l.v[1], "");
    assert_string_equal(l.v[2], "two three\\x1B");
    text_lines_free(&l);
}

static void test_wrap_wide(void **state)
{
    (void)state;
    text_lines l = {0};
    /* five 2-column characters in 3 columns: one per line, never split */
    text_wrap("\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5\xe6\x97\xa5",
              3, 0, &l);
    assert_int_equal(l.n, 5);
    for (size_t i = 0; i < l.n; i++)
        assert_string_equal(l.v[i], "\xe6\x97\xa5");
    text_lines_free(&l);
    /* narrower than one character: still makes progress */
    text_wrap("\xe6\x97\xa5\xe6\x97\xa5", 1, 0, &l);
    assert_int_equal(l.n, 2);
    text_lines_free(&l);
}

static void test_time(void **state)
{
    (void)state;
    char b[32];
    text_time("2026-11-27T02:20:24.123Z", false, b, sizeof b);
    assert_string_equal(b, "2026-11-27 02:20");
    text_time("2026-11-27T02:20:24.123Z", true, b, sizeof b);
    assert_string_equal(b, "2026-11-27 02:20:24");
    text_time("", true, b, sizeof b);
    assert_string_equal(b, "");
}

static void test_fold_all_of_unicode(void **state)
{
    (void)state;
    assert_true(text_contains_fold("Z\xc3\xbcrich Lab", "Z\xc3\x9cRICH"));
    assert_true(text_contains_fold("Z\xc3\x9cRICH", "z\xc3\xbcrich"));
    /* Greek and Cyrillic, beyond Latin-1 */
    assert_true(text_contains_fold("\xce\x91\xce\x98\xce\x97\xce\x9d\xce\x91",
                                   "\xce\xb8\xce\xb7\xce\xbd"));
    assert_true(text_contains_fold("\xd0\x9c\xd0\x9e\xd0\xa1\xd0\x9a\xd0\x92\xd0\x90",
                                   "\xd0\xbc\xd0\xbe\xd1\x81"));
    assert_false(text_contains_fold("Zurich", "Z\xc3\xbcrich"));
    assert_true(text_contains_fold("anything", ""));
    /* malformed bytes compare as themselves and never match a letter */
    assert_true(text_contains_fold("a\xff" "B", "\xff" "b"));
    assert_false(text_contains_fold("a\xff" "B", "ab"));
}

static void test_ascii_one_cell_per_character(void **state)
{
    (void)state;
    char *a = text_ascii("M\xc3\xbcnchen");
    assert_string_equal(a, "M?nchen");
    free(a);
    a = text_ascii("\xe6\x9d\xb1\xe4\xba\xac X"); /* two CJK characters */
    assert_string_equal(a, "?? X");
    free(a);
    a = text_ascii("a\xff\xfe");
    assert_string_equal(a, "a??");
    free(a);
}

static void test_wrap_path_at_separator(void **state)
{
    (void)state;
    text_lines l = {0};
    text_wrap("see HKEY_LOCAL_MACHINE/System/Services/SMS_Executive now", 30,
              0, &l);
    assert_string_equal(l.v[0], "see");
    assert_string_equal(l.v[1], "HKEY_LOCAL_MACHINE/System/");
    assert_string_equal(l.v[2], "Services/SMS_Executive now");
    text_lines_free(&l);
}

static void test_wrap_command_at_separators(void **state)
{
    (void)state;
    text_lines l = {0};
    const char *cmd = "reg delete \"\\\\SRV-K7Q\\HKLM\\System\\CurrentControlSet"
                      "\\Services\\SMS_Executive\" /f";
    size_t n = text_wrap_command(cmd, 30, 4, "+", &l);
    assert_int_equal(n, l.n);
    assert_true(n >= 3);
    strbuf whole = {0};
    for (size_t i = 0; i < l.n; i++) {
        const char *s = l.v[i];
        assert_true(text_width(s) <= 30);
        size_t len = strlen(s);
        if (i + 1 < l.n) {
            /* every continued line ends with the mark, right after a
             * space or a separator: never inside a name */
            assert_true(len >= 2 && s[len - 1] == '+');
            assert_true(s[len - 2] == ' ' || s[len - 2] == '\\');
            sb_add(&whole, s + (i ? 4 : 0), len - 1 - (i ? 4 : 0));
        } else {
            assert_int_not_equal(s[len - 1], '+');
            assert_true(i == 0 || strncmp(s, "    ", 4) == 0);
            sb_puts(&whole, s + (i ? 4 : 0));
        }
    }
    assert_string_equal(whole.s, cmd); /* nothing lost or added */
    sb_free(&whole);
    text_lines_free(&l);
    /* fits: one line, no mark */
    assert_int_equal(text_wrap_command("preinst /deljob:MUC", 30, 4, "+", &l), 1);
    assert_string_equal(l.v[0], "preinst /deljob:MUC");
    text_lines_free(&l);
    /* a word longer than a line is cut, still marked */
    text_wrap_command("abcdefghijklmnopqrstuvwxyz", 10, 0, "+", &l);
    assert_string_equal(l.v[0], "abcdefghi+");
    assert_string_equal(l.v[2], "stuvwxyz");
    text_lines_free(&l);
}

/* The one set of rules for what a field may hold (writers and verify). */
static void test_rule_check(void **state)
{
    (void)state;
    char why[160];
    const char *ok = "caf\xc3\xa9 \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80 \"q\" 'x' C:\\temp";
    assert_int_equal(text_rule_check(ok, strlen(ok), false, 4096, why,
                                     sizeof why), 0);
    assert_int_equal(text_rule_check("a\nb", 3, true, 10, why, sizeof why), 0);
    /* refused, and why: text, length, lines allowed, limit, reason */
    static const struct {
        const char *s;
        size_t n;
        bool lines;
        const char *why;
    } bad[] = {
        {"a\nb", 3, false, "control or bidirectional character U+000A at byte 2"},
        {"red \x1b[31m", 9, true, "control or bidirectional character U+001B at byte 5"},
        {"a\tb", 3, true, "control or bidirectional character U+0009 at byte 2"},
        {"a\r\nb", 4, true, "control or bidirectional character U+000D at byte 2"},
        {"x\xe2\x80\xaey", 5, true, "control or bidirectional character U+202E at byte 2"},
        {"\xc2\x9b", 2, true, "control or bidirectional character U+009B at byte 1"},
        {"caf\xe9", 4, true, "not valid UTF-8 (byte 0xE9 at byte 4)"},
        {"a\0b", 3, true, "control or bidirectional character U+0000 at byte 2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(text_rule_check(bad[i].s, bad[i].n, bad[i].lines,
                                         10, why, sizeof why), 1);
        assert_string_equal(why, bad[i].why);
    }
    assert_int_equal(text_rule_check("abcde", 5, true, 5, why, sizeof why), 0);
    assert_int_equal(text_rule_check("abcdef", 6, true, 5, why, sizeof why), 1);
    assert_string_equal(why, "6 bytes long (at most 5)");
}

static void test_event_check(void **state)
{
    (void)state;
    text_event ev = {"2026-11-30T05:00:00.123Z", "tester", "h1", "K7Q", "4b.2",
                     "done", "two\nlines", "", 9, 0};
    const char *f = NULL;
    char why[160];
    assert_int_equal(text_event_check(&ev, &f, why, sizeof why), 0);
    text_event bad = ev;
    bad.note = "x\x1b";
    bad.note_len = 2;
    assert_int_equal(text_event_check(&bad, &f, why, sizeof why), 1);
    assert_string_equal(f, "note");
    assert_string_equal(why, "control or bidirectional character U+001B at byte 2");
    /* the program's own notes are one line */
    bad = ev;
    bad.kind = "handover";
    assert_int_equal(text_event_check(&bad, &f, why, sizeof why), 1);
    assert_string_equal(f, "note");
    bad.note = "taken over from a on b";
    bad.note_len = strlen(bad.note);
    assert_int_equal(text_event_check(&bad, &f, why, sizeof why), 0);
    /* one field wrong at a time: refused, naming that field */
    static const struct {
        const char *field, *value;
    } wrong[] = {
        {"kind", "run-started"}, /* a kind without a note, with one */
        {"site", "k7q"},
        {"item", "0123456789abcdef"},
        {"ts", "2026-11-30 05:00"},
        {"operator", ""},
        {"host", "h\xe2\x81\xa6"},
        {"kind", "deleted"},
        {"data", "{\"a\":\"\x1b\"}"},
    };
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        bad = ev;
        const char *v = wrong[i].value;
        if (strcmp(wrong[i].field, "kind") == 0) bad.kind = v;
        if (strcmp(wrong[i].field, "site") == 0) bad.site = v;
        if (strcmp(wrong[i].field, "item") == 0) bad.item = v;
        if (strcmp(wrong[i].field, "ts") == 0) bad.ts = v;
        if (strcmp(wrong[i].field, "operator") == 0) bad.operator_name = v;
        if (strcmp(wrong[i].field, "host") == 0) bad.host = v;
        if (strcmp(wrong[i].field, "data") == 0) {
            bad.data = v;
            bad.data_len = strlen(v);
        }
        const char *want = strcmp(v, "run-started") == 0 ? "note"
                                                          : wrong[i].field;
        assert_int_equal(text_event_check(&bad, &f, why, sizeof why), 1);
        assert_string_equal(f, want);
    }
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_fit_never_splits),
        cmocka_unit_test(test_crop),
        cmocka_unit_test(test_wrap_words),
        cmocka_unit_test(test_wrap_long_word_and_indent),
        cmocka_unit_test(test_wrap_newlines_and_controls),
        cmocka_unit_test(test_wrap_wide),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_fold_all_of_unicode),
        cmocka_unit_test(test_ascii_one_cell_per_character),
        cmocka_unit_test(test_wrap_command_at_separators),
        cmocka_unit_test(test_wrap_path_at_separator),
        cmocka_unit_test(test_rule_check),
        cmocka_unit_test(test_event_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
