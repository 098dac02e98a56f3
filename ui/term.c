/* term.c - curses set-up and teardown, colours, input, signals. */
#include "term.h"

#include <ctype.h>
#include <errno.h>
#include <langinfo.h>
#include <nettle/base64.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "keys.h"

/* Key codes curses returns for the bracketed-paste markers (define_key);
 * above every code curses assigns itself. */
#define KEY_PASTE_BEGIN 0x7E00
#define KEY_PASTE_END 0x7E01
/* Key codes of esc_split: a whole escape sequence curses does not know
 * (it does nothing), and one whose rest never came (discarded). */
#define KEY_SEQ_DROPPED 0x7E02
#define KEY_SEQ_PARTIAL 0x7E03
/* A key the console binds nowhere, known by name (seq_name): Alt and a
 * key, a key with modifiers. */
#define KEY_SEQ_NAMED 0x7E04
/* Quiet reads (250 ms each) of an open paste before the console says a
 * paste is in progress and Esc cancels it. Only what is shown depends on
 * it: a paste ends only with its end marker, however long it pauses. */
#define PASTE_NOTICE_WAITS 4
/* How long curses waits for the rest of an escape sequence (set_escdelay);
 * a read of input already waiting uses it so that a marker is read whole. */
#define ESC_WAIT_MS 25
/* Reads in a row that find input waiting but get none (end of file)
 * before the terminal is taken as lost. */
#define LOST_READS 3
/* How long a lone Esc waits for the rest of an escape sequence that a
 * slow link (ssh, a busy terminal) split after the ESC: a paste's start
 * marker ESC[200~ must not become Esc and the keys "[200~". Longer than
 * such a split (tens of ms), short enough that a real Esc still acts at
 * once to the operator. Only a lone ESC with nothing behind it waits. */
#define ESC_SPLIT_MS 150
/* How long each next part of an escape sequence that has begun (ESC [, a
 * C1 introducer, ESC O B, ESC ] 0) may take after the part before it: a
 * split paste marker (ESC[ ... 20 ... 0 ... ~) must never become Esc and
 * keys, however busy the link; a human's Esc is ESC alone and still acts
 * after ESC_SPLIT_MS. */
#define ESC_SEQ_MS 1500
/* The longest a whole escape sequence may take, however its parts come:
 * a trickle of parts never holds the keyboard longer. */
#define ESC_SEQ_MAX_MS 6000
/* After the operator stopped waiting for the rest of a cancelled paste
 * (a second Esc), a late rest may still come, in any number of reads:
 * input is discarded (the status line says so) until its end marker
 * comes, or until PASTE_GUARD_QUIET_MS pass without any input, and never
 * for more than PASTE_GUARD_MAX_MS after the Esc, so that a rest that
 * never comes cannot eat the operator's keys for long. */
#define PASTE_GUARD_QUIET_MS 1500
#define PASTE_GUARD_MAX_MS 10000

/* One role: a colour pair (foreground, background, attrs) and the
 * attributes used on a monochrome terminal. */
typedef struct role_look {
    short fg;     /* colour, -1 = terminal default */
    short bg;     /* colour, -1 = terminal default */
    attr_t attr;  /* added in colour mode */
    attr_t mono;  /* the whole look in monochrome */
} role_look;

