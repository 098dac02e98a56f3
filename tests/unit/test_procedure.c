/* test_procedure.c - the procedure parser, the Q287717 data file and the
 * expansion of placeholders. Run from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procedure.h"
#include "site.h"
#include "util.h"

#define DATA_FILE "data/q287717.procedure"

/* A small valid procedure the malformed cases start from. */
#define HEAD "procedure: t\ntitle: Test\n"

static void make_site(site *s, const char *servers, bool logon)
{
    site_init(s);
    strcpy(s->code, "K7Q");
    strcpy(s->name, "Kiel");
    strcpy(s->parent, "CEN");
    strcpy(s->server, "SRV-K7Q");
    s->drive = 'D';
    strcpy(s->servers, servers);
    strcpy(s->pdc, "PDC01");
    s->logon = logon;
}

static int parse_str(const char *text, procedure *p, ss_err *e)
{
    return procedure_parse(text, strlen(text), "t.proc", p, e);
}

/* Asserts that text fails with a message starting with prefix and
 * containing gist, and that the output is left empty. */
static void expect_error(const char *text, size_t len, const char *prefix,
                         const char *gist)
{
    procedure p;
    ss_err e = {{0}};
    memset(&p, 0x5a, sizeof p);
    int rc = procedure_parse(text, len, "t.proc", &p, &e);
    if (rc == 0 || strncmp(e.msg, prefix, strlen(prefix)) != 0 ||
        !strstr(e.msg, gist))
        print_error("text: %s\nmessage: %s\nwanted: %s ... %s\n", text,
                    e.msg, prefix, gist);
    assert_int_equal(rc, -1);
    assert_memory_equal(e.msg, prefix, strlen(prefix));
    assert_non_null(strstr(e.msg, gist));
    assert_null(p.items);
    assert_null(p.text);
    assert_null(p.name);
    assert_int_equal(p.nitems, 0);
    procedure_free(&p);
}

static void expect_err(const char *text, const char *prefix,
                       const char *gist)
{
    expect_error(text, strlen(text), prefix, gist);
}

/* ---- the real data file ---- */

static void test_data_file_items(void **state)
{
    (void)state;
    static const char *const ids[] = {
        "1", "2", "3", "4a", "4b.1", "4b.2", "4b.3", "4b.4", "4b.5",
        "4b.6", "4b.7", "4b.8", "4b.9", "4c.1", "4c.2", "4c.3", "4c.4",
        "4d", "4e", "4f.1", "4f.2",
    };
    procedure p;
    ss_err e = {{0}};
    int rc = procedure_load(DATA_FILE, &p, &e);
    if (rc)
        print_error("%s\n", e.msg);
    assert_int_equal(rc, 0);
    assert_string_equal(p.name, "q287717");
    assert_non_null(strstr(p.source, "Q287717"));
    assert_non_null(strstr(p.source, "06-AUG-2002"));
    assert_non_null(strstr(p.source, "2.0"));
    assert_int_equal(p.nitems, 21);
    for (size_t i = 0; i < 21; i++) {
        assert_string_equal(p.items[i].id, ids[i]);
        assert_non_null(p.items[i].text);
        assert_non_null(p.items[i].where);
        assert_true(p.items[i].title[0] != '\0');
    }
    /* every item but 1 (the Administrator console) has a command */
    for (size_t i = 1; i < 21; i++)
        assert_true(p.items[i].ncommands > 0);
    /* the nine keys and four paths, each in its own item */
    assert_non_null(strstr(p.items[4].text, "Software/Microsoft/SMS"));
    assert_non_null(strstr(p.items[12].text, "Services/CLISVC"));
    assert_non_null(strstr(p.items[16].text, "%Winnt%\\MS\\SMS"));
    procedure_free(&p);
}

static void test_data_file_hash_and_text(void **state)
{
    (void)state;
    char *buf;
    size_t len;
    char want[65];
    ss_err e;
    procedure p;
    assert_int_equal(read_file(DATA_FILE, &buf, &len, 1 << 20, &e), 0);
    sha256_hex(buf, len, want);
    assert_int_equal(procedure_load(DATA_FILE, &p, &e), 0);
    assert_string_equal(p.hash, want);
    assert_int_equal(p.textlen, len);
    assert_memory_equal(p.text, buf, len);
    free(buf);
    procedure_free(&p);
}

