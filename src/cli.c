/* cli.c - parses the command line and runs one command. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "inventory.h"
#include "journal.h"
#include "procedure.h"

#ifndef SITESWEEP_VERSION
#define SITESWEEP_VERSION "0.0.0"
#endif
#ifndef SITESWEEP_DATADIR
#define SITESWEEP_DATADIR "/usr/local/share/sitesweep"
#endif

#define PROCEDURE_FILE "q287717.procedure"
#define DEMO_FILE "demo-sites.csv"
#define MAX_ARGS 8

static const char usage[] =
    "usage: sitesweep [--journal PATH] [--operator NAME] [--procedure FILE]\n"
    "                 [COMMAND [ARGS]]\n"
    "\n"
    "Guides the manual cleanup of a failed or hung SMS 2.0 secondary-site\n"
    "installation (KB Q287717) and keeps every step in a journal.\n"
    "\n"
    "Commands:\n"
    "  (none)                             the console (needs a terminal)\n"
    "  import FILE                        load or update sites from CSV\n"
    "  sites [--format table|csv|json|md] sites, install state, progress\n"
    "  mark CODE ITEM done|skipped|failed|reopened [--note TEXT]\n"
    "                                     record an outcome (skipped and\n"
    "                                     failed need --note)\n"
    "  procedure [--site CODE] [--format table|json|md]\n"
    "                                     the checklist, values filled in\n"
    "  journal [--site CODE] [--format table|csv|json|md]\n"
    "                                     every event, oldest first\n"
    "  verify                             check the journal's hash chain\n"
    "\n"
    "Options:\n"
    "  --journal PATH     journal file (default $SITESWEEP_JOURNAL, else\n"
    "                     $XDG_DATA_HOME/sitesweep/journal.db)\n"
    "  --operator NAME    who records (default $SITESWEEP_OPERATOR, else\n"
    "                     the login name)\n"
    "  --procedure FILE   procedure for new runs (default $SITESWEEP_PROCEDURE,\n"
    "                     else the bundled " PROCEDURE_FILE ")\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 ok, 1 failure (e.g. verification failed), 2 usage or\n"
    "input error. See sitesweep(1).\n";

/* The parsed command line. */
typedef struct opts {
    const char *journal;    /* --journal */
    const char *operator_name; /* --operator */
    const char *procedure;  /* --procedure */
    const char *format;     /* --format */
    const char *site;       /* --site */
    const char *note;       /* --note */
    const char *args[MAX_ARGS]; /* command and its positional arguments */
    int nargs;
} opts;

static int usage_error(const char *fmt, const char *arg)
{
    fputs("sitesweep: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'sitesweep --help'.\n", stderr);
    return EXIT_USAGE;
}

/* Returns -1 to continue, else an exit code (help, version, error). */
static int parse(int argc, char **argv, opts *o)
{
    static const struct {
        const char *name;
        size_t off;
    } valued[] = {
        {"--journal", offsetof(opts, journal)},
        {"--operator", offsetof(opts, operator_name)},
        {"--procedure", offsetof(opts, procedure)},
        {"--format", offsetof(opts, format)},
        {"--site", offsetof(opts, site)},
        {"--note", offsetof(opts, note)},
    };
    bool only_args = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_args && strcmp(a, "--") == 0) {
            only_args = true;
            continue;
        }
        if (!only_args && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            fputs(usage, stdout);
            return EXIT_OK;
        }
        if (!only_args && strcmp(a, "--version") == 0) {
            printf("sitesweep %s\n", SITESWEEP_VERSION);
            return EXIT_OK;
        }
        if (!only_args && a[0] == '-' && a[1] != '\0') {
            size_t k;
            for (k = 0; k < sizeof valued / sizeof valued[0]; k++) {
                size_t n = strlen(valued[k].name);
                if (strncmp(a, valued[k].name, n) == 0 &&
                    (a[n] == '\0' || a[n] == '='))
                    break;
            }
            if (k == sizeof valued / sizeof valued[0])
                return usage_error("unknown option '%s'", a);
            const char **slot = (const char **)((char *)o + valued[k].off);
            const char *eq = strchr(a, '=');
            if (eq)
                *slot = eq + 1;
            else if (i + 1 < argc)
                *slot = argv[++i];
            else
                return usage_error("option '%s' needs a value", a);
            continue;
        }
        if (o->nargs == MAX_ARGS)
            return usage_error("too many arguments at '%s'", a);
        o->args[o->nargs++] = a;
    }
    return -1;
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

