/* report.c - the run list and one run's report (md, json; the list also
 * table and csv). */
#include "report.h"

#include <csv.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* ---- loading ---- */

typedef struct collect {
    event *v;
    size_t n, cap;
} collect;

static int collect_event(const event *ev, void *ctx)
{
    collect *c = ctx;
    if (c->n == c->cap)
        c->v = xrealloc(c->v, (c->cap = c->cap ? c->cap * 2 : 32) * sizeof *c->v);
    event *d = &c->v[c->n++];
    *d = *ev;
    d->operator_name = xstrdup(ev->operator_name);
    d->host = xstrdup(ev->host);
    d->note = xstrdup(ev->note);
    d->data = xstrdup(ev->data);
    return 0;
}

void run_report_free(run_report *r)
{
    run_view_free(&r->rv);
    run_summary_clear(&r->sum);
    events_free(r->events, r->nevents);
    free(r->item_times);
    free(r->drift);
    memset(r, 0, sizeof *r);
}

int run_report_load(journal *j, const char *code, int64_t number,
                    const procedure *current, run_report *out, ss_err *e)
{
    memset(out, 0, sizeof *out);
    int rc = journal_site_get(j, code, &out->site, e);
    if (rc)
        return rc;
    rc = number ? journal_run_numbered(j, out->site.code, number, &out->rv, e)
                : journal_run_latest(j, out->site.code, &out->rv, e);
    if (rc)
        return rc;
    /* The values the run used: a finished run's as it ended. */
    out->site = out->rv.values;
    site parent;
    if (out->site.parent[0] &&
        journal_site_get(j, out->site.parent, &parent, e) == 0)
        snprintf(out->parent_server, sizeof out->parent_server, "%s",
                 parent.server);
    /* The checkpoint first: every event up to it is in the report. */
    if (journal_checkpoint(j, &out->cp, e) != 0) {
        run_report_free(out);
        return -1;
    }
    collect c = {0};
    event_filter flt = {NULL, out->rv.id, NULL};
    out->item_times = xcalloc(out->rv.proc.nitems + 1, sizeof *out->item_times);
    int64_t active;
    if (journal_run_summary(j, out->rv.id, &out->sum, e) != 0 ||
        journal_events_each(j, &flt, collect_event, &c, e) != 0 ||
        journal_run_times(j, out->rv.id, &out->rv.proc, out->item_times,
                          &active, e) != 0) {
        out->events = c.v;
        out->nevents = c.n;
        run_report_free(out);
        return -1;
    }
    out->events = c.v;
    out->nevents = c.n;
    if (current)
        out->drift = procedure_drift(&out->rv.proc, current);
    return 0;
}

/* ---- shared pieces ---- */

char *run_outcome_line(const run_summary *s)
{
    strbuf b = {0};
    if (strcmp(s->state, "complete") == 0)
        sb_puts(&b, "complete: the site is clean;");
    else if (strcmp(s->state, "abandoned") == 0)
        sb_puts(&b, "abandoned;");
    else
        sb_printf(&b, "open: %zu of %zu applicable items closed;",
                  s->done + s->skipped,
                  s->done + s->skipped + s->failed + s->open);
    sb_printf(&b, " %zu done, %zu skipped, %zu failed, %zu not applicable,"
                  " %zu open", s->done, s->skipped, s->failed, s->na, s->open);
    return sb_take(&b);
}

static bool is_outcome(const char *kind)
{
    return strcmp(kind, "done") == 0 || strcmp(kind, "skipped") == 0 ||
           strcmp(kind, "failed") == 0 || strcmp(kind, "reopened") == 0;
}

/* The item's latest outcome event (done, skipped, failed, reopened). */
static const event *last_outcome(const run_report *r, const char *item)
{
    for (size_t i = r->nevents; i-- > 0;)
        if (strcmp(r->events[i].item, item) == 0 && is_outcome(r->events[i].kind))
            return &r->events[i];
    return NULL;
}

