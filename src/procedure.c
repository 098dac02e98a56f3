/* procedure.c - parse a procedure file (data/procedure-format.md) and fill
 * item templates with a site's values. */
#include "procedure.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROC_FILE_MAX (1024 * 1024) /* bytes of a procedure file */
#define PROC_LINE_MAX 4096          /* bytes of one line, without its end */
#define PROC_NAME_MAX 32            /* bytes of the "procedure:" name */
#define PROC_CAP_MAX ((SITE_SERVERS_MAX + 1) / 2) /* CAP/DP names a site holds */

/* The fields a line "key: value" can open. */
typedef enum field_kind {
    F_NONE,
    F_PROCEDURE, /* header: short name */
    F_TITLE,     /* header: human title */
    F_SOURCE,    /* header: where the text comes from */
    F_TEXT,      /* item: the instruction */
    F_WHERE,     /* item: where to do it */
    F_COMMAND,   /* item: one command (repeatable) */
    F_CAUTION,   /* item: one warning (repeatable) */
    F_APPLIES,   /* item: always | logon */
    F_COUNT
} field_kind;

/* Name, place and rules of each field. */
static const struct field_info {
    const char *name;   /* the key as written */
    bool header;        /* before the first item (else inside an item) */
    bool once;          /* may appear at most once */
    bool multiline;     /* accepts continuation lines */
    bool paragraphs;    /* accepts "." paragraph breaks */
} fields[F_COUNT] = {
    [F_PROCEDURE] = {"procedure", true, true, false, false},
    [F_TITLE] = {"title", true, true, true, false},
    [F_SOURCE] = {"source", true, true, true, false},
    [F_TEXT] = {"text", false, true, true, true},
    [F_WHERE] = {"where", false, true, true, false},
    [F_COMMAND] = {"command", false, false, true, false},
    [F_CAUTION] = {"caution", false, false, true, true},
    [F_APPLIES] = {"applies", false, true, false, false},
};

/* Placeholder names, in the documented order; "cap" must stay last. */
static const char *const ph_names[] = {
    "code", "name", "parent", "parent_server", "server",
    "drive", "pdc", "servers", "cap",
};
#define PH_COUNT (sizeof ph_names / sizeof ph_names[0])
#define PH_CAP (PH_COUNT - 1)
#define PH_LIST "{code} {name} {parent} {parent_server} {server} {drive} " \
                "{pdc} {servers} {cap}"

/* The most bytes each placeholder can put in, in ph_names order: the
 * longest value a site may hold, or "<name>" when it has none. {servers}
 * joins up to PROC_CAP_MAX names with ", " (one byte more per ';'). */
static const size_t ph_max[] = {
    3, SITE_NAME_MAX, 3, SITE_HOST_MAX, SITE_HOST_MAX, 1, SITE_HOST_MAX,
    SITE_SERVERS_MAX + PROC_CAP_MAX, SITE_HOST_MAX,
};
_Static_assert(sizeof ph_max / sizeof ph_max[0] == 9, "one bound per placeholder");

/* What starts at a position of a template. */
typedef enum tmpl_tok {
    T_END,   /* end of the template */
    T_LIT,   /* literal text (an escaped brace is one literal byte) */
    T_PH,    /* a {name}; the name may be unknown */
    T_OPEN,  /* a '{' with no '}' after it */
    T_CLOSE, /* a lone '}' */
} tmpl_tok;

/* Scans one token at s. *adv is its length in the template; for T_LIT
 * [*at, *at + *n) is the literal text, for T_PH the name between braces. */
static tmpl_tok tmpl_scan(const char *s, size_t *adv, const char **at,
                          size_t *n)
{
    if (!*s)
        return T_END;
    if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
        *at = s, *n = 1, *adv = 2;
        return T_LIT;
    }
    if (s[0] == '}') {
        *adv = 1;
        return T_CLOSE;
    }
    if (s[0] == '{') {
        size_t k = strcspn(s + 1, "{}");
        if (s[1 + k] != '}') {
            *adv = 1;
            return T_OPEN;
        }
        *at = s + 1, *n = k, *adv = k + 2;
        return T_PH;
    }
    size_t k = strcspn(s, "{}");
    *at = s, *n = k, *adv = k;
    return T_LIT;
}

/* Index of a placeholder name, or -1. */
static int ph_lookup(const char *name, size_t n)
{
    for (size_t i = 0; i < PH_COUNT; i++)
        if (strlen(ph_names[i]) == n && memcmp(ph_names[i], name, n) == 0)
            return (int)i;
    return -1;
}

/* The most bytes tmpl can expand to, whatever the site. A text says an
 * unknown value in words (PROC_UNKNOWN_MAX); a command that needs one is
 * replaced whole by PROC_NOT_READY and those words. */
