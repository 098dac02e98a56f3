/* ui.h - what the screens share: the console state, the screen interface
 * and the drawing helpers. */
#ifndef SITESWEEP_UI_UI_H
#define SITESWEEP_UI_UI_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "edit.h"
#include "keys.h"
#include "term.h"
#include "text.h"

typedef struct ui ui;
typedef struct screen screen;

/* What a screen's key handler asks the loop to do. The keys all screens
 * share (help, Tab, Ctrl-L, m) never reach a handler: the loop takes
 * them. */
typedef enum ui_result {
    UI_STAY,   /* nothing more (the loop redraws anyway) */
    UI_BACK,   /* close this screen */
    UI_QUIT,   /* leave the console */
    UI_PUSH,   /* open u->next above this screen */
    UI_HOME,   /* close every screen above the first (Sites) */
} ui_result;

/* A screen: a struct of function pointers filled in statically. */
typedef struct screen_ops {
    const char *name;   /* shown in the title bar */
    const keymap *keys; /* its key table (help and hints come from it) */
    /* Draws the screen on stdscr between the title bar and the status
     * line (rows 1 .. LINES-3); the loop has erased the screen. */
    void (*draw)(ui *u, screen *s);
    /* Handles one key (keys.h encoding). */
    ui_result (*handle)(ui *u, screen *s, int key);
    /* Takes a paste (UTF-8, '\n' between lines) into the text field with
     * focus; false when no field has it (the loop then says the paste
     * was ignored). May be NULL: the screen takes no text. */
    bool (*paste)(ui *u, screen *s, const char *text);
    /* Whether keys go to a text field now (a filter being typed): the
     * loop then leaves the common keys (help, Tab, m) to the screen. May
     * be NULL: never. */
    bool (*typing)(const screen *s);
    /* Called when the screen is on top again: reload from the journal.
     * May be NULL. */
    void (*resume)(ui *u, screen *s);
    /* Frees s->data. */
    void (*destroy)(screen *s);
} screen_ops;

struct screen {
    const screen_ops *ops; /* what it does */
    void *data;            /* its state */
    screen *below;         /* the screen it returns to */
};

struct ui {
    app *a;          /* journal, procedure, operator */
    screen *top;     /* the screen on top of the stack */
    screen *next;    /* a screen to push (UI_PUSH) */
    char msg[1024];  /* status message, "" for none */
    ui_role msg_role; /* ROLE_ERROR or ROLE_INFO */
    bool quit;       /* a signal arrived: unwind and leave */
    char focus[4];   /* a site the screen below should select, "" none */
    const char *paste; /* the text of UI_KEY_PASTE, until the next key */
    bool live;             /* journal_watch works: the loop checks for
                              others' writes while it waits */
    bool unreachable;      /* the journal could not be read at the last
                              idle check */
    bool said_unreachable; /* ... and the screen has said so */
    bool missed;           /* a dialog's keepalive connected again:
                              everything is read again (journal_moved) */
    bool wrote;      /* a journal write ran since the last key */
};

screen *screen_new(const screen_ops *ops, void *data);

