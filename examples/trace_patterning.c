/* trace_patterning.c - the benchmark of the 2023 CCN paper (Javed, Shah, Sutton & White,
   arXiv 2302.05326): predict, online, a US that follows some CS patterns 14-26 steps later.

   The environment is in trace_env.h. Every learner sees the same stream and predicts the
   discounted return of the US (gamma 0.9) with TD(lambda = 0.99) and RMSProp:
     columnar      7 lstm columns, one stage                     ("7:7")
     ccn           20 lstm columns, stages of 4                  ("20:4")
     constructive  10 lstm columns, one per stage                ("10:1")
     tbptt-T-H     a dense LSTM of H units, truncated BPTT over T steps (tbptt.h), at the
                   2023 paper's compute-matched pairs (T:H = 30:2, 15:4, 5:8 by default)
   The ccn.h learners normalise their inputs and features online (r = 0.99999, floor 0.01) as
   the authors' code does; T-BPTT normalises its inputs the same way. Stages start every
   steps / stages steps, so a run of any length goes through all of them.

   It prints the MSRE (mean squared error of the prediction against the true return, over the
   last --window steps) as it goes, shows progress on a terminal, and ends with one line per
   learner: learner=<name> msre=<value> steps=<n> us_per_step=<value>. It writes the learning
   curves as an SVG (log-log, the zero-prediction baseline drawn). With --seeds N it averages
   the curves and the final MSRE over N seeds (and prints their spread).

   make demo runs the default: 2,000,000 steps (under a minute). The paper's scale:
   --steps 50000000 --seeds 5 --step-size 0.001 (see --help).

   Build: cc -O2 -std=c99 trace_patterning.c -lm       Run: ./trace_patterning --help */
#define _POSIX_C_SOURCE 200809L /* isatty, fileno, clock_gettime */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "plot.h"
#include "tbptt.h"
#include "trace_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_LEARNERS 12
#define CURVE_POINTS 60
#define BLOCK 1024 /* steps generated at once, then fed to each learner in turn (timed apart) */

typedef struct options {
    long steps, window;
    int seeds, isi_lo, isi_hi, n_tbptt, tbptt_T[8], tbptt_H[8];
    double alpha, tbptt_alpha;
    uint64_t seed;
    const char *out;
} options;

typedef struct learner {
    char name[32];
    ccn_net *net;      /* a ccn.h learner, or */
    tbptt_net *tb;     /* the T-BPTT baseline */
    double *sq;        /* ring of squared errors over the window */
    double sum, seconds;
    double curve[CURVE_POINTS], final_msre[64];
} learner;

static int usage(const char *prog, FILE *out) {
    fprintf(out,
            "usage: %s [options]\n"
            "  --steps N         steps per seed (default 2000000; the paper: 50000000)\n"
            "  --window N        MSRE over the last N steps (default 100000)\n"
            "  --seeds N         seeds to average (default 1)\n"
            "  --seed S          first seed (default 1)\n"
            "  --isi LO:HI       inter-stimulus interval (default 14:26; the authors' C++: 24:36)\n"
            "  --step-size A     alpha of the ccn.h learners (default 0.001, the authors')\n"
            "  --tbptt T:H,...   the T-BPTT baselines (default 30:2,15:4,5:8; the paper's pairs:\n"
            "                    13:2,3:10,5:8,8:5,10:5,15:4,20:3,30:2)\n"
            "  --tbptt-step-size A  alpha of T-BPTT (default: --step-size)\n"
            "  --out FILE        the figure (default trace_patterning.svg)\n",
            prog);
    return out == stderr ? 2 : 0;
}

static int parse_pair(const char *s, int *a, int *b) {
    char *end;
    long x = strtol(s, &end, 10), y;
    if (end == s || *end != ':') return 0;
    y = strtol(end + 1, &end, 10);
    if (*end && *end != ',') return 0;
    if (x <= 0 || y <= 0 || x > 100000 || y > 100000) return 0;
    *a = (int)x;
    *b = (int)y;
    return 1;
}