static size_t tmpl_worst(const char *s, bool command)
{
    size_t adv, n, total = 0;
    const char *at;
    tmpl_tok t;
    while (s && (t = tmpl_scan(s, &adv, &at, &n)) != T_END) {
        int ph = t == T_PH ? ph_lookup(at, n) : -1;
        if (t == T_LIT)
            total += n;
        else if (ph >= 0) {
            size_t hole = command ? strlen(ph_names[ph]) + 2 : PROC_UNKNOWN_MAX;
            total += ph_max[ph] > hole ? ph_max[ph] : hole;
        } else
            total += adv;
        s += adv;
    }
    size_t not_ready = sizeof PROC_NOT_READY - 1 + PROC_UNKNOWN_MAX;
    return command && total < not_ready ? not_ready : total;
}

/* Whether a template names {cap}. */
static bool tmpl_has_cap(const char *s)
{
    size_t adv, n;
    const char *at;
    tmpl_tok t;
    while ((t = tmpl_scan(s, &adv, &at, &n)) != T_END) {
        if (t == T_PH && ph_lookup(at, n) == (int)PH_CAP)
            return true;
        s += adv;
    }
    return false;
}

/* ---- expansion ---- */

/* Appends the site's CAP/DP servers joined with ", ". */
static void put_servers(strbuf *b, const site *s)
{
    char (*names)[SITE_HOST_MAX + 1] = xmalloc(PROC_CAP_MAX * sizeof *names);
    size_t n = site_servers_split(s, names, PROC_CAP_MAX);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_puts(b, ", ");
        sb_puts(b, names[i]);
    }
    free(names);
}

/* Nouns a template may write just before a placeholder ("parent site
 * server {parent_server}"), longest first: when the value is unknown its
 * words name the thing themselves, so the noun is dropped rather than
 * doubled ("parent site server the server of parent site ..."). */
static const char *const ph_nouns[][4] = {
    [2] = {"the parent site ", "its parent site ", "parent site ", NULL},
    [3] = {"the parent site server ", "its parent site server ",
           "parent site server ", NULL},
    [4] = {"the secondary site server ", "secondary site server ",
           "the site server ", NULL},
    [6] = {"the primary domain controller ", "primary domain controller ",
           "the PDC ", NULL},
    [7] = {NULL},
    [8] = {NULL},
};

/* Whether b ends with word w that starts a word (at the start of b's text
 * from start, or after a space, newline or '('). */
static bool ends_with_word(const strbuf *b, size_t start, const char *w)
{
    size_t n = strlen(w);
    if (b->len - start < n || memcmp(b->s + b->len - n, w, n) != 0)
        return false;
    size_t at = b->len - n;
    return at == start || strchr(" \n(", b->s[at - 1]);
}

/* Drops from b (text since start) a noun that placeholder ph's words will
 * say themselves. */
static void drop_noun(strbuf *b, size_t start, size_t ph)
{
    if (ph >= sizeof ph_nouns / sizeof ph_nouns[0])
        return;
    for (size_t i = 0; ph_nouns[ph][i]; i++)
        if (ends_with_word(b, start, ph_nouns[ph][i])) {
            b->len -= strlen(ph_nouns[ph][i]);
            b->s[b->len] = '\0';
            return;
        }
}

/* Says in words which value of placeholder ph is unknown ("the server of
 * parent site CEN, which is not in the inventory"), as a noun phrase that
 * can stand where the value would; at most PROC_UNKNOWN_MAX bytes.
 * Returns true when the words end in a clause (", which ..."), which a
 * sentence that goes on must close with a comma. */
static bool put_unknown(strbuf *b, size_t ph, const site *s)
{
    const char *code = s && s->code[0] ? s->code : "the site";
    switch (ph) {
    case 2:
        sb_printf(b, "the parent site, which %s does not have", code);
        return true;
    case 3:
        if (s && s->parent[0])
            sb_printf(b, "the server of parent site %s, which is not in the "
                         "inventory", s->parent);
        else
            sb_printf(b, "the server of a parent site, which %s does not "
                         "have", code);
        return true;
    case 4:
        sb_puts(b, "the secondary site server, whose name is not in the "
                   "inventory");
        return true;
    case 6:
        sb_puts(b, "the primary domain controller, whose name is not in the "
                   "inventory");
        return true;
    case 7:
        sb_puts(b, "the CAP/DP servers, none of which is in the inventory");
        return true;
    case 8: /* {cap} outside a command names each server in turn */
        if (s && s->servers[0]) {
            sb_puts(b, "each CAP/DP server");
            return false;
        }
        sb_puts(b, "a CAP/DP server, and none is in the inventory");
        return true;
    default:
        sb_printf(b, "the site's %s, which is not in the inventory",
                  ph_names[ph]);
        return true;
    }
}

/* Says in text (b since start) that placeholder ph is unknown, fitting the
 * words to what is around them: the noun before it is not repeated; in a
 * list after the parent's code the parent's server is "whose server is not
 * in the inventory"; after a colon the CAP/DP list is "none is in the
 * inventory"; a site with no parent says so once in "(...)"; a clause in
 * the middle of a sentence is closed with a comma. next is the template
 * after the placeholder; *skip is set to the bytes of next to leave out. */
