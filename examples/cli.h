/* cli.h - the command line, result lines and progress line shared by the examples, so that every
   example reads the same flags the same way and writes the same result format.

   Flags: --name value pairs (and bare switches such as --json). A bad flag or value ends the
   program with a message that names it and says why, then the usage, exit status 2:
       trace_patterning: --steps: '12x' is not a whole number
   Counts (--steps and the like) accept 1000000, 1e6 or 2.5e6: any whole number written in
   decimal, with or without an exponent. An output file that cannot be written ends it with
   "<prog>: cannot write <path>: <reason>", exit status 1; cli_output checks a path before the
   run, so a long run does not fail at its end.

   Result lines (--json): one JSON object per line, keys in this order:
       {"example":..,"learner":..,"seed":..,"steps":..,"settings":{..},"metric":..,"window":..,
        "curve":[..],"final":..,"us_per_step":..}
   then any keys an example adds. Reals are printed with %.9g (null if not finite), strings are
   escaped. cli_result_begin writes up to "settings":{ ; the example adds its settings, and
   cli_result_end closes them and writes the rest. stdout is line-buffered (cli_init), so piped
   output arrives as it is printed.

   Progress: on stderr, only when stderr is a terminal, redrawn in place (at most ten times a
   second) with the cursor left at the line's start, so that a line printed meanwhile (longer
   than the progress line) replaces it; cli_progress_done wipes it.

   Needs isatty (POSIX): the including file defines _POSIX_C_SOURCE before any header. All
   functions are static. */
#ifndef CCN_CLI_H
#define CCN_CLI_H
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if !defined(_WIN32)
#include <unistd.h>
#define CLI__ON_TERMINAL() isatty(2)
#else
#define CLI__ON_TERMINAL() 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define CLI__UNUSED __attribute__((unused))
#define CLI__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI__UNUSED
#define CLI__PRINTF(a, b)
#endif
#define CLI_DEF static CLI__UNUSED

#ifdef CCN_DOUBLE
#define CLI_PRECISION "double"
#else
#define CLI_PRECISION "float"
#endif

#define CLI_MAX_COUNT 9007199254740992.0 /* 2^53: every whole number up to it is a double */

typedef struct cli {
    const char *prog, *usage; /* the example's name; its usage, after "usage: <prog> "    */
    int argc, at;             /* argv[at] is the next flag                                  */
    char **argv;
    const char *flag, *value; /* the flag being read, and its value once read               */
    int tty, shown;           /* stderr is a terminal; characters of the progress line     */
    double last_drawn;
} cli;

typedef struct cli_json {
    FILE *f;
    int depth, first[4]; /* nesting, and whether the next key at each depth is the first */
} cli_json;

CLI_DEF void cli_init(cli *c, const char *prog, const char *usage, int argc, char **argv) {
    memset(c, 0, sizeof *c);
    c->prog = prog;
    c->usage = usage;
    c->argc = argc;
    c->argv = argv;
    c->at = 1;
    c->tty = CLI__ON_TERMINAL();
    c->last_drawn = -1;
    setvbuf(stdout, NULL, _IOLBF, BUFSIZ); /* result lines arrive as printed, even piped */
}

CLI_DEF void cli_usage(const cli *c, FILE *f) { fprintf(f, "usage: %s %s", c->prog, c->usage); }

/* "<prog>: <flag>: <why>", the usage, exit 2. */
CLI_DEF CLI__PRINTF(2, 3) void cli_bad(const cli *c, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s: %s: ", c->prog, c->flag ? c->flag : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    cli_usage(c, stderr);
    exit(2);
}

/* The next flag, or NULL after the last. --help (or -h) prints the usage and exits 0. */
CLI_DEF const char *cli_next(cli *c) {
    if (c->at >= c->argc) return NULL;
    c->flag = c->argv[c->at++];
    c->value = NULL;
    if (!strcmp(c->flag, "--help") || !strcmp(c->flag, "-h")) {
        cli_usage(c, stdout);
        exit(0);
    }
    return c->flag;
}

CLI_DEF int cli_is(const cli *c, const char *name) { return !strcmp(c->flag, name); }
CLI_DEF void cli_unknown(const cli *c) { cli_bad(c, "unknown flag"); }

/* The current flag's value (the next argument). */
CLI_DEF const char *cli_value(cli *c) {
    if (c->at >= c->argc) cli_bad(c, "needs a value");
    c->value = c->argv[c->at++];
    return c->value;
}

