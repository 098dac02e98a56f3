/* runs_view.c - the Cleanups screen: every cleanup run, newest first, as
 * `sitesweep runs` lists them (K7Q #2, state, times, operators, item
 * counts), filtered as you type; Enter opens one in the walkthrough (a
 * finished one read-only). Reads only journal_runs_list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "review.h"
#include "ui.h"

typedef struct runs_view {
    run_summary *rows; /* every run, newest first */
    size_t n;          /* number of rows */
    size_t *vis;       /* indices of the rows that pass the filter */
    size_t nvis;       /* number of those */
    int cur;           /* cursor, index into vis */
    int top;           /* first visible entry of vis */
    filter_bar filter; /* the / filter */
    bool unread;       /* the last read failed: the rows are older ones */
} runs_view;

/* The operators of r, ", "-separated, into buf. */
static void operators_text(const run_summary *r, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->noperators && at + 1 < n; i++) {
        int w = snprintf(buf + at, n - at, "%s%s", i ? ", " : "",
                         r->operators[i]);
        if (w < 0)
            break;
        at += (size_t)w;
    }
}

static bool row_matches(const run_summary *r, const char *f)
{
    if (!f[0])
        return true;
    char run[32], ops[512];
    snprintf(run, sizeof run, "%s #%lld", r->site, (long long)r->number);
    operators_text(r, ops, sizeof ops);
    return text_contains_fold(run, f) || text_contains_fold(r->state, f) ||
           text_contains_fold(r->procedure_name, f) ||
           text_contains_fold(r->procedure, f) || /* its version (hash) */
           text_contains_fold(ops, f) || text_contains_fold(r->started, f) ||
           text_contains_fold(r->ended, f);
}

static void refilter(runs_view *v, int64_t keep_id)
{
    free(v->vis);
    v->vis = xcalloc(v->n ? v->n : 1, sizeof *v->vis);
    v->nvis = 0;
    int cur = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (!row_matches(&v->rows[i], v->filter.text))
            continue;
        if (keep_id && v->rows[i].id == keep_id)
            cur = (int)v->nvis;
        v->vis[v->nvis++] = i;
    }
    v->cur = cur;
}

static const run_summary *current(const runs_view *v)
{
    return v->nvis ? &v->rows[v->vis[v->cur]] : NULL;
}

static void runs_reload(ui *u, runs_view *v)
{
    const run_summary *r = current(v);
    int64_t keep = r ? r->id : 0;
    /* Unreadable now: what was read last stays on screen. */
    run_summary *rows = NULL;
    size_t n = 0;
    ss_err e = {{0}};
    v->unread = journal_runs_list(u->a->j, NULL, NULL, &rows, &n, &e) != 0;
    if (v->unread) {
        ui_error(u, "Cannot read the cleanups: %s", e.msg);
        run_summaries_free(rows, n);
    } else {
        run_summaries_free(v->rows, v->n);
        v->rows = rows;
        v->n = n;
    }
    refilter(v, keep);
}

/* Draws the cells of one row, each in its column. */
static void draw_row(int y, const runs_cols *c, const char *const cells[9],
                     ui_role r)
{
    const int w[9] = {c->run,     c->state,   c->procedure,
                      c->started, c->ended,   c->elapsed,
                      c->active,  c->items,   c->operators};
    int x = 0;
    draw_fill(y, 0, COLS, r);
    for (int i = 0; i < 9; i++) {
        if (w[i] <= 0)
            continue;
        draw_text(y, x, cells[i], i == 8 ? w[i] : w[i] - 1, r, false);
        x += w[i];
    }
}

static ui_role state_role(const run_summary *r)
{
    if (strcmp(r->state, "open") == 0)
        return ROLE_ACTIVE;
    if (strcmp(r->state, "complete") == 0)
        return ROLE_DONE;
    return ROLE_SKIPPED;
}