char *cli_find_data(const char *name)
{
    const char *env = getenv("SITESWEEP_DATADIR");
    if (env && *env) {
        char *p = xasprintf("%s/%s", env, name);
        if (file_exists(p))
            return p;
        free(p);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            const char *rel[] = {"data", "../share/sitesweep", "../../data",
                                 "../../../data"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                char *p = xasprintf("%s/%s/%s", exe, rel[i], name);
                if (file_exists(p))
                    return p;
                free(p);
            }
        }
    }
    char *p = xasprintf("%s/%s", SITESWEEP_DATADIR, name);
    if (file_exists(p))
        return p;
    free(p);
    return NULL;
}

/* Loads the procedure for new runs; prints the error. */
static int load_procedure(const opts *o, procedure *p, char **path)
{
    const char *env = getenv("SITESWEEP_PROCEDURE");
    *path = o->procedure ? xstrdup(o->procedure)
            : env && *env ? xstrdup(env)
                          : cli_find_data(PROCEDURE_FILE);
    if (!*path) {
        fprintf(stderr, "sitesweep: cannot find the bundled %s; name one "
                        "with --procedure FILE\n", PROCEDURE_FILE);
        return EXIT_USAGE;
    }
    ss_err e;
    if (procedure_load(*path, p, &e)) {
        fprintf(stderr, "sitesweep: %s\n", e.msg);
        return EXIT_USAGE;
    }
    return 0;
}

/* Opens the journal; read-only commands refuse a missing file rather than
 * creating one. */
static int open_journal(const opts *o, bool create, journal **j)
{
    char path[PATH_MAX];
    ss_err e;
    if (journal_resolve_path(o->journal, path, sizeof path, &e)) {
        fprintf(stderr, "sitesweep: %s\n", e.msg);
        return EXIT_USAGE;
    }
    if (!create && !file_exists(path)) {
        fprintf(stderr, "sitesweep: %s: no journal yet; start with "
                        "'sitesweep import FILE' or the console\n", path);
        return EXIT_FAIL;
    }
    if (journal_open(path, j, &e)) {
        fprintf(stderr, "sitesweep: %s\n", e.msg);
        return EXIT_FAIL;
    }
    journal_set_actor(*j, o->operator_name, NULL);
    return 0;
}

static int fail_with(const ss_err *e, int code)
{
    fprintf(stderr, "sitesweep: %s\n", e->msg);
    return code;
}

static int get_format(const opts *o, unsigned allowed, out_format *f)
{
    if (!o->format) {
        *f = FMT_TABLE;
        return 0;
    }
    int v = out_format_parse(o->format, allowed);
    if (v < 0)
        return usage_error("unknown format '%s' for this command", o->format);
    *f = (out_format)v;
    return 0;
}

static int need_args(const opts *o, int n, const char *synopsis)
{
    if (o->nargs != n)
        return usage_error("usage: sitesweep %s", synopsis);
    return 0;
}

static int cmd_import(const opts *o)
{
    int rc = need_args(o, 2, "import FILE");
    if (rc)
        return rc;
    inventory inv;
    ss_err e;
    if (inventory_load(o->args[1], &inv, &e))
        return fail_with(&e, EXIT_USAGE);
    journal *j;
    if ((rc = open_journal(o, true, &j))) {
        inventory_free(&inv);
        return rc;
    }
    import_stats st;
    rc = journal_import(j, &inv, o->args[1], &st, &e);
    size_t n = inv.n;
    inventory_free(&inv);
    journal_close(j);
    if (rc)
        return fail_with(&e, rc == JOURNAL_EINPUT ? EXIT_USAGE : EXIT_FAIL);
    printf("imported %s: %zu sites (%zu added, %zu updated, %zu unchanged)\n",
           o->args[1], n, st.added, st.updated, st.unchanged);
    return EXIT_OK;
}

static int cmd_sites(const opts *o)
{
    out_format f;
    int rc = need_args(o, 1, "sites [--format table|csv|json|md]");
    if (rc || (rc = get_format(o, FMTS_ALL, &f)))
        return rc;
    journal *j;
    if ((rc = open_journal(o, false, &j)))
        return rc;
    site_row *rows;
    size_t n;
    ss_err e;
    if (journal_sites(j, &rows, &n, &e)) {
        journal_close(j);
        return fail_with(&e, EXIT_FAIL);
    }
    rc = export_sites(stdout, f, rows, n);
    free(rows);
    journal_close(j);
    return rc ? EXIT_FAIL : EXIT_OK;
}

/* Says on stderr when an open run keeps a procedure the file no longer
 * matches. */
