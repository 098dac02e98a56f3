/* journal_filter.c - journal filters of one or two characters. The
 * trigram index (events_text) needs three characters, so a short term
 * would scan until it fills its page: up to a second at a million events
 * for a rare one. Instead, events_grams keeps, per block of
 * 64 consecutive events, every distinct two-character substring of
 * their case-folded text (the last character paired with char(1)) (kept by a trigger in
 * the event's transaction; schema 4). A short filter reads the blocks
 * holding its term, nearest first, and scans only those: each such block
 * holds at least one match, so a page of n events scans at most n blocks. */
#include <stdlib.h>
#include <string.h>

#include "journal_int.h"
#include "text.h"

#define GRAM_BLOCK_SHIFT 6 /* blocks of 64 events: id >> 6 */

bool jdb_short_filter(const event_filter *f)
{
    if (!f || !f->text || !*f->text)
        return false;
    size_t chars = 0, n = strlen(f->text);
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)f->text[i] & 0xC0) != 0x80;
    return chars <= 2 && utf8_valid(f->text, n);
}

#define BLOCK_SCAN(order)                                                   \
    "SELECT id, ts, operator, host, site, run, item, kind, note, data,"    \
    " prev, hash FROM events WHERE id >= ?1 AND id <= ?2 AND (?3 = '' OR"  \
    " site = ?3) AND (?4 = 0 OR run = ?4) AND instr(lower(ts || ' ' ||"    \
    " operator || ' ' || host || ' ' || site || ' ' || item || ' ' ||"     \
    " kind || ' ' || note), ?5) > 0 ORDER BY id " order " LIMIT ?6"

/* Appends the events of ids [lo, hi] that match f, in direction dir, to
 * evs[*count..limit): one kept statement, whatever the block. */
static int scan_block(journal *j, const event_filter *f, int64_t lo,
                      int64_t hi, int dir, size_t limit, event *evs,
                      size_t *count, ss_err *e)
{
    if (lo > hi)
        return J_OK;
    db_stmt *st = jdb_prep(j, dir < 0 ? BLOCK_SCAN("DESC")
                                           : BLOCK_SCAN("ASC"), e);
    if (!st)
        return J_ESTORAGE;
    db_bind_int64(st, 1, lo);
    db_bind_int64(st, 2, hi);
    jdb_bind_text(st, 3, f->site);
    db_bind_int64(st, 4, f->run);
    jdb_bind_text(st, 5, f->text);
    db_bind_int64(st, 6, (int64_t)(limit - *count));
    return jdb_read_events(j, st, limit, evs, count, e);
}

int jdb_page_short(journal *j, const event_filter *f, int64_t from, int dir,
                   size_t limit, event *evs, size_t *count, ss_err *e)
{
    /* Grams are two characters of the case-folded text (text_fold, as
     * sitesweep's lower() and the filter's text are), the last one paired
     * with char(1). A term's blocks are those with a gram in [lo, hi): for
     * one character every gram it starts, for two the term itself. The
     * gram '' marks a block with a text too long to index whole: always
     * scanned. */
    size_t n = strlen(f->text);
    char lo[16], hi[16];
    memcpy(lo, f->text, n + 1);
    memcpy(hi, lo, n + 1);
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)lo[i] & 0xC0) != 0x80;
    if (chars == 1) { /* every gram this character starts */
        hi[n - 1] = (char)((unsigned char)hi[n - 1] + 1);
    } else { /* the term alone: nothing sorts between it and it + \x01 */
        hi[n] = '\x01';
        hi[n + 1] = '\0';
    }
    db_stmt *st = jdb_prep(j, dir < 0
        ? "SELECT DISTINCT block FROM events_grams WHERE ((gram >= ?1 AND"
          " gram < ?2) OR gram = '') AND block <= ?3 ORDER BY block DESC"
        : "SELECT DISTINCT block FROM events_grams WHERE ((gram >= ?1 AND"
          " gram < ?2) OR gram = '') AND block >= ?3 ORDER BY block ASC", e);
    if (!st)
        return J_ESTORAGE;
    jdb_bind_text(st, 1, lo);
    jdb_bind_text(st, 2, hi);
    db_bind_int64(st, 3, from >> GRAM_BLOCK_SHIFT);
    int rc = DB_DONE, out = 0;
    while (*count < limit && (rc = db_step(st)) == DB_ROW) {
        int64_t blo = db_col_int64(st, 0) << GRAM_BLOCK_SHIFT;
        int64_t bhi = blo + (1 << GRAM_BLOCK_SHIFT) - 1;
        if (dir < 0) /* ids in [blo, from) */
            out = scan_block(j, f, blo, bhi + 1 < from ? bhi : from - 1, dir,
                             limit, evs, count, e);
        else /* ids in (from, bhi] */
            out = scan_block(j, f, blo - 1 > from ? blo : from + 1, bhi, dir,
                             limit, evs, count, e);
        if (out)
            break;
    }
    jdb_done(j, st);
    if (out)
        return J_ESTORAGE;
    if (rc != DB_ROW && rc != DB_DONE)
        return jdb_fail(j, e, "cannot read events");
    return J_OK;
}

