/* aggregate.c - the table and the figure of a sweep: reads the examples' JSON result lines (one
   run per line: example, learner, seed, settings, curve, final; see examples/README.md), groups
   the runs that differ only in their seed, and prints for each group the number of seeds and the
   mean and standard error of the final metric and of the mean over the tail of the curve.

   --select KEY picks, within each family of groups that differ only in KEY (a step size, say),
   the KEY value with the lowest mean tail metric on the selection seeds, and reports that choice
   on the report seeds only: a choice scored on the seeds that chose it is biased low (the best of
   several noisy means), so the two sets of seeds must not overlap.

   --svg PATH draws the learning curves: the mean over seeds of each group (or of each choice,
   on the report seeds) with a band of one standard error, log axes where the data span decades.

   Build: cc -O2 -std=c99 aggregate.c -lm     Run: ./aggregate --help     (make build/aggregate) */
#define _POSIX_C_SOURCE 200809L /* opendir, stat, strdup */
#include "../plot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NA ((double)NAN) /* a missing or diverged value */
#define MAX_SET 64    /* settings per run */
#define MAX_RANGES 16 /* intervals in a seed list */

typedef struct run {
    char *example, *learner, *metric, *where; /* where: "file:line", for messages */
    long seed, steps, window;
    int nset;
    char *key[MAX_SET], *val[MAX_SET]; /* settings without the seed, sorted by key */
    double *curve, final;
    int n;
    int group;
} run;

typedef struct group {
    int first;  /* a run of the group: its labels */
    int *runs, nruns;
    int family; /* with --select: groups equal but for KEY share a family */
} group;

typedef struct stats {
    int n;
    double final_mean, final_se, tail_mean, tail_se;
} stats;

typedef struct seeds {
    int n;
    long lo[MAX_RANGES], hi[MAX_RANGES];
} seeds;

static run *runs;
static int nruns, capruns;
static group *groups;
static int ngroups;
static double tail_fraction = 0.5;
static int warnings;

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "aggregate: out of memory\n");
        exit(1);
    }
    return p;
}

/* realloc, or the program stops with the message xmalloc gives */
static void *xrealloc(void *old, size_t n) {
    void *p = realloc(old, n ? n : 1);
    if (!p) {
        fprintf(stderr, "aggregate: out of memory\n");
        exit(1);
    }
    return p;
}

static char *xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

/* ---- a small JSON reader for exactly the result lines' shape: an object of strings and numbers,
   one "settings" object of strings and numbers, one "curve" array of numbers. It also takes the
   nan, inf and -inf that printf writes for a diverged run (and null, as nan), and skips any other
   nested value, so a new key does not break it. */

typedef struct cursor {
    const char *p;
    const char *err;
} cursor;

static void ws(cursor *c) {
    while (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n') ++c->p;
}

static int expect(cursor *c, char ch) {
    ws(c);
    if (*c->p != ch) {
        if (!c->err) c->err = ch == '"' ? "expected a string" : ch == ':' ? "expected ':'" : "malformed JSON";
        return 0;
    }
    ++c->p;
    return 1;
}

/* A string into buf (at most cap - 1 bytes kept), \u escapes as UTF-8. */
static int string(cursor *c, char *buf, size_t cap) {
    size_t n = 0;
    if (!expect(c, '"')) return 0;
    while (*c->p && *c->p != '"') {
        unsigned ch = (unsigned char)*c->p++;
        if (ch == '\\') {
            char e = *c->p ? *c->p++ : '\0';
            switch (e) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            case 'b': ch = '\b'; break;
            case 'f': ch = '\f'; break;
            case 'u': {
                unsigned u = 0;
                int k;
                for (k = 0; k < 4 && isxdigit((unsigned char)*c->p); ++k, ++c->p)
                    u = u * 16 + (unsigned)(isdigit((unsigned char)*c->p) ? *c->p - '0' : (tolower((unsigned char)*c->p) - 'a' + 10));
                if (u >= 0x80) { /* as UTF-8 (surrogates are left as they are: names are ASCII) */
                    if (u < 0x800) {
                        if (n + 2 < cap) buf[n++] = (char)(0xC0 | (u >> 6)), buf[n++] = (char)(0x80 | (u & 0x3F));
                    } else if (n + 3 < cap) {
                        buf[n++] = (char)(0xE0 | (u >> 12));
                        buf[n++] = (char)(0x80 | ((u >> 6) & 0x3F));
                        buf[n++] = (char)(0x80 | (u & 0x3F));
                    }
                    continue;
                }
                ch = u;
                break;
            }
            case '\0': c->err = "unterminated string"; return 0;
            default: ch = (unsigned char)e; break; /* \" \\ \/ */
            }
        }
        if (n + 1 < cap) buf[n++] = (char)ch;
    }
    buf[n] = '\0';
    if (*c->p != '"') {
        c->err = "unterminated string";
        return 0;
    }
    ++c->p;
    return 1;
}

/* A scalar: a string, or a number or literal as its text. */
static int scalar(cursor *c, char *buf, size_t cap, int *is_string) {
    size_t n = 0;
    ws(c);
    *is_string = *c->p == '"';
    if (*is_string) return string(c, buf, cap);
    while (*c->p && !strchr(",}] \t\r\n", *c->p)) {
        if (n + 1 < cap) buf[n++] = *c->p;
        ++c->p;
    }
    buf[n] = '\0';
    if (n == 0) {
        if (!c->err) c->err = "expected a value";
        return 0;
    }
    return 1;
}

static double number(const char *s) {
    char *end;
    double v;
    if (strcmp(s, "null") == 0) return NA;
    v = strtod(s, &end);
    return end != s && *end == '\0' ? v : NA;
}

static int is_number(const char *s) {
    char *end;
    if (!*s) return 0;
    (void)strtod(s, &end);
    return *end == '\0';
}

