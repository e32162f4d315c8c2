/* online_regression.c - a columnar net learns, online, a signal that needs memory.

   The task ("remember the last cue"): a cue flashes for one step on one of two input lines
   (+ or -), on average every 13 steps and never less than 8 apart; a third line is noise.
   The target is +1 or -1: the sign of the most recent cue, seen 0 to ~30 steps ago (5 or more
   steps ago on 60% of the steps). Seeing only the current input, the best predictor outputs
   the cue on a cue step and 0 otherwise: a mean squared error of about 0.92 (printed as the
   memoryless baseline). A net that remembers can reach ~0.

   The net learns with ColoR and plain SGD, one step at a time, and prints its error (mean over
   the last `--window` steps) as it goes, then one line: final_error=<value>.

   Build: cc -O2 -I.. online_regression.c -lm      Run: ./online_regression --help */
#define CCN_IMPLEMENTATION
#include "../ccn.h"

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

static int usage(const char *prog, FILE *out) {
    fprintf(out,
            "usage: %s [--steps N] [--columns N] [--kind tanh|gated|lstm] [--step-size A]\n"
            "          [--window N] [--seed S]\n"
            "Online regression on a task that needs memory; prints the error as it learns and\n"
            "finally final_error=<mean squared error over the last window>.\n"
            "defaults: --steps 200000 --columns 8 --kind gated --step-size 0.01 --window 10000 --seed 1\n",
            prog);
    return out == stderr ? 2 : 0;
}

int main(int argc, char **argv) {
    long steps = 200000, window = 10000, t;
    int columns = 8, kind = CCN_GATED, i;
    double alpha = 0.01, err_sum = 0, base_sum = 0, final_error = 0;
    unsigned long long seed = 1;
    double *errs, *base;
    ccn_config cfg;
    ccn_net *net;
    ccn_result r;
    task env;

    for (i = 1; i < argc; i += 2) { /* --flag value pairs */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(argv[0], stdout);
        if (!v) return usage(argv[0], stderr);
        if (!strcmp(a, "--steps")) steps = strtol(v, &end, 10);
        else if (!strcmp(a, "--columns")) columns = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--window")) window = strtol(v, &end, 10);
        else if (!strcmp(a, "--step-size")) alpha = strtod(v, &end);
        else if (!strcmp(a, "--seed")) seed = strtoull(v, &end, 10);
        else if (!strcmp(a, "--kind")) {
            kind = !strcmp(v, "tanh") ? CCN_TANH : !strcmp(v, "gated") ? CCN_GATED : !strcmp(v, "lstm") ? CCN_LSTM : 0;
            end = kind ? (char *)v + strlen(v) : (char *)v;
        } else return usage(argv[0], stderr);
        if (!end || *end || end == v) return usage(argv[0], stderr);
    }
    if (steps <= 0 || window <= 0 || columns <= 0 || !(alpha > 0)) return usage(argv[0], stderr);

    memset(&cfg, 0, sizeof cfg);
    cfg.n_inputs = 3;
    cfg.n_outputs = 1;
    cfg.n_columns = columns;
    cfg.kind = kind;
    cfg.method = CCN_COLOR;
    cfg.step_size = alpha;
    cfg.seed = seed;
    if ((r = ccn_create(&cfg, NULL, &net)) != CCN_OK) {
        fprintf(stderr, "ccn_create: %s\n", ccn_result_string(r));
        return 1;
    }
    errs = (double *)calloc((size_t)window, sizeof(double));
    base = (double *)calloc((size_t)window, sizeof(double));
    if (!errs || !base) return 1;
    ccn_rng_seed(&env.rng, seed ^ 0x5EEDull);
    env.wait = 0;
    env.memory = 0;

    for (t = 0; t < steps; ++t) {
        ccn_real x[3], y, target = (ccn_real)task_step(&env, x);
        double e, b = x[0] != 0 || x[1] != 0 ? 0.0 : (double)(target * target); /* memoryless */
        ccn_learn_step(net, x, &target, &y); /* ccn_step then ccn_learn, in one sweep */
        e = ((double)y - (double)target) * ((double)y - (double)target);
        err_sum += e - errs[t % window];
        base_sum += b - base[t % window];
        errs[t % window] = e;
        base[t % window] = b;
        if ((t + 1) % (steps / 10 > 0 ? steps / 10 : 1) == 0) {
            double count = (double)(t + 1 < window ? t + 1 : window);
            printf("step %8ld  mean squared error (last %ld steps) %.5f   memoryless baseline %.3f\n",
                   t + 1, window, err_sum / count, base_sum / count);
        }
    }
    final_error = err_sum / (double)(steps < window ? steps : window);
    printf("final_error=%.6g\n", final_error);
    free(errs);
    free(base);
    ccn_destroy(net);
    return 0;
}
