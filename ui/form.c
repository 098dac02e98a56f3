/* form.c - the site form: one line editor per inventory field, each
 * field's validation (the importer's own, site_set_field) shown beside it,
 * and nothing saved until every field and site_check pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui.h"

typedef struct form {
    bool create;                  /* adding a site (else editing one) */
    char code[4];                 /* the site being edited */
    line_edit ed[FIELD_COUNT];    /* one editor per field */
    char err[FIELD_COUNT][SS_ERRLEN]; /* each field's problem, "" if none */
    int cur;                      /* field with the cursor */
    drop_watch drops;             /* keys dropped while it is open */
} form;

static const char *const field_help[FIELD_COUNT] = {
    "three letters or digits",      "descriptive name",
    "parent site code",             "site server name",
    "install drive letter",         "pending, hung, failed, ...",
    "yes or no (Logon Installation/Discovery)",
    "CAP/DP servers, ;-separated",  "primary domain controller",
};

static void form_check_field(form *f, int i)
{
    site tmp;
    site_init(&tmp);
    ss_err e = {{0}};
    f->err[i][0] = '\0';
    if (site_set_field(&tmp, (site_field)i, f->ed[i].buf, &e) != 0)
        snprintf(f->err[i], sizeof f->err[i], "%s", e.msg);
}

static void form_draw(ui *u, screen *s)
{
    (void)u;
    form *f = s->data;
    int y = ui_body_top();
    char *title = f->create ? xstrdup("Add a site")
                            : xasprintf("Edit site %s", f->code);
    draw_text(y, 0, title, COLS, ROLE_HEADER, true);
    free(title);
    int lw = 9, fw = COLS >= 100 ? 40 : (COLS - lw) / 2;
    int ex = lw + fw + 1, ew = COLS - ex;
    int cy = -1, cx = 0;
    for (int i = 0; i < FIELD_COUNT; i++) {
        int row = y + 2 + i;
        draw_text(row, 0, site_field_name((site_field)i), lw - 1, ROLE_LABEL,
                  false);
        bool ro = !f->create && i == FIELD_CODE;
        size_t start, cc;
        edit_view(&f->ed[i], (size_t)fw, &start, &cc);
        draw_text(row, lw, f->ed[i].buf + start, fw,
                  i == f->cur ? ROLE_CURSOR : ro ? ROLE_NA : ROLE_STATUS,
                  true);
        if (i == f->cur)
            cy = row, cx = lw + (int)cc;
        if (f->err[i][0])
            draw_text(row, ex, f->err[i], ew, ROLE_ERROR, false);
        else
            draw_text(row, ex, ro ? "(cannot change)" : field_help[i], ew,
                      ROLE_NA, false);
    }
    int row = y + 3 + FIELD_COUNT;
    if (f->err[f->cur][0]) {
        text_lines l = {0};
        text_wrap(f->err[f->cur], (size_t)COLS, 2, &l);
        for (size_t i = 0; i < l.n && row < LINES - 2; i++)
            draw_text(row++, 0, l.v[i], COLS, ROLE_ERROR, false);
        text_lines_free(&l);
    } else {
        draw_text(row++, 0, "F2 or Ctrl-O saves; Esc cancels (nothing is "
                            "saved until every field is valid)",
                  COLS, ROLE_NORMAL, false);
    }
    drop_check(&f->drops);
    if (f->drops.dropped) {
        /* stays until the form is saved or cancelled */
        char note[192];
        drop_note_text(note, sizeof note, f->drops.dropped, "F2");
        text_lines l = {0};
        text_wrap(note, (size_t)COLS, 0, &l);
        for (size_t i = 0; i < l.n && row + 1 < LINES - 2; i++)
            draw_text(++row, 0, l.v[i], COLS, ROLE_ERROR, false);
        text_lines_free(&l);
    }
    if (cy >= 0) {
        curs_set(1);
        move(cy, cx);
    }
}

/* Validates everything; on success fills s. Otherwise points the cursor at
 * the first bad field. */
static bool form_collect(ui *u, form *f, site *s)
{
    site_init(s);
    ss_err e = {{0}};
    for (int i = 0; i < FIELD_COUNT; i++) {
        form_check_field(f, i);
        if (f->err[i][0] == '\0' &&
            site_set_field(s, (site_field)i, f->ed[i].buf, &e) == 0)
            continue;
        f->cur = i;
        ui_error(u, "Not saved: %s", f->err[i]);
        return false;
    }
    site_field bad = FIELD_CODE;
    if (site_check(s, &bad, &e) != 0) {
        f->cur = (int)bad;
        snprintf(f->err[bad], sizeof f->err[bad], "%s", e.msg);
        ui_error(u, "Not saved: %s", e.msg);
        return false;
    }
    return true;
}

