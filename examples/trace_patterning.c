/* trace_patterning.c - the benchmark of the 2023 CCN paper (Javed, Shah, Sutton & White,
   arXiv 2302.05326): predict, online, a US that follows some CS patterns 14-26 steps later.

   The environment is in trace_env.h. Every learner sees the same stream and predicts the
   discounted return of the US (gamma 0.9) with TD(lambda = 0.99) and RMSProp:
     columnar      7 lstm columns, one stage                     ("7:7")
     ccn           20 lstm columns, stages of 4                  ("20:4")
     constructive  10 lstm columns, one per stage                ("10:1")
     tbptt         a dense LSTM of H units, truncated BPTT over T steps (tbptt.h), at the
                   2023 paper's compute-matched pairs (T:H = 30:2, 15:4, 5:8 by default)
     zero          predicts 0 (a reference; its MSRE is about 0.02)
   The ccn.h learners normalise their inputs and features online (r = 0.99999, floor 0.01) as
   the authors' code does. T-BPTT reads its inputs as they are, as the authors' baseline does
   (lstm_bptt.cpp); --tbptt-norm 1 normalises them like the ccn.h learners' (--tbptt-norm 0,1
   runs both). Stages start every steps / stages steps, so a run of any length goes through all
   of them.

   The metric is the MSRE: the mean squared error of the prediction against the true return,
   over consecutive blocks of --window steps; the final MSRE is the last block's. With --json,
   stdout carries one result line per (learner, setting, seed), in the examples' format (cli.h);
   --learner, --tbptt, --tbptt-norm, --seed and --step-size make one process one job of a sweep.
   Without it: the configuration, the MSRE of every learner as the run goes (first seed), a
   table of the final MSRE (mean and spread over seeds), and a first-look comparison. The
   learning curves (mean over seeds) go to an SVG (log-log, the zero prediction drawn).

   --seed and --step-size take lists (--seed 11..20 --step-size 0.001,0.0003): every seed runs on
   its own stream, all of them in step, and the ccn.h learners of one kind, at every seed and
   step size, are one ccn_batch (--batch 0: each net by its own call), whose nets each get the
   bits they get stepped alone: the lines are those of one process per seed and step size.
   T-BPTT's nets run one after another.

   make demo runs 2,000,000 steps on one seed with T-BPTT both ways (under a minute): a first
   look. The paper's scale: --steps 5e7 --seeds 5 (see --help).

   Build: cc -O2 -std=c99 trace_patterning.c -lm       Run: ./trace_patterning --help */
#define _POSIX_C_SOURCE 200809L /* isatty */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "cli.h"
#include "plot.h"
#include "tbptt.h"
#include "trace_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAIRS 8
#define MAX_SEEDS 256
#define MAX_ALPHAS 16
#define MAX_RUNS (3 * MAX_ALPHAS + 2 * MAX_PAIRS * MAX_ALPHAS + 1)
#define BLOCK 1024 /* steps generated at once, then fed to each learner in turn (timed apart) */

enum { COLUMNAR, CCN, CONSTRUCTIVE, TBPTT, ZERO, N_KINDS };
static const char *const kind_names[] = {"columnar", "ccn", "constructive", "tbptt", "zero", NULL};
static const int kind_F[] = {7, 20, 10}, kind_d[] = {7, 4, 1}; /* columns, and columns per stage */

typedef struct options {
    double steps, window, seed[MAX_SEEDS], alpha[MAX_ALPHAS], tbptt_alpha[MAX_ALPHAS];
    int seeds, n_alpha, n_tbptt_alpha, isi_lo, isi_hi, n_tbptt, tbptt_T[MAX_PAIRS], tbptt_H[MAX_PAIRS], n_norm,
        norm[2];
    int want[N_KINDS];
    const char *svg;
    int json, batch;
} options;

/* A learner at one setting (and step size), over every seed: row s of its arrays is seed s. */
typedef struct run {
    int kind, T, H, norm;
    double alpha;       /* its step size (zero: none; its result lines carry each ccn.h one) */
    char name[48];
    tbptt_net **tb;     /* the T-BPTT baseline: one net per seed                             */
    double *acc, *seconds; /* per seed: the block's squared errors so far; processor time   */
    double *curve;      /* per seed, its MSRE per block: seeds x blocks                      */
    double *mean_curve; /* over seeds */
    double *final;      /* per seed */
} run;

