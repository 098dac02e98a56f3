/* journal_verify.c - what a journal proves about itself: SQLite's page
 * integrity, the hash chain from the genesis hash, the checkpoints it is
 * given, its stored procedures, every derived table (sites, runs,
 * item_states) derived again from the events and compared column by
 * column, and the filter indexes (events_grams, events_text) derived
 * again and compared gram by gram, term by term. Reads only: the derived copies live in temporary tables that are
 * rolled back with the read transaction. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "journal_pg.h"
#include "text.h"

#define VERIFY_COLS "id, ts, operator, host, site, run, item, kind, note, data, prev, hash"

/* Records the first problem: which, and why in words; returns 1. */
static int problem(verify_result *res, verify_problem p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int problem(verify_result *res, verify_problem p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->why, sizeof res->why, fmt, ap);
    va_end(ap);
    for (char *c = res->why; *c; c++) /* one line, whatever SQLite said */
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    res->problem = p;
    return 1;
}

/* ---- pages ---- */

/* Whether an error says the file itself is damaged. */
static bool is_damage(journal *j)
{
    return db_fault_of(j->db) == DB_FAULT_CORRUPT;
}

/* SQLite's own check of every page, b-tree and index. */
static int verify_pages(journal *j, verify_result *res, ss_err *e)
{
    db_stmt *st = jdb_prep_dyn(j, "PRAGMA integrity_check(1)", e);
    if (!st)
        return is_damage(j) ? problem(res, VERIFY_FILE, "the database file "
                                      "is damaged: %s", db_errmsg(j->db))
                            : -1;
    int rc = db_step(st);
    int out = 0;
    if (rc == DB_ROW && strcmp(jdb_col_text(st, 0), "ok") != 0) {
        snprintf(res->table, sizeof res->table, "%s", "(file)");
        out = problem(res, VERIFY_FILE, "the database file is damaged "
                      "(SQLite's integrity check: %s)", jdb_col_text(st, 0));
    } else if (rc != DB_ROW) {
        out = is_damage(j) ? problem(res, VERIFY_FILE, "the database file is "
                                     "damaged: %s", db_errmsg(j->db))
                           : jdb_fail(j, e, "cannot check the database file");
    }
    jdb_done(j, st);
    return out;
}

/* ---- the chain and checkpoints ---- */

/* The columns of VERIFY_COLS that hold text, by name, in order from ts. */
static const char *const text_cols[] = {"ts", "operator", "host", "site",
                                        NULL, "item", "kind", "note",
                                        "data"};

/* Whether an event (read from st, a row of VERIFY_COLS) holds only what
 * sitesweep writes in each field (text_event_check, the writers' rules),
 * as the row holds it (not as cut to fit an event). When not, res names
 * the event, the field and what is wrong (res->event set) and 1 is
 * returned; else 0. */
static int check_fields(db_stmt *st, int64_t id, verify_result *res)
{
    const char *field = NULL;
    char why[160] = "";
    char *v[9] = {0};
    size_t lens[9] = {0};
    for (int c = 1; c <= 9; c++) {
        if (!text_cols[c - 1])
            continue;
        const char *b = db_col_blob(st, c, &lens[c - 1]);
        const char *nul = b && lens[c - 1] ? memchr(b, '\0', lens[c - 1])
                                           : NULL;
        /* A NUL inside a field: hidden from every reader of C strings
         * (and from the hash, which covers the text up to it). */
        if (nul && !field) {
            field = text_cols[c - 1];
            snprintf(why, sizeof why, "control or bidirectional character "
                     "U+0000 at byte %zu", (size_t)(nul - b) + 1);
        }
        v[c - 1] = xstrndup(b ? b : "", b ? lens[c - 1] : 0);
    }
    text_event tf = {v[0], v[1], v[2], v[3], v[5], v[6], v[7], v[8],
                     lens[7], lens[8]};
    int bad = field || text_event_check(&tf, &field, why, sizeof why);
    for (int c = 0; c < 9; c++)
        free(v[c]);
    if (!bad)
        return 0;
    res->event = id;
    snprintf(res->table, sizeof res->table, "%s", "events");
    snprintf(res->column, sizeof res->column, "%s", field);
    snprintf(res->key, sizeof res->key, "event %lld", (long long)id);
    snprintf(res->found, sizeof res->found, "%.*s",
             (int)sizeof res->found - 1, why);
    snprintf(res->expected, sizeof res->expected, "%s", "text sitesweep "
             "writes");
    problem(res, VERIFY_EVENT, "event %lld could not have been written by "
            "sitesweep: its %s: %s", (long long)id, field, why);
    return 1;
}

/* Whether every text column of the row fits the event it is read into
 * (jdb_event_from_row cuts ts, site, item and kind to their buffers):
 * when one does not, its hash cannot be computed over what the row
 * holds, and the field is what is wrong. */
static bool row_fits(db_stmt *st)
{
    static const struct {
        int col;
        size_t cap;
    } cut[] = {{1, sizeof ((event *)0)->ts}, {4, sizeof ((event *)0)->site},
               {6, sizeof ((event *)0)->item},
               {7, sizeof ((event *)0)->kind}};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        size_t len = 0;
        db_col_blob(st, cut[i].col, &len);
        if (len >= cut[i].cap)
            return false;
    }
    return true;
}

/* Walks every event from the genesis hash; checks each anchor on the way
 * and, at the end, that none names an event beyond the newest. */