/* Skips any value (for keys this reader does not know). */
static int skip(cursor *c) {
    int depth = 0, in_string = 0;
    ws(c);
    if (*c->p != '{' && *c->p != '[') {
        char tmp[64];
        int s;
        return scalar(c, tmp, sizeof tmp, &s);
    }
    for (; *c->p; ++c->p) {
        if (in_string) {
            if (*c->p == '\\' && c->p[1]) ++c->p;
            else if (*c->p == '"') in_string = 0;
        } else if (*c->p == '"') in_string = 1;
        else if (*c->p == '{' || *c->p == '[') ++depth;
        else if ((*c->p == '}' || *c->p == ']') && --depth == 0) {
            ++c->p;
            return 1;
        }
    }
    c->err = "unbalanced brackets";
    return 0;
}

/* One result line into r; 0 and c->err on a line that is not one. */
static int parse_line(const char *line, run *r, const char **err) {
    cursor c;
    char key[256], val[4096];
    int s, k, have_seed = 0, have_final = 0, cap = 0;
    char *seed_setting = NULL;
    memset(r, 0, sizeof *r);
    r->final = NA;
    c.p = line;
    c.err = NULL;
    if (!expect(&c, '{')) goto bad;
    ws(&c);
    if (*c.p == '}') {
        c.err = "an empty object";
        goto bad;
    }
    for (;;) {
        if (!string(&c, key, sizeof key) || !expect(&c, ':')) goto bad;
        ws(&c);
        if (strcmp(key, "settings") == 0 && *c.p == '{') {
            ++c.p;
            ws(&c);
            if (*c.p == '}') ++c.p;
            else
                for (;;) {
                    if (!string(&c, key, sizeof key) || !expect(&c, ':') || !scalar(&c, val, sizeof val, &s)) goto bad;
                    if (strcmp(key, "seed") == 0 || strcmp(key, "seeds") == 0) { /* a run's seed is its own */
                        if (strcmp(key, "seed") == 0) {
                            free(seed_setting);
                            seed_setting = xstrdup(val);
                        }
                    } else if (r->nset < MAX_SET) {
                        r->key[r->nset] = xstrdup(key);
                        r->val[r->nset++] = xstrdup(val);
                    }
                    ws(&c);
                    if (*c.p == ',') { ++c.p; continue; }
                    if (!expect(&c, '}')) goto bad;
                    break;
                }
        } else if (strcmp(key, "curve") == 0 && *c.p == '[') {
            ++c.p;
            ws(&c);
            if (*c.p == ']') ++c.p;
            else
                for (;;) {
                    if (!scalar(&c, val, sizeof val, &s)) goto bad;
                    if (r->n == cap) {
                        cap = cap ? 2 * cap : 64;
                        r->curve = xrealloc(r->curve, (size_t)cap * sizeof *r->curve);
                    }
                    r->curve[r->n++] = s ? NA : number(val);
                    ws(&c);
                    if (*c.p == ',') { ++c.p; continue; }
                    if (!expect(&c, ']')) goto bad;
                    break;
                }
        } else if (*c.p == '{' || *c.p == '[') {
            if (!skip(&c)) goto bad;
        } else {
            if (!scalar(&c, val, sizeof val, &s)) goto bad;
            if (strcmp(key, "example") == 0) free(r->example), r->example = xstrdup(val);
            else if (strcmp(key, "learner") == 0) free(r->learner), r->learner = xstrdup(val);
            else if (strcmp(key, "metric") == 0) free(r->metric), r->metric = xstrdup(val);
            else if (strcmp(key, "seed") == 0) r->seed = strtol(val, NULL, 10), have_seed = 1;
            else if (strcmp(key, "steps") == 0) r->steps = (long)number(val);
            else if (strcmp(key, "window") == 0) r->window = (long)number(val);
            else if (strcmp(key, "final") == 0) r->final = number(val), have_final = 1;
        }
        ws(&c);
        if (*c.p == ',') { ++c.p; continue; }
        if (!expect(&c, '}')) goto bad;
        break;
    }
    ws(&c);
    if (*c.p) {
        c.err = "text after the object";
        goto bad;
    }
    if (!have_seed && seed_setting) r->seed = strtol(seed_setting, NULL, 10), have_seed = 1;
    if (!have_seed) {
        c.err = "no \"seed\"";
        goto bad;
    }
    if (!have_final) {
        if (r->n == 0) {
            c.err = "neither \"final\" nor \"curve\"";
            goto bad;
        }
        r->final = r->curve[r->n - 1];
    }
    if (!r->example) r->example = xstrdup("?");
    if (!r->learner) r->learner = xstrdup("?");
    if (!r->metric) r->metric = xstrdup("metric");
    free(seed_setting);
    /* sorted keys: runs with the same settings in another order are the same experiment */
    for (k = 1; k < r->nset; ++k) {
        int j;
        for (j = k; j > 0 && strcmp(r->key[j - 1], r->key[j]) > 0; --j) {
            char *t = r->key[j];
            r->key[j] = r->key[j - 1], r->key[j - 1] = t;
            t = r->val[j], r->val[j] = r->val[j - 1], r->val[j - 1] = t;
        }
    }
    return 1;
bad:
    *err = c.err ? c.err : "malformed JSON";
    free(seed_setting);
    free(r->example), free(r->learner), free(r->metric), free(r->curve);
    for (k = 0; k < r->nset; ++k) free(r->key[k]), free(r->val[k]);
    return 0;
}

static void add_run(const run *r) {
    if (nruns == capruns) {
        capruns = capruns ? 2 * capruns : 256;
        runs = xrealloc(runs, (size_t)capruns * sizeof *runs);
    }
    runs[nruns++] = *r;
}

/* Reads every result line of a file; lines that do not start with '{' (a log line) are passed
   over in silence, malformed ones with a warning. */
