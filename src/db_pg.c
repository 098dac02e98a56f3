/* db_pg.c - db.h over a PostgreSQL connection (libpq). Statements are
 * translated once (`?`, `?NNN` and `:name` become `$n`), run with text
 * parameters (blobs in binary), and their whole result is held until the
 * next reset: the journal pages everything it reads, so results are
 * small. Kept statements are prepared on the server, once per
 * connection. */
#include <libpq-fe.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"
#include "util.h"

#define C(d) ((PGconn *)(d)->native)
#define R(st) ((PGresult *)(st)->res)

/* Notices ("relation already exists, skipping") must never reach the
 * terminal: the console owns it. */
static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

/* Replaces every occurrence of secret (when at least 1 byte) in msg (n
 * bytes) with "***". */
static void hide(char *msg, size_t n, const char *secret, size_t len)
{
    char needle[512];
    if (!len || len >= sizeof needle)
        return;
    memcpy(needle, secret, len);
    needle[len] = '\0';
    char *at;
    while ((at = strstr(msg, needle)) != NULL) {
        char rest[1024];
        snprintf(rest, sizeof rest, "%s", at + len);
        snprintf(at, n - (size_t)(at - msg), "***%s", rest);
    }
}

/* Hides the URI's password in msg however libpq quoted it back (whole,
 * or only the token it could not parse): the text after the ':' of the
 * user part, and every password=... parameter. */
static void hide_password(char *msg, size_t n, const char *uri)
{
    const char *auth = strstr(uri, "://");
    if (auth) {
        auth += 3;
        size_t hostlen = strcspn(auth, "/?");
        const char *at = NULL;
        for (const char *c = auth; c < auth + hostlen; c++)
            if (*c == '@')
                at = c;
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon)
            hide(msg, n, colon + 1, (size_t)(at - colon - 1));
    }
    for (const char *p = uri; (p = strstr(p, "password=")) != NULL; p += 9)
        hide(msg, n, p + 9, strcspn(p + 9, "&"));
}

/* Whether uri has the shape of a password holding a raw '/':
 * "postgresql://user:pw/rest@host/db". libpq ends the user part at the
 * first '/', so it would read "user:pw" as host and port, and quote the
 * password back as a bad port. A "host:port/db@x" (digits) is not. */
static bool slash_in_password(const char *uri)
{
    const char *auth = strstr(uri, "://");
    if (!auth)
        return false;
    auth += 3;
    size_t alen = strcspn(auth, "/");
    if (memchr(auth, '@', alen) || auth[alen] != '/')
        return false;
    size_t qlen = strcspn(auth, "?");
    const char *at = NULL;
    for (const char *c = auth + alen; c < auth + qlen; c++)
        if (*c == '@')
            at = c;
    /* The port of the last host of a list, after ']' of an IPv6 one. */
    const char *colon = NULL;
    for (const char *c = auth; c < auth + alen; c++)
        if (*c == ':')
            colon = c;
        else if (*c == ']' || *c == ',')
            colon = NULL;
    if (!at || !colon)
        return false;
    for (const char *c = colon + 1; c < auth + alen; c++)
        if (!isdigit((unsigned char)*c))
            return true;
    return colon + 1 == auth + alen;
}

/* Hides in msg every secret value libpq read from uri (password,
 * sslpassword; percent-decoded), as well as however the URI wrote it. */
static void hide_parsed_secrets(char *msg, size_t n, const char *uri)
{
    PQconninfoOption *opts = PQconninfoParse(uri, NULL);
    if (!opts)
        return;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && *o->val && db_secret_key(o->keyword, strlen(o->keyword)))
            hide(msg, n, o->val, strlen(o->val));
    PQconninfoFree(opts);
}

/* A URI libpq cannot parse may hold a secret under a name it does not
 * know (a mistyped "passwd=", an encoded "password%3D="): uri with every
 * value of its query shown as "..." ("?host=...&passwd=...") into out (n
 * bytes, cut to fit). */
static void hide_query_values(const char *uri, char *out, size_t n)
{
    strbuf b = {0};
    const char *q = strchr(uri, '?');
    sb_printf(&b, "%.*s", (int)(q ? q - uri + 1 : (ptrdiff_t)strlen(uri)),
              uri);
    for (const char *p = q ? q + 1 : ""; *p;) {
        size_t key = strcspn(p, "=&");
        sb_printf(&b, "%.*s", (int)key, p);
        p += key;
        if (*p == '=') {
            sb_puts(&b, "=...");
            p += 1 + strcspn(p + 1, "&");
        }
        if (*p == '&')
            sb_puts(&b, "&"), p++;
    }
    snprintf(out, n, "%s", b.s ? b.s : "");
    sb_free(&b);
}

