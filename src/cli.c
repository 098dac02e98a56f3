/* cli.c - parses the command line and runs one command. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "export.h"
#include "inventory.h"
#include "journal.h"
#include "procedure.h"
#include "report.h"
#include "review.h"
#include "tempfile.h"
#include "text.h"

#ifndef SITESWEEP_VERSION
#define SITESWEEP_VERSION "0.0.0"
#endif
#ifndef SITESWEEP_DATADIR
#define SITESWEEP_DATADIR "/usr/local/share/sitesweep"
#endif

#define PROCEDURE_FILE "q287717.procedure"
#define DEMO_FILE "demo-sites.csv"
#define MAX_ARGS 8
#define MAX_CHECKPOINTS 16 /* --checkpoint given to one verify */

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
    "  mark CODE ITEM done|skipped|failed|reopened [--note TEXT] [--take-over]\n"
    "                                     record an outcome (skipped and\n"
    "                                     failed need --note)\n"
    "  procedure [--site CODE] [--format table|json|md]\n"
    "                                     the checklist, values filled in\n"
    "  journal [--site CODE] [--filter TEXT] [--format table|csv|json|md]\n"
    "                                     every event, oldest first (with\n"
    "                                     --filter: those whose text holds\n"
    "                                     TEXT, case folded, as the\n"
    "                                     console's Journal filter)\n"
    "  runs [--site CODE] [--state open|complete|abandoned]\n"
    "       [--format table|csv|json|md]  every cleanup, newest first, with\n"
    "                                     counts, operators and times\n"
    "  report CODE [--run N] [--format md|json]\n"
    "                                     one cleanup as it ended (default:\n"
    "                                     the site's latest), for the ticket\n"
    "  copy FROM TO                       copy a whole journal (SQLite file or\n"
    "                                     postgresql:// URI) into a new one,\n"
    "                                     every event with its hash\n"
    "  abandon CODE --note REASON [--take-over]\n"
    "                                     end an open cleanup as abandoned;\n"
    "                                     the site gets back its state\n"
    "  verify [--checkpoint N:HASH]...    check the whole journal: file,\n"
    "                                     hash chain, procedures, derived\n"
    "                                     tables; prints its checkpoint;\n"
    "                                     each --checkpoint (from an earlier\n"
    "                                     verify or md report) must still\n"
    "                                     name the same history\n"
    "\n"
    "Options:\n"
    "  --journal PATH     journal file, or a postgresql:// URI for a team\n"
    "                     journal (default $SITESWEEP_JOURNAL, else\n"
    "                     $XDG_DATA_HOME/sitesweep/journal.db)\n"
    "  --operator NAME    who records (default $SITESWEEP_OPERATOR, else\n"
    "                     the login name)\n"
    "  --procedure FILE   procedure for new runs (default $SITESWEEP_PROCEDURE,\n"
    "                     else the bundled " PROCEDURE_FILE ")\n"
    "  --raw-csv          csv cells exactly as stored (by default a cell a\n"
    "                     spreadsheet would run as a formula gets a leading ')\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 ok, 1 failure (e.g. verification failed), 2 usage or\n"
    "input error. See sitesweep(1).\n";

/* Why a command's write to stdout failed, when it saw it first (a flush
 * inside the command drops the data, so a later fflush succeeds). */
static int out_errno;

/* The parsed command line. */
typedef struct opts {
    const char *journal;    /* --journal */
    const char *operator_name; /* --operator */
    const char *procedure;  /* --procedure */
    const char *format;     /* --format */
    const char *site;       /* --site */
    const char *note;       /* --note */
    const char *filter;     /* --filter */
    bool raw_csv;           /* --raw-csv */
    const char *state;      /* --state */
    const char *run;        /* --run */
    bool take_over;         /* --take-over */
    const char *args[MAX_ARGS]; /* command and its positional arguments */
    int nargs;
    const char *checkpoints[MAX_CHECKPOINTS]; /* --checkpoint, repeatable */
    int ncheckpoints;
} opts;

static int usage_error(const char *fmt, const char *arg)
{
    fputs("sitesweep: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\nTry 'sitesweep --help'.\n", stderr);
    return EXIT_USAGE;
}

/* The journals this run opened, as named and as shown: a name may hold a
 * password ("postgresql://u:pw@h/db", or a path "/srv/u:pw@h/j.db"), and
 * the journal's own messages name it as given. */
#define MAX_NAMES 2
static char named[MAX_NAMES][PATH_MAX];
static char shown[MAX_NAMES][PATH_MAX];

static void remember_name(const char *name)
{
    for (int i = 0; i < MAX_NAMES; i++) {
        if (strcmp(named[i], name) == 0)
            return;
        if (!named[i][0]) {
            snprintf(named[i], sizeof named[i], "%s", name);
            journal_name_redact(name, shown[i], sizeof shown[i]);
            return;
        }
    }
}

/* Prints "sitesweep: MSG" and a newline on stderr, every journal name in
 * msg shown without its password. */
static void say_error(const char *msg)
{
    strbuf b = {0};
    sb_puts(&b, msg);
    for (int i = 0; i < MAX_NAMES; i++) {
        if (!named[i][0] || strcmp(named[i], shown[i]) == 0)
            continue;
        size_t nl = strlen(named[i]);
        strbuf o = {0};
        const char *p = b.s, *hit;
        while ((hit = strstr(p, named[i])) != NULL) {
            sb_printf(&o, "%.*s%s", (int)(hit - p), p, shown[i]);
            p = hit + nl;
        }
        sb_puts(&o, p);
        sb_free(&b);
        b = o;
    }
    fprintf(stderr, "sitesweep: %s\n", b.s ? b.s : "");
    sb_free(&b);
}