static void test_data_file_logon_item(void **state)
{
    (void)state;
    procedure p;
    ss_err e;
    site with, without;
    make_site(&with, "CAP1", true);
    make_site(&without, "CAP1", false);
    assert_int_equal(procedure_load(DATA_FILE, &p, &e), 0);
    int i = procedure_find(&p, "4e");
    assert_int_equal(i, 18);
    assert_int_equal(p.items[i].applies, APPLIES_LOGON);
    assert_true(proc_item_applies(&p.items[i], &with));
    assert_false(proc_item_applies(&p.items[i], &without));
    for (size_t k = 0; k < p.nitems; k++)
        if ((int)k != i)
            assert_true(proc_item_applies(&p.items[k], &without));
    procedure_free(&p);
}

static void test_data_file_preinst_commands(void **state)
{
    (void)state;
    procedure p;
    ss_err e;
    site s;
    size_t n;
    make_site(&s, "CAP1", false);
    proc_values v = {&s, "SRV-CEN"};
    assert_int_equal(procedure_load(DATA_FILE, &p, &e), 0);
    char **c = proc_item_commands(&p.items[1], &v, &n);
    assert_int_equal(n, 1);
    assert_string_equal(c[0], "preinst /delsite:{K7Q,CEN}");
    assert_null(c[1]);
    procedure_strv_free(c);
    c = proc_item_commands(&p.items[2], &v, &n);
    assert_int_equal(n, 1);
    assert_string_equal(c[0], "preinst /deljob:K7Q");
    procedure_strv_free(c);
    char *w = procedure_expand(p.items[1].where, &v);
    assert_string_equal(w, "parent site server SRV-CEN");
    free(w);
    procedure_free(&p);
}

/* With every value known, no item shows an unfilled placeholder. */
static void check_filled(const char *tmpl, const proc_values *v)
{
    static const char *const marks[] = {
        "<code>", "<name>", "<parent>", "<parent_server>", "<server>",
        "<drive>", "<pdc>", "<servers>", "<cap>",
    };
    char *x = procedure_expand(tmpl, v);
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
        if (strstr(x, marks[i]))
            fail_msg("%s in \"%s\"", marks[i], x);
    assert_null(strstr(x, "{code}"));
    free(x);
}

static void test_data_file_fills_everything(void **state)
{
    (void)state;
    procedure p;
    ss_err e;
    site s;
    make_site(&s, "CAP1;CAP2", true);
    proc_values v = {&s, "SRV-CEN"};
    assert_int_equal(procedure_load(DATA_FILE, &p, &e), 0);
    for (size_t i = 0; i < p.nitems; i++) {
        proc_item *it = &p.items[i];
        check_filled(it->title, &v);
        check_filled(it->text, &v);
        check_filled(it->where, &v);
        for (size_t k = 0; k < it->ncautions; k++)
            check_filled(it->cautions[k], &v);
        size_t n;
        char **c = proc_item_commands(it, &v, &n);
        for (size_t k = 0; k < n; k++)
            check_filled(c[k], &v);
        procedure_strv_free(c);
    }
    /* 4d: every command names {cap}, so each is there once per CAP/DP */
    int d = procedure_find(&p, "4D");
    assert_int_equal(d, 17);
    size_t n;
    char **c = proc_item_commands(&p.items[d], &v, &n);
    assert_int_equal(n, 2 * p.items[d].ncommands);
    assert_string_equal(c[0], "rmtshare \\\\CAP1\\CAP_K7Q /delete");
    assert_string_equal(c[1], "rmtshare \\\\CAP2\\CAP_K7Q /delete");
    procedure_strv_free(c);
    procedure_free(&p);
}

/* ---- expansion ---- */

#define ALL "{code}|{name}|{parent}|{parent_server}|{server}|{drive}|" \
            "{pdc}|{servers}|{cap}"

static void test_expand_every_placeholder(void **state)
{
    (void)state;
    site s;
    make_site(&s, "CAP1;CAP2;DP3", false);
    proc_values v = {&s, "SRV-CEN"};
    char *x = procedure_expand(ALL, &v);
    assert_string_equal(x, "K7Q|Kiel|CEN|SRV-CEN|SRV-K7Q|D|PDC01|"
                           "CAP1, CAP2, DP3|each CAP/DP server");
    free(x);
    x = procedure_expand("\\\\{server}\\{drive}$\\SMS", &v);
    assert_string_equal(x, "\\\\SRV-K7Q\\D$\\SMS");
    free(x);
}

/* Every text, title, where, caution and command of the data file, filled
 * in for sites that lack values, reads as plain English: no raw
 * "<placeholder>", no noun said twice ("parent site server the server of
 * ..."), and the sentences that were garbled read as written here. */
