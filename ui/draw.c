/* draw.c - the frame every screen shares (title bar, key hints, status
 * line), the too-small notice, and text drawing helpers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

screen *screen_new(const screen_ops *ops, void *data)
{
    screen *s = xcalloc(1, sizeof *s);
    s->ops = ops;
    s->data = data;
    return s;
}

static void set_msg(ui *u, ui_role r, const char *fmt, va_list ap)
{
    vsnprintf(u->msg, sizeof u->msg, fmt, ap);
    u->msg_role = r;
}

void ui_info(ui *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_msg(u, ROLE_INFO, fmt, ap);
    va_end(ap);
}

void ui_error(ui *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_msg(u, ROLE_ERROR, fmt, ap);
    va_end(ap);
}

int ui_body_top(void) { return 1; }
int ui_body_rows(void) { return LINES - 3 > 0 ? LINES - 3 : 0; }

int draw_text(int y, int x, const char *s, int cols, ui_role r, bool pad)
{
    if (cols <= 0 || y < 0 || y >= LINES || x >= COLS)
        return 0;
    if (x + cols > COLS)
        cols = COLS - x;
    /* Outside a UTF-8 locale curses would draw a UTF-8 byte as a cell or
     * two of its own, pushing the columns after it: one '?' each. */
    char *a = term_utf8() ? NULL : text_ascii(s);
    char *t = text_crop(a ? a : s, (size_t)cols, term_ellipsis());
    free(a);
    int w = (int)text_width(t);
    attrset(term_attr(r));
    mvaddstr(y, x, t);
    if (pad)
        for (int i = w; i < cols; i++)
            mvaddch(y, x + i, ' ');
    attrset(A_NORMAL);
    free(t);
    return pad ? cols : w;
}

void draw_fill(int y, int x, int cols, ui_role r)
{
    draw_text(y, x, "", cols, r, true);
}

/* Box-drawing glyphs: Unicode in a UTF-8 locale, else ASCII. */
enum { G_H, G_V, G_TL, G_TR, G_BL, G_BR, G_COUNT };
static const char *glyph(int g)
{
    static const char *const uni[G_COUNT] = {"\u2500", "\u2502", "\u250c",
                                             "\u2510", "\u2514", "\u2518"};
    static const char *const asc[G_COUNT] = {"-", "|", "+", "+", "+", "+"};
    return term_utf8() ? uni[g] : asc[g];
}

void draw_hline(int y, int x, int n, ui_role r)
{
    attrset(term_attr(r));
    for (int i = 0; i < n && x + i < COLS; i++)
        mvaddstr(y, x + i, glyph(G_H));
    attrset(A_NORMAL);
}

void draw_vline(int y, int x, int n, ui_role r)
{
    attrset(term_attr(r));
    for (int i = 0; i < n && y + i < LINES; i++)
        mvaddstr(y + i, x, glyph(G_V));
    attrset(A_NORMAL);
}

void draw_box(int h, int w, const char *title, int *top, int *left)
{
    if (w > COLS)
        w = COLS;
    if (h > LINES)
        h = LINES;
    int y = (LINES - h) / 2, x = (COLS - w) / 2;
    for (int i = 0; i < h; i++)
        draw_fill(y + i, x, w, ROLE_DIALOG);
    draw_hline(y, x + 1, w - 2, ROLE_DIALOG);
    draw_hline(y + h - 1, x + 1, w - 2, ROLE_DIALOG);
    draw_vline(y + 1, x, h - 2, ROLE_DIALOG);
    draw_vline(y + 1, x + w - 1, h - 2, ROLE_DIALOG);
    attrset(term_attr(ROLE_DIALOG));
    mvaddstr(y, x, glyph(G_TL));
    mvaddstr(y, x + w - 1, glyph(G_TR));
    mvaddstr(y + h - 1, x, glyph(G_BL));
    mvaddstr(y + h - 1, x + w - 1, glyph(G_BR));
    attrset(A_NORMAL);
    if (title && *title) {
        char *t = xasprintf(" %s ", title);
        draw_text(y, x + 2, t, w - 4, ROLE_DIALOG, false);
        free(t);
    }
    *top = y;
    *left = x;
}

/* The status line: the message on the left, the journal and operator on
 * the right. The message always wins: it is never cut for the label, and
 * the label is drawn only where at least 20 columns are left after the
 * message and a separator (" | " in a rule glyph), so the two never run
 * together or overwrite each other. A message too wide for the line says
 * how to read it whole: "m: whole message" where m shows it, else (the
 * form: m is text there) it is wrapped onto the key-hint row above, cut
 * only when two rows cannot hold it. While a filter is typed (its bar is
 * that row) it is cut, to be read whole with m once the bar closes. */
