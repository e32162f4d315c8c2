/* Learning works: online, with ColoR (and exact RTRL) and SGD, a columnar net learns a task that
   needs memory. A cue flashes (+ or - line) at least 8 steps apart; the target is the sign of
   the last cue. The error is measured only on steps whose cue was seen 5 or more steps earlier:
   there the current input says nothing about the target (+1 or -1, equally likely), so the best
   memoryless predictor is 0 with error mean(target^2) = 1. The net must get 10x below it. */
#include "util.h"

typedef struct tl_task {
    ccn_rng rng;
    int wait, since;
    ccn_real memory;
} tl_task;

static ccn_real tl_next(tl_task *t, ccn_real *x) {
    x[0] = x[1] = 0;
    x[2] = (ccn_real)(ccn_rng_uniform(&t->rng) - 0.5);
    ++t->since;
    if (--t->wait <= 0 && ccn_rng_uniform(&t->rng) < 0.2) {
        int positive = ccn_rng_uniform(&t->rng) < 0.5;
        x[positive ? 0 : 1] = 1;
        t->memory = positive ? CCN_R(1) : CCN_R(-1);
        t->wait = 8;
        t->since = 0;
    }
    return t->memory;
}

static void tl_learn(int kind, int method, long steps, double alpha) {
    ccn_config c = tu_config(kind, method, 0, 0.0, 8, 3, 1);
    ccn_net *net;
    tl_task env;
    double err = 0, base = 0;
    long t, counted = 0;
    c.step_size = alpha;
    net = tu_create(&c);
    ccn_rng_seed(&env.rng, 77);
    env.wait = 0;
    env.since = 0;
    env.memory = 0;
    for (t = 0; t < steps; ++t) {
        ccn_real x[3], y, target = tl_next(&env, x);
        ccn_step(net, x, &y);
        CHECK(ccn_learn(net, &target) == CCN_OK);
        if (t >= steps - 10000 && env.since >= 5) {
            err += (double)((y - target) * (y - target));
            base += (double)(target * target);
            ++counted;
        }
    }
    printf("    %s %s: error %.5f, memoryless %.3f, over %ld steps seen 5+ steps after their cue\n",
           kind == CCN_TANH ? "tanh" : kind == CCN_GATED ? "gated" : "lstm", method == CCN_RTRL ? "rtrl" : "color",
           err / (double)counted, base / (double)counted, counted);
    CHECK(counted > 4000);
    CHECK_LE(err, 0.1 * base);
    ccn_destroy(net);
}

static void test_learns_a_memory_task(void) {
    tl_learn(CCN_GATED, CCN_COLOR, 30000, 0.01);
    tl_learn(CCN_LSTM, CCN_COLOR, 30000, 0.01);
    tl_learn(CCN_TANH, CCN_COLOR, 30000, 0.01);
    tl_learn(CCN_GATED, CCN_RTRL, 30000, 0.01);
}
