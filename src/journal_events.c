/* journal_events.c - appending events to the hash chain, reading
 * them back a page at a time, and checkpoints of the chain. Verifying the
 * journal is in journal_verify.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "text.h"

/* The field rules (text.h) and the buffers events are read into agree. */
_Static_assert(TEXT_ITEM_MAX == PROC_ID_MAX, "an item id's limit");
_Static_assert(TEXT_OPERATOR_MAX + 1 == sizeof ((journal *)0)->operator_name,
               "an operator's name's limit");
_Static_assert(TEXT_HOST_MAX + 1 == sizeof ((journal *)0)->host,
               "a host's limit");

/* ---- events and the hash chain ---- */

/* The bytes an event's hash covers: the previous hash, then each field as
 * length:value, so no two different events serialise alike. */
void journal_event_hash(const event *ev, char out[65])
{
    strbuf b = {0};
    sb_printf(&b, "sitesweep-event-v1\n%s\n", ev->prev);
    const char *fields[] = {ev->ts, ev->operator_name, ev->host, ev->site,
                            ev->item, ev->kind, ev->note, ev->data};
    sb_printf(&b, "%lld\n%lld\n", (long long)ev->id, (long long)ev->run);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        sb_printf(&b, "%zu:%s\n", strlen(fields[i]), fields[i]);
    sha256_hex(b.s, b.len, out);
    sb_free(&b);
}

