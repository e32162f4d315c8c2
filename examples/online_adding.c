/* online_adding.c - the adding problem, run online: columns (ColoR) against a dense LSTM trained
   with truncated BPTT at the same cost per step, and against a net with no memory.

   The task (the "adding problem" of Hochreiter & Schmidhuber 1997, a standard memory test for
   recurrent nets ever since), as an endless stream cut into episodes of L steps (L = 20 by
   default), run back to back with no resets. Four input lines:
     value   v ~ U(0, 1) at every step
     marker  1 on two steps of each episode: one in its first half, one in its second half
             (never the last step)
     start   1 on the first step of an episode
     query   1 on the last step of an episode
   The target is the sum of the episode's two marked values on the query step, 0 on every other
   step; every learner learns from every step, and the error reported is the mean squared error
   on the query steps. Without memory the best prediction there is E[sum] = 1, an error of
   Var(sum) = 1/6.
   Why this task: the first marked value is needed 10 to 19 steps after it is seen (L = 20), and
   nothing rewards storing it until then. A gradient that reaches back T steps gives credit for
   storing it only when the query is at most T - 1 steps away; ColoR's reaches back without
   limit (exact within each column) but each column is a single LSTM unit.

   The learners, each on the same stream (seeded) and with the same optimiser (RMSProp, the
   2023 rule, step size 0.001: the best or near it for each of them over 3e-4 .. 3e-2):
     color-n      n LSTM columns, ColoR (exact per-column RTRL); ccn_learn_step
     tbptt-TT-HH  a dense LSTM of H units, truncated BPTT over T steps (examples/tbptt.h)
     memoryless-n the same columns with their recurrence removed (feedforward)
   Matched cost, in multiply-adds per step of the gradient computation (forward pass + gradient
   through time; the per-parameter learner and optimiser, a few per parameter, not counted):
     color  7 per column parameter (1 forward, 6 for the two traces), 4n(m+2) of them, + n
            readout: 2704 for 16 columns (m = 4)
     tbptt  the 2023 authors' model (1+T)(4H(H+m) + 4H + H), T chosen for each H to come nearest
            the columns' cost: 26:3 2673, 17:4 2664, 5:8 2544. This code does about 1.5-1.7x that
            (tbptt_macs, also printed), so the match favours T-BPTT if anything.
   The measured time per step is printed too.

   What it shows (defaults: 16 columns, 1e6 steps; error on the query steps of the last 20000):
                 color-16      tbptt-26:3     tbptt-17:4    tbptt-5:8     memoryless-16
     seed 1      0.00070       0.0023         0.0073        0.024         0.154
     seeds 1-6   0.0005-0.0012 0.0011-0.0030  0.006-0.018   0.010-0.044   0.154-0.173
   (color-16 stalls at 0.013 on seed 3 at this step size; 0.0021 with --step-size 0.0003.)
   The T-BPTT nets whose window is shorter than the memory the task needs stall 3-30x above the
   columns and above the T-BPTT net whose window covers an episode: the window, not the width,
   limits them (17:4 has more units than 26:3). With --columns 24 (seed 3): color 0.00066,
   tbptt-26:4 0.0012, tbptt-9:8 0.010.

   Output: progress (on a terminal only), the error of each learner as it finishes, a table, and
   an SVG figure of the error against steps; with --json, one result line per learner in the
   examples' format (cli.h), metric "query_mse": the mean squared error on the query steps of
   each block of --window steps.
   Build: cc -O2 -std=c99 online_adding.c -lm        Run: ./online_adding --help */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* isatty, for progress on a terminal only */
#endif
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "cli.h"
#include "plot.h"
#include "tbptt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the task ------------------------------------------------------------------------------ */
#define M 4 /* inputs: value, marker, start of an episode, query (its last step) */

typedef struct task {
    ccn_rng rng;
    int L, pos, mark1, mark2;
    double sum; /* the marked values so far in this episode */
} task;

