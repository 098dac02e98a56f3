/* text.h - measuring, cropping and wrapping UTF-8 text by terminal display
 * columns. Pure: no curses, so it can be tested without a terminal. */
#ifndef SITESWEEP_TEXT_H
#define SITESWEEP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* A growable list of owned strings. */
typedef struct text_lines {
    char **v;   /* the lines, each malloc'ed and NUL-terminated */
    size_t n;   /* lines used */
    size_t cap; /* lines allocated */
} text_lines;

void text_lines_add(text_lines *l, const char *s, size_t len);
void text_lines_addf(text_lines *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void text_lines_free(text_lines *l);

/* Display columns of one code point (wcwidth; 0 for combining marks,
 * 1 for anything wcwidth cannot measure). */
size_t text_cp_width(unsigned cp);
/* Display columns of a string that holds no unsafe code points. */
size_t text_width(const char *s);
/* Display columns of s as a terminal is shown it: unsafe code points
 * escaped first (str_escape_unsafe), as text_crop does. */
size_t text_width_escaped(const char *s);
/* Bytes of the longest prefix of s (already escaped) that fits in cols
 * columns, never splitting a UTF-8 sequence and keeping the combining marks
 * that follow the last character; *used gets its width when not NULL. */
size_t text_fit(const char *s, size_t cols, size_t *used);
/* A copy of s, unsafe code points escaped, cut to cols columns; when cut,
 * the last column holds ellipsis ("…" or, in ASCII, "~"). */
char *text_crop(const char *s, size_t cols, const char *ellipsis);
/* Wraps s into lines of at most cols columns (cols >= 1): newlines end
 * paragraphs, words break at spaces, longer words after a path separator
 * ('/' or '\\') or else at a character.
 * Each paragraph is escaped first, so no line holds a control character.
 * indent columns of spaces start every continuation line. Appends to out;
 * returns the number of lines added. */
size_t text_wrap(const char *s, size_t cols, size_t indent, text_lines *out);
/* Wraps a command into lines of at most cols columns: it breaks only after
 * a space or a path separator ('\\' or '/'), never inside a name unless a
 * word is longer than a line; every line that continues ends with mark.
 * Continuation lines start with indent spaces. Unsafe code points are
 * escaped first. Appends to out; returns the number of lines added. */
size_t text_wrap_command(const char *s, size_t cols, size_t indent,
                         const char *mark, text_lines *out);
/* s case-folded for caseless matching, in any locale: Unicode full case
 * folding (libunistring's u8_casefold: "ZÜRICH" -> "zürich", "ΣΟΦΙΑ" ->
 * "σοφια", "Straße" -> "strasse"); ASCII without a library call; malformed
 * bytes are kept as they are. Caller frees. The journal's filter and its
 * indexes fold with it (SQL lower() in sitesweep's connections). */
char *text_fold(const char *s);
/* Whether needle occurs in hay ignoring case: both folded by text_fold. */
bool text_contains_fold(const char *hay, const char *needle);
/* A copy of s for a terminal whose locale is not UTF-8: each non-ASCII
 * code point (or malformed byte) becomes one '?', so nothing it draws can
 * take more or fewer columns than measured. Caller frees. */
char *text_ascii(const char *s);
/* "2026-11-27T02:20:24.123Z" -> "2026-11-27 02:20" (minutes) or with
 * seconds; anything else is copied as is. */
void text_time(const char *ts, bool seconds, char *out, size_t n);

/* ---- what the journal's text may hold ----
 * One set of rules for every field an event carries, used by every writer
 * (jdb_append refuses an event that breaks them, so no command, console or
 * import can record one) and by verify (an event that breaks them is one
 * no sitesweep wrote). Limits are in bytes of UTF-8. */
#define TEXT_NOTE_MAX 4096     /* an operator's note or reason: --note, the
                                  console's editor (EDIT_CAP) */
#define TEXT_NOTE_OWN_MAX 8192 /* a note the program writes itself: the
                                  import's file name, a handover's words */
#define TEXT_OPERATOR_MAX 127  /* an operator's name */
#define TEXT_HOST_MAX 255      /* a host name (journal_host_clean) */
#define TEXT_ITEM_MAX 15       /* an item id (PROC_ID_MAX) */

/* Checks len bytes at s: valid UTF-8, no NUL, no control or bidirectional
 * character (cp_is_unsafe) but a line feed when multiline, at most max
 * bytes. 0 when it holds; else 1 with why (n bytes, NUL-terminated) saying
 * what is wrong and where, e.g. "control or bidirectional character
 * U+001B at byte 7", "not valid UTF-8 (byte 0xE9 at byte 4)", "5000 bytes
 * long (at most 4096)". Bytes are counted from 1. */
int text_rule_check(const char *s, size_t len, bool multiline, size_t max,
                    char *why, size_t n);

/* The fields of one event as stored (NUL-terminated; note_len and
 * data_len are the bytes the database holds, so a NUL inside is seen). */
typedef struct text_event {
    const char *ts, *operator_name, *host, *site, *item, *kind, *note,
        *data;
    size_t note_len, data_len;
} text_event;

/* Whether an event holds only what sitesweep writes in each field:
 *   ts        "YYYY-MM-DDTHH:MM:SS.mmmZ" (utc_stamp_valid)
 *   operator  1..TEXT_OPERATOR_MAX bytes, one line (text_rule_check)
 *   host      1..TEXT_HOST_MAX bytes, one line
 *   site      "" or three upper-case ASCII letters or digits
 *   item      "" or 1..TEXT_ITEM_MAX bytes, one line
 *   kind      one of the kinds sitesweep writes
 *   note      an operator's (done, skipped, failed, reopened, note,
 *             run-abandoned): lines (line feeds allowed), TEXT_NOTE_MAX;
 *             the program's own (import, handover, resumed, site-updated):
 *             one line, TEXT_NOTE_OWN_MAX; other kinds: empty
 *   data      one line (its JSON is checked by verify's event model; a
 *             string may hold "\n" escaped, as a procedure's name "C:\new"
 *             gives, but no raw control character)
 * 0 when it does; else 1 with *field naming the first field that breaks
 * a rule ("note", static) and why (n bytes) what is wrong, as
 * text_rule_check says it. */
int text_event_check(const text_event *ev, const char **field, char *why,
                     size_t n);

#endif
