/* walk.c - the guided walkthrough of one site's cleanup run: the item list,
 * the selected item's instruction with the site's values, and the keys
 * that record outcomes in the journal (always after a confirmation or a
 * reason, and always reloaded from the journal afterwards). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "review.h"
#include "ui.h"

/* One event of the run, as the detail pane shows it. */
typedef struct hist_entry {
    char item[PROC_ID_MAX + 1]; /* the item it concerns */
    char ts[32];                /* when (UTC) */
    char kind[24];              /* done, skipped, note, ... */
    char *who;                  /* operator */
    char *note;                 /* reason or note, "" when none */
} hist_entry;

typedef struct walk_view {
    journal *j;            /* to let the run go when the screen closes */
    char code[4];          /* the site */
    site site;             /* its data, for the header and templates */
    char parent_server[SITE_HOST_MAX + 1]; /* the parent's server or "" */
    run_view rv;           /* the run as the journal has it */
    bool finished;         /* the run was completed while on screen */
    int cur;               /* selected item */
    int top;               /* first visible item */
    int dscroll;           /* first visible detail line */
    text_lines detail;     /* the selected item's text, wrapped */
    int detail_for;        /* item the detail was built for, -1 = stale */
    int detail_w;          /* width it was wrapped to */
    hist_entry *hist;      /* the run's events, oldest first */
    size_t nhist;          /* how many */
    timing_item *item_secs; /* time spent per item (journal_run_times) */
    int64_t active;        /* the run's active seconds */
    bool has_estimate;     /* enough past runs for an estimate */
    int64_t estimate;      /* seconds left, when has_estimate */
    bool claimed;          /* this console holds the run */
    char *ended_by;        /* an abandoned run: "DATE by WHO: reason" */
    /* A write whose COMMIT went out and whose answer was lost: settled
     * by the next reload that can read the journal (walk_reload). */
    bool doubtful;
    bool doubt_said;       /* the last reload settled it, and said so */
    int doubt_item;        /* the item */
    item_state doubt_was;  /* what the events said before the write */
    item_state doubt_want; /* what they say if it was recorded */
    char doubt_what[64];   /* "4b.8 done" */
} walk_view;

static ui_role state_role(item_state st)
{
    switch (st) {
    case ITEM_DONE: return ROLE_DONE;
    case ITEM_SKIPPED: return ROLE_SKIPPED;
    case ITEM_FAILED: return ROLE_FAILED;
    case ITEM_NA: return ROLE_NA;
    default: return ROLE_NORMAL;
    }
}

static proc_values values_of(const walk_view *v)
{
    proc_values pv = {&v->site,
                      v->parent_server[0] ? v->parent_server : NULL};
    return pv;
}

/* The site's values the run is shown with (a finished run keeps those
 * it ended with), and its parent's server from the journal. */
static void load_site(ui *u, walk_view *v)
{
    ss_err e = {{0}};
    site s;
    if (v->rv.site[0])
        v->site = v->rv.values;
    else if (journal_site_get(u->a->j, v->code, &s, &e) == 0)
        v->site = s;
    /* (a parent that cannot be read now keeps the server read last: it
     * is not missing from the inventory) */
    int rc = v->site.parent[0]
                 ? journal_site_get(u->a->j, v->site.parent, &s, &e)
                 : JOURNAL_NOTFOUND;
    if (rc == 0)
        snprintf(v->parent_server, sizeof v->parent_server, "%s", s.server);
    else if (rc == JOURNAL_NOTFOUND)
        v->parent_server[0] = '\0';
}

static void hist_free(walk_view *v)
{
    for (size_t i = 0; i < v->nhist; i++) {
        free(v->hist[i].who);
        free(v->hist[i].note);
    }
    free(v->hist);
    v->hist = NULL;
    v->nhist = 0;
    free(v->ended_by);
    v->ended_by = NULL;
}

static int hist_add(const event *ev, void *ctx)
{
    walk_view *v = ctx;
    if (strcmp(ev->kind, "run-abandoned") == 0) {
        char when[32];
        text_time(ev->ts, false, when, sizeof when);
        free(v->ended_by);
        v->ended_by = xasprintf("%s by %s: %s", when,
                                ev->operator_name ? ev->operator_name : "?",
                                ev->note ? ev->note : "");
    }
    if (!ev->item[0])
        return 0;
    v->hist = xrealloc(v->hist, (v->nhist + 1) * sizeof *v->hist);
    hist_entry *h = &v->hist[v->nhist++];
    snprintf(h->item, sizeof h->item, "%s", ev->item);
    snprintf(h->ts, sizeof h->ts, "%s", ev->ts);
    snprintf(h->kind, sizeof h->kind, "%s", ev->kind);
    h->who = xstrdup(ev->operator_name ? ev->operator_name : "");
    h->note = xstrdup(ev->note ? ev->note : "");
    return 0;
}

/* Reads the run's events (only this run's, through the site and run
 * filter) for the items' histories. */