/* The flag's value as a finite number (whole: also an integer), or the flag refused. Only
   digits, '.', 'e' and signs: strtod alone would also take "inf", "nan" and hex. */
CLI_DEF double cli_number(cli *c, const char *v, int whole) {
    const char *p;
    char *end;
    double x;
    for (p = v; *p; ++p)
        if (!strchr("0123456789.eE+-", *p)) break;
    x = *v && !*p ? strtod(v, &end) : 0;
    if (!*v || *p || *end || !(x - x == 0) || (whole && x != floor(x)))
        cli_bad(c, whole ? "'%s' is not a whole number" : "'%s' is not a number", v);
    return x;
}

/* A count: a whole number in [lo, hi], written as 1000000, 1e6 or 2.5e6. */
CLI_DEF double cli_count(cli *c, double lo, double hi) {
    const char *v = cli_value(c);
    double x = cli_number(c, v, 1);
    if (x < lo) cli_bad(c, "'%s' is below %.17g", v, lo);
    if (x > hi) cli_bad(c, "'%s' is above %.17g", v, hi);
    return x;
}
CLI_DEF int cli_int(cli *c, int lo, int hi) { return (int)cli_count(c, lo, hi); }

/* A finite real in [lo, hi]. */
CLI_DEF double cli_real(cli *c, double lo, double hi) {
    const char *v = cli_value(c);
    double x = cli_number(c, v, 0);
    if (x < lo || x > hi) cli_bad(c, "'%s' is outside [%g, %g]", v, lo, hi);
    return x;
}

/* One of the names in a NULL-terminated list: its index. */
CLI_DEF int cli_choice(cli *c, const char *const *names) {
    const char *v = cli_value(c);
    int k;
    for (k = 0; names[k]; ++k)
        if (!strcmp(v, names[k])) return k;
    {
        char list[256] = "";
        for (k = 0; names[k]; ++k) {
            size_t n = strlen(list);
            snprintf(list + n, sizeof list - n, "%s%s", k ? ", " : "", names[k]);
        }
        cli_bad(c, "'%s' is not one of %s", v, list);
    }
    return -1;
}

/* Reads "A:B" at *s into a, b (each a whole number in [lo, hi]) and moves *s past it; 0 if
   malformed. */
CLI_DEF int cli__pair_at(const char **s, int lo, int hi, int *a, int *b) {
    char *end;
    long x, y;
    if (**s < '0' || **s > '9') return 0;
    x = strtol(*s, &end, 10);
    if (*end != ':' || end[1] < '0' || end[1] > '9') return 0;
    y = strtol(end + 1, &end, 10);
    if (x < lo || x > hi || y < lo || y > hi) return 0;
    *a = (int)x;
    *b = (int)y;
    *s = end;
    return 1;
}

/* A list "A:B[,A:B...]" of up to max pairs, each number in [lo, hi]: their count. */
CLI_DEF int cli_pairs(cli *c, int lo, int hi, int *a, int *b, int max) {
    const char *v = cli_value(c), *s = v;
    int n = 0;
    for (;;) {
        if (n == max) cli_bad(c, "'%s' has more than %d pairs", v, max);
        if (!cli__pair_at(&s, lo, hi, &a[n], &b[n]))
            cli_bad(c, "'%s' is not a list of A:B pairs of whole numbers in [%d, %d]", v, lo, hi);
        ++n;
        if (!*s) return n;
        if (*s != ',' || !s[1]) cli_bad(c, "'%s' is not a list of A:B pairs", v);
        ++s;
    }
}

/* A list "N[,N...]" of up to max whole numbers in [lo, hi]: their count. */
CLI_DEF int cli_ints(cli *c, int lo, int hi, int *out, int max) {
    const char *v = cli_value(c), *s = v;
    int n = 0;
    for (;;) {
        char *end;
        long x;
        if (*s < '0' || *s > '9') cli_bad(c, "'%s' is not a list of whole numbers", v);
        x = strtol(s, &end, 10);
        if (x < lo || x > hi) cli_bad(c, "'%s' has %ld, outside [%d, %d]", v, x, lo, hi);
        if (n == max) cli_bad(c, "'%s' has more than %d entries", v, max);
        out[n++] = (int)x;
        s = end;
        if (!*s) return n;
        if (*s != ',' || !s[1]) cli_bad(c, "'%s' is not a list of whole numbers", v);
        ++s;
    }
}