/* Text that goes into the journal follows the rules of the field it goes
 * into (text.h: the writers' and verify's one set): valid UTF-8, no
 * control or bidirectional character (line feeds in a note), not longer
 * than the field holds. -1 when fine, else EXIT_USAGE. */
static int check_texts(const opts *o)
{
    const char *env = getenv("SITESWEEP_OPERATOR");
    const struct {
        const char *name, *value;
        size_t max;     /* bytes */
        bool multiline; /* line feeds allowed */
    } texts[] = {
        {"--note", o->note, TEXT_NOTE_MAX, true},
        {"--filter", o->filter, 4096, false},
        {"--operator", o->operator_name, TEXT_OPERATOR_MAX, false},
        {"SITESWEEP_OPERATOR", o->operator_name ? NULL : env,
         TEXT_OPERATOR_MAX, false},
        /* Recorded with every event as the operator's name is: the same
         * rules, not cut short silently (journal.h: host[256]). */
        {"SITESWEEP_HOST", getenv("SITESWEEP_HOST"), TEXT_HOST_MAX, false},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char why[160];
        const char *v = texts[i].value;
        if (!v || !text_rule_check(v, strlen(v), texts[i].multiline,
                                   texts[i].max, why, sizeof why))
            continue;
        char msg[256];
        snprintf(msg, sizeof msg, "%s: %s", texts[i].name, why);
        return usage_error("%s", msg);
    }
    return -1;
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
        {"--filter", offsetof(opts, filter)},
        {"--state", offsetof(opts, state)},
        {"--run", offsetof(opts, run)},
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
        if (!only_args && strncmp(a, "--checkpoint", 12) == 0 &&
            (a[12] == '\0' || a[12] == '=')) {
            if (o->ncheckpoints == MAX_CHECKPOINTS)
                return usage_error("too many checkpoints at '%s'", a);
            if (a[12] == '=')
                o->checkpoints[o->ncheckpoints++] = a + 13;
            else if (i + 1 < argc)
                o->checkpoints[o->ncheckpoints++] = argv[++i];
            else
                return usage_error("option '%s' needs a value", a);
            if (!*o->checkpoints[o->ncheckpoints - 1])
                return usage_error("option '%s' has an empty value",
                                   "--checkpoint");
            continue;
        }
        if (!only_args && strcmp(a, "--raw-csv") == 0) {
            o->raw_csv = true;
            continue;
        }
        if (!only_args && strcmp(a, "--take-over") == 0) {
            o->take_over = true;
            continue;
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
            /* A repeat would silently keep one value (which note was
             * meant?); an empty value would silently mean the default
             * (--journal "$J" with J unset). */
            if (*slot)
                return usage_error("option '%s' given more than once",
                                   valued[k].name);
            if (eq)
                *slot = eq + 1;
            else if (i + 1 < argc)
                *slot = argv[++i];
            else
                return usage_error("option '%s' needs a value", a);
            if (!**slot)
                return usage_error("option '%s' has an empty value",
                                   valued[k].name);
            continue;
        }
        if (o->nargs == MAX_ARGS)
            return usage_error("too many arguments at '%s'", a);
        o->args[o->nargs++] = a;
    }
    return check_texts(o);
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

/* Loads the procedure for new runs (--procedure, $SITESWEEP_PROCEDURE or
 * the bundled file) into p; *path receives its name (caller frees; NULL
 * when none was found). 0, or EXIT_USAGE with e saying why. */
static int try_load_procedure(const opts *o, procedure *p, char **path,
                              ss_err *e)
{
    const char *env = getenv("SITESWEEP_PROCEDURE");
    *path = o->procedure ? xstrdup(o->procedure)
            : env && *env ? xstrdup(env)
                          : cli_find_data(PROCEDURE_FILE);
    if (!*path) {
        ss_errf(e, "cannot find the bundled %s; name one with --procedure "
                   "FILE", PROCEDURE_FILE);
        return EXIT_USAGE;
    }
    if (procedure_load(*path, p, e))
        return EXIT_USAGE;
    return 0;
}

/* Loads the procedure for new runs; prints the error. */
static int load_procedure(const opts *o, procedure *p, char **path)
{
    ss_err e;
    int rc = try_load_procedure(o, p, path, &e);
    if (rc)
        say_error(e.msg);
    return rc;
}

/* Says on stderr that the procedure file for new runs could not be
 * loaded (why: its message) and that cleanup rv goes on with the
 * procedure kept in the journal. */
static void pinned_warning(const ss_err *why, const run_view *rv)
{
    fprintf(stderr, "sitesweep: warning: %s; cleanup %s #%lld %s the "
                    "procedure it started with (%.12s), kept in the "
                    "journal\n", why->msg, rv->site, (long long)rv->number,
            rv->open ? "goes on with" : "is shown with", rv->proc.hash);
}

/* Opens the journal; read-only commands refuse a missing file rather than
 * creating one. */
/* A journal named with --journal is refused when its directory does not
 * exist (a mistyped path would otherwise create directories and an empty
 * journal); only the default location's directories are created. Returns
 * 0 or an exit code. */