static void task_init(task *k, int L, uint64_t seed) {
    ccn_rng_seed(&k->rng, seed);
    k->L = L;
    k->pos = 0;
    k->sum = 0;
}

/* Writes the next input (M values) and returns the target: the sum on the query step, else 0.
   *query tells whether this step is a query. */
static double task_step(task *k, ccn_real *x, int *query) {
    double v = ccn_rng_uniform(&k->rng);
    int half = k->L / 2, marked;
    if (k->pos == 0) { /* a new episode: where its two markers go */
        k->mark1 = (int)(ccn_rng_uniform(&k->rng) * half);
        k->mark2 = half + (int)(ccn_rng_uniform(&k->rng) * (k->L - 1 - half));
        k->sum = 0;
    }
    marked = k->pos == k->mark1 || k->pos == k->mark2;
    if (marked) k->sum += v;
    *query = k->pos == k->L - 1;
    x[0] = (ccn_real)v;
    x[1] = (ccn_real)marked;
    x[2] = (ccn_real)(k->pos == 0);
    x[3] = (ccn_real)*query;
    k->pos = (k->pos + 1) % k->L;
    return *query ? k->sum : 0.0;
}

/* ---- the learners -------------------------------------------------------------------------- */
enum { COLOR, TBPTT, MEMORYLESS };

typedef struct learner {
    int type, T, H;       /* T, H: tbptt only                                         */
    char name[32];
    ccn_net *net;
    tbptt_net *lstm;
    double cost;          /* multiply-adds per step (see the top)                     */
    double error, us;     /* final error (the last block), microseconds per step      */
    double *curve;        /* error over each block of `window` steps                  */
} learner;

static double color_cost(int n) { return 7.0 * 4.0 * n * (M + 2) + n; }
static double tbptt_unit_cost(int H) { return 4.0 * H * (H + M) + 4.0 * H + H; }

static int make_learner(learner *l, int type, int n, int T, int H, double alpha, uint64_t seed) {
    memset(l, 0, sizeof *l);
    l->type = type;
    if (type == TBPTT) {
        tbptt_config c;
        memset(&c, 0, sizeof c);
        c.n_inputs = M;
        c.n_hidden = H;
        c.window = T;
        c.optimizer = CCN_RMSPROP;
        c.step_size = alpha;
        c.seed = seed;
        l->T = T;
        l->H = H;
        l->cost = tbptt_cost(M, H, T);
        snprintf(l->name, sizeof l->name, "tbptt-T%d-H%d", T, H);
        return tbptt_create(&c, &l->lstm) == CCN_OK;
    } else {
        ccn_config c;
        memset(&c, 0, sizeof c);
        c.n_inputs = M;
        c.n_columns = n;
        c.kind = CCN_LSTM;
        c.method = CCN_COLOR;
        c.feedforward = type == MEMORYLESS;
        c.optimizer = CCN_RMSPROP;
        c.step_size = alpha;
        c.seed = seed;
        l->cost = color_cost(n);
        snprintf(l->name, sizeof l->name, type == COLOR ? "color-%d" : "memoryless-%d", n);
        return ccn_create(&c, NULL, &l->net) == CCN_OK;
    }
}

/* Runs one learner over the stream, learning at every step. Its error over each block of
   `window` steps is the mean squared error on the block's query steps (NaN if it has none). */
static void run(learner *l, double steps, double window, int L, uint64_t seed, cli *c) {
    task k;
    double t, sum = 0, start = cli_seconds();
    long queries = 0; /* query steps in the block */
    task_init(&k, L, seed);
    for (t = 0; t < steps; ++t) {
        ccn_real x[M], y;
        int query;
        ccn_real target = (ccn_real)task_step(&k, x, &query);
        if (l->type == TBPTT) {
            tbptt_step(l->lstm, x, &y);
            tbptt_learn(l->lstm, target);
        } else {
            ccn_learn_step(l->net, x, &target, &y);
        }
        if (query) {
            sum += ((double)y - (double)target) * ((double)y - (double)target);
            ++queries;
        }
        if (fmod(t + 1, window) == 0 || t + 1 == steps) { /* a block ends */
            l->curve[(size_t)(t / window)] = queries ? sum / (double)queries : (double)NAN;
            sum = 0;
            queries = 0;
        }
        if (fmod(t, 4096) == 0) cli_progress(c, "%-16s %5.1f%%", l->name, 100.0 * t / steps);
    }
    cli_progress_done(c);
    l->us = 1e6 * (cli_seconds() - start) / steps;
    l->error = l->curve[cli_blocks(steps, window) - 1];
}

