/* inventory.h - the site inventory CSV (RFC 4180 via libcsv), validated
 * whole: one bad row refuses the file. */
#ifndef SITESWEEP_INVENTORY_H
#define SITESWEEP_INVENTORY_H

#include <stddef.h>

#include "site.h"
#include "util.h"

#define INVENTORY_MAX_BYTES (64u << 20) /* refuse larger files */
#define INVENTORY_MAX_FIELD 4096        /* bytes of any one raw field */

typedef struct inventory {
    site *sites;  /* in file order */
    size_t n;
    int *lines;   /* line number where each site's record starts */
} inventory;

/* Parses CSV text with a header row naming the columns
 * code,name,parent,server,drive,state,logon,servers,pdc (any order; code
 * and server required; unknown columns refused). Every row is validated;
 * the first problem is reported as "fname:line: field \"x\": ..." and the
 * result is empty. Duplicate codes, invalid UTF-8, ragged rows, absurd
 * field lengths are errors. */
int inventory_parse(const char *data, size_t len, const char *fname,
                    inventory *out, ss_err *e);
int inventory_load(const char *path, inventory *out, ss_err *e);
void inventory_free(inventory *inv);

#endif
