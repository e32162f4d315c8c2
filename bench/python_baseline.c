/* The C side of bench/python_bench.py: the per-step loop over pre-generated arrays, timed, for
   the Python sequence calls to be compared with. Built by the script with the flags of the
   Python binding's library (ccn.py's build_flags), so both run the same compiled ccn.h.
     usage: python_baseline CASE STEPS REPEATS
   CASE: tp-columnar, tp-ccn, tp-constructive (examples/trace_env.h, seed 1: the nets of
   examples/trace_patterning.c, TD through ccn_td_step), tanh-sgd-100x128 (ccn_learn_step, x and
   the target 2u - 1 from ccn_rng seed 1), lstm-td-100x128 (ccn_td_step on those x, cumulant
   the target's sign, gamma 0.9). Prints the fastest repeat in microseconds per step, each on a
   fresh net. tp-batch16: 16 columnar 7:7 nets (seeds 1..16, step sizes 1e-4 (1 + i % 4), net i on
   the stream of seed 1 + i: bench.c's S3 nets) for STEPS rounds, stepped one after another with
   ccn_td_step and as one ccn_batch_td_step call a round, each repeat on fresh nets; prints both,
   alone first, in microseconds per learner-step (a round's time / 16). */
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

static int batch16(long rounds, long repeats) {
    enum { B = 16 };
    ccn_config cfg[B];
    ccn_real *x, *cum, gam[B], y[B];
    double best[2] = {1e300, 1e300}, t0;
    long t, r;
    int i, alone;
    for (i = 0; i < B; ++i) {
        trace_ccn_config(&cfg[i], 7, 7, 0, 1e-4 * (1 + i % 4), (uint64_t)(1 + i));
        cfg[i].init_scale = 0.1;
        gam[i] = CCN_R(0.9);
    }
    x = (ccn_real *)malloc((size_t)rounds * B * TRACE_INPUTS * sizeof(ccn_real));
    cum = (ccn_real *)malloc((size_t)rounds * B * sizeof(ccn_real));
    if (!x || !cum) return 1;
    for (i = 0; i < B; ++i) {
        trace_env env;
        trace_init(&env, (uint64_t)(1 + i), 14, 26);
        for (t = 0; t < rounds; ++t) cum[t * B + i] = trace_step(&env, x + (size_t)(t * B + i) * TRACE_INPUTS);
    }
    for (r = 0; r < repeats; ++r)
        for (alone = 1; alone >= 0; --alone) {
            ccn_batch *b;
            if (ccn_batch_create(cfg, B, NULL, &b) != CCN_OK) return 1;
            t0 = now();
            for (t = 0; t < rounds; ++t)
                if (alone)
                    for (i = 0; i < B; ++i)
                        ccn_td_step(ccn_batch_net(b, i), x + (size_t)(t * B + i) * TRACE_INPUTS, cum[t * B + i], gam[i],
                                    &y[i]);
                else
                    ccn_batch_td_step(b, x + (size_t)t * B * TRACE_INPUTS, cum + (size_t)t * B, gam, y);
            t0 = now() - t0;
            if (t0 < best[alone]) best[alone] = t0;
            ccn_batch_destroy(b);
        }
    printf("%.4f %.4f\n", best[1] / (double)rounds / B * 1e6, best[0] / (double)rounds / B * 1e6);
    free(x);
    free(cum);
    return 0;
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
    if (!strcmp(argv[1], "tp-batch16")) return batch16(steps, repeats);
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