/* The latest event of the run of this kind, or NULL. */
static const event *last_of_kind(const run_report *r, const char *kind)
{
    for (size_t i = r->nevents; i-- > 0;)
        if (strcmp(r->events[i].kind, kind) == 0)
            return &r->events[i];
    return NULL;
}

static char *join(char *const *v, size_t n)
{
    strbuf b = {0};
    sb_puts(&b, "");
    for (size_t i = 0; i < n; i++)
        sb_printf(&b, "%s%s", i ? ", " : "", v[i]);
    return sb_take(&b);
}

static const char *state_label(item_state s)
{
    return s == ITEM_NA ? "not applicable" : item_state_name(s);
}

/* ---- the report as Markdown ---- */

static void md_text(FILE *f, const char *s)
{
    char *m = md_escape(s, false);
    fputs(m, f);
    free(m);
}

/* Multi-line text whole, as a quote under a list item. */
static void md_quote(FILE *f, const char *indent, const char *s)
{
    const char *line = s;
    for (;;) {
        const char *nl = strchr(line, '\n');
        char *one = nl ? xstrndup(line, (size_t)(nl - line)) : xstrdup(line);
        fprintf(f, "%s> ", indent);
        md_text(f, one);
        fputc('\n', f);
        free(one);
        if (!nl)
            break;
        line = nl + 1;
    }
}

static void md_cell_text(FILE *f, const char *s)
{
    char *m = md_escape(s, true);
    fprintf(f, " %s |", m);
    free(m);
}

static void md_site(FILE *f, const run_report *r)
{
    fputs("## Site\n\n| field | value |\n|---|---|\n", f);
    for (int k = 0; k < FIELD_COUNT; k++) {
        char buf[SITE_SERVERS_MAX + 1];
        site_get_field(&r->site, (site_field)k, buf, sizeof buf);
        fprintf(f, "| %s |", site_field_name((site_field)k));
        md_cell_text(f, buf);
        fputc('\n', f);
    }
    if (r->parent_server[0]) {
        fputs("| parent server |", f);
        md_cell_text(f, r->parent_server);
        fputc('\n', f);
    }
    fputc('\n', f);
}

static void md_run(FILE *f, const run_report *r)
{
    const run_summary *s = &r->sum;
    const procedure *p = &r->rv.proc;
    fputs("## Procedure\n\n", f);
    md_text(f, p->name);
    if (p->title) {
        fputs(" (", f);
        md_text(f, p->title);
        fputc(')', f);
    }
    fprintf(f, ", version `%s`.\n\n## Cleanup\n\n", p->hash);
    char el[32], ac[32];
    timing_format(s->elapsed, el, sizeof el);
    timing_format(s->active, ac, sizeof ac);
    char *ops = join(s->operators, s->noperators);
    char *hosts = join(s->hosts, s->nhosts);
    char *out = run_outcome_line(s);
    fprintf(f, "- Run: %s #%lld (journal run id %lld)\n", s->site,
            (long long)s->number, (long long)s->id);
    fprintf(f, "- State: %s\n- Started: %s\n- Ended: %s\n", s->state,
            s->started, s->ended[0] ? s->ended : "(still open)");
    fprintf(f, "- Elapsed: %s; active: %s (gaps over %d minutes not "
               "counted)\n", el, ac, TIMING_IDLE_LIMIT / 60);
    if (strcmp(s->state, "open") == 0) {
        if (s->has_estimate) {
            char left[32];
            timing_format(s->estimate, left, sizeof left);
            fprintf(f, "- Time left (estimate): %s\n", left);
        } else {
            fprintf(f, "- Time left (estimate): none until %d cleanups with "
                       "this procedure are complete\n", TIMING_MIN_RUNS);
        }
    }
    fputs("- Operators: ", f);
    md_text(f, ops);
    fputs("\n- Hosts: ", f);
    md_text(f, hosts);
    fputc('\n', f);
    fprintf(f, "\n**Outcome:** %s.", out);
    const event *ab = last_of_kind(r, "run-abandoned");
    if (ab) {
        fputs(" Abandoned by ", f);
        md_text(f, ab->operator_name);
        fprintf(f, " at %s: ", ab->ts);
        char *m = md_escape(ab->note, true);
        fputs(m, f);
        free(m);
    }
    fputs("\n\n", f);
    free(ops);
    free(hosts);
    free(out);
}

