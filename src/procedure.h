/* procedure.h - the cleanup checklist as data: parse a procedure file and
 * fill an item's text with a site's values. Format: data/procedure-format.md */
#ifndef SITESWEEP_PROCEDURE_H
#define SITESWEEP_PROCEDURE_H

#include <stdbool.h>
#include <stddef.h>

#include "site.h"
#include "util.h"

#define PROC_ID_MAX 15 /* bytes of an item id such as "4b.9" */
/* Limits on what an item expands to with a site's values (documented in
 * data/procedure-format.md), so a file under 1 MiB cannot fill gigabytes:
 * one filled command, and the whole item (title, text, where, cautions and
 * every command, {cap} commands once per CAP/DP). Worst cases are reckoned
 * with the longest values a site may hold. */
#define PROC_COMMAND_EXPANDED_MAX (16u * 1024)  /* bytes of one command */
#define PROC_ITEM_EXPANDED_MAX (256u * 1024)    /* bytes of one item */
#define PROC_EXPANDED_MAX (16u * 1024 * 1024)   /* bytes of all the items */

/* When an item applies to a site; otherwise it is "not applicable". */
typedef enum proc_applies {
    APPLIES_ALWAYS, /* every site */
    APPLIES_LOGON,  /* only sites that used Logon Installation/Discovery */
} proc_applies;

typedef struct proc_item {
    char id[PROC_ID_MAX + 1]; /* "1", "4b.1", ... unique in the procedure */
    char *title;      /* one line */
    char *text;       /* the article's instruction; may hold placeholders */
    char *where;      /* where to do it ("parent site server {parent_server}"), or NULL */
    char **commands;  /* ready-to-run commands with placeholders */
    size_t ncommands;
    char **cautions;  /* warnings, KB references */
    size_t ncautions;
    proc_applies applies; /* applicability rule */
    int line;         /* line of the item header in the file */
    size_t worst;     /* bytes the item can expand to (longest values) */
    size_t worst_cmd; /* bytes its longest command can expand to */
    int worst_cmd_line; /* line of that command */
} proc_item;

typedef struct procedure {
    char *name;     /* short name, "q287717" */
    char *title;    /* human title */
    char *source;   /* where the text comes from, or NULL */
    proc_item *items; /* in checklist order */
    size_t nitems;
    char hash[65];  /* SHA-256 of the exact file text */
    char *text;     /* the exact file text (kept so a run can pin it) */
    size_t textlen;
    size_t *order;  /* item indices sorted by id ignoring case (owned) */
} procedure;

/* Parses text (len bytes, need not be NUL-terminated) in linear time.
 * fname is used only in messages: "fname:line: what is wrong". On error
 * *out is left empty. An item beyond the expansion limits still parses
 * (a run may have pinned it before the limits existed): check with
 * procedure_check_limits, and expansion cuts it (see procedure_expand). */
int procedure_parse(const char *text, size_t len, const char *fname,
                    procedure *out, ss_err *e);
/* 0 when every item is within PROC_COMMAND_EXPANDED_MAX and
 * PROC_ITEM_EXPANDED_MAX and all of them within PROC_EXPANDED_MAX; else -1
 * with e saying "fname:line: item ID: ..." for the first item beyond. */
int procedure_check_limits(const procedure *p, const char *fname, ss_err *e);
/* Whether an item is beyond the expansion limits. */
bool proc_item_too_big(const proc_item *it);
/* Reads and parses a file, refusing one beyond the expansion limits. */
int procedure_load(const char *path, procedure *out, ss_err *e);
void procedure_free(procedure *p);

/* Index of the item with this id (case-insensitive), or -1. O(log n). */
int procedure_find(const procedure *p, const char *id);

/* Whether the item applies to the site (e.g. 4e needs logon=yes). */
bool proc_item_applies(const proc_item *it, const site *s);

/* Values a template can name:
 *   {code} {name} {parent} {parent_server} {server} {drive} {pdc}
 *   {servers} (the CAP/DP list, ", "-separated) and {cap} (one CAP/DP:
 *   a command that names {cap} is repeated once per CAP/DP server).
 * A value the site lacks is said in words in a text ("the server of
 * parent site CEN, which is not in the inventory"); a command that needs
 * one is replaced by PROC_NOT_READY and those words, so no command is ever
 * shown with a hole in it. Without a site, templates show "<pdc>". */
typedef struct proc_values {
    const site *site;          /* the site, may be NULL (unfilled) */
    const char *parent_server; /* the parent site's server if known, or NULL */
} proc_values;

/* Fills the placeholders of one template (text, title, where, caution).
 * The result is cut at PROC_ITEM_EXPANDED_MAX bytes, ending with
 * " [cut: ...]", so an item beyond the limits costs bounded memory. */
char *procedure_expand(const char *tmpl, const proc_values *v);
/* The item's commands filled in, with {cap} commands repeated per CAP/DP.
 * Returns a NULL-terminated array; free with procedure_strv_free. Each
 * command is cut at PROC_COMMAND_EXPANDED_MAX bytes and the whole at
 * PROC_ITEM_EXPANDED_MAX, a last string saying what was cut. */
char **proc_item_commands(const proc_item *it, const proc_values *v,
                          size_t *count);
void procedure_strv_free(char **v);

/* The most bytes the words for one unknown value take. */
#define PROC_UNKNOWN_MAX 96
/* How a command that cannot be filled in begins. */
#define PROC_NOT_READY "not ready, needs "
/* False for a command proc_item_commands could not fill in (it starts
 * with PROC_NOT_READY): show it as such, never copy or run it. */
bool proc_command_ready(const char *cmd);

/* How the current procedure file differs from the one a run pinned:
 * NULL when they are the same bytes, else a new string such as
 * "4b.2 changed, 4g added, 3 removed". */
char *procedure_drift(const procedure *pinned, const procedure *current);

#endif