static void draw_status(ui *u)
{
    int y = LINES - 1;
    draw_fill(y, 0, COLS, ROLE_STATUS);
    char *where = xasprintf("%s | operator %s",
                            u->a->journal_path ? u->a->journal_path : "?",
                            u->a->operator_name ? u->a->operator_name : "?");
    int ww = (int)text_width_escaped(where);
    int used = 0;
    screen *s = u->top;
    bool typing = s && s->ops->typing && s->ops->typing(s);
    bool whole = s && !typing &&
                 keymap_lookup(s->ops->keys, 'm') == ACT_MESSAGE;
    int mw = u->msg[0] ? (int)text_width_escaped(u->msg) : 0;
    if (mw > COLS && whole) {
        const char *more = "  m: whole message";
        int morew = (int)strlen(more);
        used = draw_text(y, 0, u->msg, COLS - morew, u->msg_role, false);
        used += draw_text(y, used, more, morew, ROLE_STATUS, false);
    } else if (mw > COLS && !typing) {
        /* No message key here (a form): two rows, the hint row given up
         * for it, cut only beyond them. */
        text_lines l = {0};
        text_wrap(u->msg, (size_t)COLS, 0, &l);
        strbuf rest = {0};
        sb_puts(&rest, "");
        for (size_t i = 1; i < l.n; i++)
            sb_printf(&rest, "%s%s", i > 1 ? " " : "", l.v[i]);
        draw_fill(y - 1, 0, COLS, ROLE_NORMAL);
        draw_text(y - 1, 0, l.n ? l.v[0] : "", COLS, u->msg_role, false);
        used = draw_text(y, 0, rest.s, COLS, u->msg_role, false);
        sb_free(&rest);
        text_lines_free(&l);
    } else if (u->msg[0]) {
        used = draw_text(y, 0, u->msg, COLS, u->msg_role, false);
    }
    /* message, two spaces, the separator, a space, the label, a space */
    int room = used ? COLS - used - 5 : COLS - 2;
    if (room >= 20) {
        int w = ww < room ? ww : room;
        int x = COLS - w - 1;
        if (used)
            draw_text(y, x - 2, term_utf8() ? "\u2502" : "|", 1, ROLE_STATUS,
                      false);
        draw_text(y, x, where, w, ROLE_STATUS, false);
    }
    free(where);
}

void ui_paint(ui *u)
{
    curs_set(0);
    erase();
    if (term_too_small()) {
        char notice[96];
        snprintf(notice, sizeof notice,
                 "terminal too small (%dx%d), need %dx%d", COLS, LINES,
                 TERM_MIN_COLS, TERM_MIN_ROWS);
        draw_text(0, 0, notice, COLS, ROLE_NORMAL, false);
        return;
    }
    screen *s = u->top;
    char *title = xasprintf("sitesweep %s  %s", SITESWEEP_VERSION,
                            s ? s->ops->name : "");
    draw_text(0, 0, title, COLS, ROLE_TITLE, true);
    free(title);
    if (s) {
        char *hints = keymap_hints(s->ops->keys, (size_t)COLS);
        draw_text(LINES - 2, 0, hints, COLS, ROLE_KEY, false);
        free(hints);
    }
    draw_status(u);
    if (s)
        s->ops->draw(u, s);
}

int ui_key(ui *u)
{
    for (;;) {
        int k = 0;
        const char *text = NULL;
        term_event ev = term_key(&k, &text);
        if (ev == TERM_SIGNAL) {
            u->quit = true;
            return UI_KEY_QUIT;
        }
        if (ev == TERM_RESIZE)
            return UI_KEY_RESIZE;
        if (ev == TERM_IDLE)
            return UI_KEY_CHANGED;
        if (ev == TERM_HELD)
            return UI_KEY_HELD;
        if (ev == TERM_NOTICE) { /* input discarded: say so, repaint */
            ui_info(u, "%s", text);
            return UI_KEY_RESIZE;
        }
        if (term_too_small())
            continue;
        if (ev == TERM_PASTE) {
            if (term_paste_result() == TERM_PASTE_CANCELLED &&
                term_paste_owed())
                ui_info(u, "Paste cancelled: the rest of it is discarded "
                           "when it arrives (Esc stops waiting)");
            size_t nc = term_paste_controls();
            if (nc && term_paste_result() == TERM_PASTE_WHOLE)
                ui_info(u, "Left out %zu control character%s or escape "
                           "sequence%s of the paste (a paste is text, never "
                           "keys)",
                        nc, nc == 1 ? "" : "s", nc == 1 ? "" : "s");
            u->paste = text;
            return UI_KEY_PASTE;
        }
        u->paste = NULL;
        return k;
    }
}

void ui_writing(ui *u) { u->wrote = true; }

void ui_written(ui *u)
{
    if (!u->wrote)
        return;
    u->wrote = false;
    size_t n = ui_flush(u);
    if (!n)
        return;
    size_t len = strlen(u->msg);
    snprintf(u->msg + len, sizeof u->msg - len,
             "%s(ignored %zu key%s typed while writing to the journal)",
             len ? " " : "", n, n == 1 ? "" : "s");
}

size_t ui_ask_begin(ui *u, const char *what)
{
    size_t n = term_ask_begin(what);
    u->paste = NULL;
    if (term_signalled())
        u->quit = true;
    return n;
}

void ui_ask_end(ui *u)
{
    (void)u;
    term_ask_end();
}

size_t ui_flush(ui *u)
{
    size_t n = term_flush();
    u->paste = NULL;
    if (term_signalled())
        u->quit = true;
    return n;
}