static int verify_chain(journal *j, const checkpoint *anchors, size_t n,
                        verify_result *res, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT " VERIFY_COLS " FROM events ORDER BY id", e);
    if (!st)
        return -1;
    char prev[65] = GENESIS;
    int64_t expect = 1;
    /* The first event whose text breaks the rules every writer follows:
     * said once the whole chain and the checkpoints hold (a problem of
     * the chain comes first). */
    verify_result field_res;
    memset(&field_res, 0, sizeof field_res);
    int rc, out = 0;
    while (out == 0 && (rc = db_step(st)) == DB_ROW) {
        event ev;
        jdb_event_from_row(st, &ev);
        char h[65];
        journal_event_hash(&ev, h);
        res->checked++;
        const char *why = NULL;
        char seq[96];
        if (ev.id != expect) {
            snprintf(seq, sizeof seq, "%s (event %lld belongs here)",
                     ev.id > expect ? "events before it are missing"
                                    : "its id is out of sequence",
                     (long long)expect);
            why = seq;
        } else if (strcmp(ev.prev, prev) != 0)
            why = "it is not chained to the event before it";
        else if (!row_fits(st)) {
            /* cut to fit the event: its text is what is wrong */
            if (!field_res.event && !check_fields(st, ev.id, &field_res))
                why = "its content does not match its hash (altered)";
        } else if (strcmp(h, ev.hash) != 0)
            why = "its content does not match its hash (altered)";
        if (!why && !field_res.event)
            check_fields(st, ev.id, &field_res);
        if (why) {
            /* The offending row by its real id, even 0 or less (an
             * event inserted before the first); why says whose place. */
            res->bad_id = ev.id;
            res->event = res->bad_id;
            snprintf(res->table, sizeof res->table, "%s", "events");
            out = problem(res, VERIFY_CHAIN, "%s", why);
            event_clear(&ev);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (anchors[i].events != ev.id || strcmp(anchors[i].hash, ev.hash) == 0)
                continue;
            res->event = ev.id;
            snprintf(res->table, sizeof res->table, "%s", "events");
            snprintf(res->column, sizeof res->column, "%s", "hash");
            snprintf(res->expected, sizeof res->expected, "%s", anchors[i].hash);
            snprintf(res->found, sizeof res->found, "%s", ev.hash);
            out = problem(res, VERIFY_CHECKPOINT, "event %lld is not the one "
                          "checkpoint %lld:%s names: the history up to it "
                          "was rewritten", (long long)ev.id,
                          (long long)anchors[i].events, anchors[i].hash);
            break;
        }
        memcpy(prev, ev.hash, sizeof prev);
        expect++;
        event_clear(&ev);
    }
    jdb_done(j, st);
    if (out)
        return out;
    if (rc != DB_DONE)
        return is_damage(j) ? problem(res, VERIFY_FILE, "the database file is "
                                      "damaged: %s", db_errmsg(j->db))
                            : jdb_fail(j, e, "cannot read events");
    res->head.events = res->checked;
    memcpy(res->head.hash, prev, sizeof prev);
    int fields_bad = 0;
    if (field_res.event) {
        res->event = field_res.event;
        memcpy(res->table, field_res.table, sizeof res->table);
        memcpy(res->column, field_res.column, sizeof res->column);
        memcpy(res->key, field_res.key, sizeof res->key);
        memcpy(res->found, field_res.found, sizeof res->found);
        memcpy(res->expected, field_res.expected, sizeof res->expected);
        fields_bad = problem(res, VERIFY_EVENT, "%s", field_res.why);
    }
    for (size_t i = 0; i < n; i++) {
        if (anchors[i].events == 0 && strcmp(anchors[i].hash, GENESIS) != 0) {
            snprintf(res->expected, sizeof res->expected, "%s", anchors[i].hash);
            snprintf(res->found, sizeof res->found, "%s", GENESIS);
            return problem(res, VERIFY_CHECKPOINT, "checkpoint 0:%s cannot "
                           "hold: an empty history has the genesis hash",
                           anchors[i].hash);
        }
        if (anchors[i].events <= res->checked)
            continue;
        res->event = anchors[i].events;
        snprintf(res->table, sizeof res->table, "%s", "events");
        snprintf(res->column, sizeof res->column, "%s", "id");
        snprintf(res->expected, sizeof res->expected, "%s", anchors[i].hash);
        snprintf(res->found, sizeof res->found, "only %lld events",
                 (long long)res->checked);
        return problem(res, VERIFY_CHECKPOINT, "checkpoint %lld:%s names event "
                       "%lld, but the journal holds only %lld events: events "
                       "were removed", (long long)anchors[i].events,
                       anchors[i].hash, (long long)anchors[i].events,
                       (long long)res->checked);
    }
    return fields_bad;
}

/* ---- stored procedures ---- */

/* Every stored procedure: its text against its hash key, and parsed. */
static int verify_procedure_texts(journal *j, verify_result *res, ss_err *e)
{
    db_stmt *st = jdb_prep(j, "SELECT hash, name, text FROM procedures ORDER BY hash", e);
    if (!st)
        return -1;
    int rc, out = 0;
    while (out == 0 && (rc = db_step(st)) == DB_ROW) {
        char hash[65], h[65];
        jdb_copy_col(st, 0, hash, sizeof hash);
        char *name = xstrdup(jdb_col_text(st, 1));
        size_t len;
        const char *text = db_col_blob(st, 2, &len);
        sha256_hex(text ? text : "", len, h);
        snprintf(res->table, sizeof res->table, "%s", "procedures");
        snprintf(res->key, sizeof res->key, "procedure %.12s", hash);
        if (strcmp(h, hash) != 0) {
            snprintf(res->column, sizeof res->column, "%s", "text");
            snprintf(res->expected, sizeof res->expected, "text hashing to %s", hash);
            snprintf(res->found, sizeof res->found, "text hashing to %s", h);
            out = problem(res, VERIFY_PROCEDURE, "the stored procedure %.12s "
                          "was replaced: its text no longer matches its hash",
                          hash);
            free(name);
            break;
        }
        procedure p;
        ss_err pe;
        char label[96];
        snprintf(label, sizeof label, "procedure %.12s", hash);
        if (procedure_parse(text ? text : "", len, label, &p, &pe) != 0) {
            snprintf(res->column, sizeof res->column, "%s", "text");
            snprintf(res->expected, sizeof res->expected, "%s", "a procedure");
            snprintf(res->found, sizeof res->found, "%s", "text that does not parse");
            out = problem(res, VERIFY_PROCEDURE, "the stored procedure %.12s "
                          "no longer parses: %s", hash, pe.msg);
            free(name);
            break;
        }
        if (strcmp(p.name, name) != 0) {
            snprintf(res->column, sizeof res->column, "%s", "name");
            snprintf(res->expected, sizeof res->expected, "%s", p.name);
            snprintf(res->found, sizeof res->found, "%s", name);
            out = problem(res, VERIFY_PROCEDURE, "the stored procedure %.12s "
                          "has another name than its text", hash);
        }
        procedure_free(&p);
        free(name);
    }
    jdb_done(j, st);
    if (out)
        return out;
    memset(res->table, 0, sizeof res->table);
    memset(res->key, 0, sizeof res->key);
    if (rc != DB_DONE)
        return jdb_fail(j, e, "cannot read the stored procedures");
    return 0;
}

/* ---- derived tables ---- */

/* Checks that link tables without being one table derived again: each
 * returns the first disagreement as (event, key, expected, found). */
static const struct {
    const char *table, *column, *sql;
} link_checks[] = {
    {"procedures", "(row)",
     "SELECT id, 'procedure ' || substr(json_extract(data, '$.hash'), 1, 12)"
     " || ' of run ' || run, 'a row', 'no row'"
     " FROM events WHERE kind = 'run-started' AND json_extract(data, '$.hash')"
     " NOT IN (SELECT hash FROM procedures) ORDER BY id LIMIT 1"},
    {"procedures", "(row)",
     "SELECT 0, 'procedure ' || substr(hash, 1, 12), 'no row', 'a row'"
     " FROM procedures WHERE hash NOT IN (SELECT json_extract(data, '$.hash')"
     " FROM events WHERE kind = 'run-started') LIMIT 1"},
};