db *db_connect_pg(const char *uri, char *msg, size_t n)
{
    /* libpq's own word on a URI it cannot parse quotes the URI (a part
     * of the password among it): never shown, only the redacted URI. */
    char *perr = NULL;
    PQconninfoOption *parsed = PQconninfoParse(uri, &perr);
    if (perr)
        PQfreemem(perr);
    if (!parsed || slash_in_password(uri)) {
        char redacted[512], shown[512];
        db_uri_redact(uri, redacted, sizeof redacted);
        hide_query_values(redacted, shown, sizeof shown);
        snprintf(msg, n, "cannot parse the PostgreSQL URI %s%s", shown,
                 parsed ? " (a '/' in a user name or password is written "
                          "%2F)" : "");
        if (parsed)
            PQconninfoFree(parsed);
        return NULL;
    }
    PQconninfoFree(parsed);
    /* Defaults first: keywords in the URI (expanded from dbname) and the
     * PG* variables for the ones left unset take precedence. */
    const char *keys[8], *vals[8];
    int k = 0;
    keys[k] = "application_name"; vals[k++] = "sitesweep";
    if (!getenv("PGCONNECT_TIMEOUT")) {
        keys[k] = "connect_timeout"; vals[k++] = "5";
    }
    keys[k] = "keepalives_idle"; vals[k++] = "30";
    keys[k] = "keepalives_interval"; vals[k++] = "10";
    keys[k] = "keepalives_count"; vals[k++] = "3";
    keys[k] = "dbname"; vals[k++] = uri;
    keys[k] = "client_encoding"; vals[k++] = "UTF8";
    keys[k] = NULL; vals[k] = NULL;

    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c) {
        snprintf(msg, n, "cannot connect to PostgreSQL: out of memory");
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        const char *host = PQhost(c), *dbn = PQdb(c);
        char why[400], dbshown[256];
        /* A dbname may be a connection string of its own. */
        db_uri_redact(dbn ? dbn : "", dbshown, sizeof dbshown);
        dbn = dbshown;
        snprintf(why, sizeof why, "%s", PQerrorMessage(c));
        for (char *p = why; *p; p++)
            if (*p == '\n' || *p == '\t')
                *p = p[1] ? ' ' : '\0';
        /* Several hosts (libpq tries each in turn, each for up to the
         * connect timeout): every one is named, not the last tried. */
        PQconninfoOption *ci = PQconninfo(c);
        for (PQconninfoOption *o = ci; o && o->keyword; o++)
            if (strcmp(o->keyword, "host") == 0 && o->val &&
                strchr(o->val, ','))
                host = o->val;
        bool hosts = host && strchr(host, ',');
        snprintf(msg, n, "cannot reach the PostgreSQL journal (host%s %s%s, "
                         "database %s): %s", hosts ? "s" : "",
                 host && *host ? host : "(default)",
                 hosts ? ", each tried in turn for up to the connect "
                         "timeout" : "",
                 dbn && *dbn ? dbn : "(default)", why);
        PQconninfoFree(ci);
        hide_password(msg, n, uri);
        hide_parsed_secrets(msg, n, uri);
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    /* Sends never block either: a server that stops reading cannot hold
     * a write past its wait (await). */
    PQsetnonblocking(c, 1);
    db *d = calloc(1, sizeof *d);
    if (!d) {
        PQfinish(c);
        snprintf(msg, n, "cannot connect to PostgreSQL: out of memory");
        return NULL;
    }
    d->ops = &db_pg_ops;
    d->kind = DB_PG;
    d->native = c;
    d->generation = 1;
    return d;
}

bool db_pg_lost(db *d)
{
    return PQstatus(C(d)) == CONNECTION_BAD;
}

int db_pg_reconnect(db *d)
{
    PQreset(C(d));
    if (PQstatus(C(d)) != CONNECTION_OK) {
        db_set_error(d, DB_FAULT_GONE, "", PQerrorMessage(C(d)));
        return DB_ERROR;
    }
    PQsetnonblocking(C(d), 1);
    d->generation++; /* the server forgot the prepared statements */
    d->gave_up = false;
    db_set_error(d, DB_FAULT_NONE, "", "");
    return DB_DONE;
}

