/* The C side of bench/python_bench.py: the per-step loop over pre-generated arrays, timed, for
   the Python sequence calls to be compared with. Built by the script with the flags of the
   Python binding's library (ccn.py's build_flags), so both run the same compiled ccn.h.
     usage: python_baseline CASE STEPS REPEATS
   CASE: tp-columnar, tp-ccn, tp-constructive (examples/trace_env.h, seed 1: the nets of
   examples/trace_patterning.c, TD through ccn_td_step), tanh-sgd-100x128 (ccn_learn_step, x and
   the target 2u - 1 from ccn_rng seed 1), lstm-td-100x128 (ccn_td_step on those x, cumulant
   the target's sign, gamma 0.9). Prints the fastest repeat in microseconds per step, each on a
   fresh net. */
#define _POSIX_C_SOURCE 200809L
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "../examples/trace_env.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    ccn_config c;
    long steps, t, k, repeats, r;
    int m, tp = 0, td = 1, F = 0, d = 0;
    ccn_real *x, *target, *cum;
    double best = 1e300;
    if (argc != 4) return 2;
    steps = atol(argv[2]);
    repeats = atol(argv[3]);
    memset(&c, 0, sizeof c);
    if (!strcmp(argv[1], "tp-columnar")) tp = 1, F = 7, d = 7;
    else if (!strcmp(argv[1], "tp-ccn")) tp = 1, F = 20, d = 4;
    else if (!strcmp(argv[1], "tp-constructive")) tp = 1, F = 10, d = 1;
    else if (!strcmp(argv[1], "tanh-sgd-100x128")) td = 0;
    else if (strcmp(argv[1], "lstm-td-100x128")) return 2;
    if (tp) {
        int stages = (F + d - 1) / d;
        int64_t per_stage = stages > 1 ? (int64_t)((double)steps / stages) : 0;
        trace_ccn_config(&c, F, d, stages > 1 && per_stage == 0 ? 1 : per_stage, 0.001, 1);
        c.init_scale = 0.1;
    } else {
        c.n_inputs = 128, c.n_columns = 100, c.step_size = 0.001, c.seed = 1;
        c.kind = td ? CCN_LSTM : CCN_TANH;
        if (td) c.learner = CCN_TD, c.td_lambda = 0.9;
    }
    m = c.n_inputs;
    x = (ccn_real *)malloc((size_t)(steps * m) * sizeof(ccn_real));
    target = (ccn_real *)malloc((size_t)steps * sizeof(ccn_real));
    cum = (ccn_real *)malloc((size_t)steps * sizeof(ccn_real));
    if (!x || !target || !cum) return 1;
    if (tp) {
        trace_env env;
        trace_init(&env, 1, 14, 26);
        for (t = 0; t < steps; ++t) cum[t] = trace_step(&env, x + t * m);
    } else {
        ccn_rng rng;
        ccn_rng_seed(&rng, 1);
        for (k = 0; k < steps * m; ++k) x[k] = (ccn_real)(2.0 * ccn_rng_uniform(&rng) - 1.0);
        for (t = 0; t < steps; ++t) target[t] = (ccn_real)(2.0 * ccn_rng_uniform(&rng) - 1.0);
        for (t = 0; t < steps; ++t) cum[t] = target[t] > 0;
    }
    for (r = 0; r < repeats; ++r) {
        ccn_net *net;
        double t0;
        ccn_real y;
        if (ccn_create(&c, NULL, &net) != CCN_OK) return 1;
        t0 = now();
        for (t = 0; t < steps; ++t)
            if (td) ccn_td_step(net, x + t * m, cum[t], CCN_R(0.9), &y);
            else ccn_learn_step(net, x + t * m, target + t, &y);
        t0 = now() - t0;
        if (t0 < best) best = t0;
        ccn_destroy(net);
    }
    printf("%.4f\n", best / (double)steps * 1e6);
    return 0;
}
