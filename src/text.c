/* text.c - display-column arithmetic for UTF-8 strings. */
#include "text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <unicase.h>

#include "util.h"

void text_lines_add(text_lines *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = xstrndup(s, len);
}

void text_lines_addf(text_lines *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0)
        k = 0;
    char *buf = xmalloc((size_t)k + 1);
    buf[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(buf, (size_t)k + 1, fmt, ap);
    va_end(ap);
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = buf;
}

void text_lines_free(text_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

size_t text_cp_width(unsigned cp)
{
    int w = wcwidth((wchar_t)cp);
    return w < 0 ? 1 : (size_t)w;
}

/* Decodes one code point; a malformed byte counts as one column. */
static size_t next_cp(const char *s, size_t n, size_t *w)
{
    unsigned cp;
    size_t k = utf8_decode(s, n, &cp);
    if (k == 0) {
        *w = 1;
        return 1;
    }
    *w = text_cp_width(cp);
    return k;
}

size_t text_width(const char *s)
{
    size_t n = strlen(s), i = 0, width = 0, w;
    while (i < n) {
        i += next_cp(s + i, n - i, &w);
        width += w;
    }
    return width;
}

size_t text_width_escaped(const char *s)
{
    char *esc = str_escape_unsafe(s);
    size_t w = text_width(esc);
    free(esc);
    return w;
}

size_t text_fit(const char *s, size_t cols, size_t *used)
{
    size_t n = strlen(s), i = 0, width = 0, w;
    while (i < n) {
        size_t k = next_cp(s + i, n - i, &w);
        if (width + w > cols)
            break;
        width += w;
        i += k;
    }
    if (used)
        *used = width;
    return i;
}

char *text_crop(const char *s, size_t cols, const char *ellipsis)
{
    char *esc = str_escape_unsafe(s);
    if (text_width(esc) <= cols)
        return esc;
    size_t ew = text_width(ellipsis);
    if (cols < ew) {
        esc[text_fit(esc, cols, NULL)] = '\0';
        return esc;
    }
    size_t k = text_fit(esc, cols - ew, NULL);
    char *out = xasprintf("%.*s%s", (int)k, esc, ellipsis);
    free(esc);
    return out;
}

/* Adds one line: indent spaces then s[0..len). */
static void add_indented(text_lines *out, size_t indent, const char *s,
                         size_t len)
{
    strbuf b = {0};
    for (size_t i = 0; i < indent; i++)
        sb_putc(&b, ' ');
    sb_add(&b, s, len);
    text_lines_add(out, b.s ? b.s : "", b.len);
    sb_free(&b);
}

/* Bytes of the first character of p with the combining marks after it. */
static size_t one_char(const char *p)
{
    size_t n = strlen(p), w;
    size_t i = next_cp(p, n, &w);
    while (i < n) {
        size_t k = next_cp(p + i, n - i, &w);
        if (w != 0)
            break;
        i += k;
    }
    return i;
}

/* Wraps one escaped paragraph (no newlines). */
static size_t wrap_para(const char *p, size_t cols, size_t indent,
                        text_lines *out)
{
    size_t added = 0, ind = 0;
    while (1) {
        size_t room = cols > ind ? cols - ind : 1;
        size_t k = text_fit(p, room, NULL);
        if (p[k] == '\0') {
            add_indented(out, ind, p, k);
            return added + 1;
        }
        if (k == 0)
            k = one_char(p);
        size_t cut = k;
        if (p[k] != ' ') {
            while (cut > 0 && p[cut - 1] != ' ')
                cut--;
            /* a word longer than the line (a path): after its last
             * separator that fits, else at a character */
            for (size_t i = k; cut == 0 && i > 1; i--)
                if (p[i - 1] == '/' || p[i - 1] == '\\')
                    cut = i;
            if (cut == 0)
                cut = k;
        }
        size_t end = cut;
        while (end > 0 && p[end - 1] == ' ')
            end--;
        add_indented(out, ind, p, end);
        added++;
        p += cut;
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return added;
        ind = indent < cols ? indent : 0;
    }
}

size_t text_wrap(const char *s, size_t cols, size_t indent, text_lines *out)
{
    size_t added = 0;
    if (cols == 0)
        cols = 1;
    const char *p = s;
    while (1) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char *para = xstrndup(p, len);
        for (char *t = para; *t; t++)
            if (*t == '\t')
                *t = ' ';
        char *esc = str_escape_unsafe(para);
        added += wrap_para(esc, cols, indent, out);
        free(esc);
        free(para);
        if (!nl)
            return added;
        p = nl + 1;
    }
}

