/* util.c - errors, memory, strings, UTF-8 and hashing shared by the core. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

int ss_errf(ss_err *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int ss_verrf_at(ss_err *e, const char *file, int line, const char *fmt,
                va_list ap)
{
    if (e) {
        int k = snprintf(e->msg, sizeof e->msg, "%s:%d: ", file, line);
        if (k >= 0 && (size_t)k < sizeof e->msg)
            vsnprintf(e->msg + k, sizeof e->msg - (size_t)k, fmt, ap);
    }
    return -1;
}

int ss_errf_at(ss_err *e, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ss_verrf_at(e, file, line, fmt, ap);
    va_end(ap);
    return -1;
}

_Noreturn void oom(void)
{
    fputs("sitesweep: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    strbuf b = {0};
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return xstrdup("");
    if ((size_t)n < sizeof tmp)
        return xstrdup(tmp);
    b.s = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b.s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return b.s;
}

static void sb_grow(strbuf *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->s = xrealloc(b->s, cap);
    b->cap = cap;
}

void sb_add(strbuf *b, const char *s, size_t n)
{
    sb_grow(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_puts(strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

void sb_putc(strbuf *b, char c)
{
    sb_add(b, &c, 1);
}

void sb_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    sb_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *sb_take(strbuf *b)
{
    char *s = b->s ? b->s : xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void sb_free(strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

size_t utf8_encode(unsigned cp, char out[4])
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

void sb_put_cp(strbuf *b, unsigned cp)
{
    char u[4];
    size_t k = utf8_encode(cp, u);
    if (k)
        sb_add(b, u, k);
}

size_t utf8_decode(const char *str, size_t n, unsigned *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0)
        return 0;
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

bool utf8_valid(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

bool cp_is_unsafe(unsigned cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

unsigned str_find_unsafe(const char *s, size_t *at)
{
    size_t n = strlen(s), i = 0;
    while (i < n) {
        unsigned cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (k == 0 || cp_is_unsafe(cp)) {
            if (at)
                *at = i;
            return k == 0 ? 0xFFFD : cp;
        }
        i += k;
    }
    return 0;
}

char *str_escape_unsafe(const char *s)
{
    strbuf b = {0};
    size_t n = strlen(s), i = 0;
    while (i < n) {
        unsigned cp;
        size_t k = utf8_decode(s + i, n - i, &cp);
        if (k == 0) {
            sb_printf(&b, "\\x%02X", (unsigned char)s[i]);
            i++;
            continue;
        }
        if (!cp_is_unsafe(cp)) {
            sb_add(&b, s + i, k);
        } else if (cp == '\n') {
            sb_puts(&b, "\\n");
        } else if (cp == '\t') {
            sb_puts(&b, "\\t");
        } else if (cp == '\r') {
            sb_puts(&b, "\\r");
        } else if (cp < 0x100) {
            sb_printf(&b, "\\x%02X", cp);
        } else {
            sb_printf(&b, "\\u%04X", cp);
        }
        i += k;
    }
    return sb_take(&b);
}

void str_quote(const char *s, char *out, size_t n)
{
    char *esc = str_escape_unsafe(s);
    size_t len = strlen(esc);
    if (len > 40) {
        len = 37;
        while (len > 0 && ((unsigned char)esc[len] & 0xC0) == 0x80)
            len--;
        snprintf(out, n, "\"%.*s...\"", (int)len, esc);
    } else {
        snprintf(out, n, "\"%s\"", esc);
    }
    free(esc);
}

void sha256_hex(const void *data, size_t n, char out[65])
{
    struct sha256_ctx ctx;
    uint8_t digest[SHA256_DIGEST_SIZE];
    static const char hex[] = "0123456789abcdef";
    sha256_init(&ctx);
    sha256_update(&ctx, n, data);
    sha256_digest(&ctx, sizeof digest, digest);
    for (size_t i = 0; i < sizeof digest; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = '\0';
}

const char *file_kind_name(unsigned mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return "a file";
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO (named pipe)";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFSOCK: return "a socket";
    default: return "not a regular file";
    }
}

static int not_regular(const char *path, const char *what, unsigned mode,
                       ss_err *e)
{
    ss_errf(e, "%s: is %s, not a file%s%s%s", path, file_kind_name(mode),
            what ? " (the " : "", what ? what : "",
            what ? " must be a regular file)" : "");
    errno = EINVAL;
    return -1;
}

int file_open_regular(const char *path, int flags, const char *what,
                      ss_err *e)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int err = errno;
        struct stat lst;
        if (err == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
            char to[512];
            ssize_t k = readlink(path, to, sizeof to - 1);
            to[k > 0 ? k : 0] = '\0';
            ss_errf(e, "%s: is a symbolic link to %s, which does not exist "
                       "(a dangling link)", path, to);
            errno = ENOTDIR; /* not ENOENT: nothing may be created here */
            return -1;
        }
        ss_errf(e, "%s: cannot open: %s", path, strerror(err));
        errno = err;
        return -1;
    }
    if (!S_ISREG(st.st_mode))
        return not_regular(path, what, st.st_mode, e);
    /* O_NONBLOCK: a FIFO swapped in after stat must not block the open. */
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        int err = errno;
        ss_errf(e, "%s: cannot open: %s", path, strerror(err));
        errno = err;
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return not_regular(path, what, st.st_mode, e);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

