/* gen_journal.c - builds large journals for the benchmarks, in one process.
 *
 *   gen_journal journal OUT.db SITES EVENTS PROCEDURE [HISTORY]
 *   gen_journal csv OUT.csv SITES
 *
 * HISTORY (default 0): that many past cleanups first, round-robin over the
 * sites, each started, its first item marked done and abandoned through
 * the core API (journal_run_start, journal_mark, journal_run_abandon) with
 * synchronous=OFF on the generator's connection (a benchmark file: no
 * fsync per transaction), so the run list has many runs to show.
 *
 * "journal": imports SITES generated sites and starts a run for each through
 * the core API (journal_import, journal_run_start: one durable commit per
 * run), then appends done/reopened events on items 1, 2 and 3 of those runs,
 * round-robin over the sites, until the journal holds EVENTS events.
 * journal_mark commits each mark durably and the core has no bulk mode, so a
 * million marks through it would be a million fsyncs; this bulk phase
 * therefore writes the events with SQL in ONE transaction, chained with the
 * same hash as the core (journal_event_hash), and writes the derived
 * tables (item_states, runs, sites.last_event) as journal_mark would, with
 * the item states computed by run_state_apply. The text index fills by trigger.
 * `sitesweep verify` on the result proves the chain; bench.sh runs it.
 * Every 1000th event carries a note; the event at 10% carries the rare note
 * "needle-xyzzy §" (for the text-filter benchmarks: "§" and "zz" occur
 * nowhere else).
 *
 * "csv": writes an inventory of SITES sites (at most 46,652: every
 * three-character code but the four device names).
 * Prints what it did and its rate on stdout. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory.h"
#include "journal.h"
#include "journal_int.h" /* synchronous=OFF; run counts */
#include "review.h"
#include "timing.h"
#include "procedure.h"
#include "run.h"

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define MAX_CODES (36 * 36 * 36 - 4)
#define TOGGLED 3 /* items 1, 2 and 3 of each run are marked back and forth */
#define OPERATOR "bench"
#define HOST "bench-host"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "gen_journal: %s: %s\n", what, msg);
    exit(1);
}

/* The i-th valid site code (skipping AUX, CON, NUL, PRN). */
static void site_code(size_t i, char out[4])
{
    static const char *const devices[] = {"AUX", "CON", "NUL", "PRN"};
    for (size_t k = 0, n = 0;; k++) {
        out[0] = ALNUM[k / (36 * 36)];
        out[1] = ALNUM[(k / 36) % 36];
        out[2] = ALNUM[k % 36];
        out[3] = '\0';
        int bad = 0;
        for (size_t d = 0; d < 4; d++)
            bad |= strcmp(out, devices[d]) == 0;
        if (!bad && n++ == i)
            return;
    }
}

/* Inventory CSV text for n sites: the first is the central site. */
static char *inventory_csv(size_t n)
{
    strbuf b = {0};
    sb_puts(&b, "code,name,parent,server,drive,state,logon,servers,pdc\n");
    char first[4];
    site_code(0, first);
    /* Codes in order: site_code(i) is O(i), so walk them incrementally. */
    size_t k = 0;
    for (size_t i = 0; i < n; i++, k++) {
        char c[4] = {ALNUM[k / 1296], ALNUM[(k / 36) % 36], ALNUM[k % 36], 0};
        if (!strcmp(c, "AUX") || !strcmp(c, "CON") || !strcmp(c, "NUL") ||
            !strcmp(c, "PRN")) {
            i--;
            continue;
        }
        sb_printf(&b, "%s,Bench site %zu,%s,SRV-%s,D,hung,no,SRV-%s;CAP-%s,\n",
                  c, i, i ? first : "", c, c, c);
    }
    return sb_take(&b);
}

static int write_csv(const char *path, size_t n)
{
    double t0 = now_s();
    char *csv = inventory_csv(n);
    FILE *f = fopen(path, "w");
    if (!f || fputs(csv, f) < 0 || fclose(f) != 0)
        die(path, "cannot write");
    printf("gen_journal: %s: %zu sites in %.2f s\n", path, n, now_s() - t0);
    free(csv);
    return 0;
}