static const role_look looks[ROLE_COUNT] = {
    [ROLE_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
    [ROLE_TITLE] = {COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD},
    [ROLE_HEADER] = {COLOR_CYAN, -1, A_BOLD, A_UNDERLINE},
    [ROLE_STATUS] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
    [ROLE_CURSOR] = {COLOR_BLACK, COLOR_YELLOW, A_NORMAL, A_REVERSE},
    [ROLE_ACTIVE] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
    [ROLE_DONE] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
    [ROLE_SKIPPED] = {COLOR_CYAN, -1, A_NORMAL, A_NORMAL},
    [ROLE_FAILED] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
    [ROLE_NA] = {-1, -1, A_DIM, A_DIM},
    [ROLE_ERROR] = {COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},
    [ROLE_INFO] = {COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE},
    [ROLE_DIALOG] = {COLOR_WHITE, COLOR_BLUE, A_NORMAL, A_REVERSE},
    [ROLE_KEY] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
    [ROLE_LABEL] = {COLOR_CYAN, -1, A_NORMAL, A_BOLD},
    [ROLE_RULE] = {COLOR_CYAN, -1, A_NORMAL, A_NORMAL},
};

static SCREEN *scr;              /* our curses screen, NULL when down */
static bool mono = true;         /* monochrome column in use */
static bool utf8;                /* UTF-8 locale */
static struct termios saved_tio; /* terminal modes before curses */
static bool have_tio;            /* saved_tio is valid */
static volatile sig_atomic_t got_signal; /* set by the handler */
static volatile sig_atomic_t got_tstp;   /* SIGTSTP: stop when safe */
static volatile sig_atomic_t got_cont;   /* SIGCONT: modes to re-send */
static bool tstp_ours;           /* we handle SIGTSTP (it was not ignored) */
static strbuf paste;             /* the last paste, for term_key */
static term_paste_end paste_end; /* how the last paste ended */
/* A paste was cancelled before its end marker came: the rest of it, when
 * it arrives, is discarded up to that marker, never read as keys. */
static bool paste_owed;
static size_t paste_controls;    /* control characters left out of it */
static bool paste_mode;          /* bracketed paste was turned on */
static bool resize_pending;      /* a resize came inside a paste */
static int eof_reads;            /* reads in a row that found end of file */
static FILE *script;             /* SITESWEEP_KEYS: keys from a file */
static char *script_type;        /* rest of a ":type" line, or NULL */
static size_t script_at;         /* next byte of script_type */
static int script_line;          /* line number, for messages */
static long long script_clock;   /* the script's own clock (":sleep MS"),
                                  * in ms: key times in a script */
/* The held-key rule (key_hold_arrived): the key that answered the last
 * question while it may still be held down, and when a copy of it last
 * arrived (ms, term_now). */
static key_hold hold = {-1, 0};
/* The last key that arrived (-1: none yet), taken or discarded, and when
 * (ms, term_now): a question that opens watches it (term_ask_begin), as
 * the key that opened it may be held down still. */
static int last_key = -1;
static long long last_key_at;
static int asking;               /* questions open (term_ask_begin) */
static int ask_key = -1;         /* the last key a question got (-1: none) */
static long long ask_key_at;     /* ... and when */
static long long ask_open_at;    /* when the last question opened (ms) */
static size_t ask_early;         /* keys dropped as it opened */
/* What each open question is, innermost last ("question", "prompt",
 * "form"...: term_ask_begin's what), for the settle notice. */
#define ASK_DEPTH 8
static const char *ask_what[ASK_DEPTH];

/* The innermost open question's kind ("question" when unnamed). */
static const char *ask_kind(void)
{
    const char *w = asking > 0 && asking <= ASK_DEPTH ? ask_what[asking - 1]
                                                      : NULL;
    return w && w[0] ? w : "question";
}

static bool ask_text;            /* the open question is a text entry
                                  * (term_ask_text) */
static size_t discarded;         /* keys dropped, all told (term_discarded) */
static size_t cont_dropped;      /* keys dropped on a resume, to be said */
/* The guard after an abandoned paste (PASTE_GUARD_QUIET_MS): on, when it
 * began and when input last came. */
static bool guard_on;
static long long guard_start, guard_last;
/* What the guard waits out: the rest of a cancelled paste, of a paste
 * whose start marker was cut (its text must not act as keys), or of an
 * escape sequence whose rest did not come in time. */
static enum { GUARD_PASTE, GUARD_MARKER, GUARD_SEQ } guard_what;
static const char *const guard_msgs[] = {
    [GUARD_PASTE] = "Discarding input: the rest of the cancelled paste may "
                    "still come (keys act again 1.5 s after input stops)",
    [GUARD_MARKER] = "Discarding input up to the end of the paste whose "
                     "start marker was cut (at most 10 s; Esc stops "
                     "waiting)",
    [GUARD_SEQ] = "Discarding input: the rest of a dropped escape sequence "
                  "may still come (keys act again 1.5 s after input stops)",
};
static const char *const guard_over[] = {
    [GUARD_PASTE] = "Keys act again: the rest of the cancelled paste did "
                    "not come",
    [GUARD_MARKER] = "Keys act again: the end of the paste whose start "
                     "marker was cut did not come in 10 s",
    [GUARD_SEQ] = "Keys act again: input stopped for 1.5 s after the "
                  "dropped escape sequence",
};

/* Input read ahead of the key being handled (what waited behind it in
 * the same burst), in order; every read takes from here first. */
typedef struct queued {
    int r;      /* what get_wch returned: OK or KEY_CODE_YES */
    wint_t ch;
} queued;
static queued *ahead;            /* the queue */
static size_t ahead_at, ahead_n, ahead_cap; /* next, end, capacity */
static size_t ahead_seen;        /* queue entries before it hold no marker */

/* Now on the monotonic clock, in milliseconds. */
static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the next byte of an escape sequence, waiting until deadline (ms,
 * mono_ms's clock): the byte, or ERR when none came in time or a signal
 * arrived. A resize meanwhile is noted for later; any other function
 * key is put back and ends the sequence (ERR). */
static int seq_byte(long long deadline)
{
    for (;;) {
        if (got_signal)
            return ERR;
        long long left = deadline - mono_ms();
        if (left < 0)
            left = 0;
        timeout((int)left);
        int d = wgetch(stdscr);
        if (d == KEY_RESIZE) {
            resize_pending = true;
            continue;
        }
        if (d != ERR && (d >= KEY_MIN || d > 0xff)) {
            ungetch(d);
            return ERR;
        }
        if (d == ERR && !got_signal && mono_ms() < deadline)
            continue; /* woken early (a signal handled elsewhere) */
        return d;
    }
}

/* Characters read past the end of an escape sequence, to be read again
 * before any other input (a stack: the last pushed is read first). */
static unsigned pending[4];
static size_t npending;

static void push_pending(unsigned cp)
{
    if (npending < sizeof pending / sizeof *pending)
        pending[npending++] = cp;
}

/* The next character (code point) from the terminal, waiting until
 * deadline (ms, mono_ms's clock) for its first byte: UTF-8 decoded; a
 * byte that starts no valid UTF-8 sequence is its own value (Latin-1, or
 * a C1 control for 0x80-0x9F), the bytes after it read next. False when
 * nothing came in time, a signal arrived, or a function key came (put
 * back: it is read next). */
static bool seq_cp(long long deadline, unsigned *cp)
{
    if (npending) {
        *cp = pending[--npending];
        return true;
    }
    int c = seq_byte(deadline);
    if (c == ERR)
        return false;
    *cp = (unsigned)c;
    size_t need = c >= 0xc2 && c <= 0xdf   ? 1
                  : c >= 0xe0 && c <= 0xef ? 2
                  : c >= 0xf0 && c <= 0xf4 ? 3
                                           : 0;
    if (!need)
        return true;
    char buf[4] = {(char)c};
    size_t n = 1;
    long long rest = mono_ms() + ESC_WAIT_MS; /* the rest is on its way */
    while (n <= need) {
        int d = seq_byte(rest);
        if (d == ERR)
            break;
        if ((d & 0xc0) != 0x80) {
            ungetch(d); /* no continuation: read next, as it is */
            break;
        }
        buf[n++] = (char)d;
    }
    unsigned u;
    if (n == need + 1 && utf8_decode(buf, n, &u) == n) {
        *cp = u;
        return true;
    }
    /* an invalid sequence: its lead byte as itself, the rest after */
    for (size_t i = n; i-- > 1;)
        ungetch((unsigned char)buf[i]);
    return true;
}

/* What the last sequence read_char dropped was, for the notice: a key
 * the console binds nowhere ("Alt-y", "Ctrl-Up"), and whether an
 * unfinished one was a start of a paste marker. */
static char seq_name[32];
static bool seq_marker_cut;
/* The last UI_ESC read_char returned had nothing behind it for
 * ESC_SPLIT_MS (the operator's Esc), not a control right behind it (an
 * ESC in a pasted text, ESC CR). */
static bool seq_esc_alone;
/* The character after the last ESC came at once (within ESC_WAIT_MS):
 * ESC and a letter so sent are Alt and that letter (a terminal sends
 * both in one write). */
static bool seq_alt_prompt;
/* read_paste is reading: every sequence is left out of the text whole,
 * none is Esc and a key. */
static bool in_paste;

/* What a sequence read so far stands for (st: the last step of
 * seq_feed), as seq_read returns it. */
static int seq_result(const seq_scan *s, seq_step st, wint_t *ch)
{
    seq_marker_cut = false;
    seq_name[0] = '\0';
    if (st == SEQ_AGAIN) {
        *ch = KEY_SEQ_DROPPED; /* a string, over */
        return KEY_CODE_YES;
    }
    if (st != SEQ_DONE) {
        if (s->kind == SEQ_ESC) {
            *ch = UI_ESC;
            return OK;
        }
        if (s->kind == SEQ_NF && s->len == 0 && !in_paste) {
            /* ESC and a space or punctuation, nothing after: Esc, then
             * that key (as an operator typing fast sends them) */
            push_pending(s->last);
            *ch = UI_ESC;
            return OK;
        }
        if (!s->c1 && s->len == 0 && s->intro != '[') {
            /* ESC O, ESC ] (ESC ( ...) with nothing behind: Alt and that
             * key, ignored, the next key not eaten */
            char k[8];
            keys_name((int)(s->kind == SEQ_NF ? s->last : s->intro), k,
                      sizeof k);
            snprintf(seq_name, sizeof seq_name, "Alt-%s", k);
            *ch = KEY_SEQ_NAMED;
            return KEY_CODE_YES;
        }
        seq_marker_cut = seq_paste_prefix(s);
        *ch = KEY_SEQ_PARTIAL;
        return KEY_CODE_YES;
    }
    if (s->kind == SEQ_ALT && !in_paste &&
        !(s->last < 0x80 && isalpha((int)s->last) && seq_alt_prompt)) {
        /* ESC and a key that is not a letter, or a letter that came
         * later than a terminal sends Alt's two bytes: Esc, then that key
         * (an operator who types Esc and / fast) */
        push_pending(s->last);
        *ch = UI_ESC;
        return OK;
    }
    if (s->kind == SEQ_ALT) {
        char k[24];
        keys_name((int)s->last, k, sizeof k);
        snprintf(seq_name, sizeof seq_name, "Alt-%s", k);
        *ch = KEY_SEQ_NAMED;
        return KEY_CODE_YES;
    }
    if (s->cut) {
        *ch = KEY_SEQ_PARTIAL;
        return KEY_CODE_YES;
    }
    int mods;
    int key = seq_key(s, &mods);
    if (key == SEQ_KEY_PASTE_BEGIN || key == SEQ_KEY_PASTE_END) {
        *ch = key == SEQ_KEY_PASTE_BEGIN ? KEY_PASTE_BEGIN : KEY_PASTE_END;
    } else if (key >= 0 && mods) {
        seq_key_name(key, mods, seq_name, sizeof seq_name);
        *ch = KEY_SEQ_NAMED;
    } else if (key >= 0) {
        *ch = (wint_t)key;
    } else {
        *ch = KEY_SEQ_DROPPED;
    }
    return KEY_CODE_YES;
}

/* Reads an escape sequence whose introducer first (ESC, or a C1 control
 * such as 0x9B) was just read, with the one recogniser of ui/keys.c,
 * for typed keys and paste content alike, so that no sequence is ever
 * taken as Esc and keys, however a slow link split it:
 * - ESC with nothing behind it for ESC_SPLIT_MS is Esc (UI_ESC, OK);
 * - typed (not in a paste), ESC begins only ESC [, ESC O and ESC ]; ESC
 *   and a letter within ESC_WAIT_MS (one write: Alt-y), and ESC O or
 *   ESC ] with nothing behind them for ESC_SPLIT_MS, are Alt and that
 *   key: KEY_SEQ_NAMED, named in seq_name, ignored with a notice; ESC
 *   and any other character is Esc (UI_ESC), that character read next;
 * - in a paste every form is read whole and left out (ESC c, ESC ( B);
 * - after ESC [ (or a C1 introducer, or the first character of a longer
 *   form), each next part may take ESC_SEQ_MS since the one before, and
 *   the whole sequence ESC_SEQ_MAX_MS;
 * - a whole sequence is the key it stands for (KEY_CODE_YES and a curses
 *   code: a split or normal-mode Down is Down), a paste marker
 *   (KEY_PASTE_BEGIN, KEY_PASTE_END), a known key with modifiers
 *   (KEY_SEQ_NAMED, "Ctrl-Up"), or anything else (KEY_SEQ_DROPPED);
 * - one whose rest did not come in time, or that a character which
 *   cannot continue it cut short, or a string over SEQ_STRING_MAX, is
 *   KEY_SEQ_PARTIAL (seq_marker_cut when it began like a paste marker);
 *   the character that cut it is read next.
 * Returns OK or KEY_CODE_YES with the result in *ch. */
static int seq_read(unsigned first, wint_t *ch)
{
    int delay = wgetdelay(stdscr);
    seq_scan s;
    seq_begin(&s, first);
    s.keys = !in_paste;
    long long start = mono_ms(), last = start;
    seq_step st = SEQ_MORE;
    for (;;) {
        /* ESC alone, and ESC and a letter that may be Alt and that
         * letter, wait only as long as a split of one burst takes */
        bool brief = s.kind == SEQ_ESC ||
                     (!s.c1 && s.len == 0 && s.intro != '[');
        long long deadline = last + (brief ? ESC_SPLIT_MS : ESC_SEQ_MS);
        if (deadline > start + ESC_SEQ_MAX_MS)
            deadline = start + ESC_SEQ_MAX_MS;
        unsigned cp;
        if (!seq_cp(deadline, &cp))
            break;
        if (s.kind == SEQ_ESC)
            seq_alt_prompt = mono_ms() - start <= ESC_WAIT_MS;
        st = seq_feed(&s, cp);
        if (st == SEQ_ABORT) {
            push_pending(cp);
            break;
        }
        if (st == SEQ_AGAIN) {
            push_pending(cp);
            push_pending(UI_ESC);
            break;
        }
        last = mono_ms();
        if (st == SEQ_DONE)
            break;
    }
    timeout(delay);
    seq_esc_alone = s.kind == SEQ_ESC && st == SEQ_MORE;
    return seq_result(&s, st, ch);
}

/* A key curses decoded from a definition of the terminal's own (an
 * extended capability such as kRIT5, Ctrl-Right): its definition read
 * by the same recogniser, so that it is the same key as when split
 * (named, when a screen binds no such key). */
static int curses_key(int c, wint_t *ch)
{
    char *def = keybound(c, 0);
    seq_scan sc;
    seq_step st = SEQ_MORE;
    if (def && def[0] == UI_ESC) {
        seq_begin(&sc, UI_ESC);
        for (const char *p = def + 1; *p && st == SEQ_MORE; p++)
            st = seq_feed(&sc, (unsigned char)*p);
    }
    free(def);
    if (st != SEQ_DONE) {
        *ch = (wint_t)c; /* as curses has it */
        return KEY_CODE_YES;
    }
    return seq_result(&sc, st, ch);
}

/* The next character or function key (with the timeout in force), like
 * get_wch but decoding UTF-8 itself and in any locale: the terminal sends
 * UTF-8 even where the C library would not decode it (LANG unset), and
 * get_wch cuts the input at a byte it cannot decode. A byte that starts
 * no valid UTF-8 sequence is its own value: a Latin-1 character, or for
 * 0x80-0x9F a C1 control, never dropped, and the input after it is read
 * as usual. ESC and the C1 controls that introduce a sequence (raw or
 * UTF-8 encoded) are read as a sequence (seq_read); the other C1 controls
 * come as themselves (no screen takes them, a paste leaves them out). */
static int read_char(wint_t *ch)
{
    unsigned cp;
    if (npending) {
        cp = pending[--npending];
    } else {
        int c = wgetch(stdscr);
        if (c == ERR)
            return ERR;
        if (c > KEY_MAX && c != KEY_PASTE_BEGIN && c != KEY_PASTE_END)
            return curses_key(c, ch);
        if (c >= KEY_MIN || c > 0xff) {
            *ch = (wint_t)c;
            return KEY_CODE_YES;
        }
        if (c >= 0x80) {
            ungetch(c);
            /* the rest of the character is on its way */
            if (!seq_cp(mono_ms() + ESC_WAIT_MS, &cp))
                return ERR;
        } else {
            cp = (unsigned)c;
        }
    }
    if (seq_introducer(cp))
        return seq_read(cp, ch);
    *ch = (wint_t)cp;
    return OK;
}

/* The next input: the read-ahead queue first, then curses (with the
 * timeout in force). */
static int rd(wint_t *ch)
{
    if (ahead_at < ahead_n) {
        *ch = ahead[ahead_at].ch;
        return ahead[ahead_at++].r;
    }
    ahead_at = ahead_n = ahead_seen = 0;
    return read_char(ch);
}

/* Appends (r, ch) to the read-ahead queue. */
static void ahead_push(int r, wint_t ch)
{
    if (ahead_at == ahead_n)
        ahead_at = ahead_n = ahead_seen = 0;
    if (ahead_n == ahead_cap) {
        ahead_cap = ahead_cap ? 2 * ahead_cap : 64;
        ahead = xrealloc(ahead, ahead_cap * sizeof *ahead);
    }
    ahead[ahead_n].r = r;
    ahead[ahead_n++].ch = ch;
}

/* Notes the signal; the input loop acts on it (leave, stop, resume). */
static void on_signal(int sig)
{
    if (sig == SIGTSTP)
        got_tstp = 1;
    else if (sig == SIGCONT)
        got_cont = 1;
    else
        got_signal = sig;
}

/* Installs the handlers: leave on SIGTERM, SIGHUP, SIGINT and SIGQUIT;
 * stop and resume through our own code on SIGTSTP and SIGCONT (so the
 * terminal is restored before a stop and every mode is sent again after
 * it). Before newterm, so curses installs no SIGTSTP handler of its own.
 * A SIGTSTP ignored by whoever started us stays ignored. */
static void install_signals(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    /* Every other signal that would end us: leave through term_done, as
     * for SIGTERM (a SIGPIPE then fails the write as EPIPE instead). An
     * ignored one stays ignored. */
    static const int others[] = {SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (sigaction(others[i], NULL, &old) == 0 &&
            old.sa_handler != SIG_IGN)
            sigaction(others[i], &sa, NULL);
    /* A stop or a continue must not fail a journal write under way with
     * EINTR; the wait for a key (poll) is interrupted all the same. */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCONT, &sa, NULL);
    tstp_ours = false;
    if (sigaction(SIGTSTP, NULL, &old) == 0 && old.sa_handler != SIG_IGN) {
        sigaction(SIGTSTP, &sa, NULL);
        tstp_ours = true;
    }
}

/* Writes a control sequence straight to the terminal, after what curses
 * has buffered. */
static void put_seq(const char *seq)
{
    fflush(stdout);
    size_t len = strlen(seq), off = 0;
    while (off < len) {
        ssize_t w = write(STDOUT_FILENO, seq + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
}

static void init_colours(void)
{
    const char *nc = getenv("NO_COLOR");
    mono = (nc && *nc) || !has_colors();
    if (mono)
        return;
    start_color();
    use_default_colors();
    for (int r = 1; r < ROLE_COUNT; r++)
        init_pair((short)r, looks[r].fg, looks[r].bg);
}

int term_init(ss_err *e)
{
    static bool registered;
    if (tcgetattr(STDIN_FILENO, &saved_tio) == 0)
        have_tio = true;
    install_signals();
    const char *cs = nl_langinfo(CODESET);
    utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
    scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        const char *t = getenv("TERM");
        return ss_errf(e, "cannot start the console on terminal type \"%s\"",
                       t ? t : "(unset)");
    }
    if (!registered) {
        atexit(term_done);
        registered = true;
    }
    /* A terminal that cannot place the cursor (TERM=dumb) would show a
     * blind console whose keys still act. */
    char *cup = tigetstr("cup");
    if (!cup || cup == (char *)-1) {
        const char *t = getenv("TERM");
        term_done();
        return ss_errf(e, "terminal type \"%s\" cannot place the cursor; "
                          "the console needs one that can (for scripts use "
                          "`sitesweep sites`, `mark` or `journal`)",
                       t ? t : "(unset)");
    }
    const char *ks = getenv("SITESWEEP_KEYS");
    if (ks && *ks && !(script = fopen(ks, "r"))) {
        term_done();
        return ss_errf(e, "SITESWEEP_KEYS: cannot read %s", ks);
    }
    set_escdelay(ESC_WAIT_MS);
    /* Raw: no byte the terminal gets is a signal or flow control (a paste
     * holding Ctrl-C must not end the console, nor Ctrl-S freeze it);
     * Ctrl-C, Ctrl-\ and Ctrl-Z are keys acted on in term_key. */
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    intrflush(stdscr, FALSE);
    curs_set(0);
    timeout(250);
    init_colours();
    define_key("\033[200~", KEY_PASTE_BEGIN);
    define_key("\033[201~", KEY_PASTE_END);
    term_modes();
    return 0;
}

void term_modes(void)
{
    if (!scr)
        return;
    keypad(stdscr, TRUE);
    /* A mouse report is read whole by the console's own recogniser
     * (X10 CSI M and 3 bytes, SGR CSI < ... M/m): left to curses, its
     * kmous prefix became KEY_MOUSE and the report's rest came as keys
     * that answered questions and typed into reasons. The console never
     * turns mouse reporting on; a terminal left in that mode sends them
     * anyway. */
    keyok(KEY_MOUSE, FALSE);
    put_seq("\033[?2004h");
    paste_mode = true;
}

/* Stops the console for SIGTSTP (Ctrl-Z) the way a shell expects: the
 * terminal as it was before the console (bracketed paste off, cursor
 * shown, its modes), then a real stop; on `fg` curses and every mode the
 * console relies on come back and the whole screen is redrawn. */
static void suspend(void)
{
    got_tstp = 0;
    if (paste_mode)
        put_seq("\033[?2004l");
    paste_mode = false;
    curs_set(1);
    endwin();
    fflush(stdout);
    if (have_tio)
        tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
    struct sigaction dfl, ours;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGTSTP, &dfl, &ours);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTSTP);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(SIGTSTP); /* stopped here until SIGCONT */
    sigaction(SIGTSTP, &ours, NULL);
    got_cont = 1;
}

static long long term_now(void);

/* After a stop (Ctrl-Z and fg, SIGSTOP and SIGCONT): keys typed while the
 * console was stopped were typed at a shell or at nothing, never at the
 * screen now shown again; they are dropped (counted in cont_dropped, for
 * read_event to say), and an open question counts as opening again: its
 * ASK_SETTLE_MS window and the held-key rule start over, so a key that
 * comes a few ms after the return answers nothing either. Inside a paste
 * (read_paste) the input is the paste's and is left to it. */
static void resume_ask(void)
{
    if (in_paste)
        return;
    cont_dropped += term_flush();
    if (!asking)
        return;
    ask_open_at = term_now();
    ask_early = 0;
    if (last_key >= 0)
        key_hold_answered(&hold, last_key, last_key_at);
}

/* Acts on a stop or a continue that arrived since the last call: after
 * either, the terminal may have been changed by whatever ran meanwhile
 * (a shell turns bracketed paste off), so the modes are sent again and
 * the screen is redrawn whole. True when the caller must repaint. */
static bool job_control(void)
{
    if (got_tstp && tstp_ours && !got_signal)
        suspend();
    got_tstp = 0;
    if (!got_cont)
        return false;
    got_cont = 0;
    if (!scr)
        return false;
    reset_prog_mode();
    term_modes();
    clearok(curscr, TRUE);
    resume_ask();
    return true;
}

/* Whether the terminal is gone, after a read that got nothing: it hung
 * up, reports an error, or keeps reading end of file. Without this a
 * console whose SIGHUP is blocked would spin on failing reads. */
static bool input_lost(int err)
{
    if (script)
        return false;
    if (err == EIO || err == EBADF || err == ENXIO)
        return true;
    struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
    int n = poll(&pf, 1, 0);
    if (n < 0)
        return errno != EINTR && errno != EAGAIN;
    if (pf.revents & (POLLHUP | POLLERR | POLLNVAL))
        return true;
    /* input waiting, yet the read got none: end of file */
    if (n > 0 && (pf.revents & POLLIN))
        return ++eof_reads >= LOST_READS;
    eof_reads = 0;
    return false;
}

/* Leaves as on SIGHUP: the terminal is lost, nothing more is read. */
static void lose_terminal(void)
{
    if (!got_signal)
        got_signal = SIGHUP;
}

void term_done(void)
{
    if (!scr)
        return;
    if (paste_mode)
        put_seq("\033[?2004l");
    paste_mode = false;
    curs_set(1);
    endwin();
    delscreen(scr);
    scr = NULL;
    sb_free(&paste);
    free(ahead);
    ahead = NULL;
    ahead_at = ahead_n = ahead_cap = ahead_seen = 0;
    npending = 0;
    if (script)
        fclose(script);
    script = NULL;
    free(script_type);
    script_type = NULL;
    if (have_tio)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

attr_t term_attr(ui_role r)
{
    if ((unsigned)r >= ROLE_COUNT)
        return A_NORMAL;
    if (mono)
        return looks[r].mono;
    return (r ? COLOR_PAIR(r) : 0) | looks[r].attr;
}

bool term_mono(void) { return mono; }
bool term_utf8(void) { return utf8; }
const char *term_ellipsis(void) { return utf8 ? "\xe2\x80\xa6" : "~"; }
bool term_signalled(void) { return got_signal != 0; }
int term_signal(void) { return (int)got_signal; }

bool term_too_small(void)
{
    return COLS < TERM_MIN_COLS || LINES < TERM_MIN_ROWS;
}

/* The signal a control key stands for in raw mode (the terminal sends no
 * signals: a paste holding these bytes must not act as them); 0 for none.
 * Ctrl-Z is SIGTSTP. */
static int key_signal(int r, wint_t ch)
{
    if (r == KEY_CODE_YES)
        return 0;
    switch (ch) {
    case 0x03: return SIGINT;
    case 0x1c: return SIGQUIT;
    case 0x1a: return SIGTSTP;
    default: return 0;
    }
}

/* Acts on a control key as the terminal would have on its signal: leave
 * (Ctrl-C, Ctrl-\) or stop when safe (Ctrl-Z, unless we were started with
 * SIGTSTP ignored). */
static void key_act(int sig)
{
    if (sig == SIGTSTP) {
        if (tstp_ours)
            got_tstp = 1;
    } else if (!got_signal) {
        got_signal = sig;
    }
}

/* Says on the bottom row that a paste is still open and how to drop it. */
static void paste_notice(void)
{
    char msg[96];
    snprintf(msg, sizeof msg, "Paste in progress%s Esc to cancel (nothing "
                              "of it is taken as keys)", term_ellipsis());
    attr_t a = term_attr(ROLE_INFO);
    attron(a);
    mvaddnstr(LINES - 1, 0, msg, COLS);
    for (int x = getcurx(stdscr); x > 0 && x < COLS; x++)
        addch(' ');
    attroff(a);
    refresh();
}

/* Reads a paste whose start marker was just read into paste: every
 * character up to its end marker, however long the paste pauses (only
 * the end marker ends it), and then everything already waiting when it
 * ended, which came in the same burst: a paste that holds the text of
 * its own end marker (terminals and tmux pass it on) must not leave the
 * rest of its text to be read as keys. A start marker among that input
 * opens the paste again. Esc after the in-progress notice cancels the
 * paste; a cancelled paste, or one longer than TERM_PASTE_MAX, hands over
 * no text (paste_end says which). False when a signal arrived or the
 * terminal was lost. */
static bool read_paste(void)
{
    paste.len = 0;
    sb_puts(&paste, "");
    paste_end = TERM_PASTE_WHOLE;
    paste_controls = 0;
    bool cr = false, open = true, notice = false, owed = false;
    int idle = 0;
    timeout(250);
    in_paste = true;
    for (;;) {
        wint_t ch;
        errno = 0;
        int r = rd(&ch);
        int err = errno;
        if (got_signal)
            break;
        if (r == ERR) {
            if (!open)
                break; /* nothing more waiting: the burst is over */
            if (input_lost(err)) {
                lose_terminal();
                break;
            }
            if (job_control())
                resize_pending = true, notice = false, idle = 0;
            if (++idle == PASTE_NOTICE_WAITS) {
                paste_notice();
                notice = true;
            }
            continue;
        }
        eof_reads = 0;
        idle = 0;
        if (r == KEY_CODE_YES) {
            if (ch == KEY_SEQ_DROPPED || ch == KEY_SEQ_PARTIAL ||
                ch == KEY_SEQ_NAMED) {
                paste_controls++; /* a sequence in a paste: left out whole */
                continue;
            }
            if (ch == KEY_PASTE_END) {
                open = owed = false;
                timeout(0);
                continue;
            }
            if (ch == KEY_PASTE_BEGIN) {
                open = true;
                timeout(250);
                continue;
            }
            if (ch == KEY_RESIZE) {
                resize_pending = true;
                continue;
            }
            if (ch != KEY_ENTER) {
                /* a function key inside a paste: an escape sequence in
                 * its text, left out whole */
                paste_controls++;
                continue;
            }
            ch = '\r';
        }
        if (ch == UI_ESC && open && seq_esc_alone) {
            /* a lone Esc (nothing behind it for ESC_SPLIT_MS: an ESC in
             * the pasted text comes with the rest of its burst, and is
             * read as a sequence, left out) is the operator's, at any
             * time: drop the paste, and whatever of it is waiting */
            paste_end = TERM_PASTE_CANCELLED;
            open = false;
            owed = true; /* its end marker is still to come */
            timeout(0);
            continue;
        }
        /* CR, LF and CRLF are each one line break. */
        bool was_cr = cr;
        cr = ch == '\r';
        if (ch == '\n' && was_cr)
            continue;
        if (paste.len + 4 >= TERM_PASTE_MAX) {
            if (paste_end == TERM_PASTE_WHOLE)
                paste_end = TERM_PASTE_TOO_LONG;
            continue;
        }
        if (ch != '\r' && ch != '\n' && ch != '\t' &&
            cp_is_unsafe((unsigned)ch)) {
            paste_controls++; /* Ctrl-C in a paste is text, not a key */
            continue;
        }
        sb_put_cp(&paste, ch == '\r' ? '\n' : (unsigned)ch);
    }
    timeout(250);
    in_paste = false;
    paste_owed = owed;
    if (notice)
        resize_pending = true; /* the caller repaints over the notice */
    if (paste_end != TERM_PASTE_WHOLE) {
        paste.len = 0;
        paste.s[0] = '\0';
    }
    return !got_signal;
}

/* Discards everything waiting now: the rest of the burst after a stray
 * end marker of a paste (its text, not keys). */
static void drain_burst(void)
{
    timeout(0);
    for (;;) {
        wint_t ch;
        int r = rd(&ch);
        if (r == ERR || got_signal)
            break;
        if (r == KEY_CODE_YES && ch == KEY_RESIZE)
            resize_pending = true;
        if (r == KEY_CODE_YES && ch == KEY_PASTE_BEGIN) {
            read_paste();
            break;
        }
    }
    timeout(250);
}

term_paste_end term_paste_result(void) { return paste_end; }
bool term_paste_owed(void) { return paste_owed; }
size_t term_paste_controls(void) { return paste_controls; }

/* Puts back what get_wch returned (r, ch): it is the next read. */
static void unread(int r, wint_t ch)
{
    if (ahead_at == 0) {
        ahead_push(r, ch); /* room for one more, then move it to the front */
        memmove(ahead + 1, ahead, (ahead_n - 1) * sizeof *ahead);
        ahead_at = 1;
        if (ahead_seen)
            ahead_seen++;
    }
    ahead[--ahead_at].r = r;
    ahead[ahead_at].ch = ch;
}

/* Whether more input is waiting right now (in curses or the terminal);
 * nothing is taken. */
static bool input_waiting(void)
{
    if (ahead_at < ahead_n || npending)
        return true;
    struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
    if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN))
        return true;
    wint_t ch;
    timeout(0);
    int r = rd(&ch);
    timeout(250);
    if (r == ERR)
        return false;
    unread(r, ch);
    return true;
}

