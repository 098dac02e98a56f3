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
#include "util.h"

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

/* Scans in (code points: UTF-8, a byte that is no UTF-8 as itself, as
 * ui/term.c reads them) from its first character, an introducer, until
 * the sequence is whole or aborts. Returns the last step (SEQ_MORE: the
 * input ended first) and in *used the characters taken. */
static seq_step scan(const char *in, seq_scan *s, size_t *used)
{
    size_t n = strlen(in), i = 0;
    unsigned cps[256] = {0};
    size_t ncp = 0;
    while (i < n && ncp < 256) {
        unsigned cp;
        size_t k = utf8_decode(in + i, n - i, &cp);
        if (k == 0) {
            cp = (unsigned char)in[i];
            k = 1;
        }
        cps[ncp++] = cp;
        i += k;
    }
    assert_true(ncp > 0 && seq_introducer(cps[0]));
    seq_begin(s, cps[0]);
    seq_step st = SEQ_MORE;
    *used = 1;
    for (size_t j = 1; j < ncp; j++) {
        st = seq_feed(s, cps[j]);
        if (st == SEQ_ABORT || st == SEQ_AGAIN)
            break;
        (*used)++;
        if (st == SEQ_DONE)
            break;
    }
    return st;
}

/* Every form of ECMA-48 sequence is taken whole, exactly as far as it
 * goes, whether in a paste or typed: no debris is left after it. */
static void test_seq_forms(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        seq_step st;   /* the last step */
        size_t used;   /* characters taken */
        seq_kind kind;
    } t[] = {
        {"\033[200~x", SEQ_DONE, 6, SEQ_CSI},
        {"\033[1;5Ax", SEQ_DONE, 6, SEQ_CSI},
        {"\033[?2004hx", SEQ_DONE, 8, SEQ_CSI},
        {"\033[ qx", SEQ_DONE, 4, SEQ_CSI},          /* intermediate */
        {"\033[12", SEQ_MORE, 4, SEQ_CSI},           /* unfinished */
        {"\033[1\rx", SEQ_ABORT, 3, SEQ_CSI},        /* a control ends it */
        {"\x9b" "6~x", SEQ_DONE, 3, SEQ_CSI},        /* 8-bit CSI */
        {"\xc2\x9b" "6~x", SEQ_DONE, 3, SEQ_CSI},    /* C1 as UTF-8 */
        {"\033[M !!x", SEQ_DONE, 6, SEQ_MOUSE},      /* X10 mouse */
        {"\033[M\xff\xfe\xfdx", SEQ_DONE, 6, SEQ_MOUSE},
        {"\033OBx", SEQ_DONE, 3, SEQ_SS},
        {"\033Nxy", SEQ_DONE, 3, SEQ_SS},
        {"\x8fQx", SEQ_DONE, 2, SEQ_SS},
        {"\033O\r", SEQ_ABORT, 2, SEQ_SS},
        {"\033]0;title\ax", SEQ_DONE, 10, SEQ_STRING},
        {"\033]52;c;aGk=\033\\x", SEQ_DONE, 13, SEQ_STRING},
        {"\033]0;t\xc2\x9cx", SEQ_DONE, 6, SEQ_STRING}, /* ST as UTF-8 */
        {"\033]0;t\x9cx", SEQ_DONE, 6, SEQ_STRING},     /* ST raw */
        {"\033Pq#0;2;0\033\\x", SEQ_DONE, 11, SEQ_STRING},
        {"\033P1$r\ax", SEQ_MORE, 7, SEQ_STRING},    /* BEL ends only OSC */
        {"\033_apc\033\\x", SEQ_DONE, 7, SEQ_STRING},
        /* an ESC that is no ST ends the string: read again from there */
        {"\033]0;t\033[201~", SEQ_AGAIN, 6, SEQ_STRING},
        {"\033^pm\x9cx", SEQ_DONE, 5, SEQ_STRING},
        {"\033Xsos\033\\x", SEQ_DONE, 7, SEQ_STRING},
        {"\x90" "dcs\x9cx", SEQ_DONE, 5, SEQ_STRING},
        {"\x9d" "0;t\ax", SEQ_DONE, 5, SEQ_STRING},
        {"\033cx", SEQ_DONE, 2, SEQ_ALT},            /* RIS, or Alt-c */
        {"\0337x", SEQ_DONE, 2, SEQ_ALT},
        {"\033yx", SEQ_DONE, 2, SEQ_ALT},
        {"\033\xc3\xa9x", SEQ_DONE, 2, SEQ_ALT},     /* Alt-é */
        {"\033(Bx", SEQ_DONE, 3, SEQ_NF},
        {"\033 #8x", SEQ_DONE, 4, SEQ_NF},
        {"\033\033[A", SEQ_ABORT, 1, SEQ_ESC},       /* Esc, then Up */
        {"\033\r", SEQ_ABORT, 1, SEQ_ESC},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        seq_scan s;
        size_t used;
        seq_step st = scan(t[i].in, &s, &used);
        if (st != t[i].st || used != t[i].used || s.kind != t[i].kind)
            fail_msg("case %zu: step %d used %zu kind %d", i, (int)st, used,
                     (int)s.kind);
    }
}