static void load_history(ui *u, walk_view *v)
{
    /* What was read last, kept when the journal cannot be read now. */
    walk_view old = {.hist = v->hist, .nhist = v->nhist,
                     .ended_by = v->ended_by};
    v->hist = NULL;
    v->nhist = 0;
    v->ended_by = NULL;
    if (!v->rv.id) {
        hist_free(&old);
        return;
    }
    event_filter f = {v->code, v->rv.id, NULL};
    ss_err e = {{0}};
    if (journal_events_each(u->a->j, &f, hist_add, v, &e) != 0) {
        ui_error(u, "Cannot read the history of %s: %s", v->code, e.msg);
        hist_free(v);
        v->hist = old.hist;
        v->nhist = old.nhist;
        v->ended_by = old.ended_by;
        return;
    }
    hist_free(&old);
}

/* Reads the time spent per item and on the run, and the estimate of the
 * time left (nothing until enough past runs of the procedure exist). */
static void load_times(ui *u, walk_view *v)
{
    timing_item *secs = xcalloc(v->rv.proc.nitems ? v->rv.proc.nitems : 1,
                                sizeof *secs);
    int64_t active = 0;
    ss_err e = {{0}};
    if (v->rv.id && journal_run_times(u->a->j, v->rv.id, &v->rv.proc, secs,
                                      &active, &e) != 0) {
        /* unreadable now: the times read last stay */
        ui_error(u, "Cannot read the times of %s: %s", v->code, e.msg);
        free(secs);
        if (!v->item_secs)
            v->item_secs = xcalloc(v->rv.proc.nitems ? v->rv.proc.nitems
                                                     : 1,
                                   sizeof *v->item_secs);
        return;
    }
    free(v->item_secs);
    v->item_secs = secs;
    v->active = active;
    v->has_estimate = false;
    if (!v->rv.id)
        return;
    if (!v->rv.open)
        return;
    size_t left = v->rv.st.applicable > v->rv.st.closed
                      ? v->rv.st.applicable - v->rv.st.closed
                      : 0;
    int rc = journal_run_estimate(u->a->j, v->rv.proc.hash, left,
                                  &v->estimate, &e);
    if (rc == 0)
        v->has_estimate = true;
    else if (rc < 0)
        ui_error(u, "Cannot estimate the time left: %s", e.msg);
}

/* Whether item idx has a reason or note in its history. */
static bool has_notes(const walk_view *v, int idx)
{
    const char *id = v->rv.proc.items[idx].id;
    for (size_t i = 0; i < v->nhist; i++)
        if (v->hist[i].note[0] && strcmp(v->hist[i].item, id) == 0)
            return true;
    return false;
}

/* Reloads the run from the journal, the source of truth. */
static void walk_reload(ui *u, walk_view *v)
{
    ss_err e = {{0}};
    run_view nv;
    memset(&nv, 0, sizeof nv);
    /* The run on screen, by id: once completed it is no longer the site's
     * open run, but the journal still says what each item is. */
    int rc = journal_run_get(u->a->j, v->code, v->rv.id, &nv, &e);
    if (rc == 0) {
        run_view_free(&v->rv);
        v->rv = nv;
        if (v->doubtful && v->doubt_item >= 0 &&
            (size_t)v->doubt_item < v->rv.st.nitems &&
            journal_doubt_settled(u->a->j) == 1) {
            /* The journal can be read again: say what became of it. */
            bool done = v->rv.st.recorded[v->doubt_item] == v->doubt_want &&
                        v->doubt_want != v->doubt_was;
            char wn[128];
            snprintf(wn, sizeof wn, "%s: %s", v->doubt_what,
                     done ? "recorded after all" : "not recorded");
            term_write_note(wn);
            if (done)
                ui_info(u, "%s was recorded after all (the journal says "
                        "so now)", v->doubt_what);
            else
                ui_error(u, "%s was not recorded (the journal says so now)",
                         v->doubt_what);
            v->doubtful = false;
            v->doubt_said = true;
        }
    } else if (rc == JOURNAL_NOTFOUND) {
        v->rv.open = false;
    } else {
        /* Unreadable now: the screen keeps what was read last (the
         * history, times and header too), and says so. */
        ui_error(u, "Cannot reload the cleanup of %s: %s", v->code, e.msg);
        return;
    }
    load_site(u, v);
    load_history(u, v);
    load_times(u, v);
    v->detail_for = -1;
}

static void add_wrapped(text_lines *l, const char *s, int w, size_t indent,
                        const char *lead)
{
    char *t = xasprintf("%s%s", lead, s);
    text_wrap(t, (size_t)w, indent, l);
    free(t);
}