void text_time(const char *ts, bool seconds, char *out, size_t n)
{
    size_t len = strlen(ts);
    if (len >= 19 && ts[10] == 'T') {
        snprintf(out, n, "%.10s %.*s", ts, seconds ? 8 : 5, ts + 11);
        return;
    }
    snprintf(out, n, "%s", ts);
}

/* Appends n bytes of well-formed UTF-8 at s to b, case-folded. */
static void fold_run(strbuf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (unsigned char)s[i] < 0x80)
        i++;
    if (i == n) { /* ASCII: no need for the tables */
        for (i = 0; i < n; i++)
            sb_putc(b, s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i]);
        return;
    }
    size_t len = 0;
    uint8_t *f = u8_casefold((const uint8_t *)s, n, NULL, NULL, NULL, &len);
    if (!f)
        oom(); /* its only failure for well-formed input */
    sb_add(b, (const char *)f, len);
    free(f);
}

char *text_fold(const char *s)
{
    strbuf b = {0};
    sb_puts(&b, "");
    size_t n = strlen(s), i = 0;
    while (i < n) {
        size_t start = i, k;
        unsigned cp;
        while (i < n && (k = utf8_decode(s + i, n - i, &cp)) != 0)
            i += k;
        if (i > start)
            fold_run(&b, s + start, i - start);
        if (i < n) /* a malformed byte: as it is */
            sb_putc(&b, s[i++]);
    }
    return sb_take(&b);
}

bool text_contains_fold(const char *hay, const char *needle)
{
    if (!needle[0])
        return true;
    char *h = text_fold(hay), *nd = text_fold(needle);
    bool found = strstr(h, nd) != NULL;
    free(h);
    free(nd);
    return found;
}

char *text_ascii(const char *s)
{
    strbuf b = {0};
    sb_puts(&b, "");
    size_t n = strlen(s), i = 0;
    while (i < n) {
        unsigned cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (k == 0)
            k = 1, cp = '?';
        /* a combining mark belongs to the character before it */
        if (cp >= 0x80 && text_cp_width(cp) == 0 && b.len)
            ;
        else
            sb_putc(&b, cp < 0x80 ? (char)cp : '?');
        i += k;
    }
    return sb_take(&b);
}

size_t text_wrap_command(const char *s, size_t cols, size_t indent,
                         const char *mark, text_lines *out)
{
    char *esc = str_escape_unsafe(s);
    size_t n = strlen(esc), pos = 0, added = 0, markw = text_width(mark);
    if (cols < 1)
        cols = 1;
    if (indent + markw + 8 > cols)
        indent = 0; /* too narrow to indent: use every column */
    for (bool first = true; first || pos < n; first = false) {
        const char *rest = esc + pos;
        size_t lead = first ? 0 : indent, room = cols - lead, used;
        size_t len = strlen(rest), line = text_fit(rest, room, &used),
               next;
        strbuf b = {0};
        for (size_t i = 0; i < lead; i++)
            sb_putc(&b, ' ');
        if (line == len) {
            sb_puts(&b, rest);
            next = len;
        } else {
            size_t fit = text_fit(rest, room > markw ? room - markw : 1,
                                  &used);
            size_t brk = 0;
            for (size_t i = fit; i > 0 && !brk; i--)
                if (rest[i - 1] == ' ' || rest[i - 1] == '\\' ||
                    rest[i - 1] == '/')
                    brk = i;
            if (brk == 0) { /* one word longer than the line: cut it */
                unsigned cp;
                size_t k = utf8_decode(rest, len, &cp);
                brk = fit ? fit : (k ? k : 1);
            }
            sb_add(&b, rest, brk);
            sb_puts(&b, mark);
            next = brk;
        }
        text_lines_add(out, b.s ? b.s : "", b.len);
        sb_free(&b);
        added++;
        pos += next;
        while (pos < n && esc[pos] == ' ')
            pos++;
    }
    free(esc);
    return added;
}