static int journal_dir_ok(const opts *o)
{
    /* Named by --journal or SITESWEEP_JOURNAL: both are typed by hand. */
    const char *env = getenv("SITESWEEP_JOURNAL");
    const char *name = o->journal ? o->journal : env && *env ? env : NULL;
    /* A mistyped URI is not a directory to look for: refused as what it
     * is, its password never shown (as open_journal does). */
    ss_err e;
    if (name && journal_name_check(name, &e)) {
        say_error(e.msg);
        return EXIT_USAGE;
    }
    /* URIs and ":memory:" get journal_open's own refusal. */
    if (!name || strncmp(name, "file:", 5) == 0 ||
        strcmp(name, ":memory:") == 0 || journal_is_server(name))
        return 0;
    char *dir = xstrdup(name);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash && slash != dir) {
        *slash = '\0';
        if (access(dir, F_OK) != 0) {
            char nshow[PATH_MAX], dshow[PATH_MAX];
            journal_name_redact(name, nshow, sizeof nshow);
            journal_name_redact(dir, dshow, sizeof dshow);
            fprintf(stderr, "sitesweep: %s: the directory %s does not exist; "
                            "a journal is created only in an "
                            "existing directory\n", nshow, dshow);
            rc = EXIT_USAGE;
        }
    }
    free(dir);
    return rc;
}

static int open_journal(const opts *o, bool create, journal **j)
{
    char path[PATH_MAX];
    ss_err e;
    if (journal_resolve_path(o->journal, path, sizeof path, &e)) {
        say_error(e.msg);
        return EXIT_USAGE;
    }
    remember_name(path);
    /* A mistyped URI is not a file name: refused before anything, its
     * password never shown. */
    if (journal_name_check(path, &e)) {
        say_error(e.msg);
        return EXIT_USAGE;
    }
    int rc = create ? journal_dir_ok(o) : 0;
    if (rc)
        return rc;
    struct stat st; /* lstat: a dangling link gets journal_open's message */
    if (!create && !journal_is_server(path) && lstat(path, &st) != 0 &&
        errno != ENOENT) { /* "j.db/": not a directory, say so */
        char show[PATH_MAX];
        journal_name_redact(path, show, sizeof show);
        fprintf(stderr, "sitesweep: %s: cannot open journal: %s\n", show,
                strerror(errno));
        return EXIT_FAIL;
    }
    /* A command that only reads creates nothing: no file, no schema. */
    rc = create ? journal_open(path, j, &e)
                : journal_open_existing(path, j, &e);
    if (rc) {
        say_error(e.msg);
        return rc == J_EINPUT ? EXIT_USAGE : EXIT_FAIL;
    }
    journal_set_actor(*j, o->operator_name, NULL);
    return 0;
}

/* Whether the journal the options name exists (as anything, a dangling
 * link included: opening it says what it is). */
static bool journal_named_exists(const opts *o)
{
    char path[PATH_MAX];
    ss_err e;
    struct stat st;
    return journal_resolve_path(o->journal, path, sizeof path, &e) == 0 &&
           (journal_is_server(path) || lstat(path, &st) == 0);
}

static int fail_with(const ss_err *e, int code)
{
    if (e->msg[0])
        say_error(e->msg);
    return code;
}

/* Closes scratch journal j (may be NULL) and removes its directory dir
 * with the files SQLite made in it: only the scratch's own files. */
static void scratch_drop(journal *j, const char *dir)
{
    journal_close(j);
    static const char *const files[] = {"journal.db", "journal.db-wal",
                                        "journal.db-shm",
                                        "journal.db-journal"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *f = xasprintf("%s/%s", dir, files[i]);
        unlink(f);
        free(f);
    }
    rmdir(dir);
}

/* A scratch journal: an empty SQLite journal in a private temporary
 * directory (mkdtemp under $TMPDIR, else /tmp) that nobody else knows
 * of, for trying a writing command before a journal that does not exist
 * yet is created for it. dir (PATH_MAX bytes) gets the directory. Returns
 * the journal (free it with scratch_drop), or NULL when none can be made
 * (then the command simply goes on without the trial). */
static journal *scratch_open(char *dir)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, PATH_MAX, "%s/sitesweep-trial.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return NULL;
    char *path = xasprintf("%s/journal.db", dir);
    journal *j = NULL;
    ss_err e;
    if (journal_open(path, &j, &e))
        j = NULL;
    free(path);
    if (!j)
        scratch_drop(NULL, dir); /* nothing of it stays behind */
    return j;
}

/* Whether a writing command would create the journal the options name:
 * a SQLite file that does not exist yet, or a PostgreSQL schema that
 * holds no journal yet (asked with journal_open_existing, which creates
 * nothing). Such a command is first tried on a scratch journal, so that
 * one refused for its input (a bad file, a cycle of parents) leaves no new
 * journal behind, neither a file nor a schema: the trial is the same core
 * on an empty journal, whichever backend it goes to. No file or schema is
 * ever removed, so a journal another process creates meanwhile is safe.
 * A server that cannot be asked: false (opening it then says why). */
