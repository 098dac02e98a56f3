/* inventory.c - the site inventory CSV (RFC 4180 via libcsv), validated
 * whole: one bad row refuses the file.
 *
 * The text is fed to libcsv one physical line at a time so that every
 * callback knows the line it is on. A record starts on the first line that
 * begins outside a quoted field; since strict mode refuses a '"' anywhere
 * but around or doubled inside a quoted field, the parity of the quotes
 * fed so far tells whether a line begins inside one. */
#include "inventory.h"

#include <csv.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CODE_SLOTS (36 * 36 * 36) /* every possible three-character code */

typedef struct parse_ctx {
    const char *fname;     /* file name for messages */
    ss_err *e;             /* where the first problem goes */
    bool failed;           /* a problem was reported: ignore callbacks */
    int line;              /* physical line being fed, from 1 */
    int rec_line;          /* line where the current record starts */
    bool have_header;      /* the header record has been read */
    int header_line;       /* line of the header record */
    int ncols;             /* columns named by the header */
    int cols[FIELD_COUNT]; /* site field of each column */
    int nvals;             /* fields seen in the current record */
    char vals[FIELD_COUNT][INVENTORY_MAX_FIELD + 1]; /* their text */
    site *sites;           /* sites read so far, in file order */
    int *lines;            /* line of each */
    size_t n;              /* sites read */
    size_t cap;            /* room in sites and lines */
    int *seen;             /* line where each code was first used, 0: none */
} parse_ctx;

static int fail(parse_ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reports "fname:line: ..." once; later problems are ignored. */
static int fail(parse_ctx *c, int line, const char *fmt, ...)
{
    if (c->failed)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    ss_verrf_at(c->e, c->fname, line, fmt, ap);
    va_end(ap);
    c->failed = true;
    return -1;
}

static int code_slot(const char code[4])
{
    int slot = 0;
    for (int i = 0; i < 3; i++) {
        char ch = code[i];
        int v = ch >= '0' && ch <= '9' ? ch - '0' : ch - 'A' + 10;
        slot = slot * 36 + v;
    }
    return slot;
}

static void header_field(parse_ctx *c, const char *name)
{
    int f = site_field_lookup(name);
    char q[64];
    if (f < 0) {
        str_quote(name, q, sizeof q);
        fail(c, c->rec_line, "unknown column %s; the columns are "
             "code, name, parent, server, drive, state, logon, servers, pdc",
             q);
        return;
    }
    for (int i = 0; i < c->ncols; i++)
        if (c->cols[i] == f) {
            fail(c, c->rec_line, "column \"%s\" appears twice in the header",
                 name);
            return;
        }
    c->cols[c->ncols++] = f;
}

static void header_end(parse_ctx *c)
{
    static const site_field required[] = {FIELD_CODE, FIELD_SERVER};
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) {
        bool found = false;
        for (int i = 0; i < c->ncols; i++)
            found = found || c->cols[i] == (int)required[r];
        if (!found) {
            fail(c, c->rec_line, "the header has no \"%s\" column; code and "
                 "server are required", site_field_name(required[r]));
            return;
        }
    }
    c->have_header = true;
    c->header_line = c->rec_line;
}

static void on_field(void *s, size_t len, void *data)
{
    parse_ctx *c = data;
    if (c->failed)
        return;
    const char *v = s ? s : "";
    int col = c->nvals++;
    if (len > INVENTORY_MAX_FIELD) {
        if (!c->have_header)
            fail(c, c->rec_line, "header column %d: %zu bytes long; no field "
                 "may exceed %d bytes", col + 1, len, INVENTORY_MAX_FIELD);
        else if (col < c->ncols)
            fail(c, c->rec_line, "field \"%s\": %zu bytes long; no field may "
                 "exceed %d bytes", site_field_name(c->cols[col]), len,
                 INVENTORY_MAX_FIELD);
        else
            fail(c, c->rec_line, "field %d: %zu bytes long; no field may "
                 "exceed %d bytes", col + 1, len, INVENTORY_MAX_FIELD);
        return;
    }
    if (!c->have_header) {
        /* At most FIELD_COUNT names pass: a further one is unknown or a
         * duplicate and fails before it is stored. */
        header_field(c, v);
        return;
    }
    if (col < c->ncols)
        memcpy(c->vals[col], v, len + 1);
}

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Trims spaces, tabs and line breaks around a value in place. In the
 * servers list a line break inside the cell (a spreadsheet's multi-line
 * cell) counts as a blank. */
static char *trim_value(char *v, bool servers)
{
    if (servers)
        for (char *p = v; *p; p++)
            if (*p == '\r' || *p == '\n')
                *p = ' ';
    while (is_blank(*v))
        v++;
    size_t n = strlen(v);
    while (n && is_blank(v[n - 1]))
        v[--n] = '\0';
    return v;
}

static void add_site(parse_ctx *c, const site *s)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->sites = xrealloc(c->sites, c->cap * sizeof *c->sites);
        c->lines = xrealloc(c->lines, c->cap * sizeof *c->lines);
    }
    c->sites[c->n] = *s;
    c->lines[c->n] = c->rec_line;
    c->n++;
}

/* Sets every column of the record on a fresh site, checks it whole and
 * against the codes already read. */