static void check_plain(const char *t)
{
    static const char *const bad[] = {
        "<code>", "<name>", "<parent>", "<parent_server>", "<server>",
        "<drive>", "<pdc>", "<servers>", "<cap>",
        "site the ", "server the ", "controller the ", "site (the ",
        "CAP/DP: the CAP/DP", "site server a ", "of the the ",
        "(not in the inventory)", "(none in the inventory)",
        "inventory keeps", "(the site has", "its the ", "the the ",
        "), the ", "which is not in the inventory the",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (strstr(t, bad[i]))
            fail_msg("\"%s\" in: %s", bad[i], t);
}

/* Appends the whole item, filled in for v, to b with one line per part. */
static void render_item(strbuf *b, const proc_item *it, const proc_values *v)
{
    char *t[3] = {procedure_expand(it->title, v), procedure_expand(it->text, v),
                  procedure_expand(it->where, v)};
    for (size_t i = 0; i < 3; i++) {
        check_plain(t[i]);
        sb_printf(b, "%s\n", t[i]);
        free(t[i]);
    }
    for (size_t i = 0; i < it->ncautions; i++) {
        char *c = procedure_expand(it->cautions[i], v);
        check_plain(c);
        sb_printf(b, "%s\n", c);
        free(c);
    }
    char **cmd = proc_item_commands(it, v, NULL);
    for (char **c = cmd; *c; c++) {
        check_plain(*c);
        sb_printf(b, "%s\n", *c);
    }
    procedure_strv_free(cmd);
}

static void test_data_file_unknown_values_read_plainly(void **state)
{
    (void)state;
    procedure p;
    ss_err e = {{0}};
    assert_int_equal(procedure_load(DATA_FILE, &p, &e), 0);
    site orphan, top;
    make_site(&orphan, "", false); /* no CAP/DP, logon no */
    strcpy(orphan.parent, "XXX");  /* a parent not in the inventory */
    orphan.pdc[0] = '\0';          /* no PDC */
    make_site(&top, "", false);
    strcpy(top.code, "TOP");
    top.parent[0] = '\0';          /* no parent at all */
    top.pdc[0] = '\0';
    proc_values vo = {&orphan, NULL}, vt = {&top, NULL};
    strbuf o = {0}, t = {0};
    for (size_t i = 0; i < p.nitems; i++) {
        render_item(&o, &p.items[i], &vo);
        render_item(&t, &p.items[i], &vt);
    }
    static const char *const want_orphan[] = {
        "Administrator console on the parent site (XXX, whose server is not "
        "in the inventory)\n",
        "\nthe server of parent site XXX, which is not in the inventory\n",
        "at a command prompt on the server of parent site XXX, which is not "
        "in the inventory.",
        "If the Scheduler on the server of parent site XXX, which is not in "
        "the inventory, keeps logging",
        "each CAP/DP of K7Q: none is in the inventory.",
        "\neach CAP/DP: none is in the inventory\n",
        "Here: SMSLOGON\\Sites\\K7Q on the primary domain controller, whose "
        "name is not in the inventory.",
        "\nthe primary domain controller, whose name is not in the "
        "inventory\n",
        "\"net user /domain\" acts on the primary domain controller, whose "
        "name is not in the inventory)\n",
        "\n" PROC_NOT_READY "the primary domain controller, whose name is "
        "not in the inventory\n",
    };
    static const char *const want_top[] = {
        "Addresses of the parent site, which TOP does not have.",
        "Administrator console on the parent site (TOP has none)\n",
        "\n" PROC_NOT_READY "the parent site, which TOP does not have\n",
        "purge TOP from the database of the parent site, which TOP does not "
        "have, at a command prompt on the server of a parent site, which TOP "
        "does not have.",
    };
    for (size_t i = 0; i < sizeof want_orphan / sizeof *want_orphan; i++)
        if (!strstr(o.s, want_orphan[i]))
            fail_msg("missing \"%s\" in:\n%s", want_orphan[i], o.s);
    for (size_t i = 0; i < sizeof want_top / sizeof *want_top; i++)
        if (!strstr(t.s, want_top[i]))
            fail_msg("missing \"%s\" in:\n%s", want_top[i], t.s);
    sb_free(&o);
    sb_free(&t);
    procedure_free(&p);
}

static void test_expand_missing_values(void **state)
{
    (void)state;
    static const char *const none = "<code>|<name>|<parent>|"
        "<parent_server>|<server>|<drive>|<pdc>|<servers>|<cap>";
    proc_values v = {NULL, NULL};
    char *x = procedure_expand(ALL, &v);
    assert_string_equal(x, none);
    free(x);
    x = procedure_expand(ALL, NULL);
    assert_string_equal(x, none);
    free(x);
    /* a site with empty fields; site_init's drive is C */
    site s;
    site_init(&s);
    proc_values v2 = {&s, ""};
    x = procedure_expand(ALL, &v2);
    assert_string_equal(x, "the site's code, which is not in the inventory|"
        "the site's name, which is not in the inventory|"
        "the parent site, which the site does not have|"
        "the server of a parent site, which the site does not have|"
        "the secondary site server, whose name is not in the inventory|C|"
        "the primary domain controller, whose name is not in the inventory|"
        "the CAP/DP servers, none of which is in the inventory|"
        "a CAP/DP server, and none is in the inventory");
    free(x);
    s.drive = '\0';
    x = procedure_expand("{drive}:", &v2);
    assert_string_equal(x, "the site's drive, which is not in the inventory:");
    free(x);
    /* A parent that is not in the inventory is named. */
    snprintf(s.parent, sizeof s.parent, "ZZZ");
    x = procedure_expand("on {parent_server}", &v2);
    assert_string_equal(x, "on the server of parent site ZZZ, which is not "
                           "in the inventory");
    free(x);
    /* A command that needs an unknown value is never shown with a hole. */
    proc_item it = {0};
    char *cmd[] = {"preinst /delsite:{{{code},{parent}}}", "net view \\\\{server}"};
    snprintf(it.id, sizeof it.id, "2");
    it.commands = cmd;
    it.ncommands = 2;
    snprintf(s.code, sizeof s.code, "CEN");
    s.parent[0] = '\0';
    snprintf(s.server, sizeof s.server, "SMS-CEN");
    size_t nc = 0;
    char **out = proc_item_commands(&it, &v2, &nc);
    assert_int_equal(nc, 2);
    assert_false(proc_command_ready(out[0]));
    assert_string_equal(out[0], PROC_NOT_READY "the parent site, which CEN "
                                "does not have");
    assert_true(proc_command_ready(out[1]));
    assert_string_equal(out[1], "net view \\\\SMS-CEN");
    procedure_strv_free(out);
    /* parent_server known even without a site */
    proc_values v3 = {NULL, "SRV-CEN"};
    x = procedure_expand("{parent_server}/{parent}", &v3);
    assert_string_equal(x, "SRV-CEN/<parent>");
    free(x);
}

static void test_expand_literals(void **state)
{
    (void)state;
    site s;
    make_site(&s, "", false);
    proc_values v = {&s, NULL};
    char *x = procedure_expand("{{{code}}} {{x}} }}{{", &v);
    assert_string_equal(x, "{K7Q} {x} }{");
    free(x);
    /* text that is not a template is copied as written */
    x = procedure_expand("{nope} { } {code", &v);
    assert_string_equal(x, "{nope} { } {code");
    free(x);
    x = procedure_expand(NULL, &v);
    assert_string_equal(x, "");
    free(x);
}

static const char CAP_PROC[] = HEAD
    "item 1: One\n"
    "text: t\n"
    "command: a {cap}\n"
    "command: b {code}\n"
    "command: c {cap} {{cap}}\n";

static void test_cap_repetition(void **state)
{
    (void)state;
    procedure p;
    ss_err e;
    site s;
    size_t n = 99;
    assert_int_equal(parse_str(CAP_PROC, &p, &e), 0);
    make_site(&s, "S1;S2;S3", false);
    proc_values v = {&s, NULL};
    char **c = proc_item_commands(&p.items[0], &v, &n);
    static const char *const want[] = {
        "a S1", "a S2", "a S3", "b K7Q", "c S1 {cap}", "c S2 {cap}",
        "c S3 {cap}",
    };
    assert_int_equal(n, 7);
    for (size_t i = 0; i < 7; i++)
        assert_string_equal(c[i], want[i]);
    assert_null(c[7]);
    procedure_strv_free(c);

    s.servers[0] = '\0';
    c = proc_item_commands(&p.items[0], &v, &n);
    assert_int_equal(n, 3);
    /* No CAP/DP: such a command is not ready, never shown with a hole. */
    assert_string_equal(c[0], PROC_NOT_READY "a CAP/DP server, and none is "
                                "in the inventory");
    assert_false(proc_command_ready(c[0]));
    assert_true(proc_command_ready(c[1]));
    assert_false(proc_command_ready(c[2]));
    procedure_strv_free(c);

    c = proc_item_commands(&p.items[0], NULL, NULL);
    assert_string_equal(c[0], "a <cap>");
    assert_string_equal(c[1], "b <code>");
    assert_null(c[3]);
    procedure_strv_free(c);
    procedure_strv_free(NULL);
    procedure_free(&p);
}

/* A literal "{{cap}}" alone does not repeat a command. */
static void test_cap_literal_not_repeated(void **state)
{
    (void)state;
    procedure p;
    ss_err e;
    site s;
    size_t n;
    assert_int_equal(parse_str(HEAD "item 1: x\ntext: t\n"
                               "command: echo {{cap}}\n", &p, &e), 0);
    make_site(&s, "S1;S2", false);
    proc_values v = {&s, NULL};
    char **c = proc_item_commands(&p.items[0], &v, &n);
    assert_int_equal(n, 1);
    assert_string_equal(c[0], "echo {cap}");
    procedure_strv_free(c);
    procedure_free(&p);
}

/* ---- a second procedure, written without recompiling ---- */

static const char OTHER[] =
    "# another checklist\r\n"
    "procedure: demo-2\r\n"
    "title: Another\r\n"
    "  checklist\r\n"
    "source: nowhere\r\n"
    "\r\n"
    "item A.1: First {code}\r\n"
    "text:\r\n"
    "  one\r\n"
    "\ttwo\r\n"
    "  .\r\n"
    "  # three {{not}} a comment\r\n"
    "where: on {server}\r\n"
    "caution: c1\r\n"
    "caution: c2\r\n"
    "applies: logon\r\n"
    "item b: Second\r\n"
    "text: only";

static void test_second_procedure(void **state)
{
    (void)state;
    procedure p;
    ss_err e;
    /* parsed from a buffer that is longer than len: no NUL is needed */
    char buf[sizeof OTHER + 8];
    memcpy(buf, OTHER, sizeof OTHER - 1);
    memcpy(buf + sizeof OTHER - 1, "GARBAGE", 8);
    int rc = procedure_parse(buf, sizeof OTHER - 1, "o.proc", &p, &e);
    if (rc)
        print_error("%s\n", e.msg);
    assert_int_equal(rc, 0);
    assert_string_equal(p.name, "demo-2");
    assert_string_equal(p.title, "Another checklist");
    assert_string_equal(p.source, "nowhere");
    assert_int_equal(p.nitems, 2);
    assert_string_equal(p.items[0].id, "A.1");
    assert_string_equal(p.items[0].title, "First {code}");
    assert_string_equal(p.items[0].text,
                        "one two\n\n# three {{not}} a comment");
    assert_string_equal(p.items[0].where, "on {server}");
    assert_int_equal(p.items[0].ncautions, 2);
    assert_string_equal(p.items[0].cautions[1], "c2");
    assert_int_equal(p.items[0].ncommands, 0);
    assert_int_equal(p.items[0].applies, APPLIES_LOGON);
    assert_int_equal(p.items[0].line, 7);
    assert_string_equal(p.items[1].text, "only");
    assert_null(p.items[1].where);
    assert_int_equal(p.items[1].applies, APPLIES_ALWAYS);
    assert_int_equal(procedure_find(&p, "a.1"), 0);
    assert_int_equal(procedure_find(&p, "B"), 1);
    assert_int_equal(procedure_find(&p, "c"), -1);
    assert_int_equal(procedure_find(&p, NULL), -1);
    assert_int_equal(p.textlen, sizeof OTHER - 1);
    assert_memory_equal(p.text, OTHER, sizeof OTHER - 1);
    assert_int_equal(p.text[p.textlen], '\0');
    procedure_free(&p);
}

static void test_hash_changes_with_one_byte(void **state)
{
    (void)state;
    procedure a, b, c;
    ss_err e;
    char text[] = HEAD "item 1: x\ntext: abc\n";
    char want[65];
    assert_int_equal(parse_str(text, &a, &e), 0);
    assert_int_equal(parse_str(text, &b, &e), 0);
    assert_string_equal(a.hash, b.hash);
    sha256_hex(text, strlen(text), want);
    assert_string_equal(a.hash, want);
    assert_int_equal(strlen(a.hash), 64);
    strstr(text, "abc")[1] = 'B';
    assert_int_equal(parse_str(text, &c, &e), 0);
    assert_string_not_equal(a.hash, c.hash);
    procedure_free(&a);
    procedure_free(&b);
    procedure_free(&c);
}

static void test_free_twice(void **state)
{
    (void)state;
    procedure p;
    ss_err e;
    assert_int_equal(parse_str(CAP_PROC, &p, &e), 0);
    procedure_free(&p);
    assert_null(p.items);
    assert_int_equal(p.nitems, 0);
    procedure_free(&p);
    procedure z;
    memset(&z, 0, sizeof z);
    procedure_free(&z);
    procedure_free(NULL);
}

static void test_load_missing_file(void **state)
{
    (void)state;
    procedure p;
    ss_err e = {{0}};
    assert_int_equal(procedure_load("/nonexistent/x.procedure", &p, &e), -1);
    assert_non_null(strstr(e.msg, "/nonexistent/x.procedure"));
    assert_int_equal(p.nitems, 0);
    assert_null(p.items);
}

/* ---- malformed files: one test each ---- */

static void test_err_unknown_placeholder(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext: a {site} b\n", "t.proc:4: ",
               "unknown placeholder \"{site}\" at column 9");
    /* the SMS 2.0 braces written without escapes */
    expect_err(HEAD "item 1: x\ntext: t\n\ncommand: preinst /delsite:{X,Y}\n",
               "t.proc:6: ", "unknown placeholder \"{X,Y}\"");
}