/* Appends one event inside the caller's transaction; *id receives its id. */
int jdb_append(journal *j, const char *site_code, int64_t run,
               const char *item, const char *kind, const char *note,
               const char *data, const char *ts, int64_t *id, ss_err *e)
{
    event ev = {0};
    db_stmt *st = jdb_prep(j, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", e);
    if (!st)
        return -1;
    int rc = db_step(st);
    if (rc == DB_ROW) {
        ev.id = db_col_int64(st, 0) + 1;
        jdb_copy_col(st, 1, ev.prev, sizeof ev.prev);
    } else if (rc == DB_DONE) {
        ev.id = 1;
        snprintf(ev.prev, sizeof ev.prev, "%s", GENESIS);
    }
    jdb_done(j, st);
    if (rc != DB_ROW && rc != DB_DONE)
        return jdb_fail(j, e, "cannot read the journal");
    snprintf(ev.ts, sizeof ev.ts, "%s", ts);
    ev.operator_name = j->operator_name;
    ev.host = j->host;
    snprintf(ev.site, sizeof ev.site, "%s", site_code ? site_code : "");
    ev.run = run;
    snprintf(ev.item, sizeof ev.item, "%s", item ? item : "");
    snprintf(ev.kind, sizeof ev.kind, "%s", kind);
    ev.note = (char *)(note ? note : "");
    ev.data = (char *)(data ? data : "");
    /* The rules verify holds every event to (text.h): what breaks them
     * is refused here, whichever writer brought it. */
    const char *field;
    char why[160];
    text_event tf = {ev.ts, ev.operator_name, ev.host, ev.site, ev.item,
                     ev.kind, ev.note, ev.data, strlen(ev.note),
                     strlen(ev.data)};
    if (text_event_check(&tf, &field, why, sizeof why))
        return ss_errf(e, "%s: cannot record the %s event: its %s is not "
                          "what sitesweep records: %s; nothing was recorded",
                       j->path, ev.kind, field, why);
    journal_event_hash(&ev, ev.hash);
    st = jdb_prep(j, "INSERT INTO events(id, ts, operator, host, site, run, item,"
                     " kind, note, data, prev, hash)"
                     " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", e);
    if (!st)
        return -1;
    db_bind_int64(st, 1, ev.id);
    jdb_bind_text(st, 2, ev.ts);
    jdb_bind_text(st, 3, ev.operator_name);
    jdb_bind_text(st, 4, ev.host);
    jdb_bind_text(st, 5, ev.site);
    db_bind_int64(st, 6, ev.run);
    jdb_bind_text(st, 7, ev.item);
    jdb_bind_text(st, 8, ev.kind);
    jdb_bind_text(st, 9, ev.note);
    jdb_bind_text(st, 10, ev.data);
    jdb_bind_text(st, 11, ev.prev);
    jdb_bind_text(st, 12, ev.hash);
    if (jdb_run(j, st, "cannot record the event", e))
        return -1;
    /* Trust no trigger: the row must be there, as computed, before the
     * caller may report it (a planted RAISE(IGNORE) swallows inserts). */
    if (db_changes(j->db) != 1)
        return ss_errf(e, "%s: cannot record the event: the journal did not "
                          "store it (a trigger not made by sitesweep? run "
                          "'sitesweep verify'); nothing was recorded",
                       j->path);
    st = jdb_prep(j, "SELECT ts, operator, host, site, run, item, kind, note,"
                     " data, prev, hash FROM events WHERE id = ?", e);
    if (!st)
        return -1;
    db_bind_int64(st, 1, ev.id);
    rc = db_step(st);
    const char *want[] = {ev.ts, ev.operator_name, ev.host, ev.site, NULL,
                          ev.item, ev.kind, ev.note, ev.data, ev.prev,
                          ev.hash};
    bool stored = rc == DB_ROW && db_col_int64(st, 4) == ev.run;
    for (int c = 0; stored && c < 11; c++)
        stored = !want[c] || (db_col_is_text(st, c) &&
                              strcmp(jdb_col_text(st, c), want[c]) == 0);
    jdb_done(j, st);
    if (rc != DB_ROW && rc != DB_DONE)
        return jdb_fail(j, e, "cannot read back the event");
    if (!stored)
        return ss_errf(e, "%s: cannot record the event: event %lld does not "
                          "read back as written (a trigger not made by "
                          "sitesweep? run 'sitesweep verify'); nothing was "
                          "recorded", j->path, (long long)ev.id);
    if (site_code && *site_code) {
        st = jdb_prep(j, "UPDATE sites SET last_event = ?, last_ts = ? WHERE code = ?", e);
        if (!st)
            return -1;
        db_bind_int64(st, 1, ev.id);
        jdb_bind_text(st, 2, ev.ts);
        jdb_bind_text(st, 3, site_code);
        if (jdb_run(j, st, "cannot record the event", e))
            return -1;
        if (db_changes(j->db) != 1)
            return ss_errf(e, "%s: cannot record the event: site %s was not "
                              "updated (no such site, or a trigger not made "
                              "by sitesweep); nothing was recorded", j->path,
                           site_code);
    }
    /* The filter index, where the core keeps it (PostgreSQL). */
    if (j->be->index_event && j->be->index_event(j, &ev, e))
        return -1;
    if (run && jdb_run_event(j, run, kind, ev.ts, e))
        return -1;
    if (id)
        *id = ev.id;
    return 0;
}

static void event_from_row(db_stmt *st, event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->id = db_col_int64(st, 0);
    jdb_copy_col(st, 1, ev->ts, sizeof ev->ts);
    ev->operator_name = xstrdup(jdb_col_text(st, 2));
    ev->host = xstrdup(jdb_col_text(st, 3));
    jdb_copy_col(st, 4, ev->site, sizeof ev->site);
    ev->run = db_col_int64(st, 5);
    jdb_copy_col(st, 6, ev->item, sizeof ev->item);
    jdb_copy_col(st, 7, ev->kind, sizeof ev->kind);
    ev->note = xstrdup(jdb_col_text(st, 8));
    ev->data = xstrdup(jdb_col_text(st, 9));
    jdb_copy_col(st, 10, ev->prev, sizeof ev->prev);
    jdb_copy_col(st, 11, ev->hash, sizeof ev->hash);
}

/* For the other journal files: an event from a row of EVENT_COLS. */
void jdb_event_from_row(db_stmt *st, event *ev)
{
    event_from_row(st, ev);
}

int jdb_read_events(journal *j, db_stmt *st, size_t limit, event *evs,
                    size_t *count, ss_err *e)
{
    int rc = DB_DONE;
    while (*count < limit && (rc = db_step(st)) == DB_ROW)
        event_from_row(st, &evs[(*count)++]);
    jdb_done(j, st);
    if (rc != DB_ROW && rc != DB_DONE)
        return jdb_fail(j, e, "cannot read events");
    return J_OK;
}

void event_clear(event *ev)
{
    free(ev->operator_name);
    free(ev->host);
    free(ev->note);
    free(ev->data);
    memset(ev, 0, sizeof *ev);
}

void events_free(event *evs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        event_clear(&evs[i]);
    free(evs);
}

#define EVENT_COLS "id, ts, operator, host, site, run, item, kind, note, data, prev, hash"

/* WHERE clause for a filter (its text already folded by text_fold, see
 * folded); parameters bound by bind_filter from 1. */
static void filter_sql(const journal *j, strbuf *b, const event_filter *f)
{
    sb_puts(b, " WHERE 1 = 1");
    if (f && f->site && *f->site)
        sb_puts(b, " AND site = :site");
    if (f && f->run)
        sb_puts(b, " AND run = :run");
    if (f && f->text && *f->text)
        sb_printf(b, " AND %s(lower(ts || ' ' || operator || ' ' || host"
                     " || ' ' || site || ' ' || item || ' ' || kind || ' ' ||"
                     " note), :text) > 0", j->be->strpos_fn);
}

static void bind_filter(db_stmt *st, const event_filter *f)
{
    if (!f)
        return;
    int i;
    if ((i = db_param_index(st, ":site")))
        jdb_bind_text(st, i, f->site);
    if ((i = db_param_index(st, ":run")))
        db_bind_int64(st, i, f->run);
    if ((i = db_param_index(st, ":text")))
        jdb_bind_text(st, i, f->text);
}

/* f with its text case-folded as the indexes are (text_fold), in *out;
 * *text gets the copy to free. NULL when f is. */
static const event_filter *folded(const event_filter *f, event_filter *out,
                                  char **text)
{
    *text = NULL;
    if (!f)
        return NULL;
    *out = *f;
    if (f->text && *f->text)
        out->text = *text = text_fold(f->text);
    return out;
}

/* One query of a page: ids beyond `from` in direction dir (from <= 0 with
 * dir < 0: from the newest), up to `bound` when bound is not 0, through
 * the trigram index when fts is given. Appends to evs[*count..limit). */
int jdb_page_query(journal *j, const event_filter *f, const char *fts,
                   int64_t from, int64_t bound, int dir, size_t limit,
                   event *evs, size_t *count, ss_err *e)
{
    strbuf b = {0};
    const char *id = fts ? "t.rowid" : "id";
    event_filter rest = {f ? f->site : NULL, f ? f->run : 0,
                         fts ? NULL : f ? f->text : NULL};
    if (fts)
        sb_puts(&b, "SELECT " EVENT_COLS " FROM events_text t JOIN events"
                    " ON id = t.rowid");
    else
        sb_puts(&b, "SELECT " EVENT_COLS " FROM events");
    filter_sql(j, &b, &rest);
    if (fts)
        sb_puts(&b, " AND events_text MATCH :fts");
    if (dir < 0 && from > 0)
        sb_printf(&b, " AND %s < :from", id);
    else if (dir > 0)
        sb_printf(&b, " AND %s > :from", id);
    if (bound)
        sb_printf(&b, " AND %s %s :bound", id, dir < 0 ? ">=" : "<=");
    sb_printf(&b, " ORDER BY %s %s LIMIT :limit", id, dir < 0 ? "DESC" : "ASC");
    db_stmt *st = jdb_prep_dyn(j, b.s, e);
    sb_free(&b);
    if (!st)
        return -1;
    bind_filter(st, &rest);
    int i;
    if (fts && (i = db_param_index(st, ":fts")))
        jdb_bind_text(st, i, fts);
    if ((i = db_param_index(st, ":from")))
        db_bind_int64(st, i, from);
    if ((i = db_param_index(st, ":bound")))
        db_bind_int64(st, i, bound);
    db_bind_int64(st, db_param_index(st, ":limit"),
                       (int64_t)(limit - *count));
    return jdb_read_events(j, st, limit, evs, count, e);
}

int journal_events_page(journal *j, const event_filter *f, int64_t from,
                        int dir, size_t limit, event **out, size_t *n,
                        ss_err *e)
{
    *out = NULL;
    *n = 0;
    event *evs = xcalloc(limit ? limit : 1, sizeof *evs);
    size_t count = 0;
    event_filter ff;
    char *text;
    f = folded(f, &ff, &text);
    int rc = f && f->text && *f->text
        ? j->be->page_text(j, f, from, dir, limit, evs, &count, e)
        : jdb_page_query(j, f, NULL, from, 0, dir, limit, evs, &count, e);
    free(text);
    if (rc) {
        events_free(evs, count);
        return -1;
    }
    *out = evs;
    *n = count;
    return 0;
}

/* Events per page when journal_events_each follows a text filter. */
#define EACH_PAGE 256

int journal_events_each(journal *j, const event_filter *f,
                        int (*cb)(const event *ev, void *ctx), void *ctx,
                        ss_err *e)
{
    /* A text filter goes through the backend's filter indexes, a page at
     * a time, oldest first: the same events on both backends (the case
     * folding is text_fold's, not the server's lower()). */
    if (f && f->text && *f->text) {
        int64_t from = 0;
        for (;;) {
            event *evs;
            size_t n;
            if (journal_events_page(j, f, from, 1, EACH_PAGE, &evs, &n, e))
                return -1;
            int stop = 0;
            for (size_t i = 0; i < n && !stop; i++)
                stop = cb(&evs[i], ctx);
            if (n)
                from = evs[n - 1].id;
            events_free(evs, n);
            if (stop)
                return stop < 0 ? -1 : 0;
            if (n < EACH_PAGE)
                return 0;
        }
    }
    strbuf b = {0};
    event_filter ff;
    char *text;
    f = folded(f, &ff, &text);
    sb_puts(&b, "SELECT " EVENT_COLS " FROM events");
    filter_sql(j, &b, f);
    sb_puts(&b, " ORDER BY id");
    db_stmt *st = jdb_prep_dyn(j, b.s, e);
    sb_free(&b);
    if (st)
        bind_filter(st, f);
    free(text); /* bound as a copy */
    if (!st)
        return -1;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        event ev;
        event_from_row(st, &ev);
        int stop = cb(&ev, ctx);
        event_clear(&ev);
        if (stop) {
            jdb_done(j, st);
            return stop < 0 ? -1 : 0;
        }
    }
    jdb_done(j, st);
    if (rc != DB_DONE)
        return jdb_fail(j, e, "cannot read events");
    return 0;
}

