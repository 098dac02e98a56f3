/* test_site.c - every rule of site_set_field and site_check, and the
 * exact message each refusal gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "site.h"

/* Sets f to v on a default site, which must succeed. */
static site with(site_field f, const char *v)
{
    site s;
    site_init(&s);
    ss_err e = {{0}};
    if (site_set_field(&s, f, v, &e))
        fail_msg("\"%s\" refused: %s", v, e.msg);
    return s;
}

/* Setting f to v fails with a message starting with want (and containing
 * also when not NULL), and leaves the site as it was. */
static void refused(site_field f, const char *v, const char *want,
                    const char *also)
{
    site s, before;
    site_init(&s);
    site_set_field(&s, FIELD_CODE, "K7Q", NULL);
    site_set_field(&s, FIELD_SERVER, "SRV-K7Q", NULL);
    site_set_field(&s, FIELD_SERVERS, "SRV-K7Q;CAP-K7Q-02", NULL);
    site_set_field(&s, FIELD_NAME, "Redmond Building 7", NULL);
    site_set_field(&s, FIELD_DRIVE, "D", NULL);
    before = s;
    ss_err e = {{0}};
    assert_int_equal(site_set_field(&s, f, v, &e), -1);
    if (strncmp(e.msg, want, strlen(want)) != 0)
        fail_msg("message \"%s\" does not start with \"%s\"", e.msg, want);
    if (also && !strstr(e.msg, also))
        fail_msg("message \"%s\" lacks \"%s\"", e.msg, also);
    assert_memory_equal(&s, &before, sizeof s);
}

static void test_defaults(void **state)
{
    (void)state;
    site s;
    memset(&s, 0x5A, sizeof s);
    site_init(&s);
    assert_string_equal(s.code, "");
    assert_int_equal(s.drive, 'C');
    assert_int_equal(s.state, STATE_PENDING);
    assert_false(s.logon);
    assert_string_equal(s.servers, "");
}

static void test_field_names(void **state)
{
    (void)state;
    static const char *const names[] = {"code", "name", "parent", "server",
        "drive", "state", "logon", "servers", "pdc"};
    for (int i = 0; i < FIELD_COUNT; i++) {
        assert_string_equal(site_field_name((site_field)i), names[i]);
        assert_int_equal(site_field_lookup(names[i]), i);
    }
    assert_null(site_field_name(FIELD_COUNT));
    assert_int_equal(site_field_lookup("Code"), -1);
    assert_int_equal(site_field_lookup(" code"), -1);
    assert_int_equal(site_field_lookup(""), -1);
}

static void test_code(void **state)
{
    (void)state;
    assert_string_equal(with(FIELD_CODE, "k7q").code, "K7Q");
    assert_string_equal(with(FIELD_CODE, "123").code, "123");
    refused(FIELD_CODE, "K7", "field \"code\": \"K7\" is not a site code: "
            "exactly three letters or digits", NULL);
    refused(FIELD_CODE, "K7QQ", "field \"code\": \"K7QQ\" is not a site code",
            NULL);
    refused(FIELD_CODE, "", "field \"code\": \"\" is not a site code", NULL);
    refused(FIELD_CODE, "K-Q", "field \"code\": \"K-Q\" is not a site code",
            NULL);
    refused(FIELD_CODE, "K Q", "field \"code\": \"K Q\" is not a site code",
            NULL);
    refused(FIELD_CODE, "K\xC3\xBC", "field \"code\":", "is not a site code");
}

static void test_device_names(void **state)
{
    (void)state;
    static const char *const dev[] = {"AUX", "con", "Nul", "prn"};
    static const char *const up[] = {"AUX", "CON", "NUL", "PRN"};
    for (int i = 0; i < 4; i++) {
        char want[64];
        snprintf(want, sizeof want, "field \"code\": \"%s\" is a Windows "
                 "device name", up[i]);
        refused(FIELD_CODE, dev[i], want, "the site breaks (Q279868)");
    }
    refused(FIELD_PARENT, "nul", "field \"parent\": \"NUL\" is a Windows "
            "device name", NULL);
    /* Only the whole code: these are fine. */
    assert_string_equal(with(FIELD_CODE, "CO1").code, "CO1");
    assert_string_equal(with(FIELD_CODE, "AUY").code, "AUY");
}

