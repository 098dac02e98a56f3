/* journal_sites.c - the site inventory in the journal: import,
 * the site form, install states and the site list. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "text.h"

/* ---- sites ---- */

static char *site_json(const site *s)
{
    json_t *o = json_object();
    for (int f = 0; f < FIELD_COUNT; f++) {
        char buf[SITE_SERVERS_MAX + 1];
        site_get_field(s, (site_field)f, buf, sizeof buf);
        json_object_set_new(o, site_field_name((site_field)f), json_string(buf));
    }
    char *out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    char *copy = xstrdup(out ? out : "{}");
    free(out);
    return copy;
}

static void site_from_row(db_stmt *st, int c, site *s)
{
    site_init(s);
    jdb_copy_col(st, c + 0, s->code, sizeof s->code);
    jdb_copy_col(st, c + 1, s->name, sizeof s->name);
    jdb_copy_col(st, c + 2, s->parent, sizeof s->parent);
    jdb_copy_col(st, c + 3, s->server, sizeof s->server);
    s->drive = jdb_col_text(st, c + 4)[0];
    int state = site_state_parse(jdb_col_text(st, c + 5));
    s->state = state < 0 ? STATE_PENDING : (site_state)state;
    s->logon = (int)db_col_int64(st, c + 6) != 0;
    jdb_copy_col(st, c + 7, s->servers, sizeof s->servers);
    jdb_copy_col(st, c + 8, s->pdc, sizeof s->pdc);
}

#define SITE_COLS "code, name, parent, server, drive, state, logon, servers, pdc"

int journal_site_get(journal *j, const char *code, site *out, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT " SITE_COLS " FROM sites"
                                   " WHERE code = upper(?)", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, code);
    int rc = jdb_step_row(j, st, "cannot read sites", e);
    if (rc == J_OK) {
        site_from_row(st, 0, out);
        jdb_done(j, st);
    }
    return rc;
}

int jdb_site_as_of(journal *j, const char *code, int64_t upto, site *out,
                   ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT data FROM events WHERE site = ?"
                                   " AND id <= ? AND kind IN ('site-added',"
                                   " 'site-updated') ORDER BY id DESC LIMIT 1", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, code);
    db_bind_int64(st, 2, upto);
    int rc = jdb_step_row(j, st, "cannot read the site's history", e);
    if (rc)
        return rc;
    json_t *o = json_loads(jdb_col_text(st, 0), 0, NULL);
    jdb_done(j, st);
    site s;
    site_init(&s);
    ss_err bad;
    bool ok = json_is_object(o);
    for (int f = 0; ok && f < FIELD_COUNT; f++) {
        const char *v = json_string_value(
            json_object_get(o, site_field_name((site_field)f)));
        ok = v && site_set_field(&s, (site_field)f, v, &bad) == 0;
    }
    json_decref(o);
    if (!ok)
        return J_NOTFOUND; /* not a record this program wrote */
    *out = s;
    return J_OK;
}

int journal_site_count(journal *j, size_t *n, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT count(*) FROM sites", e);
    if (!st)
        return J_ESTORAGE;
    int rc = db_step(st);
    *n = rc == DB_ROW ? (size_t)db_col_int64(st, 0) : 0;
    jdb_done(j, st);
    if (rc != DB_ROW)
        return jdb_fail(j, e, "cannot count sites");
    return J_OK;
}

/* Writes the site row (insert or replace), keeping its activity columns. */
static int site_store(journal *j, const site *s, ss_err *e)
{
    db_stmt *st = jdb_prep(j,
        "INSERT INTO sites(" SITE_COLS ") VALUES(?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT(code) DO UPDATE SET name = excluded.name,"
        " parent = excluded.parent, server = excluded.server,"
        " drive = excluded.drive, state = excluded.state,"
        " logon = excluded.logon, servers = excluded.servers,"
        " pdc = excluded.pdc", e);
    if (!st)
        return J_ESTORAGE;
    char drive[2] = {s->drive, '\0'};
    jdb_bind_text(st, 1, s->code);
    jdb_bind_text(st, 2, s->name);
    jdb_bind_text(st, 3, s->parent);
    jdb_bind_text(st, 4, s->server);
    jdb_bind_text(st, 5, drive);
    jdb_bind_text(st, 6, site_state_name(s->state));
    db_bind_int64(st, 7, s->logon);
    jdb_bind_text(st, 8, s->servers);
    jdb_bind_text(st, 9, s->pdc);
    if (jdb_run(j, st, "cannot store the site", e))
        return J_ESTORAGE;
    return J_OK;
}