static void put_unknown_text(strbuf *b, size_t start, size_t ph,
                             const site *s, const char *next, size_t *skip)
{
    bool clause;
    *skip = 0;
    size_t plen = strlen(s->parent);
    if (ph == 3 && s->parent[0] && b->len - start >= plen + 2 &&
        memcmp(b->s + b->len - plen - 2, s->parent, plen) == 0 &&
        memcmp(b->s + b->len - 2, ", ", 2) == 0) {
        sb_puts(b, "whose server is not in the inventory");
        clause = true;
    } else if (ph == 7 && b->len - start >= 2 && b->s[b->len - 2] == ':' &&
               strchr(" \n", b->s[b->len - 1])) {
        sb_puts(b, "none is in the inventory");
        clause = false;
    } else if (ph == 2 && b->len > start && b->s[b->len - 1] == '(') {
        /* "({parent}, {parent_server})": one statement for both */
        sb_printf(b, "%s has none", s->code[0] ? s->code : "the site");
        if (strncmp(next, ", {parent_server}", 17) == 0)
            *skip = 17;
        clause = false;
    } else {
        drop_noun(b, start, ph);
        clause = put_unknown(b, ph, s);
    }
    if (!clause)
        return;
    /* The sentence goes on after the value: close the clause. */
    const char *p = next + *skip;
    while (*p == ' ' || *p == '\n')
        p++;
    if (isalnum((unsigned char)*p) || (*p && strchr("(\"'", *p)))
        sb_putc(b, ',');
}

/* Appends the value of placeholder ph. When the site lacks it: with miss,
 * appends nothing and says in miss what is unknown (the first such value
 * only); without, says it in words in place, fitted to the text since
 * start and next (the template after the placeholder). Returns the bytes
 * of next to leave out (see put_unknown_text). */
static size_t put_value(strbuf *b, size_t ph, const proc_values *v,
                        const char *cap, strbuf *miss, size_t start,
                        const char *next)
{
    const site *s = v ? v->site : NULL;
    const char *val = NULL;
    char drive[2] = {s ? s->drive : '\0', '\0'};
    size_t before = b->len;
    switch (ph) {
    case 0: val = s ? s->code : NULL; break;
    case 1: val = s ? s->name : NULL; break;
    case 2: val = s ? s->parent : NULL; break;
    case 3: val = v ? v->parent_server : NULL; break;
    case 4: val = s ? s->server : NULL; break;
    case 5: val = drive; break;
    case 6: val = s ? s->pdc : NULL; break;
    case 7:
        if (s)
            put_servers(b, s);
        break;
    default: val = cap; break;
    }
    if (val)
        sb_puts(b, val);
    size_t skip = 0;
    if (b->len != before)
        return 0;
    if (!s) /* no site at all: the bare checklist shows the template */
        sb_printf(b, "<%s>", ph_names[ph]);
    else if (!miss)
        put_unknown_text(b, start, ph, s, next, &skip);
    else if (miss->len == 0)
        put_unknown(miss, ph, s);
    return skip;
}

/* Fills tmpl into b; cap is the CAP/DP for {cap}, or NULL. Anything that
 * is not a known placeholder is copied as written. Stops once it has put
 * more than limit bytes, cutting at a character boundary with a note;
 * returns true when it cut. */
static bool expand_into(strbuf *b, const char *tmpl, const proc_values *v,
                        const char *cap, size_t limit, strbuf *miss)
{
    size_t adv, n, start = b->len;
    const char *at, *s = tmpl;
    tmpl_tok t;
    while ((t = tmpl_scan(s, &adv, &at, &n)) != T_END) {
        int ph = t == T_PH ? ph_lookup(at, n) : -1;
        if (t == T_LIT)
            sb_add(b, at, n > limit ? limit + 1 : n);
        else if (ph >= 0)
            adv += put_value(b, (size_t)ph, v, cap, miss, start, s + adv);
        else
            sb_add(b, s, adv);
        s += adv;
        if (b->len - start > limit) {
            size_t cut = start + limit;
            while (cut > start && ((unsigned char)b->s[cut] & 0xC0) == 0x80)
                cut--;
            b->len = cut;
            b->s[cut] = '\0';
            sb_printf(b, " [cut: expands beyond %zu bytes]", limit);
            return true;
        }
    }
    return false;
}

char *procedure_expand(const char *tmpl, const proc_values *v)
{
    strbuf b = {0};
    if (tmpl)
        expand_into(&b, tmpl, v, NULL, PROC_ITEM_EXPANDED_MAX, NULL);
    return sb_take(&b);
}

/* Appends s to a NULL-terminated vector of n strings. */
static void strv_push(char ***vec, size_t *n, char *s)
{
    *vec = xrealloc(*vec, (*n + 2) * sizeof **vec);
    (*vec)[(*n)++] = s;
    (*vec)[*n] = NULL;
}