/* Typed keys: ESC starts only CSI, SS3 and OSC; ESC and any other
 * character is Alt and that key, or Esc typed fast before it (ESC / P is
 * Esc, "/" and "P", never an nF sequence that eats the P). */
static void test_seq_keys_mode(void **state)
{
    (void)state;
    static const struct {
        unsigned cp;
        seq_step st;
        seq_kind kind;
    } t[] = {
        {'[', SEQ_MORE, SEQ_CSI},   {'O', SEQ_MORE, SEQ_SS},
        {']', SEQ_MORE, SEQ_STRING}, {'/', SEQ_DONE, SEQ_ALT},
        {' ', SEQ_DONE, SEQ_ALT},   {'(', SEQ_DONE, SEQ_ALT},
        {'P', SEQ_DONE, SEQ_ALT},   {'N', SEQ_DONE, SEQ_ALT},
        {'_', SEQ_DONE, SEQ_ALT},   {'y', SEQ_DONE, SEQ_ALT},
        {0xE9, SEQ_DONE, SEQ_ALT},  {'\r', SEQ_ABORT, SEQ_ESC},
        {0x9B, SEQ_ABORT, SEQ_ESC}, {0x7F, SEQ_ABORT, SEQ_ESC},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        seq_scan s;
        seq_begin(&s, UI_ESC);
        s.keys = true;
        seq_step st = seq_feed(&s, t[i].cp);
        if (st != t[i].st || s.kind != t[i].kind)
            fail_msg("case %zu: step %d kind %d", i, (int)st, (int)s.kind);
        if (st == SEQ_DONE)
            assert_int_equal(s.last, t[i].cp);
    }
}

/* A string is bounded: past SEQ_STRING_MAX characters it ends, cut. */
static void test_seq_string_bound(void **state)
{
    (void)state;
    seq_scan s;
    seq_begin(&s, UI_ESC);
    assert_int_equal(seq_feed(&s, ']'), SEQ_MORE);
    size_t n = 1;
    while (seq_feed(&s, 'a') == SEQ_MORE)
        n++;
    assert_true(s.cut);
    assert_int_equal(n, SEQ_STRING_MAX);
}

/* Every key the tables know, whole, in SS3 and CSI forms, with and
 * without modifiers; a paste marker; anything else is no key. */
