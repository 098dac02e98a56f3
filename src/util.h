/* util.h - errors, memory, strings, UTF-8 and hashing shared by the core. */
#ifndef SITESWEEP_UTIL_H
#define SITESWEEP_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SS_ERRLEN 1024

/* An error message naming what failed and where; filled by the failing call. */
typedef struct ss_err {
    char msg[SS_ERRLEN]; /* "file:line: field \"drive\": ..." */
} ss_err;

/* Formats into e (when not NULL) and returns -1, so callers can
 * `return ss_errf(e, ...)`. */
int ss_errf(ss_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An error at a line of a file: "FILE:LINE: message" into e (when not
 * NULL); returns -1. Every parser reports its errors through it. */
int ss_errf_at(ss_err *e, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int ss_verrf_at(ss_err *e, const char *file, int line, const char *fmt,
                va_list ap) __attribute__((format(printf, 4, 0)));

/* Allocation that aborts with a message on exhaustion (oom: the abort,
 * for memory a library failed to allocate). */
_Noreturn void oom(void);
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable NUL-terminated string. */
typedef struct strbuf {
    char *s;    /* always NUL-terminated once anything was added */
    size_t len; /* bytes used, without the NUL */
    size_t cap; /* bytes allocated */
} strbuf;

void sb_add(strbuf *b, const char *s, size_t n);
void sb_puts(strbuf *b, const char *s);
void sb_putc(strbuf *b, char c);
void sb_printf(strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the buffer to the caller (never NULL) and resets b. */
char *sb_take(strbuf *b);
void sb_free(strbuf *b);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t n);
/* Decodes one code point at s (n bytes left); returns bytes used, 0 on
 * malformed input. */
size_t utf8_decode(const char *s, size_t n, unsigned *cp);
/* Encodes code point cp as UTF-8 into out; returns the bytes written (1 to
 * 4), 0 for a surrogate or a value past U+10FFFF (nothing written). */
size_t utf8_encode(unsigned cp, char out[4]);
/* Appends code point cp to b as UTF-8 (nothing when utf8_encode refuses). */
void sb_put_cp(strbuf *b, unsigned cp);
/* Code points a terminal must never receive raw: C0, DEL, C1 and the
 * bidirectional overrides/isolates (U+202A..U+202E, U+2066..U+2069). */
bool cp_is_unsafe(unsigned cp);
/* First unsafe code point in s (NUL-terminated), or 0 when there is none;
 * *at receives its byte offset. Malformed UTF-8 counts as unsafe (0xFFFD). */
unsigned str_find_unsafe(const char *s, size_t *at);
/* A copy of s fit to print on a terminal: unsafe code points become
 * "\n", "\t", "\x1b" or "\u202e" escapes, malformed bytes "\xNN". */
char *str_escape_unsafe(const char *s);

/* s quoted for a message: "VALUE", unsafe code points escaped as by
 * str_escape_unsafe, a value of more than 40 bytes cut (at a character)
 * to "37 bytes...". Writes at most n bytes into out. */
void str_quote(const char *s, char *out, size_t n);

/* Lower-case SHA-256 of data, hex, 65 bytes with the NUL (nettle). */
void sha256_hex(const void *data, size_t n, char out[65]);

/* Reads a whole file; NUL-terminated; *len without the NUL. Refuses at
 * once anything that is not a regular file (see file_open_regular). */
int read_file(const char *path, char **out, size_t *len, size_t max,
              ss_err *e);

/* What kind of file a mode names: "a directory", "a FIFO (named pipe)",
 * "a character device", "a block device", "a socket"; "a file" for a
 * regular file. Static string. */
const char *file_kind_name(unsigned mode);

/* Opens path (O_RDONLY or O_RDWR in flags; O_CLOEXEC is added) only when
 * it is a regular file, without ever blocking: a FIFO, device, directory
 * or socket is refused with "PATH: is a FIFO (named pipe), not a file";
 * a symbolic link is followed, a dangling one refused saying so. what
 * names the file's role in messages ("journal"), or NULL. Returns
 * the descriptor (blocking mode), or -1 with e set and errno kept (ENOENT
 * for a missing file, so a caller may create it). */
int file_open_regular(const char *path, int flags, const char *what,
                      ss_err *e);

/* A hint for an I/O failure on path's file system: " (no space left on
 * the device holding PATH)" when statvfs says it is full, else "".
 * Writes at most n bytes into buf (NUL-terminated); returns buf. */
char *disk_full_hint(const char *path, char *buf, size_t n);

/* True when s (NUL-terminated UTF-8) holds at least one visible
 * character: not whitespace (Unicode Zs, Zl, Zp, tab, line ends), not a
 * control, format or zero-width character (Cf: U+200B, U+FEFF, the bidi
 * marks, ...), not a variation selector or invisible filler. Malformed
 * bytes count as visible (they are shown escaped). For a reason or note
 * that must say something; locale-independent. */
bool text_has_visible(const char *s);

/* ASCII helpers that ignore the locale. */
bool str_ieq(const char *a, const char *b);
char *str_trim(char *s); /* in place, returns s advanced past blanks */

/* Whether s is a time of exactly the form YYYY-MM-DDTHH:MM:SS.mmmZ that
 * the calendar holds (no month 13, no 23:59:60), from 1970 on. */
bool utc_stamp_valid(const char *s);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ". A test seam: when
 * $SITESWEEP_NOW holds a time of that exact form, it is the time, always
 * (whole-screen tests compare screens with no volatile dates); any other
 * value is ignored. */
void utc_now(char out[32]);

#endif
