/* keys.c - the key tables of every screen and what is generated from them. */
#include "keys.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const hints[ACT_COUNT] = {
#define UI_ACTION_HINT(id, hint, help) hint,
    UI_ACTIONS(UI_ACTION_HINT)
#undef UI_ACTION_HINT
};

static const char *const helps[ACT_COUNT] = {
#define UI_ACTION_HELP(id, hint, help) help,
    UI_ACTIONS(UI_ACTION_HELP)
#undef UI_ACTION_HELP
};

#define MOVE_KEYS                                                    \
    {UI_FN(KEY_UP), ACT_UP}, {'k', ACT_UP}, {UI_FN(KEY_DOWN), ACT_DOWN}, \
        {'j', ACT_DOWN}, {UI_FN(KEY_PPAGE), ACT_PAGE_UP},                \
        {UI_FN(KEY_NPAGE), ACT_PAGE_DOWN}, {UI_FN(KEY_HOME), ACT_HOME},  \
        {'g', ACT_HOME}, {UI_FN(KEY_END), ACT_END}, {'G', ACT_END}

#define ENTER_KEYS(act) {'\n', act}, {'\r', act}, {UI_FN(KEY_ENTER), act}

static const key_binding sites_b[] = {
    ENTER_KEYS(ACT_OPEN),
    {'/', ACT_FILTER},
    {'a', ACT_ADD},
    {'e', ACT_EDIT},
    {'t', ACT_SET_STATE},
    {'\t', ACT_SWITCH},
    {'?', ACT_HELP},
    {'q', ACT_QUIT},
    MOVE_KEYS,
    {'m', ACT_MESSAGE},
    {UI_CTRL('L'), ACT_REDRAW},
};
static const keymap *const text_more[] = {&keys_edit, &keys_pager,
                                          &keys_signals, NULL};
static const keymap *const walk_more[] = {&keys_confirm, &keys_edit,
                                          &keys_pager, &keys_signals, NULL};

const keymap keys_sites = {"Sites", sites_b, sizeof sites_b / sizeof *sites_b,
                           text_more,
                           "> before a site: a cleanup is in progress."};

static const key_binding walk_b[] = {
    ENTER_KEYS(ACT_DONE),
    {'y', ACT_DONE},
    {'s', ACT_SKIP},
    {'x', ACT_FAIL},
    {'n', ACT_NOTE},
    {'u', ACT_REOPEN},
    {'c', ACT_COPY},
    {'A', ACT_ABANDON},
    {'?', ACT_HELP},
    {'q', ACT_BACK},
    {UI_ESC, ACT_BACK},
    {UI_FN(KEY_UP), ACT_UP},
    {'k', ACT_UP},
    {UI_FN(KEY_DOWN), ACT_DOWN},
    {'j', ACT_DOWN},
    {UI_FN(KEY_HOME), ACT_HOME},
    {'g', ACT_HOME},
    {UI_FN(KEY_END), ACT_END},
    {'G', ACT_END},
    {'K', ACT_SCROLL_UP},
    {'J', ACT_SCROLL_DOWN},
    {UI_FN(KEY_PPAGE), ACT_DETAIL_PAGE_UP},
    {UI_FN(KEY_NPAGE), ACT_DETAIL_PAGE_DOWN},
    {'m', ACT_MESSAGE},
    {UI_CTRL('L'), ACT_REDRAW},
};
const keymap keys_walk = {
    "Walkthrough", walk_b, sizeof walk_b / sizeof *walk_b, walk_more,
    "Item marks: [ ] open  [x] done  [-] skipped  [!] failed  n/a not "
    "applicable;\n* after the mark: the item has a reason or note (its "
    "history shows it)."};

/* A finished cleanup: only the keys that record nothing. The walkthrough
 * still looks keys up in keys_walk, to refuse the others with a reason. */