/* The list "X[,X...]" of the current flag's value, item by item: up to max items of at most
   63 characters, none empty; each given to item(c, text, out + n), which stores it. Their count. */
CLI_DEF int cli__list(cli *c, int max, void (*item)(cli *, const char *, double *), double *out) {
    const char *v = cli_value(c), *s = v;
    int n = 0;
    for (;;) {
        char one[64];
        size_t len = strcspn(s, ",");
        if (len == 0 || len >= sizeof one) cli_bad(c, "'%s' is not a comma-separated list", v);
        if (n == max) cli_bad(c, "'%s' has more than %d entries", v, max);
        memcpy(one, s, len);
        one[len] = 0;
        item(c, one, out + n++);
        s += len;
        if (!*s) return n;
        if (!s[1]) cli_bad(c, "'%s' is not a comma-separated list", v);
        ++s;
    }
}

CLI_DEF void cli__one_real(cli *c, const char *v, double *out) { *out = cli_number(c, v, 0); }

/* A list "X[,X...]" of up to max finite reals in [lo, hi], none twice: their count. */
CLI_DEF int cli_reals(cli *c, double lo, double hi, double *out, int max) {
    int n = cli__list(c, max, cli__one_real, out), i, k;
    for (i = 0; i < n; ++i) {
        if (out[i] < lo || out[i] > hi) cli_bad(c, "'%s' has %g, outside [%g, %g]", c->value, out[i], lo, hi);
        for (k = 0; k < i; ++k)
            if (out[k] == out[i]) cli_bad(c, "'%s' has %g twice", c->value, out[i]);
    }
    return n;
}

/* A list "N[,N...]" of whole numbers in [lo, hi], each item N or a range A..B (A <= B: A, A+1,
   ..., B), up to max numbers in all, none twice: their count (into out, in the list's order). */
CLI_DEF int cli_counts(cli *c, double lo, double hi, double *out, int max) {
    const char *v = cli_value(c), *s = v;
    int n = 0, i, k;
    for (;;) {
        char one[64];
        const char *dots;
        double a, b, x;
        size_t len = strcspn(s, ",");
        if (len == 0 || len >= sizeof one) cli_bad(c, "'%s' is not a list of whole numbers and A..B ranges", v);
        memcpy(one, s, len);
        one[len] = 0;
        dots = strstr(one, "..");
        if (dots) {
            one[dots - one] = 0;
            a = cli_number(c, one, 1);
            b = cli_number(c, dots + 2, 1);
            if (a > b) cli_bad(c, "'%s': the range %.17g..%.17g is empty", v, a, b);
        } else a = b = cli_number(c, one, 1);
        if (a < lo || b > hi) cli_bad(c, "'%s' goes outside [%.17g, %.17g]", v, lo, hi);
        if (b - a >= (double)(max - n)) cli_bad(c, "'%s' has more than %d numbers", v, max);
        for (x = a; x <= b; ++x) out[n++] = x;
        s += len;
        if (!*s) break;
        if (!s[1]) cli_bad(c, "'%s' is not a list of whole numbers and A..B ranges", v);
        ++s;
    }
    for (i = 0; i < n; ++i)
        for (k = 0; k < i; ++k)
            if (out[k] == out[i]) cli_bad(c, "'%s' has %.17g twice", v, out[i]);
    return n;
}

/* Ends the program (exit 1) saying path cannot be written and why (errno). */
CLI_DEF void cli_cannot_write(const cli *c, const char *path) {
    fprintf(stderr, "%s: cannot write %s: %s\n", c->prog, path, errno ? strerror(errno) : "write error");
    exit(1);
}

/* Before a run: ends it (exit 1) now if path ("" for none) cannot be written. Leaves no file
   behind that was not there. */
CLI_DEF void cli_output(const cli *c, const char *path) {
    FILE *f;
    int existed;
    if (!path || !*path) return;
    f = fopen(path, "r");
    existed = f != NULL;
    if (f) fclose(f);
    errno = 0;
    f = fopen(path, "a");
    if (!f) cli_cannot_write(c, path);
    fclose(f);
    if (!existed) remove(path);
}

/* Processor time in seconds. */
CLI_DEF double cli_seconds(void) { return (double)clock() / (double)CLOCKS_PER_SEC; }