char **proc_item_commands(const proc_item *it, const proc_values *v,
                          size_t *count)
{
    char **out = xcalloc(1, sizeof *out);
    size_t n = 0;
    const site *s = v ? v->site : NULL;
    char (*caps)[SITE_HOST_MAX + 1] = xmalloc(PROC_CAP_MAX * sizeof *caps);
    size_t ncaps = s ? site_servers_split(s, caps, PROC_CAP_MAX) : 0;
    size_t total = 0; /* bytes so far: the item's commands are bounded */
    for (size_t i = 0; it && i < it->ncommands; i++) {
        const char *cmd = it->commands[i];
        size_t reps = tmpl_has_cap(cmd) && ncaps ? ncaps : 1;
        for (size_t r = 0; r < reps; r++) {
            if (total > PROC_ITEM_EXPANDED_MAX) {
                strv_push(&out, &n, xasprintf("[cut: the commands of item "
                          "%s expand beyond %u bytes]", it->id,
                          PROC_ITEM_EXPANDED_MAX));
                goto done;
            }
            strbuf b = {0}, miss = {0};
            expand_into(&b, cmd, v, ncaps ? caps[r] : NULL,
                        PROC_COMMAND_EXPANDED_MAX, &miss);
            if (miss.len) { /* never a command with a hole in it */
                sb_free(&b);
                sb_printf(&b, "%s%s", PROC_NOT_READY, miss.s);
            }
            sb_free(&miss);
            total += b.len;
            strv_push(&out, &n, sb_take(&b));
        }
    }
done:
    free(caps);
    if (count)
        *count = n;
    return out;
}

bool proc_command_ready(const char *cmd)
{
    return strncmp(cmd, PROC_NOT_READY, strlen(PROC_NOT_READY)) != 0;
}

void procedure_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* ---- queries ---- */

/* strcmp ignoring ASCII case (ids are ASCII). */
static int id_cmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
        if (ca != cb || !ca)
            return ca - cb;
    }
}