static int read_file(const char *path) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, len = 0;
    long lineno = 0;
    int ch;
    if (!f) {
        fprintf(stderr, "aggregate: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        const char *err, *p;
        run r;
        ch = getc(f);
        if (ch != EOF && ch != '\n') {
            if (len + 2 > cap) {
                cap = cap ? 2 * cap : 4096;
                line = xrealloc(line, cap);
            }
            line[len++] = (char)ch;
            continue;
        }
        if (ch == EOF && len == 0) break;
        line[len] = '\0';
        ++lineno;
        len = 0;
        for (p = line; *p == ' ' || *p == '\t' || *p == '\r'; ++p) {}
        if (*p == '{') {
            if (parse_line(p, &r, &err)) {
                char where[1024];
                snprintf(where, sizeof where, "%s:%ld", path, lineno);
                r.where = xstrdup(where);
                add_run(&r);
            } else {
                fprintf(stderr, "aggregate: %s:%ld: skipped: %s\n", path, lineno, err);
                ++warnings;
            }
        }
        if (ch == EOF) break;
    }
    free(line);
    if (f != stdin) fclose(f);
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* A file, or every *.json and *.jsonl under a folder (in name order, so the output is stable). */
static int read_path(const char *path) {
    struct stat st;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    int n = 0, cap = 0, i, status = 0;
    if (strcmp(path, "-") == 0 || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) return read_file(path);
    if (!(d = opendir(path))) {
        fprintf(stderr, "aggregate: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = xrealloc(names, (size_t)cap * sizeof *names);
        }
        names[n] = xmalloc(strlen(path) + strlen(e->d_name) + 2);
        sprintf(names[n++], "%s/%s", path, e->d_name);
    }
    closedir(d);
    if (n) qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (i = 0; i < n; ++i) {
        if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (read_path(names[i]) != 0) status = -1;
        } else if (ends_with(names[i], ".json") || ends_with(names[i], ".jsonl")) {
            if (read_file(names[i]) != 0) status = -1;
        }
        free(names[i]);
    }
    free(names);
    return status;
}

/* ---- groups */

static const char *setting(const run *r, const char *key) {
    int k;
    for (k = 0; k < r->nset; ++k)
        if (strcmp(r->key[k], key) == 0) return r->val[k];
    return NULL;
}

/* Whether key is one of the comma-separated keys of list (NULL: none). */
static int excepted(const char *list, const char *key) {
    size_t n = strlen(key);
    while (list && *list) {
        const char *end = strchr(list, ',');
        size_t m = end ? (size_t)(end - list) : strlen(list);
        if (m == n && strncmp(list, key, n) == 0) return 1;
        list = end ? end + 1 : NULL;
    }
    return 0;
}

/* The values of the keys of list that r has, in the list's order, joined by commas ("-" if none). */
static const char *setting(const run *r, const char *key);
static void values_of(char *buf, size_t cap, const run *r, const char *list) {
    size_t n = 0;
    buf[0] = '\0';
    while (list && *list && n + 1 < cap) {
        const char *end = strchr(list, ','), *v;
        char key[256];
        size_t m = end ? (size_t)(end - list) : strlen(list);
        if (m >= sizeof key) m = sizeof key - 1;
        memcpy(key, list, m);
        key[m] = '\0';
        if ((v = setting(r, key)) != NULL) {
            snprintf(buf + n, cap - n, "%s%s", n ? "," : "", v);
            n = strlen(buf);
        }
        list = end ? end + 1 : NULL;
    }
    if (!n) snprintf(buf, cap, "-");
}

/* Equal apart from the seed (and from the settings listed in `except`, when not NULL). */
static int same_group(const run *a, const run *b, const char *except) {
    int i = 0, j = 0;
    if (strcmp(a->example, b->example) || strcmp(a->learner, b->learner) || strcmp(a->metric, b->metric) ||
        a->steps != b->steps || a->window != b->window)
        return 0;
    for (;;) {
        while (i < a->nset && excepted(except, a->key[i])) ++i;
        while (j < b->nset && excepted(except, b->key[j])) ++j;
        if (i == a->nset || j == b->nset) return i == a->nset && j == b->nset;
        if (strcmp(a->key[i], b->key[j]) || strcmp(a->val[i], b->val[j])) return 0;
        ++i, ++j;
    }
}