/* The ccn.h learners of one kind, every step size and seed: one batch of nets stepped together,
   row j on its seed's stream; each net gets the bits it would get stepped alone. */
typedef struct batch {
    ccn_batch *b;
    int count, *run, *seed; /* row j: its run and seed */
    ccn_real *x, *cumulant, *gamma, *y;
} batch;

static const char usage_text[] =
    "[options]\n"
    "  --steps N            steps per seed (default 2e6; the paper: 5e7)\n"
    "  --window N           the MSRE's block of steps (default 100000)\n"
    "  --seed S,...         the seeds: numbers and ranges A..B, e.g. 11..20 or 1,3,5 (default 1,\n"
    "                       at most 256); each its own stream and result lines, all run together\n"
    "  --seeds N            with one --seed S: seeds S..S+N-1 (default 1)\n"
    "  --learner L,...      of columnar, ccn, constructive, tbptt, zero\n"
    "                       (default columnar,ccn,constructive,tbptt)\n"
    "  --isi LO:HI          inter-stimulus interval (default 14:26; the authors' C++: 24:36)\n"
    "  --step-size A,...    alpha of the ccn.h learners (default 0.001, the authors'); a list\n"
    "                       runs each learner at each (at most 16)\n"
    "  --tbptt T:H,...      the T-BPTT nets (default 30:2,15:4,5:8; the paper's pairs:\n"
    "                       13:2,3:10,5:8,8:5,10:5,15:4,20:3,30:2)\n"
    "  --tbptt-norm 0|1|0,1 T-BPTT's inputs as they are (0, the authors' baseline, default),\n"
    "                       normalised online as the ccn.h learners' (1), or both\n"
    "  --tbptt-step-size A,...  alpha of T-BPTT (default: --step-size)\n"
    "  --svg PATH           the figure (default trace_patterning.svg; \"\" for none)\n"
    "  --json               stdout: one JSON result line per learner, setting and seed\n"
    "  --batch 1|0          the ccn.h learners of one kind: one ccn_batch (1, default), or each\n"
    "                       net by its own call (0); the same results either way\n"
    "Every seed has its own stream; the ccn.h learners of one kind run as one batch (ccn_batch)\n"
    "over all the seeds and step sizes, each net with the bits it gets run alone: 10 seeds x 3\n"
    "step sizes in one process print what 30 processes of one seed and step size print.\n"
    "T-BPTT's nets run one after another.\n";

