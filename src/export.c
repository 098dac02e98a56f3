/* export.c - table, csv (libcsv), json (jansson) and md writers. */
#include "export.h"
#include "review.h"
#include "text.h"

#include <csv.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const fmt_names[] = {"table", "csv", "json", "md"};

int out_format_parse(const char *s, unsigned allowed)
{
    for (int i = 0; i <= FMT_MD; i++)
        if (strcmp(s, fmt_names[i]) == 0 && (allowed & (1u << i)))
            return i;
    return -1;
}

const char *out_format_name(out_format f)
{
    return (unsigned)f <= FMT_MD ? fmt_names[f] : "?";
}

/* ---- shared text helpers ---- */

void export_table_cell(FILE *f, const char *s, size_t w, bool pad)
{
    char *cell = text_crop(s, w, "\xe2\x80\xa6");
    fputs(cell, f);
    for (size_t used = text_width(cell); pad && used < w; used++)
        fputc(' ', f);
    free(cell);
}

char *md_escape(const char *s, bool in_cell)
{
    strbuf b = {0};
    const char *line = s;
    for (;;) {
        const char *nl = strchr(line, '\n');
        char *one = nl ? xstrndup(line, (size_t)(nl - line)) : xstrdup(line);
        char *esc = str_escape_unsafe(one);
        for (const char *p = esc; *p; p++) {
            if (strchr("\\`*_[]<>|#~!", *p))
                sb_putc(&b, '\\');
            sb_putc(&b, *p);
        }
        free(esc);
        free(one);
        if (!nl)
            break;
        sb_puts(&b, in_cell ? "<br>" : "\n");
        line = nl + 1;
    }
    return sb_take(&b);
}

static void md_cell(FILE *f, const char *s)
{
    char *m = md_escape(s, true);
    fprintf(f, " %s |", m);
    free(m);
}

static bool csv_raw; /* --raw-csv: cells exactly as stored */

void export_csv_raw(bool raw)
{
    csv_raw = raw;
}

void export_csv_cell(FILE *f, const char *s, bool last)
{
    if (csv_raw) {
        csv_fwrite(f, s, strlen(s));
    } else {
        char *esc = str_escape_unsafe(s);
        bool formula = strchr("=+-@\t\r", s[0]) && s[0];
        strbuf b = {0};
        if (formula)
            sb_putc(&b, '\'');
        sb_puts(&b, esc);
        csv_fwrite(f, b.s, b.len);
        sb_free(&b);
        free(esc);
    }
    fputs(last ? "\r\n" : ",", f);
}

void site_progress_text(const site_row *r, bool short_date, char *buf,
                        size_t n)
{
    if (!r->run)
        snprintf(buf, n, "-");
    else if (r->run_open)
        snprintf(buf, n, "%zu/%zu", r->closed, r->applicable);
    else if (strcmp(r->run_state, "abandoned") == 0)
        snprintf(buf, n, "abandoned %.*s", short_date ? 5 : 10,
                 strlen(r->run_ended) >= 10 ? r->run_ended + (short_date ? 5 : 0)
                                            : "");
    else
        snprintf(buf, n, "done %.10s", r->run_ended);
}

/* ---- sites ---- */

static const char *const site_cols[] = {
    "code", "name", "parent", "server", "drive", "state", "logon", "servers",
    "pdc", "run", "run_open", "closed", "applicable", "run_started",
    "run_ended", "resume", "last_activity", "procedure", "run_number",
};
#define NSITE_COLS (sizeof site_cols / sizeof site_cols[0])

/* The site row as strings in site_cols order; free with free(v[i]). */
static void site_values(const site_row *r, char *v[NSITE_COLS])
{
    char buf[SITE_SERVERS_MAX + 1];
    for (int f = 0; f < FIELD_COUNT; f++) {
        site_get_field(&r->site, (site_field)f, buf, sizeof buf);
        v[f] = xstrdup(buf);
    }
    v[9] = r->run ? xasprintf("%lld", (long long)r->run) : xstrdup("");
    v[10] = xstrdup(r->run ? (r->run_open ? "yes" : "no") : "");
    v[11] = r->run ? xasprintf("%zu", r->closed) : xstrdup("");
    v[12] = r->run ? xasprintf("%zu", r->applicable) : xstrdup("");
    v[13] = xstrdup(r->run_started);
    v[14] = xstrdup(r->run_ended);
    v[15] = xstrdup(r->resume);
    v[16] = xstrdup(r->last_activity);
    v[17] = xstrdup(r->run_procedure);
    v[18] = r->run ? xasprintf("%lld", (long long)r->run_number) : xstrdup("");
}