/* Now, in milliseconds: the monotonic clock, or in a key script the
 * script's own clock (":sleep MS" moves it on; no real time passes). */
static long long term_now(void)
{
    if (script)
        return script_clock;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A copy of key arrived at now, taken or discarded: the held-key rule's
 * record moves on (a key released in between ends it). Returns whether
 * key is the answer of the last question still held down. */
static bool key_arrived(int key, long long now)
{
    bool held = key_hold_arrived(&hold, key, now);
    last_key = key;
    last_key_at = now;
    return held;
}

/* The key code term_key hands over for what rd returned. */
static int key_code(int r, wint_t ch)
{
    return r == KEY_CODE_YES ? UI_FN((int)ch) : (int)ch;
}


/* Whether the guard is over at now (ms, term_now): after 1.5 s without
 * input (PASTE_GUARD_QUIET_MS), or PASTE_GUARD_MAX_MS after it began. A
 * paste whose start marker was cut ends only with its end marker, a lone
 * Esc, or PASTE_GUARD_MAX_MS: its text may pause, and must not act. */
static bool guard_done(long long now)
{
    if (now - guard_start >= PASTE_GUARD_MAX_MS)
        return true;
    return guard_what != GUARD_MARKER &&
           now - guard_last >= PASTE_GUARD_QUIET_MS;
}

/* What was read (r, ch) while the guard after an abandoned paste is on:
 * discarded with all that waits behind it, up to the paste's end marker
 * (which ends the guard) or the end of what is waiting. A control key
 * typed alone still acts as its signal. Returns the notice to show. */
static const char *guard_input(int r, wint_t ch)
{
    if (guard_what == GUARD_MARKER && r == OK && ch == UI_ESC &&
        seq_esc_alone && !input_waiting()) {
        guard_on = false; /* the operator stops waiting */
        return "Keys act again: Esc stopped waiting for the end of the "
               "paste whose start marker was cut";
    }
    int sig = key_signal(r, ch);
    if (sig && !input_waiting()) {
        key_act(sig);
        guard_last = term_now();
        return guard_msgs[guard_what];
    }
    timeout(0);
    while (!(r == KEY_CODE_YES && ch == KEY_PASTE_END)) {
        if (r == KEY_CODE_YES && ch == KEY_RESIZE)
            resize_pending = true;
        r = rd(&ch);
        if (r == ERR || got_signal) {
            timeout(250);
            guard_last = term_now();
            return guard_msgs[guard_what];
        }
    }
    timeout(250);
    guard_on = false;
    drain_burst();
    if (guard_what == GUARD_MARKER)
        return "Discarded a paste whose start marker was cut, up to its end "
               "marker: nothing of it acted as keys";
    return "Discarded the tail of a paste (input ending with a paste's "
           "end marker): nothing of it acted as keys";
}

/* What was read (r, ch) while the rest of a cancelled paste is owed: a
 * lone Esc stops waiting; anything else is discarded with all that waits
 * behind it, up to the end marker (and the rest of its burst), so a long
 * rest costs one notice per burst, not one per character. Returns the
 * notice to show, and clears paste_owed when the wait is over. */
static const char *owed_input(int r, wint_t ch)
{
    int sig = key_signal(r, ch);
    if (sig && !input_waiting()) {
        key_act(sig); /* typed alone: the operator's, not the paste's */
        return "Waiting for the rest of the cancelled paste: input is "
               "discarded until it ends (Esc stops waiting)";
    }
    if (r != KEY_CODE_YES && ch == UI_ESC && !input_waiting()) {
        /* a rest that still comes, in however many reads, is discarded
         * by the guard, for a bounded time */
        paste_owed = false;
        guard_on = true;
        guard_what = GUARD_PASTE;
        guard_start = guard_last = term_now();
        return "No longer waiting for the rest of the cancelled paste: "
               "keys act again 1.5 s after input stops";
    }
    timeout(0);
    while (!(r == KEY_CODE_YES && ch == KEY_PASTE_END)) {
        r = rd(&ch);
        if (r == ERR || got_signal) {
            timeout(250);
            return "Waiting for the rest of the cancelled paste: input is "
                   "discarded until it ends (Esc stops waiting)";
        }
        if (r == KEY_CODE_YES && ch == KEY_RESIZE)
            resize_pending = true;
    }
    paste_owed = false;
    drain_burst();
    return "The rest of the cancelled paste arrived: discarded, nothing of "
           "it acted as keys";
}

/* Whether a paste starts right behind the key just read, in the same
 * burst (already waiting, no wait for it): then the key is part of that
 * burst and must not act. The start marker is taken; anything else
 * waiting is put back. */
static bool paste_follows(void)
{
    if (ahead_at < ahead_n) {
        if (ahead[ahead_at].r != KEY_CODE_YES ||
            ahead[ahead_at].ch != KEY_PASTE_BEGIN)
            return false;
        ahead_at++;
        return true;
    }
    struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
    if (poll(&pf, 1, 0) != 1 || !(pf.revents & POLLIN))
        return false; /* nothing waiting */
    wint_t ch;
    timeout(ESC_WAIT_MS); /* what waits is read whole, markers included */
    int r = rd(&ch);
    timeout(250);
    if (r == ERR)
        return false;
    if (r == KEY_CODE_YES && ch == KEY_PASTE_BEGIN)
        return true;
    unread(r, ch);
    return false;
}

/* Whether the burst the key just read came in holds a paste's end marker
 * with no start marker before it: then that key and everything up to the
 * marker are the tail of a paste (one that was cancelled, or one whose
 * text held an end marker), never keys. Reads what is waiting into the
 * read-ahead queue, up to the first marker; nothing is taken from it. */
static bool stray_end_ahead(void)
{
    size_t i = ahead_seen > ahead_at ? ahead_seen : ahead_at;
    for (;;) {
        for (; i < ahead_n; i++) {
            if (ahead[i].r != KEY_CODE_YES)
                continue;
            if (ahead[i].ch == KEY_PASTE_BEGIN) {
                ahead_seen = i;
                return false;
            }
            if (ahead[i].ch == KEY_PASTE_END) {
                ahead_seen = i;
                return true;
            }
        }
        ahead_seen = ahead_n;
        struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
        bool waiting = poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN);
        wint_t ch;
        /* curses may hold input already read; what the terminal holds
         * is read whole, markers included */
        timeout(waiting ? ESC_WAIT_MS : 0);
        int r = read_char(&ch);
        timeout(250);
        if (r == ERR)
            return false;
        ahead_push(r, ch);
    }
}