/* ---- a SQLite journal's filtered pages ---- */

/* The filter text (folded) as an FTS5 phrase for the trigram index, or
 * NULL when there is none or it is shorter than a trigram (then rows are
 * scanned). */
static char *fts_phrase(const event_filter *f)
{
    if (!f || !f->text)
        return NULL;
    size_t chars = 0, n = strlen(f->text);
    for (size_t i = 0; i < n; i++)
        chars += ((unsigned char)f->text[i] & 0xC0) != 0x80;
    if (chars < 3 || !utf8_valid(f->text, n))
        return NULL;
    strbuf b = {0};
    sb_putc(&b, '"');
    for (const char *p = f->text; *p; p++)
        sb_add(&b, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
    sb_putc(&b, '"');
    return sb_take(&b);
}

/* Events scanned directly before a filtered page turns to the trigram
 * index: a common term fills its page within them (cheaper than reading
 * long index lists), a rare one goes on through the index. */
#define SCAN_WINDOW 256

int jsq_page_text(journal *j, const event_filter *f, int64_t from, int dir,
                  size_t limit, event *evs, size_t *count, ss_err *e)
{
    char *fts = fts_phrase(f);
    int rc;
    if (!fts && !jdb_short_filter(f)) {
        rc = jdb_page_query(j, f, NULL, from, 0, dir, limit, evs, count, e);
    } else {
        /* Scan a window first, then the index beyond it: flat at any
         * depth and journal size, whether the term is common or rare. */
        int64_t start = from;
        rc = 0;
        if (dir < 0 && from <= 0 && (rc = journal_event_count(j, &start, e)) == 0)
            start++;
        int64_t bound = dir < 0 ? start - SCAN_WINDOW : start + SCAN_WINDOW;
        if (dir < 0 && bound < 1)
            bound = 1;
        if (rc == 0)
            rc = jdb_page_query(j, f, NULL, start, bound, dir, limit, evs, count, e);
        /* Beyond the window (ids below bound, or above it), by the index. */
        if (rc == 0 && *count < limit && !(dir < 0 && bound <= 1))
            rc = fts ? jdb_page_query(j, f, fts, bound, 0, dir, limit, evs, count, e)
                     : jdb_page_short(j, f, bound, dir, limit, evs, count, e);
    }
    free(fts);
    return rc;
}

/* ---- the filter's text and grams, derived in C ---- */

char *jdb_event_fold(const event *ev)
{
    char *raw = xasprintf("%s %s %s %s %s %s %s", ev->ts, ev->operator_name,
                          ev->host, ev->site, ev->item, ev->kind, ev->note);
    char *folded = text_fold(raw);
    free(raw);
    return folded;
}

bool jdb_event_matches(const event *ev, const char *term)
{
    char *folded = jdb_event_fold(ev);
    bool hit = strstr(folded, term) != NULL;
    free(folded);
    return hit;
}

/* Bytes of the character at s (n bytes left), as SQLite's substr() steps
 * over characters: a byte from 0xC0 takes the continuation bytes after
 * it. */
static size_t char_len(const unsigned char *s, size_t n)
{
    size_t k = 1;
    if (s[0] >= 0xC0)
        while (k < n && (s[k] & 0xC0) == 0x80)
            k++;
    return k;
}

void jdb_grams_each(const char *folded,
                    void (*add)(const char *g, size_t n, void *ctx),
                    void *ctx)
{
    const unsigned char *x = (const unsigned char *)folded;
    size_t n = strlen(folded), pos = 0, chars = 0;
    char g[16];
    while (pos < n) {
        size_t c1 = char_len(x + pos, n - pos);
        if (chars < GRAM_MAX_N) {
            size_t c2 = pos + c1 < n ? char_len(x + pos + c1, n - pos - c1)
                                     : 0;
            if (c1 + (c2 ? c2 : 1) < sizeof g) {
                memcpy(g, x + pos, c1 + c2);
                if (!c2) /* the last character: paired with char(1) */
                    g[c1] = '\x01';
                add(g, c1 + (c2 ? c2 : 1), ctx);
            }
        }
        chars++;
        pos += c1;
    }
    if (chars > GRAM_MAX_N)
        add("", 0, ctx);
}