static json_t *site_json_row(const site_row *r)
{
    json_t *o = json_object();
    const site *s = &r->site;
    char drive[2] = {s->drive, '\0'};
    json_object_set_new(o, "code", export_json_text(s->code));
    json_object_set_new(o, "name", export_json_text(s->name));
    json_object_set_new(o, "parent", export_json_text(s->parent));
    json_object_set_new(o, "server", export_json_text(s->server));
    json_object_set_new(o, "drive", export_json_text(drive));
    json_object_set_new(o, "state", export_json_text(site_state_name(s->state)));
    json_object_set_new(o, "logon", json_boolean(s->logon));
    json_t *servers = json_array();
    char names[64][SITE_HOST_MAX + 1];
    size_t k = site_servers_split(s, names, 64);
    for (size_t i = 0; i < k; i++)
        json_array_append_new(servers, export_json_text(names[i]));
    json_object_set_new(o, "servers", servers);
    json_object_set_new(o, "pdc", export_json_text(s->pdc));
    if (r->run) {
        json_t *run = json_object();
        json_object_set_new(run, "id", json_integer(r->run));
        json_object_set_new(run, "number", json_integer(r->run_number));
        json_object_set_new(run, "state", export_json_text(r->run_state));
        json_object_set_new(run, "open", json_boolean(r->run_open));
        json_object_set_new(run, "closed", json_integer((json_int_t)r->closed));
        json_object_set_new(run, "applicable",
                            json_integer((json_int_t)r->applicable));
        json_object_set_new(run, "started", export_json_text(r->run_started));
        json_object_set_new(run, "ended", r->run_ended[0]
                                              ? export_json_text(r->run_ended)
                                              : json_null());
        json_object_set_new(run, "resume", r->resume[0]
                                               ? export_json_text(r->resume)
                                               : json_null());
        json_object_set_new(run, "procedure", export_json_text(r->run_procedure));
        json_object_set_new(o, "run", run);
    } else {
        json_object_set_new(o, "run", json_null());
    }
    json_object_set_new(o, "last_activity", r->last_activity[0]
                                                ? export_json_text(r->last_activity)
                                                : json_null());
    return o;
}

static int dump_json(FILE *f, json_t *v)
{
    int rc = json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(v);
    fputc('\n', f);
    return rc;
}

static void sites_table(FILE *f, const site_row *rows, size_t n)
{
    static const char *const head[] = {"CODE", "NAME", "PARENT", "SERVER",
                                       "STATE", "PROGRESS", "LAST ACTIVITY"};
    size_t w[7];
    for (int c = 0; c < 7; c++)
        w[c] = strlen(head[c]);
    for (size_t i = 0; i < n; i++) {
        char prog[48];
        site_progress_text(&rows[i], false, prog, sizeof prog);
        size_t cw[] = {3, text_width_escaped(rows[i].site.name),
                       strlen(rows[i].site.parent), strlen(rows[i].site.server),
                       strlen(site_state_name(rows[i].site.state)),
                       strlen(prog), strlen(rows[i].last_activity)};
        for (int c = 0; c < 7; c++)
            if (cw[c] > w[c])
                w[c] = cw[c];
    }
    if (w[1] > 32)
        w[1] = 32;
    for (int c = 0; c < 7; c++) {
        export_table_cell(f, head[c], w[c], c < 6);
        fputs(c < 6 ? "  " : "\n", f);
    }
    for (size_t i = 0; i < n; i++) {
        const site_row *r = &rows[i];
        char prog[48];
        site_progress_text(r, false, prog, sizeof prog);
        const char *cells[] = {r->site.code, r->site.name, r->site.parent,
                               r->site.server, site_state_name(r->site.state),
                               prog, r->last_activity};
        for (int c = 0; c < 7; c++) {
            export_table_cell(f, cells[c], w[c], c < 6);
            fputs(c < 6 ? "  " : "\n", f);
        }
    }
}