/* The progress line (terminal only, at most ten redraws a second). */
CLI_DEF CLI__PRINTF(2, 3) void cli_progress(cli *c, const char *fmt, ...) {
    char line[200];
    va_list ap;
    int n;
    double now;
    if (!c->tty) return;
    now = cli_seconds();
    if (c->last_drawn >= 0 && now - c->last_drawn < 0.1) return;
    c->last_drawn = now;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n >= (int)sizeof line) n = (int)sizeof line - 1;
    /* back to the line's start: a line the program prints meanwhile overwrites it */
    fprintf(stderr, "\r%s%*s\r", line, c->shown > n ? c->shown - n : 0, "");
    if (c->shown < n) c->shown = n;
    fflush(stderr);
}

CLI_DEF void cli_progress_done(cli *c) {
    if (c->shown) fprintf(stderr, "\r%*s\r", c->shown, "");
    c->shown = 0;
    c->last_drawn = -1;
    fflush(stderr);
}

/* ---- JSON ------------------------------------------------------------------------------------ */
CLI_DEF void cli_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; ++s) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch == '\n') fputs("\\n", f);
        else if (ch == '\t') fputs("\\t", f);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

CLI_DEF void cli_json__real(FILE *f, double v) {
    if (v - v == 0) fprintf(f, "%.9g", v);
    else fputs("null", f);
}

CLI_DEF void cli_json_key(cli_json *j, const char *key) {
    if (!j->first[j->depth]) fputc(',', j->f);
    j->first[j->depth] = 0;
    cli_json_string(j->f, key);
    fputc(':', j->f);
}

CLI_DEF void cli_json_begin(cli_json *j, FILE *f) {
    j->f = f;
    j->depth = 0;
    j->first[0] = 1;
    fputc('{', f);
}
CLI_DEF void cli_json_str(cli_json *j, const char *key, const char *v) {
    cli_json_key(j, key);
    cli_json_string(j->f, v);
}
CLI_DEF void cli_json_int(cli_json *j, const char *key, double v) { /* a whole number */
    cli_json_key(j, key);
    fprintf(j->f, "%.0f", v);
}
CLI_DEF void cli_json_real(cli_json *j, const char *key, double v) {
    cli_json_key(j, key);
    cli_json__real(j->f, v);
}
CLI_DEF void cli_json_reals(cli_json *j, const char *key, const double *v, size_t n) {
    size_t k;
    cli_json_key(j, key);
    fputc('[', j->f);
    for (k = 0; k < n; ++k) {
        if (k) fputc(',', j->f);
        cli_json__real(j->f, v[k]);
    }
    fputc(']', j->f);
}
CLI_DEF void cli_json_object(cli_json *j, const char *key) { /* opens "key":{ */
    cli_json_key(j, key);
    fputc('{', j->f);
    j->first[++j->depth] = 1;
}
CLI_DEF void cli_json_close(cli_json *j) {
    fputc('}', j->f);
    --j->depth;
}
CLI_DEF void cli_json_end(cli_json *j) { /* the line's last brace; flushed */
    while (j->depth > 0) cli_json_close(j);
    fputs("}\n", j->f);
    fflush(j->f);
}

/* A result line up to "settings":{ (the caller adds the settings, then cli_result_end). */
CLI_DEF void cli_result_begin(cli_json *j, const char *example, const char *learner, double seed, double steps) {
    cli_json_begin(j, stdout);
    cli_json_str(j, "example", example);
    cli_json_str(j, "learner", learner);
    cli_json_int(j, "seed", seed);
    cli_json_int(j, "steps", steps);
    cli_json_object(j, "settings");
    cli_json_str(j, "precision", CLI_PRECISION);
}

/* Closes the settings and writes metric, window, curve, final (curve's last entry) and
   us_per_step. The caller may add keys, then ends the line with cli_json_end. */
CLI_DEF void cli_result_end(cli_json *j, const char *metric, double window, const double *curve, size_t n,
                            double us_per_step) {
    cli_json_close(j);
    cli_json_str(j, "metric", metric);
    cli_json_int(j, "window", window);
    cli_json_reals(j, "curve", curve, n);
    cli_json_real(j, "final", n ? curve[n - 1] : (double)NAN);
    cli_json_real(j, "us_per_step", us_per_step);
}

/* ---- the curve: the metric over consecutive blocks of `window` steps --------------------- */
/* Blocks [i w, (i+1) w); the last covers the remainder when steps is not a multiple of w. */
CLI_DEF size_t cli_blocks(double steps, double window) { return (size_t)ceil(steps / window); }

#endif