/* ---- translation of parameters ---- */

static int find_name(char **names, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (names[i] && strlen(names[i]) == len &&
            memcmp(names[i], name, len) == 0)
            return i + 1;
    return 0;
}

/* Grows the parameter arrays of st to hold index i (from 1). */
static int grow_params(db_stmt *st, int i)
{
    if (i <= st->nparams)
        return 0;
    char **names = realloc(st->names, (size_t)i * sizeof *names);
    if (!names)
        return -1;
    st->names = names;
    for (int k = st->nparams; k < i; k++)
        names[k] = NULL;
    st->nparams = i;
    return 0;
}

/* Rewrites sql's parameters into $n in out (at most 6 * strlen + 1
 * bytes: "?" may become "$32766"), filling st's names; skips literals,
 * quoted names and comments. 0, or -1 when out of memory or an index is
 * absurd. */
static int translate(db_stmt *st, const char *sql, char *out)
{
    char *o = out;
    const char *p = sql;
    int max = 0;
    while (*p) {
        char c = *p;
        if (c == '\'' || c == '"') {
            const char *q = p + 1;
            while (*q && !(*q == c && q[1] != c))
                q += (*q == c && q[1] == c) ? 2 : 1;
            if (*q)
                q++;
            memcpy(o, p, (size_t)(q - p));
            o += q - p;
            p = q;
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                *o++ = *p++;
        } else if (c == '/' && p[1] == '*') {
            const char *q = strstr(p + 2, "*/");
            q = q ? q + 2 : p + strlen(p);
            memcpy(o, p, (size_t)(q - p));
            o += q - p;
            p = q;
        } else if (c == '?') {
            int idx;
            p++;
            if (isdigit((unsigned char)*p)) {
                idx = 0;
                while (isdigit((unsigned char)*p)) {
                    idx = idx * 10 + (*p++ - '0');
                    if (idx > 32766)
                        return -1;
                }
                if (idx < 1)
                    return -1;
            } else {
                idx = max + 1;
            }
            if (idx > max)
                max = idx;
            if (grow_params(st, idx))
                return -1;
            o += sprintf(o, "$%d", idx);
        } else if (c == ':' && p[1] != ':' && (p == sql || p[-1] != ':') &&
                   (isalpha((unsigned char)p[1]) || p[1] == '_')) {
            const char *q = p + 1;
            while (isalnum((unsigned char)*q) || *q == '_')
                q++;
            size_t len = (size_t)(q - p);
            int idx = find_name(st->names, st->nparams, p, len);
            if (!idx) {
                idx = max + 1;
                if (grow_params(st, idx))
                    return -1;
                st->names[idx - 1] = strndup(p, len);
                if (!st->names[idx - 1])
                    return -1;
            }
            if (idx > max)
                max = idx;
            o += sprintf(o, "$%d", idx);
            p = q;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return 0;
}

static void free_values(db_stmt *st)
{
    if (!st->vals)
        return;
    for (int i = 0; i < st->nparams; i++) {
        free(st->vals[i]);
        st->vals[i] = NULL;
        st->lens[i] = 0;
        st->fmts[i] = 0;
    }
}

static void clear_result(db_stmt *st)
{
    if (st->res)
        PQclear(R(st));
    st->res = NULL;
    if (st->blob)
        PQfreemem(st->blob);
    st->blob = NULL;
    st->row = -1;
    st->nrows = 0;
}

static void pg_finalize(db_stmt *st)
{
    clear_result(st);
    free_values(st);
    if (st->keep && st->generation == st->d->generation &&
        PQstatus(C(st->d)) == CONNECTION_OK &&
        PQtransactionStatus(C(st->d)) == PQTRANS_IDLE) {
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        PQclear(PQexec(C(st->d), sql));
    }
    for (int i = 0; i < st->nparams; i++)
        free(st->names[i]);
    free(st->names);
    free(st->vals);
    free(st->lens);
    free(st->fmts);
    free(st->sql);
    free(st);
}

static db_stmt *pg_prepare(db *d, const char *sql, bool keep)
{
    db_stmt *st = calloc(1, sizeof *st);
    char *text = st ? malloc(6 * strlen(sql) + 8) : NULL;
    if (!text) {
        free(st);
        db_set_error(d, DB_FAULT_OTHER, "", "out of memory");
        return NULL;
    }
    st->d = d;
    st->row = -1;
    if (translate(st, sql, text)) {
        st->sql = text;
        pg_finalize(st);
        db_set_error(d, DB_FAULT_OTHER, "", "cannot translate the query");
        return NULL;
    }
    st->sql = text;
    size_t n = st->nparams ? (size_t)st->nparams : 1;
    st->vals = calloc(n, sizeof *st->vals);
    st->lens = calloc(n, sizeof *st->lens);
    st->fmts = calloc(n, sizeof *st->fmts);
    if (!st->vals || !st->lens || !st->fmts) {
        pg_finalize(st);
        db_set_error(d, DB_FAULT_OTHER, "", "out of memory");
        return NULL;
    }
    st->keep = keep;
    if (keep)
        snprintf(st->name, sizeof st->name, "ss_%u", ++d->next_name);
    db_link(d, st);
    return st;
}

static void pg_reset(db_stmt *st) { clear_result(st); }

static void pg_clear_bindings(db_stmt *st) { free_values(st); }

static int set_value(db_stmt *st, int i, const void *p, size_t n, int fmt)
{
    if (i < 1 || i > st->nparams || n > 0x7fffffff)
        return DB_ERROR;
    char *copy = NULL;
    if (p) {
        copy = malloc(n + 1);
        if (!copy)
            return DB_ERROR;
        memcpy(copy, p, n);
        copy[n] = '\0';
    }
    free(st->vals[i - 1]);
    st->vals[i - 1] = copy;
    st->lens[i - 1] = (int)n;
    st->fmts[i - 1] = fmt;
    return DB_DONE;
}

static int pg_bind_text(db_stmt *st, int i, const char *s, size_t n)
{
    return set_value(st, i, s, n, 0);
}

static int pg_bind_int64(db_stmt *st, int i, int64_t v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%" PRId64, v);
    return set_value(st, i, buf, (size_t)n, 0);
}

static int pg_bind_null(db_stmt *st, int i) { return set_value(st, i, NULL, 0, 0); }

static int pg_bind_blob(db_stmt *st, int i, const void *p, size_t n)
{
    return set_value(st, i, p ? p : "", n, 1);
}

static int pg_param_index(db_stmt *st, const char *name)
{
    return find_name(st->names, st->nparams, name, strlen(name));
}

/* The class of a failure, from its SQLSTATE (PostgreSQL's appendix A). */
static db_fault fault_of(const char *state, PGconn *c)
{
    if (PQstatus(c) == CONNECTION_BAD)
        return DB_FAULT_GONE;
    if (!state || !*state)
        return DB_FAULT_OTHER;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01"))
        return DB_FAULT_RETRY;
    if (!strcmp(state, "55P03") || !strcmp(state, "57014"))
        return DB_FAULT_BUSY;
    if (!strcmp(state, "25006"))
        return DB_FAULT_READONLY;
    if (!strncmp(state, "53", 2))
        return DB_FAULT_FULL;
    if (!strcmp(state, "58030"))
        return DB_FAULT_IO;
    if (!strncmp(state, "XX", 2))
        return DB_FAULT_CORRUPT;
    if (!strncmp(state, "23", 2) || !strcmp(state, "P0001"))
        return DB_FAULT_CONSTRAINT;
    if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3))
        return DB_FAULT_GONE;
    return DB_FAULT_OTHER;
}