int export_sites(FILE *f, out_format fmt, const site_row *rows, size_t n)
{
    switch (fmt) {
    case FMT_TABLE:
        sites_table(f, rows, n);
        break;
    case FMT_JSON: {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, site_json_row(&rows[i]));
        if (dump_json(f, a))
            return -1;
        break;
    }
    case FMT_CSV:
    case FMT_MD:
        if (fmt == FMT_MD) {
            fprintf(f, "## Sites (%zu)\n\n| code | name | parent | server | "
                       "state | progress | last activity |\n"
                       "|---|---|---|---|---|---|---|\n", n);
        } else {
            for (size_t c = 0; c < NSITE_COLS; c++)
                export_csv_cell(f, site_cols[c], c + 1 == NSITE_COLS);
        }
        for (size_t i = 0; i < n; i++) {
            char *v[NSITE_COLS];
            site_values(&rows[i], v);
            if (fmt == FMT_CSV) {
                for (size_t c = 0; c < NSITE_COLS; c++)
                    export_csv_cell(f, v[c], c + 1 == NSITE_COLS);
            } else {
                char prog[48];
                site_progress_text(&rows[i], false, prog, sizeof prog);
                const char *cells[] = {v[0], v[1], v[2], v[3], v[5], prog, v[16]};
                fputc('|', f);
                for (int c = 0; c < 7; c++)
                    md_cell(f, cells[c]);
                fputc('\n', f);
            }
            for (size_t c = 0; c < NSITE_COLS; c++)
                free(v[c]);
        }
        break;
    }
    return ferror(f) ? -1 : 0;
}

/* ---- events ---- */

struct event_writer {
    FILE *f;          /* destination */
    out_format fmt;   /* format */
    size_t count;     /* events written */
};

static const char *const event_cols[] = {
    "id", "time", "operator", "host", "site", "run", "item", "kind", "note",
    "data", "prev", "hash", "run_number",
};
#define NEVENT_COLS (sizeof event_cols / sizeof event_cols[0])

event_writer *event_writer_new(FILE *f, out_format fmt, const char *title)
{
    event_writer *w = xcalloc(1, sizeof *w);
    w->f = f;
    w->fmt = fmt;
    switch (fmt) {
    case FMT_TABLE:
        fprintf(f, "%-6s  %-24s  %-12s  %-4s  %-5s  %-13s  %s\n", "ID", "TIME",
                "OPERATOR", "SITE", "ITEM", "EVENT", "NOTE");
        break;
    case FMT_CSV:
        for (size_t c = 0; c < NEVENT_COLS; c++)
            export_csv_cell(f, event_cols[c], c + 1 == NEVENT_COLS);
        break;
    case FMT_JSON:
        fputs("[", f);
        break;
    case FMT_MD: {
        char *t = md_escape(title ? title : "sitesweep journal", false);
        fprintf(f, "## %s\n\n| time (UTC) | operator | host | site | run | "
                   "item | event | note |\n|---|---|---|---|---|---|---|---|\n",
                t);
        free(t);
        break;
    }
    }
    return w;
}

json_t *export_json_text(const char *s)
{
    if (!s)
        s = "";
    if (utf8_valid(s, strlen(s)))
        return json_string(s);
    char *esc = str_escape_unsafe(s);
    json_t *v = json_string(esc);
    free(esc);
    return v ? v : json_string("");
}

static json_t *event_json(const event *ev)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(ev->id));
    json_object_set_new(o, "time", export_json_text(ev->ts));
    json_object_set_new(o, "operator", export_json_text(ev->operator_name));
    json_object_set_new(o, "host", export_json_text(ev->host));
    json_object_set_new(o, "site", ev->site[0] ? export_json_text(ev->site) : json_null());
    json_object_set_new(o, "run", ev->run ? json_integer(ev->run) : json_null());
    json_object_set_new(o, "run_number", ev->run_number
                                             ? json_integer(ev->run_number)
                                             : json_null());
    json_object_set_new(o, "item", ev->item[0] ? export_json_text(ev->item) : json_null());
    json_object_set_new(o, "kind", export_json_text(ev->kind));
    char shown[64];
    const char *text = event_display_note(ev, shown, sizeof shown);
    json_object_set_new(o, "note", text[0] ? export_json_text(text)
                                           : json_null());
    /* Details that are not JSON (a journal written by another tool) are
     * shown as a string rather than hidden as null. */
    json_t *data = ev->data[0] ? json_loads(ev->data, 0, NULL) : NULL;
    if (!data && ev->data[0])
        data = export_json_text(ev->data);
    json_object_set_new(o, "data", data ? data : json_null());
    json_object_set_new(o, "prev", export_json_text(ev->prev));
    json_object_set_new(o, "hash", export_json_text(ev->hash));
    return o;
}