static void test_err_unbalanced_open(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext: a {code\n", "t.proc:4: ",
               "unbalanced \"{\" at column 9");
    expect_err(HEAD "item 1: x\ntext: ok\n  {{ {code {server}\n",
               "t.proc:5: ", "unbalanced \"{\"");
}

static void test_err_unbalanced_close(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: a} b\ntext: t\n", "t.proc:3: ",
               "unbalanced \"}\"");
}

static void test_err_unknown_key(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext: t\nnote: n\n", "t.proc:5: ",
               "unknown field \"note\" in item 1: expected text, where");
    expect_err("procedure: t\nauthor: me\n", "t.proc:2: ",
               "unknown header field \"author\"");
    expect_err(HEAD "item 1: x\ntext: t\ntitle: again\n", "t.proc:5: ",
               "header field \"title\" inside item 1");
    expect_err(HEAD "item 1: x\nText: t\n", "t.proc:4: ",
               "expected \"key: value\"");
}

static void test_err_field_before_item(void **state)
{
    (void)state;
    expect_err(HEAD "text: t\nitem 1: x\n", "t.proc:3: ",
               "field \"text\" before the first item");
}

static void test_err_duplicate_id(void **state)
{
    (void)state;
    expect_err(HEAD "item 4b: x\ntext: t\nitem 4B: y\ntext: t\n",
               "t.proc:5: ", "duplicate item id \"4B\": item 4b is at line 3");
}