int procedure_find(const procedure *p, const char *id)
{
    if (!p || !id)
        return -1;
    if (!p->order) {
        for (size_t i = 0; i < p->nitems; i++)
            if (str_ieq(p->items[i].id, id))
                return (int)i;
        return -1;
    }
    size_t lo = 0, hi = p->nitems;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = id_cmp(p->items[p->order[mid]].id, id);
        if (c == 0)
            return (int)p->order[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Ids with their index, for sorting. */
typedef struct id_slot {
    char key[PROC_ID_MAX + 1]; /* lower-cased id */
    size_t idx;
} id_slot;

static int id_slot_cmp(const void *a, const void *b)
{
    return strcmp(((const id_slot *)a)->key, ((const id_slot *)b)->key);
}

/* Builds p->order, so procedure_find is a binary search. */
static void build_order(procedure *p)
{
    id_slot *slots = xmalloc(p->nitems * sizeof *slots);
    for (size_t i = 0; i < p->nitems; i++) {
        size_t k = 0;
        for (; p->items[i].id[k]; k++)
            slots[i].key[k] = (char)tolower((unsigned char)p->items[i].id[k]);
        slots[i].key[k] = '\0';
        slots[i].idx = i;
    }
    qsort(slots, p->nitems, sizeof *slots, id_slot_cmp);
    p->order = xmalloc(p->nitems * sizeof *p->order);
    for (size_t i = 0; i < p->nitems; i++)
        p->order[i] = slots[i].idx;
    free(slots);
}

/* Without a site nothing rules an item out, so every item applies. */
bool proc_item_applies(const proc_item *it, const site *s)
{
    if (!it || !s)
        return true;
    return it->applies == APPLIES_LOGON ? s->logon : true;
}

static void item_free(proc_item *it)
{
    free(it->title);
    free(it->text);
    free(it->where);
    for (size_t i = 0; i < it->ncommands; i++)
        free(it->commands[i]);
    free(it->commands);
    for (size_t i = 0; i < it->ncautions; i++)
        free(it->cautions[i]);
    free(it->cautions);
}

void procedure_free(procedure *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nitems; i++)
        item_free(&p->items[i]);
    free(p->items);
    free(p->name);
    free(p->title);
    free(p->source);
    free(p->text);
    free(p->order);
    memset(p, 0, sizeof *p);
}

/* ---- parsing ---- */

/* The parser's state between lines. */
typedef struct parser {
    const char *fname; /* for messages */
    int line;          /* current line, from 1 */
    const char *lbuf;  /* the current line, NUL-terminated */
    procedure *p;      /* what is being built */
    size_t cap;        /* items allocated */
    proc_item *cur;    /* the open item, or NULL before the first */
    field_kind field;  /* the open field, or F_NONE */
    int field_line;    /* line of the open field's key */
    strbuf val;        /* the open field's value so far */
    int pending_break; /* line of a "." not yet followed by text, or 0 */
    int seen[F_COUNT]; /* line of each single field in its scope, or 0 */
    bool bom;          /* the text began with a UTF-8 byte-order mark */
    size_t *ids;       /* hash set of item indices + 1 by id (0: empty) */
    size_t nids;       /* its slots, a power of two */
    ss_err *e;         /* where errors go */
} parser;

/* FNV-1a of an id, ignoring ASCII case. */
static uint64_t id_hash(const char *id)
{
    uint64_t h = 1469598103934665603u;
    for (; *id; id++)
        h = (h ^ (unsigned char)tolower((unsigned char)*id)) * 1099511628211u;
    return h;
}

/* The index of the item with this id so far, or -1: linear probing. */
static int ids_find(const parser *ps, const char *id)
{
    if (!ps->nids)
        return -1;
    for (size_t i = id_hash(id) & (ps->nids - 1);; i = (i + 1) & (ps->nids - 1)) {
        if (!ps->ids[i])
            return -1;
        if (str_ieq(ps->p->items[ps->ids[i] - 1].id, id))
            return (int)(ps->ids[i] - 1);
    }
}

/* Adds item idx to the set, growing it to stay under half full. */
static void ids_add(parser *ps, size_t idx)
{
    if (2 * (idx + 1) >= ps->nids) {
        size_t old = ps->nids, *slots = ps->ids;
        ps->nids = old ? old * 2 : 64;
        ps->ids = xcalloc(ps->nids, sizeof *ps->ids);
        for (size_t i = 0; i < old; i++)
            if (slots[i]) {
                size_t k = id_hash(ps->p->items[slots[i] - 1].id) & (ps->nids - 1);
                while (ps->ids[k])
                    k = (k + 1) & (ps->nids - 1);
                ps->ids[k] = slots[i];
            }
        free(slots);
    }
    size_t k = id_hash(ps->p->items[idx].id) & (ps->nids - 1);
    while (ps->ids[k])
        k = (k + 1) & (ps->nids - 1);
    ps->ids[k] = idx + 1;
}

/* Reports "fname:line: message" and returns -1. */
static int perr(parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(parser *ps, int line, const char *fmt, ...)
{
    char msg[SS_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* A problem at the very start of a file saved "with BOM" is easier
     * to understand when the invisible mark is named. */
    return ss_errf_at(ps->e, ps->fname, line, "%s%s", msg,
                   ps->bom && line == 1 ? " (the file starts with a UTF-8 "
                                          "byte-order mark, which is skipped)"
                                        : "");
}

/* Column (in characters, from 1) of a position in the current line. */
static size_t column_of(const parser *ps, const char *at)
{
    size_t col = 1;
    for (const char *c = ps->lbuf; c < at; c++)
        if (((unsigned char)*c & 0xC0) != 0x80)
            col++;
    return col;
}

/* Checks the placeholders of one line's piece of an item field. */
static int check_template(parser *ps, const char *s, bool is_cmd)
{
    size_t adv, n;
    const char *at;
    tmpl_tok t;
    while ((t = tmpl_scan(s, &adv, &at, &n)) != T_END) {
        size_t col = column_of(ps, s);
        if (t == T_OPEN)
            return perr(ps, ps->line, "unbalanced \"{\" at column %zu: a "
                        "placeholder is {name} on one line; write \"{{\" "
                        "for a literal brace", col);
        if (t == T_CLOSE)
            return perr(ps, ps->line, "unbalanced \"}\" at column %zu: "
                        "write \"}}\" for a literal brace", col);
        int ph = t == T_PH ? ph_lookup(at, n) : 0;
        if (ph < 0)
            return perr(ps, ps->line, "unknown placeholder \"{%.*s}\" at "
                        "column %zu: expected one of " PH_LIST ", or "
                        "\"{{\" \"}}\" for literal braces",
                        n > 40 ? 40 : (int)n, at, col);
        if (t == T_PH && ph == (int)PH_CAP && !is_cmd)
            return perr(ps, ps->line, "placeholder {cap} at column %zu "
                        "outside a command: {cap} repeats a command once "
                        "per CAP/DP server; use {servers} here", col);
        s += adv;
    }
    return 0;
}

/* Adds one line's worth of text to the open field. */
static int field_append(parser *ps, const char *s)
{
    if (ps->cur && check_template(ps, s, ps->field == F_COMMAND) < 0)
        return -1;
    if (ps->pending_break) {
        sb_puts(&ps->val, "\n\n");
        ps->pending_break = 0;
    } else if (ps->val.len && *s) {
        sb_putc(&ps->val, ' ');
    }
    sb_puts(&ps->val, s);
    return 0;
}

/* Stores a finished value in the procedure or the open item. */
static int field_store(parser *ps, char *v)
{
    proc_item *it = ps->cur;
    switch (ps->field) {
    case F_PROCEDURE: ps->p->name = v; break;
    case F_TITLE: ps->p->title = v; break;
    case F_SOURCE: ps->p->source = v; break;
    case F_TEXT: it->text = v; break;
    case F_WHERE: it->where = v; break;
    case F_COMMAND: {
        size_t w = tmpl_worst(v, true);
        if (w > it->worst_cmd) {
            it->worst_cmd = w;
            it->worst_cmd_line = ps->field_line;
        }
        strv_push(&it->commands, &it->ncommands, v);
        break;
    }
    case F_CAUTION: strv_push(&it->cautions, &it->ncautions, v); break;
    case F_APPLIES:
        if (strcmp(v, "always") != 0 && strcmp(v, "logon") != 0) {
            perr(ps, ps->field_line, "field \"applies\": \"%.40s\": "
                 "expected always or logon", v);
            free(v);
            return -1;
        }
        it->applies = v[0] == 'l' ? APPLIES_LOGON : APPLIES_ALWAYS;
        free(v);
        break;
    default: free(v); break;
    }
    return 0;
}

/* Whether a procedure name is 1-32 letters, digits, '.', '-' or '_'. */
static bool name_valid(const char *s)
{
    size_t n = strlen(s);
    return n && n <= PROC_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789.-_") == n;
}

/* Ends the open field, if any, checking and storing its value. */
static int field_close(parser *ps)
{
    if (ps->field == F_NONE)
        return 0;
    const char *name = fields[ps->field].name;
    if (ps->pending_break)
        return perr(ps, ps->pending_break, "paragraph break \".\" at the "
                    "end of field \"%s\": it must be followed by more text",
                    name);
    if (ps->val.len == 0)
        return perr(ps, ps->field_line, "field \"%s\" is empty: expected "
                    "a value after \"%s:\" or on indented lines below it",
                    name, name);
    if (ps->field == F_PROCEDURE && !name_valid(ps->val.s))
        return perr(ps, ps->field_line, "procedure name \"%.40s\": expected "
                    "1-32 letters, digits, '.', '-' or '_'", ps->val.s);
    char *v = sb_take(&ps->val);
    if (field_store(ps, v) < 0)
        return -1;
    ps->field = F_NONE;
    return 0;
}

/* Handles an indented line: more text for the open field. */
static int parse_continuation(parser *ps, const char *s)
{
    if (ps->field == F_NONE)
        return perr(ps, ps->line, "continuation line with nothing to "
                    "continue: an indented line continues the field on the "
                    "line above it (a blank or comment line ends a field)");
    const struct field_info *f = &fields[ps->field];
    if (!f->multiline)
        return perr(ps, ps->line, "field \"%s\" is one line: no "
                    "continuation line allowed", f->name);
    if (strcmp(s, ".") != 0)
        return field_append(ps, s);
    if (!f->paragraphs)
        return perr(ps, ps->line, "paragraph break \".\" in field \"%s\": "
                    "only text and caution have paragraphs", f->name);
    if (ps->pending_break)
        return perr(ps, ps->line, "two paragraph breaks \".\" in a row");
    if (ps->val.len == 0)
        return perr(ps, ps->line, "paragraph break \".\" before any text "
                    "of field \"%s\"", f->name);
    ps->pending_break = ps->line;
    return 0;
}

/* Ends the open item, checking that it is complete. */
static int item_close(parser *ps)
{
    if (!ps->cur)
        return 0;
    proc_item *it = ps->cur;
    if (!it->text)
        return perr(ps, it->line, "item %s has no \"text:\" field: "
                    "every item needs its instruction", it->id);
    it->worst = tmpl_worst(it->title, false) + tmpl_worst(it->text, false) +
                tmpl_worst(it->where, false);
    for (size_t i = 0; i < it->ncautions; i++)
        it->worst += tmpl_worst(it->cautions[i], false);
    for (size_t i = 0; i < it->ncommands; i++)
        it->worst += tmpl_worst(it->commands[i], true) *
                     (tmpl_has_cap(it->commands[i]) ? PROC_CAP_MAX : 1);
    return 0;
}

/* Checks an item id: letters, digits and dots, a letter or digit first. */
static int check_id(parser *ps, const char *id, size_t n)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.";
    if (n == 0)
        return perr(ps, ps->line, "item line without an id: expected "
                    "\"item ID: Title\"");
    if (strspn(id, ok) < n || id[0] == '.')
        return perr(ps, ps->line, "item id \"%.*s\": use letters, digits "
                    "and dots, starting with a letter or digit",
                    n > 40 ? 40 : (int)n, id);
    if (n > PROC_ID_MAX)
        return perr(ps, ps->line, "item id \"%.*s\" is %zu bytes long: at "
                    "most %d", n > 40 ? 40 : (int)n, id, n, PROC_ID_MAX);
    char buf[PROC_ID_MAX + 1];
    memcpy(buf, id, n);
    buf[n] = '\0';
    int dup = ids_find(ps, buf);
    if (dup >= 0)
        return perr(ps, ps->line, "duplicate item id \"%s\": item %s is "
                    "at line %d (ids are compared ignoring case)", buf,
                    ps->p->items[dup].id, ps->p->items[dup].line);
    return 0;
}

/* Checks the header once the first item starts. */
static int header_check(parser *ps)
{
    if (!ps->p->name)
        return perr(ps, ps->line, "missing header field \"procedure:\" "
                    "before the first item");
    if (!ps->p->title)
        return perr(ps, ps->line, "missing header field \"title:\" "
                    "before the first item");
    return 0;
}

/* Handles "item ID: Title" (s points past "item"). */
static int parse_item(parser *ps, const char *s)
{
    s += strspn(s, " \t");
    size_t n = strcspn(s, ": \t");
    if (check_id(ps, s, n) < 0)
        return -1;
    if (s[n] != ':')
        return perr(ps, ps->line, "item %.*s: expected \":\" right after "
                    "the id, as in \"item %.*s: Title\"", (int)n, s,
                    (int)n, s);
    char tbuf[PROC_LINE_MAX + 1];
    snprintf(tbuf, sizeof tbuf, "%s", s + n + 1);
    char *title = str_trim(tbuf);
    if (!*title)
        return perr(ps, ps->line, "item %.*s has no title: expected "
                    "\"item %.*s: Title\"", (int)n, s, (int)n, s);
    if (check_template(ps, s + n + 1, false) < 0)
        return -1;
    if (item_close(ps) < 0 || (!ps->cur && header_check(ps) < 0))
        return -1;
    if (ps->p->nitems == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 32;
        ps->p->items = xrealloc(ps->p->items, ps->cap * sizeof *ps->p->items);
    }
    proc_item *it = &ps->p->items[ps->p->nitems++];
    memset(it, 0, sizeof *it);
    memcpy(it->id, s, n);
    it->title = xstrdup(title);
    it->applies = APPLIES_ALWAYS;
    it->line = ps->line;
    ps->cur = it;
    ids_add(ps, ps->p->nitems - 1);
    memset(ps->seen, 0, sizeof ps->seen);
    return 0;
}

/* Message for a key that is not allowed where it stands. */
static int wrong_key(parser *ps, const char *key, int k)
{
    if (strcmp(key, "item") == 0)
        return perr(ps, ps->line, "malformed item line: expected "
                    "\"item ID: Title\"");
    if (!ps->cur && k != F_NONE)
        return perr(ps, ps->line, "field \"%s\" before the first item: "
                    "expected a header field (procedure, title, source) or "
                    "\"item ID: Title\"", key);
    if (!ps->cur)
        return perr(ps, ps->line, "unknown header field \"%.40s\": expected "
                    "procedure, title or source", key);
    if (k != F_NONE)
        return perr(ps, ps->line, "header field \"%s\" inside item %s: "
                    "header fields go before the first item", key,
                    ps->cur->id);
    return perr(ps, ps->line, "unknown field \"%.40s\" in item %s: expected "
                "text, where, command, caution or applies", key, ps->cur->id);
}

/* Handles "key: value". */
static int parse_field(parser *ps, char *s)
{
    size_t klen = strspn(s, "abcdefghijklmnopqrstuvwxyz_");
    if (s[klen] != ':' || klen == 0)
        return perr(ps, ps->line, "expected \"key: value\", \"item ID: "
                    "Title\", a comment (#) or an indented continuation "
                    "line");
    s[klen] = '\0';
    int k = F_NONE;
    for (int i = F_NONE + 1; i < F_COUNT; i++)
        if (strcmp(fields[i].name, s) == 0)
            k = i;
    if (k == F_NONE || fields[k].header != !ps->cur)
        return wrong_key(ps, s, k);
    if (fields[k].once && ps->seen[k])
        return perr(ps, ps->line, "duplicate field \"%s\"%s%s (first at "
                    "line %d): it may appear once", s,
                    ps->cur ? " in item " : "", ps->cur ? ps->cur->id : "",
                    ps->seen[k]);
    ps->seen[k] = ps->line;
    ps->field = (field_kind)k;
    ps->field_line = ps->line;
    char *v = s + klen + 1;
    v += strspn(v, " ");
    return *v ? field_append(ps, v) : 0;
}

/* Checks a raw line: length, UTF-8, control characters (a tab only in the
 * leading indentation). */
static int line_check(parser *ps, const char *s, size_t n)
{
    if (n > PROC_LINE_MAX)
        return perr(ps, ps->line, "line is %zu bytes long: at most %d",
                    n, PROC_LINE_MAX);
    size_t i = 0, col = 1;
    bool indent = true;
    while (i < n) {
        unsigned cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (k == 0)
            return perr(ps, ps->line, "invalid UTF-8 at column %zu (byte "
                        "0x%02X): the file must be UTF-8", col,
                        (unsigned char)s[i]);
        if (cp != ' ' && cp != '\t')
            indent = false;
        if (cp_is_unsafe(cp) && !(cp == '\t' && indent))
            return perr(ps, ps->line, "control character U+%04X at column "
                        "%zu: not allowed (a tab only in the indentation)",
                        cp, col);
        i += k;
        col++;
    }
    return 0;
}

/* Parses one line (n bytes, its end already removed). */
static int parse_line(parser *ps, const char *raw, size_t n)
{
    if (line_check(ps, raw, n) < 0)
        return -1;
    char buf[PROC_LINE_MAX + 1];
    memcpy(buf, raw, n);
    buf[n] = '\0';
    ps->lbuf = buf;
    char *t = str_trim(buf);
    if (!*t || buf[0] == '#')
        return field_close(ps);
    if (buf[0] == ' ' || buf[0] == '\t')
        return parse_continuation(ps, t);
    if (field_close(ps) < 0)
        return -1;
    if (strncmp(buf, "item", 4) == 0 && (buf[4] == ' ' || buf[4] == '\t'))
        return parse_item(ps, buf + 4);
    return parse_field(ps, buf);
}

/* Checks the end of the file. */
static int parse_end(parser *ps)
{
    if (field_close(ps) < 0 || item_close(ps) < 0)
        return -1;
    if (ps->p->nitems == 0)
        return perr(ps, ps->line ? ps->line : 1, "no items: expected at "
                    "least one \"item ID: Title\" line");
    return 0;
}

static int parse_all(parser *ps, const char *text, size_t len)
{
    /* Notepad's "UTF-8 with BOM" starts with EF BB BF: skipped, as the
     * inventory reader does. UTF-16 is refused saying what it is. */
    size_t pos = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        ps->bom = true;
        pos = 3;
    } else if (len >= 2 && (memcmp(text, "\xFF\xFE", 2) == 0 ||
                            memcmp(text, "\xFE\xFF", 2) == 0)) {
        return perr(ps, 1, "the file is UTF-16 (it starts with the byte-order "
                    "mark %s): save it as UTF-8", text[0] == '\xFF' ? "FF FE"
                                                                 : "FE FF");
    }
    if (len == pos)
        return perr(ps, 1, "empty file: expected header fields "
                    "(procedure, title) and items");
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - pos;
        if (n && text[pos + n - 1] == '\r')
            n--; /* CRLF line ends are accepted */
        ps->line++;
        if (parse_line(ps, text + pos, n) < 0)
            return -1;
        pos = end + 1;
    }
    return parse_end(ps);
}