static void runs_draw(ui *u, screen *s)
{
    (void)u;
    runs_view *v = s->data;
    runs_cols c;
    layout_runs(COLS, &c);
    int top = ui_body_top(), rows = ui_body_rows() - 1;
    static const char *const heads[9] = {
        "Cleanup", "State",  "Procedure", "Started (UTC)", "Ended",
        "Elapsed", "Active", "d/s/f/na/open", "Operators"};
    draw_row(top, &c, heads, ROLE_HEADER);
    if (v->nvis == 0)
        draw_text(top + 2, 2,
                  v->n ? "No cleanup matches the filter (/ then Esc clears "
                         "it)."
                  : v->unread ? "The cleanups cannot be read now (the "
                                "status line says why)."
                       : "No cleanups yet: open a site on Sites (Tab) to "
                         "start one.",
                  COLS - 4, ROLE_NA, false);
    v->top = layout_scroll(v->top, v->cur, rows);
    for (int i = 0; i < rows && (size_t)(v->top + i) < v->nvis; i++) {
        const run_summary *r = &v->rows[v->vis[v->top + i]];
        char run[32], started[32], ended[32], el[24], ac[24], items[64],
            ops[512];
        snprintf(run, sizeof run, "%s #%lld", r->site, (long long)r->number);
        text_time(r->started, false, started, sizeof started);
        if (r->ended[0])
            text_time(r->ended, false, ended, sizeof ended);
        else
            snprintf(ended, sizeof ended, "-");
        timing_format(r->elapsed, el, sizeof el);
        timing_format(r->active, ac, sizeof ac);
        snprintf(items, sizeof items, "%zu/%zu/%zu/%zu/%zu", r->done,
                 r->skipped, r->failed, r->na, r->open);
        operators_text(r, ops, sizeof ops);
        const char *cells[9] = {run, r->state, r->procedure_name, started,
                                ended, el, ac, items, ops};
        draw_row(top + 1 + i, &c, cells,
                 v->top + i == v->cur ? ROLE_CURSOR : state_role(r));
    }
    filter_draw(&v->filter);
}

static ui_result runs_handle(ui *u, screen *s, int key)
{
    runs_view *v = s->data;
    int page = ui_body_rows() - 2 > 1 ? ui_body_rows() - 2 : 1;
    if (v->filter.active) {
        if (filter_key(&v->filter, key) != FILTER_OTHER)
            refilter(v, 0);
        return UI_STAY;
    }
    switch (keymap_lookup(&keys_runs, key)) {
    case ACT_UP: v->cur--; break;
    case ACT_DOWN: v->cur++; break;
    case ACT_PAGE_UP: v->cur -= page; break;
    case ACT_PAGE_DOWN: v->cur += page; break;
    case ACT_HOME: v->cur = 0; break;
    case ACT_END: v->cur = (int)v->nvis - 1; break;
    case ACT_FILTER: filter_start(u, &v->filter, key); break;
    case ACT_BACK: return UI_BACK;
    case ACT_OPEN_RUN: {
        const run_summary *r = current(v);
        if (!r)
            return UI_STAY;
        char code[4];
        snprintf(code, sizeof code, "%s", r->site);
        return walk_open(u, code, r->id);
    }
    default: break;
    }
    if (v->cur >= (int)v->nvis)
        v->cur = (int)v->nvis - 1;
    if (v->cur < 0)
        v->cur = 0;
    return UI_STAY;
}

static bool runs_paste(ui *u, screen *s, const char *text)
{
    (void)u;
    runs_view *v = s->data;
    if (!v->filter.active)
        return false;
    filter_paste(&v->filter, text);
    refilter(v, 0);
    return true;
}

static bool runs_typing(const screen *s)
{
    const runs_view *v = s->data;
    return v->filter.active;
}

static void runs_resume(ui *u, screen *s)
{
    runs_reload(u, s->data);
}

static void runs_destroy(screen *s)
{
    runs_view *v = s->data;
    run_summaries_free(v->rows, v->n);
    free(v->vis);
    free(v);
}

static const screen_ops runs_ops = {
    .name = "Cleanups",
    .keys = &keys_runs,
    .draw = runs_draw,
    .handle = runs_handle,
    .paste = runs_paste,
    .typing = runs_typing,
    .resume = runs_resume,
    .destroy = runs_destroy,
};

screen *runs_screen_new(ui *u)
{
    runs_view *v = xcalloc(1, sizeof *v);
    runs_reload(u, v);
    return screen_new(&runs_ops, v);
}
