/* fixture.h - what the unit tests set up the same way: scratch
 * directories, a hung secondary site, journals opened as an operator, and
 * a private PostgreSQL schema on the test run's server
 * ($SITESWEEP_TEST_PG, started by tests/run-tests.sh). */
#ifndef SITESWEEP_TEST_FIXTURE_H
#define SITESWEEP_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "journal.h"
#include "site.h"

/* Makes a fresh directory /tmp/ss-TAG-XXXXXX and writes its path into
 * dir (n bytes). Returns 0, or -1 (path too long, mkdtemp failed). */
int fx_tmpdir(char *dir, size_t n, const char *tag);

/* Removes dir and everything below it. Returns 0, or -1. */
int fx_rmdir(const char *dir);

/* A hung secondary site CODE on server SRV-X whose parent site is CEN.
 * A field the site code refuses fails the running test. */
site fx_site(const char *code);

/* Imports n hung sites (codes Q00, Q01, ... in base 36, at most 11664)
 * into j in one import: events 1..n, then the import event. A refusal
 * fails the running test. */
void fx_import_n(journal *j, int n);

/* Opens (creating when new) the journal at path (file or URI) as operator
 * who on host. Returns it (caller closes), or NULL with the reason on
 * stderr. */
journal *fx_journal(const char *path, const char *who, const char *host);

/* The test run's PostgreSQL URI, or NULL when there is none. */
const char *fx_pg_uri(void);

/* What a setup returns when there is no server: 0 (the test is skipped,
 * its state NULL), or -1 under CI=true, where the server must be there. */
int fx_pg_absent(void);

/* Writes a schema name of this process, unique per call, "t_TAG_PID_N",
 * into schema (n bytes) and makes it the journal's schema
 * (SITESWEEP_PG_SCHEMA). */
void fx_pg_schema(char *schema, size_t n, const char *tag);

/* Drops schema and all in it on the test run's server. Returns 0, or -1
 * (no server, connection or statement failed). */
int fx_pg_drop_schema(const char *schema);

#endif