static void drift_note(const run_view *rv, const procedure *current,
                       const char *path)
{
    char *d = procedure_drift(&rv->proc, current);
    if (!d)
        return;
    fprintf(stderr, "sitesweep: note: run %lld of %s keeps the procedure it "
                    "started with (%.12s); %s now differs: %s\n",
            (long long)rv->id, rv->site, rv->proc.hash, path, d);
    free(d);
}

static int cmd_mark(const opts *o)
{
    const char *syn = "mark CODE ITEM done|skipped|failed|reopened [--note TEXT]";
    int rc = need_args(o, 4, syn);
    if (rc)
        return rc;
    int out = outcome_parse(o->args[3]);
    if (out < 0)
        return usage_error("'%s' is not an outcome: done, skipped, failed "
                           "or reopened", o->args[3]);
    if (outcome_needs_note((outcome)out) &&
        (!o->note || !o->note[strspn(o->note, " \t")]))
        return usage_error("%s needs --note TEXT saying why", o->args[3]);
    procedure p = {0};
    char *ppath = NULL;
    journal *j = NULL;
    if ((rc = load_procedure(o, &p, &ppath)) || (rc = open_journal(o, true, &j)))
        goto out;
    mark_result r;
    ss_err e;
    int mrc = journal_mark(j, o->args[1], o->args[2], (outcome)out, o->note,
                           &p, &r, &e);
    if (mrc) {
        rc = fail_with(&e, mrc == JOURNAL_EINPUT ? EXIT_USAGE : EXIT_FAIL);
        goto out;
    }
    /* The run's pinned procedure is read back only when it differs from
     * the file, to say how (drift). */
    run_view rv;
    bool have = !r.already && strcmp(r.procedure, p.hash) != 0 &&
                journal_run_current(j, o->args[1], &rv, &e) == 0;
    char up[4];
    snprintf(up, sizeof up, "%s", o->args[1]);
    for (char *c = up; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    if (r.already)
        printf("%s %s is already %s: nothing recorded\n", up, o->args[2],
               out == OUT_REOPENED ? "open" : o->args[3]);
    else if (r.completed)
        printf("%s %s %s (run %lld): cleanup complete; the site can be "
               "reinstalled with the same site code\n", up, o->args[2],
               o->args[3], (long long)r.run);
    else
        printf("%s %s %s (run %lld%s, %zu/%zu)\n", up, o->args[2], o->args[3],
               (long long)r.run, r.started ? ", started" : "", r.closed,
               r.applicable);
    if (have) {
        drift_note(&rv, &p, ppath);
        run_view_free(&rv);
    }
out:
    journal_close(j);
    procedure_free(&p);
    free(ppath);
    return rc;
}

static int cmd_procedure(const opts *o)
{
    out_format f;
    int rc = need_args(o, 1, "procedure [--site CODE] [--format table|json|md]");
    if (rc || (rc = get_format(o, FMTS_PROCEDURE, &f)))
        return rc;
    procedure p = {0};
    char *ppath = NULL;
    journal *j = NULL;
    run_view rv = {0};
    bool have_run = false;
    site s, parent;
    proc_values v = {NULL, NULL};
    if ((rc = load_procedure(o, &p, &ppath)))
        goto out;
    if (o->site) {
        ss_err e;
        if ((rc = open_journal(o, false, &j)))
            goto out;
        int g = journal_site_get(j, o->site, &s, &e);
        if (g) {
            if (g == JOURNAL_NOTFOUND)
                fprintf(stderr, "sitesweep: no site %s in %s\n", o->site,
                        journal_path(j));
            else
                fail_with(&e, EXIT_FAIL);
            rc = g == JOURNAL_NOTFOUND ? EXIT_USAGE : EXIT_FAIL;
            goto out;
        }
        v.site = &s;
        if (s.parent[0] && journal_site_get(j, s.parent, &parent, &e) == 0)
            v.parent_server = parent.server;
        int c = journal_run_current(j, s.code, &rv, &e);
        if (c < 0) {
            rc = fail_with(&e, EXIT_FAIL);
            goto out;
        }
        have_run = c == 0;
        if (have_run)
            drift_note(&rv, &p, ppath);
    }
    rc = export_procedure(stdout, f, have_run ? &rv.proc : &p, &v,
                          have_run ? &rv.st : NULL) ? EXIT_FAIL : EXIT_OK;
out:
    if (have_run)
        run_view_free(&rv);
    journal_close(j);
    procedure_free(&p);
    free(ppath);
    return rc;
}

static int write_event(const event *ev, void *ctx)
{
    return event_writer_add(ctx, ev) ? -1 : 0;
}

static int cmd_journal(const opts *o)
{
    out_format f;
    int rc = need_args(o, 1, "journal [--site CODE] [--format table|csv|json|md]");
    if (rc || (rc = get_format(o, FMTS_ALL, &f)))
        return rc;
    journal *j;
    if ((rc = open_journal(o, false, &j)))
        return rc;
    char code[4] = "";
    ss_err e;
    if (o->site) {
        site s;
        int g = journal_site_get(j, o->site, &s, &e);
        if (g) {
            journal_close(j);
            if (g == JOURNAL_NOTFOUND) {
                fprintf(stderr, "sitesweep: no site %s in the journal\n", o->site);
                return EXIT_USAGE;
            }
            return fail_with(&e, EXIT_FAIL);
        }
        memcpy(code, s.code, sizeof code);
    }
    event_filter flt = {code[0] ? code : NULL, 0, NULL};
    char *title = code[0] ? xasprintf("sitesweep journal: site %s", code)
                          : xstrdup("sitesweep journal");
    event_writer *w = event_writer_new(stdout, f, title);
    free(title);
    int erc = journal_events_each(j, &flt, write_event, w, &e);
    int wrc = event_writer_end(w);
    journal_close(j);
    if (erc)
        return fail_with(&e, EXIT_FAIL);
    return wrc ? EXIT_FAIL : EXIT_OK;
}

static int cmd_verify(const opts *o)
{
    int rc = need_args(o, 1, "verify");
    if (rc)
        return rc;
    journal *j;
    if ((rc = open_journal(o, false, &j)))
        return rc;
    verify_result r;
    ss_err e;
    int v = journal_verify(j, &r, &e);
    if (v < 0) {
        journal_close(j);
        return fail_with(&e, EXIT_FAIL);
    }
    if (v == 1 && r.bad_id == 0) {
        fprintf(stderr, "sitesweep: %s: hash chain intact (%lld events), "
                        "but %s\n", journal_path(j), (long long)r.checked,
                r.why);
        journal_close(j);
        return EXIT_FAIL;
    }
    if (v == 1) {
        fprintf(stderr, "sitesweep: %s: event %lld is bad: %s (%lld events "
                        "checked)\n", journal_path(j), (long long)r.bad_id,
                r.why, (long long)r.checked);
        journal_close(j);
        return EXIT_FAIL;
    }
    printf("%s: %lld events, hash chain intact\n", journal_path(j),
           (long long)r.checked);
    journal_close(j);
    return EXIT_OK;
}

/* The console on a journal named with --journal: refused when its
 * directory does not exist (a mistyped path would otherwise create
 * directories and an empty journal). Returns 0 or an exit code. */
static int console_journal_dir_ok(const opts *o)
{
    if (!o->journal)
        return 0;
    char *dir = xstrdup(o->journal);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        if (access(dir, F_OK) != 0) {
            fprintf(stderr, "sitesweep: %s: the directory %s does not exist; "
                            "the console opens a journal only in an "
                            "existing directory\n", o->journal, dir);
            rc = EXIT_USAGE;
        }
    }
    free(dir);
    return rc;
}