static void parse(cli *cp, int argc, char **argv, options *o) {
    cli c;
    int k, n_seed = 1, seeds = 1;
    memset(o, 0, sizeof *o);
    o->steps = 2e6;
    o->window = 100000;
    o->seed[0] = 1;
    o->isi_lo = 14;
    o->isi_hi = 26;
    o->alpha[0] = 0.001;
    o->n_alpha = 1;
    o->svg = "trace_patterning.svg";
    o->batch = 1;
    o->n_tbptt = 3;
    o->tbptt_T[0] = 30, o->tbptt_H[0] = 2;
    o->tbptt_T[1] = 15, o->tbptt_H[1] = 4;
    o->tbptt_T[2] = 5, o->tbptt_H[2] = 8;
    o->n_norm = 1;
    o->norm[0] = 0;
    for (k = 0; k < ZERO; ++k) o->want[k] = 1;
    cli_init(&c, "trace_patterning", usage_text, argc, argv);
    while (cli_next(&c)) {
        if (cli_is(&c, "--steps")) o->steps = cli_count(&c, 1, CLI_MAX_COUNT);
        else if (cli_is(&c, "--window")) o->window = cli_count(&c, 1, CLI_MAX_COUNT);
        else if (cli_is(&c, "--seed")) n_seed = cli_counts(&c, 0, CLI_MAX_COUNT, o->seed, MAX_SEEDS);
        else if (cli_is(&c, "--seeds")) seeds = cli_int(&c, 1, MAX_SEEDS);
        else if (cli_is(&c, "--step-size")) o->n_alpha = cli_reals(&c, 1e-30, 1e30, o->alpha, MAX_ALPHAS);
        else if (cli_is(&c, "--tbptt-step-size"))
            o->n_tbptt_alpha = cli_reals(&c, 1e-30, 1e30, o->tbptt_alpha, MAX_ALPHAS);
        else if (cli_is(&c, "--svg")) o->svg = cli_value(&c);
        else if (cli_is(&c, "--json")) o->json = 1;
        else if (cli_is(&c, "--batch")) o->batch = cli_int(&c, 0, 1);
        else if (cli_is(&c, "--tbptt")) o->n_tbptt = cli_pairs(&c, 1, 100000, o->tbptt_T, o->tbptt_H, MAX_PAIRS);
        else if (cli_is(&c, "--isi")) {
            int lo, hi;
            if (cli_pairs(&c, 1, 1000000, &lo, &hi, 1) != 1 || lo > hi) cli_bad(&c, "'%s' is not LO:HI with LO <= HI", c.value);
            o->isi_lo = lo;
            o->isi_hi = hi;
        } else if (cli_is(&c, "--tbptt-norm")) {
            o->n_norm = cli_ints(&c, 0, 1, o->norm, 2);
            if (o->n_norm == 2 && o->norm[0] == o->norm[1]) o->n_norm = 1;
        } else if (cli_is(&c, "--learner")) {
            const char *v = cli_value(&c), *s = v;
            memset(o->want, 0, sizeof o->want);
            for (;;) {
                size_t len = strcspn(s, ",");
                for (k = 0; kind_names[k]; ++k)
                    if (strlen(kind_names[k]) == len && !strncmp(s, kind_names[k], len)) break;
                if (!kind_names[k])
                    cli_bad(&c, "'%.*s' is not a learner (columnar, ccn, constructive, tbptt, zero)", (int)len, s);
                o->want[k] = 1;
                s += len;
                if (!*s) break;
                ++s;
            }
        } else cli_unknown(&c);
    }
    if (seeds > 1) { /* S..S+N-1 */
        c.flag = "--seeds";
        if (n_seed > 1) cli_bad(&c, "goes with one --seed S, not a list");
        if (o->seed[0] + seeds - 1 > CLI_MAX_COUNT) cli_bad(&c, "seeds past %.17g", CLI_MAX_COUNT);
        for (k = 1; k < seeds; ++k) o->seed[k] = o->seed[0] + k;
        n_seed = seeds;
    }
    o->seeds = n_seed;
    if (!o->n_tbptt_alpha) {
        o->n_tbptt_alpha = o->n_alpha;
        memcpy(o->tbptt_alpha, o->alpha, sizeof o->alpha);
    }
    cli_output(&c, o->svg);
    *cp = c;
}

/* The CCN learners: F columns, d per stage, a new stage every steps / stages steps. */
static void ccn_setup(ccn_config *c, int F, int d, double steps, double alpha, uint64_t seed) {
    int stages = (F + d - 1) / d;
    int64_t per_stage = stages > 1 ? (int64_t)(steps / stages) : 0;
    trace_ccn_config(c, F, d, stages > 1 && per_stage == 0 ? 1 : per_stage, alpha, seed);
    c->init_scale = 0.1;
}

/* T-BPTT as the authors' baseline runs it; norm: inputs normalised as the ccn.h learners'. */
static tbptt_net *make_tbptt(int T, int H, double alpha, uint64_t seed, int norm) {
    tbptt_config c;
    tbptt_net *net = NULL;
    memset(&c, 0, sizeof c);
    c.n_inputs = TRACE_INPUTS;
    c.n_hidden = H;
    c.window = T;
    c.td_lambda = 0.99;
    c.optimizer = CCN_RMSPROP;
    c.step_size = alpha;
    if (norm) {
        c.input_norm_rate = 0.99999;
        c.norm_var_floor = 0.01;
    }
    c.seed = seed;
    return tbptt_create(&c, &net) == CCN_OK ? net : NULL;
}

static void write_result(const options *o, const run *r, int s, double alpha, size_t blocks) {
    cli_json j;
    char isi[32], pair[32];
    cli_result_begin(&j, "trace_patterning", kind_names[r->kind], o->seed[s], o->steps);
    cli_json_real(&j, "step_size", alpha);
    snprintf(isi, sizeof isi, "%d:%d", o->isi_lo, o->isi_hi);
    cli_json_str(&j, "isi", isi);
    cli_json_int(&j, "window", o->window);
    if (r->kind == TBPTT) {
        snprintf(pair, sizeof pair, "%d:%d", r->T, r->H);
        cli_json_str(&j, "tbptt", pair);
        cli_json_int(&j, "tbptt_norm", r->norm);
    }
    cli_result_end(&j, "msre", o->window, r->curve + (size_t)s * blocks, blocks, r->seconds[s] / o->steps * 1e6);
    cli_json_end(&j);
}

