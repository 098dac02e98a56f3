/* test_faults.c - I/O faults at the storage layer. A test VFS wraps the
 * default one (as SQLite's own tests do) and fails the Nth write, sync or
 * lock with "disk full", "I/O error" or "busy". For every N until the
 * confirmation gets through, the test proves: the failure is reported
 * plainly with the journal's path, the item stays open, the journal still
 * verifies, and the next confirmation works once the fault is gone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "journal.h"

/* ---- the fault VFS ---- */

typedef enum fault_op { OP_NONE, OP_WRITE, OP_SYNC, OP_LOCK } fault_op;

static struct {
    fault_op op;   /* which operation fails */
    int countdown; /* fails when this reaches 0 */
    int err;       /* the SQLite error to return */
    int hits;      /* faults injected */
} fault;

typedef struct fault_file {
    sqlite3_file base;   /* our methods */
    sqlite3_file *real;  /* the wrapped file, allocated right after us */
} fault_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;

static bool fire(fault_op op)
{
    if (fault.op != op || fault.countdown < 0)
        return false;
    if (fault.countdown-- > 0)
        return false;
    fault.hits++;
    return true;
}

#define REAL(f) (((fault_file *)(f))->real)

static int f_close(sqlite3_file *f)
{
    return REAL(f)->pMethods->xClose(REAL(f));
}
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    return REAL(f)->pMethods->xRead(REAL(f), b, n, o);
}
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    if (fire(OP_WRITE))
        return fault.err;
    return REAL(f)->pMethods->xWrite(REAL(f), b, n, o);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 n)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), n);
}
static int f_sync(sqlite3_file *f, int flags)
{
    if (fire(OP_SYNC))
        return fault.err;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *n)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), n);
}
static int f_lock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int f_unlock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int f_reserved(sqlite3_file *f, int *r)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r);
}
static int f_control(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int f_devchar(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int f_shmmap(sqlite3_file *f, int pg, int sz, int ext, void volatile **p)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, p);
}
/* In WAL mode the write lock is a shared-memory lock: fail exclusive ones. */
static int f_shmlock(sqlite3_file *f, int off, int n, int flags)
{
    if ((flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE) && fire(OP_LOCK))
        return fault.err;
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void f_shmbarrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int f_shmunmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int f_fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **p)
{
    return REAL(f)->pMethods->xFetch(REAL(f), o, n, p);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 o, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), o, p);
}

static const sqlite3_io_methods fault_methods = {
    3, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock,
    f_unlock, f_reserved, f_control, f_sector, f_devchar, f_shmmap,
    f_shmlock, f_shmbarrier, f_shmunmap, f_fetch, f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
                  int flags, int *out_flags)
{
    (void)vfs;
    fault_file *ff = (fault_file *)file;
    ff->real = (sqlite3_file *)&ff[1];
    int rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
    file->pMethods = rc == SQLITE_OK && ff->real->pMethods ? &fault_methods : NULL;
    return rc;
}

static int v_delete(sqlite3_vfs *v, const char *n, int s)
{
    (void)v;
    return real_vfs->xDelete(real_vfs, n, s);
}
static int v_access(sqlite3_vfs *v, const char *n, int f, int *r)
{
    (void)v;
    return real_vfs->xAccess(real_vfs, n, f, r);
}
static int v_fullpath(sqlite3_vfs *v, const char *n, int k, char *o)
{
    (void)v;
    return real_vfs->xFullPathname(real_vfs, n, k, o);
}
static void *v_dlopen(sqlite3_vfs *v, const char *n)
{
    (void)v;
    return real_vfs->xDlOpen(real_vfs, n);
}
static void v_dlerror(sqlite3_vfs *v, int n, char *m)
{
    (void)v;
    real_vfs->xDlError(real_vfs, n, m);
}
static void (*v_dlsym(sqlite3_vfs *v, void *h, const char *s))(void)
{
    (void)v;
    return real_vfs->xDlSym(real_vfs, h, s);
}
static void v_dlclose(sqlite3_vfs *v, void *h)
{
    (void)v;
    real_vfs->xDlClose(real_vfs, h);
}
static int v_random(sqlite3_vfs *v, int n, char *o)
{
    (void)v;
    return real_vfs->xRandomness(real_vfs, n, o);
}
static int v_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}
static int v_time(sqlite3_vfs *v, double *t)
{
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, t);
}
static int v_lasterr(sqlite3_vfs *v, int n, char *m)
{
    (void)v;
    return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, m) : 0;
}
static int v_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, t);
}

static void install_fault_vfs(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    fault_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(fault_file) + real_vfs->szOsFile,
        .mxPathname = real_vfs->mxPathname,
        .zName = "fault",
        .xOpen = v_open, .xDelete = v_delete, .xAccess = v_access,
        .xFullPathname = v_fullpath, .xDlOpen = v_dlopen,
        .xDlError = v_dlerror, .xDlSym = v_dlsym, .xDlClose = v_dlclose,
        .xRandomness = v_random, .xSleep = v_sleep,
        .xCurrentTime = v_time, .xGetLastError = v_lasterr,
        .xCurrentTimeInt64 = v_time64,
    };
    sqlite3_vfs_register(&fault_vfs, 1);
}

/* ---- the tests ---- */

