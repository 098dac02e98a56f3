/* layout.c - column and pane arithmetic. */
#include "layout.h"

void layout_sites(int cols, sites_cols *c)
{
    c->mark = 2;
    c->code = 5;
    c->parent = 7;
    c->state = 9;
    c->progress = 16;
    c->activity = 17;
    int fixed = c->mark + c->code + c->parent + c->state + c->progress;
    int rest = cols - fixed - c->activity;
    if (rest < 24) {
        c->activity = 0;
        rest = cols - fixed;
    }
    if (rest < 2)
        rest = 2;
    c->server = rest * 2 / 5;
    if (c->server > 24)
        c->server = 24;
    if (c->server < 1)
        c->server = 1;
    c->name = rest - c->server;
}

void layout_journal(int cols, journal_cols *c)
{
    c->seconds = cols >= 90;
    c->time = c->seconds ? 20 : 17;
    c->operator_name = cols >= 80 ? 11 : 9;
    c->site = 5;
    c->item = 6;
    c->kind = 14;
    int rest = cols - c->time - c->operator_name - c->site - c->item -
               c->kind;
    c->note = rest > 1 ? rest : 1;
}

void layout_runs(int cols, runs_cols *c)
{
    c->run = 9;
    c->state = 10;
    c->started = 17;
    c->ended = 17;
    c->elapsed = 9;
    c->active = 9;
    c->items = 15;
    c->procedure = 0;
    int fixed = c->run + c->state + c->started + c->ended + c->elapsed +
                c->active + c->items;
    if (cols - fixed < 10) { /* narrow: the end shows in the state's date */
        c->ended = 0;
        fixed -= 17;
    }
    if (cols - fixed < 10) {
        c->elapsed = 0;
        fixed -= 9;
    }
    if (cols - fixed >= 30) {
        c->procedure = 10;
        fixed += 10;
    }
    c->operators = cols - fixed > 1 ? cols - fixed : 1;
}

void layout_walk(int rows, int cols, walk_layout *l)
{
    l->header_top = 1;
    l->header_rows = 2;
    l->pane_top = l->header_top + l->header_rows + 1;
    l->pane_rows = rows - l->pane_top - 2;
    if (l->pane_rows < 1)
        l->pane_rows = 1;
    int w = cols * 2 / 5;
    if (w < 26)
        w = 26;
    if (w > 44)
        w = 44;
    if (w > cols / 2)
        w = cols / 2;
    l->list_w = w;
    l->sep_x = w;
    l->detail_x = w + 2;
    l->detail_w = cols - l->detail_x;
    if (l->detail_w < 1)
        l->detail_w = 1;
}

int layout_scroll(int top, int cur, int rows)
{
    if (rows < 1)
        rows = 1;
    if (cur < top)
        top = cur;
    if (cur >= top + rows)
        top = cur - rows + 1;
    return top < 0 ? 0 : top;
}