int procedure_parse(const char *text, size_t len, const char *fname,
                    procedure *out, ss_err *e)
{
    memset(out, 0, sizeof *out);
    parser ps = {.fname = fname ? fname : "(procedure)", .p = out, .e = e};
    if (!text && len)
        return ss_errf(e, "%s: no text", ps.fname);
    if (!text)
        text = "";
    int rc = parse_all(&ps, text, len);
    sb_free(&ps.val);
    free(ps.ids);
    if (rc < 0) {
        procedure_free(out);
        return -1;
    }
    build_order(out);
    out->text = xstrndup(text, len);
    out->textlen = len;
    sha256_hex(text, len, out->hash);
    return 0;
}

bool proc_item_too_big(const proc_item *it)
{
    return it->worst > PROC_ITEM_EXPANDED_MAX ||
           it->worst_cmd > PROC_COMMAND_EXPANDED_MAX;
}

int procedure_check_limits(const procedure *p, const char *fname, ss_err *e)
{
    size_t total = 0;
    for (size_t i = 0; i < p->nitems; i++) {
        const proc_item *it = &p->items[i];
        if (it->worst_cmd > PROC_COMMAND_EXPANDED_MAX)
            return ss_errf(e, "%s:%d: item %s: this command can expand to "
                              "%zu bytes with a site's values (each {servers} "
                              "up to %zu): at most %u", fname,
                           it->worst_cmd_line, it->id, it->worst_cmd,
                           ph_max[PH_COUNT - 2], PROC_COMMAND_EXPANDED_MAX);
        if (it->worst > PROC_ITEM_EXPANDED_MAX)
            return ss_errf(e, "%s:%d: item %s can expand to %zu bytes with a "
                              "site's values ({cap} commands repeat once per "
                              "CAP/DP, up to %d): at most %u", fname, it->line,
                           it->id, it->worst, PROC_CAP_MAX,
                           PROC_ITEM_EXPANDED_MAX);
        total += it->worst;
        if (total > PROC_EXPANDED_MAX)
            return ss_errf(e, "%s:%d: item %s: the items up to here can "
                              "expand to %zu bytes with a site's values: at "
                              "most %u in all", fname, it->line, it->id,
                           total, PROC_EXPANDED_MAX);
    }
    return 0;
}

