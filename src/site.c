/* site.c - field validation shared by import and the site form. */
#include "site.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const field_names[FIELD_COUNT] = {
    "code", "name", "parent", "server", "drive",
    "state", "logon", "servers", "pdc",
};

static const char *const state_names[STATE_COUNT] = {
    "pending", "hung", "failed", "cleaning", "clean", "active", "deleted",
};

const char *site_field_name(site_field f)
{
    return (unsigned)f < FIELD_COUNT ? field_names[f] : NULL;
}

int site_field_lookup(const char *name)
{
    for (int i = 0; i < FIELD_COUNT; i++)
        if (strcmp(field_names[i], name) == 0)
            return i;
    return -1;
}

const char *site_state_name(site_state s)
{
    return (unsigned)s < STATE_COUNT ? state_names[s] : "?";
}

int site_state_parse(const char *name)
{
    for (int i = 0; i < STATE_COUNT; i++)
        if (str_ieq(state_names[i], name))
            return i;
    return -1;
}

const char *site_state_list(void)
{
    return "pending, hung, failed, cleaning, clean, active, deleted";
}

void site_init(site *s)
{
    memset(s, 0, sizeof *s);
    s->drive = 'C';
    s->state = STATE_PENDING;
}

static int bad(ss_err *e, site_field f, const char *v, const char *why)
{
    char q[64];
    str_quote(v, q, sizeof q);
    return ss_errf(e, "field \"%s\": %s %s", field_names[f], q, why);
}

static int check_code(site_field f, const char *v, char out[4], ss_err *e)
{
    if (strlen(v) != 3)
        return bad(e, f, v, "is not a site code: exactly three letters or digits");
    char up[4];
    for (int i = 0; i < 3; i++) {
        unsigned char c = (unsigned char)v[i];
        if (!(c < 0x80) || !isalnum(c))
            return bad(e, f, v, "is not a site code: exactly three letters or digits");
        up[i] = (char)toupper(c);
    }
    up[3] = '\0';
    static const char *const devices[] = {"AUX", "CON", "NUL", "PRN"};
    for (size_t i = 0; i < 4; i++)
        if (strcmp(up, devices[i]) == 0)
            return ss_errf(e, "field \"%s\": \"%s\" is a Windows device name; "
                              "SMS 2.0 accepts it but the site breaks (Q279868)",
                           field_names[f], up);
    memcpy(out, up, 4);
    return 0;
}

/* A NetBIOS or DNS host name: letters, digits, '-', '_' and '.'. */
static int check_host(site_field f, const char *v, bool required, char *out,
                      ss_err *e)
{
    size_t n = strlen(v);
    if (n == 0) {
        if (required)
            return ss_errf(e, "field \"%s\": is empty; a server name is required",
                           field_names[f]);
        out[0] = '\0';
        return 0;
    }
    if (n > SITE_HOST_MAX)
        return bad(e, f, v, "is too long for a server name (at most 63 characters)");
    const char *p = v;
    if (p[0] == '\\' && p[1] == '\\')
        return bad(e, f, v, "should be a bare server name, without the leading \\\\");
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!((c < 0x80) && (isalnum(c) || c == '-' || c == '_' || c == '.')))
            return bad(e, f, v, "is not a server name (letters, digits, '-', '_', '.')");
    }
    /* "-x" would read as an option, "." or ".." as a directory in the
     * commands sitesweep fills in. */
    if (!isalnum((unsigned char)v[0]))
        return bad(e, f, v, "is not a server name: it must start with a "
                            "letter or digit");
    memcpy(out, v, n + 1);
    return 0;
}

static int check_text(site_field f, const char *v, size_t max, ss_err *e)
{
    size_t n = strlen(v);
    if (n > max) {
        char q[64];
        str_quote(v, q, sizeof q);
        return ss_errf(e, "field \"%s\": %s is %zu bytes long (at most %zu)",
                       field_names[f], q, n, max);
    }
    if (!utf8_valid(v, n))
        return ss_errf(e, "field \"%s\": is not valid UTF-8", field_names[f]);
    size_t at;
    unsigned cp = str_find_unsafe(v, &at);
    if (cp)
        return ss_errf(e, "field \"%s\": control or bidirectional character "
                          "U+%04X at byte %zu is not allowed",
                       field_names[f], cp, at + 1);
    return 0;
}