/* Builds the detail lines of item idx for width w. */
static void build_detail(walk_view *v, int idx, int w)
{
    text_lines_free(&v->detail);
    const proc_item *it = &v->rv.proc.items[idx];
    proc_values pv = values_of(v);
    char *title = procedure_expand(it->title, &pv);
    char *head = xasprintf("%s  %s", it->id, title);
    add_wrapped(&v->detail, head, w, 0, "");
    free(head);
    free(title);
    text_lines_addf(&v->detail, "State: %s%s",
                    item_state_name(v->rv.st.state[idx]),
                    it->applies == APPLIES_LOGON
                        ? "  (only when Logon Installation/Discovery was used)"
                        : "");
    if (v->ended_by) {
        /* the reason of the whole cleanup's end, on every item */
        strbuf b = {0};
        sb_puts(&b, "Cleanup abandoned ");
        for (const char *p = v->ended_by; *p; p++) {
            if (*p == '\n')
                sb_puts(&b, "\n    ");
            else
                sb_putc(&b, *p);
        }
        add_wrapped(&v->detail, b.s, w, 4, "");
        sb_free(&b);
    }
    if (v->item_secs && v->item_secs[idx].seconds > 0) {
        char spent[80];
        timing_item_format(&v->item_secs[idx], spent, sizeof spent);
        text_lines_addf(&v->detail, "Time spent: %s", spent);
    }
    /* Its outcomes, reasons and notes come first: what was decided
     * matters more than the instruction read before. */
    bool head_done = false;
    for (size_t i = 0; i < v->nhist; i++) {
        const hist_entry *h = &v->hist[i];
        if (strcmp(h->item, it->id) != 0)
            continue;
        if (!head_done) {
            text_lines_add(&v->detail, "History:", 8);
            head_done = true;
        }
        char when[32];
        text_time(h->ts, false, when, sizeof when);
        /* A note of several lines is shown whole, each line indented. */
        strbuf b = {0};
        sb_printf(&b, "  %s  %s  %s%s", when, h->kind, h->who,
                  h->note[0] ? ": " : "");
        for (const char *p = h->note; *p; p++) {
            if (*p == '\n')
                sb_puts(&b, "\n    ");
            else
                sb_putc(&b, *p);
        }
        add_wrapped(&v->detail, b.s, w, 4, "");
        sb_free(&b);
    }
    text_lines_add(&v->detail, "", 0);
    char *text = procedure_expand(it->text ? it->text : "", &pv);
    add_wrapped(&v->detail, text, w, 0, "");
    free(text);
    if (it->where) {
        char *where = procedure_expand(it->where, &pv);
        text_lines_add(&v->detail, "", 0);
        add_wrapped(&v->detail, where, w, 7, "Where: ");
        free(where);
    }
    size_t nc = 0;
    char **cmds = proc_item_commands(it, &pv, &nc);
    if (nc) {
        text_lines_add(&v->detail, "", 0);
        text_lines_addf(&v->detail, "Command%s (c copies):", nc > 1 ? "s" : "");
        /* Broken only after a space or path separator, each break marked:
         * the command reads as one (c copies it unwrapped). */
        for (size_t i = 0; i < nc; i++) {
            char *c = xasprintf("  %s", cmds[i]);
            text_wrap_command(c, (size_t)w, 4,
                              term_utf8() ? "\xe2\x86\xa9" : ">",
                              &v->detail);
            free(c);
        }
    }
    procedure_strv_free(cmds);
    if (it->ncautions) {
        text_lines_add(&v->detail, "", 0);
        text_lines_add(&v->detail, "Caution:", 8);
        for (size_t i = 0; i < it->ncautions; i++) {
            char *c = procedure_expand(it->cautions[i], &pv);
            add_wrapped(&v->detail, c, w, 4, "  ! ");
            free(c);
        }
    }
    v->detail_for = idx;
    v->detail_w = w;
}

static void draw_header(walk_view *v, const walk_layout *l)
{
    char *a = xasprintf("%s  %s", v->site.code, v->site.name);
    int used = draw_text(l->header_top, 0, a, COLS / 2, ROLE_ACTIVE, false);
    free(a);
    char *b = xasprintf("   server %s   drive %c:   state %s", v->site.server,
                        v->site.drive ? v->site.drive : '?',
                        site_state_name(v->site.state));
    used += draw_text(l->header_top, used, b, COLS - used, ROLE_NORMAL,
                      false);
    free(b);
    if (v->site.parent[0] && !v->parent_server[0]) {
        /* the commands show <parent_server>: say why, in place */
        char *w = xasprintf("   parent %s not in the inventory",
                            v->site.parent);
        draw_text(l->header_top, used, w, COLS - used, ROLE_ERROR, false);
        free(w);
    }
    const run_state *st = &v->rv.st;
    char started[32], ended[32], spent[24], left[48], how[96];
    text_time(v->rv.started, false, started, sizeof started);
    text_time(v->rv.ended, false, ended, sizeof ended);
    timing_format(v->active, spent, sizeof spent);
    if (v->rv.open)
        snprintf(how, sizeof how, "%s", "");
    else if (v->finished)
        snprintf(how, sizeof how, "   COMPLETE: site is clean");
    else
        snprintf(how, sizeof how, "   READ-ONLY: %s %s", v->rv.state,
                 ended);
    left[0] = '\0';
    if (v->has_estimate) {
        char est[24];
        timing_format(v->estimate, est, sizeof est);
        snprintf(left, sizeof left, "   left ~%s", est);
    }
    /* Most important first: a narrow terminal crops the end. */
    char *c = xasprintf("run #%lld   progress %zu/%zu%s%s   started %s   "
                        "spent %s%s   procedure %s %.8s",
                        (long long)v->rv.number, st->closed, st->applicable,
                        st->failed ? "   failed items: see [!]" : "", how,
                        started, spent, left,
                        v->rv.proc.name ? v->rv.proc.name : "?",
                        v->rv.proc.hash);
    draw_text(l->header_top + 1, 0, c, COLS,
              v->rv.open                         ? ROLE_NORMAL
              : strcmp(v->rv.state, "abandoned") ? ROLE_DONE
                                                 : ROLE_SKIPPED,
              false);
    free(c);
    draw_hline(l->pane_top - 1, 0, COLS, ROLE_RULE);
    draw_text(l->pane_top - 1, 1, " Items ", l->list_w - 2, ROLE_LABEL,
              false);
}