/* Strings that are both numbers compare as numbers (0.0001 < 0.001), others as text. */
static int cmp_value(const char *a, const char *b) {
    if (!a || !b) return a ? 1 : b ? -1 : 0;
    if (is_number(a) && is_number(b)) {
        double x = strtod(a, NULL), y = strtod(b, NULL);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    return strcmp(a, b);
}

/* The settings shown in the table: those that differ between groups, in the order first seen. */
static const char *shown[MAX_SET * 4];
static int nshown;

static void find_shown(void) {
    int g, k, h;
    for (g = 0; g < ngroups; ++g) {
        const run *r = &runs[groups[g].first];
        for (k = 0; k < r->nset; ++k) {
            int varies = 0;
            for (h = 0; h < nshown; ++h)
                if (strcmp(shown[h], r->key[k]) == 0) break;
            if (h < nshown || nshown == (int)(sizeof shown / sizeof *shown)) continue;
            for (h = 0; h < ngroups && !varies; ++h) {
                const char *v = setting(&runs[groups[h].first], r->key[k]);
                varies = !v || strcmp(v, r->val[k]) != 0;
            }
            if (varies) shown[nshown++] = r->key[k];
        }
    }
}

static const char *sort_by = "name";
static int group_cmp_mode_select; /* with --select: the families' order */

static stats group_stats(const group *gr, const seeds *only);

static int in_seeds(const seeds *s, long seed) {
    int i;
    if (!s) return 1;
    for (i = 0; i < s->n; ++i)
        if (seed >= s->lo[i] && seed <= s->hi[i]) return 1;
    return 0;
}

static int cmp_group(const void *pa, const void *pb) {
    const group *ga = pa, *gb = pb;
    const run *a = &runs[ga->first], *b = &runs[gb->first];
    int c, k;
    if ((c = strcmp(a->example, b->example)) != 0) return c;
    if ((c = strcmp(a->metric, b->metric)) != 0) return c;
    if (strcmp(sort_by, "name") != 0 && !group_cmp_mode_select) {
        stats sa = group_stats(ga, NULL), sb = group_stats(gb, NULL);
        double x = strcmp(sort_by, "final") == 0 ? sa.final_mean : sa.tail_mean;
        double y = strcmp(sort_by, "final") == 0 ? sb.final_mean : sb.tail_mean;
        if (isnan(x) != isnan(y)) return isnan(x) ? 1 : -1;
        if (x < y) return -1;
        if (x > y) return 1;
    }
    if ((c = strcmp(a->learner, b->learner)) != 0) return c;
    for (k = 0; k < nshown; ++k)
        if ((c = cmp_value(setting(a, shown[k]), setting(b, shown[k]))) != 0) return c;
    if (a->steps != b->steps) return a->steps < b->steps ? -1 : 1;
    if (a->window != b->window) return a->window < b->window ? -1 : 1;
    return 0;
}

static int cmp_seed(const void *pa, const void *pb) {
    long a = runs[*(const int *)pa].seed, b = runs[*(const int *)pb].seed;
    return a < b ? -1 : a > b;
}

/* Groups the runs; a second run with a group's seed is a repeat of the same experiment (a result
   file copied twice, say), and counting it would shrink the standard error: it is left out. */
static void make_groups(void) {
    int i, g;
    groups = xmalloc((size_t)(nruns ? nruns : 1) * sizeof *groups);
    for (i = 0; i < nruns; ++i) {
        for (g = 0; g < ngroups; ++g)
            if (same_group(&runs[groups[g].first], &runs[i], NULL)) break;
        if (g == ngroups) {
            groups[g].first = i;
            groups[g].runs = xmalloc((size_t)nruns * sizeof(int));
            groups[g].nruns = 0;
            groups[g].family = -1;
            ++ngroups;
        } else {
            int k, dup = 0;
            for (k = 0; k < groups[g].nruns && !dup; ++k)
                if (runs[groups[g].runs[k]].seed == runs[i].seed) {
                    fprintf(stderr, "aggregate: %s: seed %ld again (first in %s): left out\n", runs[i].where, runs[i].seed,
                            runs[groups[g].runs[k]].where);
                    ++warnings;
                    dup = 1;
                }
            if (dup) continue;
        }
        runs[i].group = g;
        groups[g].runs[groups[g].nruns++] = i;
    }
    for (g = 0; g < ngroups; ++g) qsort(groups[g].runs, (size_t)groups[g].nruns, sizeof(int), cmp_seed);
}

/* ---- statistics */

/* The mean of the last ceil(fraction * n) windows (at least one), or the final value without a curve. */
static double tail_of(const run *r) {
    int m, k;
    double sum = 0;
    if (r->n == 0) return r->final;
    m = (int)ceil(tail_fraction * r->n - 1e-9);
    if (m < 1) m = 1;
    if (m > r->n) m = r->n;
    for (k = r->n - m; k < r->n; ++k) sum += r->curve[k];
    return sum / m;
}

static void mean_se(const double *x, int n, double *mean, double *se) {
    double m = 0, ss = 0;
    int i;
    for (i = 0; i < n; ++i) m += x[i];
    m = n ? m / n : NA;
    for (i = 0; i < n; ++i) ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *se = n > 1 ? sqrt(ss / (n - 1) / n) : NA; /* one seed: no spread to estimate */
}

static stats group_stats(const group *gr, const seeds *only) {
    stats s;
    double *fin = xmalloc((size_t)(gr->nruns + 1) * sizeof *fin), *tail = xmalloc((size_t)(gr->nruns + 1) * sizeof *tail);
    int k, n = 0;
    for (k = 0; k < gr->nruns; ++k) {
        const run *r = &runs[gr->runs[k]];
        if (!in_seeds(only, r->seed)) continue;
        fin[n] = r->final;
        tail[n++] = tail_of(r);
    }
    s.n = n;
    mean_se(fin, n, &s.final_mean, &s.final_se);
    mean_se(tail, n, &s.tail_mean, &s.tail_se);
    free(fin);
    free(tail);
    return s;
}

/* ---- the table */

typedef struct table {
    int rows, cols;
    char **cell; /* rows x cols, row 0 the header */
} table;

static void cell(table *t, int row, int col, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 4, 5)))
#endif
    ;

#include <stdarg.h>
static void cell(table *t, int row, int col, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(t->cell[row * t->cols + col]);
    t->cell[row * t->cols + col] = xstrdup(buf);
}

static void mean_pm(char *buf, size_t cap, double mean, double se, int n) {
    if (n == 0) snprintf(buf, cap, "-");
    else if (n == 1 || isnan(se)) snprintf(buf, cap, "%.4g", mean);
    else snprintf(buf, cap, "%.4g \xC2\xB1 %.2g", mean, se);
}