/* ---- what the journal's text may hold ---- */

int text_rule_check(const char *s, size_t len, bool multiline, size_t max,
                    char *why, size_t n)
{
    size_t i = 0;
    while (i < len) {
        unsigned cp;
        size_t k = utf8_decode(s + i, len - i, &cp);
        if (k == 0) {
            snprintf(why, n, "not valid UTF-8 (byte 0x%02X at byte %zu)",
                     (unsigned char)s[i], i + 1);
            return 1;
        }
        if (cp_is_unsafe(cp) && !(multiline && cp == '\n')) {
            snprintf(why, n, "control or bidirectional character U+%04X "
                     "at byte %zu", cp, i + 1);
            return 1;
        }
        i += k;
    }
    if (len > max) {
        snprintf(why, n, "%zu bytes long (at most %zu)", len, max);
        return 1;
    }
    return 0;
}

/* The kinds of event sitesweep writes, and whose words their notes are. */
static const struct {
    const char *kind;
    int note; /* 0: none, 1: the operator's (lines), 2: the program's */
} event_kinds[] = {
    {"import", 2},      {"site-added", 0},    {"site-updated", 2},
    {"site-state", 0},  {"run-started", 0},   {"run-completed", 0},
    {"run-abandoned", 1}, {"handover", 2},    {"resumed", 2},
    {"done", 1},        {"skipped", 1},       {"failed", 1},
    {"reopened", 1},    {"note", 1},
};

/* Sets *field (why already says what is wrong); returns 1. */
static int field_is(const char **field, const char *name)
{
    *field = name;
    return 1;
}

/* Sets *field and why; returns 1. */
static int field_bad(const char **field, const char *name, char *why,
                     size_t n, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int field_bad(const char **field, const char *name, char *why,
                     size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    *field = name;
    return 1;
}

int text_event_check(const text_event *ev, const char **field, char *why,
                     size_t n)
{
    if (!utc_stamp_valid(ev->ts)) {
        char q[64];
        str_quote(ev->ts, q, sizeof q);
        return field_bad(field, "ts", why, n, "%s is not a time sitesweep "
                         "writes (YYYY-MM-DDTHH:MM:SS.mmmZ, UTC)", q);
    }
    const struct {
        const char *name, *value;
        size_t min, max;
    } lines[] = {
        {"operator", ev->operator_name, 1, TEXT_OPERATOR_MAX},
        {"host", ev->host, 1, TEXT_HOST_MAX},
        {"item", ev->item, 0, TEXT_ITEM_MAX},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t len = strlen(lines[i].value);
        if (len < lines[i].min)
            return field_bad(field, lines[i].name, why, n, "empty");
        if (text_rule_check(lines[i].value, len, false, lines[i].max, why,
                            n))
            return field_is(field, lines[i].name);
    }
    const char *c = ev->site;
    if (c[0] && !(strlen(c) == 3 && strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                "0123456789") == 3)) {
        char q[64];
        str_quote(c, q, sizeof q);
        return field_bad(field, "site", why, n, "%s is not a site code "
                         "(three upper-case letters or digits)", q);
    }
    int note = -1;
    for (size_t i = 0; i < sizeof event_kinds / sizeof event_kinds[0]; i++)
        if (strcmp(ev->kind, event_kinds[i].kind) == 0)
            note = event_kinds[i].note;
    if (note < 0) {
        char q[64];
        str_quote(ev->kind, q, sizeof q);
        return field_bad(field, "kind", why, n, "%s is not one sitesweep "
                         "writes", q);
    }
    if (note == 0 && ev->note_len)
        return field_bad(field, "note", why, n, "a %s event carries no "
                         "note, this one has %zu bytes", ev->kind,
                         ev->note_len);
    if (note && text_rule_check(ev->note, ev->note_len, note == 1,
                                note == 1 ? TEXT_NOTE_MAX
                                          : TEXT_NOTE_OWN_MAX, why, n))
        return field_is(field, "note");
    if (text_rule_check(ev->data, ev->data_len, false, (size_t)-1, why, n))
        return field_is(field, "data");
    return 0;
}