/* Discards the tail of a paste that stray_end_ahead found: everything up
 * to its end marker, and the rest of that burst. */
static void drop_paste_tail(void)
{
    for (;;) {
        wint_t ch;
        int r = rd(&ch);
        if (r == ERR || (r == KEY_CODE_YES && ch == KEY_PASTE_END))
            break;
        if (r == KEY_CODE_YES && ch == KEY_RESIZE)
            resize_pending = true;
    }
    drain_burst();
}

/* Writes the whole screen as text, one line per row, blanks at the end of
 * rows left out. */
static void dump_screen(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    for (int y = 0; y < LINES; y++) {
        wchar_t row[1024];
        int n = COLS < 1023 ? COLS : 1023;
        if (mvinnwstr(y, 0, row, n) == ERR)
            row[0] = L'\0';
        strbuf b = {0};
        sb_puts(&b, "");
        for (int i = 0; row[i]; i++)
            sb_put_cp(&b, (unsigned)row[i]);
        while (b.len && b.s[b.len - 1] == ' ')
            b.s[--b.len] = '\0';
        fprintf(f, "%s\n", b.s);
        sb_free(&b);
    }
    fclose(f);
}

/* The next event of the key script: a key name per line, ":type TEXT"
 * (each character a key), ":paste TEXT" (one paste, \n a line break),
 * ":dump FILE" (the screen as it is, to FILE), "#" comments. Its end, or
 * a name that is no key, leaves the console. */