static int run_console(const opts *o, console_fn console)
{
    if (!console)
        return usage_error("%s", "this build has no console");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "sitesweep: the console needs a terminal; for "
                        "scripts use a command such as 'sitesweep sites' "
                        "(see --help)\n");
        return EXIT_USAGE;
    }
    int rc = console_journal_dir_ok(o);
    if (rc)
        return rc;
    procedure p = {0};
    char *ppath = NULL;
    journal *j = NULL;
    rc = load_procedure(o, &p, &ppath);
    if (rc == 0 && (rc = open_journal(o, true, &j)) == 0) {
        char *demo = cli_find_data(DEMO_FILE);
        app a = {j, journal_path(j), &p, ppath, demo, journal_operator(j)};
        rc = console(&a);
        free(demo);
    }
    journal_close(j);
    procedure_free(&p);
    free(ppath);
    return rc;
}

int cli_main(int argc, char **argv, console_fn console)
{
    opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.nargs == 0)
        return run_console(&o, console);
    static const struct {
        const char *name;
        int (*fn)(const opts *);
    } cmds[] = {
        {"import", cmd_import}, {"sites", cmd_sites}, {"mark", cmd_mark},
        {"procedure", cmd_procedure}, {"journal", cmd_journal},
        {"verify", cmd_verify},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(o.args[0], cmds[i].name) == 0)
            return cmds[i].fn(&o);
    return usage_error("unknown command '%s'", o.args[0]);
}