static ui_result form_save(ui *u, form *f)
{
    site s;
    if (!form_collect(u, f, &s))
        return UI_STAY;
    if (!drop_confirmed(&f->drops)) {
        /* the fields may lack keys the operator typed: saved only as
         * shown, once seen */
        ui_error(u, "Not saved: %zu key%s dropped from this form: check "
                    "the fields, then press F2 again to save them as shown",
                 f->drops.dropped, f->drops.dropped == 1 ? "" : "s");
        return UI_STAY;
    }
    ss_err e = {{0}};
    ui_writing(u);
    if (journal_site_save(u->a->j, &s, f->create, &e) != 0) {
        /* A parent that would close a cycle: shown at the parent field. */
        static const char pf[] = "field \"parent\": ";
        if (strncmp(e.msg, pf, sizeof pf - 1) == 0) {
            f->cur = FIELD_PARENT;
            snprintf(f->err[FIELD_PARENT], sizeof f->err[FIELD_PARENT], "%s",
                     e.msg);
        }
        ui_error(u, "Not saved: %s", e.msg);
        return UI_STAY;
    }
    site parent;
    ss_err pe;
    if (s.parent[0] &&
        journal_site_get(u->a->j, s.parent, &parent, &pe) == JOURNAL_NOTFOUND)
        ui_error(u, "Site %s %s; warning: its parent %s is not in the "
                    "inventory, so its instructions cannot name the "
                    "parent's server", s.code, f->create ? "added" : "saved",
                 s.parent);
    else
        ui_info(u, "Site %s %s", s.code, f->create ? "added" : "saved");
    snprintf(u->focus, sizeof u->focus, "%s", s.code);
    return UI_BACK;
}

static ui_result form_handle(ui *u, screen *s, int key)
{
    form *f = s->data;
    ui_action act = keymap_lookup(&keys_form, key);
    bool enter = key == '\n' || key == '\r' || key == UI_FN(KEY_ENTER);
    if (enter && f->cur == FIELD_COUNT - 1)
        act = ACT_SAVE;
    switch (act) {
    case ACT_SAVE: return form_save(u, f);
    case ACT_CANCEL:
        ui_info(u, "Nothing saved");
        return UI_BACK;
    case ACT_NEXT_FIELD: f->cur = (f->cur + 1) % FIELD_COUNT; break;
    case ACT_PREV_FIELD:
        f->cur = (f->cur + FIELD_COUNT - 1) % FIELD_COUNT;
        break;
    default:
        if (!f->create && f->cur == FIELD_CODE)
            break;
        if (edit_key(&f->ed[f->cur], key) == EDIT_CHANGED)
            form_check_field(f, f->cur);
        break;
    }
    return UI_STAY;
}

static bool form_paste(ui *u, screen *s, const char *text)
{
    form *f = s->data;
    if (!f->create && f->cur == FIELD_CODE)
        return false;
    if (!edit_paste(&f->ed[f->cur], text, false))
        ui_error(u, "The paste was cut: the field is full");
    form_check_field(f, f->cur);
    return true;
}

static void form_destroy(screen *s)
{
    term_ask_end(); /* the form's question (form_screen_new) */
    free(s->data);
}

static const screen_ops form_ops = {
    .name = "Site form",
    .keys = &keys_form,
    .draw = form_draw,
    .handle = form_handle,
    .paste = form_paste,
    .resume = NULL,
    .destroy = form_destroy,
};

screen *form_screen_new(ui *u, const char *code)
{
    site s;
    site_init(&s);
    if (code) {
        /* A site that cannot be read now is not shown blank: no form. */
        ss_err e = {{0}};
        if (journal_site_get(u->a->j, code, &s, &e) != 0) {
            ui_error(u, "Cannot read site %s, so it cannot be edited now: "
                        "%s", code, e.msg);
            return NULL;
        }
    }
    form *f = xcalloc(1, sizeof *f);
    f->create = code == NULL;
    if (code)
        snprintf(f->code, sizeof f->code, "%s", code);
    for (int i = 0; i < FIELD_COUNT; i++) {
        char buf[EDIT_CAP + 1];
        site_get_field(&s, (site_field)i, buf, sizeof buf);
        if (f->create && i == FIELD_STATE)
            snprintf(buf, sizeof buf, "%s", "hung");
        size_t max = i == FIELD_SERVERS ? SITE_SERVERS_MAX
                     : i == FIELD_NAME  ? SITE_NAME_MAX
                                        : SITE_HOST_MAX;
        edit_init(&f->ed[i], buf, max);
    }
    f->cur = f->create ? FIELD_CODE : FIELD_NAME;
    /* Keys typed before the form opened were meant for the screen behind
     * it: none goes into a field (Ctrl-O would save them). The form is a
     * question (ended in form_destroy): the key that opened it, held down,
     * types nothing into its first field (the held-key rule). */
    size_t dropped = ui_ask_begin(u, "form");
    term_ask_text();
    f->drops = (drop_watch){dropped, 0, term_discarded()};
    if (dropped)
        ui_info(u, "Ignored %zu key%s typed before the form opened", dropped,
                dropped == 1 ? "" : "s");
    return screen_new(&form_ops, f);
}