static void test_err_duplicate_field(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext: a\ntext: b\n", "t.proc:5: ",
               "duplicate field \"text\" in item 1 (first at line 4)");
    expect_err(HEAD "item 1: x\ntext: a\nwhere: a\nwhere: b\n", "t.proc:6: ",
               "duplicate field \"where\"");
    expect_err(HEAD "item 1: x\ntext: a\napplies: logon\napplies: logon\n",
               "t.proc:6: ", "duplicate field \"applies\"");
    expect_err(HEAD "title: again\n", "t.proc:3: ",
               "duplicate field \"title\" (first at line 2)");
}

static void test_err_missing_text(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\nwhere: w\nitem 2: y\ntext: t\n", "t.proc:3: ",
               "item 1 has no \"text:\" field");
    /* the last item too */
    expect_err(HEAD "item 1: x\ntext: t\nitem 2: y\n", "t.proc:5: ",
               "item 2 has no \"text:\"");
}

static void test_err_missing_title(void **state)
{
    (void)state;
    expect_err(HEAD "item 1:   \ntext: t\n", "t.proc:3: ",
               "item 1 has no title");
    expect_err(HEAD "item 1 x\ntext: t\n", "t.proc:3: ",
               "expected \":\" right after the id");
    expect_err("procedure: t\nitem 1: x\ntext: t\n", "t.proc:2: ",
               "missing header field \"title:\"");
    expect_err("title: t\nitem 1: x\ntext: t\n", "t.proc:2: ",
               "missing header field \"procedure:\"");
}