static term_event script_next(int *key, const char **text)
{
    for (;;) {
        if (got_signal)
            return TERM_SIGNAL;
        if (script_type && script_type[script_at]) {
            unsigned cp;
            size_t rest = strlen(script_type + script_at);
            size_t k = utf8_decode(script_type + script_at, rest, &cp);
            script_at += k ? k : 1;
            *key = k ? (int)cp : '?';
            return TERM_KEY;
        }
        char *line = NULL;
        size_t cap = 0;
        ssize_t n = getline(&line, &cap, script);
        script_line++;
        if (n < 0) {
            free(line);
            return TERM_SIGNAL; /* the script is over: leave, status 0 */
        }
        line[strcspn(line, "\r\n")] = '\0';
        term_event ev = TERM_RESIZE; /* none yet */
        if (line[0] == '\0' || line[0] == '#') {
        } else if (strncmp(line, ":type ", 6) == 0) {
            free(script_type);
            script_type = xstrdup(line + 6);
            script_at = 0;
        } else if (strncmp(line, ":paste ", 7) == 0) {
            paste.len = 0;
            sb_puts(&paste, "");
            for (const char *p = line + 7; *p; p++) {
                if (p[0] == '\\' && p[1] == 'n')
                    sb_putc(&paste, '\n'), p++;
                else
                    sb_putc(&paste, *p);
            }
            *text = paste.s;
            ev = TERM_PASTE;
        } else if (strncmp(line, ":dump ", 6) == 0) {
            dump_screen(line + 6);
        } else if (strncmp(line, ":sleep ", 7) == 0) {
            /* the script's clock moves on; no real time passes */
            char *end;
            long ms = strtol(line + 7, &end, 10);
            if (end == line + 7 || *end || ms < 0) {
                fprintf(stderr, "sitesweep: SITESWEEP_KEYS line %d: "
                                "\":sleep\" takes milliseconds\n",
                        script_line);
                free(line);
                return TERM_SIGNAL;
            }
            script_clock += ms;
        } else if ((*key = keys_parse(line)) >= 0) {
            ev = TERM_KEY;
        } else {
            fprintf(stderr, "sitesweep: SITESWEEP_KEYS line %d: no key "
                            "named \"%s\"\n", script_line, line);
            free(line);
            return TERM_SIGNAL;
        }
        free(line);
        if (ev != TERM_RESIZE)
            return ev;
    }
}