static void md_attention(FILE *f, const run_report *r)
{
    const procedure *p = &r->rv.proc;
    bool any = false;
    for (size_t i = 0; i < p->nitems; i++) {
        item_state st = r->rv.st.state[i];
        if (st != ITEM_SKIPPED && st != ITEM_FAILED)
            continue;
        if (!any)
            fputs("## Skipped and failed items\n\n| item | outcome | "
                  "operator | time (UTC) | reason |\n|---|---|---|---|---|\n", f);
        any = true;
        const event *ev = last_outcome(r, p->items[i].id);
        fputc('|', f);
        md_cell_text(f, p->items[i].id);
        md_cell_text(f, item_state_name(st));
        md_cell_text(f, ev ? ev->operator_name : "");
        md_cell_text(f, ev ? ev->ts : "");
        md_cell_text(f, ev ? ev->note : "");
        fputc('\n', f);
    }
    if (any)
        fputc('\n', f);
}

static void md_commands(FILE *f, char **cmds, size_t nc)
{
    if (!nc)
        return;
    fputs("- Commands:\n\n", f);
    size_t fence = 3;
    for (size_t i = 0; i < nc; i++) {
        size_t cur = 0;
        for (const char *c = cmds[i]; *c; c++) {
            cur = *c == '`' ? cur + 1 : 0;
            if (cur >= fence)
                fence = cur + 1;
        }
    }
    fprintf(f, "  %.*s\n", (int)fence, "``````````````````````````````");
    for (size_t i = 0; i < nc; i++) {
        char *c = str_escape_unsafe(cmds[i]);
        fprintf(f, "  %s\n", c);
        free(c);
    }
    fprintf(f, "  %.*s\n", (int)fence, "``````````````````````````````");
}

static void md_item(FILE *f, const run_report *r, const proc_values *v,
                    size_t i)
{
    const proc_item *it = &r->rv.proc.items[i];
    item_state st = r->rv.st.state[i];
    char *title = procedure_expand(it->title, v);
    fprintf(f, "### %s ", it->id);
    md_text(f, title);
    fprintf(f, ": %s\n\n", state_label(st));
    free(title);
    const event *last = last_outcome(r, it->id);
    /* A reopen leaves the item open: it stays in the history below, and
     * only an outcome that stands gets the headline. */
    const event *shown = last && strcmp(last->kind, "reopened") != 0 ? last
                                                                     : NULL;
    if (shown) {
        char spent[80];
        timing_item_format(&r->item_times[i], spent, sizeof spent);
        fprintf(f, "- %s by ", last->kind);
        md_text(f, last->operator_name);
        fputs(" on ", f);
        md_text(f, last->host);
        fprintf(f, " at %s; time spent %s\n", last->ts, spent);
        if (last->note[0]) {
            fputs(strcmp(last->kind, "done") == 0 ? "- Note:\n" : "- Reason:\n", f);
            md_quote(f, "  ", last->note);
        }
    } else if (st == ITEM_NA) {
        fputs("- Does not apply to this site.\n", f);
    } else {
        fputs("- Not done.\n", f);
    }
    /* Everything else that happened to the item, oldest first. */
    bool head = false;
    for (size_t k = 0; k < r->nevents; k++) {
        const event *ev = &r->events[k];
        if (strcmp(ev->item, it->id) != 0 || ev == shown)
            continue;
        if (!head)
            fputs("- History:\n", f);
        head = true;
        fprintf(f, "  - %s ", ev->ts);
        md_text(f, ev->operator_name);
        fprintf(f, " %s%s\n", ev->kind, ev->note[0] ? ":" : "");
        if (ev->note[0])
            md_quote(f, "    ", ev->note);
    }
    size_t nc;
    char **cmds = proc_item_commands(it, v, &nc);
    md_commands(f, cmds, nc);
    procedure_strv_free(cmds);
    fputc('\n', f);
}