/* Takes a failed (or NULL) result: records why on d, frees it. */
static int failed(db *d, PGresult *res)
{
    if (!res && d->gave_up && d->fault == DB_FAULT_GONE)
        return DB_ERROR; /* await said why */
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                              : NULL;
    const char *msg = primary ? primary : PQerrorMessage(C(d));
    db_set_error(d, fault_of(state, C(d)), state, msg && *msg ? msg
                 : "the connection to the server was lost");
    PQclear(res);
    return DB_ERROR;
}

/* ---- bounded waits ---- */

bool db_pg_wait_valid(void)
{
    const char *v = getenv("SITESWEEP_PG_WAIT");
    if (!v)
        return true;
    if (*v < '0' || *v > '9') /* no sign, no space, not empty */
        return false;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    return errno == 0 && *end == '\0' && n >= DB_PG_WAIT_MIN &&
           n <= DB_PG_WAIT_MAX;
}

int db_pg_wait_seconds(void)
{
    const char *v = getenv("SITESWEEP_PG_WAIT");
    /* cli_main refused a bad value before any work (db_pg_wait_valid);
     * the default here only serves callers outside the CLI (tests). */
    return v && db_pg_wait_valid() ? (int)strtol(v, NULL, 10) : 15;
}

/* The end of a bounded wait that a cancel did not end either: the
 * connection is cut (its backend's pid kept for the message), d's error
 * says so and d counts as given up. */