static const key_binding walk_ro_b[] = {
    {'c', ACT_COPY},
    {'?', ACT_HELP},
    {'q', ACT_BACK},
    {UI_ESC, ACT_BACK},
    {UI_FN(KEY_UP), ACT_UP},
    {'k', ACT_UP},
    {UI_FN(KEY_DOWN), ACT_DOWN},
    {'j', ACT_DOWN},
    {UI_FN(KEY_HOME), ACT_HOME},
    {'g', ACT_HOME},
    {UI_FN(KEY_END), ACT_END},
    {'G', ACT_END},
    {'K', ACT_SCROLL_UP},
    {'J', ACT_SCROLL_DOWN},
    {UI_FN(KEY_PPAGE), ACT_DETAIL_PAGE_UP},
    {UI_FN(KEY_NPAGE), ACT_DETAIL_PAGE_DOWN},
    {'m', ACT_MESSAGE},
    {UI_CTRL('L'), ACT_REDRAW},
};
static const keymap *const walk_ro_more[] = {&keys_pager, &keys_signals,
                                             NULL};
const keymap keys_walk_ro = {
    "Walkthrough (read-only)", walk_ro_b, sizeof walk_ro_b / sizeof *walk_ro_b,
    walk_ro_more,
    "Read-only: a finished cleanup (complete or abandoned) as it ended. The\n"
    "keys that record (Enter, y, s, x, n, u, A) are refused here.\n"
    "Item marks: [ ] open  [x] done  [-] skipped  [!] failed  n/a not "
    "applicable;\n* after the mark: the item has a reason or note (its "
    "history shows it)."};

static const key_binding journal_b[] = {
    ENTER_KEYS(ACT_SHOW),
    {'/', ACT_FILTER},
    {'\t', ACT_SWITCH},
    {'?', ACT_HELP},
    {'q', ACT_BACK},
    {UI_ESC, ACT_BACK},
    MOVE_KEYS,
    {'m', ACT_MESSAGE},
    {UI_CTRL('L'), ACT_REDRAW},
};
const keymap keys_journal = {"Journal", journal_b,
                             sizeof journal_b / sizeof *journal_b, text_more,
                             NULL};

static const key_binding runs_b[] = {
    ENTER_KEYS(ACT_OPEN_RUN),
    {'/', ACT_FILTER},
    {'\t', ACT_SWITCH},
    {'?', ACT_HELP},
    {'q', ACT_BACK},
    {UI_ESC, ACT_BACK},
    MOVE_KEYS,
    {'m', ACT_MESSAGE},
    {UI_CTRL('L'), ACT_REDRAW},
};
const keymap keys_runs = {
    "Cleanups", runs_b, sizeof runs_b / sizeof *runs_b, text_more,
    "Every cleanup, newest first: K7Q #2 is K7Q's second cleanup.\n"
    "Items: done/skipped/failed/n-a/open. Time: elapsed from start to end,\n"
    "active without the pauses over 30 minutes."};

static const key_binding pager_b[] = {
    {'q', ACT_BACK},
    {UI_ESC, ACT_BACK},
    MOVE_KEYS,
    {' ', ACT_PAGE_DOWN},
    {UI_CTRL('L'), ACT_REDRAW},
};
const keymap keys_pager = {"This help", pager_b,
                           sizeof pager_b / sizeof *pager_b, NULL, NULL};

static const key_binding form_b[] = {
    {UI_FN(KEY_F(2)), ACT_SAVE},
    {UI_CTRL('O'), ACT_SAVE},
    {UI_ESC, ACT_CANCEL},
    {'\t', ACT_NEXT_FIELD},
    {UI_FN(KEY_DOWN), ACT_NEXT_FIELD},
    ENTER_KEYS(ACT_NEXT_FIELD),
    {UI_FN(KEY_BTAB), ACT_PREV_FIELD},
    {UI_FN(KEY_UP), ACT_PREV_FIELD},
    {UI_FN(KEY_F(1)), ACT_HELP},
    {UI_CTRL('L'), ACT_REDRAW},
};
const keymap keys_form = {"Site form", form_b, sizeof form_b / sizeof *form_b,
                          text_more, NULL};