/* Sets the status line message (printf-style). */
void ui_info(ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ui_error(ui *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Draws the whole screen behind any dialog: title, top screen, status.
 * When the terminal is too small, only the notice. Does not refresh. */
void ui_paint(ui *u);
/* The one input function: every screen, dialog and field gets its keys
 * here. Waits for a key. Returns -1 on resize (repaint and call again), -2
 * when a signal asked to leave (u->quit is then set) and -3 for a paste,
 * whose text is in u->paste (a paste is never keys). Keys pressed while
 * the terminal is too small are swallowed. */
int ui_key(ui *u);
#define UI_KEY_RESIZE (-1)
#define UI_KEY_QUIT (-2)
#define UI_KEY_PASTE (-3)
#define UI_KEY_CHANGED (-4) /* another program wrote to the journal: the
                               screen reloads (live consoles) */
#define UI_KEY_HELD (-5)    /* in a question: a key still held down from
                               before it opened, discarded (term_ask_begin) */
/* Discards every key typed but not read yet; a dialog calls it as it
 * opens, so nothing typed before the question can answer it. Returns the
 * number of keys discarded (a paste counts as one). */
size_t ui_flush(ui *u);
/* A question, prompt or dialog opens (every prompt_* does this): pending
 * input is discarded as with ui_flush (the count is returned) and, until
 * ui_ask_end, a key still held down from the last answer comes as
 * UI_KEY_HELD (term_ask_begin). what names the dialog ("question",
 * "prompt", "form", "message", "list": a string literal) in the notice
 * about a key that came as it opened. */
size_t ui_ask_begin(ui *u, const char *what);
void ui_ask_end(ui *u);
/* Says a journal write is about to run (it may wait seconds on a lock):
 * keys typed meanwhile were not typed at the outcome, so the console loop
 * discards them after the key's handler, and they never erase the outcome
 * message. */
void ui_writing(ui *u);
/* After a key's handler: discards the keys typed during a write it ran
 * (ui_writing) and adds to the status message how many. */
void ui_written(ui *u);

/* Writes s (escaped, cropped to cols columns, padded with spaces when pad)
 * at y, x in role r. Returns the columns used. */
int draw_text(int y, int x, const char *s, int cols, ui_role r, bool pad);
/* Fills row y from x with spaces in role r. */
void draw_fill(int y, int x, int cols, ui_role r);
/* Horizontal and vertical lines of n cells. */
void draw_hline(int y, int x, int n, ui_role r);
void draw_vline(int y, int x, int n, ui_role r);
/* Draws a centred box of h x w with a title; returns its top-left. */
void draw_box(int h, int w, const char *title, int *top, int *left);
/* The text rows screens may use: first row and count. */
int ui_body_top(void);
int ui_body_rows(void);

/* Keys dropped from a text entry (a reason, a note, the site form): the
 * text may lack keys the operator typed, so it is recorded only once the
 * operator saw it that way. dropped: keys dropped since it opened; seen:
 * term_discarded() when last looked at; confirmed: dropped when an
 * Enter (F2) last found keys dropped and recorded nothing. Start it as
 * {keys dropped as it opened, 0, term_discarded()}. */
typedef struct drop_watch {
    size_t dropped, confirmed, seen;
} drop_watch;
/* Adds the keys dropped since the last look (term_discarded). */
void drop_check(drop_watch *d);
/* At Enter (F2): true when no key was dropped since the last Enter that
 * stopped for this; else notes that this one stopped and returns false
 * (record nothing: the next Enter, with no key dropped meanwhile,
 * records the text as it is shown). */
bool drop_confirmed(drop_watch *d);
/* The note a text entry shows while d->dropped is not 0 (enter: the key
 * that records, "Enter" or "F2"), into buf. */
void drop_note_text(char *buf, size_t len, size_t n, const char *enter);

/* Dialogs (prompt.c): each one runs until answered, repainting the screen
 * behind it on resize. */
/* Yes/no; Enter takes dflt, Esc is no. */
bool prompt_confirm(ui *u, const char *question, bool dflt);
/* A line of text. 1 accepted (out filled), 0 cancelled with Esc. When
 * required, an empty answer is refused with a message. Characters typed
 * in its first 250 ms are kept; once a key typed at it was dropped
 * (drop_watch) it says so until it ends, and the first Enter after a
 * drop accepts nothing. A paste goes into
 * the field whole, its line breaks folded to spaces. */
int prompt_line(ui *u, const char *title, const char *label,
                const char *initial, bool required, char *out, size_t n);
/* The same for a text that may hold several lines (reasons, notes): a
 * paste keeps its line breaks ('\n' in out). */
int prompt_text(ui *u, const char *title, const char *label,
                const char *initial, bool required, char *out, size_t n);
/* A message and Enter. */
void prompt_message(ui *u, const char *title, const char *text);
/* A choice of a few keys: text, then the line of choices ("v view  n
 * new  Esc cancel"). Returns the key pressed among keys (a string of
 * single-byte keys), or -1 for Esc, q or a signal. Keys typed before it
 * opened and pastes never answer. */
int prompt_choice(ui *u, const char *title, const char *text,
                  const char *choices, const char *keys);
/* A list to pick from: index or -1 when cancelled. */
int prompt_pick(ui *u, const char *title, const char *const *items,
                size_t n, int sel);

/* A filter line edited as the user types, drawn on the row above the
 * status line while active. */
typedef struct filter_bar {
    bool active;   /* keys go to the editor */
    line_edit ed;  /* the text being typed */
    char text[EDIT_CAP + 1]; /* the filter in force */
} filter_bar;

/* Outcome of a key given to an active filter bar. */
typedef enum filter_result {
    FILTER_CHANGED, /* text changed: refilter */
    FILTER_KEPT,    /* Enter: keep the filter, leave the bar */
    FILTER_CLEARED, /* Esc: filter cleared */
    FILTER_OTHER,   /* nothing to do */
} filter_result;

/* Opens the bar for typing; key is the key that opened it. The bar is
 * drawn at once, then the held-key rule is applied to its opener: copies
 * of key that keep coming less than KEY_RELEASE_MS apart (the key held
 * down, the terminal repeating it) are taken and dropped (term_repeats),
 * never typed into the filter, and the status line says so. Keys typed
 * ahead (the filter text after "/") are kept: a filter records nothing,
 * and typing "/SEA" quickly is its ordinary use. */
void filter_start(ui *u, filter_bar *f, int key);
filter_result filter_key(filter_bar *f, int key);
/* A paste into an active filter bar, line breaks folded to spaces. */
filter_result filter_paste(filter_bar *f, const char *text);
void filter_draw(const filter_bar *f);

/* The screens. */
screen *sites_screen_new(ui *u);
screen *journal_screen_new(ui *u);
/* Every cleanup run, newest first. */
screen *runs_screen_new(ui *u);
/* Opens run id of site code in the walkthrough (u->next, UI_PUSH): an
 * open run after claiming it (a takeover is asked) and saying whether the
 * procedure changed; a finished one read-only. UI_STAY when it cannot,
 * with the reason in the status line. */
ui_result walk_open(ui *u, const char *code, int64_t id);
/* The walkthrough of code's open run; takes over rv. */
screen *walk_screen_new(ui *u, const char *code, run_view *rv);
/* A scrolling page of text lines (taken over). */
screen *pager_screen_new(const char *title, text_lines *lines);
/* The status message, whole, wrapped to the screen. */
screen *message_screen_new(const char *msg);
/* The help of a key table. */
screen *help_screen_new(const keymap *m);
/* The site form: edit code's site, or add one when code is NULL. NULL,
 * said on the status line, when code's site cannot be read now (never a
 * blank form for it). */
screen *form_screen_new(ui *u, const char *code);

#endif