/* Display width: UTF-8 continuation bytes take no column. */
static int width(const char *s) {
    int w = 0;
    for (; *s; ++s) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void print_table(const table *t, int markdown, const int *numeric) {
    int r, c, *w = xmalloc((size_t)t->cols * sizeof *w);
    for (c = 0; c < t->cols; ++c) {
        w[c] = 0;
        for (r = 0; r < t->rows; ++r) {
            const char *s = t->cell[r * t->cols + c] ? t->cell[r * t->cols + c] : "";
            if (width(s) > w[c]) w[c] = width(s);
        }
    }
    for (r = 0; r < t->rows; ++r) {
        for (c = 0; c < t->cols; ++c) {
            const char *s = t->cell[r * t->cols + c] ? t->cell[r * t->cols + c] : "";
            int pad = w[c] - width(s);
            if (markdown) printf("| %s%*s ", s, pad, "");
            else if (c + 1 < t->cols) printf("%s%*s  ", s, pad, "");
            else printf("%s", s);
        }
        printf(markdown ? "|\n" : "\n");
        if (markdown && r == 0) {
            for (c = 0; c < t->cols; ++c) {
                int k;
                printf("|");
                for (k = 0; k < w[c] + 1; ++k) putchar('-');
                putchar(numeric[c] ? ':' : '-');
            }
            printf("|\n");
        }
    }
    free(w);
}

static table new_table(int rows, int cols) {
    table t;
    t.rows = rows;
    t.cols = cols;
    t.cell = calloc((size_t)(rows * cols), sizeof *t.cell);
    if (!t.cell) {
        fprintf(stderr, "aggregate: out of memory\n");
        exit(1);
    }
    return t;
}

static void free_table(table *t) {
    int i;
    for (i = 0; i < t->rows * t->cols; ++i) free(t->cell[i]);
    free(t->cell);
}

/* The settings every group shares, and the examples' names, above the table. */
static void print_common(int markdown, const char *except) {
    const run *r = &runs[groups[0].first];
    int k, h, any = 0, g;
    printf("%s", markdown ? "" : "# ");
    for (g = 0; g < ngroups; ++g) {
        const run *a = &runs[groups[g].first];
        int seen = 0;
        for (h = 0; h < g && !seen; ++h)
            seen = strcmp(runs[groups[h].first].example, a->example) == 0 && strcmp(runs[groups[h].first].metric, a->metric) == 0;
        if (!seen) printf("%s%s (%s)", g ? ", " : "", a->example, a->metric);
    }
    for (k = 0; k < r->nset; ++k) {
        for (h = 0; h < nshown; ++h)
            if (strcmp(shown[h], r->key[k]) == 0) break;
        if (h < nshown || excepted(except, r->key[k])) continue;
        printf("%s%s=%s", any++ ? " " : "; common settings: ", r->key[k], r->val[k]);
    }
    printf("%s\n", markdown ? "\n" : "");
}


static int multi_example(void) {
    int g;
    for (g = 1; g < ngroups; ++g)
        if (strcmp(runs[groups[g].first].example, runs[groups[0].first].example) != 0) return 1;
    return 0;
}

/* The columns that name a group: the example (when there are several), the learner, the shown
   settings but those in `except`. Returns the number of columns written (or that would be). */
static int label_cells(table *t, int row, const run *r, const char *except, int *numeric) {
    int c = 0, k;
    if (multi_example()) {
        if (t) cell(t, row, c, "%s", r ? r->example : "example");
        if (numeric) numeric[c] = 0;
        ++c;
    }
    if (t) cell(t, row, c, "%s", r ? r->learner : "learner");
    if (numeric) numeric[c] = 0;
    ++c;
    for (k = 0; k < nshown; ++k) {
        if (excepted(except, shown[k])) continue;
        if (t) cell(t, row, c, "%s", !r ? shown[k] : setting(r, shown[k]) ? setting(r, shown[k]) : "-");
        if (numeric) numeric[c] = 1;
        ++c;
    }
    return c;
}

static void stat_cells(table *t, int row, int c, const stats *s) {
    char a[128];
    if (!s) {
        cell(t, row, c, "seeds");
        cell(t, row, c + 1, "final");
        cell(t, row, c + 2, "last %g%%", tail_fraction * 100);
        return;
    }
    cell(t, row, c, "%d", s->n);
    mean_pm(a, sizeof a, s->final_mean, s->final_se, s->n);
    cell(t, row, c + 1, "%s", a);
    mean_pm(a, sizeof a, s->tail_mean, s->tail_se, s->n);
    cell(t, row, c + 2, "%s", a);
}

static void print_groups(int markdown) {
    int lc = label_cells(NULL, 0, NULL, NULL, NULL), cols = lc + 3, g, c;
    int *numeric = xmalloc((size_t)cols * sizeof *numeric);
    table t = new_table(ngroups + 1, cols);
    label_cells(&t, 0, NULL, NULL, numeric);
    stat_cells(&t, 0, lc, NULL);
    for (c = lc; c < cols; ++c) numeric[c] = 1;
    for (g = 0; g < ngroups; ++g) {
        stats s = group_stats(&groups[g], NULL);
        label_cells(&t, g + 1, &runs[groups[g].first], NULL, NULL);
        stat_cells(&t, g + 1, lc, &s);
    }
    print_common(markdown, NULL);
    print_table(&t, markdown, numeric);
    free_table(&t);
    free(numeric);
}

/* ---- selection */

static const char *select_key;
static seeds select_seeds, report_seeds;
static int *chosen, nfamilies; /* per family: the chosen group, or -1 */

static void format_seeds(char *buf, size_t cap, const seeds *s) {
    int i;
    size_t n = 0;
    buf[0] = '\0';
    for (i = 0; i < s->n && n + 1 < cap; ++i) {
        if (s->lo[i] == s->hi[i]) snprintf(buf + n, cap - n, "%s%ld", i ? "," : "", s->lo[i]);
        else snprintf(buf + n, cap - n, "%s%ld-%ld", i ? "," : "", s->lo[i], s->hi[i]);
        n = strlen(buf);
    }
}

/* Families (groups equal but for the key) and, in each, the key value with the lowest mean tail
   metric over the selection seeds; a value whose runs diverged (nan) is never the lowest. */
static void select_groups(void) {
    int g, h, f;
    chosen = xmalloc((size_t)ngroups * sizeof *chosen);
    for (g = 0; g < ngroups; ++g) {
        for (h = 0; h < g; ++h)
            if (same_group(&runs[groups[h].first], &runs[groups[g].first], select_key)) break;
        groups[g].family = h < g ? groups[h].family : nfamilies++;
    }
    for (f = 0; f < nfamilies; ++f) {
        double best = HUGE_VAL;
        chosen[f] = -1;
        for (g = 0; g < ngroups; ++g) {
            stats s;
            if (groups[g].family != f) continue;
            s = group_stats(&groups[g], &select_seeds);
            if (s.n == 0) continue;
            if (chosen[f] < 0 || s.tail_mean < best) chosen[f] = g, best = isnan(s.tail_mean) ? HUGE_VAL : s.tail_mean;
        }
    }
}

static void print_selection(int markdown) {
    int lc = label_cells(NULL, 0, NULL, select_key, NULL), cols = lc + 3 + 3, f, g, c;
    int *numeric = xmalloc((size_t)cols * sizeof *numeric);
    table t = new_table(nfamilies + 1, cols);
    char sel[256], rep[256], a[128];
    format_seeds(sel, sizeof sel, &select_seeds);
    format_seeds(rep, sizeof rep, &report_seeds);
    label_cells(&t, 0, NULL, select_key, numeric);
    cell(&t, 0, lc, "%s tried", select_key);
    cell(&t, 0, lc + 1, "chosen");
    cell(&t, 0, lc + 2, "on seeds %s", sel);
    stat_cells(&t, 0, lc + 3, NULL);
    for (c = lc; c < cols; ++c) numeric[c] = 1;
    for (f = 0; f < nfamilies; ++f) {
        char tried[1024];
        size_t n = 0;
        int first = -1;
        tried[0] = '\0';
        for (g = 0; g < ngroups; ++g) {
            char v[256];
            if (groups[g].family != f) continue;
            if (first < 0) first = g;
            values_of(v, sizeof v, &runs[groups[g].first], select_key);
            snprintf(tried + n, sizeof tried - n, "%s%s", n ? " " : "", v);
            n = strlen(tried);
        }
        label_cells(&t, f + 1, &runs[groups[first].first], select_key, NULL);
        cell(&t, f + 1, lc, "%s", tried);
        if (chosen[f] < 0) {
            cell(&t, f + 1, lc + 1, "none");
            cell(&t, f + 1, lc + 2, "no runs");
            cell(&t, f + 1, lc + 3, "0");
        } else {
            char v[256];
            stats s = group_stats(&groups[chosen[f]], &select_seeds), r = group_stats(&groups[chosen[f]], &report_seeds);
            values_of(v, sizeof v, &runs[groups[chosen[f]].first], select_key);
            cell(&t, f + 1, lc + 1, "%s", v);
            mean_pm(a, sizeof a, s.tail_mean, s.tail_se, s.n);
            cell(&t, f + 1, lc + 2, "%s", a);
            stat_cells(&t, f + 1, lc + 3, &r);
        }
    }
    print_common(markdown, select_key);
    printf("%s%s chosen in each row by the lowest mean over the last %g%% of the curve on seeds %s; reported on seeds %s\n%s",
           markdown ? "" : "# ", select_key, tail_fraction * 100, sel, rep, markdown ? "\n" : "");
    print_table(&t, markdown, numeric);
    free_table(&t);
    free(numeric);
}

/* ---- the figure */

typedef struct curve {
    char name[256];
    double *x, *y, *se;
    int n;
} curve;

/* Appends s to the string in buf, cut to fit. */
static void append(char *buf, size_t cap, const char *s) {
    size_t n = strlen(buf), m = strlen(s);
    if (n + 1 >= cap) return;
    if (m > cap - 1 - n) m = cap - 1 - n;
    memcpy(buf + n, s, m);
    buf[n + m] = '\0';
}

/* The mean over the group's runs (those on `only` seeds) of their curves, to the shortest. */
static curve mean_curve(const group *gr, const seeds *only, const char *except) {
    curve cv;
    const run *r0 = &runs[gr->first];
    int k, i, n = -1, m = 0, len;
    double *col;
    size_t used;
    for (k = 0; k < gr->nruns; ++k) {
        const run *r = &runs[gr->runs[k]];
        if (!in_seeds(only, r->seed)) continue;
        if (n < 0 || r->n < n) n = r->n;
        ++m;
    }
    if (n < 0) n = 0;
    cv.n = n;
    cv.x = xmalloc((size_t)(n + 1) * sizeof(double));
    cv.y = xmalloc((size_t)(n + 1) * sizeof(double));
    cv.se = xmalloc((size_t)(n + 1) * sizeof(double));
    col = xmalloc((size_t)(m + 1) * sizeof *col);
    for (i = 0; i < n; ++i) {
        len = 0;
        for (k = 0; k < gr->nruns; ++k)
            if (in_seeds(only, runs[gr->runs[k]].seed)) col[len++] = runs[gr->runs[k]].curve[i];
        mean_se(col, len, &cv.y[i], &cv.se[i]);
        if (isnan(cv.se[i])) cv.se[i] = 0;
        cv.x[i] = r0->window > 0 ? (double)(i + 1) * (double)r0->window : i + 1;
        if (r0->window > 0 && r0->steps > 0 && cv.x[i] > (double)r0->steps) cv.x[i] = (double)r0->steps;
    }
    free(col);
    used = (size_t)snprintf(cv.name, sizeof cv.name, "%s%s%s", multi_example() ? r0->example : "", multi_example() ? " " : "",
                            r0->learner);
    for (k = 0; k < nshown && used < sizeof cv.name; ++k) {
        const char *v = setting(r0, shown[k]);
        if (excepted(except, shown[k])) continue;
        used += (size_t)snprintf(cv.name + used, sizeof cv.name - used, " %s=%s", shown[k], v ? v : "-");
    }
    if (except && used < sizeof cv.name) {
        char v[256];
        values_of(v, sizeof v, r0, except);
        append(cv.name, sizeof cv.name, " (");
        append(cv.name, sizeof cv.name, except);
        append(cv.name, sizeof cv.name, "=");
        append(cv.name, sizeof cv.name, v);
        append(cv.name, sizeof cv.name, ")");
    }
    return cv;
}

static void xml_text(FILE *f, const char *s) {
    for (; *s; ++s) {
        if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '&') fputs("&amp;", f);
        else putc(*s, f);
    }
}

