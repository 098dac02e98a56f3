/* term.h - the one owner of the terminal: start and restore curses, colour
 * roles (with a monochrome column), keys, resize and signals. */
#ifndef SITESWEEP_UI_TERM_H
#define SITESWEEP_UI_TERM_H

#include <curses.h>
#include <stdbool.h>

#include "util.h"

#define TERM_MIN_COLS 60 /* below this the console shows a notice */
#define TERM_MIN_ROWS 15

/* What a part of the screen is, not how it looks. */
typedef enum ui_role {
    ROLE_NORMAL,  /* plain text */
    ROLE_TITLE,   /* the title bar */
    ROLE_HEADER,  /* column headings */
    ROLE_STATUS,  /* the status line */
    ROLE_CURSOR,  /* the selected row */
    ROLE_ACTIVE,  /* a cleanup in progress */
    ROLE_DONE,    /* a done item, a clean site */
    ROLE_SKIPPED, /* a skipped item */
    ROLE_FAILED,  /* a failed item */
    ROLE_NA,      /* a not applicable item, faint text */
    ROLE_ERROR,   /* an error message */
    ROLE_INFO,    /* a confirmation message */
    ROLE_DIALOG,  /* a dialog box */
    ROLE_KEY,     /* a key name in help and hints */
    ROLE_LABEL,   /* a field label */
    ROLE_RULE,    /* a line between panes: no meaning, no attribute */
    ROLE_COUNT
} ui_role;

/* What term_key got. */
typedef enum term_event {
    TERM_KEY,    /* a key, in *key */
    TERM_RESIZE, /* the terminal changed size */
    TERM_SIGNAL, /* SIGINT, SIGQUIT, SIGTERM or SIGHUP arrived, or the
                  * terminal was lost (taken as SIGHUP): leave */
    TERM_PASTE,  /* a bracketed paste, whole, in *paste */
    TERM_NOTICE, /* no key: a message for the status line, in *paste,
                  * about input the console discarded */
    TERM_IDLE,   /* no key: the idle check (term_set_idle) said so */
    TERM_HELD,   /* a question is open and the key in *key is the
                  * answer of the last question still held down
                  * (key_still_held): discarded, it answers nothing */
} term_event;

/* A check term_key makes while it waits for a key, about four times a
 * second: when it returns true, term_key returns TERM_IDLE (the console
 * then redraws what changed). NULL: none. */
typedef bool (*term_idle_fn)(void *arg);
void term_set_idle(term_idle_fn fn, void *arg);

/* Work term_key does while it waits for a key in every wait (questions,
 * prompts, the form, help, the filter bar; about four times a second)
 * when no idle check is set (term_set_idle): keeping the journal's
 * connection and this console's holds alive. It never ends the wait and
 * never answers anything; it must not draw. The console sets it once;
 * NULL: none. arg is the caller's, not owned. */
typedef void (*term_keepalive_fn)(void *arg);
void term_set_keepalive(term_keepalive_fn fn, void *arg);

/* The most a paste may hold; a longer one hands over no text at all. */
#define TERM_PASTE_MAX (64 * 1024)

/* How the last paste ended. */
typedef enum term_paste_end {
    TERM_PASTE_WHOLE,     /* with its end marker: its text is whole */
    TERM_PASTE_CANCELLED, /* Esc while it was in progress: no text */
    TERM_PASTE_TOO_LONG,  /* over TERM_PASTE_MAX: no text */
} term_paste_end;

/* Starts curses on the terminal (stdin/stdout must be one) and turns on
 * bracketed paste. Refuses (-1, e set) a terminal type curses cannot use
 * or one without cursor addressing. */
int term_init(ss_err *e);
/* Restores the terminal (bracketed paste off, cursor shown, alternate
 * screen off, the modes from before); the one place that does it. Safe to
 * call twice and from atexit. */
void term_done(void);
attr_t term_attr(ui_role r);
/* Whether the monochrome column is in use (NO_COLOR or no colours). */
bool term_mono(void);
/* Whether the locale is UTF-8 (Unicode glyphs allowed). */
bool term_utf8(void);
const char *term_ellipsis(void);
/* Sends again every terminal mode the console relies on (keypad keys,
 * bracketed paste): after a resume, a resize or a full redraw, as a shell
 * or another program may have changed them meanwhile. */