/* The run's events of kind, one line each (time, who, where, note), or
 * "None.". */
static void md_events_of(FILE *f, const run_report *r, const char *kind)
{
    bool any = false;
    for (size_t k = 0; k < r->nevents; k++) {
        const event *ev = &r->events[k];
        if (strcmp(ev->kind, kind) != 0)
            continue;
        any = true;
        fprintf(f, "- %s ", ev->ts);
        md_text(f, ev->operator_name);
        fputs(" on ", f);
        md_text(f, ev->host);
        fputs(": ", f);
        md_text(f, ev->note);
        fputc('\n', f);
    }
    fputs(any ? "\n" : "None.\n\n", f);
}

static void report_md(FILE *f, const run_report *r)
{
    fprintf(f, "# Cleanup report: %s #%lld (", r->sum.site,
            (long long)r->sum.number);
    md_text(f, r->site.name);
    fputs(")\n\n", f);
    md_site(f, r);
    md_run(f, r);
    md_attention(f, r);
    fputs("## Checklist\n\n", f);
    proc_values v = {&r->site, r->parent_server[0] ? r->parent_server : NULL};
    for (size_t i = 0; i < r->rv.proc.nitems; i++)
        md_item(f, r, &v, i);
    fputs("## Handovers\n\n", f);
    md_events_of(f, r, "handover");
    fputs("## Breaks\n\n", f);
    md_events_of(f, r, "resumed");
    fputs("## Drift\n\n", f);
    if (r->drift_unchecked[0]) {
        fputs("Not checked: ", f);
        md_text(f, r->drift_unchecked);
        fputs(".\n", f);
    } else if (r->drift) {
        fprintf(f, "The procedure file differs from the version this run "
                   "follows (`%.12s`): ", r->rv.proc.hash);
        md_text(f, r->drift);
        fputs(". The run kept the version it started with.\n", f);
    } else {
        fputs("None: the procedure file is the version this run follows.\n", f);
    }
    export_md_checkpoint(f, &r->cp);
}

/* ---- the report as JSON ---- */

static json_t *str_or_null(const char *s)
{
    return s && *s ? export_json_text(s) : json_null();
}

static json_t *strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, export_json_text(v[i]));
    return a;
}

static json_t *event_brief(const event *ev)
{
    json_t *o = json_object();
    json_object_set_new(o, "time", export_json_text(ev->ts));
    json_object_set_new(o, "operator", export_json_text(ev->operator_name));
    json_object_set_new(o, "host", export_json_text(ev->host));
    json_object_set_new(o, "kind", export_json_text(ev->kind));
    json_object_set_new(o, "note", str_or_null(ev->note));
    return o;
}

