/* journal_pg.h - the PostgreSQL journal's schema (journal_pg.c). */
#ifndef SITESWEEP_JOURNAL_PG_H
#define SITESWEEP_JOURNAL_PG_H

#include <stdbool.h>

#include "db.h"
#include "util.h"

/* The schema version this program makes (PostgreSQL's own numbering). */
extern const int JOURNAL_PG_SCHEMA_VERSION;

/* Whether s may name the journal's schema: lower-case letters, digits and
 * '_', starting with a letter or '_', at most 63 bytes, not "pg_...". */
bool jpg_schema_name_ok(const char *s);

/* Creates or upgrades the journal's schema in d's database, one program
 * at a time (an advisory transaction lock), and sets the session's
 * search_path to it. where names the journal in messages (a redacted
 * URI). *version (when given) receives the version found before (0: a new
 * journal). 0; -1 with e set: a bad schema name, a schema newer than this
 * program (nothing changed), or a server failure (rolled back). */
int jpg_schema_setup(db *d, const char *schema, const char *where,
                     int *version, ss_err *e);

#endif