static const char usage_text[] =
    "[options]\n"
    "The adding problem online: ColoR columns vs T-BPTT at matched cost vs no memory.\n"
    "  --steps N            steps of the stream (default 1e6)\n"
    "  --window N           the error is over the query steps of each block of N steps\n"
    "                       (default 20000)\n"
    "  --length L           episode length, >= 4 (default 20)\n"
    "  --columns N          LSTM columns of the ColoR and memoryless nets (default 16)\n"
    "  --units H,...        T-BPTT nets of H units, each with the window T that matches the\n"
    "                       columns' cost (default 3,4,8)\n"
    "  --step-size A        RMSProp step size of the columns (default 0.001)\n"
    "  --tbptt-step-size A  RMSProp step size of T-BPTT (default 0.001)\n"
    "  --seed S             task and initialisation seed (default 1)\n"
    "  --svg PATH           the figure (default online_adding.svg; \"\" for none)\n"
    "  --json               stdout: one JSON result line per learner\n";

#define MAX_UNITS 8

static void write_result(const learner *l, double steps, double window, int L, int columns, double step_size,
                         double tbptt_step_size, double seed) {
    static const char *const names[] = {"color", "tbptt", "memoryless"};
    cli_json j;
    cli_result_begin(&j, "online_adding", names[l->type], seed, steps);
    cli_json_real(&j, "step_size", step_size);
    cli_json_real(&j, "tbptt_step_size", tbptt_step_size);
    cli_json_int(&j, "window", window);
    cli_json_int(&j, "length", L);
    if (l->type == TBPTT) {
        char pair[32];
        snprintf(pair, sizeof pair, "%d:%d", l->T, l->H);
        cli_json_str(&j, "tbptt", pair);
    } else {
        cli_json_int(&j, "columns", columns);
    }
    cli_result_end(&j, "query_mse", window, l->curve, cli_blocks(steps, window), l->us);
    cli_json_int(&j, "cost", l->cost); /* multiply-adds per step, the 2023 model */
    cli_json_end(&j);
}