/* A site's run as the bulk phase tracks it. */
typedef struct gen_run {
    site s;          /* the site */
    int64_t run;     /* its open run */
    run_state rs;    /* item states after the events so far */
    int64_t item_event[TOGGLED]; /* last event of each toggled item */
    int64_t last_event; /* the site's latest event */
    char last_ts[32];   /* and its time */
    int64_t prev_ms;    /* the run's latest event, UTC ms */
    int64_t active_ms;  /* the run's active time so far */
} gen_run;

static void exec_sql(sqlite3 *h, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK)
        die(sql, msg ? msg : "failed");
}

static sqlite3_stmt *prepare(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
        die(sql, sqlite3_errmsg(h));
    return st;
}

static void step_done(sqlite3 *h, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        die("bulk write", sqlite3_errmsg(h));
    sqlite3_reset(st);
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Appends events with SQL until the journal holds total events; returns
 * how many it appended. */
static int64_t bulk_events(sqlite3 *h, gen_run *runs, size_t nruns,
                        const procedure *p, int64_t total)
{
    sqlite3_stmt *st = prepare(h, "SELECT id, hash FROM events"
                                   " ORDER BY id DESC LIMIT 1");
    if (sqlite3_step(st) != SQLITE_ROW)
        die("bulk", "the journal has no events");
    event ev = {0};
    ev.id = sqlite3_column_int64(st, 0);
    snprintf(ev.hash, sizeof ev.hash, "%s", sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    int64_t first = ev.id + 1, needle = first + (total - first) / 10;
    if (total < first)
        die("bulk", "EVENTS is fewer than the core wrote");
    st = prepare(h, "INSERT INTO events(id, ts, operator, host, site, run,"
                     " item, kind, note, data, prev, hash)"
                     " VALUES(?,?,?,?,?,?,?,?,?,'',?,?)");
    ev.operator_name = (char *)OPERATOR;
    ev.host = (char *)HOST;
    ev.data = (char *)"";
    for (int64_t id = first, k = 0; id <= total; id++, k++) {
        gen_run *g = &runs[k % (int64_t)nruns];
        size_t idx = (size_t)((k / (int64_t)nruns) % TOGGLED);
        outcome o = g->rs.recorded[idx] == ITEM_DONE ? OUT_REOPENED : OUT_DONE;
        ss_err e;
        if (run_state_apply(&g->rs, p, idx, o, &e) != APPLY_CHANGED)
            die("bulk", e.msg);
        memcpy(ev.prev, ev.hash, sizeof ev.prev);
        ev.id = id;
        utc_now(ev.ts);
        snprintf(ev.site, sizeof ev.site, "%s", g->s.code);
        ev.run = g->run;
        snprintf(ev.item, sizeof ev.item, "%s", p->items[idx].id);
        snprintf(ev.kind, sizeof ev.kind, "%s", outcome_name(o));
        ev.note = (char *)(id == needle ? "needle-xyzzy \xc2\xa7"
                           : id % 1000 == 0 ? "checked by the benchmark" : "");
        journal_event_hash(&ev, ev.hash);
        sqlite3_bind_int64(st, 1, ev.id);
        bind_str(st, 2, ev.ts);
        bind_str(st, 3, ev.operator_name);
        bind_str(st, 4, ev.host);
        bind_str(st, 5, ev.site);
        sqlite3_bind_int64(st, 6, ev.run);
        bind_str(st, 7, ev.item);
        bind_str(st, 8, ev.kind);
        bind_str(st, 9, ev.note);
        bind_str(st, 10, ev.prev);
        bind_str(st, 11, ev.hash);
        step_done(h, st);
        int64_t ms;
        if (timing_parse_ts(ev.ts, &ms) == 0) {
            g->active_ms += timing_active_add(ms - g->prev_ms, TK_ITEM);
            g->prev_ms = ms;
        }
        g->item_event[idx] = id;
        g->last_event = id;
        memcpy(g->last_ts, ev.ts, sizeof g->last_ts);
    }
    sqlite3_finalize(st);
    return total - first + 1;
}

/* Writes item_states, runs and sites as journal_mark leaves them. */
static void bulk_derived(sqlite3 *h, gen_run *runs, size_t nruns,
                         const procedure *p)
{
    sqlite3_stmt *it = prepare(h, "INSERT INTO item_states(run, item, state,"
                                   " event) VALUES(?,?,?,?) ON CONFLICT(run,"
                                   " item) DO UPDATE SET state = excluded.state,"
                                   " event = excluded.event");
    sqlite3_stmt *ru = prepare(h, "UPDATE runs SET closed = ?, applicable = ?,"
                                   " resume = ?, last_ts = coalesce(?, last_ts),"
                                   " active_ms = ?, n_done = ?, n_skipped = ?,"
                                   " n_failed = ?, n_na = ?, n_open = ?"
                                   " WHERE id = ?");
    sqlite3_stmt *si = prepare(h, "UPDATE sites SET last_event = ?,"
                                   " last_ts = ? WHERE code = ?");
    for (size_t i = 0; i < nruns; i++) {
        gen_run *g = &runs[i];
        for (size_t idx = 0; idx < TOGGLED; idx++) {
            if (!g->item_event[idx])
                continue;
            sqlite3_bind_int64(it, 1, g->run);
            bind_str(it, 2, p->items[idx].id);
            bind_str(it, 3, item_state_name(g->rs.recorded[idx]));
            sqlite3_bind_int64(it, 4, g->item_event[idx]);
            step_done(h, it);
        }
        int at = run_state_resume(&g->rs);
        sqlite3_bind_int64(ru, 1, (sqlite3_int64)g->rs.closed);
        sqlite3_bind_int64(ru, 2, (sqlite3_int64)g->rs.applicable);
        bind_str(ru, 3, at >= 0 ? p->items[at].id : "");
        if (g->last_event)
            bind_str(ru, 4, g->last_ts);
        else
            sqlite3_bind_null(ru, 4);
        run_counts c;
        jdb_count_states(&g->rs, &c);
        sqlite3_bind_int64(ru, 5, g->active_ms);
        sqlite3_bind_int64(ru, 6, (sqlite3_int64)c.done);
        sqlite3_bind_int64(ru, 7, (sqlite3_int64)c.skipped);
        sqlite3_bind_int64(ru, 8, (sqlite3_int64)c.failed);
        sqlite3_bind_int64(ru, 9, (sqlite3_int64)c.na);
        sqlite3_bind_int64(ru, 10, (sqlite3_int64)c.open);
        sqlite3_bind_int64(ru, 11, g->run);
        step_done(h, ru);
        if (g->last_event) {
            sqlite3_bind_int64(si, 1, g->last_event);
            bind_str(si, 2, g->last_ts);
            bind_str(si, 3, g->s.code);
            step_done(h, si);
        }
    }
    sqlite3_finalize(it);
    sqlite3_finalize(ru);
    sqlite3_finalize(si);
}

/* HISTORY past cleanups through the core, round-robin over the sites:
 * started, the first item done, abandoned. */
static void history(journal *j, const inventory *inv, size_t nhist,
                    const procedure *p)
{
    ss_err e;
    if (jdb_exec(j, "PRAGMA synchronous = OFF", "bench", &e))
        die("history", e.msg);
    for (size_t k = 0; k < nhist; k++) {
        /* Site 0 is the central site, which has no cleanup. */
        const char *code = inv->sites[1 + k % (inv->n - 1)].code;
        mark_result r;
        if (journal_mark(j, code, p->items[0].id, OUT_DONE, NULL, p, &r, &e) ||
            journal_run_abandon(j, code, "benchmark history", false, NULL,
                                NULL, &e))
            die("history", e.msg);
    }
    if (jdb_exec(j, "PRAGMA synchronous = FULL", "bench", &e))
        die("history", e.msg);
}

/* The run's active time and latest event as the core left them. */
static void run_times(journal *j, gen_run *g)
{
    ss_err e;
    db_stmt *st = jdb_prep(j, "SELECT active_ms, last_ts FROM runs"
                                   " WHERE id = ?", &e);
    if (!st)
        die("runs", e.msg);
    db_bind_int64(st, 1, g->run);
    if (jdb_step_row(j, st, "cannot read runs", &e))
        die("runs", "no row");
    g->active_ms = db_col_int64(st, 0);
    if (timing_parse_ts(jdb_col_text(st, 1), &g->prev_ms))
        die("runs", "no last_ts");
    jdb_done(j, st);
}

/* Import and run starts through the core; returns the open runs, one per
 * site but the central site (the first): nsites - 1. */
static gen_run *api_phase(const char *path, size_t nsites, size_t nhist,
                          const procedure *p)
{
    ss_err e;
    inventory inv;
    char *csv = inventory_csv(nsites);
    if (inventory_parse(csv, strlen(csv), "generated.csv", &inv, &e))
        die("inventory", e.msg);
    free(csv);
    journal *j;
    if (journal_open(path, &j, &e))
        die(path, e.msg);
    journal_set_actor(j, OPERATOR, HOST);
    if (journal_import(j, &inv, "generated.csv", NULL, &e))
        die("import", e.msg);
    history(j, &inv, nhist, p);
    gen_run *runs = xcalloc(nsites, sizeof *runs);
    for (size_t i = 0; i + 1 < nsites; i++) {
        run_view rv;
        if (journal_run_start(j, inv.sites[i + 1].code, p, &rv, &e))
            die("run start", e.msg);
        runs[i].s = inv.sites[i + 1];
        runs[i].s.state = STATE_CLEANING;
        runs[i].run = rv.id;
        run_state_init(&runs[i].rs, p, &runs[i].s);
        run_times(j, &runs[i]);
        run_view_free(&rv);
    }
    journal_close(j);
    inventory_free(&inv);
    return runs;
}

static int gen_journal(const char *path, size_t nsites, int64_t total,
                       size_t nhist, const char *proc_path)
{
    ss_err e;
    procedure p;
    if (procedure_load(proc_path, &p, &e))
        die(proc_path, e.msg);
    double t0 = now_s();
    gen_run *runs = api_phase(path, nsites, nhist, &p);
    double t1 = now_s();
    sqlite3 *h;
    if (sqlite3_open(path, &h) != SQLITE_OK)
        die(path, sqlite3_errmsg(h));
    /* The index triggers fold case as sitesweep's connections do. */
    if (jdb_fold_register(h) != SQLITE_OK)
        die(path, sqlite3_errmsg(h));
    /* One big transaction: a rollback journal copies only the few pages
     * that already exist, where WAL would write every new page twice. */
    exec_sql(h, "PRAGMA journal_mode = DELETE; PRAGMA cache_size = -262144;"
                 " BEGIN IMMEDIATE");
    size_t nruns = nsites - 1;
    int64_t bulk = bulk_events(h, runs, nruns, &p, total);
    bulk_derived(h, runs, nruns, &p);
    exec_sql(h, "COMMIT; PRAGMA journal_mode = WAL");
    sqlite3_close(h);
    double t2 = now_s();

    printf("gen_journal: %s: %zu sites, %zu runs, %lld events in %.2f s (core "
           "API: %zu sites, %zu past and %zu open runs in %.2f s; SQL bulk: "
           "%lld events in %.2f s, %.0f events/s)\n", path, nsites,
           nruns + nhist, (long long)total, t2 - t0, nsites, nhist, nruns,
           t1 - t0, (long long)bulk, t2 - t1,
           bulk > 0 ? (double)bulk / (t2 - t1) : 0.0);
    for (size_t i = 0; i < nruns; i++)
        run_state_free(&runs[i].rs);
    free(runs);
    procedure_free(&p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "csv") == 0) {
        size_t n = strtoul(argv[3], NULL, 10);
        if (n == 0 || n > MAX_CODES)
            die(argv[3], "SITES must be 1 to 46652 (three-character codes)");
        return write_csv(argv[2], n);
    }
    if ((argc == 6 || argc == 7) && strcmp(argv[1], "journal") == 0) {
        size_t n = strtoul(argv[3], NULL, 10);
        long long total = strtoll(argv[4], NULL, 10);
        size_t hist = argc == 7 ? strtoul(argv[6], NULL, 10) : 0;
        if (n < 2 || n > MAX_CODES ||
            total < (long long)(3 * n + 1 + 5 * hist))
            die("arguments", "SITES 2..46652 and EVENTS >= 3 * SITES + 1 "
                             "+ 5 * HISTORY");
        return gen_journal(argv[2], n, total, hist, argv[5]);
    }
    fprintf(stderr, "usage: gen_journal journal OUT.db SITES EVENTS PROCEDURE"
                    " [HISTORY]\n"
                    "       gen_journal csv OUT.csv SITES\n");
    return 2;
}