int event_writer_add(event_writer *w, const event *ev)
{
    FILE *f = w->f;
    char shown[64]; /* a site-state change shows as "hung -> cleaning" */
    const char *note = event_display_note(ev, shown, sizeof shown);
    switch (w->fmt) {
    case FMT_TABLE:
        fprintf(f, "%-6lld  %-24s  ", (long long)ev->id, ev->ts);
        export_table_cell(f, ev->operator_name, 12, true);
        fprintf(f, "  %-4s  %-5s  %-13s  ", ev->site, ev->item, ev->kind);
        export_table_cell(f, note, 200, false);
        fputc('\n', f);
        break;
    case FMT_CSV: {
        char id[24], run[24], num[24];
        snprintf(id, sizeof id, "%lld", (long long)ev->id);
        snprintf(run, sizeof run, "%lld", (long long)ev->run);
        snprintf(num, sizeof num, "%lld", (long long)ev->run_number);
        const char *v[] = {id, ev->ts, ev->operator_name, ev->host, ev->site,
                           ev->run ? run : "", ev->item, ev->kind, note,
                           ev->data, ev->prev, ev->hash,
                           ev->run_number ? num : ""};
        for (size_t c = 0; c < NEVENT_COLS; c++)
            export_csv_cell(f, v[c], c + 1 == NEVENT_COLS);
        break;
    }
    case FMT_JSON: {
        fputs(w->count ? ",\n" : "\n", f);
        json_t *o = event_json(ev);
        json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        break;
    }
    case FMT_MD: {
        char run[24];
        if (ev->run_number)
            snprintf(run, sizeof run, "#%lld", (long long)ev->run_number);
        else
            snprintf(run, sizeof run, "%lld", (long long)ev->run);
        const char *v[] = {ev->ts, ev->operator_name, ev->host, ev->site,
                           ev->run ? run : "", ev->item, ev->kind, note};
        fputc('|', f);
        for (size_t c = 0; c < sizeof v / sizeof v[0]; c++)
            md_cell(f, v[c]);
        fputc('\n', f);
        break;
    }
    }
    w->count++;
    return ferror(f) ? -1 : 0;
}

int event_writer_end(event_writer *w)
{
    FILE *f = w->f;
    if (w->fmt == FMT_JSON)
        fputs(w->count ? "\n]\n" : "]\n", f);
    else if (w->fmt == FMT_MD)
        fprintf(f, "\n%zu events.\n", w->count);
    int rc = ferror(f) || fflush(f) ? -1 : 0;
    free(w);
    return rc;
}

int export_md_checkpoint(FILE *f, const checkpoint *c)
{
    char text[CHECKPOINT_MAX];
    checkpoint_format(c, text);
    /* The head as read, not verified: reading it proves nothing about the
     * events before it (verify --checkpoint does). */
    fprintf(f, "\nThe journal's head as read for this report, not "
               "verified (`sitesweep verify --checkpoint` with it checks "
               "the history):\nCheckpoint: `%s`\n", text);
    return ferror(f) || fflush(f) ? -1 : 0;
}

/* ---- procedure ---- */

/* Word-wraps text at width columns with an indent, for the table format
 * (blank lines left out). */
static void put_wrapped(FILE *f, const char *text, size_t indent, size_t width)
{
    text_lines lines = {0};
    text_wrap(text, width, 0, &lines);
    for (size_t i = 0; i < lines.n; i++)
        if (lines.v[i][0])
            fprintf(f, "%*s%s\n", (int)indent, "", lines.v[i]);
    text_lines_free(&lines);
}

