/* console.c - the console's one loop: a stack of screens, each key handed
 * to the screen on top, whose answer (stay, back, push, quit) the loop
 * carries out; the keys every screen shares are handled here once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "console.h"
#include "ui.h"

static void push(ui *u, screen *s)
{
    s->below = u->top;
    u->top = s;
}

static void pop(ui *u)
{
    screen *s = u->top;
    if (!s)
        return;
    u->top = s->below;
    s->ops->destroy(s);
    free(s);
    if (u->top && u->top->ops->resume)
        u->top->ops->resume(u, u->top);
}

/* Whether the demo may be offered: on the default journal, or when
 * SITESWEEP_DEMO_OFFER is set (make run), never on a journal named with
 * --journal or SITESWEEP_JOURNAL, where an empty journal more likely means
 * a mistyped path. */
static bool demo_wanted(const app *a)
{
    const char *env = getenv("SITESWEEP_DEMO_OFFER");
    if (env && *env)
        return true;
    /* SITESWEEP_JOURNAL names a journal as --journal does. */
    const char *named = getenv("SITESWEEP_JOURNAL");
    if (named && *named)
        return false;
    char def[4096];
    ss_err e = {{0}};
    return a->journal_path &&
           journal_resolve_path(NULL, def, sizeof def, &e) == 0 &&
           strcmp(def, a->journal_path) == 0;
}

/* With an empty journal, offers the bundled demo inventory (default No). */
static void offer_demo(ui *u)
{
    size_t n = 0;
    ss_err e = {{0}};
    if (!u->a->demo_csv || !demo_wanted(u->a) ||
        journal_site_count(u->a->j, &n, &e) != 0 || n)
        return;
    inventory inv;
    memset(&inv, 0, sizeof inv);
    if (inventory_load(u->a->demo_csv, &inv, &e) != 0) {
        ui_error(u, "Cannot read the demo inventory: %s", e.msg);
        return;
    }
    char *q = xasprintf("The journal is empty. Load the bundled demo "
                        "inventory (%zu sites)? [y/N]", inv.n);
    bool yes = prompt_confirm(u, q, false);
    free(q);
    if (yes) {
        import_stats st;
        memset(&st, 0, sizeof st);
        if (journal_import(u->a->j, &inv, u->a->demo_csv, &st, &e) != 0)
            ui_error(u, "Demo inventory not loaded: %s", e.msg);
        else
            ui_info(u, "Loaded %zu demo sites from %s", st.added,
                    u->a->demo_csv);
    } else if (!u->quit) {
        ui_info(u, "Nothing loaded: press a to add a site, or run "
                   "`sitesweep import FILE`");
    }
    inventory_free(&inv);
    if (u->top && u->top->ops->resume)
        u->top->ops->resume(u, u->top);
}

/* Tab cycles Sites, Cleanups, Journal: Sites pushes Cleanups, Cleanups
 * gives way to the Journal, the Journal goes back to Sites. */
static void switch_view(ui *u)
{
    screen *s = u->top;
    bool on_sites = s->below && s->below->ops->keys == &keys_sites;
    if (s->ops->keys == &keys_journal && on_sites) {
        pop(u);
    } else if (s->ops->keys == &keys_runs && on_sites) {
        pop(u);
        push(u, journal_screen_new(u));
    } else if (s->ops->keys == &keys_sites) {
        push(u, runs_screen_new(u));
    }
}

/* Carries out what a screen's handler asked for (stay, back, push,
 * quit); false to leave. */
static bool act_on(ui *u, ui_result r)
{
    switch (r) {
    case UI_QUIT: return false;
    case UI_BACK:
        pop(u);
        return u->top != NULL;
    case UI_HOME:
        while (u->top && u->top->below)
            pop(u);
        return u->top != NULL;
    case UI_PUSH:
        if (u->next)
            push(u, u->next);
        u->next = NULL;
        return true;
    default: return true;
    }
}

/* The keys every screen shares, handled here once: help, Tab, Ctrl-L and
 * the whole status message. True when k was one of them. */
static bool common_key(ui *u, int k)
{
    screen *s = u->top;
    if (k < 0 || (s->ops->typing && s->ops->typing(s)))
        return false;
    switch (keymap_lookup(s->ops->keys, k)) {
    case ACT_HELP:
        push(u, help_screen_new(s->ops->keys));
        return true;
    case ACT_SWITCH:
        u->msg[0] = '\0';
        switch_view(u);
        return true;
    case ACT_REDRAW: /* Ctrl-L: reload from the journal, redraw it all */
        if (s->ops->resume)
            s->ops->resume(u, s);
        clearok(curscr, TRUE);
        term_modes(); /* and every terminal mode, in case one was lost */
        return true;
    case ACT_MESSAGE:
        if (u->msg[0])
            push(u, message_screen_new(u->msg));
        else
            ui_info(u, "No status message to show");
        return true;
    default:
        return false;
    }
}

/* The console's idle check: whether another program wrote to the
 * journal (journal_changed); a journal that cannot be read is said once
 * until it can again. */