static void test_drive(void **state)
{
    (void)state;
    assert_int_equal(with(FIELD_DRIVE, "d").drive, 'D');
    assert_int_equal(with(FIELD_DRIVE, "D:").drive, 'D');
    assert_int_equal(with(FIELD_DRIVE, "e:").drive, 'E');
    refused(FIELD_DRIVE, "DD",
            "field \"drive\": \"DD\" is not one drive letter (A-Z)", NULL);
    refused(FIELD_DRIVE, "1",
            "field \"drive\": \"1\" is not one drive letter (A-Z)", NULL);
    refused(FIELD_DRIVE, "1:", "field \"drive\": \"1:\" is not one", NULL);
    refused(FIELD_DRIVE, "D:\\", "field \"drive\": \"D:\\\" is not one", NULL);
    refused(FIELD_DRIVE, "", "field \"drive\": \"\" is not one", NULL);
    refused(FIELD_DRIVE, "\xC3\x84", "field \"drive\":", "is not one drive");
}

static void test_state(void **state)
{
    (void)state;
    for (int i = 0; i < STATE_COUNT; i++)
        assert_int_equal(with(FIELD_STATE, site_state_name((site_state)i)).state,
                         i);
    assert_int_equal(with(FIELD_STATE, "HUNG").state, STATE_HUNG);
    assert_int_equal(with(FIELD_STATE, "Failed").state, STATE_FAILED);
    assert_int_equal(site_state_parse("Clean"), STATE_CLEAN);
    assert_int_equal(site_state_parse("installing"), -1);
    assert_string_equal(site_state_name(STATE_COUNT), "?");
    refused(FIELD_STATE, "broken", "field \"state\": \"broken\" is not an "
            "install state (pending, hung, failed, cleaning, clean, active, "
            "deleted)", NULL);
    refused(FIELD_STATE, "", "field \"state\": \"\" is not an install state",
            NULL);
    refused(FIELD_STATE, "hung ", "field \"state\": \"hung \"", NULL);
}

static void test_logon(void **state)
{
    (void)state;
    assert_true(with(FIELD_LOGON, "yes").logon);
    assert_true(with(FIELD_LOGON, "YES").logon);
    site s = with(FIELD_LOGON, "yes");
    ss_err e;
    assert_int_equal(site_set_field(&s, FIELD_LOGON, "No", &e), 0);
    assert_false(s.logon);
    s = with(FIELD_LOGON, "yes");
    assert_int_equal(site_set_field(&s, FIELD_LOGON, "", &e), 0);
    assert_false(s.logon);
    refused(FIELD_LOGON, "maybe",
            "field \"logon\": \"maybe\" is neither yes nor no", NULL);
    refused(FIELD_LOGON, "1", "field \"logon\": \"1\" is neither", NULL);
    refused(FIELD_LOGON, "y", "field \"logon\": \"y\" is neither", NULL);
}

