/* test_inventory.c - the inventory CSV importer: what loads, what is
 * refused, and the file:line: field "x": message each refusal gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "inventory.h"

#define HEADER "code,name,parent,server,drive,state,logon,servers,pdc\n"

static int parse(const char *csv, inventory *inv, ss_err *e)
{
    return inventory_parse(csv, strlen(csv), "x.csv", inv, e);
}

static void assert_empty(const inventory *inv)
{
    assert_int_equal(inv->n, 0);
    assert_null(inv->sites);
    assert_null(inv->lines);
}

/* The file is refused, the message starts with prefix and contains also
 * (when not NULL), and nothing is returned. */
static void refused(const char *data, size_t len, const char *prefix,
                    const char *also)
{
    inventory inv;
    memset(&inv, 0xA5, sizeof inv); /* garbage must be overwritten */
    ss_err e = {{0}};
    assert_int_equal(inventory_parse(data, len, "x.csv", &inv, &e), -1);
    if (strncmp(e.msg, prefix, strlen(prefix)) != 0)
        fail_msg("message \"%s\" does not start with \"%s\"", e.msg, prefix);
    if (also && !strstr(e.msg, also))
        fail_msg("message \"%s\" lacks \"%s\"", e.msg, also);
    assert_empty(&inv);
    inventory_free(&inv); /* harmless on an empty result */
}

static void refuse(const char *csv, const char *prefix, const char *also)
{
    refused(csv, strlen(csv), prefix, also);
}

static const site *find(const inventory *inv, const char *code)
{
    for (size_t i = 0; i < inv->n; i++)
        if (strcmp(inv->sites[i].code, code) == 0)
            return &inv->sites[i];
    fail_msg("site %s not found", code);
    return NULL;
}

static void test_demo_loads(void **state)
{
    (void)state;
    inventory inv;
    ss_err e = {{0}};
    int rc = inventory_load("data/demo-sites.csv", &inv, &e);
    if (rc)
        fail_msg("%s", e.msg);
    assert_int_equal(inv.n, 14);
    assert_string_equal(inv.sites[0].code, "CEN");
    assert_string_equal(inv.sites[0].name, "Central Site - Redmond HQ");
    assert_string_equal(inv.sites[0].parent, "");
    assert_int_equal(inv.sites[0].state, STATE_ACTIVE);
    assert_int_equal(inv.lines[0], 2);
    assert_int_equal(inv.lines[13], 15);
    const site *k = find(&inv, "K7Q");
    assert_string_equal(k->name, "Redmond Building 7");
    assert_string_equal(k->parent, "CEN");
    assert_string_equal(k->server, "SRV-K7Q");
    assert_int_equal(k->drive, 'D');
    assert_int_equal(k->state, STATE_HUNG);
    assert_true(k->logon);
    assert_string_equal(k->servers, "SRV-K7Q;CAP-K7Q-02");
    assert_string_equal(k->pdc, "PDC-REDMOND");
    const site *z = find(&inv, "ZRH");
    assert_string_equal(z->name, "Z\xC3\xBCrich Lab, Floor 2");
    assert_string_equal(z->parent, "EUR");
    assert_string_equal(z->pdc, "PDC-EUROPE");
    assert_string_equal(find(&inv, "SFO")->name,
                        "San Francisco \"Mission\" Lab");
    assert_false(find(&inv, "BLV")->logon);
    assert_string_equal(find(&inv, "BLV")->pdc, "");
    /* The states the demo shows: every one but cleaning. */
    int seen[STATE_COUNT] = {0};
    for (size_t i = 0; i < inv.n; i++)
        seen[inv.sites[i].state]++;
    assert_int_equal(seen[STATE_CLEANING], 0);
    assert_true(seen[STATE_HUNG] >= 2 && seen[STATE_PENDING] >= 1);
    assert_true(seen[STATE_FAILED] >= 2 && seen[STATE_CLEAN] >= 1);
    inventory_free(&inv);
    assert_empty(&inv);
}

