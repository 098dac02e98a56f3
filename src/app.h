/* app.h - what the command line hands the console: an open journal, the
 * current procedure and where the bundled data lives. */
#ifndef SITESWEEP_APP_H
#define SITESWEEP_APP_H

#include "journal.h"
#include "procedure.h"

typedef struct app {
    journal *j;               /* open journal (owned by the caller) */
    const char *journal_path; /* its path, for the status line */
    procedure *proc;          /* the procedure file for new runs */
    const char *proc_path;    /* where it was read from */
    const char *demo_csv;     /* bundled demo inventory, NULL if not found */
    const char *operator_name; /* who is recording */
} app;

/* The console's entry point, provided by ui/. Returns the exit code. */
typedef int (*console_fn)(app *a);

#endif