void term_modes(void);
/* Waits for a key, a paste, a resize or a signal. A paste (the terminal
 * frames it with ESC[200~ ... ESC[201~) comes whole as one TERM_PASTE:
 * UTF-8, each line break (CR, LF or CRLF) as one '\n'; *paste stays valid
 * until the next call. None of its characters is ever a key: a paste ends
 * only with its end marker, however long it pauses (after a second the
 * bottom row says a paste is in progress and Esc cancels it), and input
 * already waiting when it ends came in the same burst and is taken as
 * its text. A cancelled or over-long paste comes as TERM_PASTE with no
 * text (term_paste_result says why). After Ctrl-Z and `fg` (or any
 * SIGCONT) the modes are sent again and TERM_RESIZE asks for a full
 * repaint; input typed while the console was stopped (or read as it came
 * back) is dropped, an open question counts as opening again
 * (term_ask_begin's settle window and held-key rule), and when keys were
 * dropped a TERM_NOTICE ("Ignored N keys typed while the console was
 * stopped") comes instead of that TERM_RESIZE. A terminal that is gone (hung up, read errors, end of file)
 * comes as TERM_SIGNAL with term_signal() SIGHUP. */
term_event term_key(int *key, const char **paste);
/* How the paste term_key returned last ended. */
term_paste_end term_paste_result(void);
/* How many control characters (Ctrl-C, Ctrl-Z, ...: text in a paste,
 * never signals) and whole escape sequences (ESC [ A, ...: never keys)
 * the last paste held; they were left out of its text. */
size_t term_paste_controls(void);
/* Whether a cancelled paste's end marker is still to come: until it does,
 * term_key discards all input (the paste's late rest, or keys typed
 * meanwhile) as TERM_NOTICE events; a lone Esc stops the wait. */
bool term_paste_owed(void);
/* The test seam: with SITESWEEP_KEYS=FILE set, keys come from FILE (see
 * script_next in term.c) and never from the keyboard; ":dump FILE" in it
 * writes the whole screen as text; ":sleep MS" moves the script's own
 * clock (the time of every key after it) on by MS milliseconds, with no
 * real wait. */
/* Discards all input typed but not read yet: what curses buffered and
 * what the terminal holds (a paste under way is read to its end first).
 * Returns how many keys were discarded, a paste counting as one. */
size_t term_flush(void);
/* A question, prompt or dialog opens: discards all input typed but not
 * read yet (term_flush; returns how many keys) and, until the matching
 * term_ask_end, applies the held-key rule: the last key that arrived,
 * whatever it did (the key that opened this question, or the answer of
 * the last one), is watched, and a copy of it still held down
 * (key_still_held, KEY_RELEASE_MS in keys.h) comes as TERM_HELD, never
 * as TERM_KEY. Nests. */
/* what names the dialog in the notice about a key that came in its first
 * ASK_SETTLE_MS ("question", "prompt", "form", ...): a string literal,
 * kept until the matching term_ask_end. */
size_t term_ask_begin(const char *what);
/* The question opened last (term_ask_begin) is a text entry (a reason,
 * a note, the site form): a character (not Enter, F2 or another acting
 * key) that comes in its first ASK_SETTLE_MS is kept, as it shows in the
 * field and nothing is recorded until a later Enter. Ends with
 * term_ask_end (or the next term_ask_begin). */
void term_ask_text(void);
/* How many keys the console has dropped since it started, all told: keys
 * typed ahead of a question (term_flush), in its first ASK_SETTLE_MS,
 * still held down from the last answer (TERM_HELD), or typed while the
 * console was stopped (Ctrl-Z, SIGSTOP). Only grows; a text entry
 * compares it with its value at opening to know that keys the operator
 * typed are missing from its text. */
size_t term_discarded(void);
/* The question opened last closed: the last key it got (the one that
 * answered or dismissed it) becomes the key the held-key rule watches. */
void term_ask_end(void);
/* Whether key is held down (the terminal repeating it): waits up to ms
 * for the next key; when that is key again, takes it and every same key
 * that follows within ms of the one before and returns how many it took.
 * 0 when no key came in time or another did (left to be read). */
size_t term_repeats(int key, int ms);
/* The journal write under way or just ended, e.g. "4b.8 done: recorded
 * (event 23)" (copied; NULL clears it). Kept until term_key returns a key
 * or a paste: a console that leaves on a signal (or Ctrl-C) before the
 * operator could see the outcome says it on stderr (term_write_report). */
void term_write_note(const char *note);
/* After term_done, when a signal ended the console: prints the write note
 * on stderr, if any. Clears it. */
void term_write_report(void);
/* Whether a signal asked us to leave, and which (0 when none). */
bool term_signalled(void);
int term_signal(void);
/* Whether the terminal is below TERM_MIN_COLS x TERM_MIN_ROWS. */
bool term_too_small(void);
/* Sends text to the terminal's clipboard with OSC 52, after the screen
 * is up to date. */
void term_osc52(const char *text);

#endif
