/* sites.c - the start screen: every known site with its install state and
 * cleanup progress; opens walkthroughs, the site form and the state pick. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "layout.h"
#include "ui.h"

typedef struct sites_view {
    site_row *rows;  /* every site, by code */
    size_t n;        /* number of rows */
    size_t *vis;     /* indices of the rows that pass the filter */
    size_t nvis;     /* number of those */
    int cur;         /* cursor, index into vis */
    int top;         /* first visible entry of vis */
    filter_bar filter; /* the / filter */
    bool unread;     /* the last read failed: the rows are older ones */
} sites_view;

/* Case-insensitive substring test, for all of Unicode (text.c). */
static bool ci_contains(const char *hay, const char *needle)
{
    return text_contains_fold(hay, needle);
}

static bool row_matches(const site_row *r, const char *f)
{
    return ci_contains(r->site.code, f) || ci_contains(r->site.name, f) ||
           ci_contains(r->site.server, f) ||
           ci_contains(site_state_name(r->site.state), f);
}

static void refilter(sites_view *v, const char *keep_code)
{
    free(v->vis);
    v->vis = xcalloc(v->n ? v->n : 1, sizeof *v->vis);
    v->nvis = 0;
    int cur = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (!row_matches(&v->rows[i], v->filter.text))
            continue;
        if (keep_code && strcmp(v->rows[i].site.code, keep_code) == 0)
            cur = (int)v->nvis;
        v->vis[v->nvis++] = i;
    }
    v->cur = cur;
}

static const site_row *current(const sites_view *v)
{
    if (v->nvis == 0)
        return NULL;
    return &v->rows[v->vis[v->cur]];
}

static void sites_reload(ui *u, sites_view *v)
{
    char keep[4] = "";
    const site_row *r = current(v);
    if (u->focus[0]) { /* a site just added or saved */
        snprintf(keep, sizeof keep, "%s", u->focus);
        u->focus[0] = '\0';
    } else if (r) {
        snprintf(keep, sizeof keep, "%s", r->site.code);
    }
    /* A journal that cannot be read now keeps what was read last on
     * screen: an empty list would say there are no sites. */
    site_row *rows = NULL;
    size_t n = 0;
    ss_err e = {{0}};
    v->unread = journal_sites(u->a->j, &rows, &n, &e) != 0;
    if (v->unread) {
        ui_error(u, "Cannot read the sites: %s", e.msg);
        free(rows);
    } else {
        free(v->rows);
        v->rows = rows;
        v->n = n;
    }
    refilter(v, keep[0] ? keep : NULL);
}

/* Draws the cells of one row from x, each in its column. */
static void draw_row(int y, const sites_cols *c, const char *const cells[8],
                     ui_role r)
{
    const int w[8] = {c->mark, c->code, c->name, c->parent,
                      c->server, c->state, c->progress, c->activity};
    int x = 0;
    draw_fill(y, 0, COLS, r);
    for (int i = 0; i < 8; i++) {
        if (w[i] <= 0)
            continue;
        draw_text(y, x, cells[i], w[i] - 1, r, false);
        x += w[i];
    }
}

static void sites_draw(ui *u, screen *s)
{
    (void)u;
    sites_view *v = s->data;
    sites_cols c;
    layout_sites(COLS, &c);
    int top = ui_body_top(), rows = ui_body_rows() - 1;
    static const char *const heads[8] = {"", "Code", "Name", "Parent",
                                         "Server", "State", "Progress",
                                         "Last activity"};
    draw_row(top, &c, heads, ROLE_HEADER);
    if (v->nvis == 0)
        draw_text(top + 2, 2,
                  v->n ? "No site matches the filter (/ then Esc clears it)."
                  : v->unread ? "The sites cannot be read now (the status "
                                "line says why)."
                       : "No sites yet: press a to add one, or run "
                         "`sitesweep import FILE`.",
                  COLS - 4, ROLE_NA, false);
    v->top = layout_scroll(v->top, v->cur, rows);
    for (int i = 0; i < rows && (size_t)(v->top + i) < v->nvis; i++) {
        const site_row *r = &v->rows[v->vis[v->top + i]];
        char prog[48], act[32];
        site_progress_text(r, true, prog, sizeof prog);
        text_time(r->last_activity, false, act, sizeof act);
        const char *cells[8] = {r->run_open ? ">" : " ", r->site.code,
                                r->site.name, r->site.parent, r->site.server,
                                site_state_name(r->site.state), prog, act};
        ui_role role = v->top + i == v->cur ? ROLE_CURSOR
                       : r->run_open        ? ROLE_ACTIVE
                       : r->site.state == STATE_CLEAN ? ROLE_DONE
                                                       : ROLE_NORMAL;
        draw_row(top + 1 + i, &c, cells, role);
    }
    filter_draw(&v->filter);
}

