/* journal_filter.c - journal filters of one or two characters. The
 * trigram index (events_text) needs three characters, so a short term
 * would scan until it fills its page: up to a second at a million events
 * for a rare one. Instead, events_grams keeps, per block of
 * 64 consecutive events, every distinct two-character substring of
 * their case-folded text (the last character paired with char(1)) (kept by a trigger in
 * the event's transaction; schema 4). A short filter reads the blocks
 * holding its term, nearest first, and scans only those: each such block
 * holds at least one match, so a page of n events scans at most n blocks. */
#include <string.h>

#include "journal_int.h"

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