static void draw_list(walk_view *v, const walk_layout *l)
{
    const procedure *p = &v->rv.proc;
    proc_values pv = values_of(v);
    v->top = layout_scroll(v->top, v->cur, l->pane_rows);
    for (int i = 0; i < l->pane_rows && (size_t)(v->top + i) < p->nitems;
         i++) {
        int idx = v->top + i;
        item_state st = v->rv.st.state[idx];
        char *title = procedure_expand(p->items[idx].title, &pv);
        /* '*': the item has a reason or note (its history shows it) */
        char *line = xasprintf("%s%s%-5s %s", item_state_mark(st),
                               has_notes(v, idx) ? "*" : " ",
                               p->items[idx].id, title);
        free(title);
        draw_text(l->pane_top + i, 0, line, l->list_w,
                  idx == v->cur ? ROLE_CURSOR : state_role(st), true);
        free(line);
    }
    draw_vline(l->pane_top, l->sep_x, l->pane_rows, ROLE_RULE);
}

static void draw_detail(walk_view *v, const walk_layout *l)
{
    if (v->detail_for != v->cur || v->detail_w != l->detail_w)
        build_detail(v, v->cur, l->detail_w);
    int rows = l->pane_rows, n = (int)v->detail.n;
    bool more = n > rows;
    if (more && rows > 1)
        rows--;
    if (v->dscroll > n - rows)
        v->dscroll = n - rows;
    if (v->dscroll < 0)
        v->dscroll = 0;
    for (int i = 0; i < rows && v->dscroll + i < n; i++) {
        int k = v->dscroll + i;
        draw_text(l->pane_top + i, l->detail_x, v->detail.v[k], l->detail_w,
                  k == 0 ? ROLE_LABEL : ROLE_NORMAL, false);
    }
    if (more) {
        char *m = xasprintf("-- lines %d-%d of %d: PgUp/PgDn or K/J scroll --",
                            v->dscroll + 1, v->dscroll + rows, n);
        if ((int)text_width_escaped(m) > l->detail_w) { /* narrow: keep the keys */
            free(m);
            m = xasprintf("-- %d-%d of %d: PgDn/J --", v->dscroll + 1,
                          v->dscroll + rows, n);
        }
        draw_text(l->pane_top + rows, l->detail_x, m, l->detail_w, ROLE_KEY,
                  false);
        free(m);
    }
}

static void walk_draw(ui *u, screen *s)
{
    (void)u;
    walk_view *v = s->data;
    walk_layout l;
    layout_walk(LINES, COLS, &l);
    draw_header(v, &l);
    if (v->rv.proc.nitems == 0)
        return;
    draw_list(v, &l);
    draw_detail(v, &l);
}

/* After a completed run: the state the journal recorded, shown. */
static void walk_finish(ui *u, walk_view *v)
{
    v->finished = true;
    v->detail_for = -1;
    char *msg = xasprintf(
        "The cleanup of %s is complete: all %zu applicable items are done "
        "or skipped. The site's state is now clean, and %s can be "
        "reinstalled with the same site code.",
        v->code, v->rv.st.applicable, v->code);
    /* Set first: the status line behind the dialog is not "Recording". */
    ui_info(u, "Cleanup of %s complete: it can be reinstalled with the same "
            "site code", v->code);
    prompt_message(u, "Cleanup complete", msg);
    free(msg);
}