/* "Start cleanup of K7Q (SRV-K7Q)? [y/N]", preceded by what should make
 * the operator stop: a state that is not a failed install, a parent the
 * inventory does not know. Caller frees. */
static char *start_question(ui *u, const site_row *r)
{
    const site *st = &r->site;
    strbuf b = {0};
    sb_puts(&b, "");
    switch (st->state) {
    case STATE_ACTIVE:
        sb_printf(&b, "%s is active: installed and working, not a failed "
                      "install. ", st->code);
        break;
    case STATE_CLEAN:
        /* Complete only when a cleanup says so: a site imported as clean
         * may never have had one. */
        if (r->run && strcmp(r->run_state, "complete") == 0)
            sb_printf(&b, "%s is clean: its cleanup %s #%lld is complete. ",
                      st->code, st->code, (long long)r->run_number);
        else if (r->run)
            sb_printf(&b, "%s is clean, and its last cleanup %s #%lld is "
                          "%s. ", st->code, st->code,
                      (long long)r->run_number, r->run_state);
        else
            sb_printf(&b, "%s is clean, no cleanup recorded (marked clean "
                          "without one in this journal). ", st->code);
        break;
    case STATE_DELETED:
        sb_printf(&b, "%s is deleted: removed from the hierarchy. ",
                  st->code);
        break;
    default: break;
    }
    site par;
    ss_err e = {{0}};
    if (journal_site_get(u->a->j, st->parent, &par, &e) != 0)
        sb_printf(&b, "Its parent %s is not in the inventory: the "
                      "instructions will say its server is unknown, and the "
                      "commands that need it are not ready. ",
                  st->parent);
    sb_printf(&b, "Start cleanup of %s (%s)%s? [y/N]", st->code, st->server,
              b.len ? " anyway" : "");
    return sb_take(&b);
}

/* Opens the walkthrough of the selected site: its open run, or after a
 * choice its last cleanup read-only, or a new run after a confirmation. */
static ui_result sites_open(ui *u, sites_view *v)
{
    const site_row *r = current(v);
    if (!r)
        return UI_STAY;
    char code[4];
    snprintf(code, sizeof code, "%s", r->site.code);
    ss_err e = {{0}};
    run_view rv;
    memset(&rv, 0, sizeof rv);
    int rc = journal_run_current(u->a->j, code, &rv, &e);
    if (rc < 0) {
        ui_error(u, "Cannot read the cleanup of %s: %s", code, e.msg);
        return UI_STAY;
    }
    if (rc == 0) {
        int64_t id = rv.id;
        run_view_free(&rv);
        return walk_open(u, code, id);
    }
    if (!r->site.parent[0]) {
        ui_error(u, "No cleanup for %s: it has no parent site, so it is "
                    "the central site (Q287717 cleans up a secondary "
                    "site from its parent)", code);
        return UI_STAY;
    }
    if (r->run) {
        /* Its last cleanup is finished: view it, or start a new one. */
        char ended[32];
        text_time(r->run_ended, false, ended, sizeof ended);
        char *text = xasprintf("The last cleanup, %s #%lld, is %s (ended "
                               "%s).",
                               code, (long long)r->run_number,
                               r->run_state[0] ? r->run_state : "finished",
                               ended);
        char *choices = xasprintf("v view %s #%lld (%s)   n new cleanup   "
                                  "Esc cancel",
                                  code, (long long)r->run_number,
                                  r->run_state);
        int64_t last = r->run;
        int k = prompt_choice(u, "Cleanup", text, choices, "vn");
        free(text);
        free(choices);
        if (k == 'v')
            return walk_open(u, code, last);
        if (k != 'n') {
            if (!u->quit)
                ui_info(u, "Nothing recorded: no cleanup started for %s",
                        code);
            return UI_STAY;
        }
    }
    char *q = start_question(u, r);
    bool yes = prompt_confirm(u, q, false);
    free(q);
    if (!yes) {
        ui_info(u, "Nothing recorded: no cleanup started for %s", code);
        return UI_STAY;
    }
    memset(&rv, 0, sizeof rv);
    ui_writing(u);
    if (journal_run_start(u->a->j, code, u->a->proc, &rv, &e) != 0) {
        ui_error(u, "Cannot start the cleanup of %s: %s", code, e.msg);
        sites_reload(u, v);
        return UI_STAY;
    }
    ui_info(u, "Cleanup of %s started (%s #%lld)", code, code,
            (long long)rv.number);
    int64_t id = rv.id;
    run_view_free(&rv);
    return walk_open(u, code, id);
}

