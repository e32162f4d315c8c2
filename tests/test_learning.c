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
           tu_kind_name(kind), method == CCN_RTRL ? "rtrl" : "color",
           err / (double)counted, base / (double)counted, counted);
    CHECK(counted > 4000);
    CHECK_LE(err, 0.1 * base);
    ccn_destroy(net);
}

static void test_learns_a_memory_task(void) {
    tl_learn(CCN_GATED, CCN_COLOR, 30000, 0.01);
    tl_learn(CCN_LSTM, CCN_COLOR, 30000, 0.01);
    tl_learn(CCN_TANH, CCN_COLOR, 30000, 0.01);
    tl_learn(CCN_GRU, CCN_COLOR, 30000, 0.01);
    tl_learn(CCN_GATED, CCN_RTRL, 30000, 0.01);
}

/* Two nets hold the same bits when their saved files do (parameters, traces, eligibility,
   optimiser moments, statistics, state, counters: everything a step can change). */
static int tl_same_bits(const ccn_net *a, const ccn_net *b) {
    size_t sa = ccn_saved_size(a), sb = ccn_saved_size(b), wa = 0, wb = 0;
    unsigned char *fa = (unsigned char *)malloc(sa), *fb = (unsigned char *)malloc(sb);
    int same = fa && fb && sa == sb && ccn_save_to_memory(a, fa, sa, &wa) == CCN_OK &&
               ccn_save_to_memory(b, fb, sb, &wb) == CCN_OK && wa == wb && memcmp(fa, fb, sa) == 0;
    free(fa);
    free(fb);
    return same;
}

/* A net that continues from its own saved bytes (a reload in the middle of a run). */
static ccn_net *tl_reloaded(ccn_net *net) {
    size_t size = ccn_saved_size(net), w = 0;
    unsigned char *f = (unsigned char *)malloc(size);
    ccn_net *copy = NULL;
    if (f && ccn_save_to_memory(net, f, size, &w) == CCN_OK) ccn_load_from_memory(f, w, NULL, &copy);
    free(f);
    ccn_destroy(net);
    return copy;
}

/* ccn_learn_step (one sweep: the update rides on the trace pass) gives the bits of ccn_step then
   ccn_learn, for every kind, feature depth and optimiser, in four set-ups: plain; links through
   a parallel-for; stages of 50 columns (two tasks each) with both normalisers and a scaled
   readout step through a parallel-for; a feedforward TD-learner net with refuse_nonfinite
   (where it is the two calls), reloaded from its own file mid-run, whose output is then made
   NaN. A NaN target is refused after the step as ccn_learn refuses it. The plain set-up has 10
   inputs, so that its z (12 long) takes the eight-column paths of AVX builds. */
static void test_learn_step_is_step_then_learn(void) {
    int ki, layers, opt, variant, combos = 0, total = 0;
    tu_runner runner = {3, 0, 0};
    TU_FOR_KINDS(ki)
        for (layers = 0; layers <= 2; ++layers)
            for (opt = CCN_SGD; opt <= CCN_ADAM; ++opt)
                for (variant = 0; variant < 4; ++variant) {
                    int o = variant == 3 ? 1 : 2; /* TD: one output */
                    int m = variant == 0 ? 10 : 4; /* 10: z 12 long, where AVX builds go eight columns at once */
                    ccn_config c = tu_config(tu_kind(ki), CCN_COLOR, layers, variant == 1 ? 2.0 : 0.0, variant == 2 ? 100 : 40, m, o);
                    ccn_net *a, *b;
                    int t, same_y = 1, ok = 1, same, bits;
                    c.optimizer = opt;
                    c.step_size = 0.01;
                    c.n_workers = runner.workers;
                    if (variant == 2) {
                        c.columns_per_stage = 50;
                        c.steps_per_stage = 20;
                        c.input_norm_rate = 0.99;
                        c.feature_norm_rate = 0.99;
                        c.scale_readout_step = 1;
                    }
                    if (variant == 3) {
                        c.feedforward = 1;
                        c.learner = CCN_TD;
                        c.td_lambda = 0.9;
                        c.refuse_nonfinite = 1;
                    }
                    a = tu_create(&c);
                    b = tu_create(&c);
                    if (variant == 1 || variant == 2) ccn_set_parallel(b, tu_backwards, &runner);
                    for (t = 0; t < 50; ++t) {
                        ccn_real x[10], target[2], ya[2], yb[2];
                        ccn_result ra, rb;
                        int j;
                        for (j = 0; j < m; ++j) x[j] = (ccn_real)((t * 7 + j * 3) % 5) * CCN_R(0.3) - CCN_R(0.5);
                        target[0] = t == 33 ? (ccn_real)NAN : (ccn_real)(t % 3) - 1;
                        target[1] = CCN_R(0.5);
                        if (variant == 3 && t == 25) b = tl_reloaded(b);
                        if (variant == 3 && t == 45) /* a diverged readout: every output NaN from here */
                            ccn_params(a)[ccn_readout_offset(a)] = ccn_params(b)[ccn_readout_offset(b)] = (ccn_real)NAN;
                        if (!b) break;
                        ccn_step(a, x, ya);
                        ra = ccn_learn(a, target);
                        rb = ccn_learn_step(b, x, target, yb);
                        ok &= ra == rb && (t == 33 || (variant == 3 && t >= 45) ? rb == CCN_ERR_NOT_FINITE : rb == CCN_OK);
                        same_y &= memcmp(ya, yb, (size_t)o * sizeof(ccn_real)) == 0 || (t >= 45 && ya[0] != ya[0] && yb[0] != yb[0]);
                    }
                    bits = b && same_y && tl_same_bits(a, b);
                    /* excess precision: the two paths round at different places */
                    same = b && ok && (bits || TU_EXCESS_PRECISION);
                    CHECK(same);
                    if (variant == 2) CHECK(ccn_stage(b) == 1);
                    combos += bits;
                    ++total;
                    ccn_destroy(a);
                    ccn_destroy(b);
                }
    CHECK(runner.tasks > runner.calls); /* the parallel-for did split the work */
    printf("    %d of %d configurations: the same outputs and the same saved bytes\n", combos, total);
    if (TU_EXCESS_PRECISION)
        printf("    excess precision (FLT_EVAL_METHOD %d): the bits were not compared\n", (int)FLT_EVAL_METHOD);
    {
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 3, 2, 1);
        ccn_net *net = tu_create(&c);
        ccn_real x[2] = {0, 0}, target = 0;
        CHECK(ccn_learn_step(NULL, x, &target, NULL) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_learn_step(net, NULL, &target, NULL) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_learn_step(net, x, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
        x[1] = (ccn_real)INFINITY;
        CHECK(ccn_learn_step(net, x, &target, NULL) == CCN_ERR_NOT_FINITE && ccn_step_count(net) == 0);
        ccn_destroy(net);
    }
}
