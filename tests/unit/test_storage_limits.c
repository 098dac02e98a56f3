/* test_storage_limits.c - what a file under 1 MiB may cost: procedure
 * expansion limits (checked with file:line when a file is loaded; a
 * procedure pinned before them still parses and expands cut, in bounded
 * memory), linear parsing of a 46,656-item file, and the command-line
 * text and file-type checks of util.c. Run from the repository root. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "procedure.h"
#include "site.h"
#include "text.h"
#include "util.h"

#define HEAD "procedure: t\ntitle: Test\n"

/* A site with the longest values a site may hold. */
static void big_site(site *s)
{
    site_init(s);
    strcpy(s->code, "K7Q");
    memset(s->name, 'n', SITE_NAME_MAX);
    s->name[SITE_NAME_MAX] = '\0';
    strcpy(s->parent, "CEN");
    strcpy(s->server, "SRV-K7Q");
    s->drive = 'D';
    /* "c0000;c0001;..." up to SITE_SERVERS_MAX bytes */
    size_t n = 0;
    for (int i = 0; n + 6 <= SITE_SERVERS_MAX; i++)
        n += (size_t)snprintf(s->servers + n, SITE_SERVERS_MAX + 1 - n,
                              "%sc%04d", i ? ";" : "", i);
    strcpy(s->pdc, "PDC01");
}