static void test_quoted_fields(void **state)
{
    (void)state;
    const char *csv = HEADER
        "K7Q,\"Redmond, Building \"\"7\"\"\",CEN,SRV-K7Q,D,hung,no,"
        "\"SRV-K7Q;\nCAP-K7Q-02;\r\nDP-K7Q-03\",\n"
        "\"B25\",\"\",\"\",\"SRV-B25\",\"e:\",\"FAILED\",\"YES\",\"\",\"PDC1\"\n";
    inventory inv;
    ss_err e = {{0}};
    if (parse(csv, &inv, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(inv.n, 2);
    assert_string_equal(inv.sites[0].name, "Redmond, Building \"7\"");
    assert_string_equal(inv.sites[0].servers, "SRV-K7Q;CAP-K7Q-02;DP-K7Q-03");
    assert_int_equal(inv.lines[0], 2);
    assert_int_equal(inv.lines[1], 5);
    assert_string_equal(inv.sites[1].name, "");
    assert_int_equal(inv.sites[1].drive, 'E');
    assert_int_equal(inv.sites[1].state, STATE_FAILED);
    assert_true(inv.sites[1].logon);
    inventory_free(&inv);
}

static void test_newline_in_name_refused(void **state)
{
    (void)state;
    refuse(HEADER "K7Q,\"Building\n7\",,SRV-K7Q,D,hung,no,,\n",
           "x.csv:2: field \"name\": control or bidirectional character "
           "U+000A", NULL);
}

/* An earlier record spanning three physical lines moves the later lines. */
static void test_line_after_multiline_record(void **state)
{
    (void)state;
    refuse(HEADER "K7Q,Bldg 7,,SRV-K7Q,D,hung,no,\"SRV-K7Q;\nCAP-1;\nCAP-2\",\n"
           "\n"
           "B25,Bldg 25,,SRV-B25,DD,hung,no,,\n",
           "x.csv:6: field \"drive\": \"DD\" is not one drive letter (A-Z)",
           NULL);
    /* Same with the multi-line field first in its record. */
    refuse("servers,code,server\n\"A;\n\nB\",K7Q,S1\nC,B25,S2\nD,b-5,S3\n",
           "x.csv:6: field \"code\": \"b-5\"", NULL);
}

static void test_crlf(void **state)
{
    (void)state;
    const char *csv =
        "code,name,server,state\r\n"
        "K7Q,Building 7,SRV-K7Q,hung\r\n"
        "\r\n"
        "B25,\"Building\",SRV-B25,pending\r\n";
    inventory inv;
    ss_err e = {{0}};
    if (parse(csv, &inv, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(inv.n, 2);
    assert_string_equal(inv.sites[0].name, "Building 7");
    assert_int_equal(inv.sites[0].state, STATE_HUNG);
    assert_int_equal(inv.lines[1], 4);
    inventory_free(&inv);
    refuse("code,server\r\nK7Q,S1\r\nB25,S2\r\nbad,S3\r\nX,S4\r\n",
           "x.csv:5: field \"code\": \"X\"", NULL);
    /* A lone CR ends a line too. */
    refuse("code,server\rK7Q,S1\rX,S4\r", "x.csv:3: field \"code\"", NULL);
}

static void test_bom(void **state)
{
    (void)state;
    const char *csv = "\xEF\xBB\xBF" "code,server\nK7Q,SRV-K7Q\n";
    inventory inv;
    ss_err e = {{0}};
    if (parse(csv, &inv, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(inv.n, 1);
    assert_string_equal(inv.sites[0].code, "K7Q");
    inventory_free(&inv);
    /* Only at the very start of the file. */
    refuse("\n\xEF\xBB\xBF" "code,server\nK7Q,SRV-K7Q\n",
           "x.csv:2: unknown column \"\xEF\xBB\xBF" "code\"", NULL);
}

static void test_column_order_and_defaults(void **state)
{
    (void)state;
    const char *csv = "server,code\nSRV-K7Q,k7q\n";
    inventory inv;
    ss_err e = {{0}};
    if (parse(csv, &inv, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(inv.n, 1);
    const site *s = &inv.sites[0];
    assert_string_equal(s->code, "K7Q");
    assert_string_equal(s->server, "SRV-K7Q");
    assert_int_equal(s->drive, 'C');
    assert_int_equal(s->state, STATE_PENDING);
    assert_false(s->logon);
    assert_string_equal(s->name, "");
    assert_string_equal(s->parent, "");
    inventory_free(&inv);
}

static void test_trimming(void **state)
{
    (void)state;
    const char *csv = "code, name ,server,parent\n"
                      "\" k7q \",\" Lab 7 \",\"\tSRV-K7Q \", cen \n"
                      "  B25 ,  Bldg 25  ,S2,\n";
    inventory inv;
    ss_err e = {{0}};
    if (parse(csv, &inv, &e))
        fail_msg("%s", e.msg);
    assert_string_equal(inv.sites[0].code, "K7Q");
    assert_string_equal(inv.sites[0].name, " Lab 7 "); /* quoted: kept */
    assert_string_equal(inv.sites[0].server, "SRV-K7Q");
    assert_string_equal(inv.sites[0].parent, "CEN");
    assert_string_equal(inv.sites[1].code, "B25");
    assert_string_equal(inv.sites[1].name, "Bldg 25"); /* unquoted: not */
    inventory_free(&inv);
}

static void test_bad_code(void **state)
{
    (void)state;
    refuse(HEADER "CEN,Central,,SMS-CEN01,D,active,no,,\n"
           "K7QQ,Bldg,CEN,SRV-K7Q,D,hung,no,,\n",
           "x.csv:3: field \"code\": \"K7QQ\" is not a site code", NULL);
}

static void test_device_name(void **state)
{
    (void)state;
    refuse("code,server\nK7Q,S1\ncon,S2\n",
           "x.csv:3: field \"code\": \"CON\" is a Windows device name",
           "Q279868");
}

static void test_site_check_rules(void **state)
{
    (void)state;
    refuse("code,server,parent\nK7Q,S1,k7q\n",
           "x.csv:2: field \"parent\": \"K7Q\" is the site's own code", NULL);
    refuse("code,server,logon,pdc\nK7Q,S1,yes,\n",
           "x.csv:2: field \"pdc\": is empty", NULL);
    refuse("code,server\nK7Q,\n",
           "x.csv:2: field \"server\": is empty", NULL);
}

static void test_unknown_column(void **state)
{
    (void)state;
    refuse("code,server,site\nK7Q,S1,x\n",
           "x.csv:1: unknown column \"site\"", NULL);
    refuse("Code,server\nK7Q,S1\n", "x.csv:1: unknown column \"Code\"", NULL);
    refuse("code,,server\nK7Q,,S1\n", "x.csv:1: unknown column \"\"", NULL);
}

static void test_duplicate_column(void **state)
{
    (void)state;
    refuse("code,name,server,name\nK7Q,a,S1,b\n",
           "x.csv:1: column \"name\" appears twice", NULL);
}

static void test_required_columns(void **state)
{
    (void)state;
    refuse("name,server\nBldg,S1\n",
           "x.csv:1: the header has no \"code\" column", NULL);
    refuse("code,name\nK7Q,Bldg\n",
           "x.csv:1: the header has no \"server\" column", NULL);
}

static void test_ragged_rows(void **state)
{
    (void)state;
    refuse("code,name,server\nK7Q,a,S1\nB25,S2\n",
           "x.csv:3: 2 fields, but the header names 3 columns", NULL);
    refuse("code,name,server\nK7Q,a,S1,\n",
           "x.csv:2: 4 fields, but the header names 3 columns", NULL);
    refuse("code,server\nK7Q\n",
           "x.csv:2: 1 field, but the header names 2 columns", NULL);
}

static void test_duplicate_code(void **state)
{
    (void)state;
    refuse("code,server\nK7Q,S1\nB25,S2\n\nk7q,S3\n",
           "x.csv:5: field \"code\": \"K7Q\" is already used by the site on "
           "line 2", NULL);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    refuse("code,name,server\nK7Q,ok,S1\nB25,Z\xFCrich,S2\n",
           "x.csv:3: invalid UTF-8 at byte 6", NULL);
    refuse("code,name,server\nK7Q,\"a\n\xC3(\",S1\n",
           "x.csv:3: invalid UTF-8", NULL);
    static const char nul[] = "code,name,server\nK7Q,a\0b,S1\n";
    refused(nul, sizeof nul - 1, "x.csv:2: NUL byte at byte 6", NULL);
}

static void test_field_length(void **state)
{
    (void)state;
    strbuf b = {0};
    sb_puts(&b, "code,name,server\nK7Q,\"");
    for (int i = 0; i < INVENTORY_MAX_FIELD; i++)
        sb_putc(&b, 'a');
    sb_puts(&b, "\",S1\n");
    /* At the limit the importer lets it through; the name rule refuses. */
    refuse(b.s, "x.csv:2: field \"name\":", "is 4096 bytes long (at most 128)");
    b.len -= strlen("\",S1\n");
    sb_puts(&b, "a\",S1\n");
    refuse(b.s, "x.csv:2: field \"name\": 4097 bytes long; no field may "
           "exceed 4096 bytes", NULL);
    sb_free(&b);
}

static void test_file_too_large(void **state)
{
    (void)state;
    size_t len = (size_t)INVENTORY_MAX_BYTES + 1;
    char *big = xcalloc(len, 1);
    refused(big, len, "x.csv: file is larger than", NULL);
    free(big);
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    refuse("code,name,server\nK7Q,a,S1\nB25,\"Bldg\n25,S2\n",
           "x.csv:3: quoted field not closed at the end of the file",
           "strict");
}

static void test_stray_quote(void **state)
{
    (void)state;
    refuse("code,name,server\nK7Q,a,S1\nB25,Bldg \"25\",S2\n",
           "x.csv:3: not valid CSV at byte 10 of the line", NULL);
    refuse("code,name,server\nK7Q,\"a\"b,S1\n",
           "x.csv:2: not valid CSV at byte 8 of the line", NULL);
}

static void test_no_sites(void **state)
{
    (void)state;
    refuse(HEADER, "x.csv:1: no sites: the file has only the header row",
           NULL);
    refuse("\n\ncode,server\n\n", "x.csv:3: no sites: the file has only", NULL);
    refuse("", "x.csv:1: no sites: the file is empty", NULL);
    refuse("\n\r\n\n", "x.csv:1: no sites: the file is empty", NULL);
    refuse("\xEF\xBB\xBF", "x.csv:1: no sites: the file is empty", NULL);
}

static void test_first_problem_wins(void **state)
{
    (void)state;
    /* Two bad rows: the earlier is reported. */
    refuse("code,drive,server\nK7Q,1,S1\nAUX,DD,S2\n",
           "x.csv:2: field \"drive\": \"1\"", NULL);
    /* Within a row, the earlier column. */
    refuse("drive,code,server\nDD,AUX,S2\n", "x.csv:2: field \"drive\"", NULL);
}

static void test_load_errors(void **state)
{
    (void)state;
    inventory inv;
    ss_err e = {{0}};
    assert_int_equal(inventory_load("/nonexistent/sites.csv", &inv, &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/sites.csv"));
    assert_empty(&inv);

    char path[] = "/tmp/test_inventory_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *csv = "code,server\nK7Q,S1\nk7q,S2\n";
    assert_int_equal(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
    close(fd);
    assert_int_equal(inventory_load(path, &inv, &e), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:3: field \"code\"", path);
    assert_non_null(strstr(e.msg, want));
    assert_empty(&inv);
    unlink(path);
}

/* Codes for row i: every three-character code but the device names. */
static void code_of(unsigned i, char out[4])
{
    static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    out[0] = al[i / 1296 % 36];
    out[1] = al[i / 36 % 36];
    out[2] = al[i % 36];
    out[3] = '\0';
}

static void test_large_file_fast(void **state)
{
    (void)state;
    strbuf b = {0};
    sb_puts(&b, HEADER);
    unsigned rows = 0;
    for (unsigned i = 0; i < 36 * 36 * 36; i++) {
        char code[4];
        code_of(i, code);
        if (!strcmp(code, "AUX") || !strcmp(code, "CON") ||
            !strcmp(code, "NUL") || !strcmp(code, "PRN"))
            continue;
        sb_printf(&b, "%s,\"Site %u, floor 2\",,SRV-%s,D,hung,yes,"
                      "SRV-%s;CAP-%s-02,PDC-REDMOND\n",
                  code, i, code, code, code);
        rows++;
    }
    inventory inv;
    ss_err e = {{0}};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = parse(b.s, &inv, &e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("%u rows in %.3f s\n", rows, secs);
    if (rc) {
        sb_free(&b);
        fail_msg("%s", e.msg);
    }
    assert_int_equal(inv.n, rows);
    assert_int_equal(inv.lines[rows - 1], (int)rows + 1);
    inventory_free(&inv);
    /* A release build takes about 0.25 s; sanitizers and valgrind are up to
     * ten times slower. The bound catches quadratic work (minutes here). */
    assert_true(secs < 10.0);

    /* One more row can only repeat a code: refused, naming both lines. */
    sb_puts(&b, "ZZZ,again,,S1,D,hung,no,,\n");
    char want[96];
    snprintf(want, sizeof want, "x.csv:%u: field \"code\": \"ZZZ\" is "
             "already used by the site on line %u", rows + 2, rows + 1);
    refuse(b.s, want, NULL);
    sb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_loads),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_newline_in_name_refused),
        cmocka_unit_test(test_line_after_multiline_record),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_column_order_and_defaults),
        cmocka_unit_test(test_trimming),
        cmocka_unit_test(test_bad_code),
        cmocka_unit_test(test_device_name),
        cmocka_unit_test(test_site_check_rules),
        cmocka_unit_test(test_unknown_column),
        cmocka_unit_test(test_duplicate_column),
        cmocka_unit_test(test_required_columns),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_duplicate_code),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_field_length),
        cmocka_unit_test(test_file_too_large),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_stray_quote),
        cmocka_unit_test(test_no_sites),
        cmocka_unit_test(test_first_problem_wins),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_large_file_fast),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