int main(int argc, char **argv) {
    double steps = 1e6, window = 20000, seed = 1, color_step = 0.001, tbptt_step_size = 0.001, *xs;
    int L = 20, columns = 16, units[MAX_UNITS] = {3, 4, 8}, n_units = 3, i, n, json = 0;
    size_t blocks, b;
    const char *svg = "online_adding.svg";
    learner ls[MAX_UNITS + 2];
    cli c;

    cli_init(&c, "online_adding", usage_text, argc, argv);
    while (cli_next(&c)) {
        if (cli_is(&c, "--steps")) steps = cli_count(&c, 1, CLI_MAX_COUNT);
        else if (cli_is(&c, "--window")) window = cli_count(&c, 1, CLI_MAX_COUNT);
        else if (cli_is(&c, "--length")) L = cli_int(&c, 4, 1000000);
        else if (cli_is(&c, "--columns")) columns = cli_int(&c, 1, 100000);
        else if (cli_is(&c, "--units")) n_units = cli_ints(&c, 1, 10000, units, MAX_UNITS);
        else if (cli_is(&c, "--step-size")) color_step = cli_real(&c, 0, 1);
        else if (cli_is(&c, "--tbptt-step-size")) tbptt_step_size = cli_real(&c, 0, 1);
        else if (cli_is(&c, "--seed")) seed = cli_count(&c, 0, CLI_MAX_COUNT);
        else if (cli_is(&c, "--svg")) svg = cli_value(&c);
        else if (cli_is(&c, "--json")) json = 1;
        else cli_unknown(&c);
    }
    cli_output(&c, svg);

    n = 0;
    if (!make_learner(&ls[n++], COLOR, columns, 0, 0, color_step, (uint64_t)seed)) return 1;
    for (i = 0; i < n_units; ++i) { /* the window whose cost is nearest the columns' */
        int T = (int)floor(color_cost(columns) / tbptt_unit_cost(units[i]) - 0.5);
        if (!make_learner(&ls[n++], TBPTT, 0, T > 1 ? T : 1, units[i], tbptt_step_size, (uint64_t)seed)) return 1;
    }
    if (!make_learner(&ls[n++], MEMORYLESS, columns, 0, 0, color_step, (uint64_t)seed)) return 1;
    blocks = cli_blocks(steps, window);
    xs = (double *)malloc(blocks * sizeof(double));
    for (i = 0; i < n; ++i) ls[i].curve = (double *)calloc(blocks, sizeof(double));
    for (i = 0; i < n; ++i)
        if (!xs || !ls[i].curve) {
            fprintf(stderr, "online_adding: out of memory (%zu blocks)\n", blocks);
            return 1;
        }
    for (b = 0; b < blocks; ++b) xs[b] = b + 1 < blocks ? (double)(b + 1) * window : steps;

    if (!json) {
        printf("online adding problem: episodes of %d steps, %.0f steps, seed %.0f; error = mean squared\n"
               "error on the query steps of each block of %.0f steps (no memory: 1/6 at best)\n",
               L, steps, seed, window);
        printf("cost per step, multiply-adds of the gradient computation (see the top of the file):\n");
        for (i = 0; i < n; ++i) {
            if (ls[i].type == TBPTT)
                printf("  %-16s %6.0f  (2023 model; this code %.0f)\n", ls[i].name, ls[i].cost,
                       tbptt_macs(M, ls[i].H, ls[i].T));
            else if (ls[i].type == COLOR)
                printf("  %-16s %6.0f\n", ls[i].name, ls[i].cost);
        }
    }
    for (i = 0; i < n; ++i) {
        run(&ls[i], steps, window, L, (uint64_t)seed, &c);
        if (json) write_result(&ls[i], steps, window, L, columns, color_step, tbptt_step_size, seed);
        else printf("  %-16s error %.5f\n", ls[i].name, ls[i].error);
    }
    if (!json) {
        printf("\nfinal error (query steps of the last block of %.0f steps):\n", window);
        for (i = 0; i < n; ++i) printf("  %-16s %.6g   %.3f us/step\n", ls[i].name, ls[i].error, ls[i].us);
    }

    if (*svg) {
        plot p;
        plot_series s[MAX_UNITS + 2];
        char title[96], ref[96];
        memset(&p, 0, sizeof p);
        snprintf(title, sizeof title, "Online adding problem (L = %d), matched cost per step", L);
        p.title = title;
        p.xlabel = "steps";
        p.ylabel = "mean squared error on query steps";
        p.logx = p.logy = 1;
        p.has_ref = 1; /* the learner without memory: a line at its final error */
        p.ref_y = ls[n - 1].error;
        snprintf(ref, sizeof ref, "%s: %.3f (best possible 1/6)", ls[n - 1].name, ls[n - 1].error);
        p.ref_label = ref;
        for (i = 0; i < n - 1; ++i) {
            s[i].name = ls[i].name;
            s[i].x = xs;
            s[i].y = ls[i].curve;
            s[i].err = NULL;
            s[i].n = (int)blocks;
        }
        errno = 0;
        if (plot_svg(svg, &p, s, n - 1) != 0) cli_cannot_write(&c, svg);
        if (!json) printf("figure: %s\n", svg);
    }
    for (i = 0; i < n; ++i) {
        free(ls[i].curve);
        ccn_destroy(ls[i].net);
        tbptt_destroy(ls[i].lstm);
    }
    free(xs);
    return 0;
}