static bool journal_moved(void *arg)
{
    ui *u = arg;
    bool changed = false;
    ss_err e = {{0}};
    /* reconnected while a dialog was open: what was missed is read now */
    bool missed = u->missed;
    u->missed = false;
    if (journal_changed(u->a->j, &changed, &e) != 0) {
        if (!u->unreachable)
            ui_error(u, "The journal cannot be read now: %s", e.msg);
        u->unreachable = true;
        return !u->said_unreachable ? (u->said_unreachable = true) : false;
    }
    if (u->unreachable) {
        u->unreachable = u->said_unreachable = false;
        ui_info(u, "The journal can be read again");
        return true;
    }
    return changed || missed;
}

/* Every other wait's keepalive (term_set_keepalive): a question, prompt,
 * form or help keeps the journal's session and this console's holds
 * (PostgreSQL: made again within a wait's tick after the server comes
 * back), draws nothing and answers nothing; what it missed across a
 * reconnection is read at the console's next wait (journal_moved). A
 * server still away is left to the write, which says so, and to the
 * console's own wait. */
static void journal_kept(void *arg)
{
    ui *u = arg;
    bool again = false;
    ss_err e = {{0}};
    if (journal_keepalive(u->a->j, &again, &e) == J_OK && again)
        u->missed = true;
}

static void run_loop(ui *u)
{
    for (;;) {
        if (u->quit)
            return;
        /* Said until the journal is back, not only until the next key. */
        if (u->unreachable && !u->msg[0])
            ui_error(u, "The journal cannot be read now; nothing is "
                        "recorded until it is back (retrying)");
        ui_paint(u);
        refresh();
        /* Only while the loop itself waits: a question or prompt never
         * takes a change elsewhere for an answer. */
        if (u->live)
            term_set_idle(journal_moved, u);
        int k = ui_key(u);
        term_set_idle(NULL, NULL);
        if (k == UI_KEY_QUIT)
            return;
        if (k == UI_KEY_RESIZE || k == UI_KEY_CHANGED) {
            /* An unreachable journal: only its message is new. */
            if (u->top->ops->resume && !(k == UI_KEY_CHANGED && u->unreachable))
                u->top->ops->resume(u, u->top);
            continue;
        }
        if (k == UI_KEY_HELD) {
            /* in a form or a filter: the key that opened it, held down,
             * types nothing */
            ui_info(u, "Ignored a key held down: release it and press it "
                       "again");
            continue;
        }
        if (k == UI_KEY_PASTE && term_paste_result() != TERM_PASTE_WHOLE) {
            /* cancelled or too long: no text for any field, and what
             * still comes of it is discarded, never keys */
            if (term_paste_result() == TERM_PASTE_TOO_LONG)
                ui_info(u, "Paste too long: nothing of it was put in and "
                           "nothing of it acted as keys");
            else if (term_paste_owed())
                ui_info(u, "Paste cancelled: nothing of it acted as keys; "
                           "the rest of it is discarded when it arrives "
                           "(Esc stops waiting)");
            else
                ui_info(u, "Paste cancelled: nothing of it was put in and "
                           "nothing of it acted as keys");
            continue;
        }
        if (common_key(u, k))
            continue;
        /* a paste keeps the word about control characters left out */
        if (k != UI_KEY_PASTE || !term_paste_controls())
            u->msg[0] = '\0';
        if (k == UI_KEY_PASTE) {
            /* A paste is text for a field, never keys. */
            if (!u->top->ops->paste ||
                !u->top->ops->paste(u, u->top, u->paste))
                ui_info(u, "Paste ignored: no text field is open here "
                           "(a paste never acts as keys)");
            continue;
        }
        ui_result r = u->top->ops->handle(u, u->top, k);
        ui_written(u); /* keys typed during its writes: not answers */
        if (!act_on(u, r))
            return;
    }
}

int ui_console(app *a)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "sitesweep: the console needs a terminal; for "
                        "scripts use `sitesweep sites`, `sitesweep mark` or "
                        "`sitesweep journal` (see --help)\n");
        return 2;
    }
    ss_err e = {{0}};
    if (term_init(&e) != 0) {
        fprintf(stderr, "sitesweep: %s\n", e.msg);
        return 2; /* the terminal is not one the console can use */
    }
    ui u;
    memset(&u, 0, sizeof u);
    u.a = a;
    journal_set_console(a->j, true); /* claims runs, as one of many consoles */
    /* Live: what other consoles and scripts record shows without a key. */
    ss_err we = {{0}};
    u.live = journal_watch(a->j, &we) == 0;
    /* Holds and the session are kept in every wait, dialogs too. */
    term_set_keepalive(journal_kept, &u);
    push(&u, sites_screen_new(&u));
    offer_demo(&u);
    run_loop(&u);
    term_set_keepalive(NULL, NULL);
    while (u.top) {
        screen *s = u.top;
        u.top = s->below;
        s->ops->destroy(s);
        free(s);
    }
    if (u.next) {
        u.next->ops->destroy(u.next);
        free(u.next);
    }
    int sig = term_signal();
    term_done();
    term_write_report();
    /* Ended by a signal: the status a shell expects (130 for Ctrl-C). */
    return sig ? 128 + sig : 0;
}