static void record_end(parse_ctx *c)
{
    if (c->nvals != c->ncols) {
        fail(c, c->rec_line, "%d field%s, but the header names %d columns",
             c->nvals, c->nvals == 1 ? "" : "s", c->ncols);
        return;
    }
    site s;
    site_init(&s);
    ss_err fe;
    for (int i = 0; i < c->ncols; i++) {
        char *v = c->vals[i];
        if (c->cols[i] != FIELD_NAME)
            v = trim_value(v, c->cols[i] == FIELD_SERVERS);
        if (site_set_field(&s, (site_field)c->cols[i], v, &fe)) {
            fail(c, c->rec_line, "%s", fe.msg);
            return;
        }
    }
    if (site_check(&s, NULL, &fe)) {
        fail(c, c->rec_line, "%s", fe.msg);
        return;
    }
    int slot = code_slot(s.code);
    if (c->seen[slot]) {
        fail(c, c->rec_line, "field \"code\": \"%s\" is already used by the "
             "site on line %d", s.code, c->seen[slot]);
        return;
    }
    c->seen[slot] = c->rec_line;
    add_site(c, &s);
}

static void on_record(int term, void *data)
{
    (void)term;
    parse_ctx *c = data;
    if (c->failed)
        return;
    if (!c->have_header)
        header_end(c);
    else
        record_end(c);
    c->nvals = 0;
}

/* Length of the physical line at p: through "\n", "\r\n" or a lone "\r". */
static size_t line_length(const char *p, size_t n, size_t *quotes)
{
    size_t i = 0, q = 0;
    while (i < n && p[i] != '\n' && p[i] != '\r')
        q += p[i++] == '"';
    *quotes = q;
    if (i == n)
        return n;
    if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
        return i + 2;
    return i + 1;
}

/* Refuses NUL bytes and malformed UTF-8 in one line. */
static int check_bytes(parse_ctx *c, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned cp;
        size_t k = utf8_decode(p + i, n - i, &cp);
        if (k == 0)
            return fail(c, c->line, "invalid UTF-8 at byte %zu of the line "
                        "(the file must be UTF-8 text)", i + 1);
        if (cp == 0)
            return fail(c, c->line, "NUL byte at byte %zu of the line "
                        "(the file must be UTF-8 text)", i + 1);
        i += k;
    }
    return 0;
}

/* Checks and parses the text line by line, then ends the last record. */
static int feed(parse_ctx *c, struct csv_parser *p, const char *data,
                size_t len)
{
    bool in_quotes = false;
    size_t off = 0;
    while (off < len && !c->failed) {
        size_t quotes;
        size_t n = line_length(data + off, len - off, &quotes);
        if (!in_quotes)
            c->rec_line = c->line;
        if (check_bytes(c, data + off, n))
            break;
        size_t done = csv_parse(p, data + off, n, on_field, on_record, c);
        if (done != n && !c->failed) {
            int err = csv_error(p);
            return fail(c, c->line, "not valid CSV at byte %zu of the line%s "
                        "(libcsv: %s)", done + 1, err == CSV_EPARSE
                        ? ": a '\"' belongs only around a field, or doubled "
                          "inside a quoted one" : "", csv_strerror(err));
        }
        if (quotes & 1)
            in_quotes = !in_quotes;
        off += n;
        c->line++;
    }
    if (c->failed)
        return -1;
    if (csv_fini(p, on_field, on_record, c) != 0 && !c->failed)
        return fail(c, c->rec_line, "quoted field not closed at the end of "
                    "the file (libcsv: %s)", csv_strerror(csv_error(p)));
    return c->failed ? -1 : 0;
}

static void ctx_free(parse_ctx *c)
{
    free(c->sites);
    free(c->lines);
    free(c->seen);
    free(c);
}

int inventory_parse(const char *data, size_t len, const char *fname,
                    inventory *out, ss_err *e)
{
    memset(out, 0, sizeof *out);
    if (len > INVENTORY_MAX_BYTES)
        return ss_errf(e, "%s: file is larger than %u bytes", fname,
                       INVENTORY_MAX_BYTES);
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    parse_ctx *c = xcalloc(1, sizeof *c);
    c->fname = fname;
    c->e = e;
    c->line = 1;
    c->rec_line = 1;
    c->seen = xcalloc(CODE_SLOTS, sizeof *c->seen);
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        ctx_free(c);
        return ss_errf(e, "%s: cannot start the CSV parser", fname);
    }
    int rc = feed(c, &p, data, len);
    csv_free(&p);
    if (rc == 0 && !c->have_header)
        rc = fail(c, 1, "no sites: the file is empty (a header row naming "
                  "the columns and one row per site are needed)");
    else if (rc == 0 && c->n == 0)
        rc = fail(c, c->header_line, "no sites: the file has only the header "
                  "row");
    if (rc == 0) {
        out->sites = c->sites;
        out->lines = c->lines;
        out->n = c->n;
        c->sites = NULL;
        c->lines = NULL;
    }
    ctx_free(c);
    return rc;
}

int inventory_load(const char *path, inventory *out, ss_err *e)
{
    memset(out, 0, sizeof *out);
    char *data;
    size_t len;
    if (read_file(path, &data, &len, INVENTORY_MAX_BYTES, e))
        return -1;
    int rc = inventory_parse(data, len, path, out, e);
    free(data);
    return rc;
}

void inventory_free(inventory *inv)
{
    if (!inv)
        return;
    free(inv->sites);
    free(inv->lines);
    inv->sites = NULL;
    inv->lines = NULL;
    inv->n = 0;
}