static term_idle_fn idle_fn;
static void *idle_arg;
static term_keepalive_fn keepalive_fn;
static void *keepalive_arg;

void term_set_idle(term_idle_fn fn, void *arg)
{
    idle_fn = fn;
    idle_arg = arg;
}

void term_set_keepalive(term_keepalive_fn fn, void *arg)
{
    keepalive_fn = fn;
    keepalive_arg = arg;
}

/* term_key without the held-key rule: the next event from the keyboard. */
static term_event read_event(int *key, const char **text)
{
    for (;;) {
        if (got_signal)
            return TERM_SIGNAL;
        if (job_control() || resize_pending) {
            resize_pending = false;
            if (cont_dropped) {
                static char msg[96];
                snprintf(msg, sizeof msg, "Ignored %zu key%s typed while "
                         "the console was stopped", cont_dropped,
                         cont_dropped == 1 ? "" : "s");
                cont_dropped = 0;
                *text = msg;
                return TERM_NOTICE; /* the caller repaints as on a resize */
            }
            return TERM_RESIZE;
        }
        wint_t ch;
        errno = 0;
        int r = rd(&ch);
        int err = errno;
        if (got_signal)
            return TERM_SIGNAL;
        if (r != ERR && got_cont) {
            /* read as the console came back from a stop (SIGCONT woke
             * the read): typed while it was stopped; job_control drops
             * it with the rest */
            unread(r, ch);
            continue;
        }
        if (r == ERR) {
            if (input_lost(err)) {
                lose_terminal();
                return TERM_SIGNAL;
            }
            if (guard_on && guard_done(term_now())) {
                guard_on = false;
                *text = guard_over[guard_what];
                return TERM_NOTICE;
            }
            /* The idle check (the console's own wait) keeps the journal
             * alive itself; every other wait only keeps it alive: a
             * change elsewhere never ends a question's wait. */
            if (idle_fn) {
                if (idle_fn(idle_arg))
                    return TERM_IDLE;
            } else if (keepalive_fn) {
                keepalive_fn(keepalive_arg);
            }
            continue;
        }
        eof_reads = 0;
        if (r == KEY_CODE_YES && ch == KEY_RESIZE) {
            term_modes();
            return TERM_RESIZE;
        }
        if (guard_on) {
            long long now = term_now();
            if (r == KEY_CODE_YES && ch == KEY_PASTE_BEGIN)
                guard_on = false; /* a new paste: read as one */
            else if (guard_done(now))
                guard_on = false; /* over: this is read as usual */
            else {
                *text = guard_input(r, ch);
                if (got_signal)
                    return TERM_SIGNAL;
                return TERM_NOTICE;
            }
        }
        if (paste_owed && !(r == KEY_CODE_YES && ch == KEY_PASTE_BEGIN)) {
            *text = owed_input(r, ch);
            if (got_signal)
                return TERM_SIGNAL;
            return TERM_NOTICE;
        }
        if (r == KEY_CODE_YES && ch == KEY_SEQ_PARTIAL) {
            /* its rest may still come, in however many reads: discarded
             * by the guard, for a bounded time, never read as keys */
            guard_on = true;
            guard_start = guard_last = term_now();
            guard_what = seq_marker_cut ? GUARD_MARKER : GUARD_SEQ;
            *text = seq_marker_cut
                        ? "Dropped a paste's start marker whose rest did not "
                          "come in 1.5 s: input is discarded until the paste "
                          "ends (at most 10 s; Esc stops waiting)"
                        : "Dropped an escape sequence whose rest did not come "
                          "in 1.5 s: input is discarded until 1.5 s pass "
                          "without input";
            return TERM_NOTICE;
        }
        if (r == KEY_CODE_YES && ch == KEY_SEQ_DROPPED) {
            *text = "Ignored a key the console does not know (an escape "
                    "sequence): nothing of it acted as keys";
            return TERM_NOTICE;
        }
        if (r == KEY_CODE_YES && ch == KEY_SEQ_NAMED) {
            static char msg[160];
            snprintf(msg, sizeof msg, "Ignored %s: no key of the console "
                     "uses Alt, Ctrl or Shift with another key", seq_name);
            *text = msg;
            return TERM_NOTICE;
        }
        bool begin = r == KEY_CODE_YES && ch == KEY_PASTE_BEGIN;
        if ((r == KEY_CODE_YES && ch == KEY_PASTE_END) ||
            (!begin && stray_end_ahead())) {
            /* input that ends with a paste's end marker and no start
             * marker is the tail of a paste: what came up to it, and with
             * it, belongs to that paste */
            if (!(r == KEY_CODE_YES && ch == KEY_PASTE_END))
                drop_paste_tail();
            else
                drain_burst();
            if (got_signal)
                return TERM_SIGNAL;
            *text = "Discarded the tail of a paste (input ending with a "
                    "paste's end marker): nothing of it acted as keys";
            return TERM_NOTICE;
        }
        /* a key in one burst with a paste behind it is the paste's:
         * dropped, so that no question takes its answer from it */
        if (begin || paste_follows()) {
            if (!read_paste())
                return TERM_SIGNAL;
            *text = paste.s;
            return TERM_PASTE;
        }
        int sig = key_signal(r, ch);
        if (sig) {
            key_act(sig);
            continue; /* acted on at the top of the loop */
        }
        *key = key_code(r, ch);
        return TERM_KEY;
    }
}