static const char *const dashes[] = {"", "6 3", "2 3", "8 3 2 3"};

/* Writes the curves with their bands; logx/logy < 0: chosen from the data (log where the values
   span more than a decade and a half on x, or a decade on y, and are all positive). */
static int write_svg(const char *path, const char *title, const char *ylabel, curve *cv, int count, int logx, int logy) {
    double xmin = HUGE_VAL, xmax = -HUGE_VAL, ymin = HUGE_VAL, ymax = -HUGE_VAL, xlo, xhi, ylo, yhi;
    const double x0 = 80, y0 = 40, w = 520, h = 370;
    double W, H;
    plot_series *ps = xmalloc((size_t)(count + 1) * sizeof *ps);
    plot p;
    int i, k, longest = 0;
    FILE *f;
    for (i = 0; i < count; ++i) { /* non-finite points (a diverged run) are left out */
        int m = 0;
        for (k = 0; k < cv[i].n; ++k)
            if (isfinite(cv[i].x[k]) && isfinite(cv[i].y[k]) && isfinite(cv[i].se[k])) {
                cv[i].x[m] = cv[i].x[k], cv[i].y[m] = cv[i].y[k], cv[i].se[m] = cv[i].se[k];
                ++m;
            }
        cv[i].n = m;
        for (k = 0; k < m; ++k) {
            if (cv[i].x[k] < xmin) xmin = cv[i].x[k];
            if (cv[i].x[k] > xmax) xmax = cv[i].x[k];
            if (cv[i].y[k] < ymin) ymin = cv[i].y[k];
            if (cv[i].y[k] > ymax) ymax = cv[i].y[k];
        }
        if (width(cv[i].name) > longest) longest = width(cv[i].name);
    }
    if (logx < 0) logx = xmin > 0 && xmax / xmin >= 30;
    if (logy < 0) logy = ymin > 0 && ymax / ymin >= 10;
    if (logx && !(xmin > 0)) logx = 0; /* nothing to draw on a log axis */
    if (logy && !(ymin > 0)) logy = 0;
    for (i = 0; i < count; ++i) {
        ps[i].name = cv[i].name;
        ps[i].x = cv[i].x;
        ps[i].y = cv[i].y;
        ps[i].err = cv[i].se;
        ps[i].n = cv[i].n;
    }
    memset(&p, 0, sizeof p);
    p.logx = logx;
    p.logy = logy;
    plot_range(ps, count, 0, logx, &p, &xlo, &xhi);
    plot_range(ps, count, 1, logy, &p, &ylo, &yhi);
    W = x0 + w + 70 + 7.0 * longest;
    H = y0 + 22.0 * count + 30;
    if (H < 480) H = 480;
    if (!(f = fopen(path, "w"))) return -1;
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' font-family='sans-serif'>\n", W, H);
    fprintf(f, "<rect width='100%%' height='100%%' fill='white'/>\n");
    fprintf(f, "<text x='%.1f' y='24' font-size='16' text-anchor='middle'>", x0 + w / 2);
    xml_text(f, title);
    fprintf(f, "</text>\n");
    plot_ticks(f, xlo, xhi, logx, 0, x0, y0, w, h);
    plot_ticks(f, ylo, yhi, logy, 1, x0, y0, w, h);
    fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='none' stroke='black'/>\n", x0, y0, w, h);
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='13' text-anchor='middle'>step</text>\n", x0 + w / 2, y0 + h + 40);
    fprintf(f, "<text x='20' y='%.1f' font-size='13' text-anchor='middle' transform='rotate(-90 20 %.1f)'>", y0 + h / 2, y0 + h / 2);
    xml_text(f, ylabel);
    fprintf(f, "</text>\n");
#define PX(v) (x0 + plot_unit((v), xlo, xhi, logx) * w)
#define PY(v) (y0 + h - plot_unit((v), ylo, yhi, logy) * h)
    for (i = 0; i < count; ++i) { /* the bands first, under every line */
        const char *col = plot_colors[i % 10];
        if (cv[i].n < 2) continue;
        fprintf(f, "<polygon fill='%s' fill-opacity='0.25' stroke='none' points='", col);
        for (k = 0; k < cv[i].n; ++k) fprintf(f, "%.1f,%.1f ", PX(cv[i].x[k]), PY(cv[i].y[k] + cv[i].se[k]));
        for (k = cv[i].n - 1; k >= 0; --k) {
            double lo = cv[i].y[k] - cv[i].se[k];
            if (logy && lo < ylo) lo = ylo; /* below the axis: to its floor */
            fprintf(f, "%.1f,%.1f%s", PX(cv[i].x[k]), PY(lo), k ? " " : "");
        }
        fprintf(f, "'/>\n");
    }
    for (i = 0; i < count; ++i) {
        const char *col = plot_colors[i % 10], *dash = dashes[(i / 10) % 4];
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2'%s%s%s points='", col, *dash ? " stroke-dasharray='" : "", dash,
                *dash ? "'" : "");
        for (k = 0; k < cv[i].n; ++k) fprintf(f, "%s%.1f,%.1f", k ? " " : "", PX(cv[i].x[k]), PY(cv[i].y[k]));
        fprintf(f, "'/>\n");
        if (cv[i].n == 1) fprintf(f, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n", PX(cv[i].x[0]), PY(cv[i].y[0]), col);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='%s' stroke-width='3'%s%s%s/>\n", x0 + w + 20,
                y0 + 14 + 22.0 * i, x0 + w + 44, y0 + 14 + 22.0 * i, col, *dash ? " stroke-dasharray='" : "", dash, *dash ? "'" : "");
        fprintf(f, "<text x='%.1f' y='%.1f' font-size='12'>", x0 + w + 50, y0 + 18 + 22.0 * i);
        xml_text(f, cv[i].name);
        fprintf(f, "</text>\n");
    }
