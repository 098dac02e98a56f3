/* cli.h - the command line: options, commands, exit codes. */
#ifndef SITESWEEP_CLI_H
#define SITESWEEP_CLI_H

#include "app.h"

enum {
    EXIT_OK = 0,     /* success */
    EXIT_FAIL = 1,   /* failure (verification failed, storage error) */
    EXIT_USAGE = 2,  /* usage or input error; the message names what */
};

/* Runs sitesweep with argv; with no command, calls console (which may be
 * NULL in builds without a console). Returns the exit code. */
int cli_main(int argc, char **argv, console_fn console);

/* Finds a bundled data file (procedure, demo inventory): beside the binary
 * in data/ (a build tree), in ../share/sitesweep/ from the binary (an
 * installed tree), then in the compiled-in data directory. Returns a new
 * string or NULL. */
char *cli_find_data(const char *name);

#endif
