/* The bench's small trace-patterning nets (bench.c's trace_* cases) stepped alone, for
   instruction counts under callgrind and for perf: builds the net of F columns, d a stage, at
   its last stage as bench.c does, steps it on the task's own stream with ccn_td_step, and
   prints the sum of its parameters and its last prediction (the same bits, the same line).
     usage: small_nets F d steps      e.g. small_nets 7 7 20000 (columnar 7:7),
                                      20 4 (CCN 20:4), 10 1 (constructive 10:1)
   Per step: (the count at N steps - the count at 0 steps) / N (bench/README.md). */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "../examples/trace_env.h"

#include <stdio.h>
#include <stdlib.h>

#define POOL 4096

int main(int argc, char **argv) {
    int F, d, i, stages;
    long steps, t;
    ccn_config cfg;
    ccn_net *net;
    trace_env env;
    ccn_real *x, *cumulant, y = 0;
    double sum = 0;
    if (argc != 4 || (F = atoi(argv[1])) < 1 || (d = atoi(argv[2])) < 1 || (steps = atol(argv[3])) < 0) {
        fprintf(stderr, "usage: %s F d steps\n", argv[0]);
        return 2;
    }
    stages = (F + d - 1) / d;
    trace_ccn_config(&cfg, F, d, 0, 0.001, 1);
    cfg.init_scale = 0.1;
    if (ccn_create(&cfg, NULL, &net) != CCN_OK) return 1;
    for (i = 1; i < stages; ++i) ccn_next_stage(net);
    x = (ccn_real *)malloc(sizeof(ccn_real) * POOL * TRACE_INPUTS);
    cumulant = (ccn_real *)malloc(sizeof(ccn_real) * POOL);
    if (!x || !cumulant) return 1;
    trace_init(&env, 1, 14, 26);
    for (i = 0; i < POOL; ++i) cumulant[i] = trace_step(&env, x + (size_t)i * TRACE_INPUTS);
    for (t = 0; t < steps; ++t)
        ccn_td_step(net, x + (size_t)(t % POOL) * TRACE_INPUTS, cumulant[t % POOL], CCN_R(TRACE_GAMMA), &y);
    for (i = 0; i < (int)ccn_param_count(net); ++i) sum += (double)ccn_params(net)[i];
    printf("%.17g %.9g\n", sum, (double)y);
    (void)trace_return; /* trace_env.h's metric: only the learner is stepped here */
    ccn_destroy(net);
    free(x);
    free(cumulant);
    return 0;
}