/* A table the program reads, derived again from the events: `derive`
 * makes temp.ss_d_<table> with the same key and columns (plus `event`,
 * the event a row comes from), then every row and each column listed is
 * compared with the real table. To check a new column: add it to the
 * derivation and to columns. */
#define DERIVED_COLS_MAX 24
static const struct derived_table {
    const char *table;            /* the table the program reads */
    const char *keys[3];          /* its key columns */
    const char *label;            /* SQL naming a row: 'site ' || code */
    const char *derive;           /* SELECT deriving it from the events */
    const char *columns[DERIVED_COLS_MAX]; /* compared, NULL-terminated */
} derived_tables[] = {
    {"item_states", {"run", "item"}, "'run ' || run || ' item ' || item",
     "SELECT run, item, CASE kind WHEN 'reopened' THEN 'open' ELSE kind END"
     " AS state, max(id) AS event FROM main.events WHERE kind IN ('done',"
     " 'skipped', 'failed', 'reopened') GROUP BY run, item",
     {"state", "event"}},
    /* closed, applicable, resume, active_ms and the counts need the
     * procedure or the timing rules: filled in by derive_progress() after
     * this. */
    {"runs", {"id"}, "'run ' || id",
     "SELECT s.run AS id, s.site AS site, json_extract(s.data, '$.hash') AS"
     " procedure, s.ts AS started, coalesce(c.ts, a.ts, '') AS ended, c.id"
     " IS NULL AND a.id IS NULL AS open, NULL AS closed, NULL AS applicable,"
     " NULL AS resume,"
     /* number: the run's place among its site's runs; state: how it
      * ended; prior: the install state its start changed (schema 4) */
     /* (a window, not a count per run: that scanned the site's events
      * once per run, minutes at 10,000 runs and a million events) */
     " count(*) OVER (PARTITION BY s.site ORDER BY s.run) AS number,"
     " CASE WHEN a.id IS NOT"
     "  NULL THEN 'abandoned' WHEN c.id IS NOT NULL THEN 'complete' ELSE"
     "  'open' END AS state, coalesce((SELECT json_extract(p.data, '$.from')"
     "  FROM main.events p WHERE p.site = s.site AND p.kind = 'site-state'"
     "  AND p.id > s.id ORDER BY p.id LIMIT 1), '') AS prior,"
     /* what the run list reads (schema 5, journal_stats.c) */
     " " RUN_LAST_TS_SQL("s.run") " AS last_ts, NULL AS active_ms,"
     " " RUN_PEOPLE_SQL("operator", "s.run") " AS operators,"
     " " RUN_PEOPLE_SQL("host", "s.run") " AS hosts, NULL AS n_done,"
     " NULL AS n_skipped, NULL AS n_failed, NULL AS n_na, NULL AS n_open,"
     " s.id AS event, coalesce(c.id, a.id, 0) AS completed FROM main.events s"
     " LEFT JOIN main.events c ON c.run = s.run AND c.kind = 'run-completed'"
     " LEFT JOIN main.events a ON a.run = s.run AND a.kind = 'run-abandoned'"
     " WHERE s.kind = 'run-started'",
     {"site", "procedure", "started", "ended", "open", "closed", "applicable",
      "resume", "number", "state", "prior", "last_ts", "active_ms",
      "operators", "hosts", "n_done", "n_skipped", "n_failed", "n_na",
      "n_open"}},
    {"sites", {"code"}, "'site ' || code",
     "SELECT a.site AS code, json_extract(d.data, '$.name') AS name,"
     " json_extract(d.data, '$.parent') AS parent, json_extract(d.data,"
     " '$.server') AS server, json_extract(d.data, '$.drive') AS drive,"
     " (SELECT CASE kind WHEN 'site-state' THEN json_extract(data, '$.to')"
     "  ELSE json_extract(data, '$.state') END FROM main.events WHERE site ="
     "  a.site AND kind IN ('site-added', 'site-updated', 'site-state')"
     "  ORDER BY id DESC LIMIT 1) AS state,"
     " CASE json_extract(d.data, '$.logon') WHEN 'yes' THEN 1 WHEN 'no' THEN 0"
     "  END AS logon, json_extract(d.data, '$.servers') AS servers,"
     " json_extract(d.data, '$.pdc') AS pdc, l.id AS last_event, l.ts AS"
     " last_ts, coalesce((SELECT max(run) FROM main.events WHERE site = a.site"
     "  AND kind = 'run-started'), 0) AS run, d.id AS event"
     " FROM (SELECT DISTINCT site FROM main.events WHERE kind = 'site-added') a"
     " JOIN main.events d ON d.id = (SELECT max(id) FROM main.events WHERE"
     "  site = a.site AND kind IN ('site-added', 'site-updated'))"
     " JOIN main.events l ON l.id = (SELECT max(id) FROM main.events WHERE"
     "  site = a.site)",
     {"name", "parent", "server", "drive", "state", "logon", "servers", "pdc",
      "last_event", "last_ts", "run"}},
};

/* Fills the columns of temp.ss_d_runs the SQL cannot derive: closed,
 * applicable, resume, active_ms and the counts (jdb_run_derive). */
static int derive_progress(journal *j, ss_err *e)
{
    typedef struct {
        int64_t id, completed;
        char site[4], hash[65];
    } run_ref;
    run_ref *runs = NULL;
    size_t n = 0, cap = 0;
    db_stmt *st = jdb_prep_dyn(j, "SELECT id, site, procedure, completed"
                                       " FROM temp.ss_d_runs", e);
    if (!st)
        return -1;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (n == cap)
            runs = xrealloc(runs, (cap = cap ? cap * 2 : 16) * sizeof *runs);
        runs[n].id = db_col_int64(st, 0);
        jdb_copy_col(st, 1, runs[n].site, sizeof runs[n].site);
        jdb_copy_col(st, 2, runs[n].hash, sizeof runs[n].hash);
        runs[n].completed = db_col_int64(st, 3);
        n++;
    }
    jdb_done(j, st);
    int out = rc == DB_DONE ? 0 : jdb_fail(j, e, "cannot derive the runs");
    if (out == 0) /* one lookup per UPDATE below, not a scan */
        out = jdb_exec(j, "CREATE INDEX temp.ss_d_runs_id ON ss_d_runs(id)",
                       "cannot derive the runs", e);
    if (out == 0)
        out = jdb_derive_begin(j, e);
    for (size_t i = 0; out == 0 && i < n; i++) {
        run_derived d;
        int got = jdb_run_derive(j, runs[i].id, runs[i].site, runs[i].hash,
                                 runs[i].completed, &d, e);
        if (got < 0)
            out = -1;
        if (got)
            continue;
        st = jdb_prep_dyn(j, "UPDATE temp.ss_d_runs SET closed = ?, applicable"
                             " = ?, resume = ?, active_ms = ?, n_done = ?,"
                             " n_skipped = ?, n_failed = ?, n_na = ?, n_open = ?"
                             " WHERE id = ?", e);
        if (!st) {
            out = -1;
            break;
        }
        db_bind_int64(st, 1, (int64_t)d.closed);
        db_bind_int64(st, 2, (int64_t)d.applicable);
        jdb_bind_text(st, 3, d.resume);
        db_bind_int64(st, 4, d.active_ms);
        db_bind_int64(st, 5, (int64_t)d.counts.done);
        db_bind_int64(st, 6, (int64_t)d.counts.skipped);
        db_bind_int64(st, 7, (int64_t)d.counts.failed);
        db_bind_int64(st, 8, (int64_t)d.counts.na);
        db_bind_int64(st, 9, (int64_t)d.counts.open);
        db_bind_int64(st, 10, runs[i].id);
        out = jdb_run(j, st, "cannot derive the runs", e);
    }
    jdb_derive_end(j);
    free(runs);
    return out;
}

