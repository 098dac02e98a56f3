/* prompt.c - modal dialogs (confirm, text, message, pick) and the filter
 * bar. Each dialog repaints the screen behind it and then itself, so a
 * resize at any moment redraws everything. */
#include <stdlib.h>
#include <string.h>

#include "ui.h"

/* Width of a dialog for text of width tw. */
static int dialog_width(size_t tw)
{
    int w = (int)tw + 6;
    if (w < 44)
        w = 44;
    if (w > 72)
        w = 72;
    if (w > COLS - 2)
        w = COLS - 2;
    return w;
}

/* Draws a box holding the wrapped text and extra empty rows; returns the
 * first row after the text and the box's left column and width. */
static int dialog_frame(const char *title, const char *text, int extra,
                        int *left, int *width)
{
    curs_set(0);
    int w = dialog_width(str_width(text));
    text_lines l = {0};
    text_wrap(text, (size_t)(w - 4), 0, &l);
    int maxlines = LINES - 4 - extra;
    int nl = (int)l.n < maxlines ? (int)l.n : (maxlines > 0 ? maxlines : 0);
    int top, x;
    draw_box(nl + extra + 2, w, title, &top, &x);
    for (int i = 0; i < nl; i++)
        draw_text(top + 1 + i, x + 2, l.v[i], w - 4, ROLE_DIALOG, false);
    text_lines_free(&l);
    *left = x;
    *width = w;
    return top + 1 + nl;
}

bool prompt_confirm(ui *u, const char *question, bool dflt)
{
    for (;;) {
        ui_paint(u);
        if (!term_too_small()) {
            int x, w;
            int y = dialog_frame("Confirm", question, 2, &x, &w);
            draw_text(y + 1, x + 2, dflt ? "y/Enter: yes   n/Esc: no"
                                         : "y: yes   n/Enter/Esc: no",
                      w - 4, ROLE_DIALOG, false);
        }
        refresh();
        int k = ui_key(u);
        switch (k) {
        case UI_KEY_QUIT: return false;
        case 'y': case 'Y': return true;
        case 'n': case 'N': case UI_ESC: case 'q': return false;
        case '\n': case '\r': case UI_FN(KEY_ENTER): return dflt;
        default: break;
        }
    }
}

/* Draws an edit field at y, x of cols columns and places the cursor. */
static void draw_field(const line_edit *ed, int y, int x, int cols,
                       ui_role r, bool cursor)
{
    size_t start, cc;
    edit_view(ed, (size_t)cols, &start, &cc);
    draw_text(y, x, ed->buf + start, cols, r, true);
    if (cursor) {
        curs_set(1);
        move(y, x + (int)cc);
    }
}

int prompt_line(ui *u, const char *title, const char *label,
                const char *initial, bool required, char *out, size_t n)
{
    line_edit ed;
    edit_init(&ed, initial, n - 1 < EDIT_CAP ? n - 1 : EDIT_CAP);
    const char *err = "";
    for (;;) {
        ui_paint(u);
        if (!term_too_small()) {
            int x, w;
            int y = dialog_frame(title, label, 4, &x, &w);
            draw_text(y + 2, x + 2, err[0] ? err : "Enter: record   Esc: cancel",
                      w - 4, err[0] ? ROLE_ERROR : ROLE_DIALOG, false);
            draw_field(&ed, y, x + 2, w - 4, ROLE_CURSOR, true);
        }
        refresh();
        int k = ui_key(u);
        if (k == UI_KEY_QUIT)
            return 0;
        if (k == UI_KEY_RESIZE)
            continue;
        edit_result r = edit_key(&ed, k);
        if (r == EDIT_CANCEL)
            return 0;
        if (r == EDIT_CHANGED)
            err = "";
        if (r != EDIT_ACCEPT)
            continue;
        char *t = str_trim(ed.buf);
        if (required && *t == '\0') {
            err = "This may not be empty (Esc cancels)";
            continue;
        }
        snprintf(out, n, "%s", t);
        return 1;
    }
}

void prompt_message(ui *u, const char *title, const char *text)
{
    for (;;) {
        ui_paint(u);
        if (!term_too_small()) {
            int x, w;
            int y = dialog_frame(title, text, 2, &x, &w);
            draw_text(y + 1, x + 2, "Press Enter", w - 4, ROLE_DIALOG, false);
        }
        refresh();
        int k = ui_key(u);
        if (k == UI_KEY_QUIT || k == '\n' || k == '\r' || k == UI_ESC ||
            k == UI_FN(KEY_ENTER) || k == 'q' || k == ' ')
            return;
    }
}

int prompt_pick(ui *u, const char *title, const char *const *items,
                size_t n, int sel)
{
    if (n == 0)
        return -1;
    if (sel < 0 || (size_t)sel >= n)
        sel = 0;
    for (;;) {
        ui_paint(u);
        if (!term_too_small()) {
            int h = (int)n + 2 < LINES - 2 ? (int)n + 2 : LINES - 2;
            int top, x, rows = h - 2;
            draw_box(h, 36, title, &top, &x);
            int first = sel >= rows ? sel - rows + 1 : 0;
            for (int i = 0; i < rows && first + i < (int)n; i++) {
                bool cur = first + i == sel;
                char *line = xasprintf("%s %s", cur ? ">" : " ",
                                       items[first + i]);
                draw_text(top + 1 + i, x + 1, line, 34,
                          cur ? ROLE_CURSOR : ROLE_DIALOG, true);
                free(line);
            }
        }
        refresh();
        int k = ui_key(u);
        switch (k) {
        case UI_KEY_QUIT: case UI_ESC: case 'q': return -1;
        case '\n': case '\r': case UI_FN(KEY_ENTER): return sel;
        case 'k': case UI_FN(KEY_UP): if (sel > 0) sel--; break;
        case 'j': case UI_FN(KEY_DOWN): if ((size_t)sel + 1 < n) sel++; break;
        case 'g': case UI_FN(KEY_HOME): sel = 0; break;
        case 'G': case UI_FN(KEY_END): sel = (int)n - 1; break;
        default: break;
        }
    }
}

void filter_start(filter_bar *f)
{
    f->active = true;
    edit_init(&f->ed, f->text, EDIT_CAP);
}

filter_result filter_key(filter_bar *f, int key)
{
    edit_result r = edit_key(&f->ed, key);
    switch (r) {
    case EDIT_ACCEPT:
        f->active = false;
        return FILTER_KEPT;
    case EDIT_CANCEL:
        f->active = false;
        f->text[0] = '\0';
        return FILTER_CLEARED;
    case EDIT_CHANGED:
        snprintf(f->text, sizeof f->text, "%s", f->ed.buf);
        return FILTER_CHANGED;
    default:
        return FILTER_OTHER;
    }
}

void filter_draw(const filter_bar *f)
{
    int y = LINES - 2;
    if (f->active) {
        draw_fill(y, 0, COLS, ROLE_NORMAL);
        draw_text(y, 0, "/", 1, ROLE_KEY, false);
        draw_field(&f->ed, y, 1, COLS - 1, ROLE_NORMAL, true);
    } else if (f->text[0]) {
        char *t = xasprintf("filter: %s   (/ to change, / then Esc to clear)",
                            f->text);
        draw_text(y, 0, t, COLS, ROLE_KEY, true);
        free(t);
    }
}
