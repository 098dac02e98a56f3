/* journal_view.c - the journal, newest first, paged by event id: only a
 * screenful plus one page of look-ahead is ever in memory, so a journal of
 * a million events pages as fast as one of ten. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "review.h"
#include "ui.h"

typedef struct jview {
    event *ev;       /* loaded events, newest first, from the top row */
    size_t n;        /* how many */
    int cur;         /* cursor row, index into ev */
    filter_bar filter; /* the / filter */
    bool unread;     /* the last read failed: the events are older ones */
} jview;

static int page_rows(void)
{
    int r = ui_body_rows() - 1;
    return r > 1 ? r : 1;
}

static event_filter filter_of(const jview *v)
{
    event_filter f = {NULL, 0, v->filter.text[0] ? v->filter.text : NULL};
    return f;
}

/* Loads a screenful and a page of look-ahead starting at event id top
 * (inclusive; 0 = the newest). */
static void jv_load(ui *u, jview *v, int64_t top)
{
    /* Unreadable now: the page read last stays on screen. */
    event *ev = NULL;
    size_t n = 0;
    event_filter f = filter_of(v);
    ss_err e = {{0}};
    v->unread = journal_events_page(u->a->j, &f, top ? top + 1 : 0, -1,
                                    2 * (size_t)page_rows(), &ev, &n,
                                    &e) != 0;
    if (v->unread) {
        ui_error(u, "Cannot read the journal: %s", e.msg);
        events_free(ev, n);
    } else {
        events_free(v->ev, v->n);
        v->ev = ev;
        v->n = n;
    }
    if (v->cur >= (int)v->n)
        v->cur = (int)v->n - 1;
    if (v->cur < 0)
        v->cur = 0;
}

/* The id of the event k rows above the top one (oldest-first query),
 * or 0 when there is none above. */
static int64_t id_above(ui *u, jview *v, int64_t from, size_t k)
{
    event_filter f = filter_of(v);
    event *ev = NULL;
    size_t n = 0;
    ss_err e = {{0}};
    if (journal_events_page(u->a->j, &f, from, 1, k, &ev, &n, &e) != 0) {
        ui_error(u, "Cannot read the journal: %s", e.msg);
        return 0;
    }
    int64_t id = n ? ev[n - 1].id : 0;
    events_free(ev, n);
    return id;
}

static ui_role kind_role(const char *kind)
{
    if (strcmp(kind, "done") == 0 || strcmp(kind, "run-completed") == 0)
        return ROLE_DONE;
    if (strcmp(kind, "skipped") == 0)
        return ROLE_SKIPPED;
    if (strcmp(kind, "failed") == 0)
        return ROLE_FAILED;
    return ROLE_NORMAL;
}

static void draw_cells(int y, const journal_cols *c, const char *const cell[6],
                       ui_role r)
{
    const int w[6] = {c->time, c->operator_name, c->site, c->item, c->kind,
                      c->note};
    int x = 0;
    draw_fill(y, 0, COLS, r);
    for (int i = 0; i < 6; i++) {
        draw_text(y, x, cell[i], i == 5 ? w[i] : w[i] - 1, r, false);
        x += w[i];
    }
}

static void jv_draw(ui *u, screen *s)
{
    (void)u;
    jview *v = s->data;
    journal_cols c;
    layout_journal(COLS, &c);
    int top = ui_body_top(), rows = page_rows();
    static const char *const heads[6] = {"Time (UTC)", "Operator", "Site",
                                         "Item", "Outcome", "Note"};
    draw_cells(top, &c, heads, ROLE_HEADER);
    if (v->n == 0)
        draw_text(top + 2, 2,
                  v->unread ? "The journal cannot be read now (the status "
                              "line says why)."
                  : v->filter.text[0] ? "No event matches the filter."
                                    : "The journal is empty.",
                  COLS - 4, ROLE_NA, false);
    for (int i = 0; i < rows && (size_t)i < v->n; i++) {
        const event *ev = &v->ev[i];
        char t[32], nb[128];
        text_time(ev->ts, c.seconds, t, sizeof t);
        /* a state change shows as "hung -> cleaning" */
        const char *note = event_display_note(ev, nb, sizeof nb);
        const char *cell[6] = {t, ev->operator_name ? ev->operator_name : "",
                               ev->site, ev->item, ev->kind,
                               note ? note : ""};
        draw_cells(top + 1 + i, &c, cell,
                   i == v->cur ? ROLE_CURSOR : kind_role(ev->kind));
    }
    filter_draw(&v->filter);
}