static json_t *item_json(const proc_item *it, const proc_values *v,
                         const run_state *st, size_t idx)
{
    json_t *o = json_object();
    char *s;
    json_object_set_new(o, "id", export_json_text(it->id));
    s = procedure_expand(it->title, v);
    json_object_set_new(o, "title", export_json_text(s));
    free(s);
    s = procedure_expand(it->text, v);
    json_object_set_new(o, "text", export_json_text(s));
    free(s);
    if (it->where) {
        s = procedure_expand(it->where, v);
        json_object_set_new(o, "where", export_json_text(s));
        free(s);
    } else {
        json_object_set_new(o, "where", json_null());
    }
    size_t nc;
    char **cmds = proc_item_commands(it, v, &nc);
    json_t *a = json_array();
    for (size_t i = 0; i < nc; i++)
        json_array_append_new(a, export_json_text(cmds[i]));
    procedure_strv_free(cmds);
    json_object_set_new(o, "commands", a);
    a = json_array();
    for (size_t i = 0; i < it->ncautions; i++) {
        s = procedure_expand(it->cautions[i], v);
        json_array_append_new(a, export_json_text(s));
        free(s);
    }
    json_object_set_new(o, "cautions", a);
    json_object_set_new(o, "applies", export_json_text(it->applies == APPLIES_LOGON
                                                      ? "logon" : "always"));
    bool applies = !v->site || proc_item_applies(it, v->site);
    json_object_set_new(o, "applicable", json_boolean(applies));
    json_object_set_new(o, "state", st ? export_json_text(item_state_name(st->state[idx]))
                                       : json_null());
    return o;
}

static void item_table(FILE *f, const proc_item *it, const proc_values *v,
                       const run_state *st, size_t idx)
{
    char *title = procedure_expand(it->title, v);
    bool applies = !v->site || proc_item_applies(it, v->site);
    const char *mark = st ? item_state_mark(st->state[idx]) : (applies ? "[ ]" : "n/a");
    fprintf(f, "%s %-5s ", mark, it->id);
    export_table_cell(f, title, 200, false);
    fputc('\n', f);
    free(title);
    if (it->where) {
        char *w = procedure_expand(it->where, v);
        char *line = xasprintf("Where: %s", w);
        put_wrapped(f, line, 10, 68);
        free(line);
        free(w);
    }
    char *text = procedure_expand(it->text, v);
    put_wrapped(f, text, 10, 68);
    free(text);
    size_t nc;
    char **cmds = proc_item_commands(it, v, &nc);
    for (size_t i = 0; i < nc; i++) {
        fputs("          > ", f);
        export_table_cell(f, cmds[i], 400, false);
        fputc('\n', f);
    }
    procedure_strv_free(cmds);
    for (size_t i = 0; i < it->ncautions; i++) {
        char *c = procedure_expand(it->cautions[i], v);
        char *line = xasprintf("! %s", c);
        put_wrapped(f, line, 10, 68);
        free(line);
        free(c);
    }
    fputc('\n', f);
}

/* The longest run of backticks in s, so a fence can be longer. */
static size_t max_backticks(const char *s)
{
    size_t best = 0, cur = 0;
    for (; *s; s++) {
        cur = *s == '`' ? cur + 1 : 0;
        if (cur > best)
            best = cur;
    }
    return best;
}

static void item_md(FILE *f, const proc_item *it, const proc_values *v,
                    const run_state *st, size_t idx)
{
    char *title = procedure_expand(it->title, v);
    char *mt = md_escape(title, false);
    bool applies = !v->site || proc_item_applies(it, v->site);
    const char *state = st ? item_state_name(st->state[idx])
                           : (applies ? NULL : "n/a");
    fprintf(f, "### %s %s%s%s%s\n\n", it->id, mt, state ? " (" : "",
            state ? state : "", state ? ")" : "");
    free(mt);
    free(title);
    if (it->where) {
        char *w = procedure_expand(it->where, v);
        char *mw = md_escape(w, false);
        fprintf(f, "*Where:* %s\n\n", mw);
        free(mw);
        free(w);
    }
    char *text = procedure_expand(it->text, v);
    char *mx = md_escape(text, false);
    fprintf(f, "%s\n\n", mx);
    free(mx);
    free(text);
    size_t nc;
    char **cmds = proc_item_commands(it, v, &nc);
    if (nc) {
        size_t fence = 3;
        for (size_t i = 0; i < nc; i++)
            if (max_backticks(cmds[i]) >= fence)
                fence = max_backticks(cmds[i]) + 1;
        fprintf(f, "%.*s\n", (int)fence, "``````````````````````````````");
        for (size_t i = 0; i < nc; i++) {
            char *c = str_escape_unsafe(cmds[i]);
            fprintf(f, "%s\n", c);
            free(c);
        }
        fprintf(f, "%.*s\n\n", (int)fence, "``````````````````````````````");
    }
    procedure_strv_free(cmds);
    for (size_t i = 0; i < it->ncautions; i++) {
        char *c = procedure_expand(it->cautions[i], v);
        char *mc = md_escape(c, false);
        fprintf(f, "- **Caution:** %s\n", mc);
        free(mc);
        free(c);
    }
    if (it->ncautions)
        fputc('\n', f);
}