static bool site_equal(const site *a, const site *b)
{
    for (int f = 0; f < FIELD_COUNT; f++) {
        char x[SITE_SERVERS_MAX + 1], y[SITE_SERVERS_MAX + 1];
        site_get_field(a, (site_field)f, x, sizeof x);
        site_get_field(b, (site_field)f, y, sizeof y);
        if (strcmp(x, y) != 0)
            return false;
    }
    return true;
}

/* Adds or updates one site inside a transaction; *changed tells which. */
/* "cleaning" means a cleanup run is open, so the journal keeps that state
 * itself: a site with an open run stays cleaning whatever it is given,
 * and a site without one cannot be set to cleaning. */
static int state_rule(journal *j, site *s, ss_err *e)
{
    int64_t id;
    char hash[65];
    int rc = jdb_open_run(j, s->code, &id, hash, NULL, e);
    if (rc < 0)
        return J_ESTORAGE;
    if (rc == 0) {
        s->state = STATE_CLEANING;
        return J_OK;
    }
    if (s->state == STATE_CLEANING) {
        ss_errf(e, "field \"state\": \"cleaning\" is set by sitesweep while "
                   "a cleanup run is open, and %s has none", s->code);
        return J_EINPUT;
    }
    return J_OK;
}

/* What an update changes, for the event's note: "state failed -> hung;
 * server SRV-A -> SRV-B". Caller frees. */
static char *site_changes(const site *old, const site *s)
{
    strbuf b = {0};
    for (int f = 0; f < FIELD_COUNT; f++) {
        char x[SITE_SERVERS_MAX + 1], y[SITE_SERVERS_MAX + 1];
        site_get_field(old, (site_field)f, x, sizeof x);
        site_get_field(s, (site_field)f, y, sizeof y);
        if (strcmp(x, y) != 0)
            sb_printf(&b, "%s%s %s -> %s", b.len ? "; " : "",
                      site_field_name((site_field)f), x[0] ? x : "(none)",
                      y[0] ? y : "(none)");
    }
    return sb_take(&b);
}

static int site_put(journal *j, const site *given, const char *ts,
                    int *changed, ss_err *e)
{
    site old, copy = *given;
    const site *s = &copy;
    int rc = state_rule(j, &copy, e);
    if (rc)
        return rc;
    rc = journal_site_get(j, s->code, &old, e);
    if (rc < 0)
        return J_ESTORAGE;
    *changed = 0;
    if (rc == 0 && site_equal(&old, s))
        return J_OK;
    char *data = site_json(s);
    char *note = rc == 0 ? site_changes(&old, s) : NULL;
    if (site_store(j, s, e) ||
        jdb_append(j, s->code, 0, NULL, rc == 0 ? "site-updated" : "site-added",
               note, data, ts, NULL, e)) {
        free(data);
        free(note);
        return J_ESTORAGE;
    }
    free(data);
    free(note);
    *changed = rc == 0 ? 2 : 1;
    return rc == 0 ? jdb_refresh_open_run(j, s, ts, e) : 0;
}

/* Every site's code and parent as the journal holds them now (inside the
 * caller's transaction: with what it has just written), sorted by code.
 * Caller frees *out. */
static int load_links(journal *j, site_link **out, size_t *n, ss_err *e)
{
    *out = NULL;
    *n = 0;
    db_stmt *st = jdb_prep(j, "SELECT code, parent FROM sites", e);
    if (!st)
        return J_ESTORAGE;
    size_t cap = 0;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        site_link *l = &(*out)[(*n)++];
        jdb_copy_col(st, 0, l->code, sizeof l->code);
        jdb_copy_col(st, 1, l->parent, sizeof l->parent);
    }
    jdb_done(j, st);
    if (rc != DB_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return jdb_fail(j, e, "cannot read sites");
    }
    site_links_sort(*out, *n);
    return J_OK;
}

/* Says where each site of a cycle path ("A -> B -> A") comes from: its
 * line in the file inv, or the journal. */