static void give_up(db *d)
{
    PGconn *c = C(d);
    d->gone_pid = PQbackendPID(c);
    shutdown(PQsocket(c), SHUT_RDWR);
    PQconsumeInput(c); /* sees the end: the connection is bad */
    char msg[200];
    snprintf(msg, sizeof msg, "no answer from the server for %d s "
             "(stopped, overloaded or cut off?); gave up and dropped the "
             "connection", db_pg_wait_seconds() + 2);
    db_set_error(d, DB_FAULT_GONE, "", msg);
    d->gave_up = true;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits for the answer to what was just sent on d (PQsend*: sent is its
 * result): at most db_pg_wait_seconds() with nothing from the server
 * (each byte that comes starts the wait again), then a cancel
 * request and 2 s more, then the connection is cut (shut down: the
 * server rolls back whatever transaction it had open, and d is lost) and
 * d's error says so. A signal does not end the wait early. The last
 * result, an error one first, or NULL when none came. */
static PGresult *await(db *d, int sent)
{
    PGconn *c = C(d);
    if (!sent)
        return NULL;
    int64_t deadline = now_ms() + 1000LL * db_pg_wait_seconds();
    bool cancelled = false;
    PGresult *last = NULL;
    for (;;) {
        int f = PQflush(c);
        if (f < 0)
            break;
        if (f == 0 && PQconsumeInput(c) == 0)
            break;
        while (f == 0 && !PQisBusy(c)) {
            PGresult *r = PQgetResult(c);
            if (!r)
                return last;
            ExecStatusType s = PQresultStatus(r);
            bool bad = s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK;
            if (last && PQresultStatus(last) != PGRES_TUPLES_OK &&
                PQresultStatus(last) != PGRES_COMMAND_OK && !bad) {
                PQclear(r); /* keep the error, as PQexec would */
                continue;
            }
            PQclear(last);
            last = r;
        }
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            if (!cancelled) {
                char why[256];
                PGcancel *k = PQgetCancel(c);
                if (k) {
                    PQcancel(k, why, sizeof why);
                    PQfreeCancel(k);
                }
                cancelled = true;
                deadline = now_ms() + 2000;
                continue;
            }
            PQclear(last);
            give_up(d);
            return NULL;
        }
        struct pollfd pf = {.fd = PQsocket(c),
                            .events = (short)(POLLIN | (f == 1 ? POLLOUT : 0))};
        if (pf.fd < 0)
            break;
        int got = poll(&pf, 1, (int)(left > 1000 ? 1000 : left));
        if (got < 0 && errno != EINTR)
            break;
        /* An answer coming in (a long result): the wait starts again. */
        if (got > 0 && (pf.revents & POLLIN) && !cancelled)
            deadline = now_ms() + 1000LL * db_pg_wait_seconds();
    }
    return last;
}

/* Runs a statement: its result held in st. DB_DONE or DB_ERROR. */
static int run(db_stmt *st)
{
    db *d = st->d;
    PGconn *c = C(d);
    PGresult *res;
    const char *const *vals = (const char *const *)st->vals;
    if (st->keep) {
        if (st->generation != d->generation) {
            res = await(d, PQsendPrepare(c, st->name, st->sql, st->nparams,
                                         NULL));
            if (PQresultStatus(res) != PGRES_COMMAND_OK)
                return failed(d, res);
            PQclear(res);
            st->generation = d->generation;
        }
        res = await(d, PQsendQueryPrepared(c, st->name, st->nparams, vals,
                                           st->lens, st->fmts, 0));
    } else {
        res = await(d, PQsendQueryParams(c, st->sql, st->nparams, NULL, vals,
                                         st->lens, st->fmts, 0));
    }
    ExecStatusType s = PQresultStatus(res);
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
        return failed(d, res);
    st->res = res;
    st->nrows = s == PGRES_TUPLES_OK ? PQntuples(res) : 0;
    const char *ct = PQcmdTuples(res);
    if (s == PGRES_COMMAND_OK && ct && *ct)
        d->changes = strtoll(ct, NULL, 10);
    db_set_error(d, DB_FAULT_NONE, "", "");
    return DB_DONE;
}