static const char proc_text[] =
    "procedure: t\ntitle: T\n"
    "item 1: One\ntext: a\n"
    "item 2: Two\ntext: b\n"
    "item 3: Three\ntext: c\n";

typedef struct fx {
    char dir[64];
    char path[96];
    journal *j;
    procedure p;
} fx;

static int setup(void **state)
{
    fx *f = xcalloc(1, sizeof *f);
    if (fx_tmpdir(f->dir, sizeof f->dir, "faults"))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/journal.db", f->dir);
    ss_err e;
    if (procedure_parse(proc_text, strlen(proc_text), "t", &f->p, &e) ||
        journal_open(f->path, &f->j, &e))
        return -1;
    site s;
    site_init(&s);
    if (site_set_field(&s, FIELD_CODE, "K7Q", &e) ||
        site_set_field(&s, FIELD_PARENT, "CEN", &e) ||
        site_set_field(&s, FIELD_SERVER, "SRV-K7Q", &e))
        return -1;
    inventory inv = {&s, 1, NULL};
    if (journal_import(f->j, &inv, "t.csv", NULL, &e))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    fault.op = OP_NONE;
    journal_close(f->j);
    procedure_free(&f->p);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* The state of item idx of K7Q's open run; ITEM_OPEN when no run is open. */
static item_state item_now(fx *f, size_t idx)
{
    run_view rv;
    ss_err e;
    int rc = journal_run_current(f->j, "K7Q", &rv, &e);
    assert_true(rc == 0 || rc == JOURNAL_NOTFOUND);
    if (rc)
        return ITEM_OPEN;
    item_state s = rv.st.state[idx];
    run_view_free(&rv);
    return s;
}

/* Fails the Nth op for N = 0, 1, ... until a confirmation gets through,
 * checking the promises after each failure. Returns how many failed. */
static int sweep(fx *f, fault_op op, int err, const char *says)
{
    int failures = 0;
    for (int n = 0; n < 200; n++) {
        ss_err e = {{0}};
        mark_result r;
        int64_t before, after;
        assert_int_equal(journal_event_count(f->j, &before, &e), 0);
        fault.op = op;
        fault.countdown = n;
        fault.err = err;
        fault.hits = 0;
        int rc = journal_mark(f->j, "K7Q", "1", OUT_DONE, NULL, &f->p, &r, &e);
        bool hit = fault.hits > 0;
        fault.op = OP_NONE;
        if (rc == 0) {
            /* Got through: either no fault was hit, or SQLite recovered
             * from it (a retried lock); either way it is recorded once. */
            assert_int_equal(item_now(f, 0), ITEM_DONE);
            assert_int_equal(journal_event_count(f->j, &after, &e), 0);
            assert_true(after > before);
            if (!hit) {
                print_message("  fault %d: %d injected faults refused the "
                              "confirmation cleanly\n", op, failures);
                return failures;
            }
            /* Undo for the next round: a recorded reopen. */
            assert_int_equal(journal_mark(f->j, "K7Q", "1", OUT_REOPENED, NULL,
                                          &f->p, &r, &e), 0);
            continue;
        }
        failures++;
        if (failures == 1)
            print_message("  fault %d: %s\n", op, e.msg);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(e.msg, f->path));
        if (!strstr(e.msg, says))
            fail_msg("fault %d #%d: message \"%s\" lacks \"%s\"", op, n, e.msg, says);
        /* Nothing of the failed confirmation is in the journal. */
        assert_int_equal(item_now(f, 0), ITEM_OPEN);
        assert_int_equal(journal_event_count(f->j, &after, &e), 0);
        assert_int_equal(after, before);
        verify_result v;
        assert_int_equal(journal_verify(f->j, &v, &e), 0);
    }
    fail_msg("the confirmation never got through");
    return failures;
}

/* After the sweep the journal works as before: close, reopen, verify,
 * record the next item. */
static void still_works(fx *f)
{
    ss_err e;
    journal_close(f->j);
    assert_int_equal(journal_open(f->path, &f->j, &e), 0);
    verify_result v;
    assert_int_equal(journal_verify(f->j, &v, &e), 0);
    mark_result r;
    assert_int_equal(journal_mark(f->j, "K7Q", "2", OUT_DONE, NULL, &f->p, &r, &e), 0);
    assert_int_equal(item_now(f, 1), ITEM_DONE);
}

static void test_disk_full_on_write(void **state)
{
    fx *f = *state;
    assert_true(sweep(f, OP_WRITE, SQLITE_FULL, "disk is full") > 0);
    still_works(f);
}

static void test_io_error_on_write(void **state)
{
    fx *f = *state;
    assert_true(sweep(f, OP_WRITE, SQLITE_IOERR_WRITE, "I/O error") > 0);
    still_works(f);
}

static void test_io_error_on_sync(void **state)
{
    fx *f = *state;
    assert_true(sweep(f, OP_SYNC, SQLITE_IOERR_FSYNC, "I/O error") > 0);
    still_works(f);
}

static void test_busy_on_lock(void **state)
{
    fx *f = *state;
    /* A lock refused once is retried by the busy handler and succeeds. */
    sweep(f, OP_LOCK, SQLITE_BUSY, "locked");
    still_works(f);
}

int main(void)
{
    install_fault_vfs();
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_disk_full_on_write),
        T(test_io_error_on_write),
        T(test_io_error_on_sync),
        T(test_busy_on_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