static void cycle_sources(strbuf *b, const char *path, const inventory *inv)
{
    const char *p = path;
    bool first = true;
    while (*p) {
        char code[4] = "";
        size_t k = strcspn(p, " ");
        snprintf(code, sizeof code, "%.*s", (int)(k < 3 ? k : 3), p);
        p += k;
        p += strspn(p, " ->");
        if (!*p)
            break; /* the last is the first again */
        int line = 0;
        for (size_t i = 0; inv && i < inv->n && !line; i++)
            if (strcmp(inv->sites[i].code, code) == 0)
                line = inv->lines ? inv->lines[i] : -1;
        if (line > 0)
            sb_printf(b, "%s%s on line %d", first ? "" : ", ", code, line);
        else if (line < 0)
            sb_printf(b, "%s%s in the file", first ? "" : ", ", code);
        else
            sb_printf(b, "%s%s in the journal", first ? "" : ", ", code);
        first = false;
    }
}

/* Refuses a parent cycle through any of the n codes just written (the
 * other sites were acyclic before, or a cycle of theirs is not this
 * change's doing). *bad gets the index of the code whose cycle it is.
 * J_OK, J_EINPUT (e: field "parent": the cycle and, with inv, where its
 * sites come from), J_ESTORAGE. */
static int refuse_cycles(journal *j, const site *sites, size_t n,
                         const inventory *inv, size_t *bad, ss_err *e)
{
    site_link *links;
    size_t nl;
    if (load_links(j, &links, &nl, e))
        return J_ESTORAGE;
    int rc = J_OK;
    for (size_t i = 0; i < n && rc == J_OK; i++) {
        char *path;
        size_t len = site_parent_cycle(links, nl, sites[i].code, &path);
        if (!len)
            continue;
        strbuf b = {0};
        if (inv)
            cycle_sources(&b, path, inv);
        ss_errf(e, "field \"parent\": %s makes a cycle of parents: %s (%s "
                   "would be its own ancestor)%s%s%s",
                sites[i].parent, path, sites[i].code, b.len ? "; " : "",
                b.len ? b.s : "", inv ? "; nothing was imported" : "");
        sb_free(&b);
        free(path);
        *bad = i;
        rc = J_EINPUT;
    }
    free(links);
    return rc;
}

int journal_import(journal *j, const inventory *inv, const char *source,
                   import_stats *stats, ss_err *e)
{
    import_stats st = {0, 0, 0};
    char ts[32];
    utc_now(ts);
    if (jdb_begin(j, e))
        return J_ESTORAGE;
    for (size_t i = 0; i < inv->n; i++) {
        int changed;
        int rc = site_put(j, &inv->sites[i], ts, &changed, e);
        if (rc) {
            jdb_finish(j, rc, e);
            if (rc == J_EINPUT) {
                ss_err inner = *e;
                if (inv->lines)
                    ss_errf_at(e, source, inv->lines[i], "%s", inner.msg);
                else
                    ss_errf(e, "%s: site %s: %s", source, inv->sites[i].code,
                            inner.msg);
            }
            return rc;
        }
        if (changed == 1)
            st.added++;
        else if (changed == 2)
            st.updated++;
        else
            st.unchanged++;
    }
    /* A cycle of parents, through the file's sites and the journal's, is
     * refused whole: nothing of the file stays. */
    size_t bad = 0;
    int crc = refuse_cycles(j, inv->sites, inv->n, inv, &bad, e);
    if (crc) {
        jdb_finish(j, crc, e);
        if (crc == J_EINPUT) {
            ss_err inner = *e;
            if (inv->lines)
                ss_errf_at(e, source, inv->lines[bad], "%s", inner.msg);
            else
                ss_errf(e, "%s: site %s: %s", source, inv->sites[bad].code,
                        inner.msg);
        }
        return crc;
    }
    char *data = xasprintf("{\"sites\":%zu,\"added\":%zu,\"updated\":%zu,"
                           "\"unchanged\":%zu}",
                           inv->n, st.added, st.updated, st.unchanged);
    /* The file's name as the note's rules allow (text.h): a name holding
     * control characters or invalid UTF-8 is recorded escaped, as every
     * output shows it, and a longer one cut visibly. */
    char *note = xmalloc(TEXT_NOTE_OWN_MAX + 1);
    snprintf(note, TEXT_NOTE_OWN_MAX + 1, "%s", source);
    journal_host_clean(note, TEXT_NOTE_OWN_MAX + 1);
    int rc = jdb_append(j, NULL, 0, NULL, "import", note, data, ts, NULL, e);
    free(note);
    free(data);
    if (jdb_finish(j, rc, e))
        return J_ESTORAGE;
    if (stats)
        *stats = st;
    return J_OK;
}