static void test_servers(void **state)
{
    (void)state;
    assert_string_equal(with(FIELD_SERVERS, " SRV-A ; CAP-B ;;\tDP.c.com ; ")
                            .servers, "SRV-A;CAP-B;DP.c.com");
    assert_string_equal(with(FIELD_SERVERS, "").servers, "");
    assert_string_equal(with(FIELD_SERVERS, " ; ").servers, "");
    refused(FIELD_SERVERS, "SRV-A;CAP-B;srv-a",
            "field \"servers\": \"srv-a\" is listed twice", NULL);
    refused(FIELD_SERVERS, "SRV-A;SRV B", "field \"servers\": \"SRV B\" is "
            "not a server name (letters, digits, '-', '_', '.')", NULL);
    refused(FIELD_SERVERS, "SRV-A;\\\\CAP-B", "field \"servers\": "
            "\"\\\\CAP-B\" should be a bare server name", NULL);
    refused(FIELD_SERVERS, "SRV-A,CAP-B", "field \"servers\": "
            "\"SRV-A,CAP-B\" is not a server name", NULL);
    refused(FIELD_SERVERS, "SRV-A;..", "field \"servers\": \"..\" is not a "
            "server name: it must start with a letter or digit", NULL);
    refused(FIELD_SERVER, "-rf", "field \"server\": \"-rf\" is not a server "
            "name: it must start with a letter or digit", NULL);
    refused(FIELD_PDC, "_pdc", "field \"pdc\": \"_pdc\" is not a server "
            "name", NULL);

    char list[2048] = "";
    for (int i = 0; i < 65; i++) /* 65 distinct names, 7 bytes each */
        snprintf(list + strlen(list), sizeof list - strlen(list), "%sS%05d",
                 i ? ";" : "", i);
    refused(FIELD_SERVERS, list, "field \"servers\": more than 64 CAP/DP "
            "servers", NULL);
    list[64 * 7 - 1] = '\0';
    site s = with(FIELD_SERVERS, list);
    char names[64][SITE_HOST_MAX + 1];
    assert_int_equal(site_servers_split(&s, names, 64), 64);
    assert_string_equal(names[63], "S00063");
    assert_int_equal(site_servers_split(&s, names, 2), 2);

    char longlist[1100];
    memset(longlist, 'a', sizeof longlist - 1);
    longlist[sizeof longlist - 1] = '\0';
    refused(FIELD_SERVERS, longlist, "field \"servers\":",
            "is 1099 bytes long (at most 1023)");
    char longhost[70];
    memset(longhost, 'h', 64);
    longhost[64] = '\0';
    refused(FIELD_SERVERS, longhost, "field \"servers\":",
            "is too long for a server name (at most 63 characters)");
}

static void test_server_and_pdc(void **state)
{
    (void)state;
    assert_string_equal(with(FIELD_SERVER, "SRV-K7Q").server, "SRV-K7Q");
    assert_string_equal(with(FIELD_SERVER, "sms_01.corp.example.com").server,
                        "sms_01.corp.example.com");
    refused(FIELD_SERVER, "\\\\SRV-K7Q", "field \"server\": \"\\\\SRV-K7Q\" "
            "should be a bare server name, without the leading \\\\", NULL);
    refused(FIELD_SERVER, "CORP\\SRV-K7Q", "field \"server\": "
            "\"CORP\\SRV-K7Q\" is not a server name", NULL);
    refused(FIELD_SERVER, "", "field \"server\": is empty; a server name is "
            "required", NULL);
    refused(FIELD_SERVER, "SRV K7Q", "field \"server\": \"SRV K7Q\" is not",
            NULL);
    refused(FIELD_SERVER, "S\xC3\xBC", "field \"server\":", "is not a server");
    char host[SITE_HOST_MAX + 2];
    memset(host, 'h', SITE_HOST_MAX);
    host[SITE_HOST_MAX] = '\0';
    assert_string_equal(with(FIELD_SERVER, host).server, host);
    host[SITE_HOST_MAX] = 'h';
    host[SITE_HOST_MAX + 1] = '\0';
    refused(FIELD_SERVER, host, "field \"server\":", "is too long");

    assert_string_equal(with(FIELD_PDC, "").pdc, "");
    assert_string_equal(with(FIELD_PDC, "PDC-REDMOND").pdc, "PDC-REDMOND");
    refused(FIELD_PDC, "\\\\PDC-REDMOND", "field \"pdc\": \"\\\\PDC-REDMOND\" "
            "should be a bare server name", NULL);
}

static void test_parent(void **state)
{
    (void)state;
    assert_string_equal(with(FIELD_PARENT, "cen").parent, "CEN");
    site s = with(FIELD_PARENT, "CEN");
    ss_err e;
    assert_int_equal(site_set_field(&s, FIELD_PARENT, "", &e), 0);
    assert_string_equal(s.parent, "");
    refused(FIELD_PARENT, "CENT", "field \"parent\": \"CENT\" is not a site "
            "code", NULL);
}