static void sites_set_state(ui *u, sites_view *v)
{
    const site_row *r = current(v);
    if (!r)
        return;
    /* An open cleanup keeps the site cleaning: no state could be set. */
    if (r->run_open) {
        ui_error(u, "%s is cleaning while its cleanup #%lld is open: finish "
                    "or abandon it (A in the walkthrough) to change its state",
                 r->site.code, (long long)r->run_number);
        return;
    }
    /* Only the states an operator may set: cleaning belongs to an open
     * run, and the journal refuses it. */
    const char *names[STATE_COUNT];
    site_state states[STATE_COUNT];
    int n = 0, sel = 0;
    for (int i = 0; i < STATE_COUNT; i++) {
        if (i == STATE_CLEANING)
            continue;
        if (i == (int)r->site.state)
            sel = n;
        states[n] = (site_state)i;
        names[n++] = site_state_name((site_state)i);
    }
    char *title = xasprintf("Install state of %s", r->site.code);
    int pick = prompt_pick(u, title, names, (size_t)n, sel);
    free(title);
    if (pick < 0 || states[pick] == r->site.state) {
        ui_info(u, "Nothing recorded: the state of %s is unchanged",
                r->site.code);
        return;
    }
    ss_err e = {{0}};
    char code[4];
    snprintf(code, sizeof code, "%s", r->site.code);
    ui_writing(u);
    if (journal_site_set_state(u->a->j, code, states[pick], &e) != 0)
        ui_error(u, "Cannot set the state of %s: %s", code, e.msg);
    else
        ui_info(u, "%s is now %s", code, names[pick]);
    sites_reload(u, v);
}

static ui_result sites_handle(ui *u, screen *s, int key)
{
    sites_view *v = s->data;
    int page = ui_body_rows() - 2 > 1 ? ui_body_rows() - 2 : 1;
    if (v->filter.active) {
        if (filter_key(&v->filter, key) != FILTER_OTHER)
            refilter(v, NULL);
        return UI_STAY;
    }
    switch (keymap_lookup(&keys_sites, key)) {
    case ACT_UP: v->cur--; break;
    case ACT_DOWN: v->cur++; break;
    case ACT_PAGE_UP: v->cur -= page; break;
    case ACT_PAGE_DOWN: v->cur += page; break;
    case ACT_HOME: v->cur = 0; break;
    case ACT_END: v->cur = (int)v->nvis - 1; break;
    case ACT_FILTER: filter_start(u, &v->filter, key); break;
    case ACT_QUIT: return UI_QUIT;
    case ACT_OPEN: return sites_open(u, v);
    case ACT_ADD:
        u->next = form_screen_new(u, NULL);
        return UI_PUSH;
    case ACT_EDIT:
        if (!current(v))
            return UI_STAY;
        u->next = form_screen_new(u, current(v)->site.code);
        return UI_PUSH;
    case ACT_SET_STATE: sites_set_state(u, v); break;
    default: break;
    }
    if (v->cur >= (int)v->nvis)
        v->cur = (int)v->nvis - 1;
    if (v->cur < 0)
        v->cur = 0;
    return UI_STAY;
}

static bool sites_paste(ui *u, screen *s, const char *text)
{
    (void)u;
    sites_view *v = s->data;
    if (!v->filter.active)
        return false;
    filter_paste(&v->filter, text);
    refilter(v, NULL);
    return true;
}

static bool sites_typing(const screen *s)
{
    const sites_view *v = s->data;
    return v->filter.active;
}

static void sites_resume(ui *u, screen *s)
{
    sites_reload(u, s->data);
}

static void sites_destroy(screen *s)
{
    sites_view *v = s->data;
    free(v->rows);
    free(v->vis);
    free(v);
}

static const screen_ops sites_ops = {
    .name = "Sites",
    .keys = &keys_sites,
    .draw = sites_draw,
    .handle = sites_handle,
    .paste = sites_paste,
    .typing = sites_typing,
    .resume = sites_resume,
    .destroy = sites_destroy,
};

screen *sites_screen_new(ui *u)
{
    sites_view *v = xcalloc(1, sizeof *v);
    sites_reload(u, v);
    return screen_new(&sites_ops, v);
}
