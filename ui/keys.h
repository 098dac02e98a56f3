/* keys.h - named actions and one key table per screen. The help screen and
 * the hint line are generated from these tables. Pure: no curses calls. */
#ifndef SITESWEEP_UI_KEYS_H
#define SITESWEEP_UI_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "text.h"

/* A key as the console sees it: a character (code point), or a curses
 * function key (KEY_DOWN...) tagged with UI_FN so the two never collide. */
#define UI_FN_BIT 0x01000000
#define UI_FN(k) ((k) | UI_FN_BIT)
#define UI_CTRL(c) ((c) & 0x1f)
#define UI_ESC 27

/* Every action: id, short hint label ("" = not in the hint line), help. */
#define UI_ACTIONS(X)                                                     \
    X(NONE, "", "")                                                       \
    X(UP, "", "Move the cursor up")                                       \
    X(DOWN, "", "Move the cursor down")                                   \
    X(PAGE_UP, "", "Move one page up")                                    \
    X(PAGE_DOWN, "", "Move one page down")                                \
    X(HOME, "", "Go to the first line")                                   \
    X(END, "", "Go to the last line")                                     \
    X(FILTER, "filter", "Filter as you type (Enter keeps, Esc clears)")  \
    X(HELP, "help", "Show the keys of this screen")                       \
    X(BACK, "back", "Go back to the previous screen")                     \
    X(QUIT, "quit", "Quit sitesweep")                                     \
    X(SWITCH, "next view", "Next view: Sites, Cleanups, Journal")         \
    X(REDRAW, "", "Reload and redraw the screen")                         \
    X(MESSAGE, "", "Show the status message whole (when it is cut)")      \
    X(OPEN, "open", "Open: start or resume the site's cleanup")           \
    X(OPEN_RUN, "open", "Open the cleanup (a finished one read-only)")    \
    X(ABANDON, "", "Abandon this cleanup (asks y/N, then a reason)")    \
    X(ADD, "add", "Add a site (form)")                                    \
    X(EDIT, "edit", "Edit the selected site (form)")                      \
    X(SET_STATE, "state", "Set the selected site's install state")        \
    X(DONE, "done", "Mark the item done (asks y/N first)")                \
    X(SKIP, "skip", "Skip the item (a reason is required)")               \
    X(FAIL, "failed", "Mark the item failed (a note is required)")        \
    X(NOTE, "note", "Add a note to the item")                             \
    X(REOPEN, "reopen", "Reopen a done, skipped or failed item")          \
    X(COPY, "copy", "Copy the item's commands to the clipboard (OSC 52)") \
    X(SCROLL_UP, "", "Scroll the item's text up one line")                \
    X(SCROLL_DOWN, "", "Scroll the item's text down one line")            \
    X(DETAIL_PAGE_UP, "", "Scroll the item's text up one page")           \
    X(DETAIL_PAGE_DOWN, "", "Scroll the item's text down one page")       \
    X(SHOW, "show", "Show the whole event")                               \
    X(NEXT_FIELD, "", "Next field")                                       \
    X(PREV_FIELD, "", "Previous field")                                   \
    X(SAVE, "save", "Save the site (only when every field is valid)")     \
    X(CANCEL, "cancel", "Cancel: nothing is saved")                       \
    X(ED_LEFT, "", "Move the cursor left")                                \
    X(ED_RIGHT, "", "Move the cursor right")                              \
    X(ED_HOME, "", "Move to the start of the text")                       \
    X(ED_END, "", "Move to the end of the text")                          \
    X(ED_BACKSPACE, "", "Erase the character before the cursor")          \
    X(ED_DELETE, "", "Erase the character under the cursor")              \
    X(ED_KILL_BEFORE, "", "Erase everything before the cursor")           \
    X(ED_KILL_AFTER, "", "Erase everything from the cursor on")           \
    X(ED_KILL_WORD, "", "Erase the word before the cursor")               \
    X(ED_ACCEPT, "", "Accept the text")                                   \
    X(ED_CANCEL, "", "Cancel: nothing is recorded")                       \
    X(ED_PASTE, "", "Paste: the text goes in whole, never as keys")       \
    X(ANS_YES, "", "Yes")                                                 \
    X(ANS_NO, "", "No: nothing is recorded")                              \
    X(ANS_DEFAULT, "", "The answer in capitals ([y/N]: no)")              \
    X(SIG_INT, "", "Leave at once, as SIGINT: terminal restored, exit 130") \
    X(SIG_QUIT, "", "Leave at once, as SIGQUIT: terminal restored, exit 131") \
    X(SIG_STOP, "", "Stop the console, as SIGTSTP; the shell's fg resumes it")

typedef enum ui_action {
#define UI_ACTION_ENUM(id, hint, help) ACT_##id,
    UI_ACTIONS(UI_ACTION_ENUM)
#undef UI_ACTION_ENUM
    ACT_COUNT
} ui_action;

/* One binding of a key to an action. */
typedef struct key_binding {
    int key;       /* character or UI_FN(KEY_...) */
    ui_action act; /* what it does */
} key_binding;

