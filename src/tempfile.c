/* tempfile.c - see tempfile.h. The handler calls only unlink, rmdir,
 * write, sigaction, sigprocmask and raise (async-signal-safe); the table is
 * changed with those signals blocked, so it never sees one half made. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tempfile.h"

#define SLOTS 16
#define PATH_BYTES 4300

static struct {
    volatile sig_atomic_t used;
    bool dir;
    bool keep;          /* tempfile_note: not removed, note written */
    size_t note_len;
    char note[1001];
    char path[PATH_BYTES];
} slots[SLOTS];

static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
                           SIGUSR1, SIGUSR2, SIGALRM};
#define NSIGS (sizeof sigs / sizeof sigs[0])
static struct sigaction saved[NSIGS];
static bool installed[NSIGS];
static int nused;

static void remove_all(void)
{
    for (int i = SLOTS - 1; i >= 0; i--)
        if (slots[i].used) {
            if (slots[i].keep) {
                if (slots[i].note_len) {
                    ssize_t w = write(2, slots[i].note, slots[i].note_len);
                    (void)w; /* nothing more to do in a handler */
                }
            } else if (slots[i].dir)
                rmdir(slots[i].path);
            else
                unlink(slots[i].path);
            slots[i].used = 0;
        }
}

static void on_signal(int sig)
{
    remove_all();
    /* Die of the signal itself: the default action, unblocked. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    raise(sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    _exit(128 + sig); /* not reached */
}

static void block(sigset_t *old)
{
    sigset_t all;
    sigemptyset(&all);
    for (size_t i = 0; i < NSIGS; i++)
        sigaddset(&all, sigs[i]);
    sigprocmask(SIG_BLOCK, &all, old);
}

/* tempfile_register, and tempfile_note (note: the slot only says it). */
static int take_slot(const char *path, bool dir, const char *note)
{
    if (!path || strlen(path) >= PATH_BYTES)
        return -1;
    sigset_t old;
    block(&old);
    int slot = -1;
    for (int i = 0; i < SLOTS && slot < 0; i++)
        if (!slots[i].used)
            slot = i;
    if (slot >= 0) {
        snprintf(slots[slot].path, sizeof slots[slot].path, "%s", path);
        slots[slot].dir = dir;
        slots[slot].keep = note != NULL;
        snprintf(slots[slot].note, sizeof slots[slot].note, "%s",
                 note ? note : "");
        slots[slot].note_len = strlen(slots[slot].note);
        slots[slot].used = 1;
        if (nused++ == 0) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_signal;
            sigemptyset(&sa.sa_mask);
            for (size_t i = 0; i < NSIGS; i++)
                sigaddset(&sa.sa_mask, sigs[i]);
            for (size_t i = 0; i < NSIGS; i++) {
                installed[i] = false;
                if (sigaction(sigs[i], NULL, &saved[i]) != 0 ||
                    (saved[i].sa_flags & SA_SIGINFO) ||
                    saved[i].sa_handler != SIG_DFL)
                    continue;
                installed[i] = sigaction(sigs[i], &sa, NULL) == 0;
            }
        }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return slot;
}

int tempfile_register(const char *path, bool dir)
{
    return take_slot(path, dir, NULL);
}

int tempfile_note(const char *note)
{
    return take_slot("", false, note ? note : "");
}

void tempfile_forget(int slot)
{
    if (slot < 0 || slot >= SLOTS)
        return;
    sigset_t old;
    block(&old);
    if (slots[slot].used) {
        slots[slot].used = 0;
        if (--nused == 0)
            for (size_t i = 0; i < NSIGS; i++)
                if (installed[i]) {
                    sigaction(sigs[i], &saved[i], NULL);
                    installed[i] = false;
                }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}