/* Records an outcome for the selected item, then reloads. */
static void walk_record(ui *u, walk_view *v, outcome o, const char *note)
{
    int idx = v->cur;
    const char *id = v->rv.proc.items[idx].id;
    char idc[PROC_ID_MAX + 1];
    snprintf(idc, sizeof idc, "%s", id);
    mark_result mr;
    memset(&mr, 0, sizeof mr);
    ss_err e = {{0}};
    ui_info(u, "Recording %s %s in the journal...", idc, outcome_name(o));
    ui_writing(u);
    ui_paint(u);
    refresh();
    char wn[256];
    snprintf(wn, sizeof wn, "%s %s: unknown, still waiting for the journal "
             "(check with 'sitesweep journal')", idc, outcome_name(o));
    term_write_note(wn);
    item_state was = (size_t)idx < v->rv.st.nitems ? v->rv.st.recorded[idx]
                                                   : ITEM_OPEN;
    if (journal_mark(u->a->j, v->code, idc, o, note, NULL, &mr, &e) != 0) {
        bool unknown = strstr(e.msg, "may or may not be recorded") != NULL;
        snprintf(wn, sizeof wn, "%s %s: %s", idc, outcome_name(o),
                 unknown ? "unknown, may or may not be recorded (check with "
                           "'sitesweep journal')"
                         : "not recorded");
        term_write_note(wn);
        if (unknown) {
            v->doubtful = true;
            v->doubt_item = idx;
            v->doubt_was = was;
            v->doubt_want = o == OUT_DONE      ? ITEM_DONE
                            : o == OUT_SKIPPED ? ITEM_SKIPPED
                            : o == OUT_FAILED  ? ITEM_FAILED
                                               : ITEM_OPEN;
            snprintf(v->doubt_what, sizeof v->doubt_what, "%s %s", idc,
                     outcome_name(o));
        }
        walk_reload(u, v);
        /* Refused because the cleanup was taken over (another console
         * took it while this one was away, even with a question open):
         * said with the refusal, which the next reload must not replace
         * with a message that leaves out what was not recorded. */
        const char *gone = "";
        run_holder by;
        ss_err he = {{0}};
        if (!unknown && v->claimed && v->rv.open &&
            journal_run_hold_check(v->j, v->rv.id, &by, &he) == J_HELD) {
            v->claimed = false;
            if (!strstr(e.msg, "no longer holds"))
                gone = "; this console no longer holds this cleanup (open "
                       "it again from Sites)";
        }
        if (!unknown || v->doubtful)
            ui_error(u, "%s: %s %s: %s%s", unknown ? "Outcome unknown"
                     : "Not recorded", idc, outcome_name(o), e.msg, gone);
        return;
    }
    snprintf(wn, sizeof wn, "%s %s: %s (event %lld)", idc, outcome_name(o),
             mr.already ? "already recorded" : "recorded",
             (long long)mr.event);
    term_write_note(wn);
    if (mr.completed) {
        walk_reload(u, v);
        walk_finish(u, v);
        return;
    }
    walk_reload(u, v);
    if (mr.already) {
        ui_info(u, "%s was already %s: nothing new recorded", idc,
                outcome_name(o));
        return;
    }
    ui_info(u, "Recorded: %s %s (event %lld)", idc, outcome_name(o),
            (long long)mr.event);
    if (o != OUT_REOPENED) {
        int next = run_state_next_open(&v->rv.st, (size_t)idx);
        if (next >= 0)
            v->cur = next;
    }
    v->dscroll = 0;
}

/* Says that a finished run takes nothing new. */
static void refuse_finished(ui *u, const walk_view *v)
{
    ui_error(u, "This cleanup is finished (%s %s #%lld): read-only, nothing "
                "is recorded; open the site from Sites for a new one",
             v->rv.state[0] ? v->rv.state : "complete", v->code,
             (long long)v->rv.number);
}

/* Whether outcome o may be recorded for the selected item; says why not. */
static bool walk_allowed(ui *u, walk_view *v, outcome o)
{
    const char *id = v->rv.proc.items[v->cur].id;
    item_state st = v->rv.st.state[v->cur];
    if (!v->rv.open) {
        refuse_finished(u, v);
        return false;
    }
    if (st == ITEM_NA) {
        ui_error(u, "%s does not apply to this site", id);
        return false;
    }
    bool ok = o == OUT_REOPENED ? st != ITEM_OPEN
              : o == OUT_FAILED ? st == ITEM_OPEN
                                : st == ITEM_OPEN || st == ITEM_FAILED;
    if (!ok)
        ui_error(u, o == OUT_REOPENED ? "%s is %s: nothing to reopen"
                                      : "%s is %s: reopen it first (u)",
                 id, item_state_name(st));
    return ok;
}

/* When earlier applicable items are still open or failed (the article's
 * steps run in order): "1 and 2 are still open: mark 3 done out of
 * order? [y/N]" (or "skip 3", "mark 3 failed"); NULL when o is in order.
 * Caller frees. */
static char *out_of_order_question(const walk_view *v, outcome o)
{
    const char *id = v->rv.proc.items[v->cur].id;
    strbuf b = {0};
    size_t n = run_state_open_before(&v->rv.st, &v->rv.proc,
                                     (size_t)v->cur, &b);
    if (n == 0) {
        sb_free(&b);
        return NULL;
    }
    sb_printf(&b, " %s still open: %s %s%s out of order? [y/N]",
              n == 1 ? "is" : "are", o == OUT_SKIPPED ? "skip" : "mark", id,
              o == OUT_DONE ? " done" : o == OUT_FAILED ? " failed" : "");
    return sb_take(&b);
}

