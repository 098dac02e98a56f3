/* edit.c - the line editor's buffer operations. Moves step over whole
 * characters: a code point and the combining marks after it. */
#include "edit.h"

#include <curses.h>
#include <string.h>

#include "keys.h"
#include "text.h"
#include "util.h"

/* Width of the code point at byte i (1 for a malformed byte). */
static size_t cp_at(const char *s, size_t n, size_t i, size_t *w)
{
    unsigned cp;
    size_t k = utf8_decode(s + i, n - i, &cp);
    if (k == 0) {
        *w = 1;
        return 1;
    }
    *w = text_cp_width(cp);
    return k;
}

/* Start of the character after byte i (skipping combining marks). */
static size_t next_char(const line_edit *ed, size_t i)
{
    size_t w;
    if (i >= ed->len)
        return ed->len;
    i += cp_at(ed->buf, ed->len, i, &w);
    while (i < ed->len) {
        size_t k = cp_at(ed->buf, ed->len, i, &w);
        if (w != 0)
            break;
        i += k;
    }
    return i;
}

/* Start of the character before byte i. */
static size_t prev_char(const line_edit *ed, size_t i)
{
    size_t p = 0, q = 0;
    while (q < i) {
        p = q;
        q = next_char(ed, q);
    }
    return p;
}

void edit_init(line_edit *ed, const char *text, size_t max)
{
    memset(ed, 0, sizeof *ed);
    ed->max = max && max < EDIT_CAP ? max : EDIT_CAP;
    size_t n = text ? strlen(text) : 0, i = 0;
    while (i < n) {
        unsigned cp;
        size_t k = utf8_decode(text + i, n - i, &cp);
        if (k == 0 || i + k > ed->max)
            break;
        i += k;
    }
    memcpy(ed->buf, text ? text : "", i);
    ed->buf[i] = '\0';
    ed->len = ed->cur = i;
}

bool edit_insert(line_edit *ed, unsigned cp)
{
    char u[4];
    size_t k = cp_is_unsafe(cp) ? 0 : utf8_encode(cp, u);
    if (k == 0)
        return false;
    if (ed->len + k > ed->max)
        return false;
    memmove(ed->buf + ed->cur + k, ed->buf + ed->cur, ed->len - ed->cur + 1);
    memcpy(ed->buf + ed->cur, u, k);
    ed->len += k;
    ed->cur += k;
    return true;
}

/* Inserts bytes u[0..k) at the cursor when they fit. */
static bool insert_bytes(line_edit *ed, const char *u, size_t k)
{
    if (ed->len + k > ed->max)
        return false;
    memmove(ed->buf + ed->cur + k, ed->buf + ed->cur, ed->len - ed->cur + 1);
    memcpy(ed->buf + ed->cur, u, k);
    ed->len += k;
    ed->cur += k;
    return true;
}

bool edit_paste(line_edit *ed, const char *text, bool multiline)
{
    size_t n = strlen(text), i = 0;
    /* A copied line often ends in a line break: on one line it is no
     * space. */
    while (!multiline && n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    while (i < n) {
        unsigned cp;
        size_t k = utf8_decode(text + i, n - i, &cp);
        if (k == 0) {
            i++;
            continue;
        }
        bool ok = true;
        if (cp == '\r' || cp == '\n') {
            if (cp == '\r' && i + 1 < n && text[i + 1] == '\n')
                k++;
            ok = insert_bytes(ed, multiline ? "\n" : " ", 1);
        } else if (cp == '\t') {
            ok = insert_bytes(ed, " ", 1);
        } else if (!cp_is_unsafe(cp)) {
            ok = insert_bytes(ed, text + i, k);
        }
        if (!ok)
            return false;
        i += k;
    }
    return true;
}

void edit_left(line_edit *ed) { ed->cur = prev_char(ed, ed->cur); }
void edit_right(line_edit *ed) { ed->cur = next_char(ed, ed->cur); }
void edit_home(line_edit *ed) { ed->cur = 0; }
void edit_end(line_edit *ed) { ed->cur = ed->len; }

/* Removes bytes [a, b). */
static bool cut(line_edit *ed, size_t a, size_t b)
{
    if (a >= b)
        return false;
    memmove(ed->buf + a, ed->buf + b, ed->len - b + 1);
    ed->len -= b - a;
    if (ed->cur >= b)
        ed->cur -= b - a;
    else if (ed->cur > a)
        ed->cur = a;
    return true;
}

bool edit_backspace(line_edit *ed)
{
    return cut(ed, prev_char(ed, ed->cur), ed->cur);
}

bool edit_delete(line_edit *ed)
{
    return cut(ed, ed->cur, next_char(ed, ed->cur));
}

bool edit_kill_before(line_edit *ed) { return cut(ed, 0, ed->cur); }
bool edit_kill_after(line_edit *ed) { return cut(ed, ed->cur, ed->len); }

bool edit_kill_word(line_edit *ed)
{
    size_t i = ed->cur;
    while (i > 0 && ed->buf[i - 1] == ' ')
        i--;
    while (i > 0 && ed->buf[i - 1] != ' ')
        i--;
    return cut(ed, i, ed->cur);
}

edit_result edit_key(line_edit *ed, int key)
{
    bool ch;
    switch (keymap_lookup(&keys_edit, key)) {
    case ACT_ED_ACCEPT: return EDIT_ACCEPT;
    case ACT_ED_CANCEL: return EDIT_CANCEL;
    case ACT_ED_LEFT: edit_left(ed); return EDIT_MOVED;
    case ACT_ED_RIGHT: edit_right(ed); return EDIT_MOVED;
    case ACT_ED_HOME: edit_home(ed); return EDIT_MOVED;
    case ACT_ED_END: edit_end(ed); return EDIT_MOVED;
    case ACT_ED_BACKSPACE: ch = edit_backspace(ed); break;
    case ACT_ED_DELETE: ch = edit_delete(ed); break;
    case ACT_ED_KILL_BEFORE: ch = edit_kill_before(ed); break;
    case ACT_ED_KILL_AFTER: ch = edit_kill_after(ed); break;
    case ACT_ED_KILL_WORD: ch = edit_kill_word(ed); break;
    default:
        if (key & UI_FN_BIT || key < 0x20 || key == 0x7f)
            return EDIT_IGNORED;
        ch = edit_insert(ed, (unsigned)key);
        break;
    }
    return ch ? EDIT_CHANGED : EDIT_MOVED;
}

void edit_view(const line_edit *ed, size_t cols, size_t *start,
               size_t *cursor_col)
{
    size_t w, col = 0;
    if (cols == 0)
        cols = 1;
    /* Width from each start to the cursor; the first start that leaves
     * the cursor inside the field (on its last column at most) wins. */
    size_t s = 0;
    while (1) {
        col = 0;
        for (size_t i = s; i < ed->cur;)
            i += cp_at(ed->buf, ed->len, i, &w), col += w;
        if (col < cols || s >= ed->cur)
            break;
        s = next_char(ed, s);
    }
    *start = s;
    *cursor_col = col;
}