static bool journal_would_create(const opts *o)
{
    if (!journal_named_exists(o))
        return true;
    char path[PATH_MAX];
    ss_err e;
    if (journal_resolve_path(o->journal, path, sizeof path, &e) != 0 ||
        !journal_is_server(path))
        return false;
    journal *j = NULL;
    int rc = journal_open_existing(path, &j, &e);
    journal_close(j);
    return rc == J_NOTFOUND;
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

/* What an import leaves to say, per site of the file: a parent missing
 * from the inventory is accepted (it may be imported later), but the
 * instructions cannot name its server; a site with an open cleanup keeps
 * the state cleaning whatever the file says (the journal rules it). */
static void warn_after_import(journal *j, const inventory *inv,
                              const char *fname)
{
    for (size_t i = 0; i < inv->n; i++) {
        const site *s = &inv->sites[i];
        site other;
        ss_err e;
        if (s->parent[0] &&
            journal_site_get(j, s->parent, &other, &e) == JOURNAL_NOTFOUND)
            fprintf(stderr, "sitesweep: warning: %s:%d: site %s: its parent "
                            "%s is not in the inventory; its instructions "
                            "will say that the parent's server is unknown\n",
                    fname, inv->lines[i], s->code, s->parent);
        if (s->state != STATE_CLEANING &&
            journal_site_get(j, s->code, &other, &e) == 0 &&
            other.state == STATE_CLEANING)
            fprintf(stderr, "sitesweep: warning: %s:%d: site %s: state %s "
                            "not applied: its cleanup is open, and the state "
                            "stays cleaning until the cleanup ends (abandon "
                            "it to give the site back a state)\n",
                    fname, inv->lines[i], s->code, site_state_name(s->state));
    }
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
    if ((rc = journal_dir_ok(o))) {
        inventory_free(&inv);
        return rc;
    }
    char dir[PATH_MAX];
    if (journal_would_create(o) && (j = scratch_open(dir))) {
        /* Refused on an empty journal: refused on the new one; say so
         * without creating it. */
        int tr = journal_import(j, &inv, o->args[1], NULL, &e);
        scratch_drop(j, dir);
        if (tr == JOURNAL_EINPUT) {
            inventory_free(&inv);
            return fail_with(&e, EXIT_USAGE);
        }
    }
    if ((rc = open_journal(o, true, &j))) {
        inventory_free(&inv);
        return rc;
    }
    import_stats st;
    rc = journal_import(j, &inv, o->args[1], &st, &e);
    size_t n = inv.n;
    if (rc == 0)
        warn_after_import(j, &inv, o->args[1]);
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
    checkpoint cp;
    if ((f == FMT_MD && journal_checkpoint(j, &cp, &e)) ||
        journal_sites(j, &rows, &n, &e)) {
        journal_close(j);
        return fail_with(&e, EXIT_FAIL);
    }
    rc = export_sites(stdout, f, rows, n);
    if (rc == 0 && f == FMT_MD)
        rc = export_md_checkpoint(stdout, &cp);
    free(rows);
    journal_close(j);
    return rc ? EXIT_FAIL : EXIT_OK;
}

/* Names on stderr each item of a run's procedure beyond the expansion
 * limits (pinned before they existed): it is shown cut. Returns how many. */
static size_t too_big_note(const run_view *rv)
{
    size_t n = 0;
    for (size_t i = 0; i < rv->proc.nitems; i++) {
        const proc_item *it = &rv->proc.items[i];
        if (!proc_item_too_big(it))
            continue;
        fprintf(stderr, "sitesweep: item %s of the procedure run %lld of %s "
                        "keeps (%.12s, line %d) can expand to %zu bytes, "
                        "beyond the limits (%u per command, %u per item): "
                        "it is shown cut\n", it->id, (long long)rv->id,
                rv->site, rv->proc.hash, it->line, it->worst,
                PROC_COMMAND_EXPANDED_MAX, PROC_ITEM_EXPANDED_MAX);
        n++;
    }
    return n;
}

/* Says on stderr when an open run keeps a procedure the file no longer
 * matches. */
static void drift_note(const run_view *rv, const procedure *current,
                       const char *path)
{
    char *d = procedure_drift(&rv->proc, current);
    if (!d)
        return;
    fprintf(stderr, "sitesweep: note: cleanup %s #%lld keeps the procedure "
                    "it started with (%.12s); %s now differs: %s\n",
            rv->site, (long long)rv->number, rv->proc.hash, path, d);
    free(d);
}

/* Warns on stderr when the outcome just recorded for item id of run rv
 * was out of the article's order (earlier applicable items still open or
 * failed). The outcome stays recorded: a script may mean it. */
static void order_warning(const run_view *rv, const char *code,
                          const char *id, outcome o)
{
    int idx = procedure_find(&rv->proc, id);
    if (idx < 0)
        return;
    strbuf b = {0};
    size_t n = run_state_open_before(&rv->st, &rv->proc, (size_t)idx, &b);
    if (n)
        fprintf(stderr, "sitesweep: warning: %s %s was marked %s out of "
                        "order: %s %s still open (the article's steps run "
                        "in order)\n", code, rv->proc.items[idx].id,
                outcome_name(o), b.s, n == 1 ? "is" : "are");
    sb_free(&b);
}

static int cmd_mark(const opts *o)
{
    const char *syn = "mark CODE ITEM done|skipped|failed|reopened [--note TEXT] [--take-over]";
    int rc = need_args(o, 4, syn);
    if (rc)
        return rc;
    int out = outcome_parse(o->args[3]);
    if (out < 0)
        return usage_error("'%s' is not an outcome: done, skipped, failed "
                           "or reopened", o->args[3]);
    /* A reason of spaces or invisible characters (U+200B, U+3000, ...)
     * says nothing, and neither does such a note. */
    if (outcome_needs_note((outcome)out) &&
        (!o->note || !text_has_visible(o->note)))
        return usage_error("%s needs --note TEXT saying why (a visible "
                           "character, not only spaces or invisible ones)",
                           o->args[3]);
    if (o->note && !text_has_visible(o->note))
        return usage_error("%s", "--note holds no visible character (only "
                                 "spaces or invisible ones)");
    procedure p = {0};
    char *ppath = NULL;
    journal *j = NULL;
    /* The file is needed to start a run; an open run keeps its own copy,
     * so a broken or missing file only warns then. */
    ss_err pe;
    bool have_proc = try_load_procedure(o, &p, &ppath, &pe) == 0;
    if (!have_proc && !journal_named_exists(o)) {
        say_error(pe.msg);
        rc = EXIT_USAGE;
        goto out;
    }
    mark_result r;
    ss_err e;
    /* A mark needs a site, and a journal that does not exist holds none:
     * it is opened as the reading commands open it, so that a mark on a
     * missing journal says "no journal yet" (exit 1, as they do) and
     * creates nothing, neither a SQLite file nor a PostgreSQL schema. A
     * directory that does not exist is still named as a likely typo. */
    if ((rc = journal_dir_ok(o)) || (rc = open_journal(o, false, &j)))
        goto out;
    journal_set_takeover(j, o->take_over);
    if (!have_proc) {
        run_view cur;
        int c = journal_run_current(j, o->args[1], &cur, &e);
        if (c == JOURNAL_NOTFOUND) { /* a new run needs the file */
            say_error(pe.msg);
            rc = EXIT_USAGE;
            goto out;
        }
        if (c) {
            rc = fail_with(&e, EXIT_FAIL);
            goto out;
        }
        pinned_warning(&pe, &cur);
        run_view_free(&cur);
    }
    int mrc = journal_mark(j, o->args[1], o->args[2], (outcome)out, o->note,
                           have_proc ? &p : NULL, &r, &e);
    if (mrc) {
        rc = fail_with(&e, mrc == JOURNAL_EINPUT || mrc == JOURNAL_HELD
                               ? EXIT_USAGE : EXIT_FAIL);
        goto out;
    }
    /* The run's pinned procedure is read back only when it differs from
     * the file, to say how (drift). */
    run_view rv;
    bool drift = have_proc && !r.already && strcmp(r.procedure, p.hash) != 0;
    bool order = !r.already && !r.completed && out != OUT_REOPENED;
    bool have = (drift || order) &&
                journal_run_current(j, o->args[1], &rv, &e) == 0;
    char up[4];
    snprintf(up, sizeof up, "%s", o->args[1]);
    for (char *c = up; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
    if (r.already)
        printf("%s %s is already %s: nothing recorded\n", up, o->args[2],
               out == OUT_REOPENED ? "open" : o->args[3]);
    else if (r.completed)
        printf("%s %s %s (run %s #%lld): cleanup complete; the site can be "
               "reinstalled with the same site code\n", up, o->args[2],
               o->args[3], up, (long long)r.number);
    else
        printf("%s %s %s (run %s #%lld%s, %zu/%zu)\n", up, o->args[2],
               o->args[3], up, (long long)r.number,
               r.started ? ", started" : "", r.closed, r.applicable);
    if (have && order)
        order_warning(&rv, up, o->args[2], (outcome)out);
    if (have && drift) {
        drift_note(&rv, &p, ppath);
        too_big_note(&rv);
    }
    if (have)
        run_view_free(&rv);
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
    /* Without --site the file is what is shown; with it, only a site
     * without a run, or drift, needs the file. */
    if (!o->site && (rc = load_procedure(o, &p, &ppath)))
        goto out;
    checkpoint cp; /* md ends with it, taken before anything is read */
    if (o->site) {
        ss_err e;
        if ((rc = open_journal(o, false, &j)))
            goto out;
        if (f == FMT_MD && journal_checkpoint(j, &cp, &e)) {
            rc = fail_with(&e, EXIT_FAIL);
            goto out;
        }
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
        /* The latest run's states, whether it is open, complete or
         * abandoned; drift matters only while a run is open. */
        int c = journal_run_latest(j, s.code, &rv, &e);
        if (c < 0) {
            rc = fail_with(&e, EXIT_FAIL);
            goto out;
        }
        have_run = c == 0;
        if (have_run)
            s = rv.values; /* a finished run: the values it ended with */
        v.site = &s;
        if (s.parent[0] && journal_site_get(j, s.parent, &parent, &e) == 0)
            v.parent_server = parent.server;
        ss_err pe;
        bool have_proc = try_load_procedure(o, &p, &ppath, &pe) == 0;
        if (!have_proc && !have_run) {
            say_error(pe.msg);
            rc = EXIT_USAGE;
            goto out;
        }
        if (!have_proc)
            pinned_warning(&pe, &rv);
        else if (have_run && rv.open)
            drift_note(&rv, &p, ppath);
    }
    proc_cleanup pc = {0, "", "", ""};
    if (have_run)
        pc = (proc_cleanup){rv.number, rv.state, rv.started, rv.ended};
    rc = export_procedure(stdout, f, have_run ? &rv.proc : &p, &v,
                          have_run ? &rv.st : NULL, &pc) ? EXIT_FAIL : EXIT_OK;
    if (rc == EXIT_OK && o->site && f == FMT_MD &&
        export_md_checkpoint(stdout, &cp))
        rc = EXIT_FAIL;
    if (have_run && too_big_note(&rv))
        rc = EXIT_FAIL; /* not all of it was shown */
out:
    if (have_run)
        run_view_free(&rv);
    journal_close(j);
    procedure_free(&p);
    free(ppath);
    return rc;
}

/* Writes events with their run's number at its site looked up (runs are
 * few: one lookup per change of run). Stops at the first failed write
 * (returns 1); cli_main reports it. */
typedef struct event_out {
    event_writer *w;
    journal *j;
    int64_t run, number; /* the last run looked up */
} event_out;

static int write_event(const event *ev, void *ctx)
{
    event_out *o = ctx;
    event copy = *ev;
    if (ev->run && ev->run != o->run) {
        ss_err e;
        o->run = ev->run;
        if (journal_run_number(o->j, ev->run, &o->number, &e) != 0)
            o->number = 0;
    }
    copy.run_number = ev->run ? o->number : 0;
    return event_writer_add(o->w, &copy) ? 1 : 0;
}

static int cmd_journal(const opts *o)
{
    out_format f;
    int rc = need_args(o, 1, "journal [--site CODE] [--filter TEXT] "
                                  "[--format table|csv|json|md]");
    if (rc || (rc = get_format(o, FMTS_ALL, &f)))
        return rc;
    journal *j;
    if ((rc = open_journal(o, false, &j)))
        return rc;
    char code[4] = "";
    ss_err e = {""};
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
    /* Taken before the events are read: every event up to it is listed. */
    checkpoint cp;
    if (f == FMT_MD && journal_checkpoint(j, &cp, &e)) {
        journal_close(j);
        return fail_with(&e, EXIT_FAIL);
    }
    event_filter flt = {code[0] ? code : NULL, 0,
                        o->filter && *o->filter ? o->filter : NULL};
    char *title = code[0] ? xasprintf("sitesweep journal: site %s", code)
                          : xstrdup("sitesweep journal");
    event_writer *w = event_writer_new(stdout, f, title);
    free(title);
    event_out out = {w, j, 0, 0};
    int erc = journal_events_each(j, &flt, write_event, &out, &e);
    int wrc = event_writer_end(w);
    if (erc == 0 && wrc == 0 && f == FMT_MD)
        wrc = export_md_checkpoint(stdout, &cp);
    if (wrc)
        out_errno = errno; /* the failed flush's reason, for check_output */
    journal_close(j);
    if (erc)
        return fail_with(&e, EXIT_FAIL);
    return wrc ? EXIT_FAIL : EXIT_OK;
}

/* The verify problem as one line for stderr. */
static void verify_report(const journal *j, const verify_result *r)
{
    const char *path = journal_path(j);
    switch (r->problem) {
    case VERIFY_CHAIN:
        fprintf(stderr, "sitesweep: %s: event %lld is bad: %s (%lld events "
                        "checked)\n", path, (long long)r->bad_id, r->why,
                (long long)r->checked);
        break;
    case VERIFY_CHECKPOINT:
        fprintf(stderr, "sitesweep: %s: checkpoint does not hold: %s\n"
                        "sitesweep: event %lld: expected hash %s, found %s\n",
                path, r->why, (long long)r->event, r->expected, r->found);
        break;
    case VERIFY_PROCEDURE:
    case VERIFY_DERIVED:
    case VERIFY_EVENT:
    case VERIFY_SCHEMA:
        fprintf(stderr, "sitesweep: %s: hash chain intact (%lld events), "
                        "but %s\n", path, (long long)r->checked, r->why);
        break;
    case VERIFY_FILE:
    case VERIFY_OK:
    default:
        fprintf(stderr, "sitesweep: %s: %s; nothing in it can be trusted "
                        "until it is restored from a copy\n", path, r->why);
        break;
    }
}

static int cmd_verify(const opts *o)
{
    int rc = need_args(o, 1, "verify [--checkpoint N:HASH]...");
    if (rc)
        return rc;
    checkpoint anchors[MAX_CHECKPOINTS];
    ss_err e;
    for (int i = 0; i < o->ncheckpoints; i++)
        if (checkpoint_parse(o->checkpoints[i], &anchors[i], &e))
            return usage_error("%s", e.msg);
    journal *j;
    if ((rc = open_journal(o, false, &j)))
        return rc;
    verify_result r;
    int v = journal_verify_checkpoints(j, anchors, (size_t)o->ncheckpoints,
                                       &r, &e);
    if (v < 0) {
        journal_close(j);
        return fail_with(&e, EXIT_FAIL);
    }
    if (v == 1) {
        verify_report(j, &r);
        journal_close(j);
        return EXIT_FAIL;
    }
    printf("%s: %lld events, hash chain intact; file, stored procedures, "
           "derived tables and filter indexes agree with it\n",
           journal_path(j),
           (long long)r.checked);
    for (int i = 0; i < o->ncheckpoints; i++) {
        char c[CHECKPOINT_MAX];
        checkpoint_format(&anchors[i], c);
        printf("holds: %s\n", c);
    }
    char c[CHECKPOINT_MAX];
    checkpoint_format(&r.head, c);
    printf("checkpoint: %s\n", c);
    journal_close(j);
    return EXIT_OK;
}

/* ---- cleanups as cleanups: runs, report, abandon ---- */

/* Looks the site up for a command; prints why not. 0, or an exit code. */
static int need_site(journal *j, const char *code, site *s)
{
    ss_err e;
    int g = journal_site_get(j, code, s, &e);
    if (g == JOURNAL_NOTFOUND) {
        fprintf(stderr, "sitesweep: no site %s in %s\n", code, journal_path(j));
        return EXIT_USAGE;
    }
    return g ? fail_with(&e, EXIT_FAIL) : 0;
}

static int cmd_runs(const opts *o)
{
    out_format f;
    int rc = need_args(o, 1, "runs [--site CODE] [--state open|complete|"
                             "abandoned] [--format table|csv|json|md]");
    if (rc || (rc = get_format(o, FMTS_ALL, &f)))
        return rc;
    if (o->state && strcmp(o->state, "open") != 0 &&
        strcmp(o->state, "complete") != 0 && strcmp(o->state, "abandoned") != 0)
        return usage_error("'%s' is not a run state: open, complete or "
                           "abandoned", o->state);
    journal *j;
    if ((rc = open_journal(o, false, &j)))
        return rc;
    site s;
    if (o->site && (rc = need_site(j, o->site, &s))) {
        journal_close(j);
        return rc;
    }
    run_summary *v = NULL;
    size_t n = 0;
    ss_err e;
    checkpoint cp; /* md ends with it, taken before the list is read */
    int lr = f == FMT_MD ? journal_checkpoint(j, &cp, &e) : 0;
    if (lr == 0)
        lr = journal_runs_list(j, o->site ? s.code : NULL, o->state, &v, &n, &e);
    journal_close(j);
    if (lr)
        return fail_with(&e, lr == JOURNAL_EINPUT ? EXIT_USAGE : EXIT_FAIL);
    rc = export_runs(stdout, f, v, n) ? EXIT_FAIL : EXIT_OK;
    if (rc == EXIT_OK && f == FMT_MD && export_md_checkpoint(stdout, &cp))
        rc = EXIT_FAIL;
    run_summaries_free(v, n);
    return rc;
}

/* "3" or "#3" as a run number; -1 when it is not one. */
static int64_t parse_run_number(const char *s)
{
    if (*s == '#')
        s++;
    if (!*s || s[strspn(s, "0123456789")])
        return -1;
    errno = 0;
    long long n = strtoll(s, NULL, 10);
    return n > 0 && errno == 0 ? (int64_t)n : -1;
}

static int cmd_report(const opts *o)
{
    int rc = need_args(o, 2, "report CODE [--run N] [--format md|json]");
    if (rc)
        return rc;
    out_format f = FMT_MD;
    if (o->format) {
        int v = out_format_parse(o->format, FMTS_REPORT);
        if (v < 0)
            return usage_error("unknown format '%s' for report: md or json",
                               o->format);
        f = (out_format)v;
    }
    int64_t number = 0;
    if (o->run && (number = parse_run_number(o->run)) < 0)
        return usage_error("--run '%s' is not a run number (1, 2, ...)", o->run);
    /* The procedure file now, only to say whether it drifted: quietly
     * none when it cannot be read. */
    procedure p = {0};
    const char *env = getenv("SITESWEEP_PROCEDURE");
    char *ppath = o->procedure ? xstrdup(o->procedure)
                  : env && *env ? xstrdup(env) : cli_find_data(PROCEDURE_FILE);
    ss_err pe;
    bool have_proc = ppath && procedure_load(ppath, &p, &pe) == 0;
    if (!have_proc && o->procedure) {
        /* A file named on purpose: say it cannot be read, claim nothing. */
        say_error(pe.msg);
        free(ppath);
        return EXIT_USAGE;
    }
    journal *j;
    if ((rc = open_journal(o, false, &j))) {
        procedure_free(&p);
        free(ppath);
        return rc;
    }
    site s;
    run_report r;
    ss_err e;
    if ((rc = need_site(j, o->args[1], &s)) == 0) {
        int lr = run_report_load(j, s.code, number, have_proc ? &p : NULL, &r, &e);
        if (lr == JOURNAL_NOTFOUND) {
            if (number)
                fprintf(stderr, "sitesweep: site %s has no cleanup #%lld\n",
                        s.code, (long long)number);
            else
                fprintf(stderr, "sitesweep: site %s has no cleanup yet\n", s.code);
            rc = EXIT_USAGE;
        } else if (lr) {
            rc = fail_with(&e, EXIT_FAIL);
        } else {
            if (!have_proc)
                snprintf(r.drift_unchecked, sizeof r.drift_unchecked,
                         "%s", ppath ? pe.msg
                                     : "no procedure file was found");
            rc = export_report(stdout, f, &r) ? EXIT_FAIL : EXIT_OK;
            run_report_free(&r);
        }
    }
    journal_close(j);
    procedure_free(&p);
    free(ppath);
    return rc;
}

/* copy FROM TO: the whole journal into a new one, SQLite or PostgreSQL,
 * with every hash; both then print the same checkpoint. A failed copy
 * leaves nothing behind: a new SQLite file is written under a temporary
 * name and renamed into place once committed, a new PostgreSQL schema is
 * made in the copy's transaction (journal_copy_target_open). */
static int cmd_copy(const opts *o)
{
    int rc = need_args(o, 3, "copy FROM TO");
    if (rc)
        return rc;
    opts src = *o, dst = *o;
    src.journal = o->args[1];
    dst.journal = o->args[2];
    journal *from, *to;
    if ((rc = open_journal(&src, false, &from)))
        return rc;
    char tpath[PATH_MAX];
    ss_err e;
    if (journal_resolve_path(dst.journal, tpath, sizeof tpath, &e)) {
        journal_close(from);
        return fail_with(&e, EXIT_USAGE);
    }
    remember_name(tpath);
    if (journal_name_check(tpath, &e)) {
        journal_close(from);
        return fail_with(&e, EXIT_USAGE);
    }
    if ((rc = journal_dir_ok(&dst))) {
        journal_close(from);
        return rc;
    }
    copy_target t;
    int orc = journal_copy_target_open(tpath, &t, &to, &e);
    if (orc) {
        journal_copy_target_end(&t);
        journal_close(from);
        return fail_with(&e, orc == J_EINPUT ? EXIT_USAGE : EXIT_FAIL);
    }
    journal_set_actor(to, o->operator_name, NULL);
    copy_stats st;
    int cr = journal_copy(from, to, &t, &st, &e);
    if (cr == 0) {
        char cp[CHECKPOINT_MAX];
        checkpoint_format(&st.to, cp);
        printf("copied %lld events, %lld sites, %lld runs from %s to %s\n"
               "checkpoint: %s\n", (long long)st.events, (long long)st.sites,
               (long long)st.runs, journal_path(from), journal_path(to), cp);
    }
    journal_close(from);
    journal_close(to);
    journal_copy_target_end(&t);
    if (cr)
        return fail_with(&e, cr == JOURNAL_EINPUT ? EXIT_USAGE : EXIT_FAIL);
    return EXIT_OK;
}

static int cmd_abandon(const opts *o)
{
    int rc = need_args(o, 2, "abandon CODE --note REASON [--take-over]");
    if (rc)
        return rc;
    if (!o->note || !text_has_visible(o->note))
        return usage_error("%s", "abandon needs --note REASON saying why the "
                                 "cleanup is abandoned (a visible character, "
                                 "not only spaces or invisible ones)");
    journal *j;
    if ((rc = open_journal(o, false, &j)))
        return rc;
    site s;
    if ((rc = need_site(j, o->args[1], &s))) {
        journal_close(j);
        return rc;
    }
    ss_err e;
    int64_t number = 0;
    int ar = journal_run_abandon(j, s.code, o->note, o->take_over, NULL,
                                 &number, &e);
    if (ar == 0) {
        site now;
        if (journal_site_get(j, s.code, &now, &e) == 0)
            printf("%s #%lld abandoned; %s is %s again\n", s.code,
                   (long long)number, s.code, site_state_name(now.state));
    }
    journal_close(j);
    if (ar)
        return fail_with(&e, ar == -1 ? EXIT_FAIL : EXIT_USAGE);
    return EXIT_OK;
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
    int rc = journal_dir_ok(o);
    if (rc)
        return rc;
    procedure p = {0};
    char *ppath = NULL;
    journal *j = NULL;
    signal(SIGPIPE, SIG_DFL);
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

/* Every command's output is checked once, here: a failed or short write
 * (a full disk, a closed pipe) is an error, never a silent success. */
static int check_output(int rc)
{
    int before = out_errno ? out_errno : errno;
    errno = 0;
    int err = fflush(stdout) != 0 ? errno : 0;
    if (!err && !ferror(stdout))
        return rc;
    /* An earlier flush failed and dropped its data: errno may still say
     * why, if it is a reason a write gives. */
    if (!err && (before == EPIPE || before == ENOSPC || before == EIO ||
                 before == EFBIG || before == EDQUOT))
        err = before;
    fprintf(stderr, "sitesweep: write error: %s\n",
            err ? strerror(err) : "the output was cut short");
    clearerr(stdout);
    return rc == EXIT_OK ? EXIT_FAIL : rc;
}

static int run_command(int argc, char **argv, console_fn console)
{
    opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    /* A checkpoint silently ignored would look like one that held. */
    if (o.ncheckpoints && (o.nargs == 0 || strcmp(o.args[0], "verify") != 0))
        return usage_error("%s", "--checkpoint is an option of verify");
    export_csv_raw(o.raw_csv);
    if (o.nargs == 0)
        return run_console(&o, console);
    static const struct {
        const char *name;
        int (*fn)(const opts *);
    } cmds[] = {
        {"import", cmd_import}, {"sites", cmd_sites}, {"mark", cmd_mark},
        {"procedure", cmd_procedure}, {"journal", cmd_journal},
        {"verify", cmd_verify}, {"runs", cmd_runs}, {"report", cmd_report},
        {"abandon", cmd_abandon}, {"copy", cmd_copy},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(o.args[0], cmds[i].name) == 0)
            return cmds[i].fn(&o);
    return usage_error("unknown command '%s'", o.args[0]);
}

/* $SITESWEEP_PG_WAIT, when set, must be a number of seconds in range: a
 * bad value is refused (0 or EXIT_USAGE, said on stderr), never silently
 * replaced by the default. Checked for every command, on both backends. */
static int check_env_pg_wait(void)
{
    if (db_pg_wait_valid())
        return 0;
    fprintf(stderr, "sitesweep: SITESWEEP_PG_WAIT=%s is not a number of "
                    "seconds from %d to %d; unset it for the default (15)\n",
            getenv("SITESWEEP_PG_WAIT"), DB_PG_WAIT_MIN, DB_PG_WAIT_MAX);
    return EXIT_USAGE;
}

int cli_main(int argc, char **argv, console_fn console)
{
    /* A closed pipe is a write error (EPIPE) to report, not a silent
     * death; the console puts the default back. */
    signal(SIGPIPE, SIG_IGN);
    out_errno = 0;
    /* The test clock: a value that is not a real time is refused, never
     * silently replaced by the real clock. */
    const char *now = getenv("SITESWEEP_NOW");
    if (now && *now && !utc_stamp_valid(now)) {
        fprintf(stderr, "sitesweep: SITESWEEP_NOW=%s is not a time of the "
                        "form YYYY-MM-DDTHH:MM:SS.mmmZ (UTC, 1970 or later); "
                        "unset it to use the clock\n", now);
        return EXIT_USAGE;
    }
    if (check_env_pg_wait())
        return EXIT_USAGE;
    return check_output(run_command(argc, argv, console));
}
