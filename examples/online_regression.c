/* online_regression.c - a columnar net learns, online, a signal that needs memory.

   The task ("remember the last cue"): a cue flashes for one step on one of two input lines
   (+ or -), on average every 13 steps and never less than 8 apart; a third line is noise.
   The target is +1 or -1: the sign of the most recent cue, seen 0 to ~30 steps ago (5 or more
   steps ago on 60% of the steps). Seeing only the current input, the best predictor outputs
   the cue on a cue step and 0 otherwise: a mean squared error of about 0.92 (printed as the
   memoryless baseline). A net that remembers can reach ~0.

   The net learns with ColoR and plain SGD, one step at a time. Its error is the mean squared
   error over consecutive blocks of --window steps (metric "mse"; the memoryless baseline over
   the same blocks is printed beside it, and drawn in the figure). It prints the error about ten
   times as it goes and the final error, or with --json one result line in the examples' format
   (cli.h), and writes the learning curve as an SVG.

   Build: cc -O2 -std=c99 online_regression.c -lm      Run: ./online_regression --help */
#define _POSIX_C_SOURCE 200809L /* isatty */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "cli.h"
#include "plot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct task {
    ccn_rng rng;
    int wait;        /* steps until the next cue may flash */
    double memory;   /* sign of the last cue: the target  */
} task;

/* Writes the next input (3 values) and returns the target. */
static double task_step(task *t, ccn_real *x) {
    x[0] = x[1] = 0;
    x[2] = (ccn_real)(ccn_rng_uniform(&t->rng) - 0.5);
    if (--t->wait <= 0 && ccn_rng_uniform(&t->rng) < 0.2) {
        int positive = ccn_rng_uniform(&t->rng) < 0.5;
        x[positive ? 0 : 1] = 1;
        t->memory = positive ? 1.0 : -1.0;
        t->wait = 8;
    }
    return t->memory;
}

static const char usage_text[] =
    "[options]\n"
    "Online regression on a task that needs memory: a columnar net (ColoR, SGD) learns it step by\n"
    "step; prints its mean squared error as it learns, and writes the learning curve as an SVG.\n"
    "  --steps N          steps (default 200000)\n"
    "  --window N         the error's block of steps (default 10000)\n"
    "  --columns N        columns (default 8)\n"
    "  --kind K           tanh, gated or lstm (default gated)\n"
    "  --step-size A      SGD step size (default 0.01)\n"
    "  --seed S           task and initialisation seed (default 1)\n"
    "  --svg PATH         the figure (default online_regression.svg; \"\" for none)\n"
    "  --json             stdout: one JSON result line\n";