static const key_binding edit_b[] = {
    {UI_FN(KEY_LEFT), ACT_ED_LEFT},
    {UI_CTRL('B'), ACT_ED_LEFT},
    {UI_FN(KEY_RIGHT), ACT_ED_RIGHT},
    {UI_CTRL('F'), ACT_ED_RIGHT},
    {UI_FN(KEY_HOME), ACT_ED_HOME},
    {UI_CTRL('A'), ACT_ED_HOME},
    {UI_FN(KEY_END), ACT_ED_END},
    {UI_CTRL('E'), ACT_ED_END},
    {UI_FN(KEY_BACKSPACE), ACT_ED_BACKSPACE},
    {127, ACT_ED_BACKSPACE},
    {UI_CTRL('H'), ACT_ED_BACKSPACE},
    {UI_FN(KEY_DC), ACT_ED_DELETE},
    {UI_CTRL('D'), ACT_ED_DELETE},
    {UI_CTRL('U'), ACT_ED_KILL_BEFORE},
    {UI_CTRL('K'), ACT_ED_KILL_AFTER},
    {UI_CTRL('W'), ACT_ED_KILL_WORD},
    ENTER_KEYS(ACT_ED_ACCEPT),
    {UI_ESC, ACT_ED_CANCEL},
    {UI_PASTE_KEY, ACT_ED_PASTE},
};
const keymap keys_edit = {"Typing text (filters, reasons, notes, fields)",
                          edit_b, sizeof edit_b / sizeof *edit_b, NULL,
                          NULL};

static const key_binding confirm_b[] = {
    {'y', ACT_ANS_YES},
    {'Y', ACT_ANS_YES},
    {'n', ACT_ANS_NO},
    {'N', ACT_ANS_NO},
    {UI_ESC, ACT_ANS_NO},
    {'q', ACT_ANS_NO},
    ENTER_KEYS(ACT_ANS_DEFAULT),
};
const keymap keys_confirm = {
    "A y/N question (keys typed before it opened are ignored)", confirm_b,
    sizeof confirm_b / sizeof *confirm_b, NULL, NULL};

/* The terminal layer reads these keys itself (raw mode: the terminal sends
 * no signals); a screen never looks them up. Inside a paste they are text. */
static const key_binding signals_b[] = {
    {UI_CTRL('C'), ACT_SIG_INT},
    {UI_CTRL('\\'), ACT_SIG_QUIT},
    {UI_CTRL('Z'), ACT_SIG_STOP},
};
const keymap keys_signals = {
    "Anywhere (outside a paste)", signals_b,
    sizeof signals_b / sizeof *signals_b, NULL, NULL};

ui_action keymap_lookup(const keymap *m, int key)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->b[i].key == key)
            return m->b[i].act;
    return ACT_NONE;
}

const char *action_help(ui_action a)
{
    return (unsigned)a < ACT_COUNT ? helps[a] : "";
}

const char *action_hint(ui_action a)
{
    return (unsigned)a < ACT_COUNT ? hints[a] : "";
}

/* Names of the function keys the tables use. */
static const struct {
    int key;
    const char *name;
} keys_names_tab[] = {
    {UI_FN(KEY_UP), "Up"},        {UI_FN(KEY_DOWN), "Down"},
    {UI_FN(KEY_LEFT), "Left"},    {UI_FN(KEY_RIGHT), "Right"},
    {UI_FN(KEY_PPAGE), "PgUp"},   {UI_FN(KEY_NPAGE), "PgDn"},
    {UI_FN(KEY_HOME), "Home"},    {UI_FN(KEY_END), "End"},
    {UI_FN(KEY_ENTER), "Enter"},  {UI_FN(KEY_BTAB), "Shift-Tab"},
    {UI_FN(KEY_BACKSPACE), "Backspace"}, {UI_FN(KEY_DC), "Delete"},
    {'\n', "Enter"},              {'\r', "Enter"},
    {UI_PASTE_KEY, "Paste"},
    {'\t', "Tab"},                {UI_ESC, "Esc"},
    {' ', "Space"},               {127, "Backspace"},
};

void keys_name(int key, char *buf, size_t n)
{
    for (size_t i = 0; i < sizeof keys_names_tab / sizeof *keys_names_tab; i++)
        if (keys_names_tab[i].key == key) {
            snprintf(buf, n, "%s", keys_names_tab[i].name);
            return;
        }
    if (key & UI_FN_BIT) {
        int k = key & ~UI_FN_BIT;
        if (k >= KEY_F(1) && k <= KEY_F(12))
            snprintf(buf, n, "F%d", k - KEY_F0);
        else
            snprintf(buf, n, "key %d", k);
    } else if (key > 0 && key < 32) {
        snprintf(buf, n, "Ctrl-%c", key + '@');
    } else if (key > 0x7f) {
        char u[5] = {0};
        utf8_encode((unsigned)key, u);
        snprintf(buf, n, "%s", u);
    } else {
        snprintf(buf, n, "%c", key);
    }
}