int journal_event_get(journal *j, int64_t id, event *out, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT " EVENT_COLS " FROM events WHERE id = ?", e);
    if (!st)
        return -1;
    db_bind_int64(st, 1, id);
    int rc = jdb_step_row(j, st, "cannot read events", e);
    if (rc == J_OK) {
        event_from_row(st, out);
        jdb_done(j, st);
    }
    return rc;
}

int journal_event_count(journal *j, int64_t *n, ss_err *e)
{
    /* ids are dense from 1 (deletes are refused), so max(id) is the count
     * without a scan. */
    db_stmt *st = jdb_prep(j, "SELECT coalesce(max(id), 0) FROM events", e);
    if (!st)
        return -1;
    int rc = db_step(st);
    *n = rc == DB_ROW ? db_col_int64(st, 0) : 0;
    jdb_done(j, st);
    if (rc != DB_ROW)
        return jdb_fail(j, e, "cannot count events");
    return 0;
}

int journal_checkpoint(journal *j, checkpoint *out, ss_err *e)
{
    db_stmt *st = jdb_prep(
        j, "SELECT id, hash FROM events ORDER BY id DESC LIMIT 1", e);
    if (!st)
        return -1;
    int rc = jdb_step_row(j, st, "cannot read the newest event", e);
    if (rc == J_OK) {
        out->events = db_col_int64(st, 0);
        jdb_copy_col(st, 1, out->hash, sizeof out->hash);
        jdb_done(j, st);
    } else {
        out->events = 0;
        memcpy(out->hash, GENESIS, sizeof out->hash);
    }
    return rc == J_NOTFOUND ? J_OK : rc;
}

void checkpoint_format(const checkpoint *c, char out[CHECKPOINT_MAX])
{
    snprintf(out, CHECKPOINT_MAX, "%lld:%s", (long long)c->events, c->hash);
}

int checkpoint_parse(const char *s, checkpoint *out, ss_err *e)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s)
        return ss_errf(e, "checkpoint \"%s\": expected N:HASH", s);
    int64_t n = 0;
    for (const char *p = s; p < colon; p++) {
        if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
            return ss_errf(e, "checkpoint \"%s\": N is not a count of events",
                           s);
        n = n * 10 + (*p - '0');
    }
    const char *h = colon + 1;
    if (strlen(h) != 64)
        return ss_errf(e, "checkpoint \"%s\": HASH must be 64 hex digits", s);
    for (size_t i = 0; i < 64; i++) {
        char c = h[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return ss_errf(e, "checkpoint \"%s\": HASH must be 64 hex digits",
                           s);
        out->hash[i] = c;
    }
    out->hash[64] = '\0';
    out->events = n;
    return 0;
}