static void test_err_bad_id(void **state)
{
    (void)state;
    expect_err(HEAD "item 4b_1: x\ntext: t\n", "t.proc:3: ",
               "item id \"4b_1\": use letters, digits and dots");
    expect_err(HEAD "item .1: x\ntext: t\n", "t.proc:3: ",
               "item id \".1\"");
    expect_err(HEAD "item 1234567890123456: x\ntext: t\n", "t.proc:3: ",
               "is 16 bytes long: at most 15");
    expect_err(HEAD "item : x\ntext: t\n", "t.proc:3: ",
               "item line without an id");
    expect_err(HEAD "item: x\n", "t.proc:3: ", "malformed item line");
}

static void test_err_continuation(void **state)
{
    (void)state;
    expect_err("  stray\n" HEAD, "t.proc:1: ",
               "continuation line with nothing to continue");
    expect_err(HEAD "item 1: x\ntext: t\n\n  more\n", "t.proc:6: ",
               "continuation line with nothing to continue");
    expect_err(HEAD "item 1: x\n  more title\ntext: t\n", "t.proc:4: ",
               "nothing to continue");
    expect_err(HEAD "item 1: x\ntext: t\napplies: logon\n  too\n",
               "t.proc:6: ", "field \"applies\" is one line");
}

static void test_err_paragraph_break(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext:\n  .\n  a\n", "t.proc:5: ",
               "paragraph break \".\" before any text");
    expect_err(HEAD "item 1: x\ntext: a\n  .\n  .\n  b\n", "t.proc:6: ",
               "two paragraph breaks");
    expect_err(HEAD "item 1: x\ntext: a\n  .\nwhere: w\n", "t.proc:5: ",
               "at the end of field \"text\"");
    expect_err(HEAD "item 1: x\ntext: a\ncommand: c\n  .\n", "t.proc:6: ",
               "paragraph break \".\" in field \"command\"");
}