int main(int argc, char **argv) {
    static const char *const kinds[] = {"tanh", "gated", "lstm", NULL};
    static const int kind_of[] = {CCN_TANH, CCN_GATED, CCN_LSTM};
    double steps = 200000, window = 10000, t, alpha = 0.01, err_acc = 0, base_acc = 0, seconds;
    int columns = 8, kind = 1, json = 0;
    double seed = 1;
    const char *svg = "online_regression.svg";
    size_t blocks, nb;
    double *curve, *base, *xs;
    ccn_config cfg;
    ccn_net *net;
    ccn_result r;
    task env;
    cli c;

    cli_init(&c, "online_regression", usage_text, argc, argv);
    while (cli_next(&c)) {
        if (cli_is(&c, "--steps")) steps = cli_count(&c, 1, CLI_MAX_COUNT);
        else if (cli_is(&c, "--window")) window = cli_count(&c, 1, CLI_MAX_COUNT);
        else if (cli_is(&c, "--columns")) columns = cli_int(&c, 1, 100000);
        else if (cli_is(&c, "--kind")) kind = cli_choice(&c, kinds);
        else if (cli_is(&c, "--step-size")) alpha = cli_real(&c, 1e-30, 1e30);
        else if (cli_is(&c, "--seed")) seed = cli_count(&c, 0, CLI_MAX_COUNT);
        else if (cli_is(&c, "--svg")) svg = cli_value(&c);
        else if (cli_is(&c, "--json")) json = 1;
        else cli_unknown(&c);
    }
    cli_output(&c, svg);

    memset(&cfg, 0, sizeof cfg);
    cfg.n_inputs = 3;
    cfg.n_outputs = 1;
    cfg.n_columns = columns;
    cfg.kind = kind_of[kind];
    cfg.method = CCN_COLOR;
    cfg.step_size = alpha;
    cfg.seed = (uint64_t)seed;
    if ((r = ccn_create(&cfg, NULL, &net)) != CCN_OK) {
        fprintf(stderr, "online_regression: ccn_create: %s\n", ccn_result_string(r));
        return 1;
    }
    blocks = cli_blocks(steps, window);
    curve = (double *)calloc(blocks, sizeof(double));
    base = (double *)calloc(blocks, sizeof(double));
    xs = (double *)calloc(blocks, sizeof(double));
    if (!curve || !base || !xs) {
        fprintf(stderr, "online_regression: out of memory (%zu blocks)\n", blocks);
        return 1;
    }
    ccn_rng_seed(&env.rng, (uint64_t)seed ^ 0x5EEDull);
    env.wait = 0;
    env.memory = 0;
    if (!json)
        printf("online regression: %d %s columns, ColoR + SGD (step size %g), %.0f steps, seed %.0f;\n"
               "mean squared error over blocks of %.0f steps\n",
               columns, kinds[kind], alpha, steps, seed, window);

    seconds = cli_seconds();
    for (t = 0; t < steps; ++t) {
        ccn_real x[3], y, target = (ccn_real)task_step(&env, x);
        double e, b = x[0] != 0 || x[1] != 0 ? 0.0 : (double)(target * target); /* memoryless */
        ccn_learn_step(net, x, &target, &y); /* ccn_step then ccn_learn, in one sweep */
        e = ((double)y - (double)target) * ((double)y - (double)target);
        err_acc += e;
        base_acc += b;
        if (fmod(t + 1, window) == 0 || t + 1 == steps) { /* a block ends */
            double start = floor(t / window) * window;
            nb = (size_t)(t / window);
            curve[nb] = err_acc / (t + 1 - start);
            base[nb] = base_acc / (t + 1 - start);
            xs[nb] = t + 1;
            err_acc = base_acc = 0;
            if (!json && ((nb + 1) % (blocks / 10 > 0 ? blocks / 10 : 1) == 0 || nb + 1 == blocks))
                printf("step %10.0f  mean squared error %.5f   memoryless baseline %.3f\n", t + 1, curve[nb], base[nb]);
        }
        if (fmod(t, 4096) == 0) cli_progress(&c, "%5.1f%%", 100.0 * t / steps);
    }
    cli_progress_done(&c);
    seconds = cli_seconds() - seconds;
    if (json) {
        cli_json j;
        cli_result_begin(&j, "online_regression", "color", seed, steps);
        cli_json_real(&j, "step_size", alpha);
        cli_json_int(&j, "window", window);
        cli_json_int(&j, "columns", columns);
        cli_json_str(&j, "kind", kinds[kind]);
        cli_result_end(&j, "mse", window, curve, blocks, seconds / steps * 1e6);
        cli_json_real(&j, "memoryless", base[blocks - 1]); /* the best error without memory */
        cli_json_end(&j);
    } else {
        printf("final mean squared error %.6g (the last block; memoryless baseline %.3f)\n", curve[blocks - 1],
               base[blocks - 1]);
    }
    if (*svg) {
        plot p;
        plot_series ps;
        memset(&p, 0, sizeof p);
        p.title = "Online regression: remember the last cue";
        p.xlabel = "steps";
        p.ylabel = "mean squared error over the block";
        p.logx = p.logy = 1;
        p.has_ref = 1;
        p.ref_y = base[blocks - 1];
        p.ref_label = "best without memory";
        ps.name = "color";
        ps.x = xs;
        ps.y = curve;
        ps.err = NULL;
        ps.n = (int)blocks;
        errno = 0;
        if (plot_svg(svg, &p, &ps, 1) != 0) cli_cannot_write(&c, svg);
        if (!json) printf("figure: %s\n", svg);
    }
    free(curve);
    free(base);
    free(xs);
    ccn_destroy(net);
    return 0;
}