static int pg_step(db_stmt *st)
{
    if (!st->res && run(st) != DB_DONE)
        return DB_ERROR;
    if (st->blob) {
        PQfreemem(st->blob);
        st->blob = NULL;
    }
    if (st->row + 1 < st->nrows) {
        st->row++;
        return DB_ROW;
    }
    st->row = st->nrows;
    return DB_DONE;
}

static bool have(db_stmt *st, int i)
{
    return st->res && st->row >= 0 && st->row < st->nrows && i >= 0 &&
           i < PQnfields(R(st));
}

static int pg_col_count(db_stmt *st) { return st->res ? PQnfields(R(st)) : 0; }

static bool pg_col_null(db_stmt *st, int i)
{
    return !have(st, i) || PQgetisnull(R(st), st->row, i);
}

static bool pg_col_is_text(db_stmt *st, int i)
{
    return !pg_col_null(st, i) && PQftype(R(st), i) == 25; /* TEXTOID */
}

static int64_t pg_col_int64(db_stmt *st, int i)
{
    if (pg_col_null(st, i))
        return 0;
    return strtoll(PQgetvalue(R(st), st->row, i), NULL, 10);
}

static const char *pg_col_text(db_stmt *st, int i)
{
    return pg_col_null(st, i) ? NULL : PQgetvalue(R(st), st->row, i);
}

static const void *pg_col_blob(db_stmt *st, int i, size_t *n)
{
    *n = 0;
    if (pg_col_null(st, i))
        return NULL;
    if (st->blob)
        PQfreemem(st->blob);
    st->blob = PQunescapeBytea(
        (const unsigned char *)PQgetvalue(R(st), st->row, i), n);
    return st->blob;
}

/* Ends a command on its result res (owned: cleared here): ok says
 * whether its status is a success. DB_DONE with d->changes set to the
 * rows it touched (when the server says), or failed()'s DB_ERROR. */
static int command_done(db *d, PGresult *res, bool ok)
{
    if (!ok)
        return failed(d, res);
    const char *ct = PQcmdTuples(res);
    if (ct && *ct)
        d->changes = strtoll(ct, NULL, 10);
    PQclear(res);
    db_set_error(d, DB_FAULT_NONE, "", "");
    return DB_DONE;
}

static int pg_exec(db *d, const char *sql)
{
    PGresult *res = await(d, PQsendQuery(C(d), sql));
    ExecStatusType s = PQresultStatus(res);
    return command_done(d, res, s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK);
}

static int64_t pg_changes(db *d) { return d->changes; }

static bool pg_in_transaction(db *d)
{
    return PQtransactionStatus(C(d)) != PQTRANS_IDLE;
}

static const char *pg_errmsg(const db *d) { return d->err; }
static db_fault pg_fault(const db *d) { return d->fault; }
static void pg_close(db *d) { PQfinish(C(d)); }

const db_ops db_pg_ops = {
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .clear_bindings = pg_clear_bindings,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .param_index = pg_param_index,
    .step = pg_step,
    .col_count = pg_col_count,
    .col_null = pg_col_null,
    .col_is_text = pg_col_is_text,
    .col_int64 = pg_col_int64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .exec = pg_exec,
    .changes = pg_changes,
    .in_transaction = pg_in_transaction,
    .errmsg = pg_errmsg,
    .fault = pg_fault,
    .close = pg_close,
};

int db_pg_gone_pid(db *d)
{
    return d && d->kind == DB_PG ? d->gone_pid : 0;
}

/* ---- bulk copy: COPY ... FROM STDIN ----
 * The same bound as every statement (db_pg_wait_seconds with nothing
 * from or to the server, then a cancel request and 2 s more, then the
 * connection is cut), counted per round trip: each chunk that moves
 * starts the wait again. */

typedef struct copy_wait {
    int64_t deadline;
    bool cancelled;
} copy_wait;

static void copy_wait_start(copy_wait *w)
{
    w->deadline = now_ms() + 1000LL * db_pg_wait_seconds();
    w->cancelled = false;
}

/* Waits (at most a second) for the connection to be ready for events;
 * progress starts the wait again. DB_DONE to go on, DB_ERROR when the
 * wait ran out (the connection then cut, d's error saying so) or the
 * socket failed. */