/* Whether key is a character a text field takes as it is (not an
 * editing, moving or acting key). */
static bool text_key(int key)
{
    return key >= 0x20 && !(key & UI_FN_BIT) && !cp_is_unsafe((unsigned)key);
}

/* term_key without the write note: the held-key rule over read_event. */
static term_event key_read(int *key, const char **text)
{
    term_event ev = script ? script_next(key, text) : read_event(key, text);
    if (ev == TERM_PASTE)
        ask_key = -1; /* a paste answers nothing */
    if (ev != TERM_KEY)
        return ev;
    long long now = term_now();
    if (key_arrived(*key, now) && asking) {
        discarded++;
        return TERM_HELD;
    }
    /* A key in the question's first ASK_SETTLE_MS was typed before it
     * could be read (a script's keys come after the screen by its
     * definition: the rule is the terminal's). In a text entry a
     * character is kept: it shows in the field, and nothing is recorded
     * before an Enter that comes later. */
    if (asking && !script && now - ask_open_at < ASK_SETTLE_MS &&
        !(ask_text && text_key(*key))) {
        static char note[160];
        discarded++;
        ask_early++;
        snprintf(note, sizeof note, "Ignored %zu key%s that came as the "
                 "%s opened, before it could be read: press %s again",
                 ask_early, ask_early == 1 ? "" : "s", ask_kind(),
                 ask_early == 1 ? "it" : "them");
        *text = note;
        return TERM_NOTICE;
    }
    if (asking) {
        ask_key = *key;
        ask_key_at = now;
    }
    return TERM_KEY;
}

