/* export.h - sites, journal events and the procedure as table (people),
 * csv (RFC 4180), json (stable field names, data/output-formats.md) and
 * md (a Markdown report for a change ticket). */
#ifndef SITESWEEP_EXPORT_H
#define SITESWEEP_EXPORT_H

#include <stdio.h>

#include "journal.h"
#include "procedure.h"
#include "run.h"

typedef enum out_format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_MD } out_format;

#define FMTS_ALL ((1u << FMT_TABLE) | (1u << FMT_CSV) | (1u << FMT_JSON) | (1u << FMT_MD))
#define FMTS_PROCEDURE ((1u << FMT_TABLE) | (1u << FMT_JSON) | (1u << FMT_MD))

/* Parses "table", "csv", ...; -1 when unknown or not in the allowed mask. */
int out_format_parse(const char *s, unsigned allowed);
const char *out_format_name(out_format f);

/* CSV cells a spreadsheet would run as a formula (a leading =, +, -, @,
 * tab or CR) get a leading ' and control or bidirectional characters are
 * escaped as in the table format (OWASP CSV injection); raw true writes
 * every cell exactly as stored. Process-wide; false by default. */
void export_csv_raw(bool raw);
/* Writes one quoted CSV cell of s followed by "," or, when last, CRLF;
 * escaped and formula-neutralised as export_csv_raw says. Every CSV
 * output goes through it. */
void export_csv_cell(FILE *f, const char *s, bool last);
/* Writes s as one cell of a table format: unsafe code points escaped, cut
 * to at most w display columns (terminal columns: a CJK character takes
 * two, a combining mark none) with "\u2026" when cut, and padded with
 * spaces to exactly w columns when pad. Never splits a character. */
void export_table_cell(FILE *f, const char *s, size_t w, bool pad);

/* A site's progress as the sites table shows it: "-" (no cleanup), "8/21"
 * (open: items closed of applicable), "done DATE" or "abandoned DATE"
 * (the day it ended; short_date: "abandoned MM-DD", to fit a 15-column
 * cell). */
void site_progress_text(const site_row *r, bool short_date, char *buf,
                        size_t n);

/* Writes every site with its progress. */
int export_sites(FILE *f, out_format fmt, const site_row *rows, size_t n);

/* Events are streamed: begin, one call per event, end. */
typedef struct event_writer event_writer;
event_writer *event_writer_new(FILE *f, out_format fmt, const char *title);
int event_writer_add(event_writer *w, const event *ev);
/* Finishes the document and frees w; non-zero if any write failed. */
int event_writer_end(event_writer *w);

/* Which cleanup of the site a checklist shows the states of. */
typedef struct proc_cleanup {
    int64_t number;     /* the run's number at the site (K7Q #2: 2); 0 when
                           the site has no cleanup recorded */
    const char *state;  /* "open", "complete" or "abandoned" ("" if none) */
    const char *started; /* UTC start, "" when none */
    const char *ended;  /* UTC completion or abandonment, "" while open */
} proc_cleanup;

/* The checklist, every item with its instruction, where, commands and
 * cautions, filled in from v (v->site may be NULL), with each item's state
 * when st is given. With a site, c (never NULL then) says which cleanup
 * the states are of, or that none is recorded: a line "Cleanup: K7Q #1,
 * abandoned 2026-11-27T03:10:00Z" (JSON: "cleanup" object or null).
 * 0, or -1 when writing to f failed. */
int export_procedure(FILE *f, out_format fmt, const procedure *p,
                     const proc_values *v, const run_state *st,
                     const proc_cleanup *c);

/* What c says of the site s's cleanup, in words (n bytes into buf):
 * "K7Q #1, abandoned 2026-11-27T03:10:00Z", "K7Q #2, open since ...",
 * "none recorded (K7Q is marked clean, but no cleanup of it is in the
 * journal)" for a site imported as clean, else "none recorded". Returns
 * buf. */
const char *proc_cleanup_text(const proc_cleanup *c, const site *s,
                              char *buf, size_t n);

/* Ends a Markdown report with the journal's checkpoint: a blank line, a
 * line saying it is the journal's head as read, not verified, then
 * "Checkpoint: `N:HASH`" and a newline, the text `sitesweep verify
 * --checkpoint N:HASH` takes back to prove the journal still holds that
 * history (data/output-formats.md). Every md report ends with it. Returns
 * 0, or -1 when writing to f failed. */
int export_md_checkpoint(FILE *f, const checkpoint *c);

/* A JSON string of s (NUL-terminated), never NULL: s as it is when it is
 * valid UTF-8 (JSON escapes control characters itself); else, so that no
 * value is dropped (jansson refuses invalid UTF-8), s escaped as in the
 * table format: invalid bytes as \xNN, control and bidirectional
 * characters as \n, \x1B, \u202E. s NULL gives "". New reference, the
 * caller owns it (json_object_set_new takes it). */
struct json_t *export_json_text(const char *s);

/* Markdown-escapes text for a table cell or paragraph (newlines become
 * <br> when in_cell). Exposed for tests. */
char *md_escape(const char *s, bool in_cell);

#endif