/* Step b (0-based) of seed s gave prediction y against the true return g. */
static void account(const options *o, run *r, int s, size_t blocks, double b, int ends, ccn_real y, double g) {
    double e = ((double)y - g) * ((double)y - g);
    r->acc[s] += e;
    if (ends) { /* a block ends */
        double start = floor(b / o->window) * o->window;
        r->curve[(size_t)s * blocks + (size_t)(b / o->window)] = r->acc[s] / (b + 1 - start);
        r->acc[s] = 0;
    }
}

static void first_look(const options *o, const run *R, int n) {
    int k, q, best_ccn = -1, best_tb = -1;
    double mean[MAX_RUNS];
    for (k = 0; k < n; ++k) {
        int s;
        for (mean[k] = 0, s = 0; s < o->seeds; ++s) mean[k] += R[k].final[s] / o->seeds;
    }
    printf("\nA first look (%.0f steps x %d seed(s); the paper's comparison needs 5+ seeds of 1e7-5e7 steps\n"
           "and a step-size sweep per learner: the sweep's job, not this run's):\n",
           o->steps, o->seeds);
    for (k = 0; k < n; ++k)
        if (R[k].kind == TBPTT && !R[k].norm)
            for (q = 0; q < n; ++q)
                if (R[q].kind == TBPTT && R[q].norm && R[q].T == R[k].T && R[q].H == R[k].H &&
                    R[q].alpha == R[k].alpha)
                    printf("  T-BPTT %d:%d%s: MSRE %.4f with its inputs as they are (the authors' baseline), %.4f with\n"
                           "    them normalised online (%.2fx)\n",
                           R[k].T, R[k].H, strchr(R[k].name, '@') ? strchr(R[k].name, '@') : "", mean[k], mean[q],
                           mean[q] / mean[k]);
    for (k = 0; k < n; ++k) {
        if (R[k].kind < TBPTT && (best_ccn < 0 || mean[k] < mean[best_ccn])) best_ccn = k;
        if (R[k].kind == TBPTT && !R[k].norm && (best_tb < 0 || mean[k] < mean[best_tb])) best_tb = k;
    }
    if (best_ccn >= 0 && best_tb >= 0)
        printf("  best ccn.h learner: %s %.4f; best T-BPTT as the authors run it: %s %.4f (%s)\n",
               R[best_ccn].name, mean[best_ccn], R[best_tb].name, mean[best_tb],
               mean[best_ccn] < mean[best_tb] ? "the ccn.h learner ahead" : "T-BPTT ahead");
}

static void *alloc_or_die(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size);
    if (!p) {
        fprintf(stderr, "trace_patterning: out of memory\n");
        exit(1);
    }
    return p;
}