static int copy_poll(db *d, short events, copy_wait *w)
{
    PGconn *c = C(d);
    int64_t left = w->deadline - now_ms();
    if (left <= 0) {
        if (!w->cancelled) {
            char why[256];
            PGcancel *k = PQgetCancel(c);
            if (k) {
                PQcancel(k, why, sizeof why);
                PQfreeCancel(k);
            }
            w->cancelled = true;
            w->deadline = now_ms() + 2000;
            return DB_DONE;
        }
        give_up(d);
        return DB_ERROR;
    }
    struct pollfd pf = {.fd = PQsocket(c), .events = events};
    if (pf.fd < 0)
        return failed(d, NULL);
    int got = poll(&pf, 1, (int)(left > 1000 ? 1000 : left));
    if (got < 0 && errno != EINTR)
        return failed(d, NULL);
    if (got > 0 && !w->cancelled)
        w->deadline = now_ms() + 1000LL * db_pg_wait_seconds();
    return DB_DONE;
}

/* Sends what libpq holds for the server (non-blocking mode), waiting as
 * copy_poll does; input that comes meanwhile (a notice, an early error)
 * is read so the server never stalls on it. */
static int copy_flush(db *d, copy_wait *w)
{
    PGconn *c = C(d);
    for (;;) {
        int f = PQflush(c);
        if (f == 0)
            return DB_DONE;
        if (f < 0)
            return failed(d, NULL);
        if (copy_poll(d, POLLIN | POLLOUT, w) != DB_DONE)
            return DB_ERROR;
        if (PQconsumeInput(c) == 0)
            return failed(d, NULL);
    }
}

int db_pg_copy_begin(db *d, const char *sql)
{
    if (!d || d->kind != DB_PG)
        return DB_ERROR;
    PGconn *c = C(d);
    copy_wait w;
    copy_wait_start(&w);
    if (!PQsendQuery(c, sql))
        return failed(d, NULL);
    for (;;) {
        int f = PQflush(c);
        if (f < 0 || PQconsumeInput(c) == 0)
            return failed(d, NULL);
        if (f == 0 && !PQisBusy(c)) {
            PGresult *r = PQgetResult(c);
            if (PQresultStatus(r) == PGRES_COPY_IN) {
                PQclear(r);
                if (PQsetnonblocking(c, 1) != 0) {
                    PQputCopyEnd(c, "cannot send without blocking");
                    PQclear(await(d, 1));
                    db_set_error(d, DB_FAULT_OTHER, "",
                                 "cannot send to the server without "
                                 "blocking");
                    return DB_ERROR;
                }
                db_set_error(d, DB_FAULT_NONE, "", "");
                return DB_DONE;
            }
            /* refused (or not a COPY): its error kept, the rest read */
            if (r)
                PQclear(await(d, 1));
            return failed(d, r);
        }
        if (copy_poll(d, (short)(POLLIN | (f == 1 ? POLLOUT : 0)), &w) !=
            DB_DONE)
            return DB_ERROR;
    }
}

int db_pg_copy_put(db *d, const char *buf, size_t n)
{
    PGconn *c = C(d);
    copy_wait w;
    copy_wait_start(&w);
    while (n > 0) {
        int part = n > (1u << 20) ? 1 << 20 : (int)n;
        int r = PQputCopyData(c, buf, part);
        if (r < 0)
            return failed(d, NULL);
        if (r == 0) { /* libpq's buffer is full: let the server read */
            if (copy_flush(d, &w) != DB_DONE)
                return DB_ERROR;
            continue;
        }
        buf += part;
        n -= (size_t)part;
    }
    return copy_flush(d, &w);
}

int db_pg_copy_end(db *d, const char *abort_reason)
{
    PGconn *c = C(d);
    copy_wait w;
    copy_wait_start(&w);
    int r;
    while ((r = PQputCopyEnd(c, abort_reason)) == 0)
        if (copy_flush(d, &w) != DB_DONE ||
            copy_poll(d, POLLOUT, &w) != DB_DONE) {
            PQsetnonblocking(c, 0);
            return DB_ERROR;
        }
    int f = r < 0 ? DB_DONE : copy_flush(d, &w);
    PQsetnonblocking(c, 0);
    if (f != DB_DONE)
        return DB_ERROR;
    /* the copy's result; when the server refused a row mid-copy (libpq
     * then took the copy as over: r < 0), that error */
    PGresult *res = await(d, 1);
    return command_done(d, res, PQresultStatus(res) == PGRES_COMMAND_OK);
}