/* Opens one event whole. */
static ui_result jv_show(ui *u, jview *v)
{
    if (v->n == 0)
        return UI_STAY;
    event ev;
    memset(&ev, 0, sizeof ev);
    ss_err e = {{0}};
    if (journal_event_get(u->a->j, v->ev[v->cur].id, &ev, &e) != 0) {
        ui_error(u, "Cannot read event %lld: %s",
                 (long long)v->ev[v->cur].id, e.msg);
        return UI_STAY;
    }
    text_lines l = {0};
    text_lines_addf(&l, "id        %lld", (long long)ev.id);
    text_lines_addf(&l, "time      %s", ev.ts);
    text_lines_addf(&l, "operator  %s", ev.operator_name ? ev.operator_name : "");
    text_lines_addf(&l, "host      %s", ev.host ? ev.host : "");
    text_lines_addf(&l, "site      %s", ev.site);
    text_lines_addf(&l, "run       %lld", (long long)ev.run);
    text_lines_addf(&l, "item      %s", ev.item);
    text_lines_addf(&l, "outcome   %s", ev.kind);
    char *note = xasprintf("note      %s", ev.note ? ev.note : "");
    text_wrap(note, (size_t)(COLS > 20 ? COLS : 20), 10, &l);
    free(note);
    char *data = xasprintf("data      %s", ev.data ? ev.data : "");
    text_wrap(data, (size_t)(COLS > 20 ? COLS : 20), 10, &l);
    free(data);
    text_lines_addf(&l, "prev      %s", ev.prev);
    text_lines_addf(&l, "hash      %s", ev.hash);
    char *title = xasprintf("Event %lld (q goes back)", (long long)ev.id);
    u->next = pager_screen_new(title, &l);
    free(title);
    event_clear(&ev);
    return UI_PUSH;
}

static ui_result jv_move(ui *u, jview *v, ui_action act)
{
    int rows = page_rows();
    int64_t top = v->n ? v->ev[0].id : 0, above;
    switch (act) {
    case ACT_DOWN:
        if (v->cur + 1 < (int)v->n && v->cur + 1 < rows)
            v->cur++;
        else if ((int)v->n > rows)
            jv_load(u, v, v->ev[1].id);
        break;
    case ACT_UP:
        if (v->cur > 0)
            v->cur--;
        else if (top && (above = id_above(u, v, top, 1)) != 0)
            jv_load(u, v, above);
        break;
    case ACT_PAGE_DOWN:
        if ((int)v->n > rows) {
            /* A full page, or as far as keeps the last page full. */
            int shift = (int)v->n - rows < rows ? (int)v->n - rows : rows;
            jv_load(u, v, v->ev[shift].id);
            if (shift < rows)
                v->cur = (int)v->n - 1;
        } else {
            v->cur = (int)v->n - 1;
        }
        break;
    case ACT_PAGE_UP:
        if (top && (above = id_above(u, v, top, (size_t)rows)) != 0)
            jv_load(u, v, above);
        else
            v->cur = 0;
        break;
    case ACT_HOME:
        v->cur = 0;
        jv_load(u, v, 0);
        break;
    case ACT_END:
        above = id_above(u, v, 0, (size_t)rows);
        if (above)
            jv_load(u, v, above);
        v->cur = (int)v->n - 1;
        break;
    default: break;
    }
    if (v->cur >= (int)v->n)
        v->cur = (int)v->n - 1;
    if (v->cur < 0)
        v->cur = 0;
    return UI_STAY;
}

static ui_result jv_handle(ui *u, screen *s, int key)
{
    jview *v = s->data;
    if (v->filter.active) {
        if (filter_key(&v->filter, key) != FILTER_OTHER) {
            v->cur = 0;
            jv_load(u, v, 0);
        }
        return UI_STAY;
    }
    ui_action act = keymap_lookup(&keys_journal, key);
    switch (act) {
    case ACT_SHOW: return jv_show(u, v);
    case ACT_FILTER: filter_start(u, &v->filter, key); return UI_STAY;
    case ACT_BACK: return UI_BACK;
    default: return jv_move(u, v, act);
    }
}

static bool jv_typing(const screen *s)
{
    const jview *v = s->data;
    return v->filter.active;
}

static bool jv_paste(ui *u, screen *s, const char *text)
{
    jview *v = s->data;
    if (!v->filter.active)
        return false;
    filter_paste(&v->filter, text);
    v->cur = 0;
    jv_load(u, v, 0);
    return true;
}

/* Back on top, or resized: reload from the same top row. */
static void jv_resume(ui *u, screen *s)
{
    jview *v = s->data;
    jv_load(u, v, v->n ? v->ev[0].id : 0);
}

static void jv_destroy(screen *s)
{
    jview *v = s->data;
    events_free(v->ev, v->n);
    free(v);
}

static const screen_ops journal_ops = {
    .name = "Journal",
    .keys = &keys_journal,
    .draw = jv_draw,
    .handle = jv_handle,
    .paste = jv_paste,
    .typing = jv_typing,
    .resume = jv_resume,
    .destroy = jv_destroy,
};

screen *journal_screen_new(ui *u)
{
    jview *v = xcalloc(1, sizeof *v);
    jv_load(u, v, 0);
    return screen_new(&journal_ops, v);
}