#undef PX
#undef PY
    fprintf(f, "<text x='%.1f' y='%.1f' font-size='11' fill='#555'>mean over seeds, band: \xC2\xB1 one standard error</text>\n", x0,
            y0 + h + 60);
    fprintf(f, "</svg>\n");
    free(ps);
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- the command line */

static int usage(FILE *out) {
    fprintf(out,
            "usage: aggregate [options] FILE|FOLDER...\n"
            "Reads result lines (one JSON object per run) from the files, from every *.json and *.jsonl\n"
            "under the folders, or from stdin (-), and prints, for each group of runs that differ only in\n"
            "their seed, the seeds and the mean \xC2\xB1 standard error of the final metric and of the mean over\n"
            "the tail of the curve.\n"
            "  --tail F            the tail: the last fraction F of the curve's windows (default 0.5)\n"
            "  --markdown          the table in Markdown\n"
            "  --sort name|tail|final  rows by their settings (default) or best first\n"
            "  --select KEY[,KEY]  within each family of groups that differ only in the setting KEY (or in\n"
            "                      the KEYs together: step_size,tbptt_step_size), choose the value with the\n"
            "                      lowest mean tail on --select-seeds, and report it on --report-seeds only\n"
            "                      (both needed; they must not overlap)\n"
            "  --select-seeds A-B[,C-D...]   --report-seeds A-B[,C-D...]\n"
            "  --svg PATH          the learning curves (mean over seeds, band of one standard error; with\n"
            "                      --select, the chosen ones on the report seeds)\n"
            "  --title TEXT        the figure's title\n"
            "  --logx 0|1, --logy 0|1   log axes (default: log where the data span decades)\n"
            "Lower is better for every metric. Exit status: 0, 1 if nothing was read or a file could not be\n"
            "read or written, 2 for a bad option.\n");
    return out == stdout ? 0 : 2;
}

static int bad_value(const char *flag, const char *v, const char *why) {
    fprintf(stderr, "aggregate: %s: '%s' %s\n", flag, v, why);
    usage(stderr);
    return 2;
}