size_t term_ask_begin(const char *what)
{
    size_t n = term_flush();
    if (asking >= 0 && asking < ASK_DEPTH)
        ask_what[asking] = what;
    asking++;
    ask_key = -1;
    ask_open_at = term_now();
    ask_early = 0;
    ask_text = false;
    /* whatever the last key did (it may have opened this question), a
     * copy of it within KEY_RELEASE_MS of its last one is it held down */
    if (last_key >= 0)
        key_hold_answered(&hold, last_key, last_key_at);
    return n;
}

void term_ask_text(void)
{
    if (asking)
        ask_text = true;
}

size_t term_discarded(void) { return discarded; }

void term_ask_end(void)
{
    if (asking > 0)
        asking--;
    ask_text = false;
    if (ask_key >= 0)
        key_hold_answered(&hold, ask_key, ask_key_at);
    ask_key = -1;
}

size_t term_repeats(int key, int ms)
{
    size_t n = 0;
    if (script)
        return 0;
    timeout(ms);
    for (;;) {
        wint_t ch;
        int r = rd(&ch);
        if (r == ERR || got_signal)
            break;
        int k = key_code(r, ch);
        if (k != key) { /* another key: it is the next one read */
            unread(r, ch);
            break;
        }
        long long now = term_now();
        key_arrived(k, now);
        if (asking && k == ask_key)
            ask_key_at = now;
        n++;
    }
    timeout(250);
    return n;
}

size_t term_flush(void)
{
    size_t n = 0;
    if (script)
        return 0; /* each line of a script is typed after the screen */
    timeout(0);
    for (;;) {
        wint_t ch;
        int r = rd(&ch);
        if (r == ERR || got_signal)
            break;
        if (key_signal(r, ch)) {
            /* Ctrl-C, Ctrl-\ and Ctrl-Z typed ahead act as they did when
             * the terminal sent signals: they decide nothing recorded */
            key_act(key_signal(r, ch));
            continue;
        }
        if (r == KEY_CODE_YES && ch == KEY_PASTE_END)
            paste_owed = guard_on = false; /* the rest of a cancelled
                                            * paste is over */
        if (r == KEY_CODE_YES && ch == KEY_SEQ_PARTIAL && !guard_on) {
            /* its rest, still to come, is no keys either */
            guard_on = true;
            guard_start = guard_last = term_now();
            guard_what = seq_marker_cut ? GUARD_MARKER : GUARD_SEQ;
        }
        if (r == KEY_CODE_YES && (ch == KEY_RESIZE || ch == KEY_PASTE_END))
            continue; /* a resize is not a key; LINES/COLS are current */
        if (r == KEY_CODE_YES && ch == KEY_PASTE_BEGIN) {
            read_paste(); /* the whole paste goes, not just its start */
            timeout(0);
        } else {
            key_arrived(key_code(r, ch), term_now()); /* a held key's copy */
        }
        n++;
    }
    flushinp();
    timeout(250);
    discarded += n;
    return n;
}

void term_osc52(const char *text)
{
    size_t n = strlen(text);
    size_t elen = BASE64_ENCODE_RAW_LENGTH(n);
    char *buf = xmalloc(elen + 16);
    memcpy(buf, "\033]52;c;", 7);
    base64_encode_raw(buf + 7, n, (const uint8_t *)text);
    buf[7 + elen] = '\a';
    refresh();
    fflush(stdout);
    size_t len = 8 + elen, off = 0;
    while (off < len) {
        ssize_t w = write(STDOUT_FILENO, buf + off, len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    free(buf);
}

/* What the last journal write was and what became of it, until a key
 * shows the operator has seen it (term_write_note). */
static char write_note[256];

void term_write_note(const char *note)
{
    snprintf(write_note, sizeof write_note, "%s", note ? note : "");
}

void term_write_report(void)
{
    if (write_note[0] && got_signal)
        fprintf(stderr, "sitesweep: the write in progress when asked to "
                        "leave: %s\n", write_note);
    write_note[0] = '\0';
}

term_event term_key(int *key, const char **text)
{
    term_event ev = key_read(key, text);
    if (ev == TERM_KEY || ev == TERM_PASTE)
        write_note[0] = '\0';
    return ev;
}