static void test_seq_keys(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int key;
        int mods;
    } t[] = {
        {"\033[A", KEY_UP, 0},        {"\033OA", KEY_UP, 0},
        {"\033[B", KEY_DOWN, 0},      {"\033OB", KEY_DOWN, 0},
        {"\033[C", KEY_RIGHT, 0},     {"\033OC", KEY_RIGHT, 0},
        {"\033[D", KEY_LEFT, 0},      {"\033OD", KEY_LEFT, 0},
        {"\033[H", KEY_HOME, 0},      {"\033OH", KEY_HOME, 0},
        {"\033[F", KEY_END, 0},       {"\033OF", KEY_END, 0},
        {"\033[1~", KEY_HOME, 0},     {"\033[7~", KEY_HOME, 0},
        {"\033[4~", KEY_END, 0},      {"\033[8~", KEY_END, 0},
        {"\033[5~", KEY_PPAGE, 0},    {"\033[6~", KEY_NPAGE, 0},
        {"\033[3~", KEY_DC, 0},       {"\033[2~", KEY_IC, 0},
        {"\033[Z", KEY_BTAB, 0},      {"\033OM", KEY_ENTER, 0},
        {"\033OP", KEY_F(1), 0},      {"\033OQ", KEY_F(2), 0},
        {"\033[12~", KEY_F(2), 0},    {"\033[24~", KEY_F(12), 0},
        {"\033[1;5A", KEY_UP, 4},     {"\033[1;2B", KEY_DOWN, 1},
        {"\033[6;5~", KEY_NPAGE, 4},  {"\033[1;3H", KEY_HOME, 2},
        {"\033[1;2Q", KEY_F(2), 1},   {"\033[1;1A", KEY_UP, 0},
        {"\x9b" "B", KEY_DOWN, 0},    {"\x9b" "6~", KEY_NPAGE, 0},
        {"\033[200~", SEQ_KEY_PASTE_BEGIN, 0},
        {"\033[201~", SEQ_KEY_PASTE_END, 0},
        {"\x9b" "200~", -1, 0},       /* markers only in their 7-bit form */
        {"\033[2A", -1, 0},           {"\033[?1A", -1, 0},
        {"\033[99~", -1, 0},          {"\033[1;5;7A", -1, 0},
        {"\033[ A", -1, 0},           {"\033Ox", -1, 0},
        {"\033]0;t\a", -1, 0},        {"\033y", -1, 0},
        {"\033[M !!", -1, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        seq_scan s;
        size_t used;
        assert_int_equal(scan(t[i].in, &s, &used), SEQ_DONE);
        int mods;
        int k = seq_key(&s, &mods);
        if (k != t[i].key || (k >= 0 && mods != t[i].mods))
            fail_msg("case %zu (%s): key %d mods %d", i, t[i].in + 1, k,
                     mods);
    }
    char name[32];
    seq_key_name(KEY_UP, 4, name, sizeof name);
    assert_string_equal(name, "Ctrl-Up");
    seq_key_name(KEY_F(5), 3, name, sizeof name);
    assert_string_equal(name, "Alt-Shift-F5");
    seq_key_name(KEY_IC, 0, name, sizeof name);
    assert_string_equal(name, "Insert");
}

/* Which unfinished starts are a paste marker's: then the rest of the
 * paste is discarded, not read as keys. */
static void test_seq_paste_prefix(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool prefix;
    } t[] = {
        {"\033", true},      {"\033[", true},      {"\033[2", true},
        {"\033[20", true},   {"\033[200", true},   {"\033[201", true},
        {"\033[1", false},   {"\033[202", false},  {"\033[21", false},
        {"\x9b" "20", false}, {"\033O", false},    {"\033]2", false},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        seq_scan s;
        size_t used;
        assert_int_equal(scan(t[i].in, &s, &used), SEQ_MORE);
        if (seq_paste_prefix(&s) != t[i].prefix)
            fail_msg("case %zu (%s)", i, t[i].in + 1);
    }
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
        cmocka_unit_test(test_seq_forms),
        cmocka_unit_test(test_seq_keys_mode),
        cmocka_unit_test(test_seq_string_bound),
        cmocka_unit_test(test_seq_keys),
        cmocka_unit_test(test_seq_paste_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
