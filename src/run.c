/* run.c - item states of one cleanup run, derived from its outcomes. */
#include "run.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {
    "open", "done", "skipped", "failed", "n/a",
};

static const char *const outcome_names[OUT_COUNT] = {
    "done", "skipped", "failed", "reopened",
};

const char *item_state_name(item_state s)
{
    return (unsigned)s <= ITEM_NA ? state_names[s] : "?";
}

const char *item_state_mark(item_state s)
{
    switch (s) {
    case ITEM_DONE: return "[x]";
    case ITEM_SKIPPED: return "[-]";
    case ITEM_FAILED: return "[!]";
    case ITEM_NA: return "n/a";
    default: return "[ ]";
    }
}

const char *outcome_name(outcome o)
{
    return (unsigned)o < OUT_COUNT ? outcome_names[o] : "?";
}

int outcome_parse(const char *s)
{
    for (int i = 0; i < OUT_COUNT; i++)
        if (strcmp(outcome_names[i], s) == 0)
            return i;
    return -1;
}

bool outcome_needs_note(outcome o)
{
    return o == OUT_SKIPPED || o == OUT_FAILED;
}

/* Recounts closed/applicable/failed from the visible states. */
static void recount(run_state *r)
{
    r->closed = r->applicable = r->failed = 0;
    for (size_t i = 0; i < r->nitems; i++) {
        item_state s = r->state[i];
        if (s == ITEM_NA)
            continue;
        r->applicable++;
        if (s == ITEM_DONE || s == ITEM_SKIPPED)
            r->closed++;
        else if (s == ITEM_FAILED)
            r->failed++;
    }
}

void run_state_init(run_state *r, const procedure *p, const site *s)
{
    r->nitems = p->nitems;
    r->state = xcalloc(p->nitems, sizeof *r->state);
    r->recorded = xcalloc(p->nitems, sizeof *r->recorded);
    for (size_t i = 0; i < p->nitems; i++) {
        r->recorded[i] = ITEM_OPEN;
        r->state[i] = proc_item_applies(&p->items[i], s) ? ITEM_OPEN : ITEM_NA;
    }
    recount(r);
}

void run_state_free(run_state *r)
{
    free(r->state);
    free(r->recorded);
    memset(r, 0, sizeof *r);
}

void run_state_set(run_state *r, size_t idx, item_state s)
{
    if (idx >= r->nitems || s == ITEM_NA)
        return;
    r->recorded[idx] = s;
    if (r->state[idx] != ITEM_NA)
        r->state[idx] = s;
    recount(r);
}

void run_state_reapply(run_state *r, const procedure *p, const site *s)
{
    for (size_t i = 0; i < r->nitems && i < p->nitems; i++)
        r->state[i] = proc_item_applies(&p->items[i], s) ? r->recorded[i]
                                                          : ITEM_NA;
    recount(r);
}

int run_state_apply(run_state *r, const procedure *p, size_t idx, outcome o,
                    ss_err *e)
{
    if (idx >= r->nitems)
        return ss_errf(e, "no item number %zu in this run", idx);
    const char *id = p->items[idx].id;
    item_state cur = r->state[idx];
    if (cur == ITEM_NA)
        return ss_errf(e, "item %s does not apply to this site", id);
    item_state next;
    switch (o) {
    case OUT_DONE: next = ITEM_DONE; break;
    case OUT_SKIPPED: next = ITEM_SKIPPED; break;
    case OUT_FAILED: next = ITEM_FAILED; break;
    case OUT_REOPENED: next = ITEM_OPEN; break;
    default: return ss_errf(e, "unknown outcome");
    }
    if (cur == next)
        return APPLY_ALREADY;
    bool ok;
    switch (o) {
    case OUT_DONE:
    case OUT_SKIPPED: ok = cur == ITEM_OPEN || cur == ITEM_FAILED; break;
    case OUT_FAILED: ok = cur == ITEM_OPEN; break;
    default: ok = cur != ITEM_OPEN; break;
    }
    if (!ok)
        return ss_errf(e, "item %s is %s: reopen it first", id,
                       item_state_name(cur));
    r->recorded[idx] = next;
    r->state[idx] = next;
    recount(r);
    return APPLY_CHANGED;
}

static int first_in_state(const run_state *r, size_t from, item_state s)
{
    for (size_t k = 0; k < r->nitems; k++) {
        size_t i = (from + k) % r->nitems;
        if (r->state[i] == s)
            return (int)i;
    }
    return -1;
}

int run_state_resume(const run_state *r)
{
    if (r->nitems == 0)
        return -1;
    int i = first_in_state(r, 0, ITEM_OPEN);
    return i >= 0 ? i : first_in_state(r, 0, ITEM_FAILED);
}

int run_state_next_open(const run_state *r, size_t idx)
{
    if (r->nitems == 0)
        return -1;
    int i = first_in_state(r, (idx + 1) % r->nitems, ITEM_OPEN);
    return i >= 0 ? i : first_in_state(r, 0, ITEM_FAILED);
}

bool run_state_complete(const run_state *r)
{
    return r->applicable > 0 && r->closed == r->applicable;
}

size_t run_state_open_before(const run_state *r, const procedure *p,
                             size_t idx, strbuf *b)
{
    size_t open[3], n = 0;
    for (size_t i = 0; i < idx && i < r->nitems; i++) {
        if (r->state[i] != ITEM_OPEN && r->state[i] != ITEM_FAILED)
            continue;
        if (n < 3)
            open[n] = i;
        n++;
    }
    size_t shown = n < 3 ? n : 3;
    for (size_t k = 0; k < shown; k++) {
        const char *sep = k == 0 ? ""
                          : (k == shown - 1 && n <= 3) ? " and " : ", ";
        sb_printf(b, "%s%s", sep, p->items[open[k]].id);
    }
    if (n > 3)
        sb_printf(b, " and %zu more", n - 3);
    return n;
}