/* Runs one comparison (event, key, expected, found); on a row fills res
 * and returns 1. */
static int compare(journal *j, const char *sql, const char *table,
                   const char *column, verify_result *res, ss_err *e)
{
    db_stmt *st = jdb_prep_dyn(j, sql, e);
    if (!st)
        return -1;
    int rc = db_step(st);
    if (rc == DB_ROW) {
        res->event = db_col_int64(st, 0);
        snprintf(res->table, sizeof res->table, "%s", table);
        snprintf(res->column, sizeof res->column, "%s", column);
        jdb_copy_col(st, 1, res->key, sizeof res->key);
        jdb_copy_col(st, 2, res->expected, sizeof res->expected);
        jdb_copy_col(st, 3, res->found, sizeof res->found);
        char at[32] = "";
        if (res->event > 0)
            snprintf(at, sizeof at, "; event %lld", (long long)res->event);
        if (strcmp(column, "(row)") != 0)
            problem(res, VERIFY_DERIVED, "the %s table disagrees with the "
                    "events at %s, column %s: expected %s, found %s (%s%s)",
                    table, res->key, column, res->expected, res->found,
                    "changed behind the program's back", at);
        else
            problem(res, VERIFY_DERIVED, "the %s table disagrees with the "
                    "events: %s is %s (%s%s)", table, res->key,
                    strcmp(res->found, "no row") == 0 ? "missing"
                                                      : "not in the events",
                    "changed behind the program's back", at);
    }
    jdb_done(j, st);
    if (rc == DB_ROW)
        return 1;
    if (rc != DB_DONE)
        return jdb_fail(j, e, "cannot check the derived tables");
    return 0;
}

/* Key equality of temp.ss_d_<table> d and main.<table> t. */
static void join_keys(strbuf *b, const struct derived_table *t)
{
    for (size_t k = 0; k < 3 && t->keys[k]; k++)
        sb_printf(b, "%sd.%s = t.%s", k ? " AND " : "", t->keys[k], t->keys[k]);
}

/* One derived table: made from the events, then every row and column. */
static int verify_table(journal *j, const struct derived_table *t,
                        verify_result *res, ss_err *e)
{
    strbuf b = {0};
    sb_printf(&b, "CREATE TEMP TABLE ss_d_%s AS %s", t->table, t->derive);
    int rc = jdb_exec(j, b.s, "cannot derive the tables", e);
    sb_free(&b);
    if (rc == 0 && strcmp(t->table, "runs") == 0)
        rc = derive_progress(j, e);
    if (rc)
        return -1;
    /* A row the events have and the table lacks. */
    sb_printf(&b, "SELECT event, %s, 'a row', 'no row' FROM temp.ss_d_%s d"
                  " WHERE NOT EXISTS (SELECT 1 FROM main.%s t WHERE ",
              t->label, t->table, t->table);
    join_keys(&b, t);
    sb_puts(&b, ") ORDER BY event LIMIT 1");
    rc = compare(j, b.s, t->table, "(row)", res, e);
    sb_free(&b);
    if (rc)
        return rc;
    /* A row the table has and the events do not. */
    sb_printf(&b, "SELECT 0, %s, 'no row', 'a row' FROM main.%s t WHERE NOT"
                  " EXISTS (SELECT 1 FROM temp.ss_d_%s d WHERE ",
              t->label, t->table, t->table);
    join_keys(&b, t);
    sb_puts(&b, ") LIMIT 1");
    rc = compare(j, b.s, t->table, "(row)", res, e);
    sb_free(&b);
    for (size_t c = 0; rc == 0 && c < DERIVED_COLS_MAX && t->columns[c]; c++) {
        const char *col = t->columns[c];
        sb_printf(&b, "SELECT event, %s, quote(%s), quote(ss_found) FROM"
                      " (SELECT d.*, t.%s AS ss_found FROM temp.ss_d_%s d JOIN"
                      " main.%s t ON ",
                  t->label, col, col, t->table, t->table);
        join_keys(&b, t);
        sb_printf(&b, ") WHERE ss_found IS NOT %s ORDER BY event LIMIT 1", col);
        rc = compare(j, b.s, t->table, col, res, e);
        sb_free(&b);
    }
    return rc;
}

/* ---- the event model ---- */

/* The kinds of event sitesweep writes. */
#define KNOWN_KINDS                                                        \
    "'import', 'site-added', 'site-updated', 'site-state', 'run-started',"  \
    " 'run-completed', 'run-abandoned', 'handover', 'resumed', 'done',"   \
    " 'skipped', 'failed', 'reopened', 'note'"

/* Events that contradict what sitesweep does: each query gives the first
 * such event's id and why, in words. In order, so that a later one may
 * rely on the earlier (one run-started per run, before the site check). */