static void test_err_empty_value(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext:\nwhere: w\n", "t.proc:4: ",
               "field \"text\" is empty");
    expect_err(HEAD "item 1: x\ntext: t\ncommand:   \n", "t.proc:5: ",
               "field \"command\" is empty");
}

static void test_err_applies_value(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext: t\napplies: sometimes\n", "t.proc:5: ",
               "\"sometimes\": expected always or logon");
}

static void test_err_procedure_name(void **state)
{
    (void)state;
    expect_err("procedure: two words\ntitle: t\nitem 1: x\ntext: t\n",
               "t.proc:1: ", "procedure name \"two words\"");
}

static void test_err_invalid_utf8(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext: caf\xc3(\n", "t.proc:4: ",
               "invalid UTF-8 at column 10");
    /* an overlong encoding of '/' */
    expect_err(HEAD "item 1: x\ntext: \xc0\xaf\n", "t.proc:4: ",
               "invalid UTF-8");
    /* valid UTF-8 is fine */
    procedure p;
    ss_err e;
    assert_int_equal(parse_str(HEAD "item 1: x\ntext: caf\xc3\xa9\n", &p, &e),
                     0);
    assert_string_equal(p.items[0].text, "caf\xc3\xa9");
    procedure_free(&p);
}

static void test_err_control_character(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext: a\x1b[31m\n", "t.proc:4: ",
               "control character U+001B at column 8");
    expect_err(HEAD "item 1: x\ntext: a\tb\n", "t.proc:4: ",
               "control character U+0009");
    expect_err(HEAD "item 1: x\ntext: a\rb\n", "t.proc:4: ",
               "control character U+000D");
    expect_err(HEAD "item 1: x\ntext: \xe2\x80\xae" "evil\n", "t.proc:4: ",
               "control character U+202E");
    static const char nul[] = HEAD "item 1: x\ntext: a\0b\n";
    expect_error(nul, sizeof nul - 1, "t.proc:4: ",
                 "control character U+0000");
}

static void test_err_long_line(void **state)
{
    (void)state;
    size_t n = 5000;
    char *text = xmalloc(n + 64);
    int k = snprintf(text, 64, HEAD "item 1: x\ntext: ");
    memset(text + k, 'a', n);
    strcpy(text + k + n, "\n");
    expect_err(text, "t.proc:4: ", "line is 5006 bytes long: at most 4096");
    /* 4096 bytes exactly is fine */
    procedure p;
    ss_err e;
    strcpy(text + k + 4096 - 6, "\n");
    assert_int_equal(parse_str(text, &p, &e), 0);
    procedure_free(&p);
    free(text);
}

static void test_err_empty_and_no_items(void **state)
{
    (void)state;
    expect_error("", 0, "t.proc:1: ", "empty file");
    expect_error(NULL, 0, "t.proc:1: ", "empty file");
    expect_err(HEAD "# nothing else\n\n", "t.proc:4: ", "no items");
    expect_err("\n", "t.proc:1: ", "no items");
}

/* A file saved as "UTF-8 with BOM" (Notepad, CRLF) parses; the mark is
 * kept in the text (so the hash is the file's) and named in an error at
 * the very start; UTF-16 is refused saying so. */
