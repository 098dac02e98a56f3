/* edit.h - a one-line UTF-8 text editor on a buffer, without a terminal:
 * the prompts, the filters and the site form drive it with keys. */
#ifndef SITESWEEP_UI_EDIT_H
#define SITESWEEP_UI_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#define EDIT_CAP 4096 /* bytes a field can hold: as much as mark --note */

typedef struct line_edit {
    char buf[EDIT_CAP + 1]; /* the text, UTF-8, NUL-terminated */
    size_t len;             /* bytes used */
    size_t cur;             /* cursor, a byte offset on a character start */
    size_t max;             /* bytes allowed (<= EDIT_CAP) */
} line_edit;

/* What a key did to the line. */
typedef enum edit_result {
    EDIT_IGNORED, /* not an editing key */
    EDIT_CHANGED, /* the text changed */
    EDIT_MOVED,   /* only the cursor moved (or nothing to do) */
    EDIT_ACCEPT,  /* Enter */
    EDIT_CANCEL,  /* Esc */
} edit_result;

/* Starts with text (cut at a character boundary to max), cursor at end. */
void edit_init(line_edit *ed, const char *text, size_t max);
/* Inserts one code point at the cursor; false when it would not fit or
 * is a control character. */
bool edit_insert(line_edit *ed, unsigned cp);
void edit_left(line_edit *ed);
void edit_right(line_edit *ed);
void edit_home(line_edit *ed);
void edit_end(line_edit *ed);
bool edit_backspace(line_edit *ed);
bool edit_delete(line_edit *ed);
bool edit_kill_before(line_edit *ed); /* Ctrl-U */
bool edit_kill_after(line_edit *ed);  /* Ctrl-K */
bool edit_kill_word(line_edit *ed);   /* Ctrl-W */
/* Inserts pasted text at the cursor as one change: each line break (CR,
 * LF, CRLF) becomes '\n' when multiline, else a space (line breaks at
 * the end are then dropped); a tab becomes a
 * space; other control characters and malformed bytes are dropped. Whole
 * characters only: returns false when not all of it fit (what fit is in). */
bool edit_paste(line_edit *ed, const char *text, bool multiline);
/* Applies a key (keys.h encoding). */
edit_result edit_key(line_edit *ed, int key);
/* For a field cols columns wide: the byte where the visible part starts
 * (keeping the cursor visible) and the cursor's column from there. */
void edit_view(const line_edit *ed, size_t cols, size_t *start,
               size_t *cursor_col);

#endif