static void walk_ask(ui *u, walk_view *v, outcome o)
{
    if (!walk_allowed(u, v, o))
        return;
    const char *id = v->rv.proc.items[v->cur].id;
    char note[EDIT_CAP + 1], *q;
    int ok;
    /* Done, skip and fail out of order are all asked the same question
     * first, defaulting to No. */
    char *order = o == OUT_REOPENED ? NULL : out_of_order_question(v, o);
    switch (o) {
    case OUT_DONE:
    case OUT_REOPENED:
        q = order ? xstrdup(order)
            : o == OUT_DONE ? xasprintf("Mark %s done? [y/N]", id)
                            : xasprintf("Reopen %s? Its history stays in the "
                                        "journal. [y/N]",
                                        id);
        ok = prompt_confirm(u, q, false);
        free(q);
        if (ok)
            walk_record(u, v, o, NULL);
        break;
    default:
        ok = !order || prompt_confirm(u, order, false);
        if (!ok)
            break;
        q = xasprintf(o == OUT_SKIPPED ? "Why is %s skipped? (required)"
                                       : "What failed in %s? (required)",
                      id);
        ok = prompt_text(u, o == OUT_SKIPPED ? "Skip" : "Failed", q, "",
                         true, note, sizeof note);
        free(q);
        if (ok)
            walk_record(u, v, o, note);
        break;
    }
    free(order);
    if (!ok && !u->quit)
        ui_info(u, "Nothing recorded for %s", id);
}

static void walk_note(ui *u, walk_view *v)
{
    const char *id = v->rv.proc.items[v->cur].id;
    if (!v->rv.open) {
        refuse_finished(u, v);
        return;
    }
    char note[EDIT_CAP + 1], idc[PROC_ID_MAX + 1];
    snprintf(idc, sizeof idc, "%s", id);
    char *q = xasprintf("Note on %s:", idc);
    int ok = prompt_text(u, "Note", q, "", true, note, sizeof note);
    free(q);
    if (!ok) {
        if (!u->quit)
            ui_info(u, "Nothing recorded for %s", idc);
        return;
    }
    ss_err e = {{0}};
    int64_t ev = 0;
    ui_writing(u);
    if (journal_note(u->a->j, v->code, idc, note, &ev, &e) != 0)
        ui_error(u, "Note not recorded: %s", e.msg);
    else
        ui_info(u, "Note on %s recorded (event %lld)", idc, (long long)ev);
    walk_reload(u, v);
}

/* A: ends the open run as abandoned after a y/N question (default No)
 * and a required reason; the journal gives the site back the state it had
 * before. True when abandoned (the caller goes back to Sites). */
static bool walk_abandon(ui *u, walk_view *v)
{
    if (!v->rv.open) {
        refuse_finished(u, v);
        return false;
    }
    walk_reload(u, v); /* the count as the journal has it now */
    if (!v->rv.open) {
        refuse_finished(u, v);
        return false;
    }
    char *q = xasprintf("Abandon the cleanup %s #%lld? %zu of %zu items are "
                        "closed; the site goes back to %s. Its history "
                        "stays in the journal. [y/N]",
                        v->code, (long long)v->rv.number, v->rv.st.closed,
                        v->rv.st.applicable,
                        v->rv.prior[0] ? v->rv.prior : "its state before");
    bool yes = prompt_confirm(u, q, false);
    free(q);
    if (!yes) {
        if (!u->quit)
            ui_info(u, "Nothing recorded: the cleanup of %s stays open",
                    v->code);
        return false;
    }
    char reason[EDIT_CAP + 1];
    q = xasprintf("Why is %s #%lld abandoned? (required)", v->code,
                  (long long)v->rv.number);
    int ok = prompt_text(u, "Abandon", q, "", true, reason, sizeof reason);
    free(q);
    if (!ok) {
        if (!u->quit)
            ui_info(u, "Nothing recorded: the cleanup of %s stays open",
                    v->code);
        return false;
    }
    ui_info(u, "Recording the abandonment of %s in the journal...", v->code);
    ui_writing(u);
    ui_paint(u);
    refresh();
    ss_err e = {{0}};
    run_holder by;
    memset(&by, 0, sizeof by);
    int64_t number = 0;
    int rc = journal_run_abandon(u->a->j, v->code, reason, false, &by,
                                 &number, &e);
    if (rc == JOURNAL_HELD) {
        walk_reload(u, v);
        ui_error(u, "Not abandoned: the cleanup of %s is held by %s on %s "
                    "(pid %ld) since %.19s",
                 v->code, by.operator_name, by.host, by.pid, by.since);
        return false;
    }
    if (rc != 0) {
        walk_reload(u, v);
        ui_error(u, "Not abandoned: %s", e.msg);
        return false;
    }
    ui_info(u, "Abandoned %s #%lld; %s is %s again", v->code,
            (long long)number, v->code,
            v->rv.prior[0] ? v->rv.prior : "back to its state before");
    snprintf(u->focus, sizeof u->focus, "%s", v->code);
    return true;
}