/* The key table of one screen. */
typedef struct keymap {
    const char *screen;     /* "Sites", "Walkthrough", ... */
    const key_binding *b;   /* bindings; the first per action is its main key */
    size_t n;               /* number of bindings */
    /* Tables of what the screen opens (the line editor, y/N questions,
     * this help), listed after its own in its help; NULL-terminated or
     * NULL. */
    const struct keymap *const *more;
    const char *legend;     /* what the screen's marks mean, or NULL */
} keymap;

extern const keymap keys_sites;
extern const keymap keys_walk;
extern const keymap keys_walk_ro; /* a finished cleanup, read-only */
extern const keymap keys_journal;
extern const keymap keys_runs;    /* the Cleanups screen */
extern const keymap keys_pager;
extern const keymap keys_form;
extern const keymap keys_edit;    /* the line editor of every text field */
extern const keymap keys_confirm; /* a y/N question */
/* Ctrl-C, Ctrl-\ and Ctrl-Z: acted on by the terminal layer (ui/term.c)
 * before any screen sees a key, on every screen; this table lists them in
 * every help. */
extern const keymap keys_signals;

/* The action bound to key, ACT_NONE when unbound. */
ui_action keymap_lookup(const keymap *m, int key);
const char *action_help(ui_action a);
const char *action_hint(ui_action a);
/* "Down", "PgDn", "Ctrl-U", "Enter", "j", "é" into buf. */
void keys_name(int key, char *buf, size_t n);
/* The key named name, as keys_name writes it ("Enter", "Ctrl-U", "PgDn",
 * "F2", "y", "ü"; also "Esc", "Escape", "C-u", "BSpace"); -1 when no
 * key has that name. */
int keys_parse(const char *name);
/* One line per action of m: its keys ("j, Down") padded to a column, then
 * the help text. Appends to out; returns the number of lines. */
size_t keymap_help(const keymap *m, text_lines *out);
/* The whole help of a screen: its keys, then each table of m->more under
 * its name, then m->legend. Appends to out. */
void keymap_help_all(const keymap *m, text_lines *out);
/* A paste, for the tables: it has no key code of its own. */
#define UI_PASTE_KEY (UI_FN_BIT | 0x7E00)
/* "Enter open  / filter  ? help  q quit" from the actions with a hint,
 * main key of each, as many as fit in cols columns. Caller frees. */
char *keymap_hints(const keymap *m, size_t cols);

/* How long a key must stay away to count as released, in milliseconds.
 * A terminal sends no key-up events: a held key only arrives again and
 * again, at the repeat rate (30-300 ms apart, after a first delay of
 * 250-1000 ms). 1.1 s is longer than every repeat interval and every
 * first delay in use (Windows and accessibility settings go up to 1 s),
 * with room for a busy link, and short enough that an operator who lets
 * go and presses again is answered. */
#define KEY_RELEASE_MS 1100

/* How long after a question, prompt or dialog opens a key is still taken
 * as typed before it, in milliseconds: nobody reads a question in a
 * quarter of a second, while keys typed ahead (Enter then y) can come in
 * reads of their own a few milliseconds apart (a fast typist, a busy
 * link). Such a key is dropped and said, never an answer. */
#define ASK_SETTLE_MS 250

/* The held-key rule, a pure function of key times (ms, any monotonic
 * origin): held is the key that answered the last question (-1: none)
 * and held_at when a copy of it last arrived (each later copy, taken or
 * discarded, moves held_at on). Returns true when key, arriving at now,
 * is that key still held down: the same key, less than KEY_RELEASE_MS
 * after the last copy. Such a key never answers a question. A different
 * key, or the same key after a quiet gap of KEY_RELEASE_MS or more,
 * returns false (a fresh press). A now before held_at (a clock that
 * went back) counts as no gap. */
bool key_still_held(int held, long long held_at, int key, long long now);

/* The held-key rule's state: the key that answered the last question
 * while it may still be held down (key -1: none), and when a copy of it
 * last arrived (at, ms). Zero it with key = -1. */
typedef struct key_hold {
    int key;
    long long at;
} key_hold;

/* A question was answered (or dismissed) by key at time at: that key is
 * watched from now on. */
void key_hold_answered(key_hold *h, int key, long long at);
/* A key arrived at now, whether it is taken or discarded. Returns true
 * when it is the watched key still held down (key_still_held): it must
 * not answer a question; its arrival restarts the quiet gap. A copy after
 * a gap of KEY_RELEASE_MS, or any other key, ends the watch: another key
 * means the watched one was let go, as terminals repeat only the key
 * pressed last and never resume a key's repeat once another was pressed
 * (so typing a reason between two questions answered with Enter is
 * never taken as a held Enter). */
bool key_hold_arrived(key_hold *h, int key, long long now);

