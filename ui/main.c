/* main.c - sitesweep's entry point: the command line, with the curses
 * console as its default command. */
#include <locale.h>

#include "cli.h"
#include "console.h"

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    return cli_main(argc, argv, ui_console);
}