int keys_parse(const char *name)
{
    static const struct {
        const char *name;
        int key;
    } alias[] = {{"Enter", '\r'},  {"Escape", UI_ESC}, {"BSpace", 127},
                 {"BTab", UI_FN(KEY_BTAB)}, {"Space", ' '},
                 {"DC", UI_FN(KEY_DC)}};
    for (size_t i = 0; i < sizeof alias / sizeof *alias; i++)
        if (strcmp(name, alias[i].name) == 0)
            return alias[i].key;
    for (size_t i = 0; i < sizeof keys_names_tab / sizeof *keys_names_tab;
         i++)
        if (strcmp(name, keys_names_tab[i].name) == 0)
            return keys_names_tab[i].key;
    const char *c = strncmp(name, "Ctrl-", 5) == 0 ? name + 5
                    : strncmp(name, "C-", 2) == 0  ? name + 2
                                                   : NULL;
    if (c && c[0] && !c[1] && ((c[0] >= '@' && c[0] <= '_') ||
                               (c[0] >= 'a' && c[0] <= 'z')))
        return UI_CTRL(c[0]);
    if (name[0] == 'F' && name[1] >= '1' && name[1] <= '9') {
        int n = atoi(name + 1);
        if (n >= 1 && n <= 12)
            return UI_FN(KEY_F(n));
    }
    unsigned cp;
    size_t len = strlen(name);
    if (len && utf8_decode(name, len, &cp) == len && cp >= 0x20)
        return (int)cp;
    return -1;
}

/* The keys bound to act, ", "-separated, each name once. */
static void keys_of(const keymap *m, ui_action act, strbuf *b)
{
    char names[16][24];
    size_t nn = 0;
    for (size_t i = 0; i < m->n && nn < 16; i++) {
        if (m->b[i].act != act)
            continue;
        char name[24];
        keys_name(m->b[i].key, name, sizeof name);
        bool seen = false;
        for (size_t k = 0; k < nn; k++)
            seen = seen || strcmp(names[k], name) == 0;
        if (seen)
            continue;
        snprintf(names[nn], sizeof names[nn], "%s", name);
        if (nn++)
            sb_puts(b, ", ");
        sb_puts(b, name);
    }
}

size_t keymap_help(const keymap *m, text_lines *out)
{
    size_t lines = 0;
    bool done[ACT_COUNT] = {false};
    for (size_t i = 0; i < m->n; i++) {
        ui_action a = m->b[i].act;
        if (done[a])
            continue;
        done[a] = true;
        strbuf b = {0};
        keys_of(m, a, &b);
        text_lines_addf(out, "  %-18s %s", b.s ? b.s : "", action_help(a));
        sb_free(&b);
        lines++;
    }
    return lines;
}

void keymap_help_all(const keymap *m, text_lines *out)
{
    text_lines_addf(out, "Keys of the %s screen:", m->screen);
    text_lines_add(out, "", 0);
    keymap_help(m, out);
    for (size_t i = 0; m->more && m->more[i]; i++) {
        text_lines_add(out, "", 0);
        text_lines_addf(out, "%s:", m->more[i]->screen);
        keymap_help(m->more[i], out);
    }
    if (m->legend) {
        text_lines_add(out, "", 0);
        for (const char *p = m->legend; *p;) {
            size_t n = strcspn(p, "\n");
            text_lines_add(out, p, n);
            p += n + (p[n] == '\n');
        }
    }
}

char *keymap_hints(const keymap *m, size_t cols)
{
    strbuf b = {0};
    bool done[ACT_COUNT] = {false};
    sb_puts(&b, "");
    for (size_t i = 0; i < m->n; i++) {
        ui_action a = m->b[i].act;
        if (done[a] || action_hint(a)[0] == '\0')
            continue;
        done[a] = true;
        char name[24], part[64];
        keys_name(m->b[i].key, name, sizeof name);
        snprintf(part, sizeof part, "%s%s %s", b.len ? "  " : "", name,
                 action_hint(a));
        if (b.len + strlen(part) > cols)
            break;
        sb_puts(&b, part);
    }
    return sb_take(&b);
}