static json_t *summary_json(const run_summary *s, bool with_site)
{
    json_t *o = json_object();
    if (with_site)
        json_object_set_new(o, "site", export_json_text(s->site));
    json_object_set_new(o, "number", json_integer(s->number));
    json_object_set_new(o, "id", json_integer(s->id));
    json_object_set_new(o, "state", export_json_text(s->state));
    json_object_set_new(o, "procedure", export_json_text(s->procedure_name));
    json_object_set_new(o, "procedure_hash", export_json_text(s->procedure));
    json_object_set_new(o, "started", export_json_text(s->started));
    json_object_set_new(o, "ended", str_or_null(s->ended));
    json_object_set_new(o, "elapsed_seconds", json_integer(s->elapsed));
    json_object_set_new(o, "active_seconds", json_integer(s->active));
    json_object_set_new(o, "estimate_seconds", s->has_estimate
                                                   ? json_integer(s->estimate)
                                                   : json_null());
    json_object_set_new(o, "operators", strv_json(s->operators, s->noperators));
    json_object_set_new(o, "hosts", strv_json(s->hosts, s->nhosts));
    json_object_set_new(o, "done", json_integer((json_int_t)s->done));
    json_object_set_new(o, "skipped", json_integer((json_int_t)s->skipped));
    json_object_set_new(o, "failed", json_integer((json_int_t)s->failed));
    json_object_set_new(o, "not_applicable", json_integer((json_int_t)s->na));
    json_object_set_new(o, "open", json_integer((json_int_t)s->open));
    return o;
}

static json_t *report_json(const run_report *r)
{
    json_t *o = json_object();
    const site *s = &r->site;
    json_t *so = json_object();
    char drive[2] = {s->drive, '\0'};
    json_object_set_new(so, "code", export_json_text(s->code));
    json_object_set_new(so, "name", export_json_text(s->name));
    json_object_set_new(so, "parent", export_json_text(s->parent));
    json_object_set_new(so, "parent_server", str_or_null(r->parent_server));
    json_object_set_new(so, "server", export_json_text(s->server));
    json_object_set_new(so, "drive", export_json_text(drive));
    json_object_set_new(so, "state", export_json_text(site_state_name(s->state)));
    json_object_set_new(so, "logon", json_boolean(s->logon));
    char names[64][SITE_HOST_MAX + 1];
    size_t k = site_servers_split(s, names, 64);
    json_t *servers = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(servers, export_json_text(names[i]));
    json_object_set_new(so, "servers", servers);
    json_object_set_new(so, "pdc", export_json_text(s->pdc));
    json_object_set_new(o, "site", so);
    json_t *po = json_object();
    json_object_set_new(po, "name", export_json_text(r->rv.proc.name));
    json_object_set_new(po, "title", str_or_null(r->rv.proc.title));
    json_object_set_new(po, "hash", export_json_text(r->rv.proc.hash));
    json_object_set_new(o, "procedure", po);
    json_object_set_new(o, "run", summary_json(&r->sum, false));
    char *out = run_outcome_line(&r->sum);
    json_object_set_new(o, "outcome", export_json_text(out));
    free(out);
    const event *ab = last_of_kind(r, "run-abandoned");
    json_object_set_new(o, "abandoned", ab ? event_brief(ab) : json_null());
    json_t *att = json_array(), *items = json_array();
    proc_values v = {&r->site, r->parent_server[0] ? r->parent_server : NULL};
    for (size_t i = 0; i < r->rv.proc.nitems; i++) {
        const proc_item *it = &r->rv.proc.items[i];
        item_state st = r->rv.st.state[i];
        if (st == ITEM_SKIPPED || st == ITEM_FAILED)
            json_array_append_new(att, export_json_text(it->id));
        json_t *io = json_object();
        json_object_set_new(io, "id", export_json_text(it->id));
        char *title = procedure_expand(it->title, &v);
        json_object_set_new(io, "title", export_json_text(title));
        free(title);
        json_object_set_new(io, "state", export_json_text(item_state_name(st)));
        const event *last = last_outcome(r, it->id);
        bool closed = last && strcmp(last->kind, "reopened") != 0;
        json_object_set_new(io, "operator", closed ? export_json_text(last->operator_name) : json_null());
        json_object_set_new(io, "host", closed ? export_json_text(last->host) : json_null());
        json_object_set_new(io, "time", closed ? export_json_text(last->ts) : json_null());
        json_object_set_new(io, "seconds", json_integer(r->item_times[i].seconds));
        json_object_set_new(io, "seconds_before_failure",
                            json_integer(r->item_times[i].before_failure));
        json_object_set_new(io, "retried",
                            json_boolean(r->item_times[i].retried));
        json_object_set_new(io, "reason", closed ? str_or_null(last->note) : json_null());
        json_t *hist = json_array();
        for (size_t e = 0; e < r->nevents; e++)
            if (strcmp(r->events[e].item, it->id) == 0)
                json_array_append_new(hist, event_brief(&r->events[e]));
        json_object_set_new(io, "events", hist);
        size_t nc;
        char **cmds = proc_item_commands(it, &v, &nc);
        json_object_set_new(io, "commands", strv_json(cmds, nc));
        procedure_strv_free(cmds);
        json_array_append_new(items, io);
    }
    json_object_set_new(o, "attention", att);
    json_object_set_new(o, "items", items);
    json_t *ho = json_array();
    for (size_t e = 0; e < r->nevents; e++)
        if (strcmp(r->events[e].kind, "handover") == 0)
            json_array_append_new(ho, event_brief(&r->events[e]));
    json_object_set_new(o, "handovers", ho);
    json_t *rs = json_array();
    for (size_t e = 0; e < r->nevents; e++)
        if (strcmp(r->events[e].kind, "resumed") == 0)
            json_array_append_new(rs, event_brief(&r->events[e]));
    json_object_set_new(o, "resumed", rs);
    json_object_set_new(o, "drift", str_or_null(r->drift));
    json_object_set_new(o, "drift_checked",
                        json_boolean(!r->drift_unchecked[0]));
    char cp[CHECKPOINT_MAX];
    checkpoint_format(&r->cp, cp);
    json_object_set_new(o, "checkpoint", export_json_text(cp));
    return o;
}