static int parse(int argc, char **argv, options *o) {
    int i;
    memset(o, 0, sizeof *o);
    o->steps = 2000000;
    o->window = 100000;
    o->seeds = 1;
    o->seed = 1;
    o->isi_lo = 14;
    o->isi_hi = 26;
    o->alpha = 0.001;
    o->tbptt_alpha = -1;
    o->out = "trace_patterning.svg";
    o->n_tbptt = 3;
    o->tbptt_T[0] = 30, o->tbptt_H[0] = 2;
    o->tbptt_T[1] = 15, o->tbptt_H[1] = 4;
    o->tbptt_T[2] = 5, o->tbptt_H[2] = 8;
    for (i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(argv[0], stdout), -1;
        if (!v) return 0;
        ++i;
        if (!strcmp(a, "--steps")) o->steps = strtol(v, &end, 10);
        else if (!strcmp(a, "--window")) o->window = strtol(v, &end, 10);
        else if (!strcmp(a, "--seeds")) o->seeds = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--seed")) o->seed = (uint64_t)strtoull(v, &end, 10);
        else if (!strcmp(a, "--step-size")) o->alpha = strtod(v, &end);
        else if (!strcmp(a, "--tbptt-step-size")) o->tbptt_alpha = strtod(v, &end);
        else if (!strcmp(a, "--out")) o->out = v, end = (char *)v + strlen(v);
        else if (!strcmp(a, "--isi")) {
            if (!parse_pair(v, &o->isi_lo, &o->isi_hi) || o->isi_lo > o->isi_hi) return 0;
            end = (char *)v + strlen(v);
        } else if (!strcmp(a, "--tbptt")) {
            const char *p = v;
            o->n_tbptt = 0;
            while (*p) {
                if (o->n_tbptt == 8 || !parse_pair(p, &o->tbptt_T[o->n_tbptt], &o->tbptt_H[o->n_tbptt])) return 0;
                ++o->n_tbptt;
                p = strchr(p, ',');
                if (!p) break;
                ++p;
            }
            end = (char *)v + strlen(v);
        } else return 0;
        if (!end || *end || end == v) return 0;
    }
    if (o->steps <= 0 || o->window <= 0 || o->seeds <= 0 || o->seeds > 64 || !(o->alpha > 0)) return 0;
    if (o->tbptt_alpha < 0) o->tbptt_alpha = o->alpha;
    return 1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The CCN learners: F columns, d per stage, a new stage every steps / stages steps. */
static ccn_net *make_ccn(int F, int d, long steps, double alpha, uint64_t seed) {
    ccn_config c;
    ccn_net *net = NULL;
    int stages = (F + d - 1) / d;
    long per_stage = stages > 1 ? steps / stages : 0;
    trace_ccn_config(&c, F, d, stages > 1 && per_stage == 0 ? 1 : per_stage, alpha, seed);
    c.init_scale = 0.1;
    return ccn_create(&c, NULL, &net) == CCN_OK ? net : NULL;
}

static tbptt_net *make_tbptt(int T, int H, double alpha, uint64_t seed) {
    tbptt_config c;
    tbptt_net *net = NULL;
    memset(&c, 0, sizeof c);
    c.n_inputs = TRACE_INPUTS;
    c.n_hidden = H;
    c.window = T;
    c.td_lambda = 0.99;
    c.optimizer = CCN_RMSPROP;
    c.step_size = alpha;
    c.input_norm_rate = 0.99999;
    c.norm_var_floor = 0.01;
    c.seed = seed;
    return tbptt_create(&c, &net) == CCN_OK ? net : NULL;
}

int main(int argc, char **argv) {
    options o;
    learner L[MAX_LEARNERS];
    int n = 0, k, s, r = parse(argc, argv, &o), tty = isatty(fileno(stderr));
    long window, t, b;
    static ccn_real X[BLOCK][TRACE_INPUTS], C[BLOCK];
    static double G[BLOCK];
    double zero_sq = 0, steps_x[CURVE_POINTS];
    if (r < 0) return 0;
    if (r == 0) return usage(argv[0], stderr);
    window = o.window < o.steps ? o.window : o.steps;
    memset(L, 0, sizeof L);
    snprintf(L[n++].name, 32, "columnar");
    snprintf(L[n++].name, 32, "ccn");
    snprintf(L[n++].name, 32, "constructive");
    for (k = 0; k < o.n_tbptt; ++k) snprintf(L[n++].name, 32, "tbptt-%d-%d", o.tbptt_T[k], o.tbptt_H[k]);
    for (k = 0; k < n; ++k) {
        L[k].sq = (double *)malloc((size_t)window * sizeof(double));
        if (!L[k].sq) return 1;
    }
    printf("trace patterning: ISI %d..%d, %ld steps x %d seed(s), MSRE over the last %ld steps, alpha %g (T-BPTT %g)\n",
           o.isi_lo, o.isi_hi, o.steps, o.seeds, window, o.alpha, o.tbptt_alpha);
    for (k = 0; k < o.n_tbptt; ++k) /* the pairs the paper matched to its CCN nets' cost */
        printf("  tbptt-%d-%d: %.0f multiply-adds per step by the paper's cost model\n", o.tbptt_T[k], o.tbptt_H[k],
               tbptt_cost(TRACE_INPUTS, o.tbptt_H[k], o.tbptt_T[k]));
    for (s = 0; s < o.seeds; ++s) {
        trace_env env;
        uint64_t seed = o.seed + (uint64_t)s;
        int point = 0;
        double zero_sum = 0;
        double *zero_ring = (double *)calloc((size_t)window, sizeof(double));
        if (!zero_ring) return 1;
        trace_init(&env, seed, o.isi_lo, o.isi_hi);
        L[0].net = make_ccn(7, 7, o.steps, o.alpha, seed);
        L[1].net = make_ccn(20, 4, o.steps, o.alpha, seed);
        L[2].net = make_ccn(10, 1, o.steps, o.alpha, seed);
        for (k = 0; k < o.n_tbptt; ++k) L[3 + k].tb = make_tbptt(o.tbptt_T[k], o.tbptt_H[k], o.tbptt_alpha, seed);
        for (k = 0; k < n; ++k) {
            if (!L[k].net && !L[k].tb) {
                fprintf(stderr, "could not create learner %s\n", L[k].name);
                return 1;
            }
            L[k].sum = 0;
            memset(L[k].sq, 0, (size_t)window * sizeof(double));
        }
        for (t = 0; t < o.steps; t += BLOCK) {
            long len = o.steps - t < BLOCK ? o.steps - t : BLOCK;
            for (b = 0; b < len; ++b) { /* the environment, once for everyone */
                double z2;
                C[b] = trace_step(&env, X[b]);
                G[b] = trace_return(&env);
                z2 = G[b] * G[b];
                zero_sum += z2 - zero_ring[(t + b) % window];
                zero_ring[(t + b) % window] = z2;
            }
            for (k = 0; k < n; ++k) {
                double t0 = now_s();
                for (b = 0; b < len; ++b) {
                    ccn_real y = 0;
                    double e;
                    if (L[k].net) ccn_td_step(L[k].net, X[b], C[b], CCN_R(TRACE_GAMMA), &y);
                    else tbptt_td_step(L[k].tb, X[b], C[b], CCN_R(TRACE_GAMMA), &y);
                    e = ((double)y - G[b]) * ((double)y - G[b]);
                    L[k].sum += e - L[k].sq[(t + b) % window];
                    L[k].sq[(t + b) % window] = e;
                }
                L[k].seconds += now_s() - t0;
            }
            /* the learning curves: MSRE over the window, at CURVE_POINTS log-spaced steps */
            while (point < CURVE_POINTS) { /* log-spaced from the first full window to the end */
                long at = (long)((double)window * pow((double)o.steps / (double)window, (double)point / (CURVE_POINTS - 1)) + 0.5);
                if (point > 0 && at <= (long)steps_x[point - 1]) at = (long)steps_x[point - 1] + 1;
                if (at > t + len) break;
                steps_x[point] = (double)at;
                for (k = 0; k < n; ++k) L[k].curve[point] += L[k].sum / (double)window / o.seeds;
                if (s == 0 && point % 10 == 9) {
                    printf("step %10ld", at);
                    for (k = 0; k < n; ++k) printf("  %s %.5f", L[k].name, L[k].sum / (double)window);
                    printf("\n");
                }
                ++point;
            }
            if (tty && (t / BLOCK) % 256 == 0)
                fprintf(stderr, "\rseed %d/%d  %5.1f%%", s + 1, o.seeds, 100.0 * (double)(t + len) / (double)o.steps);
        }
        if (tty) fprintf(stderr, "\r%40s\r", "");
        for (k = 0; k < n; ++k) {
            L[k].final_msre[s] = L[k].sum / (double)window;
            if (L[k].net) ccn_destroy(L[k].net);
            if (L[k].tb) tbptt_destroy(L[k].tb);
            L[k].net = NULL;
            L[k].tb = NULL;
        }
        zero_sq += zero_sum / (double)window / o.seeds;
        free(zero_ring);
    }
    printf("zero prediction: msre=%.5f\n", zero_sq);
    for (k = 0; k < n; ++k) {
        double mean = 0, var = 0;
        for (s = 0; s < o.seeds; ++s) mean += L[k].final_msre[s] / o.seeds;
        for (s = 0; s < o.seeds; ++s) var += (L[k].final_msre[s] - mean) * (L[k].final_msre[s] - mean) / o.seeds;
        printf("learner=%s msre=%.6f steps=%ld us_per_step=%.3f", L[k].name, mean, o.steps,
               L[k].seconds / ((double)o.steps * o.seeds) * 1e6);
        if (o.seeds > 1) printf(" std=%.6f", sqrt(var));
        printf("\n");
    }
    {
        plot_series ps[MAX_LEARNERS];
        plot p;
        int points = 0;
        while (points < CURVE_POINTS && steps_x[points] > 0) ++points;
        for (k = 0; k < n; ++k) {
            ps[k].name = L[k].name;
            ps[k].x = steps_x;
            ps[k].y = L[k].curve;
            ps[k].err = NULL;
            ps[k].n = points;
        }
        memset(&p, 0, sizeof p);
        p.title = "Trace patterning: prediction error while learning";
        p.xlabel = "steps";
        p.ylabel = "MSRE over the last window";
        p.logx = p.logy = 1;
        p.has_ref = 1;
        p.ref_y = zero_sq;
        p.ref_label = "predicting 0";
        if (points > 1 && plot_svg(o.out, &p, ps, n) == 0) printf("wrote %s\n", o.out);
    }
    for (k = 0; k < n; ++k) free(L[k].sq);
    return 0;
}