static void test_name(void **state)
{
    (void)state;
    assert_string_equal(with(FIELD_NAME, "Z\xC3\xBCrich Lab, Floor 2").name,
                        "Z\xC3\xBCrich Lab, Floor 2");
    assert_string_equal(with(FIELD_NAME, "").name, "");
    assert_string_equal(with(FIELD_NAME, " padded ").name, " padded ");
    refused(FIELD_NAME, "Lab\x1b[31m", "field \"name\": control or "
            "bidirectional character U+001B at byte 4 is not allowed", NULL);
    refused(FIELD_NAME, "Lab\t7", "field \"name\": control or bidirectional "
            "character U+0009 at byte 4", NULL);
    refused(FIELD_NAME, "a\nb", "field \"name\": control", "U+000A at byte 2");
    refused(FIELD_NAME, "ab\xE2\x80\xAE" "cd", "field \"name\": control or "
            "bidirectional character U+202E at byte 3", NULL);
    refused(FIELD_NAME, "x\xE2\x81\xA6y", "field \"name\":", "U+2066");
    refused(FIELD_NAME, "x\xC2\x9By", "field \"name\":", "U+009B");
    refused(FIELD_NAME, "Z\xFCrich", "field \"name\": is not valid UTF-8",
            NULL);
    refused(FIELD_NAME, "\xED\xA0\x80", "field \"name\": is not valid UTF-8",
            NULL); /* a surrogate */
    refused(FIELD_NAME, "\xC0\xAF", "field \"name\": is not valid UTF-8",
            NULL); /* an overlong '/' */

    char name[SITE_NAME_MAX + 2];
    memset(name, 'n', SITE_NAME_MAX);
    name[SITE_NAME_MAX] = '\0';
    assert_string_equal(with(FIELD_NAME, name).name, name);
    name[SITE_NAME_MAX] = 'n';
    name[SITE_NAME_MAX + 1] = '\0';
    refused(FIELD_NAME, name, "field \"name\": \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
            "nnnnnnn...\" is 129 bytes long (at most 128)", NULL);
}

/* A long value is cut for the message at a character, never inside one:
 * the message stays valid UTF-8. */
static void test_message_cut_keeps_utf8(void **state)
{
    (void)state;
    char name[200] = "";
    for (int i = 0; i < 70; i++)
        strcat(name, "\xC3\xBC"); /* 140 bytes */
    site s;
    site_init(&s);
    ss_err e = {{0}};
    assert_int_equal(site_set_field(&s, FIELD_NAME, name, &e), -1);
    assert_non_null(strstr(e.msg, "is 140 bytes long (at most 128)"));
    assert_true(utf8_valid(e.msg, strlen(e.msg)));
    assert_non_null(strstr(e.msg, "\xC3\xBC...\""));
}

static site valid_site(void)
{
    site s;
    site_init(&s);
    site_set_field(&s, FIELD_CODE, "K7Q", NULL);
    site_set_field(&s, FIELD_SERVER, "SRV-K7Q", NULL);
    site_set_field(&s, FIELD_PARENT, "CEN", NULL);
    return s;
}

static void check_fails(const site *s, site_field want, const char *msg)
{
    site_field badf = FIELD_COUNT;
    ss_err e = {{0}};
    assert_int_equal(site_check(s, &badf, &e), -1);
    assert_int_equal(badf, want);
    if (strncmp(e.msg, msg, strlen(msg)) != 0)
        fail_msg("message \"%s\" does not start with \"%s\"", e.msg, msg);
}