static const char *const event_checks[] = {
    "SELECT id, 'its kind ' || quote(kind) || ' is not one sitesweep writes'"
    " FROM events WHERE kind NOT IN (" KNOWN_KINDS ") ORDER BY id LIMIT 1",
    "SELECT id, 'its data is not JSON' FROM events WHERE data != '' AND NOT"
    " json_valid(data) ORDER BY id LIMIT 1",
    /* Valid JSON from here on ('{}' stands in for none). */
    "SELECT id, 'a ' || kind || ' event must carry its details as a JSON"
    " object' FROM events WHERE kind IN ('run-started', 'site-added',"
    " 'site-updated', 'site-state') AND json_type(CASE data WHEN '' THEN"
    " '0' ELSE data END) != 'object' ORDER BY id LIMIT 1",
    "SELECT id, 'a run-started event must name its procedure''s hash'"
    " FROM events WHERE kind = 'run-started' AND coalesce(json_type(CASE"
    " data WHEN '' THEN '{}' ELSE data END, '$.hash'), '') != 'text'"
    " ORDER BY id LIMIT 1",
    "SELECT id, 'a ' || kind || ' event must name a run and an item'"
    " FROM events WHERE kind IN ('done', 'skipped', 'failed', 'reopened',"
    " 'note') AND (run = 0 OR item = '') ORDER BY id LIMIT 1",
    "SELECT id, 'a ' || kind || ' event must name a run and a site'"
    " FROM events WHERE kind IN ('run-started', 'run-completed',"
    " 'run-abandoned', 'handover', 'resumed') AND (run = 0 OR site = '')"
    " ORDER BY id LIMIT 1",
    "SELECT id, 'a resumed event is about the run, not item ' || quote(item)"
    " FROM events WHERE kind = 'resumed' AND item != '' ORDER BY id LIMIT 1",
    "SELECT id, 'it names item ' || quote(item) || ' outside any run'"
    " FROM events WHERE item != '' AND run = 0 ORDER BY id LIMIT 1",
    "SELECT e.id, 'it names site ' || quote(e.site) || ', which no earlier"
    " site-added event adds' FROM events e WHERE e.site != '' AND e.kind !="
    " 'site-added' AND NOT EXISTS (SELECT 1 FROM events a WHERE a.site ="
    " e.site AND a.kind = 'site-added' AND a.id < e.id) ORDER BY e.id LIMIT 1",
    "SELECT s.id, 'it adds site ' || quote(s.site) || ' again (event ' ||"
    " f.id || ' added it)' FROM events s JOIN events f ON f.site = s.site"
    " AND f.kind = 'site-added' AND f.id < s.id WHERE s.kind = 'site-added'"
    " ORDER BY s.id LIMIT 1",
    "SELECT e.id, 'it names run ' || e.run || ', which no earlier"
    " run-started event starts' FROM events e WHERE e.run != 0 AND NOT"
    " EXISTS (SELECT 1 FROM events s WHERE s.run = e.run AND s.kind ="
    " 'run-started' AND s.id <= e.id) ORDER BY e.id LIMIT 1",
    "SELECT s.id, 'it starts run ' || s.run || ' again (event ' || f.id ||"
    " ' started it)' FROM events s JOIN events f ON f.run = s.run AND"
    " f.kind = 'run-started' AND f.id < s.id WHERE s.kind = 'run-started'"
    " ORDER BY s.id LIMIT 1",
    "SELECT e.id, 'it is filed under site ' || quote(e.site) || ', but its"
    " run ' || e.run || ' is a cleanup of ' || s.site FROM events e JOIN"
    " events s ON s.run = e.run AND s.kind = 'run-started' WHERE e.run != 0"
    " AND e.site != s.site ORDER BY e.id LIMIT 1",
    /* From the few ends to what follows them in their run: from each
     * event back to its run's end scanned the run's events per event. */
    "SELECT e.id, 'it names run ' || e.run || ', which ended at event ' ||"
    " x.id || ' (' || x.kind || ')' FROM events x CROSS JOIN events e ON"
    " e.run = x.run AND e.id > x.id WHERE x.kind IN ('run-completed',"
    " 'run-abandoned') AND x.run != 0 ORDER BY e.id LIMIT 1",
};

/* Abandoning gives the site back the state it had before the run
 * (runs.prior), or failed when none is known. Checked after the derived
 * tables, so that a runs.prior changed behind the program's back is named
 * as that, not blamed on the event. */
static const char *const abandon_check =
    "SELECT a.id, 'it gives site ' || a.site || ' back the state ' ||"
    " quote(json_extract(CASE a.data WHEN '' THEN '{}' ELSE a.data END,"
    " '$.prior')) || ', but before run ' || a.run || ' it was ' ||"
    " quote(r.prior) FROM events a JOIN runs r ON r.id = a.run WHERE a.kind"
    " = 'run-abandoned' AND json_extract(CASE a.data WHEN '' THEN '{}' ELSE"
    " a.data END, '$.prior') IS NOT CASE WHEN r.prior IN ('', 'cleaning')"
    " THEN 'failed' ELSE r.prior END ORDER BY a.id LIMIT 1";

static int impossible(verify_result *res, int64_t id, const char *why);

/* Skips, failures and abandons carry a reason with visible text: the
 * program refuses them without one. 0, 1 (res names the event), -1. */
static int verify_event_reasons(journal *j, verify_result *res, ss_err *e)
{
    db_stmt *st = jdb_prep_dyn(j, "SELECT id, kind, note FROM events"
                                       " WHERE kind IN ('skipped', 'failed',"
                                       " 'run-abandoned') ORDER BY id", e);
    if (!st)
        return -1;
    int rc, out = 0;
    while ((rc = db_step(st)) == DB_ROW) {
        if (text_has_visible(jdb_col_text(st, 2)))
            continue;
        char why[96];
        snprintf(why, sizeof why, "a %s event needs a reason with visible "
                 "text", jdb_col_text(st, 1));
        out = impossible(res, db_col_int64(st, 0), why);
        break;
    }
    if (out == 0 && rc != DB_DONE)
        out = jdb_fail(j, e, "cannot read the events");
    jdb_done(j, st);
    return out;
}

/* Names event id as impossible, why in words; returns 1. */
static int impossible(verify_result *res, int64_t id, const char *why)
{
    res->event = id;
    snprintf(res->table, sizeof res->table, "%s", "events");
    snprintf(res->key, sizeof res->key, "event %lld", (long long)id);
    return problem(res, VERIFY_EVENT, "event %lld could not have been "
                   "written by sitesweep: %s", (long long)id, why);
}

/* Each item an event names is an item of its run's stored procedure. */
static int verify_event_items(journal *j, verify_result *res, ss_err *e)
{
    typedef struct {
        int64_t run;
        char hash[65];
    } run_ref;
    run_ref *runs = NULL;
    size_t n = 0, cap = 0;
    db_stmt *st = jdb_prep_dyn(j, "SELECT run, json_extract(data,"
                                       " '$.hash') FROM events WHERE kind ="
                                       " 'run-started' ORDER BY id", e);
    if (!st)
        return -1;
    int rc;
    while ((rc = db_step(st)) == DB_ROW) {
        if (n == cap)
            runs = xrealloc(runs, (cap = cap ? cap * 2 : 16) * sizeof *runs);
        runs[n].run = db_col_int64(st, 0);
        jdb_copy_col(st, 1, runs[n].hash, sizeof runs[n].hash);
        n++;
    }
    jdb_done(j, st);
    int out = rc == DB_DONE ? 0 : jdb_fail(j, e, "cannot read the runs");
    for (size_t i = 0; out == 0 && i < n; i++) {
        const procedure *p = jdb_stored_procedure(j, runs[i].hash, e);
        if (!p)
            continue; /* reported by the procedure checks */
        st = jdb_prep_dyn(j, "SELECT id, item FROM events WHERE run = ? AND"
                             " item != '' ORDER BY id", e);
        if (!st) {
            out = -1;
            break;
        }
        db_bind_int64(st, 1, runs[i].run);
        while ((rc = db_step(st)) == DB_ROW) {
            const char *item = jdb_col_text(st, 1);
            if (procedure_find(p, item) >= 0)
                continue;
            char why[160];
            snprintf(why, sizeof why, "it names item \"%.*s\", which the "
                     "procedure of run %lld (%.12s) does not have",
                     PROC_ID_MAX, item, (long long)runs[i].run,
                     runs[i].hash);
            out = impossible(res, db_col_int64(st, 0), why);
            break;
        }
        if (out == 0 && rc != DB_DONE)
            out = jdb_fail(j, e, "cannot read the run's events");
        jdb_done(j, st);
    }
    free(runs);
    return out;
}

