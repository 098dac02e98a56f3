/* help.c - a scrolling page of text: the help of a screen (generated from
 * its key table) and the whole of one journal event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "ui.h"

typedef struct pager {
    char *title;      /* first row of the body */
    text_lines lines; /* the text, unescaped */
    bool wrap;        /* help: lines wider than the terminal are wrapped */
    text_lines shown; /* with wrap: lines as wrapped for shown_cols */
    int shown_cols;   /* the width shown was made for, 0 for none yet */
    int top;          /* first visible line (of shown with wrap) */
} pager;

/* The column a key's description starts at in a help line
 * ("  %-18s %s", keymap_help). */
#define HELP_DESC_COL 21

/* Wraps one help line into out at cols columns: a key line's description
 * continues under the description column; any other line under its own
 * indentation. */
static void help_wrap_line(const char *line, size_t cols, text_lines *out)
{
    size_t lead = strspn(line, " ");
    bool key_line = lead == 2 && strlen(line) > HELP_DESC_COL &&
                    line[HELP_DESC_COL - 1] == ' ' &&
                    line[HELP_DESC_COL] != ' ';
    size_t indent = key_line ? HELP_DESC_COL : lead;
    if (indent + 16 > cols) /* too narrow to indent: use the whole width */
        indent = 0;
    if (!line[0] || text_wrap(line, cols, indent, out) == 0)
        text_lines_add(out, "", 0);
}

/* The lines to show: with wrap, made again when the terminal's width
 * changed (the top line stays where it is; draw clamps it). */
static const text_lines *pager_lines(pager *p)
{
    if (!p->wrap)
        return &p->lines;
    if (p->shown_cols != COLS) {
        text_lines_free(&p->shown);
        p->shown_cols = COLS;
        for (size_t i = 0; i < p->lines.n; i++)
            help_wrap_line(p->lines.v[i], COLS > 1 ? (size_t)COLS : 1,
                           &p->shown);
    }
    return &p->shown;
}

static void pager_draw(ui *u, screen *s)
{
    (void)u;
    pager *p = s->data;
    const text_lines *l = pager_lines(p);
    int top = ui_body_top(), rows = ui_body_rows() - 1;
    draw_text(top, 0, p->title, COLS, ROLE_HEADER, true);
    /* More lines than fit: the last row says which are shown, as the
     * walkthrough's detail pane does, so a cut help never looks whole. */
    bool more = (int)l->n > rows && rows > 1;
    if (more)
        rows--;
    int max = (int)l->n - rows;
    if (p->top > max)
        p->top = max;
    if (p->top < 0)
        p->top = 0;
    for (int i = 0; i < rows && (size_t)(p->top + i) < l->n; i++)
        draw_text(top + 1 + i, 0, l->v[p->top + i], COLS, ROLE_NORMAL,
                  false);
    if (more) {
        int last = p->top + rows;
        char *m = xasprintf("-- lines %d-%d of %zu: PgUp/PgDn, Space or "
                            "j/k scroll --", p->top + 1, last, l->n);
        if ((int)text_width_escaped(m) > COLS) { /* narrow: keep the keys */
            free(m);
            m = xasprintf("-- %d-%d of %zu: PgDn/j --", p->top + 1, last,
                          l->n);
        }
        draw_text(top + 1 + rows, 0, m, COLS, ROLE_KEY, false);
        free(m);
    }
}

static ui_result pager_handle(ui *u, screen *s, int key)
{
    (void)u;
    pager *p = s->data;
    int page = ui_body_rows() - 2 > 1 ? ui_body_rows() - 2 : 1;
    switch (keymap_lookup(&keys_pager, key)) {
    case ACT_BACK: return UI_BACK;
    case ACT_UP: p->top--; break;
    case ACT_DOWN: p->top++; break;
    case ACT_PAGE_UP: p->top -= page; break;
    case ACT_PAGE_DOWN: p->top += page; break;
    case ACT_HOME: p->top = 0; break;
    case ACT_END: p->top = (int)pager_lines(p)->n; break;
    default: break;
    }
    if (p->top < 0)
        p->top = 0;
    return UI_STAY;
}

static void pager_destroy(screen *s)
{
    pager *p = s->data;
    free(p->title);
    text_lines_free(&p->lines);
    text_lines_free(&p->shown);
    free(p);
}

static const screen_ops help_ops = {
    .name = "Help",
    .keys = &keys_pager,
    .draw = pager_draw,
    .handle = pager_handle,
    .resume = NULL,
    .destroy = pager_destroy,
};

static const screen_ops pager_ops = {
    .name = "Event",
    .keys = &keys_pager,
    .draw = pager_draw,
    .handle = pager_handle,
    .resume = NULL,
    .destroy = pager_destroy,
};

static screen *pager_new(const screen_ops *ops, const char *title,
                         text_lines *lines)
{
    pager *p = xcalloc(1, sizeof *p);
    p->title = xstrdup(title);
    p->lines = *lines;
    memset(lines, 0, sizeof *lines);
    return screen_new(ops, p);
}

screen *pager_screen_new(const char *title, text_lines *lines)
{
    return pager_new(&pager_ops, title, lines);
}

static const screen_ops message_ops = {
    .name = "Message",
    .keys = &keys_pager,
    .draw = pager_draw,
    .handle = pager_handle,
    .resume = NULL,
    .destroy = pager_destroy,
};

screen *message_screen_new(const char *msg)
{
    text_lines l = {0};
    text_wrap(msg, (size_t)(COLS > 2 ? COLS - 2 : 1), 0, &l);
    return pager_new(&message_ops, "The status message, whole:", &l);
}

screen *help_screen_new(const keymap *m)
{
    /* All of it from the key tables: what is listed is what acts. */
    text_lines l = {0};
    keymap_help_all(m, &l);
    char *title = xasprintf("Help: %s", m->screen);
    screen *s = pager_new(&help_ops, title, &l);
    ((pager *)s->data)->wrap = true; /* never cut at a narrow terminal */
    free(title);
    return s;
}
