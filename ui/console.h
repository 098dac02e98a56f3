/* console.h - the curses console, started by the command line. */
#ifndef SITESWEEP_UI_CONSOLE_H
#define SITESWEEP_UI_CONSOLE_H

#include "app.h"

/* Runs the console on a's journal until the operator quits or a signal
 * arrives; returns the process exit code. */
int ui_console(app *a);

#endif