void key_hold_answered(key_hold *h, int key, long long at)
{
    if (key != h->key || at > h->at)
        h->at = at;
    h->key = key;
}

bool key_hold_arrived(key_hold *h, int key, long long now)
{
    if (!key_still_held(h->key, h->at, key, now)) {
        h->key = -1; /* let go: another key, or a quiet gap */
        return false;
    }
    h->at = now;
    return true;
}

bool key_still_held(int held, long long held_at, int key, long long now)
{
    if (held < 0 || key != held)
        return false;
    return now - held_at < KEY_RELEASE_MS;
}

bool seq_introducer(unsigned cp)
{
    switch (cp) {
    case UI_ESC: case 0x9B: case 0x8E: case 0x8F: case 0x90:
    case 0x98: case 0x9D: case 0x9E: case 0x9F:
        return true;
    default:
        return false;
    }
}

/* Enters the form the introducer intro (the 7-bit letter) opens. */
static void seq_enter(seq_scan *s, unsigned intro)
{
    s->intro = intro;
    s->len = 0;
    s->csi[0] = '\0';
    switch (intro) {
    case '[': s->kind = SEQ_CSI; break;
    case 'N': case 'O': s->kind = SEQ_SS; break;
    default: s->kind = SEQ_STRING; break; /* P X ] ^ _ */
    }
}

void seq_begin(seq_scan *s, unsigned cp)
{
    memset(s, 0, sizeof *s);
    s->kind = SEQ_ESC;
    if (cp != UI_ESC) {
        s->c1 = true;
        seq_enter(s, cp - 0x40); /* 0x9B is ESC [, 0x9D ESC ], ... */
    }
}

seq_step seq_feed(seq_scan *s, unsigned cp)
{
    switch (s->kind) {
    case SEQ_ESC:
        if (s->keys && cp != '[' && cp != 'O' && cp != ']' &&
            cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0)) {
            s->kind = SEQ_ALT;
            s->last = cp;
            return SEQ_DONE;
        }
        if (cp == '[' || cp == 'O' || cp == 'N' || cp == ']' || cp == 'P' ||
            cp == 'X' || cp == '^' || cp == '_') {
            seq_enter(s, cp);
            return SEQ_MORE;
        }
        if (cp >= 0x20 && cp <= 0x2F) {
            s->kind = SEQ_NF;
            s->last = cp;
            return SEQ_MORE;
        }
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            return SEQ_ABORT; /* a control: the ESC stands alone */
        s->kind = SEQ_ALT;
        s->last = cp;
        return SEQ_DONE;
    case SEQ_NF:
        if (cp >= 0x20 && cp <= 0x2F) {
            s->len++; /* intermediates after the first */
            return SEQ_MORE;
        }
        if (cp >= 0x30 && cp <= 0x7E) {
            s->last = cp;
            return SEQ_DONE;
        }
        return SEQ_ABORT;
    case SEQ_ALT:
        return SEQ_ABORT; /* already whole */
    case SEQ_CSI:
        if (cp >= 0x20 && cp <= 0x7E) {
            if (s->len < sizeof s->csi - 1) {
                s->csi[s->len] = (char)cp;
                s->csi[s->len + 1] = '\0';
            }
            s->len++;
            s->last = cp;
            if (cp < 0x40)
                return SEQ_MORE;
            if (cp == 'M' && s->len == 1) { /* X10 mouse: 3 raw bytes */
                s->kind = SEQ_MOUSE;
                s->left = 3;
                return SEQ_MORE;
            }
            return SEQ_DONE;
        }
        return SEQ_ABORT;
    case SEQ_MOUSE:
        s->len++;
        return --s->left > 0 ? SEQ_MORE : SEQ_DONE;
    case SEQ_SS:
        if (cp >= 0x20 && cp <= 0x7E) {
            s->last = cp;
            s->len++;
            return SEQ_DONE;
        }
        return SEQ_ABORT;
    case SEQ_STRING:
        if (s->st_esc && cp != '\\') {
            s->st_esc = false;
            return SEQ_AGAIN;
        }
        s->len++;
        if (cp == 0x9C || (s->st_esc && cp == '\\') ||
            (cp == '\a' && s->intro == ']'))
            return SEQ_DONE;
        s->st_esc = cp == UI_ESC;
        if (s->len >= SEQ_STRING_MAX) {
            s->cut = true;
            return SEQ_DONE;
        }
        return SEQ_MORE;
    }
    return SEQ_ABORT;
}

