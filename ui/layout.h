/* layout.h - where things go on a screen of a given size. Pure arithmetic,
 * tested at several terminal sizes. */
#ifndef SITESWEEP_UI_LAYOUT_H
#define SITESWEEP_UI_LAYOUT_H

/* Column widths of the Sites list (0 = column hidden); each includes the
 * space after it. */
typedef struct sites_cols {
    int mark;     /* in-progress marker */
    int code;     /* site code */
    int name;     /* descriptive name */
    int parent;   /* parent code */
    int server;   /* site server */
    int state;    /* install state */
    int progress; /* 7/20, done DATE or - */
    int activity; /* last activity */
} sites_cols;
void layout_sites(int cols, sites_cols *c);

/* Column widths of the Journal list (0 = hidden). */
typedef struct journal_cols {
    int time;     /* UTC time */
    int seconds;  /* 1 when the time shows seconds */
    int operator_name; /* who */
    int site;     /* site code */
    int item;     /* item id */
    int kind;     /* outcome / event kind */
    int note;     /* the rest */
} journal_cols;
void layout_journal(int cols, journal_cols *c);

/* Column widths of the Cleanups list (0 = hidden); each includes the
 * space after it. */
typedef struct runs_cols {
    int run;       /* "K7Q #2" */
    int state;     /* open, complete, abandoned */
    int procedure; /* procedure name */
    int started;   /* UTC start */
    int ended;     /* UTC end */
    int elapsed;   /* start to end */
    int active;    /* time worked */
    int items;     /* done/skipped/failed/n-a/open */
    int operators; /* the rest */
} runs_cols;
void layout_runs(int cols, runs_cols *c);

/* The walkthrough: header over a list pane and a detail pane. */
typedef struct walk_layout {
    int header_top;  /* first header row */
    int header_rows; /* rows of the header */
    int pane_top;    /* first row of both panes */
    int pane_rows;   /* rows of both panes */
    int list_w;      /* columns of the item list */
    int sep_x;       /* column of the separator */
    int detail_x;    /* first column of the detail pane */
    int detail_w;    /* its columns */
} walk_layout;
/* rows x cols is the whole terminal (title, hints, status included). */
void layout_walk(int rows, int cols, walk_layout *l);

/* The first row to show so that cur is visible in a list of rows rows,
 * given the previous first row. */
int layout_scroll(int top, int cur, int rows);

#endif