static void walk_copy(ui *u, walk_view *v)
{
    const proc_item *it = &v->rv.proc.items[v->cur];
    proc_values pv = values_of(v);
    size_t nc = 0;
    char **cmds = proc_item_commands(it, &pv, &nc);
    if (nc == 0) {
        ui_error(u, "%s has no command to copy", it->id);
        procedure_strv_free(cmds);
        return;
    }
    for (size_t i = 0; i < nc; i++) {
        if (!proc_command_ready(cmds[i])) {
            ui_error(u, "Nothing copied: a command of %s is %s", it->id,
                     cmds[i]);
            procedure_strv_free(cmds);
            return;
        }
    }
    strbuf b = {0};
    for (size_t i = 0; i < nc; i++) {
        sb_puts(&b, cmds[i]);
        sb_putc(&b, '\n');
    }
    procedure_strv_free(cmds);
    ui_paint(u);
    term_osc52(b.s);
    sb_free(&b);
    /* OSC 52 has no answer: the terminal may have ignored it. */
    ui_info(u, "%zu command%s sent to the terminal's clipboard (OSC 52), "
               "unwrapped; a terminal may ignore it",
            nc, nc == 1 ? "" : "s");
}

static ui_result walk_handle(ui *u, screen *s, int key)
{
    walk_view *v = s->data;
    walk_layout l;
    layout_walk(LINES, COLS, &l);
    int n = (int)v->rv.proc.nitems, old = v->cur;
    ui_action act = keymap_lookup(&keys_walk, key);
    if (n == 0 && act != ACT_BACK)
        return UI_STAY;
    switch (act) {
    case ACT_UP: v->cur--; break;
    case ACT_DOWN: v->cur++; break;
    case ACT_HOME: v->cur = 0; break;
    case ACT_END: v->cur = n - 1; break;
    case ACT_SCROLL_UP: v->dscroll--; break;
    case ACT_SCROLL_DOWN: v->dscroll++; break;
    case ACT_DETAIL_PAGE_UP: v->dscroll -= l.pane_rows - 1; break;
    case ACT_DETAIL_PAGE_DOWN: v->dscroll += l.pane_rows - 1; break;
    case ACT_DONE: walk_ask(u, v, OUT_DONE); break;
    case ACT_SKIP: walk_ask(u, v, OUT_SKIPPED); break;
    case ACT_FAIL: walk_ask(u, v, OUT_FAILED); break;
    case ACT_REOPEN: walk_ask(u, v, OUT_REOPENED); break;
    case ACT_NOTE: walk_note(u, v); break;
    case ACT_COPY: walk_copy(u, v); break;
    case ACT_ABANDON:
        if (walk_abandon(u, v))
            return UI_HOME;
        break;
    case ACT_BACK: return UI_BACK;
    default: break;
    }
    if (v->cur >= n)
        v->cur = n - 1;
    if (v->cur < 0)
        v->cur = 0;
    if (v->cur != old)
        v->dscroll = 0;
    return UI_STAY;
}

/* Back on top (after help or a pager), resized, or Ctrl-L: reload. */
/* Back on top, or the journal changed elsewhere: reload, and say when
 * the item the operator is looking at, or the cleanup, changed. */
static void walk_resume(ui *u, screen *s)
{
    walk_view *v = s->data;
    int cur = v->cur;
    bool was_open = v->rv.open;
    item_state before = cur >= 0 && (size_t)cur < v->rv.st.nitems
                            ? v->rv.st.state[cur] : ITEM_OPEN;
    v->doubt_said = false;
    walk_reload(u, v);
    /* This console's own write, settled just now: said as such. */
    if (v->doubt_said)
        before = cur >= 0 && (size_t)cur < v->rv.st.nitems
                     ? v->rv.st.state[cur] : ITEM_OPEN;
    /* Taken over elsewhere (a console, or a script's --take-over): said
     * now, not at the next write, and this console's hold let go. */
    run_holder by;
    ss_err e;
    char taken[600] = "";
    if (v->claimed && v->rv.open &&
        journal_run_hold_check(v->j, v->rv.id, &by, &e) == J_HELD) {
        v->claimed = false;
        if (by.operator_name[0])
            snprintf(taken, sizeof taken, "%s on %s took this cleanup over "
                     "at %s; this console no longer holds it (open it "
                     "again from Sites)", by.operator_name, by.host,
                     by.since);
        else
            snprintf(taken, sizeof taken, "this console no longer holds "
                     "this cleanup (open it again from Sites)");
    }
    if (cur >= 0 && (size_t)cur < v->rv.st.nitems &&
        v->rv.st.state[cur] != before)
        (taken[0] ? ui_error : ui_info)(u, "Item %s is now %s: recorded "
                                        "elsewhere%s%s",
                                        v->rv.proc.items[cur].id,
                                        item_state_name(v->rv.st.state[cur]),
                                        taken[0] ? "; " : "", taken);
    else if (was_open && !v->rv.open)
        ui_info(u, "This cleanup ended elsewhere (%s)", v->rv.state);
    else if (taken[0] && by.operator_name[0])
        ui_error(u, "%s", taken); /* the name as entered, never changed */
    else if (taken[0])
        ui_error(u, "This console no longer holds this cleanup (open it "
                    "again from Sites)");
}