bool seq_paste_prefix(const seq_scan *s)
{
    if (s->c1)
        return false;
    if (s->kind == SEQ_ESC)
        return true;
    if (s->kind != SEQ_CSI || s->len > 4)
        return false;
    return strncmp(s->csi, "200~", s->len) == 0 ||
           strncmp(s->csi, "201~", s->len) == 0;
}

int seq_key(const seq_scan *s, int *mods)
{
    *mods = 0;
    if (s->kind == SEQ_SS && s->intro == 'O') {
        switch (s->last) {
        case 'A': return KEY_UP;
        case 'B': return KEY_DOWN;
        case 'C': return KEY_RIGHT;
        case 'D': return KEY_LEFT;
        case 'H': return KEY_HOME;
        case 'F': return KEY_END;
        case 'M': return KEY_ENTER;
        case 'P': case 'Q': case 'R': case 'S':
            return KEY_F(1 + (int)(s->last - 'P'));
        default: return -1;
        }
    }
    if (s->kind != SEQ_CSI || s->len >= sizeof s->csi)
        return -1;
    if (!s->c1 && strcmp(s->csi, "200~") == 0)
        return SEQ_KEY_PASTE_BEGIN;
    if (!s->c1 && strcmp(s->csi, "201~") == 0)
        return SEQ_KEY_PASTE_END;
    /* parameters: digits and at most one ';', then the final */
    int p[2] = {-1, -1}, np = 0;
    const char *c = s->csi;
    for (; *c >= 0x30 && *c <= 0x3F; c++) {
        if (*c >= '0' && *c <= '9') {
            int *v = &p[np];
            *v = (*v < 0 ? 0 : *v) * 10 + (*c - '0');
            if (*v > 999)
                return -1;
        } else if (*c == ';' && np == 0) {
            np = 1;
        } else {
            return -1; /* private markers (<, =, >, ?) or more parameters */
        }
    }
    if (c[0] == '\0' || c[1] != '\0')
        return -1; /* intermediates, or no final */
    char fin = c[0];
    if (p[1] > 1)
        *mods = p[1] - 1;
    else if (p[1] == 0 || (np == 1 && p[1] < 0))
        return -1;
    int key = -1;
    switch (fin) {
    case 'A': key = KEY_UP; break;
    case 'B': key = KEY_DOWN; break;
    case 'C': key = KEY_RIGHT; break;
    case 'D': key = KEY_LEFT; break;
    case 'H': key = KEY_HOME; break;
    case 'F': key = KEY_END; break;
    case 'Z': key = KEY_BTAB; break;
    case 'P': case 'Q': case 'R': case 'S':
        key = KEY_F(1 + (fin - 'P'));
        break;
    case '~':
        switch (p[0]) {
        case 1: case 7: key = KEY_HOME; break;
        case 2: key = KEY_IC; break;
        case 3: key = KEY_DC; break;
        case 4: case 8: key = KEY_END; break;
        case 5: key = KEY_PPAGE; break;
        case 6: key = KEY_NPAGE; break;
        case 11: case 12: case 13: case 14: case 15:
            key = KEY_F(p[0] - 10);
            break;
        case 17: case 18: case 19: case 20: case 21:
            key = KEY_F(p[0] - 11);
            break;
        case 23: case 24:
            key = KEY_F(p[0] - 12);
            break;
        default: return -1;
        }
        return key;
    default: return -1;
    }
    /* letter finals: no first parameter, or 1 before a modifier */
    if (!(p[0] < 0 && np == 0) && p[0] != 1)
        return -1;
    return key;
}

void seq_key_name(int key, int mods, char *buf, size_t n)
{
    char name[24];
    if (key == KEY_IC)
        snprintf(name, sizeof name, "Insert");
    else
        keys_name(UI_FN(key), name, sizeof name);
    snprintf(buf, n, "%s%s%s%s%s", mods & 4 ? "Ctrl-" : "",
             mods & 2 ? "Alt-" : "", mods & 8 ? "Meta-" : "",
             mods & 1 ? "Shift-" : "", name);
}
