/* site.h - an SMS secondary site and the validation of each of its fields,
 * shared by the CSV importer and the console's site form. */
#ifndef SITESWEEP_SITE_H
#define SITESWEEP_SITE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define SITE_NAME_MAX 128    /* bytes of the descriptive name */
#define SITE_HOST_MAX 63     /* bytes of one server name */
#define SITE_SERVERS_MAX 1023 /* bytes of the ';'-separated CAP/DP list */

/* Install states (DOMAIN.md); the order is the documented one. */
typedef enum site_state {
    STATE_PENDING, /* install requested, nothing reported yet */
    STATE_HUNG,    /* install stopped responding */
    STATE_FAILED,  /* install reported failure */
    STATE_CLEANING, /* a cleanup run is open */
    STATE_CLEAN,   /* cleanup complete: ready to reinstall with the code */
    STATE_ACTIVE,  /* installed and working */
    STATE_DELETED, /* removed from the hierarchy */
    STATE_COUNT
} site_state;

/* The inventory's columns, in the CSV's documented order. */
typedef enum site_field {
    FIELD_CODE,
    FIELD_NAME,
    FIELD_PARENT,
    FIELD_SERVER,
    FIELD_DRIVE,
    FIELD_STATE,
    FIELD_LOGON,
    FIELD_SERVERS,
    FIELD_PDC,
    FIELD_COUNT
} site_field;

typedef struct site {
    char code[4];                     /* three upper-case letters/digits */
    char name[SITE_NAME_MAX + 1];     /* free text, may be empty */
    char parent[4];                   /* parent site code, "" for central */
    char server[SITE_HOST_MAX + 1];   /* site server */
    char drive;                       /* install drive letter, upper-case */
    site_state state;                 /* install state */
    bool logon;                       /* Logon Installation/Discovery used */
    char servers[SITE_SERVERS_MAX + 1]; /* CAP/DP servers, ';'-separated */
    char pdc[SITE_HOST_MAX + 1];      /* primary domain controller */
} site;

/* "code", "name", ... as in the CSV header; NULL for an unknown index. */
const char *site_field_name(site_field f);
/* Index of a header name, or -1. */
int site_field_lookup(const char *name);

const char *site_state_name(site_state s);
/* Parses a state name (case-insensitive); -1 when unknown. */
int site_state_parse(const char *name);
/* "pending, hung, failed, ..." for messages and help. */
const char *site_state_list(void);

/* Sets one field from text, validating it. On error returns -1 and e holds
 * `field "drive": "DD" is not one drive letter (A-Z)` (no file or line:
 * the caller adds them). The site is unchanged on error. */
int site_set_field(site *s, site_field f, const char *value, ss_err *e);
/* The field as text, as it would be written back to CSV. */
void site_get_field(const site *s, site_field f, char *buf, size_t n);

/* Checks rules that span fields (parent differs from code; a PDC is needed
 * when logon is yes). On error e names the field. */
int site_check(const site *s, site_field *bad, ss_err *e);

/* A site with every field at its default (state pending, drive C). */
void site_init(site *s);

/* One site's place in the hierarchy: its code and its parent's ("" for
 * none), as site_parent_cycle reads them. */
typedef struct site_link {
    char code[4];
    char parent[4];
} site_link;

/* Sorts n links by code, for site_parent_cycle (which needs them so). */
void site_links_sort(site_link *links, size_t n);
/* Whether following parents from site start (through the n links, sorted
 * by site_links_sort) comes back to start: a cycle of parents, which the
 * hierarchy cannot hold (a site would be its own ancestor). On a cycle,
 * writes its codes into *path as "A -> B -> A" (caller frees *path) and
 * returns how many sites it has (1 for a site that is its own parent);
 * returns 0 when there is none (the chain ends at a site with no parent,
 * at a parent not in the links, or in a cycle that does not pass through
 * start), leaving *path NULL. Costs at most n lookups of log n each. */
size_t site_parent_cycle(const site_link *links, size_t n, const char *start,
                         char **path);

/* Splits s->servers into up to max names; returns the count. */
size_t site_servers_split(const site *s, char names[][SITE_HOST_MAX + 1],
                          size_t max);

#endif