int procedure_load(const char *path, procedure *out, ss_err *e)
{
    char *buf;
    size_t len;
    memset(out, 0, sizeof *out);
    if (read_file(path, &buf, &len, PROC_FILE_MAX, e) < 0)
        return -1;
    int rc = procedure_parse(buf, len, path, out, e);
    free(buf);
    if (rc == 0 && procedure_check_limits(out, path, e) < 0) {
        procedure_free(out);
        return -1;
    }
    return rc;
}

static bool str_same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool strv_same(char **a, size_t na, char **b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

static bool item_same(const proc_item *a, const proc_item *b)
{
    return str_same(a->title, b->title) && str_same(a->text, b->text) &&
           str_same(a->where, b->where) && a->applies == b->applies &&
           strv_same(a->commands, a->ncommands, b->commands, b->ncommands) &&
           strv_same(a->cautions, a->ncautions, b->cautions, b->ncautions);
}

char *procedure_drift(const procedure *pinned, const procedure *current)
{
    if (strcmp(pinned->hash, current->hash) == 0)
        return NULL;
    strbuf b = {0};
    for (size_t i = 0; i < pinned->nitems; i++) {
        const proc_item *it = &pinned->items[i];
        int k = procedure_find(current, it->id);
        const char *what = k < 0 ? "removed"
                           : !item_same(it, &current->items[k]) ? "changed"
                                                                : NULL;
        if (what)
            sb_printf(&b, "%s%s %s", b.len ? ", " : "", it->id, what);
    }
    for (size_t i = 0; i < current->nitems; i++)
        if (procedure_find(pinned, current->items[i].id) < 0)
            sb_printf(&b, "%s%s added", b.len ? ", " : "", current->items[i].id);
    if (!b.len)
        sb_puts(&b, "no item changed (only comments, order or the header)");
    return sb_take(&b);
}