/* Every event is one sitesweep could have written: a known kind, the
 * fields its kind needs, sites and runs that exist before it, an event of
 * a run filed under the run's site and not after the run ended, and items
 * of the run's procedure. */
static int verify_event_model(journal *j, verify_result *res, ss_err *e)
{
    for (size_t i = 0; i < sizeof event_checks / sizeof event_checks[0]; i++) {
        db_stmt *st = jdb_prep_dyn(j, event_checks[i], e);
        if (!st)
            return -1;
        int rc = db_step(st);
        int out = 0;
        if (rc == DB_ROW)
            out = impossible(res, db_col_int64(st, 0),
                             jdb_col_text(st, 1));
        else if (rc != DB_DONE)
            out = jdb_fail(j, e, "cannot check the events");
        jdb_done(j, st);
        if (out)
            return out;
    }
    int rc = verify_event_reasons(j, res, e);
    return rc ? rc : verify_event_items(j, res, e);
}

/* ---- the filter indexes ---- */

/* A term of an index shown in a message: quoted, control characters (the
 * gram of a text's last character ends with char(1)) as \xNN. */
static void quote_term(const char *t, size_t n, char *out, size_t cap)
{
    strbuf b = {0};
    sb_putc(&b, '\'');
    for (size_t i = 0; i < n && b.len < cap; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c < 0x20 || c == 0x7f)
            sb_printf(&b, "\\x%02x", c);
        else
            sb_putc(&b, (char)c);
    }
    sb_putc(&b, '\'');
    snprintf(out, cap, "%s", b.s);
    sb_free(&b);
}

/* Bytes of the character at s (n bytes left), as SQLite's length() and
 * substr() step over characters: a byte from 0xC0 takes the continuation
 * bytes after it. */
static size_t char_bytes(const unsigned char *s, size_t n)
{
    size_t k = 1;
    if (s[0] >= 0xC0)
        while (k < n && (s[k] & 0xC0) == 0x80)
            k++;
    return k;
}

/* One gram of a block: bytes [off, off + len) of the block's texts, and
 * the first event holding it. */
typedef struct gram_ref {
    size_t off, len;
    int64_t event;
} gram_ref;

static const char *gram_texts; /* for gram_cmp: the block's texts */

/* SQLite's BINARY order of two byte strings. */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static int gram_cmp(const void *pa, const void *pb)
{
    const gram_ref *a = pa, *b = pb;
    int c = bytes_cmp(gram_texts + a->off, a->len, gram_texts + b->off,
                      b->len);
    return c ? c : (a->event > b->event) - (a->event < b->event);
}

/* Adds the grams GRAMS_OF makes of event id's text (at texts->s + at,
 * n bytes, followed by char(1)): each character with the next, the first
 * GRAM_MAX_N of them, and '' when the text is longer. */
static void grams_of(const strbuf *texts, size_t at, size_t n, int64_t id,
                     gram_ref **refs, size_t *nrefs, size_t *cap)
{
    const unsigned char *x = (const unsigned char *)texts->s + at;
    size_t pos = 0, chars = 0;
    while (pos < n) {
        size_t c1 = char_bytes(x + pos, n - pos);
        if (chars < GRAM_MAX_N) {
            /* this character and the next (char(1) after the last) */
            size_t c2 = pos + c1 < n ? char_bytes(x + pos + c1, n - pos - c1)
                                     : 1;
            if (*nrefs == *cap)
                *refs = xrealloc(*refs, (*cap = *cap ? *cap * 2 : 4096) *
                                            sizeof **refs);
            (*refs)[(*nrefs)++] = (gram_ref){at + pos, c1 + c2, id};
        }
        chars++;
        pos += c1;
    }
    if (chars > GRAM_MAX_N) {
        if (*nrefs == *cap)
            *refs = xrealloc(*refs, (*cap = *cap * 2) * sizeof **refs);
        (*refs)[(*nrefs)++] = (gram_ref){at, 0, id};
    }
}

/* Names a gram the events need and events_grams lacks; returns 1. */
static int gram_missing(verify_result *res, int64_t block, const char *g,
                        size_t len, int64_t ev_id)
{
    res->event = ev_id;
    snprintf(res->table, sizeof res->table, "%s", "events_grams");
    snprintf(res->column, sizeof res->column, "%s", "gram");
    snprintf(res->key, sizeof res->key, "block %lld", (long long)block);
    quote_term(g, len, res->expected, sizeof res->expected);
    snprintf(res->found, sizeof res->found, "%s", "no row");
    return problem(res, VERIFY_DERIVED, "the events_grams index lacks the "
                   "gram %s of event %lld (block %lld): a filter of one or "
                   "two characters would not find it (changed behind the "
                   "program's back)", res->expected, (long long)ev_id,
                   (long long)block);
}

/* The grams index: every gram the events' texts make, per block of 64
 * events, is in events_grams (more rows may be: stale grams of an older
 * case folding, which only make a block be scanned). Derived in C from
 * the folded texts, one block at a time, and merged with the index read
 * in order. */