char *disk_full_hint(const char *path, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = '\0';
    char *dir = xstrdup(path && *path ? path : ".");
    struct statvfs vs;
    int rc = statvfs(dir, &vs);
    if (rc != 0) {
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            strcpy(dir, ".");
        rc = statvfs(dir, &vs);
    }
    if (rc == 0 && vs.f_bavail == 0)
        snprintf(buf, n, " (no space left on the device holding %s)", path);
    free(dir);
    return buf;
}

int read_file(const char *path, char **out, size_t *len, size_t max,
              ss_err *e)
{
    int fd = file_open_regular(path, O_RDONLY, NULL, e);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return ss_errf(e, "%s: cannot open: %s", path, strerror(errno));
    }
    strbuf b = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (b.len + n > max) {
            fclose(f);
            sb_free(&b);
            return ss_errf(e, "%s: file is larger than %zu bytes", path, max);
        }
        sb_add(&b, buf, n);
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err) {
        sb_free(&b);
        return ss_errf(e, "%s: cannot read: %s", path, strerror(err));
    }
    *len = b.len;
    *out = sb_take(&b);
    return 0;
}

bool str_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

char *str_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Whether s is "YYYY-MM-DDTHH:MM:SS.mmmZ" (digits where digits go). */
bool utc_stamp_valid(const char *s)
{
    static const char form[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; i < sizeof form - 1; i++)
        if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i])
            return false;
    if (s[sizeof form - 1] != '\0')
        return false;
    /* A real instant: a day the month has (no 2026-13-45, no 02-29 but
     * in a leap year), no 23:59:60, from 1970 on. */
    int y = atoi(s), mo = atoi(s + 5), d = atoi(s + 8);
    int h = atoi(s + 11), mi = atoi(s + 14), se = atoi(s + 17);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59)
        return false;
    return d >= 1 && d <= days[mo - 1] + (mo == 2 && leap);
}

void utc_now(char out[32])
{
    const char *fixed = getenv("SITESWEEP_NOW");
    if (fixed && utc_stamp_valid(fixed)) {
        snprintf(out, 32, "%s", fixed);
        return;
    }
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char date[24];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 32, "%.19s.%03dZ", date, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* Code points that render as nothing, or as blank space: whitespace and
 * separators (Zs, Zl, Zp), format characters (Cf), combining grapheme
 * joiner, variation selectors, tags and the Hangul and braille blanks. */
static bool cp_is_invisible(unsigned cp)
{
    static const struct {
        unsigned lo, hi;
    } blank[] = {
        {0x0000, 0x0020}, {0x007F, 0x00A0}, {0x00AD, 0x00AD},
        {0x034F, 0x034F}, {0x0600, 0x0605}, {0x061C, 0x061C},
        {0x06DD, 0x06DD}, {0x070F, 0x070F}, {0x0890, 0x0891},
        {0x08E2, 0x08E2}, {0x115F, 0x1160}, {0x1680, 0x1680},
        {0x17B4, 0x17B5}, {0x180B, 0x180F}, {0x2000, 0x200F},
        {0x2028, 0x202F}, {0x205F, 0x206F}, {0x2800, 0x2800},
        {0x3000, 0x3000}, {0x3164, 0x3164}, {0xFE00, 0xFE0F},
        {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0}, {0xFFF9, 0xFFFB},
        {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F},
        {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
    };
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++)
        if (cp >= blank[i].lo && cp <= blank[i].hi)
            return true;
    return false;
}

bool text_has_visible(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        unsigned cp;
        size_t used = utf8_decode(s, n, &cp);
        if (used == 0)
            return true; /* a malformed byte is shown, as \xNN */
        if (!cp_is_invisible(cp))
            return true;
        s += used;
        n -= used;
    }
    return false;
}