int main(int argc, char **argv) {
    options o;
    run R[MAX_RUNS];
    batch B[TBPTT];
    int n = 0, k, q, a, s, j, zero = -1, width;
    double t, b;
    size_t blocks, nb, done = 0; /* blocks completed by every learner (the first seed's table) */
    ccn_real(*X)[BLOCK][TRACE_INPUTS], (*C)[BLOCK];
    double(*G)[BLOCK];
    trace_env *env;
    double *xs;
    cli progress;

    parse(&progress, argc, argv, &o);
    blocks = cli_blocks(o.steps, o.window);
    memset(R, 0, sizeof R);
    memset(B, 0, sizeof B);
    for (k = 0; k < TBPTT; ++k)
        if (o.want[k])
            for (a = 0; a < o.n_alpha; ++a) {
                R[n].kind = k, R[n].alpha = o.alpha[a];
                if (o.n_alpha > 1) snprintf(R[n++].name, sizeof R[0].name, "%s@%g", kind_names[k], o.alpha[a]);
                else snprintf(R[n++].name, sizeof R[0].name, "%s", kind_names[k]);
            }
    if (o.want[TBPTT])
        for (k = 0; k < o.n_tbptt; ++k)
            for (q = 0; q < o.n_norm; ++q)
                for (a = 0; a < o.n_tbptt_alpha; ++a) {
                    run *r = &R[n++];
                    r->kind = TBPTT, r->T = o.tbptt_T[k], r->H = o.tbptt_H[k], r->norm = o.norm[q];
                    r->alpha = o.tbptt_alpha[a];
                    snprintf(r->name, sizeof r->name, "tbptt-%d-%d%s", r->T, r->H, r->norm ? "-norm" : "");
                    if (o.n_tbptt_alpha > 1)
                        snprintf(r->name + strlen(r->name), sizeof r->name - strlen(r->name), "@%g", r->alpha);
                }
    zero = n; /* always run: the text and the figure show it as the reference */
    R[n].kind = ZERO, snprintf(R[n++].name, sizeof R[0].name, "zero");
    xs = (double *)alloc_or_die(blocks, sizeof(double));
    for (nb = 0; nb < blocks; ++nb) xs[nb] = nb + 1 < blocks ? (double)(nb + 1) * o.window : o.steps;
    for (k = 0; k < n; ++k) {
        R[k].curve = (double *)alloc_or_die((size_t)o.seeds * blocks, sizeof(double));
        R[k].mean_curve = (double *)alloc_or_die(blocks, sizeof(double));
        R[k].acc = (double *)alloc_or_die((size_t)o.seeds, sizeof(double));
        R[k].seconds = (double *)alloc_or_die((size_t)o.seeds, sizeof(double));
        R[k].final = (double *)alloc_or_die((size_t)o.seeds, sizeof(double));
        R[k].tb = (tbptt_net **)alloc_or_die((size_t)o.seeds, sizeof(tbptt_net *));
    }
    /* the learners: a batch per ccn.h kind, rows run-major (its step sizes), then seed */
    for (k = 0; k < TBPTT; ++k) {
        batch *bt = &B[k];
        ccn_config *cfgs;
        ccn_result res;
        if (!o.want[k]) continue;
        bt->count = o.n_alpha * o.seeds;
        cfgs = (ccn_config *)alloc_or_die((size_t)bt->count, sizeof(ccn_config));
        bt->run = (int *)alloc_or_die((size_t)bt->count, sizeof(int));
        bt->seed = (int *)alloc_or_die((size_t)bt->count, sizeof(int));
        bt->x = (ccn_real *)alloc_or_die((size_t)bt->count * TRACE_INPUTS, sizeof(ccn_real));
        bt->cumulant = (ccn_real *)alloc_or_die((size_t)bt->count, sizeof(ccn_real));
        bt->gamma = (ccn_real *)alloc_or_die((size_t)bt->count, sizeof(ccn_real));
        bt->y = (ccn_real *)alloc_or_die((size_t)bt->count, sizeof(ccn_real));
        for (j = 0, q = 0; q < n; ++q)
            if (R[q].kind == k)
                for (s = 0; s < o.seeds; ++s, ++j) {
                    ccn_setup(&cfgs[j], kind_F[k], kind_d[k], o.steps, R[q].alpha, (uint64_t)o.seed[s]);
                    bt->run[j] = q;
                    bt->seed[j] = s;
                    bt->gamma[j] = CCN_R(TRACE_GAMMA);
                }
        res = ccn_batch_create(cfgs, bt->count, NULL, &bt->b);
        free(cfgs);
        if (res != CCN_OK) {
            fprintf(stderr, "trace_patterning: could not create the %s learners: %s\n", kind_names[k],
                    ccn_result_string(res));
            return 1;
        }
    }
    for (k = 0; k < n; ++k)
        if (R[k].kind == TBPTT)
            for (s = 0; s < o.seeds; ++s)
                if (!(R[k].tb[s] = make_tbptt(R[k].T, R[k].H, R[k].alpha, (uint64_t)o.seed[s], R[k].norm))) {
                    fprintf(stderr, "trace_patterning: could not create learner %s\n", R[k].name);
                    return 1;
                }
    /* the streams: one per seed, a block of steps at a time */
    env = (trace_env *)alloc_or_die((size_t)o.seeds, sizeof(trace_env));
    X = (ccn_real(*)[BLOCK][TRACE_INPUTS])alloc_or_die((size_t)o.seeds, sizeof *X);
    C = (ccn_real(*)[BLOCK])alloc_or_die((size_t)o.seeds, sizeof *C);
    G = (double(*)[BLOCK])alloc_or_die((size_t)o.seeds, sizeof *G);
    for (s = 0; s < o.seeds; ++s) trace_init(&env[s], (uint64_t)o.seed[s], o.isi_lo, o.isi_hi);
    if (!o.json) {
        printf("trace patterning: ISI %d..%d, %.0f steps x %d seed(s), MSRE over blocks of %.0f steps, alpha",
               o.isi_lo, o.isi_hi, o.steps, o.seeds, o.window);
        for (a = 0; a < o.n_alpha; ++a) printf("%s%g", a ? "," : " ", o.alpha[a]);
        printf(" (T-BPTT");
        for (a = 0; a < o.n_tbptt_alpha; ++a) printf("%s%g", a ? "," : " ", o.tbptt_alpha[a]);
        printf(")\n");
        for (k = 0; k < TBPTT; ++k)
            if (B[k].b && B[k].count > 1)
                printf("  %s: %d nets (%d step size(s) x %d seed(s)) %s\n", kind_names[k], B[k].count, o.n_alpha,
                       o.seeds, o.batch ? "stepped together as one batch" : "stepped one by one (--batch 0)");
        for (k = 0; k < o.n_tbptt && o.want[TBPTT]; ++k) /* the pairs the paper matched to its CCN nets' cost */
            printf("  tbptt-%d-%d: %.0f multiply-adds per step by the paper's cost model\n", o.tbptt_T[k],
                   o.tbptt_H[k], tbptt_cost(TRACE_INPUTS, o.tbptt_H[k], o.tbptt_T[k]));
        printf("seed %.0f:\n%10s", o.seed[0], "step");
        for (k = 0; k < n; ++k) printf(" %*s", (int)(strlen(R[k].name) > 8 ? strlen(R[k].name) : 8), R[k].name);
        printf("\n");
    }
    for (t = 0; t < o.steps; t += BLOCK) {
        long len = o.steps - t < BLOCK ? (long)(o.steps - t) : BLOCK, i;
        size_t now;
        for (s = 0; s < o.seeds; ++s)
            for (i = 0; i < len; ++i) { /* the environment, once for every learner of the seed */
                C[s][i] = trace_step(&env[s], X[s][i]);
                G[s][i] = trace_return(&env[s]);
            }
        for (k = 0; k < TBPTT; ++k) {
            batch *bt = &B[k];
            double t0, share;
            if (!bt->b) continue;
            t0 = cli_seconds();
            for (i = 0, b = t; i < len; ++i, ++b) {
                int ends = fmod(b + 1, o.window) == 0 || b + 1 == o.steps;
                for (j = 0; j < bt->count; ++j) {
                    memcpy(bt->x + (size_t)j * TRACE_INPUTS, X[bt->seed[j]][i], sizeof X[0][0]);
                    bt->cumulant[j] = C[bt->seed[j]][i];
                    bt->y[j] = 0;
                }
                if (o.batch) ccn_batch_td_step(bt->b, bt->x, bt->cumulant, bt->gamma, bt->y);
                else
                    for (j = 0; j < bt->count; ++j)
                        ccn_td_step(ccn_batch_net(bt->b, j), bt->x + (size_t)j * TRACE_INPUTS, bt->cumulant[j],
                                    bt->gamma[j], &bt->y[j]);
                for (j = 0; j < bt->count; ++j) account(&o, &R[bt->run[j]], bt->seed[j], blocks, b, ends, bt->y[j],
                                                         G[bt->seed[j]][i]);
            }
            share = (cli_seconds() - t0) / bt->count; /* each net's share of the batch's time */
            for (j = 0; j < bt->count; ++j) R[bt->run[j]].seconds[bt->seed[j]] += share;
        }
        for (k = 0; k < n; ++k) {
            run *r = &R[k];
            if (r->kind < TBPTT) continue;
            for (s = 0; s < o.seeds; ++s) {
                double t0 = cli_seconds();
                for (i = 0, b = t; i < len; ++i, ++b) {
                    ccn_real y = 0;
                    if (r->kind == TBPTT) tbptt_td_step(r->tb[s], X[s][i], C[s][i], CCN_R(TRACE_GAMMA), &y);
                    account(&o, r, s, blocks, b, fmod(b + 1, o.window) == 0 || b + 1 == o.steps, y, G[s][i]);
                }
                r->seconds[s] += cli_seconds() - t0;
            }
        }
        now = t + (double)len >= o.steps ? blocks : (size_t)((t + (double)len) / o.window);
        if (!o.json) /* about ten rows over the run */
            for (; done < now; ++done)
                if ((done + 1) % (blocks / 10 > 0 ? blocks / 10 : 1) == 0 || done + 1 == blocks) {
                    printf("%10.0f", xs[done]);
                    for (k = 0; k < n; ++k)
                        printf(" %*.5f", (int)(strlen(R[k].name) > 8 ? strlen(R[k].name) : 8), R[k].curve[done]);
                    printf("\n");
                }
        done = now;
        cli_progress(&progress, "%d seed(s)  %5.1f%%", o.seeds, 100.0 * (t + (double)len) / o.steps);
    }
    cli_progress_done(&progress);
    for (k = 0; k < n; ++k)
        for (s = 0; s < o.seeds; ++s) {
            R[k].final[s] = R[k].curve[(size_t)s * blocks + blocks - 1];
            for (nb = 0; nb < blocks; ++nb) R[k].mean_curve[nb] += R[k].curve[(size_t)s * blocks + nb] / o.seeds;
        }
    if (o.json) /* by seed, then learner as listed, then step size; zero once per ccn.h step size */
        for (s = 0; s < o.seeds; ++s)
            for (k = 0; k < n; ++k) {
                if (R[k].kind != ZERO) write_result(&o, &R[k], s, R[k].alpha, blocks);
                else if (o.want[ZERO])
                    for (a = 0; a < o.n_alpha; ++a) write_result(&o, &R[k], s, o.alpha[a], blocks);
            }
    if (!o.json) {
        width = 18;
        for (k = 0; k < n; ++k)
            if ((int)strlen(R[k].name) > width) width = (int)strlen(R[k].name);
        printf("\nfinal MSRE (the last block of %.0f steps)%s:\n", o.window,
               o.seeds > 1 ? ", mean and standard deviation over the seeds" : "");
        for (k = 0; k < n; ++k) {
            double mean = 0, var = 0, sec = 0;
            for (s = 0; s < o.seeds; ++s) mean += R[k].final[s] / o.seeds;
            for (s = 0; s < o.seeds; ++s) var += (R[k].final[s] - mean) * (R[k].final[s] - mean) / o.seeds;
            for (s = 0; s < o.seeds; ++s) sec += R[k].seconds[s] / o.seeds;
            printf("  %-*s %.5f", width, R[k].name, mean);
            if (o.seeds > 1) printf(" +- %.5f", sqrt(var));
            if (R[k].kind != ZERO) printf("   %.3f us/step", sec / o.steps * 1e6);
            printf("\n");
        }
        first_look(&o, R, n - 1);
    }
    if (*o.svg) {
        plot_series ps[MAX_RUNS];
        plot p;
        for (k = 0; k < zero; ++k) {
            ps[k].name = R[k].name;
            ps[k].x = xs;
            ps[k].y = R[k].mean_curve;
            ps[k].err = NULL;
            ps[k].n = (int)blocks;
        }
        memset(&p, 0, sizeof p);
        p.title = "Trace patterning: prediction error while learning";
        p.xlabel = "steps";
        p.ylabel = "MSRE over the block";
        p.logx = p.logy = 1;
        p.has_ref = 1;
        p.ref_y = R[zero].mean_curve[blocks - 1];
        p.ref_label = "predicting 0";
        errno = 0;
        if (plot_svg(o.svg, &p, ps, zero) != 0) cli_cannot_write(&progress, o.svg);
        if (!o.json) printf("\nfigure: %s\n", o.svg);
    }
    for (k = 0; k < TBPTT; ++k) {
        ccn_batch_destroy(B[k].b);
        free(B[k].run), free(B[k].seed), free(B[k].x), free(B[k].cumulant), free(B[k].gamma), free(B[k].y);
    }
    for (k = 0; k < n; ++k) {
        for (s = 0; s < o.seeds; ++s) tbptt_destroy(R[k].tb[s]);
        free(R[k].curve), free(R[k].mean_curve), free(R[k].acc), free(R[k].seconds), free(R[k].final), free(R[k].tb);
    }
    free(env), free(X), free(C), free(G), free(xs);
    return 0;
}
