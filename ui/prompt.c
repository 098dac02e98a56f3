/* prompt.c - modal dialogs (confirm, text, message, pick) and the filter
 * bar. Each dialog repaints the screen behind it and then itself, so a
 * resize at any moment redraws everything. */
#include <stdlib.h>
#include <string.h>

#include "ui.h"

/* Width of a dialog for text of width tw, at least minw. */
static int dialog_width(size_t tw, int minw)
{
    int w = (int)tw + 6;
    if (w < minw)
        w = minw;
    if (w > 72)
        w = 72;
    if (w > COLS - 2)
        w = COLS - 2;
    return w;
}

/* Draws a box (at least minw wide) holding the wrapped text and extra
 * empty rows; returns the first row after the text and the box's left
 * column and width. */
static int dialog_frame(const char *title, const char *text, int extra,
                        int minw, int *left, int *width)
{
    curs_set(0);
    int w = dialog_width(text_width_escaped(text), minw);
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

/* How long a key may take to come again, right after it came into a
 * question, to count as held down: a key repeating fast is not pressed
 * for the question even the first time. Slower repeats, and a key still
 * held from before the question opened (the key that opened it, or the
 * last answer), are the held-key rule's (KEY_RELEASE_MS in keys.h,
 * applied by term_key while the question is open). */
#define HELD_MS 150

/* Why a dialog did not take input as an answer, said under its text. */
typedef enum dialog_why {
    WHY_NONE,    /* nothing to say */
    WHY_EARLY,   /* keys typed before it opened were dropped */
    WHY_PASTE,   /* a paste came */
    WHY_HELD,    /* a key held down came */
} dialog_why;

/* What a dialog says for why (dropped: keys dropped as it opened; what:
 * the dialog, "question", "prompt" or "message") into buf; "" when
 * nothing. */
static void dialog_note(char *buf, size_t n, dialog_why why, size_t dropped,
                        const char *what)
{
    switch (why) {
    case WHY_HELD:
        snprintf(buf, n, "Ignored a key held down: release it and press "
                         "it again.");
        break;
    case WHY_PASTE:
        snprintf(buf, n, "A paste is not an answer: nothing was recorded.");
        break;
    case WHY_EARLY:
        snprintf(buf, n, "Ignored %zu key%s typed before this %s.",
                 dropped, dropped == 1 ? "" : "s", what);
        break;
    default:
        buf[0] = '\0';
        break;
    }
}

/* WHY_EARLY when keys were dropped, else WHY_NONE. */
static dialog_why early(size_t dropped)
{
    return dropped ? WHY_EARLY : WHY_NONE;
}

/* The dialog's text with its note, if any. Caller frees. */
static char *with_note(const char *text, const char *note)
{
    return note[0] ? xasprintf("%s\n\n%s", text, note) : xstrdup(text);
}

/* prompt_confirm, once the question is open (dropped: keys discarded). */
static bool confirm_open(ui *u, const char *question, bool dflt,
                         size_t dropped)
{
    dialog_why why = early(dropped);
    for (;;) {
        if (u->quit)
            return false;
        ui_paint(u);
        if (!term_too_small()) {
            int x, w;
            char note[96];
            dialog_note(note, sizeof note, why, dropped, "question");
            char *text = with_note(question, note);
            int y = dialog_frame("Confirm", text, 2, 44, &x, &w);
            free(text);
            draw_text(y + 1, x + 2, dflt ? "y/Enter: yes   n/Esc: no"
                                         : "y: yes   n/Enter/Esc: no",
                      w - 4, ROLE_DIALOG, false);
        }
        refresh();
        int k = ui_key(u);
        if (k == UI_KEY_QUIT)
            return false;
        if (k == UI_KEY_PASTE) {
            why = WHY_PASTE;
            continue;
        }
        if (k == UI_KEY_HELD) {
            why = WHY_HELD;
            continue;
        }
        ui_action a = keymap_lookup(&keys_confirm, k);
        if (a != ACT_NONE && term_repeats(k, HELD_MS)) {
            /* a key the terminal repeats is held, not pressed for this
             * question (the first repeat may come after it opened) */
            why = WHY_HELD;
            continue;
        }
        switch (a) {
        case ACT_ANS_YES: return true;
        case ACT_ANS_NO: return false;
        case ACT_ANS_DEFAULT: return dflt;
        default: break;
        }
    }
}

bool prompt_confirm(ui *u, const char *question, bool dflt)
{
    size_t dropped = ui_ask_begin(u, "question");
    bool yes = confirm_open(u, question, dflt, dropped);
    ui_ask_end(u);
    return yes;
}

/* prompt_choice, once the dialog is open (dropped: keys discarded). */
static int choice_open(ui *u, const char *title, const char *text,
                       const char *choices, const char *keys, size_t dropped)
{
    dialog_why why = early(dropped);
    for (;;) {
        if (u->quit)
            return -1;
        ui_paint(u);
        if (!term_too_small()) {
            int x, w;
            char note[96];
            dialog_note(note, sizeof note, why, dropped, "question");
            char *t = with_note(text, note);
            int y = dialog_frame(title, t, 2, (int)text_width_escaped(choices) + 6,
                                 &x, &w);
            free(t);
            draw_text(y + 1, x + 2, choices, w - 4, ROLE_DIALOG, false);
        }
        refresh();
        int k = ui_key(u);
        if (k == UI_KEY_QUIT || k == UI_ESC || k == 'q')
            return -1;
        if (k == UI_KEY_PASTE) {
            why = WHY_PASTE;
            continue;
        }
        if (k == UI_KEY_HELD) {
            why = WHY_HELD;
            continue;
        }
        if (k <= 0 || k > 0x7f || !strchr(keys, k))
            continue;
        if (term_repeats(k, HELD_MS)) {
            why = WHY_HELD;
            continue;
        }
        return k;
    }
}

int prompt_choice(ui *u, const char *title, const char *text,
                  const char *choices, const char *keys)
{
    size_t dropped = ui_ask_begin(u, "question");
    int k = choice_open(u, title, text, choices, keys, dropped);
    ui_ask_end(u);
    return k;
}

/* Draws an edit field at y, x of cols columns and places the cursor. A
 * line break in the text shows as one column (a return arrow, or | in
 * ASCII), the column edit_view counts for it. */
static void draw_field(const line_edit *ed, int y, int x, int cols,
                       ui_role r, bool cursor)
{
    size_t start, cc;
    edit_view(ed, (size_t)cols, &start, &cc);
    strbuf b = {0};
    sb_puts(&b, "");
    for (const char *p = ed->buf + start; *p; p++) {
        if (*p == '\n')
            sb_puts(&b, term_utf8() ? "\xe2\x86\xb5" : "|");
        else
            sb_putc(&b, *p);
    }
    draw_text(y, x, b.s, cols, r, true);
    sb_free(&b);
    if (cursor) {
        curs_set(1);
        move(y, x + (int)cc);
    }
}

/* The note a text entry keeps showing once keys the operator typed at
 * it were dropped (n of them: typed ahead, in its first moments as an
 * acting key, held down, or while the console was stopped), until its
 * text is recorded or cancelled: the text may lack them. */
void drop_note_text(char *buf, size_t len, size_t n, const char *enter)
{
    snprintf(buf, len, "%zu key%s typed here %s dropped (typed too soon, "
             "held down, or while stopped): check the text; the first %s "
             "after a drop records nothing.", n, n == 1 ? "" : "s",
             n == 1 ? "was" : "were", enter);
}

void drop_check(drop_watch *d)
{
    size_t now = term_discarded();
    d->dropped += now - d->seen;
    d->seen = now;
}

bool drop_confirmed(drop_watch *d)
{
    drop_check(d);
    if (d->dropped == d->confirmed)
        return true;
    d->confirmed = d->dropped;
    return false;
}

/* prompt_line and prompt_text once the prompt is open (dropped: keys
 * discarded): multiline keeps a paste's line breaks. */
static int edit_open(ui *u, const char *title, const char *label,
                     const char *initial, bool required, bool multiline,
                     char *out, size_t n, size_t dropped)
{
    line_edit ed;
    edit_init(&ed, initial, n - 1 < EDIT_CAP ? n - 1 : EDIT_CAP);
    const char *err = "";
    char note[96];
    dialog_note(note, sizeof note, early(dropped), dropped, "prompt");
    drop_watch dw = {dropped, 0, term_discarded()};
    char dnote[320], derr[160];
    for (;;) {
        if (u->quit)
            return 0;
        ui_paint(u);
        drop_check(&dw);
        if (dw.dropped) {
            /* after the word about the last drop, while there is one */
            size_t k = note[0] ? (size_t)snprintf(dnote, sizeof dnote,
                                                   "%s ", note) : 0;
            drop_note_text(dnote + k, sizeof dnote - k, dw.dropped, "Enter");
        }
        if (!term_too_small()) {
            int x, w;
            char *text = with_note(label, dw.dropped ? dnote : note);
            int y = dialog_frame(title, text, 4, multiline ? 72 : 44, &x, &w);
            free(text);
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
        if (k == UI_KEY_HELD) {
            dialog_note(note, sizeof note, WHY_HELD, 0, "prompt");
            continue;
        }
        if (k == UI_KEY_PASTE) {
            if (term_paste_result() == TERM_PASTE_CANCELLED)
                err = "Paste cancelled: nothing of it was put in";
            else if (term_paste_result() == TERM_PASTE_TOO_LONG)
                err = "Paste too long: nothing of it was put in";
            else
                err = edit_paste(&ed, u->paste, multiline)
                          ? ""
                          : "The paste was cut: the field is full";
            continue;
        }
        edit_result r = edit_key(&ed, k);
        if (r == EDIT_CANCEL)
            return 0;
        if (r == EDIT_CHANGED) {
            err = "";
            note[0] = '\0'; /* a key was taken: the word about keys
                              * left out before it is old */
        }
        if (r != EDIT_ACCEPT)
            continue;
        char *t = str_trim(ed.buf);
        if (required && !text_has_visible(t)) {
            err = "This may not be empty (Esc cancels)";
            continue;
        }
        if (!drop_confirmed(&dw)) {
            /* the text may lack keys the operator typed: recorded only
             * as shown, once seen */
            snprintf(derr, sizeof derr, "%zu key%s dropped: check the "
                     "text; Enter again records it as shown", dw.dropped,
                     dw.dropped == 1 ? "" : "s");
            err = derr;
            continue;
        }
        snprintf(out, n, "%s", t);
        return 1;
    }
}

static int prompt_edit(ui *u, const char *title, const char *label,
                       const char *initial, bool required, bool multiline,
                       char *out, size_t n)
{
    size_t dropped = ui_ask_begin(u, "prompt");
    term_ask_text();
    int r = edit_open(u, title, label, initial, required, multiline, out, n,
                      dropped);
    ui_ask_end(u);
    return r;
}

int prompt_line(ui *u, const char *title, const char *label,
                const char *initial, bool required, char *out, size_t n)
{
    return prompt_edit(u, title, label, initial, required, false, out, n);
}

int prompt_text(ui *u, const char *title, const char *label,
                const char *initial, bool required, char *out, size_t n)
{
    return prompt_edit(u, title, label, initial, required, true, out, n);
}

/* prompt_message once the dialog is open (dropped: keys discarded). */
static void message_open(ui *u, const char *title, const char *text,
                         size_t dropped)
{
    dialog_why why = early(dropped);
    for (;;) {
        if (u->quit)
            return;
        ui_paint(u);
        if (!term_too_small()) {
            int x, w;
            char note[96];
            dialog_note(note, sizeof note, why, dropped, "message");
            char *t = with_note(text, note);
            int y = dialog_frame(title, t, 2, 44, &x, &w);
            free(t);
            draw_text(y + 1, x + 2, "Press Enter", w - 4, ROLE_DIALOG, false);
        }
        refresh();
        int k = ui_key(u);
        if (k == UI_KEY_PASTE)
            why = WHY_PASTE;
        if (k == UI_KEY_HELD)
            why = WHY_HELD;
        if (k == UI_KEY_QUIT || k == '\n' || k == '\r' || k == UI_ESC ||
            k == UI_FN(KEY_ENTER) || k == 'q' || k == ' ')
            return;
    }
}

void prompt_message(ui *u, const char *title, const char *text)
{
    size_t dropped = ui_ask_begin(u, "message");
    message_open(u, title, text, dropped);
    ui_ask_end(u);
}

/* prompt_pick once the list is open (dropped: keys discarded). */
static int pick_open(ui *u, const char *title, const char *const *items,
                     size_t n, int sel, size_t dropped)
{
    if (dropped)
        ui_info(u, "Ignored %zu key%s typed before this list opened",
                dropped, dropped == 1 ? "" : "s");
    for (;;) {
        if (u->quit)
            return -1;
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
        if (k == UI_KEY_HELD)
            ui_info(u, "Ignored a key held down: release it and press it "
                       "again");
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

int prompt_pick(ui *u, const char *title, const char *const *items,
                size_t n, int sel)
{
    if (n == 0)
        return -1;
    if (sel < 0 || (size_t)sel >= n)
        sel = 0;
    size_t dropped = ui_ask_begin(u, "list");
    int r = pick_open(u, title, items, n, sel, dropped);
    ui_ask_end(u);
    return r;
}

void filter_start(ui *u, filter_bar *f, int key)
{
    f->active = true;
    edit_init(&f->ed, f->text, EDIT_CAP);
    /* the bar shows while its opener is watched */
    ui_paint(u);
    refresh();
    size_t n = term_repeats(key, KEY_RELEASE_MS);
    if (n)
        ui_info(u, "Ignored a key held down: release it and press it "
                   "again (%zu cop%s of it not typed into the filter)",
                n, n == 1 ? "y" : "ies");
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

filter_result filter_paste(filter_bar *f, const char *text)
{
    edit_paste(&f->ed, text, false);
    snprintf(f->text, sizeof f->text, "%s", f->ed.buf);
    return FILTER_CHANGED;
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