static void walk_destroy(screen *s)
{
    walk_view *v = s->data;
    if (v->claimed)
        journal_run_release(v->j, v->rv.id, NULL);
    run_view_free(&v->rv);
    text_lines_free(&v->detail);
    hist_free(v);
    free(v->item_secs);
    free(v);
}

static const screen_ops walk_ops = {
    .name = "Walkthrough",
    .keys = &keys_walk,
    .draw = walk_draw,
    .handle = walk_handle,
    .resume = walk_resume,
    .destroy = walk_destroy,
};

/* The same screen on a finished cleanup: its help and hints list only the
 * keys that record nothing. */
static const screen_ops walk_ro_ops = {
    .name = "Walkthrough (read-only)",
    .keys = &keys_walk_ro,
    .draw = walk_draw,
    .handle = walk_handle,
    .resume = walk_resume,
    .destroy = walk_destroy,
};

screen *walk_screen_new(ui *u, const char *code, run_view *rv)
{
    walk_view *v = xcalloc(1, sizeof *v);
    v->j = u->a->j;
    snprintf(v->code, sizeof v->code, "%s", code);
    v->rv = *rv;
    v->claimed = rv->open;
    memset(rv, 0, sizeof *rv);
    site_init(&v->site);
    load_site(u, v);
    load_history(u, v);
    load_times(u, v);
    int r = run_state_resume(&v->rv.st);
    v->cur = r >= 0 ? r : 0;
    v->detail_for = -1;
    return screen_new(v->claimed ? &walk_ops : &walk_ro_ops, v);
}

/* Claims the run for this console. When another console holds it, says
 * who, from where and since when, and takes it over only if the operator
 * confirms (the journal records the handover). */
static bool claim_run(ui *u, const char *code, run_view *rv)
{
    ss_err e = {{0}};
    run_holder by;
    ui_writing(u);
    int rc = journal_run_claim(u->a->j, rv->id, false, &by, &e);
    if (rc == 0 && by.gone)
        ui_info(u, "%s's console on %s (holding since %.19s) went away: "
                   "the cleanup of %s is yours now", by.operator_name,
                by.host, by.since, code);
    if (rc == 0)
        return true;
    if (rc != JOURNAL_HELD) {
        ui_error(u, "Cannot open the cleanup of %s: %s", code, e.msg);
        return false;
    }
    char *q = xasprintf("The cleanup of %s is held by %s on %s (pid %ld) "
                        "since %.19s. Take it over? [y/N]",
                        code, by.operator_name, by.host, by.pid, by.since);
    bool yes = prompt_confirm(u, q, false);
    free(q);
    if (!yes) {
        ui_info(u, "Left the cleanup of %s to %s", code, by.operator_name);
        return false;
    }
    /* The take-over's claim fills its own holder (none: it is ours
     * then): the name said is the one the operator was asked about. */
    run_holder prev = by, now;
    ui_writing(u);
    if (journal_run_claim(u->a->j, rv->id, true, &now, &e) != 0) {
        ui_error(u, "Cannot take over the cleanup of %s: %s", code, e.msg);
        return false;
    }
    ui_info(u, "Took over the cleanup of %s from %s on %s (handover "
               "recorded)", code, prev.operator_name, prev.host);
    return true;
}

/* Says so when the procedure file changed since the run started. */
static void warn_drift(ui *u, const run_view *rv)
{
    char *d = procedure_drift(&rv->proc, u->a->proc);
    if (!d)
        return;
    char *msg = xasprintf("This cleanup started with procedure %.12s. The "
                          "file %s has changed since: %s. The run keeps the "
                          "version it started with.",
                          rv->proc.hash, u->a->proc_path, d);
    prompt_message(u, "Procedure changed", msg);
    free(msg);
    free(d);
}

ui_result walk_open(ui *u, const char *code, int64_t id)
{
    ss_err e = {{0}};
    run_view rv;
    memset(&rv, 0, sizeof rv);
    if (journal_run_get(u->a->j, code, id, &rv, &e) != 0) {
        ui_error(u, "Cannot read the cleanup of %s: %s", code, e.msg);
        return UI_STAY;
    }
    if (rv.open) {
        if (!claim_run(u, code, &rv)) {
            run_view_free(&rv);
            return UI_STAY;
        }
        warn_drift(u, &rv);
    } else {
        ui_info(u, "%s #%lld is %s: shown read-only", code,
                (long long)rv.number, rv.state);
    }
    u->next = walk_screen_new(u, code, &rv);
    return UI_PUSH;
}