static void test_bom(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBFprocedure: t\r\ntitle: T\r\n"
                               "item 1: One\r\ntext: first\r\n";
    procedure p;
    ss_err e;
    assert_int_equal(parse_str(text, &p, &e), 0);
    assert_string_equal(p.name, "t");
    assert_int_equal(p.nitems, 1);
    assert_int_equal(p.textlen, strlen(text));
    procedure_free(&p);
    expect_err("\xEF\xBB\xBF procedure: t\n", "t.proc:1: ", "byte-order mark");
    expect_err("\xEF\xBB\xBF", "t.proc:1: ", "empty file");
    expect_err("\xEF\xBB\xBF", "t.proc:1: ", "byte-order mark");
    expect_error("\xFF\xFEp\0r\0", 6, "t.proc:1: ", "UTF-16");
    /* Only at the very start is it named. */
    expect_err("\xEF\xBB\xBFprocedure: t\ntitle: T\nbogus\n", "t.proc:3: ",
               "expected");
    procedure q;
    assert_int_equal(parse_str("\xEF\xBB\xBFprocedure: t\ntitle: T\nbogus\n",
                               &q, &e), -1);
    assert_null(strstr(e.msg, "byte-order"));
}

static void test_err_cap_outside_command(void **state)
{
    (void)state;
    expect_err(HEAD "item 1: x\ntext: on {cap}\n", "t.proc:4: ",
               "placeholder {cap} at column 10 outside a command");
    expect_err(HEAD "item 1: x\ntext: t\nwhere: w\n  {cap}\n", "t.proc:6: ",
               "{cap}");
    expect_err(HEAD "item 1: x {cap}\ntext: t\n", "t.proc:3: ",
               "outside a command");
    expect_err(HEAD "item 1: x\ntext: t\ncaution: {cap}\n", "t.proc:5: ",
               "outside a command");
}

/* What changed between the version a run pinned and the file now. */
static void test_drift(void **state)
{
    (void)state;
    static const char a[] = "procedure: d\ntitle: D\n"
        "item 1: One\ntext: a\nitem 2: Two\ntext: b\ncommand: x\n"
        "item 3: Three\ntext: c\n";
    static const char b[] = "procedure: d\ntitle: D\n"
        "item 1: One\ntext: a\nitem 2: Two\ntext: b\ncommand: y\n"
        "item 4: Four\ntext: d\n";
    static const char c[] = "# a comment\nprocedure: d\ntitle: D\n"
        "item 1: One\ntext: a\nitem 2: Two\ntext: b\ncommand: x\n"
        "item 3: Three\ntext: c\n";
    procedure pa, pb, pc;
    ss_err e;
    assert_int_equal(procedure_parse(a, strlen(a), "a", &pa, &e), 0);
    assert_int_equal(procedure_parse(b, strlen(b), "b", &pb, &e), 0);
    assert_int_equal(procedure_parse(c, strlen(c), "c", &pc, &e), 0);
    assert_null(procedure_drift(&pa, &pa));
    char *d = procedure_drift(&pa, &pb);
    assert_string_equal(d, "2 changed, 3 removed, 4 added");
    free(d);
    d = procedure_drift(&pa, &pc);
    assert_string_equal(d, "no item changed (only comments, order or the header)");
    free(d);
    procedure_free(&pa);
    procedure_free(&pb);
    procedure_free(&pc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_file_items),
        cmocka_unit_test(test_data_file_hash_and_text),
        cmocka_unit_test(test_data_file_logon_item),
        cmocka_unit_test(test_data_file_preinst_commands),
        cmocka_unit_test(test_data_file_fills_everything),
        cmocka_unit_test(test_expand_every_placeholder),
        cmocka_unit_test(test_expand_missing_values),
        cmocka_unit_test(test_data_file_unknown_values_read_plainly),
        cmocka_unit_test(test_expand_literals),
        cmocka_unit_test(test_cap_repetition),
        cmocka_unit_test(test_cap_literal_not_repeated),
        cmocka_unit_test(test_second_procedure),
        cmocka_unit_test(test_hash_changes_with_one_byte),
        cmocka_unit_test(test_free_twice),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_err_unknown_placeholder),
        cmocka_unit_test(test_err_unbalanced_open),
        cmocka_unit_test(test_err_unbalanced_close),
        cmocka_unit_test(test_err_unknown_key),
        cmocka_unit_test(test_err_field_before_item),
        cmocka_unit_test(test_err_duplicate_id),
        cmocka_unit_test(test_err_duplicate_field),
        cmocka_unit_test(test_err_missing_text),
        cmocka_unit_test(test_err_missing_title),
        cmocka_unit_test(test_err_bad_id),
        cmocka_unit_test(test_err_continuation),
        cmocka_unit_test(test_err_paragraph_break),
        cmocka_unit_test(test_err_empty_value),
        cmocka_unit_test(test_err_applies_value),
        cmocka_unit_test(test_err_procedure_name),
        cmocka_unit_test(test_err_invalid_utf8),
        cmocka_unit_test(test_err_control_character),
        cmocka_unit_test(test_err_long_line),
        cmocka_unit_test(test_err_empty_and_no_items),
        cmocka_unit_test(test_err_cap_outside_command),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_drift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