/* Writes text to a fresh temporary file; returns its path (free it). */
static char *temp_file(const char *text, size_t len)
{
    char *path = xstrdup("/tmp/ss-limits-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* A command made of many continuation lines full of {servers}. */
static char *servers_bomb(size_t lines)
{
    strbuf b = {0};
    sb_puts(&b, HEAD "item 1: One\ntext: t\ncommand: echo\n");
    for (size_t i = 0; i < lines; i++)
        sb_puts(&b, "  {servers}{servers}{servers}{servers}{servers}\n");
    sb_puts(&b, "item 2: Two\ntext: t\n");
    return sb_take(&b);
}

static void test_command_limit_names_file_and_line(void **state)
{
    (void)state;
    char *text = servers_bomb(2000); /* ~100 KB: worst case ~15 MB */
    char *path = temp_file(text, strlen(text));
    procedure p;
    ss_err e = {""};
    assert_int_equal(procedure_load(path, &p, &e), -1);
    char *want = xasprintf("%s:5: item 1: this command can expand to ", path);
    if (strncmp(e.msg, want, strlen(want)) != 0)
        print_error("message: %s\n", e.msg);
    assert_memory_equal(e.msg, want, strlen(want));
    assert_non_null(strstr(e.msg, "at most 16384"));
    assert_null(p.items);
    free(want);
    unlink(path);
    free(path);
    free(text);
}

static void test_pinned_oversize_item_expands_cut(void **state)
{
    (void)state;
    /* As a journal re-reads a procedure pinned before the limits. */
    char *text = servers_bomb(4000);
    procedure p;
    ss_err e = {""};
    assert_int_equal(procedure_parse(text, strlen(text), "pinned", &p, &e), 0);
    assert_true(proc_item_too_big(&p.items[0]));
    assert_false(proc_item_too_big(&p.items[1]));
    assert_int_equal(procedure_check_limits(&p, "pinned", &e), -1);
    assert_non_null(strstr(e.msg, "pinned:5: item 1:"));
    site s;
    big_site(&s);
    proc_values v = {&s, "SMS-CEN01"};
    size_t n;
    char **cmds = proc_item_commands(&p.items[0], &v, &n);
    assert_int_equal(n, 1);
    /* Uncut it would be ~20,000 x 1.5 KB = 30 MB. */
    assert_true(strlen(cmds[0]) < PROC_COMMAND_EXPANDED_MAX + 64);
    assert_non_null(strstr(cmds[0], "[cut: expands beyond 16384 bytes]"));
    procedure_strv_free(cmds);
    procedure_free(&p);
    free(text);
}

static void test_cap_commands_count_once_per_cap(void **state)
{
    (void)state;
    /* 40 {cap} commands of ~6 KB worst each, x 512 CAP/DPs. */
    strbuf b = {0};
    sb_puts(&b, HEAD "item 1: One\ntext: t\n");
    for (int i = 0; i < 40; i++) {
        sb_puts(&b, "command: rd \\\\{cap}\\x");
        for (int k = 0; k < 4; k++)
            sb_puts(&b, "{servers}");
        sb_putc(&b, '\n');
    }
    char *text = sb_take(&b);
    char *path = temp_file(text, strlen(text));
    procedure p;
    ss_err e = {""};
    assert_int_equal(procedure_load(path, &p, &e), -1);
    assert_non_null(strstr(e.msg, ":3: item 1 can expand to "));
    assert_non_null(strstr(e.msg, "at most 262144"));
    /* Pinned: the commands stop at the item limit, saying so. */
    assert_int_equal(procedure_parse(text, strlen(text), "pinned", &p, &e), 0);
    site s;
    big_site(&s);
    proc_values v = {&s, NULL};
    size_t n, total = 0;
    char **cmds = proc_item_commands(&p.items[0], &v, &n);
    for (size_t i = 0; i < n; i++)
        total += strlen(cmds[i]);
    assert_true(total < PROC_ITEM_EXPANDED_MAX + PROC_COMMAND_EXPANDED_MAX + 128);
    assert_non_null(strstr(cmds[n - 1], "[cut: the commands of item 1"));
    procedure_strv_free(cmds);
    procedure_free(&p);
    unlink(path);
    free(path);
    free(text);
}

static void test_total_limit(void **state)
{
    (void)state;
    /* Many items, each under the item limit, together over 16 MiB. */
    strbuf b = {0};
    sb_puts(&b, HEAD);
    for (int i = 0; i < 2000; i++)
        sb_printf(&b, "item %d: x\ntext: {servers}{servers}{servers}"
                      "{servers}{servers}{servers}\n", i);
    char *text = sb_take(&b);
    char *path = temp_file(text, strlen(text));
    procedure p;
    ss_err e = {""};
    assert_int_equal(procedure_load(path, &p, &e), -1);
    assert_non_null(strstr(e.msg, "at most 16777216 in all"));
    unlink(path);
    free(path);
    free(text);
}

static void test_bundled_procedure_within_limits(void **state)
{
    (void)state;
    procedure p;
    ss_err e = {""};
    assert_int_equal(procedure_load("data/q287717.procedure", &p, &e), 0);
    for (size_t i = 0; i < p.nitems; i++)
        assert_false(proc_item_too_big(&p.items[i]));
    procedure_free(&p);
}

/* Every three-character id: 46,656 items in under 1 MiB. */
static char *many_items(void)
{
    static const char al[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    strbuf b = {0};
    sb_puts(&b, HEAD);
    for (int i = 0; i < 36 * 36 * 36; i++)
        sb_printf(&b, "item %c%c%c: t\ntext: x\n", al[i / 1296],
                  al[i / 36 % 36], al[i % 36]);
    return sb_take(&b);
}

static void test_46656_items_parse_linear(void **state)
{
    (void)state;
    char *text = many_items();
    assert_true(strlen(text) < 1024 * 1024);
    procedure p;
    ss_err e = {""};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(procedure_parse(text, strlen(text), "many", &p, &e), 0);
    assert_int_equal(p.nitems, 46656);
    /* Every id is found (binary search), in any case. */
    for (size_t i = 0; i < p.nitems; i++)
        assert_int_equal(procedure_find(&p, p.items[i].id), (int)i);
    assert_int_equal(procedure_find(&p, "ZZZ"), 46655);
    assert_int_equal(procedure_find(&p, "zzzz"), -1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* A figure for the log, not an assertion. */
    printf("46656 items: parse and find each in %.3f s\n",
           (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    procedure_free(&p);
    /* A duplicate (ignoring case) is still found, at its own line. */
    strbuf b = {0};
    sb_puts(&b, text);
    sb_puts(&b, "item A0B: again\ntext: y\n");
    assert_int_equal(procedure_parse(b.s, b.len, "many", &p, &e), -1);
    assert_non_null(strstr(e.msg, "many:93315: duplicate item id \"A0B\": "
                                  "item a0b is at line "));
    sb_free(&b);
    free(text);
}

/* text_rule_check on a whole NUL-terminated string, as cli checks --note
 * and --operator (text.h). */
static int rule(const char *s, bool multiline, char why[160])
{
    return text_rule_check(s, strlen(s), multiline, TEXT_NOTE_MAX, why, 160);
}

static void test_text_rule_check_cli(void **state)
{
    (void)state;
    struct { char msg[160]; } e = {""};
    assert_int_equal(rule("café 東京 ok", true, e.msg), 0);
    assert_int_equal(rule("", true, e.msg), 0);
    assert_int_equal(rule("a\xff", true, e.msg), 1);
    assert_string_equal(e.msg, "not valid UTF-8 (byte 0xFF at byte 2)");
    assert_int_equal(rule("\xc0\xaf", true, e.msg), 1);
    assert_int_equal(rule("\xed\xa0\x80", true, e.msg), 1); /* surrogate */
    assert_int_equal(rule("a\nb", false, e.msg), 1);
    assert_non_null(strstr(e.msg, "control or bidirectional "
                                  "character U+000A at byte 2"));
    assert_int_equal(rule("x\xe2\x80\xae", true, e.msg), 1);
    assert_non_null(strstr(e.msg, "U+202E at byte 2"));
    assert_int_equal(rule("\xc2\x9b", true, e.msg), 1); /* C1 CSI */
    /* A note may hold several lines; CR and other controls stay refused. */
    assert_int_equal(rule("line 1\nline 2", true, e.msg), 0);
    assert_int_equal(rule("line 1\r\nline 2", true, e.msg), 1);
    assert_non_null(strstr(e.msg, "U+000D at byte 7"));
    assert_int_equal(rule("a\tb", true, e.msg), 1);
}

/* A reason must show something: spaces, separators and zero-width or
 * format characters alone do not. */
static void test_text_has_visible(void **state)
{
    (void)state;
    static const char *const blank[] = {
        "", " ", " \t\n", "\xe2\x80\x8b" /* U+200B */,
        "\xef\xbb\xbf" /* U+FEFF */, "\xe3\x80\x80" /* U+3000 */,
        "\xc2\xa0" /* U+00A0 */, "\xe2\x80\xa8\xe2\x80\xa9" /* U+2028/9 */,
        "\xe2\x81\xa0 \xe2\x80\x8d" /* U+2060, U+200D */,
        "\xc2\xad" /* soft hyphen */, "\xe3\x85\xa4" /* U+3164 filler */,
        "\xf3\xa0\x80\x81" /* U+E0001 tag */, "\xef\xb8\x8f" /* VS16 */,
    };
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++)
        assert_false(text_has_visible(blank[i]));
    assert_true(text_has_visible("x"));
    assert_true(text_has_visible("\xe2\x80\x8b." ));
    assert_true(text_has_visible("\xe6\x9d\xb1")); /* 東 */
    assert_true(text_has_visible(" \xc3\xa9 ")); /* é */
    assert_true(text_has_visible("\xff")); /* shown escaped */
}

static void test_open_regular_refuses_what_is_not_a_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/ss-limits-dir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *fifo = xasprintf("%s/fifo", dir), *link = xasprintf("%s/link", dir);
    char *file = xasprintf("%s/file", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(symlink("nowhere", link), 0);
    ss_err e = {""};
    /* A FIFO with no writer: refused, not blocked on. */
    assert_int_equal(file_open_regular(fifo, O_RDONLY, "journal", &e), -1);
    assert_non_null(strstr(e.msg, "is a FIFO (named pipe), not a file "
                                  "(the journal must be a regular file)"));
    assert_int_equal(file_open_regular(dir, O_RDONLY, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "is a directory, not a file"));
    assert_int_equal(file_open_regular("/dev/null", O_RDONLY, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "is a character device"));
    assert_int_equal(file_open_regular(link, O_RDONLY, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "is a symbolic link to nowhere, which does "
                                  "not exist"));
    assert_int_equal(file_open_regular(file, O_RDONLY, NULL, &e), -1);
    assert_int_equal(errno, ENOENT);
    char *data;
    size_t len;
    assert_int_equal(read_file(fifo, &data, &len, 100, &e), -1);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("hello", f);
    fclose(f);
    assert_int_equal(read_file(file, &data, &len, 100, &e), 0);
    assert_string_equal(data, "hello");
    free(data);
    unlink(fifo);
    unlink(link);
    unlink(file);
    rmdir(dir);
    free(fifo);
    free(link);
    free(file);
}

/* Reads a whole file for comparison; *n its size. */
static char *slurp(const char *path, size_t *n)
{
    char *data;
    ss_err e;
    assert_int_equal(read_file(path, &data, n, 1 << 24, &e), 0);
    return data;
}

static void test_journal_open_leaves_foreign_files_alone(void **state)
{
    (void)state;
    char dir[] = "/tmp/ss-limits-j-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *db = xasprintf("%s/other.db", dir);
    char *cmd = xasprintf("sqlite3 %s 'PRAGMA journal_mode = WAL; CREATE "
                          "TABLE t(x); INSERT INTO t VALUES(1);' >/dev/null",
                          db);
    assert_int_equal(system(cmd), 0);
    size_t n0, n1;
    char *before = slurp(db, &n0);
    journal *j = NULL;
    ss_err e = {""};
    assert_int_equal(journal_open(db, &j, &e), -1);
    assert_null(j);
    assert_non_null(strstr(e.msg, "not a sitesweep journal (a SQLite "
                                  "database of another program); nothing "
                                  "was changed"));
    char *after = slurp(db, &n1);
    assert_int_equal(n0, n1);
    assert_memory_equal(before, after, n0);
    /* Names that are not files. */
    assert_int_equal(journal_open(":memory:", &j, &e), -1);
    assert_non_null(strstr(e.msg, "in-memory database"));
    assert_int_equal(journal_open("file:x.db?mode=memory", &j, &e), -1);
    assert_non_null(strstr(e.msg, "is a SQLite URI"));
    assert_int_equal(journal_open("", &j, &e), -1);
    char *fifo = xasprintf("%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(journal_open(fifo, &j, &e), -1);
    assert_non_null(strstr(e.msg, "is a FIFO (named pipe), not a file"));
    assert_int_equal(journal_open("/dev/null", &j, &e), -1);
    assert_int_equal(access("/dev/null-journal", F_OK), -1);
    /* A journal of ours opens, through a link too. */
    char *mine = xasprintf("%s/mine.db", dir), *link = xasprintf("%s/l.db", dir);
    assert_int_equal(journal_open(mine, &j, &e), 0);
    journal_close(j);
    assert_int_equal(symlink(mine, link), 0);
    assert_int_equal(journal_open(link, &j, &e), 0);
    journal_close(j);
    free(before);
    free(after);
    snprintf(e.msg, sizeof e.msg, "rm -rf %s", dir);
    assert_int_equal(system(e.msg), 0);
    free(db);
    free(cmd);
    free(fifo);
    free(mine);
    free(link);
}

static void test_disk_full_hint(void **state)
{
    (void)state;
    char buf[256];
    /* /tmp has room (the suite could not run otherwise): no hint. */
    assert_string_equal(disk_full_hint("/tmp/no-such-file", buf, sizeof buf), "");
    assert_string_equal(disk_full_hint("relative-name", buf, sizeof buf), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_limit_names_file_and_line),
        cmocka_unit_test(test_pinned_oversize_item_expands_cut),
        cmocka_unit_test(test_cap_commands_count_once_per_cap),
        cmocka_unit_test(test_total_limit),
        cmocka_unit_test(test_bundled_procedure_within_limits),
        cmocka_unit_test(test_46656_items_parse_linear),
        cmocka_unit_test(test_text_rule_check_cli),
        cmocka_unit_test(test_text_has_visible),
        cmocka_unit_test(test_open_regular_refuses_what_is_not_a_file),
        cmocka_unit_test(test_journal_open_leaves_foreign_files_alone),
        cmocka_unit_test(test_disk_full_hint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