int site_set_field(site *s, site_field f, const char *v, ss_err *e)
{
    char tmp[SITE_SERVERS_MAX + 1];
    switch (f) {
    case FIELD_CODE:
        return check_code(f, v, s->code, e);
    case FIELD_NAME:
        if (check_text(f, v, SITE_NAME_MAX, e))
            return -1;
        memcpy(s->name, v, strlen(v) + 1);
        return 0;
    case FIELD_PARENT:
        if (v[0] == '\0') {
            s->parent[0] = '\0';
            return 0;
        }
        return check_code(f, v, s->parent, e);
    case FIELD_SERVER:
        return check_host(f, v, true, s->server, e);
    case FIELD_PDC:
        return check_host(f, v, false, s->pdc, e);
    case FIELD_DRIVE:
        if (strlen(v) == 2 && v[1] == ':')
            ; /* "D:" is fine */
        else if (strlen(v) != 1)
            return bad(e, f, v, "is not one drive letter (A-Z)");
        if (!((unsigned char)v[0] < 0x80) || !isalpha((unsigned char)v[0]))
            return bad(e, f, v, "is not one drive letter (A-Z)");
        s->drive = (char)toupper((unsigned char)v[0]);
        return 0;
    case FIELD_STATE: {
        int st = site_state_parse(v);
        if (st < 0) {
            char q[64];
            str_quote(v, q, sizeof q);
            return ss_errf(e, "field \"state\": %s is not an install state (%s)",
                           q, site_state_list());
        }
        s->state = (site_state)st;
        return 0;
    }
    case FIELD_LOGON:
        if (str_ieq(v, "yes"))
            s->logon = true;
        else if (str_ieq(v, "no") || v[0] == '\0')
            s->logon = false;
        else
            return bad(e, f, v, "is neither yes nor no");
        return 0;
    case FIELD_SERVERS: {
        size_t n = strlen(v);
        if (n > SITE_SERVERS_MAX)
            return check_text(f, v, SITE_SERVERS_MAX, e);
        /* Each name valid, no duplicates, blanks around ';' ignored. */
        strbuf out = {0};
        char names[64][SITE_HOST_MAX + 1];
        size_t count = 0;
        const char *p = v;
        while (*p) {
            const char *end = strchr(p, ';');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            char one[SITE_SERVERS_MAX + 1];
            memcpy(one, p, len);
            one[len] = '\0';
            char *t = str_trim(one);
            if (*t) {
                char host[SITE_HOST_MAX + 1];
                if (check_host(f, t, true, host, e)) {
                    sb_free(&out);
                    return -1;
                }
                for (size_t i = 0; i < count; i++)
                    if (str_ieq(names[i], host)) {
                        sb_free(&out);
                        return bad(e, f, host, "is listed twice");
                    }
                if (count == 64) {
                    sb_free(&out);
                    return ss_errf(e, "field \"servers\": more than 64 CAP/DP servers");
                }
                memcpy(names[count++], host, strlen(host) + 1);
                if (out.len)
                    sb_putc(&out, ';');
                sb_puts(&out, host);
            }
            if (!end)
                break;
            p = end + 1;
        }
        snprintf(tmp, sizeof tmp, "%s", out.s ? out.s : "");
        sb_free(&out);
        memcpy(s->servers, tmp, strlen(tmp) + 1);
        return 0;
    }
    case FIELD_COUNT:
        break;
    }
    return ss_errf(e, "unknown field");
}

void site_get_field(const site *s, site_field f, char *buf, size_t n)
{
    switch (f) {
    case FIELD_CODE: snprintf(buf, n, "%s", s->code); break;
    case FIELD_NAME: snprintf(buf, n, "%s", s->name); break;
    case FIELD_PARENT: snprintf(buf, n, "%s", s->parent); break;
    case FIELD_SERVER: snprintf(buf, n, "%s", s->server); break;
    case FIELD_DRIVE: snprintf(buf, n, "%c", s->drive); break;
    case FIELD_STATE: snprintf(buf, n, "%s", site_state_name(s->state)); break;
    case FIELD_LOGON: snprintf(buf, n, "%s", s->logon ? "yes" : "no"); break;
    case FIELD_SERVERS: snprintf(buf, n, "%s", s->servers); break;
    case FIELD_PDC: snprintf(buf, n, "%s", s->pdc); break;
    default: snprintf(buf, n, "%s", ""); break;
    }
}

int site_check(const site *s, site_field *badf, ss_err *e)
{
    if (s->code[0] == '\0') {
        if (badf)
            *badf = FIELD_CODE;
        return ss_errf(e, "field \"code\": is empty; a site code is required");
    }
    if (s->server[0] == '\0') {
        if (badf)
            *badf = FIELD_SERVER;
        return ss_errf(e, "field \"server\": is empty; a server name is required");
    }
    if (strcmp(s->code, s->parent) == 0) {
        if (badf)
            *badf = FIELD_PARENT;
        return ss_errf(e, "field \"parent\": \"%s\" is the site's own code",
                       s->parent);
    }
    if (s->logon && s->pdc[0] == '\0') {
        if (badf)
            *badf = FIELD_PDC;
        return ss_errf(e, "field \"pdc\": is empty; the primary domain "
                          "controller is needed when logon is yes (step 4e)");
    }
    return 0;
}

size_t site_servers_split(const site *s, char names[][SITE_HOST_MAX + 1],
                          size_t max)
{
    size_t count = 0;
    const char *p = s->servers;
    while (*p && count < max) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > SITE_HOST_MAX)
            len = SITE_HOST_MAX;
        if (len) {
            memcpy(names[count], p, len);
            names[count][len] = '\0';
            count++;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return count;
}

static int link_cmp(const void *a, const void *b)
{
    return strcmp(((const site_link *)a)->code, ((const site_link *)b)->code);
}

void site_links_sort(site_link *links, size_t n)
{
    if (n > 1)
        qsort(links, n, sizeof *links, link_cmp);
}

/* The link of code, or NULL. */
static const site_link *link_find(const site_link *links, size_t n,
                                  const char *code)
{
    site_link key;
    snprintf(key.code, sizeof key.code, "%s", code);
    return n ? bsearch(&key, links, n, sizeof *links, link_cmp) : NULL;
}

size_t site_parent_cycle(const site_link *links, size_t n, const char *start,
                         char **path)
{
    *path = NULL;
    const site_link *cur = link_find(links, n, start);
    size_t steps = 0;
    /* A chain back to start has at most n links; a longer walk is in a
     * cycle that does not pass through start. */
    while (cur && cur->parent[0] && steps < n) {
        steps++;
        if (strcmp(cur->parent, start) == 0)
            break;
        cur = link_find(links, n, cur->parent);
    }
    if (!cur || !cur->parent[0] || strcmp(cur->parent, start) != 0)
        return 0;
    strbuf b = {0};
    sb_puts(&b, start);
    cur = link_find(links, n, start);
    for (size_t i = 0; i < steps; i++) {
        sb_printf(&b, " -> %s", cur->parent);
        cur = link_find(links, n, cur->parent);
    }
    *path = sb_take(&b);
    return steps;
}