static void test_check(void **state)
{
    (void)state;
    site s = valid_site();
    ss_err e;
    assert_int_equal(site_check(&s, NULL, &e), 0);

    s = valid_site();
    site_set_field(&s, FIELD_PARENT, "k7q", NULL);
    check_fails(&s, FIELD_PARENT,
                "field \"parent\": \"K7Q\" is the site's own code");

    s = valid_site();
    site_set_field(&s, FIELD_LOGON, "yes", NULL);
    check_fails(&s, FIELD_PDC, "field \"pdc\": is empty; the primary domain "
                "controller is needed when logon is yes (step 4e)");
    site_set_field(&s, FIELD_PDC, "PDC-REDMOND", NULL);
    assert_int_equal(site_check(&s, NULL, &e), 0);

    site_init(&s);
    site_set_field(&s, FIELD_SERVER, "SRV-K7Q", NULL);
    check_fails(&s, FIELD_CODE, "field \"code\": is empty");
    site_init(&s);
    site_set_field(&s, FIELD_CODE, "K7Q", NULL);
    check_fails(&s, FIELD_SERVER, "field \"server\": is empty");
    /* A central site has no parent. */
    s = valid_site();
    site_set_field(&s, FIELD_PARENT, "", NULL);
    assert_int_equal(site_check(&s, NULL, NULL), 0);
}

static void test_get_field_round_trip(void **state)
{
    (void)state;
    static const char *const v[FIELD_COUNT] = {"K7Q", "Redmond Building 7",
        "CEN", "SRV-K7Q", "D", "hung", "yes", "SRV-K7Q;CAP-K7Q-02",
        "PDC-REDMOND"};
    site s;
    site_init(&s);
    for (int i = 0; i < FIELD_COUNT; i++)
        assert_int_equal(site_set_field(&s, (site_field)i, v[i], NULL), 0);
    for (int i = 0; i < FIELD_COUNT; i++) {
        char buf[SITE_SERVERS_MAX + 1];
        site_get_field(&s, (site_field)i, buf, sizeof buf);
        assert_string_equal(buf, v[i]);
    }
    assert_int_equal(site_set_field(&s, FIELD_COUNT, "x", NULL), -1);
}

/* site_parent_cycle: rings of 1, 2 and 3 sites through the start are
 * found with their path; a chain, a missing parent and a ring that does
 * not pass through the start are not. */
static void test_parent_cycle(void **state)
{
    (void)state;
    site_link l[] = {
        {"CEN", ""},    {"AAA", "CEN"}, {"SLF", "SLF"}, {"TW1", "TW2"},
        {"TW2", "TW1"}, {"R1A", "R1C"}, {"R1B", "R1A"}, {"R1C", "R1B"},
        {"ORF", "XXX"}, {"TAL", "TW1"}, {"DEP", "AAA"},
    };
    size_t n = sizeof l / sizeof l[0];
    site_links_sort(l, n);
    char *path = (char *)1;
    assert_int_equal(site_parent_cycle(l, n, "SLF", &path), 1);
    assert_string_equal(path, "SLF -> SLF");
    free(path);
    assert_int_equal(site_parent_cycle(l, n, "TW2", &path), 2);
    assert_string_equal(path, "TW2 -> TW1 -> TW2");
    free(path);
    assert_int_equal(site_parent_cycle(l, n, "R1A", &path), 3);
    assert_string_equal(path, "R1A -> R1C -> R1B -> R1A");
    free(path);
    static const char *const none[] = {"CEN", "AAA", "DEP", "ORF", "TAL",
                                       "NOP"};
    for (size_t i = 0; i < sizeof none / sizeof none[0]; i++) {
        path = (char *)1;
        assert_int_equal(site_parent_cycle(l, n, none[i], &path), 0);
        assert_null(path);
    }
    assert_int_equal(site_parent_cycle(NULL, 0, "CEN", &path), 0);
    assert_null(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_field_names),
        cmocka_unit_test(test_code),
        cmocka_unit_test(test_device_names),
        cmocka_unit_test(test_drive),
        cmocka_unit_test(test_state),
        cmocka_unit_test(test_logon),
        cmocka_unit_test(test_servers),
        cmocka_unit_test(test_server_and_pdc),
        cmocka_unit_test(test_parent),
        cmocka_unit_test(test_name),
        cmocka_unit_test(test_message_cut_keeps_utf8),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_get_field_round_trip),
        cmocka_unit_test(test_parent_cycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