static int verify_grams(journal *j, verify_result *res, ss_err *e)
{
    db_stmt *ev = jdb_prep_dyn(j, "SELECT id, " EVENT_TEXT("") " FROM"
                                  " main.events ORDER BY id", e);
    if (!ev)
        return -1;
    db_stmt *ix = jdb_prep_dyn(j, "SELECT block, gram FROM main.events_grams"
                                  " ORDER BY block, gram", e);
    if (!ix) {
        jdb_done(j, ev);
        return -1;
    }
    strbuf texts = {0};
    gram_ref *refs = NULL;
    size_t nrefs = 0, cap = 0;
    int out = 0, erc = db_step(ev), irc = db_step(ix);
    while (out == 0 && erc == DB_ROW && (irc == DB_ROW || irc == DB_DONE)) {
        /* one block: the events of ids block * 64 to block * 64 + 63 */
        int64_t block = db_col_int64(ev, 0) >> 6;
        texts.len = 0;
        nrefs = 0;
        while (erc == DB_ROW && db_col_int64(ev, 0) >> 6 == block) {
            const char *t = jdb_col_text(ev, 1);
            size_t at = texts.len, n = strlen(t);
            sb_add(&texts, t, n);
            sb_putc(&texts, '\x01');
            grams_of(&texts, at, n, db_col_int64(ev, 0), &refs, &nrefs, &cap);
            erc = db_step(ev);
        }
        gram_texts = texts.s;
        qsort(refs, nrefs, sizeof *refs, gram_cmp);
        while (irc == DB_ROW && db_col_int64(ix, 0) < block)
            irc = db_step(ix);
        for (size_t i = 0; out == 0 && i < nrefs; i++) {
            if (i && gram_cmp(&refs[i - 1], &(gram_ref){refs[i].off,
                              refs[i].len, refs[i - 1].event}) == 0)
                continue; /* the same gram of a later event */
            const char *g = texts.s + refs[i].off;
            int c = 1;
            while (irc == DB_ROW && db_col_int64(ix, 0) == block) {
                const char *r = jdb_col_text(ix, 1);
                c = bytes_cmp(r, strlen(r), g, refs[i].len);
                if (c >= 0)
                    break;
                irc = db_step(ix);
            }
            if (irc != DB_ROW && irc != DB_DONE)
                break; /* the index cannot be read: said below */
            if (irc != DB_ROW || db_col_int64(ix, 0) != block || c != 0)
                out = gram_missing(res, block, g, refs[i].len,
                                   refs[i].event);
        }
    }
    if (out == 0 && irc != DB_ROW && irc != DB_DONE)
        out = is_damage(j) ? problem(res, VERIFY_FILE, "the events_grams "
                                     "index is damaged: %s", db_errmsg(j->db))
                           : jdb_fail(j, e, "cannot read the events_grams "
                                      "index");
    else if (out == 0 && erc != DB_DONE)
        out = jdb_fail(j, e, "cannot read the events");
    jdb_done(j, ix);
    jdb_done(j, ev);
    sb_free(&texts);
    free(refs);
    gram_texts = NULL;
    return out;
}

/* The trigram index cannot be read: damaged (a problem) or a storage
 * error. */
static int text_unreadable(journal *j, verify_result *res, ss_err *e)
{
    if (!is_damage(j))
        return jdb_fail(j, e, "cannot read the events_text index");
    snprintf(res->table, sizeof res->table, "%s", "events_text");
    return problem(res, VERIFY_DERIVED, "the events_text index cannot be "
                   "read (%s): a filter would not find the events (changed "
                   "behind the program's back)", db_errmsg(j->db));
}

/* The first event one of the two indexes holds the term for and the
 * other does not (0 when none is found). */
static int64_t text_first_difference(journal *j, const char *match,
                                     ss_err *e)
{
    db_stmt *st = jdb_prep_dyn(j,
        "SELECT min(id) FROM (SELECT rowid AS id FROM temp.ss_d_text WHERE"
        " ss_d_text MATCH ?1 EXCEPT SELECT rowid FROM main.events_text"
        " WHERE events_text MATCH ?1) UNION ALL SELECT min(id) FROM (SELECT"
        " rowid AS id FROM main.events_text WHERE events_text MATCH ?1"
        " EXCEPT SELECT rowid FROM temp.ss_d_text WHERE ss_d_text MATCH ?1)",
        e);
    if (!st)
        return 0;
    jdb_bind_text(st, 1, match);
    int64_t first = 0;
    while (db_step(st) == DB_ROW) {
        int64_t id = db_col_int64(st, 0);
        if (id > 0 && (first == 0 || id < first))
            first = id;
    }
    jdb_done(j, st);
    return first;
}

/* The trigram index: a copy built from the events with the same
 * definition, then per term of the copy the events a search of the real
 * index finds (a search reads the index as a filter does: emptied
 * events_text_idx pages hide events from it, not from a scan of every
 * term), and per term of the real index (a scan: fts5vocab) that the
 * copy has it in as many events. FTS5's own integrity-check cannot tell
 * a contentless index emptied from one of no events. */
static int verify_text(journal *j, verify_result *res, ss_err *e)
{
    if (jdb_exec(j, "CREATE VIRTUAL TABLE temp.ss_d_text USING fts5("
                    EVENTS_TEXT_ARGS ");"
                    "INSERT INTO temp.ss_d_text(rowid, text) SELECT id, "
                    EVENT_TEXT("") " FROM main.events;"
                    "CREATE VIRTUAL TABLE temp.ss_d_vocab USING"
                    " fts5vocab(temp, ss_d_text, row);"
                    "CREATE TEMP TABLE ss_d_terms(term TEXT PRIMARY KEY,"
                    " doc INTEGER NOT NULL) WITHOUT ROWID;"
                    "INSERT INTO temp.ss_d_terms SELECT term, doc FROM"
                    " temp.ss_d_vocab;"
                    "CREATE VIRTUAL TABLE temp.ss_t_vocab USING"
                    " fts5vocab(main, events_text, row)",
                 "cannot derive the filter indexes", e))
        return -1;
    static const char *const checks[] = {
        /* a term the events hold that a search finds in fewer (or more)
         * events */
        "SELECT term, doc, found FROM (SELECT term, doc, (SELECT count(*)"
        " FROM main.events_text WHERE events_text MATCH '\"' ||"
        " replace(term, '\"', '\"\"') || '\"') AS found FROM"
        " temp.ss_d_terms) WHERE found != doc LIMIT 1",
        /* a term the index holds in more events than hold it */
        "SELECT t.term, coalesce(d.doc, 0), t.doc FROM temp.ss_t_vocab t"
        " LEFT JOIN temp.ss_d_terms d ON d.term = t.term WHERE d.doc IS"
        " NOT t.doc LIMIT 1",
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
        db_stmt *st = jdb_prep_dyn(j, checks[i], e);
        if (!st)
            return is_damage(j) ? text_unreadable(j, res, e) : -1;
        int rc = db_step(st);
        if (rc == DB_ROW) {
            const char *term = jdb_col_text(st, 0);
            int64_t want = db_col_int64(st, 1), got = db_col_int64(st, 2);
            quote_term(term, strlen(term), res->key, sizeof res->key);
            strbuf m = {0};
            sb_putc(&m, '"');
            for (const char *c = term; *c; c++) {
                if (*c == '"')
                    sb_putc(&m, '"');
                sb_putc(&m, *c);
            }
            sb_putc(&m, '"');
            jdb_done(j, st);
            res->event = text_first_difference(j, m.s, e);
            sb_free(&m);
            snprintf(res->table, sizeof res->table, "%s", "events_text");
            snprintf(res->column, sizeof res->column, "%s", "text");
            snprintf(res->expected, sizeof res->expected, "%lld events",
                     (long long)want);
            snprintf(res->found, sizeof res->found, "%lld events",
                     (long long)got);
            char at[40] = "";
            if (res->event > 0)
                snprintf(at, sizeof at, "; event %lld",
                         (long long)res->event);
            return problem(res, VERIFY_DERIVED, "the events_text index "
                           "finds the term %s in %lld events, the events "
                           "hold it in %lld: a filter would %s (changed "
                           "behind the program's back%s)", res->key,
                           (long long)got, (long long)want,
                           got < want ? "not find them" : "show others",
                           at);
        }
        int out = rc == DB_DONE ? 0 : text_unreadable(j, res, e);
        jdb_done(j, st);
        if (out)
            return out;
    }
    return 0;
}