/* One ECMA-48 control sequence recogniser, for keys and paste content
 * alike (pure: no curses, no clock). It takes code points: a C1 control
 * is the same whether it came as a raw byte (0x9B) or as UTF-8 (C2 9B).
 * Forms: CSI (ESC [ or 0x9B: parameters 0x30-0x3F, intermediates
 * 0x20-0x2F, a final 0x40-0x7E; "CSI M" with no parameters is an X10
 * mouse report and takes 3 more characters); SS2/SS3 (ESC N, ESC O,
 * 0x8E, 0x8F) and one character 0x20-0x7E; the strings DCS, SOS, OSC, PM
 * and APC (ESC P, ESC X, ESC ], ESC ^, ESC _ or 0x90, 0x98, 0x9D, 0x9E,
 * 0x9F), ended by ST (ESC \ or U+009C) or, for OSC, BEL, and at most
 * SEQ_STRING_MAX characters long; ESC, intermediates 0x20-0x2F, and a
 * final 0x30-0x7E (nF: ESC ( B); and ESC with one other character (Fp,
 * Fe, Fs: ESC c, ESC 7; byte for byte what a terminal sends for Alt and
 * that key). */
#define SEQ_STRING_MAX 65536

typedef enum seq_kind {
    SEQ_ESC,    /* ESC, nothing after it yet */
    SEQ_NF,     /* ESC and intermediates */
    SEQ_ALT,    /* ESC and one character: Fp/Fe/Fs, or Alt+key */
    SEQ_CSI,
    SEQ_SS,     /* SS2 or SS3 */
    SEQ_STRING, /* DCS, SOS, OSC, PM or APC */
    SEQ_MOUSE,  /* CSI M and 3 characters (X10 mouse) */
} seq_kind;

/* What seq_feed made of a character. */
typedef enum seq_step {
    SEQ_MORE,  /* taken; the sequence goes on */
    SEQ_DONE,  /* taken; the sequence is whole */
    SEQ_ABORT, /* not taken: it cannot continue the sequence, which ended
                * unfinished before it; read it again as input */
    SEQ_AGAIN, /* not taken: a string was ended by an ESC that did not
                * make ST (ESC \\), as xterm ends it: the string is over,
                * and that ESC and this character are read again (a new
                * sequence, e.g. a paste's end marker) */
} seq_step;

/* The state of one sequence being read. */
typedef struct seq_scan {
    seq_kind kind;
    unsigned intro;  /* the introducer: '[' 'O' 'N' ']' 'P' 'X' '^' '_',
                      * 0 for ESC alone and the ESC forms */
    bool c1;         /* introduced by a C1 control, not by ESC */
    bool keys;       /* set by the caller after seq_begin: typed keys,
                      * where ESC starts only CSI (ESC [), SS3 (ESC O)
                      * and OSC (ESC ]), what terminals send as keys and
                      * replies, and ESC and any other character is
                      * SEQ_ALT (Alt and a key, or Esc typed before it);
                      * false: every form (paste content) */
    bool st_esc;     /* a string: its last character was ESC */
    bool cut;        /* a string longer than SEQ_STRING_MAX */
    unsigned last;   /* the last character taken (an ESC form's final) */
    int left;        /* SEQ_MOUSE: characters still to come */
    size_t len;      /* characters taken after the introducer (SEQ_NF:
                      * after the first intermediate) */
    char csi[16];    /* a CSI's characters after the introducer (the
                      * first 15), NUL-terminated */
} seq_scan;

/* Whether cp introduces a sequence on its own: ESC, or one of the C1
 * controls CSI, SS2, SS3, DCS, SOS, OSC, PM, APC (0x9B 0x8E 0x8F 0x90
 * 0x98 0x9D 0x9E 0x9F). */
bool seq_introducer(unsigned cp);
/* Starts a sequence at its introducer cp (seq_introducer(cp) holds). */
void seq_begin(seq_scan *s, unsigned cp);
/* Feeds the next character of the sequence. */
seq_step seq_feed(seq_scan *s, unsigned cp);
/* Whether what was read so far, unfinished, is a start of a paste marker
 * ESC [ 2 0 0 ~ or ESC [ 2 0 1 ~ (ESC alone included). */
bool seq_paste_prefix(const seq_scan *s);
/* What a whole sequence stands for: SEQ_KEY_PASTE_BEGIN or _END for the
 * paste markers ESC[200~ and ESC[201~; a curses key code (KEY_UP,
 * KEY_NPAGE, KEY_F(1), ...) for a key the terminal sends in CSI or SS3
 * form, with its modifiers (1 Shift, 2 Alt, 4 Ctrl, 8 Meta: the xterm
 * parameter less 1) in *mods (0: none); -1 for any other sequence.
 * *mods is always set. */
int seq_key(const seq_scan *s, int *mods);
#define SEQ_KEY_PASTE_BEGIN 0x7E00
#define SEQ_KEY_PASTE_END 0x7E01
/* "Ctrl-Up", "Shift-Alt-F5" into buf: a key (a curses code as seq_key
 * returns) and its modifiers. */
void seq_key_name(int key, int mods, char *buf, size_t n);

#endif