static int dump(FILE *f, json_t *v)
{
    int rc = json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(v);
    fputc('\n', f);
    return rc;
}

int export_report(FILE *f, out_format fmt, const run_report *r)
{
    if (fmt == FMT_JSON) {
        if (dump(f, report_json(r)))
            return -1;
    } else {
        report_md(f, r);
    }
    return ferror(f) || fflush(f) ? -1 : 0;
}

/* ---- the run list ---- */

static const char *const run_cols[] = {
    "site", "number", "id", "state", "procedure", "procedure_hash",
    "started", "ended", "elapsed_seconds", "active_seconds",
    "estimate_seconds", "operators", "hosts", "done", "skipped", "failed",
    "not_applicable", "open",
};
#define NRUN_COLS (sizeof run_cols / sizeof run_cols[0])

int export_runs(FILE *f, out_format fmt, const run_summary *v, size_t n)
{
    if (fmt == FMT_JSON) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, summary_json(&v[i], true));
        if (dump(f, a))
            return -1;
        return ferror(f) ? -1 : 0;
    }
    if (fmt == FMT_CSV)
        for (size_t c = 0; c < NRUN_COLS; c++)
            export_csv_cell(f, run_cols[c], c + 1 == NRUN_COLS);
    else if (fmt == FMT_MD)
        fprintf(f, "## Cleanups (%zu)\n\n| run | state | procedure | started "
                   "(UTC) | ended (UTC) | elapsed | active | time left "
                   "(estimate) | operators | done | skipped | failed | n/a "
                   "| open |\n"
                   "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
                n);
    size_t opw = 16; /* OPERATORS: as wide as the widest, up to 40 */
    for (size_t i = 0; fmt == FMT_TABLE && i < n; i++) {
        char *ops = join(v[i].operators, v[i].noperators);
        size_t w = text_width_escaped(ops);
        if (w > opw)
            opw = w > 40 ? 40 : w;
        free(ops);
    }
    if (fmt == FMT_TABLE) {
        static const char *const head[] = {"RUN", "STATE", "PROCEDURE",
                                           "STARTED", "ENDED"};
        static const size_t hw[] = {8, 9, 20, 16, 16};
        for (size_t c = 0; c < 5; c++) {
            export_table_cell(f, head[c], hw[c], true);
            fputc(' ', f);
        }
        fprintf(f, "%8s %8s %8s ", "ELAPSED", "ACTIVE", "LEFT");
        export_table_cell(f, "OPERATORS", opw, true);
        fprintf(f, " %4s %4s %4s %4s %4s\n", "DONE", "SKIP", "FAIL", "N/A",
                "OPEN");
    }
    for (size_t i = 0; i < n; i++) {
        const run_summary *s = &v[i];
        char run[32], proc[96], el[32], ac[32], left[32] = "-";
        snprintf(run, sizeof run, "%s #%lld", s->site, (long long)s->number);
        snprintf(proc, sizeof proc, "%s %.8s", s->procedure_name, s->procedure);
        timing_format(s->elapsed, el, sizeof el);
        timing_format(s->active, ac, sizeof ac);
        if (s->has_estimate)
            timing_format(s->estimate, left, sizeof left);
        char *ops = join(s->operators, s->noperators);
        if (fmt == FMT_CSV) {
            char *hosts = join(s->hosts, s->nhosts);
            char num[24], id[24], els[24], acs[24], est[24], cnt[5][24];
            snprintf(num, sizeof num, "%lld", (long long)s->number);
            snprintf(id, sizeof id, "%lld", (long long)s->id);
            snprintf(els, sizeof els, "%lld", (long long)s->elapsed);
            snprintf(acs, sizeof acs, "%lld", (long long)s->active);
            snprintf(est, sizeof est, "%lld", (long long)s->estimate);
            size_t counts[5] = {s->done, s->skipped, s->failed, s->na, s->open};
            for (int c = 0; c < 5; c++)
                snprintf(cnt[c], sizeof cnt[c], "%zu", counts[c]);
            const char *cells[NRUN_COLS] = {
                s->site, num, id, s->state, s->procedure_name, s->procedure,
                s->started, s->ended, els, acs, s->has_estimate ? est : "",
                ops, hosts, cnt[0], cnt[1], cnt[2], cnt[3], cnt[4]};
            for (size_t c = 0; c < NRUN_COLS; c++)
                export_csv_cell(f, cells[c], c + 1 == NRUN_COLS);
            free(hosts);
        } else if (fmt == FMT_MD) {
            char cnt[5][24];
            size_t counts[5] = {s->done, s->skipped, s->failed, s->na, s->open};
            for (int c = 0; c < 5; c++)
                snprintf(cnt[c], sizeof cnt[c], "%zu", counts[c]);
            const char *cells[] = {run, s->state, proc, s->started, s->ended,
                                   el, ac, left, ops, cnt[0], cnt[1], cnt[2],
                                   cnt[3], cnt[4]};
            fputc('|', f);
            for (size_t c = 0; c < sizeof cells / sizeof *cells; c++)
                md_cell_text(f, cells[c]);
            fputc('\n', f);
        } else {
            /* Every cell padded by display columns, not bytes, so the
             * columns line up whatever the names ("Müller", "日本"). */
            char st[17], en[17]; /* to the minute, as before */
            snprintf(st, sizeof st, "%.16s", s->started);
            snprintf(en, sizeof en, "%.16s", s->ended[0] ? s->ended : "-");
            const char *cells[] = {run, s->state, proc, st, en};
            static const size_t cw[] = {8, 9, 20, 16, 16};
            for (size_t c = 0; c < 5; c++) {
                export_table_cell(f, cells[c], cw[c], true);
                fputc(' ', f);
            }
            fprintf(f, "%8s %8s %8s ", el, ac, left);
            export_table_cell(f, ops, opw, true);
            fprintf(f, " %4zu %4zu %4zu %4zu %4zu\n", s->done, s->skipped,
                    s->failed, s->na, s->open);
        }
        free(ops);
    }
    return ferror(f) ? -1 : 0;
}