int journal_site_save(journal *j, const site *s, bool create, ss_err *e)
{
    site_field bad;
    if (site_check(s, &bad, e))
        return J_EINPUT;
    char ts[32];
    utc_now(ts);
    if (jdb_begin(j, e))
        return J_ESTORAGE;
    site old;
    int rc = journal_site_get(j, s->code, &old, e);
    int changed;
    if (create && rc == J_OK) {
        ss_errf(e, "site %s already exists", s->code);
        rc = J_EINPUT;
    } else if (!create && rc == J_NOTFOUND) {
        ss_errf(e, "no site %s in the journal", s->code);
        rc = J_EINPUT;
    } else if (rc >= 0) {
        rc = site_put(j, s, ts, &changed, e);
    }
    size_t cbad;
    if (rc == J_OK) /* a parent that would close a cycle: not saved */
        rc = refuse_cycles(j, s, 1, NULL, &cbad, e);
    rc = jdb_finish(j, rc, e);
    return rc == J_EINPUT ? J_EINPUT : rc ? J_ESTORAGE : J_OK;
}

/* Sets the state inside a transaction, journaled when it changes. */
int jdb_set_state(journal *j, const char *code, site_state to,
                  bool internal, const char *ts, ss_err *e)
{
    site s;
    int rc = journal_site_get(j, code, &s, e);
    if (rc < 0)
        return J_ESTORAGE;
    if (rc == J_NOTFOUND) {
        ss_errf(e, "no site %s in the journal", code);
        return J_EINPUT;
    }
    if (s.state == to)
        return J_OK;
    if (!internal && (to == STATE_CLEANING || s.state == STATE_CLEANING)) {
        ss_errf(e, "%s: the state \"cleaning\" belongs to an open cleanup "
                   "run; sitesweep sets it when a run starts and clears it "
                   "when the run completes", s.code);
        return J_EINPUT;
    }
    char *data = xasprintf("{\"from\":\"%s\",\"to\":\"%s\"}",
                           site_state_name(s.state), site_state_name(to));
    s.state = to;
    rc = site_store(j, &s, e) ||
         jdb_append(j, s.code, 0, NULL, "site-state", NULL, data, ts, NULL, e);
    free(data);
    return rc ? J_ESTORAGE : J_OK;
}

int journal_site_set_state(journal *j, const char *code, site_state st,
                           ss_err *e)
{
    char ts[32];
    utc_now(ts);
    if (jdb_begin(j, e))
        return J_ESTORAGE;
    return jdb_finish(j, jdb_set_state(j, code, st, false, ts, e), e);
}

int journal_sites(journal *j, site_row **rows, size_t *n, ss_err *e)
{
    *rows = NULL;
    *n = 0;
    db_stmt *st = jdb_prep(j, j->be->sites_sql, e);
    if (!st)
        return J_ESTORAGE;
    size_t cap = 16, count = 0;
    site_row *out = xcalloc(cap, sizeof *out);
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (count == cap)
            out = xrealloc(out, (cap *= 2) * sizeof *out);
        site_row *r = &out[count++];
        memset(r, 0, sizeof *r);
        site_from_row(st, 0, &r->site);
        jdb_copy_col(st, 9, r->last_activity, sizeof r->last_activity);
        r->run = db_col_int64(st, 10);
        r->run_open = (int)db_col_int64(st, 11) != 0;
        r->closed = (size_t)db_col_int64(st, 12);
        r->applicable = (size_t)db_col_int64(st, 13);
        jdb_copy_col(st, 14, r->run_started, sizeof r->run_started);
        jdb_copy_col(st, 15, r->run_ended, sizeof r->run_ended);
        jdb_copy_col(st, 16, r->resume, sizeof r->resume);
        jdb_copy_col(st, 17, r->run_procedure, sizeof r->run_procedure);
        r->run_number = db_col_int64(st, 18);
        jdb_copy_col(st, 19, r->run_state, sizeof r->run_state);
    }
    jdb_done(j, st);
    if (rc != DB_DONE) {
        free(out);
        return jdb_fail(j, e, "cannot read sites");
    }
    *rows = out;
    *n = count;
    return J_OK;
}
