/* tempfile.h - files and directories the program makes for itself and
 * must not leave behind: removed by their owner on every normal path, and
 * by a handler on every terminating signal that can be caught (INT, TERM,
 * HUP, QUIT, PIPE, USR1, USR2, ALRM), after which the process dies of that
 * signal (a shell sees 128+signal). */
#ifndef SITESWEEP_TEMPFILE_H
#define SITESWEEP_TEMPFILE_H

#include <stdbool.h>

/* Registers path (a file, or an empty directory when dir) for removal
 * should a signal end the process. Register a directory before the files
 * in it: they are removed latest first. The first registration installs
 * the handlers, only for signals whose action is the default one (an
 * ignored signal stays ignored; a handler of the console's stays, and its
 * orderly exit removes the files). Returns a slot for tempfile_forget, or
 * -1 when the path is too long or the table is full (then nothing is
 * registered). The path is copied. */
int tempfile_register(const char *path, bool dir);

/* A slot that removes nothing: should a signal end the process, the
 * handler writes note (copied, at most 1000 bytes) to stderr, then the
 * process dies of the signal. For a result the user asked for, which a
 * signal must not destroy and must say what became of (copy's committed
 * target: a PostgreSQL schema, or a file renamed into place). Returns a
 * slot for tempfile_forget, -1 when the table is full. */
int tempfile_note(const char *note);

/* Forgets a slot (nothing is removed: the owner removes the file itself,
 * before or after). When the last one goes, the signal actions are put
 * back. A slot of -1 is ignored. */
void tempfile_forget(int slot);

#endif