const char *proc_cleanup_text(const proc_cleanup *c, const site *s,
                              char *buf, size_t n)
{
    if (c && c->number > 0 && strcmp(c->state, "open") == 0)
        snprintf(buf, n, "%s #%lld, open since %s", s->code,
                 (long long)c->number, c->started);
    else if (c && c->number > 0)
        snprintf(buf, n, "%s #%lld, %s %s", s->code, (long long)c->number,
                 c->state, c->ended);
    else if (s->state == STATE_CLEAN)
        /* Imported as clean: nothing says a cleanup happened here. */
        snprintf(buf, n, "none recorded (%s is marked clean, but no "
                         "cleanup of it is in the journal)", s->code);
    else
        snprintf(buf, n, "none recorded");
    return buf;
}

int export_procedure(FILE *f, out_format fmt, const procedure *p,
                     const proc_values *v, const run_state *st,
                     const proc_cleanup *c)
{
    const site *s = v->site;
    char ctext[160] = "";
    if (s)
        proc_cleanup_text(c, s, ctext, sizeof ctext);
    if (fmt == FMT_JSON) {
        json_t *o = json_object();
        json_object_set_new(o, "procedure", export_json_text(p->name));
        json_object_set_new(o, "title", export_json_text(p->title ? p->title : ""));
        json_object_set_new(o, "source", p->source ? export_json_text(p->source) : json_null());
        json_object_set_new(o, "hash", export_json_text(p->hash));
        json_object_set_new(o, "site", s ? export_json_text(s->code) : json_null());
        if (s && c && c->number > 0) {
            json_t *r = json_object();
            json_object_set_new(r, "number", json_integer((json_int_t)c->number));
            json_object_set_new(r, "state", export_json_text(c->state));
            json_object_set_new(r, "started", export_json_text(c->started));
            json_object_set_new(r, "ended", c->ended[0]
                                                ? export_json_text(c->ended)
                                                : json_null());
            json_object_set_new(o, "cleanup", r);
        } else if (s) {
            json_object_set_new(o, "cleanup", json_null());
        }
        if (st) {
            json_object_set_new(o, "closed", json_integer((json_int_t)st->closed));
            json_object_set_new(o, "applicable", json_integer((json_int_t)st->applicable));
        }
        json_t *items = json_array();
        for (size_t i = 0; i < p->nitems; i++)
            json_array_append_new(items, item_json(&p->items[i], v, st, i));
        json_object_set_new(o, "items", items);
        return dump_json(f, o) || ferror(f) ? -1 : 0;
    }
    const char *title = p->title ? p->title : p->name;
    if (fmt == FMT_MD) {
        char *mt = md_escape(title, false);
        fprintf(f, "# %s\n\n", mt);
        free(mt);
        if (s) {
            char *mn = md_escape(s->name, false);
            fprintf(f, "Site **%s** (%s), server %s, drive %c:, parent %s.\n\n",
                    s->code, mn, s->server, s->drive,
                    s->parent[0] ? s->parent : "none");
            free(mn);
        }
        if (s)
            fprintf(f, "Cleanup: %s.\n\n", ctext);
        if (st)
            fprintf(f, "Progress: %zu of %zu applicable items closed.\n\n",
                    st->closed, st->applicable);
        if (p->source) {
            char *ms = md_escape(p->source, false);
            fprintf(f, "Source: %s. Procedure %.12s.\n\n", ms, p->hash);
            free(ms);
        }
        for (size_t i = 0; i < p->nitems; i++)
            item_md(f, &p->items[i], v, st, i);
    } else {
        export_table_cell(f, title, 200, false);
        fputc('\n', f);
        if (s) {
            fprintf(f, "Site %s (", s->code);
            export_table_cell(f, s->name, 80, false);
            fprintf(f, "), server %s, drive %c:, parent %s\n", s->server,
                    s->drive, s->parent[0] ? s->parent : "none");
        }
        if (s)
            fprintf(f, "Cleanup: %s\n", ctext);
        if (st)
            fprintf(f, "Progress: %zu/%zu\n", st->closed, st->applicable);
        fputc('\n', f);
        for (size_t i = 0; i < p->nitems; i++)
            item_table(f, &p->items[i], v, st, i);
    }
    return ferror(f) ? -1 : 0;
}