/* The two filter indexes the Journal screen searches, derived again from
 * the events (SQLite journals: both are SQLite's). */
static int verify_indexes(journal *j, verify_result *res, ss_err *e)
{
    if (db_kind_of(j->db) != DB_SQLITE)
        return 0;
    int rc = verify_grams(j, res, e);
    return rc ? rc : verify_text(j, res, e);
}

/* The chain is intact: do the stored procedures and the tables the
 * program reads agree with it? */
static int verify_derived(journal *j, verify_result *res, ss_err *e)
{
    int rc = verify_procedure_texts(j, res, e);
    /* Before the links and tables, whose queries read the events' data. */
    if (rc == 0)
        rc = verify_event_model(j, res, e);
    for (size_t i = 0; rc == 0 && i < sizeof link_checks / sizeof link_checks[0]; i++)
        rc = compare(j, link_checks[i].sql, link_checks[i].table,
                     link_checks[i].column, res, e);
    if (rc == 1 && res->problem != VERIFY_EVENT)
        res->problem = VERIFY_PROCEDURE;
    for (size_t i = 0; rc == 0 && i < sizeof derived_tables / sizeof derived_tables[0]; i++)
        rc = verify_table(j, &derived_tables[i], res, e);
    if (rc == 0) {
        db_stmt *st = jdb_prep_dyn(j, abandon_check, e);
        if (!st)
            return -1;
        int step = db_step(st);
        if (step == DB_ROW)
            rc = impossible(res, db_col_int64(st, 0), jdb_col_text(st, 1));
        else if (step != DB_DONE)
            rc = jdb_fail(j, e, "cannot check the events");
        jdb_done(j, st);
    }
    return rc;
}

/* ---- sizes ---- */

/* Bytes of a note sitesweep writes at most (text.h, the writers' rules):
 * an operator's note or reason, or a note the program writes itself. */
#define NOTE_MAX TEXT_NOTE_MAX
#define NOTE_MAX_OWN TEXT_NOTE_OWN_MAX

/* Before anything reads whole events: a note longer than sitesweep ever
 * writes marks an event it could not have written, and is named as such
 * at once (by its length, read by the database) rather than hashed,
 * copied and indexed; the cost stays linear in the journal's bytes. 0, 1
 * (res: the first such event), -1 (e). */
static int verify_sizes(journal *j, verify_result *res, ss_err *e)
{
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT id, %s FROM events WHERE %s > CASE WHEN kind IN"
             " ('import', 'handover', 'resumed', 'site-updated') THEN %d ELSE %d END"
             " ORDER BY id LIMIT 1",
             j->pg ? "octet_length(note)" : "length(CAST(note AS BLOB))",
             j->pg ? "octet_length(note)" : "length(CAST(note AS BLOB))",
             NOTE_MAX_OWN, NOTE_MAX);
    db_stmt *st = jdb_prep_dyn(j, sql, e);
    if (!st)
        return -1;
    int rc = db_step(st);
    int64_t id = rc == DB_ROW ? db_col_int64(st, 0) : 0;
    int64_t len = rc == DB_ROW ? db_col_int64(st, 1) : 0;
    jdb_done(j, st);
    if (rc != DB_ROW && rc != DB_DONE)
        return jdb_fail(j, e, "cannot read the events");
    if (rc == DB_DONE)
        return 0;
    res->bad_id = id;
    res->event = id;
    snprintf(res->table, sizeof res->table, "%s", "events");
    snprintf(res->key, sizeof res->key, "event %lld", (long long)id);
    return problem(res, VERIFY_CHAIN, "its note is %lld bytes, more than "
                   "sitesweep ever writes (%d): an event sitesweep could "
                   "not have written (forged); nothing after it was read",
                   (long long)len, NOTE_MAX);
}

/* Before verify's private copy of a PostgreSQL journal (jdb_verify_pre):
 * the catalog first, since a planted object (a dropped primary key, a
 * policy) can make the copy itself fail, and the copy's own words would
 * name a temporary file rather than the journal; then the note sizes. */
struct pg_pre {
    int sc;                          /* jpg_schema_check's answer */
    char why[sizeof ((verify_result *)0)->why];
};

static int pg_verify_pre(journal *j, verify_result *res, void *arg,
                         ss_err *e)
{
    struct pg_pre *p = arg;
    p->sc = jpg_schema_check(j->db, p->why, sizeof p->why, e);
    if (p->sc < 0)
        return -1;
    return verify_sizes(j, res, e);
}

int journal_verify_checkpoints(journal *j, const checkpoint *anchors,
                               size_t n, verify_result *res, ss_err *e)
{
    memset(res, 0, sizeof *res);
    if (j->pg) {
        struct pg_pre pre = {0};
        int rc = jdb_verify_copy(j, anchors, n, pg_verify_pre, &pre, res, e);
        if (rc < 0 && pre.sc == 1) {
            memset(res, 0, sizeof *res);
            res->problem = VERIFY_FILE;
            snprintf(res->table, sizeof res->table, "%s", "pg_catalog");
            snprintf(res->why, sizeof res->why, "%s", pre.why);
            e->msg[0] = '\0';
            return 1;
        }
        return rc;
    }
    /* One read transaction: every check sees the same journal, and the
     * temporary tables vanish with it. */
    if (jdb_exec(j, "SAVEPOINT ss_verify", "cannot read the journal", e))
        return -1;
    int rc = verify_pages(j, res, e);
    if (rc == 0)
        rc = verify_sizes(j, res, e);
    if (rc == 0)
        rc = verify_chain(j, anchors, n, res, e);
    if (rc == 0)
        rc = verify_derived(j, res, e);
    if (rc == 0) {
        char why[sizeof res->why];
        rc = journal_schema_check(j, false, why, sizeof why, e);
        if (rc == 1) {
            snprintf(res->table, sizeof res->table, "%s", "sqlite_master");
            problem(res, VERIFY_SCHEMA, "%s", why);
        }
    }
    /* After the schema: a filter index dropped or redefined is named as
     * such, not as an index that cannot be read. */
    if (rc == 0)
        rc = verify_indexes(j, res, e);
    db_exec(j->db, "ROLLBACK TO ss_verify; RELEASE ss_verify");
    return rc;
}

int journal_verify(journal *j, verify_result *res, ss_err *e)
{
    return journal_verify_checkpoints(j, NULL, 0, res, e);
}