static int parse_seeds(const char *s, seeds *out) {
    const char *p = s;
    out->n = 0;
    for (;;) {
        char *end;
        long lo = strtol(p, &end, 10), hi = lo;
        if (end == p || out->n == MAX_RANGES) return 0;
        p = end;
        if (*p == '-') {
            hi = strtol(p + 1, &end, 10);
            if (end == p + 1 || hi < lo) return 0;
            p = end;
        }
        out->lo[out->n] = lo;
        out->hi[out->n++] = hi;
        if (*p == '\0') return 1;
        if (*p++ != ',') return 0;
    }
}

static int seeds_overlap(const seeds *a, const seeds *b) {
    int i, j;
    for (i = 0; i < a->n; ++i)
        for (j = 0; j < b->n; ++j)
            if (a->lo[i] <= b->hi[j] && b->lo[j] <= a->hi[i]) return 1;
    return 0;
}

int main(int argc, char **argv) {
    const char *svg = NULL, *title = "learning curves", *sel = NULL, *rep = NULL;
    int markdown = 0, logx = -1, logy = -1, i, status = 0, nfiles = 0;
    char **files = argv; /* the file arguments, gathered at the front of argv */
    (void)plot_svg; /* plot.h's chart has no bands: this file draws its own with plot.h's axes */
    for (i = 1; i < argc; ++i) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return usage(stdout);
        if (strcmp(a, "--markdown") == 0) markdown = 1;
        else if (strcmp(a, "-") == 0 || a[0] != '-') files[nfiles++] = argv[i];
        else if (!has_value) {
            fprintf(stderr, "aggregate: %s needs a value, or is not an option\n", a);
            return usage(stderr);
        }
        else if (strcmp(a, "--tail") == 0) {
            char *end;
            tail_fraction = strtod(argv[++i], &end);
            if (*end || end == argv[i] || !(tail_fraction > 0 && tail_fraction <= 1))
                return bad_value(a, argv[i], "is not a fraction in (0, 1]");
        } else if (strcmp(a, "--sort") == 0) {
            sort_by = argv[++i];
            if (strcmp(sort_by, "name") && strcmp(sort_by, "tail") && strcmp(sort_by, "final"))
                return bad_value(a, sort_by, "is not name, tail or final");
        } else if (strcmp(a, "--select") == 0) select_key = argv[++i];
        else if (strcmp(a, "--select-seeds") == 0) {
            sel = argv[++i];
            if (!parse_seeds(sel, &select_seeds)) return bad_value(a, sel, "is not a seed list such as 1-5 or 1-3,7");
        } else if (strcmp(a, "--report-seeds") == 0) {
            rep = argv[++i];
            if (!parse_seeds(rep, &report_seeds)) return bad_value(a, rep, "is not a seed list such as 6-10 or 4-6,8");
        } else if (strcmp(a, "--svg") == 0) svg = argv[++i];
        else if (strcmp(a, "--title") == 0) title = argv[++i];
        else if (strcmp(a, "--logx") == 0 || strcmp(a, "--logy") == 0) {
            const char *v = argv[++i];
            if (strcmp(v, "0") && strcmp(v, "1")) return bad_value(a, v, "is not 0 or 1");
            *(a[5] == 'x' ? &logx : &logy) = v[0] - '0';
        } else {
            fprintf(stderr, "aggregate: %s is not an option\n", a);
            return usage(stderr);
        }
    }
    if (select_key && (!sel || !rep)) {
        fprintf(stderr, "aggregate: --select needs --select-seeds and --report-seeds (a choice reported on the seeds that made it is biased)\n");
        return 2;
    }
    if (!select_key && (sel || rep)) {
        fprintf(stderr, "aggregate: --select-seeds and --report-seeds go with --select KEY\n");
        return 2;
    }
    if (select_key && seeds_overlap(&select_seeds, &report_seeds)) {
        fprintf(stderr, "aggregate: the selection seeds (%s) and the report seeds (%s) overlap\n", sel, rep);
        return 2;
    }
    if (nfiles == 0) {
        fprintf(stderr, "aggregate: no result files given\n");
        return usage(stderr);
    }
    for (i = 0; i < nfiles; ++i)
        if (read_path(files[i]) != 0) status = 1;
    if (nruns == 0) {
        fprintf(stderr, "aggregate: no result lines read\n");
        return 1;
    }
    make_groups();
    find_shown();
    if (select_key) {
        int g, any = 0;
        for (g = 0; g < ngroups && !any; ++g) {
            int k;
            for (k = 0; k < runs[groups[g].first].nset; ++k) any |= excepted(select_key, runs[groups[g].first].key[k]);
        }
        if (!any) {
            fprintf(stderr, "aggregate: --select %s: no run has such a setting\n", select_key);
            return 2;
        }
        group_cmp_mode_select = 1;
    }
    qsort(groups, (size_t)ngroups, sizeof *groups, cmp_group);
    for (i = 0; i < ngroups; ++i) { /* the runs' group numbers after the sort */
        int k;
        for (k = 0; k < groups[i].nruns; ++k) runs[groups[i].runs[k]].group = i;
    }
    if (select_key) {
        select_groups();
        print_selection(markdown);
    } else print_groups(markdown);
    if (svg) {
        int n = select_key ? nfamilies : ngroups, k = 0, g;
        curve *cv = xmalloc((size_t)(n + 1) * sizeof *cv);
        for (g = 0; g < n; ++g) {
            if (select_key && chosen[g] < 0) continue;
            cv[k++] = select_key ? mean_curve(&groups[chosen[g]], &report_seeds, select_key) : mean_curve(&groups[g], NULL, NULL);
        }
        if (write_svg(svg, title, runs[0].metric, cv, k, logx, logy) != 0) {
            fprintf(stderr, "aggregate: %s: %s\n", svg, strerror(errno));
            status = 1;
        }
        for (g = 0; g < k; ++g) free(cv[g].x), free(cv[g].y), free(cv[g].se);
        free(cv);
    }
    if (warnings) fprintf(stderr, "aggregate: %d warning%s (above)\n", warnings, warnings > 1 ? "s" : "");
    return status;
}
