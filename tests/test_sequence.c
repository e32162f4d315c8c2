/* The sequence calls (ccn_steps, ccn_learn_steps, ccn_td_steps) against the per-step calls:
   the same outputs and the same saved bytes, for every kind, both gradient methods, every
   optimiser, both learners, stages that change inside a sequence, the bounds, and a
   parallel-for; and the stop at the first failing step, which leaves the net that ran the
   steps before it. */
#include "util.h"

/* 1 when a and b save to the same bytes (everything a net keeps between calls) */
static int tq_same_bits(const ccn_net *a, const ccn_net *b) {
    size_t sa = ccn_saved_size(a), sb = ccn_saved_size(b), wa = 0, wb = 0;
    unsigned char *fa = (unsigned char *)malloc(sa ? sa : 1), *fb = (unsigned char *)malloc(sb ? sb : 1);
    int same = fa && fb && sa == sb && ccn_save_to_memory(a, fa, sa, &wa) == CCN_OK &&
               ccn_save_to_memory(b, fb, sb, &wb) == CCN_OK && wa == wb && memcmp(fa, fb, sa) == 0;
    free(fa);
    free(fb);
    return same;
}

/* T steps of inputs in [-1, 1] (a tenth of them 0: sparse rows), targets, cumulants, gammas */
typedef struct tq_data {
    ccn_real *x, *target, *cumulant, *gamma;
} tq_data;
static tq_data tq_make(size_t T, int m, int o, uint64_t seed) {
    tq_data d;
    ccn_rng rng;
    size_t k;
    d.x = tu_reals(T * (size_t)m);
    d.target = tu_reals(T * (size_t)o);
    d.cumulant = tu_reals(T);
    d.gamma = tu_reals(T);
    ccn_rng_seed(&rng, seed);
    for (k = 0; k < T * (size_t)m; ++k) d.x[k] = ccn_rng_uniform(&rng) < 0.1 ? 0 : (ccn_real)(2.0 * ccn_rng_uniform(&rng) - 1.0);
    for (k = 0; k < T * (size_t)o; ++k) d.target[k] = (ccn_real)(2.0 * ccn_rng_uniform(&rng) - 1.0);
    for (k = 0; k < T; ++k) {
        d.cumulant[k] = (ccn_real)(ccn_rng_uniform(&rng) < 0.2);
        d.gamma[k] = k % 17 == 16 ? 0 : CCN_R(0.9); /* an episode boundary now and then */
    }
    return d;
}
static void tq_free(tq_data *d) {
    free(d->x);
    free(d->target);
    free(d->cumulant);
    free(d->gamma);
}

enum { TQ_FORWARD, TQ_SUPERVISED, TQ_TD };

/* Runs T steps on a with the per-step call and on b with the sequence call in chunks of
   uneven lengths (0 included); 1 when every result, output and saved byte agrees. */
static int tq_compare(ccn_net *a, ccn_net *b, int mode, const tq_data *d, size_t T) {
    static const size_t chunks[] = {1, 0, 7, 13, 2, 64, 5};
    int m = ccn_get_config(a)->n_inputs, o = ccn_get_config(a)->n_outputs, same = 1;
    size_t t, start = 0, c = 0;
    ccn_real *ya = tu_reals(T * (size_t)o), *yb = tu_reals(T * (size_t)o);
    for (t = 0; t < T; ++t) {
        const ccn_real *x = d->x + t * (size_t)m, *target = d->target + t * (size_t)o;
        ccn_result r = mode == TQ_FORWARD      ? ccn_step(a, x, ya + t * (size_t)o)
                       : mode == TQ_SUPERVISED ? ccn_learn_step(a, x, target, ya + t * (size_t)o)
                                               : ccn_td_step(a, x, d->cumulant[t], d->gamma[t], ya + t);
        same &= r == CCN_OK;
    }
    while (start < T) {
        size_t len = chunks[c++ % (sizeof chunks / sizeof chunks[0])], done = 99;
        ccn_result r;
        if (len > T - start) len = T - start;
        r = mode == TQ_FORWARD ? ccn_steps(b, len, d->x + start * (size_t)m, yb + start * (size_t)o, &done)
            : mode == TQ_SUPERVISED
                ? ccn_learn_steps(b, len, d->x + start * (size_t)m, d->target + start * (size_t)o, yb + start * (size_t)o, &done)
                : ccn_td_steps(b, len, d->x + start * (size_t)m, d->cumulant + start, d->gamma + start, yb + start, &done);
        same &= r == CCN_OK && done == len;
        start += len;
    }
    same &= memcmp(ya, yb, T * (size_t)o * sizeof(ccn_real)) == 0 && tq_same_bits(a, b);
    free(ya);
    free(yb);
    return same;
}

/* Bit for bit against the per-step calls across kinds, methods, optimisers, learners and stages
   (three stages, a new one every 40 steps of 150: the sequences cross stage changes), with
   normalisers, a scaled readout step, links through a parallel-for (stages of 17 columns), feature layers, the bounds and
   refuse_nonfinite (the measured path of ccn_learn_step), and flushed subnormals where the
   library sets the mode. */
static void test_sequence_calls_are_the_per_step_calls(void) {
    int kind, method, opt, variant, total = 0, same = 0, stages_seen = 0;
    tu_runner runner = {2, 0, 0};
    for (kind = CCN_TANH; kind <= CCN_GRU; ++kind) /* every kind */
        for (method = CCN_COLOR; method <= CCN_RTRL; ++method)
            for (opt = CCN_SGD; opt <= CCN_ADAM; ++opt)
                for (variant = 0; variant < 4; ++variant) {
                    int mode, learner = variant % 2 ? CCN_TD : CCN_SUPERVISED;
                    int o = learner == CCN_TD ? 1 : 2, m = variant == 0 ? 10 : 3;
                    size_t T = 150;
                    ccn_config c = tu_config(kind, method, variant == 2 ? 1 : 0, variant == 3 ? 1.0 : 0.0, variant == 3 ? 48 : 8, m, o);
                    tq_data d = tq_make(T, m, o, (uint64_t)(kind * 100 + method * 10 + opt + variant * 1000));
                    c.optimizer = opt;
                    c.step_size = opt == CCN_SGD ? 0.05 : 0.01;
                    c.learner = learner;
                    if (learner == CCN_TD) c.td_lambda = 0.9;
                    c.columns_per_stage = variant == 3 ? 17 : 3; /* three stages; 17: two tasks each */
                    c.steps_per_stage = 40;
                    c.input_norm_rate = 0.99;
                    c.feature_norm_rate = 0.99;
                    c.scale_readout_step = variant == 0;
                    c.refuse_nonfinite = variant == 1;
                    c.clip_norm = variant == 2 ? 0.5 : 0.0;
                    c.obgd_kappa = variant == 3 && opt == CCN_SGD ? 2.0 : 0.0;
                    c.n_workers = runner.workers;
                    for (mode = TQ_FORWARD; mode <= TQ_TD; ++mode) {
                        ccn_net *a, *b;
                        if ((mode == TQ_TD) != (learner == CCN_TD) && mode != TQ_FORWARD) continue;
                        a = tu_create(&c);
                        b = tu_create(&c);
                        tu_randomize(a, 77, 0.5);
                        tu_randomize(b, 77, 0.5);
                        if (variant == 3) ccn_set_parallel(b, tu_backwards, &runner);
                        if (variant == 0 && ccn_set_flush_subnormals(a, 1) == CCN_OK) ccn_set_flush_subnormals(b, 1);
                        ++total;
                        if (tq_compare(a, b, mode, &d, T) || TU_EXCESS_PRECISION) ++same;
                        else if (total - same <= 5)
                            printf("    differs: kind %d method %d optimizer %d variant %d mode %d\n", kind, method, opt, variant, mode);
                        stages_seen += ccn_stage(b) == 2;
                        ccn_destroy(a);
                        ccn_destroy(b);
                    }
                    tq_free(&d);
                }
    CHECK(same == total);
    CHECK(stages_seen == total); /* every run went through the stage changes */
    CHECK(runner.tasks > runner.calls);
    printf("    %d of %d runs: the same outputs and saved bytes as the per-step calls\n", same, total);
}

/* A forward-only net (CCN_FORWARD) through ccn_steps; y NULL is allowed; n = 0 does nothing;
   a NULL array is refused even for n = 0 (the NULL rule is the same for every n). */
static void test_sequence_forward_only_and_empty(void) {
    ccn_config c = tu_config(CCN_GATED, CCN_FORWARD, 2, 0.0, 6, 4, 3);
    ccn_net *a, *b;
    tq_data d = tq_make(30, 4, 3, 5);
    size_t done = 7;
    a = tu_create(&c);
    b = tu_create(&c);
    tu_randomize(a, 3, 1.0);
    tu_randomize(b, 3, 1.0);
    CHECK(tq_compare(a, b, TQ_FORWARD, &d, 30));
    CHECK(ccn_steps(b, 10, d.x, NULL, &done) == CCN_OK && done == 10);
    CHECK(ccn_steps(a, 10, d.x, NULL, NULL) == CCN_OK);
    CHECK(tq_same_bits(a, b));
    CHECK(ccn_steps(b, 0, d.x, NULL, &done) == CCN_OK && done == 0 && tq_same_bits(a, b));
    done = 7;
    CHECK(ccn_steps(b, 0, NULL, NULL, &done) == CCN_ERR_NULL_ARGUMENT && done == 0);
    CHECK(ccn_learn_steps(b, 0, d.x, NULL, NULL, &done) == CCN_ERR_NULL_ARGUMENT && done == 0);
    CHECK(ccn_td_steps(b, 0, d.x, d.cumulant, NULL, NULL, &done) == CCN_ERR_NULL_ARGUMENT && done == 0);
    CHECK(ccn_steps(NULL, 0, d.x, NULL, &done) == CCN_ERR_NULL_ARGUMENT && tq_same_bits(a, b));
    /* learning on a net without gradients: refused before the first step, nothing changed */
    done = 7;
    CHECK(ccn_learn_steps(b, 5, d.x, d.target, NULL, &done) == CCN_ERR_NO_GRADIENT && done == 0);
    CHECK(ccn_td_steps(b, 5, d.x, d.cumulant, d.gamma, NULL, &done) == CCN_ERR_NO_GRADIENT && done == 0);
    CHECK(tq_same_bits(a, b) && ccn_step_count(b) == 40);
    ccn_destroy(a);
    ccn_destroy(b);
    tq_free(&d);
}

/* A bad value at step k of a sequence of 20: the call returns the per-step call's error with
   done == k, the net is the net stepped k times (saved bytes), the outputs from row k on are
   not written; and the net goes on from there as the per-step net does. For each call, each
   argument that can be bad: x (NaN, infinite), target, cumulant, gamma (1.5, NaN); both
   methods, every kind. */
static void test_sequence_stops_at_the_first_failure(void) {
    int kind, method, mode, what, cases = 0, good = 0;
    for (kind = CCN_TANH; kind <= CCN_GRU; ++kind) /* every kind */
        for (method = CCN_COLOR; method <= CCN_RTRL; ++method)
            for (mode = TQ_FORWARD; mode <= TQ_TD; ++mode)
                for (what = 0; what < 4; ++what) {
                    const size_t T = 20, k = (size_t)(3 + 4 * what);
                    int o = mode == TQ_TD ? 1 : 2, m = 3, ok = 1;
                    ccn_config c = tu_config(kind, method, 0, 0.0, 5, m, o);
                    tq_data d = tq_make(T, m, o, (uint64_t)(11 + what));
                    ccn_net *a, *b;
                    ccn_real *yb = tu_reals(T * (size_t)o), y[2];
                    ccn_result want = CCN_ERR_NOT_FINITE, r = CCN_OK;
                    size_t t, done = 99;
                    if (mode == TQ_FORWARD && what > 0) what = 4; /* only x can be bad */
                    if (mode == TQ_SUPERVISED && what > 1) what = 4;
                    if (what == 4) {
                        tq_free(&d);
                        free(yb);
                        break;
                    }
                    c.step_size = 0.02;
                    c.optimizer = CCN_RMSPROP;
                    if (mode == TQ_TD) {
                        c.learner = CCN_TD;
                        c.td_lambda = 0.8;
                    }
                    if (what == 0) d.x[k * (size_t)m + 1] = k % 2 ? (ccn_real)NAN : (ccn_real)INFINITY;
                    if (what == 1 && mode == TQ_SUPERVISED) d.target[k * (size_t)o + 1] = (ccn_real)NAN;
                    if (what == 1 && mode == TQ_TD) d.cumulant[k] = (ccn_real)-INFINITY;
                    if (what == 2) d.gamma[k] = CCN_R(1.5), want = CCN_ERR_BAD_GAMMA;
                    if (what == 3) d.gamma[k] = (ccn_real)NAN, want = CCN_ERR_BAD_GAMMA;
                    for (t = 0; t < T * (size_t)o; ++t) yb[t] = 42;
                    a = tu_create(&c);
                    b = tu_create(&c);
                    tu_randomize(a, 9, 0.5);
                    tu_randomize(b, 9, 0.5);
                    for (t = 0; t < k; ++t) { /* a: the k steps before the bad one */
                        const ccn_real *x = d.x + t * (size_t)m;
                        r = mode == TQ_FORWARD      ? ccn_step(a, x, y)
                            : mode == TQ_SUPERVISED ? ccn_learn_step(a, x, d.target + t * (size_t)o, y)
                                                    : ccn_td_step(a, x, d.cumulant[t], d.gamma[t], y);
                        ok &= r == CCN_OK;
                    }
                    r = mode == TQ_FORWARD      ? ccn_steps(b, T, d.x, yb, &done)
                        : mode == TQ_SUPERVISED ? ccn_learn_steps(b, T, d.x, d.target, yb, &done)
                                                : ccn_td_steps(b, T, d.x, d.cumulant, d.gamma, yb, &done);
                    ok &= r == want && done == k && tq_same_bits(a, b) && ccn_step_count(b) == k;
                    for (t = k * (size_t)o; t < T * (size_t)o; ++t) ok &= yb[t] == 42;
                    ok &= yb[0] != 42 && yb[k * (size_t)o - 1] != 42;
                    /* and from the step after the bad one, on together */
                    if (mode == TQ_FORWARD) ok &= tq_compare(a, b, mode, &d, k) && ccn_steps(b, 0, d.x, yb, &done) == CCN_OK;
                    else if (mode == TQ_SUPERVISED) {
                        tq_data e = tq_make(T, m, o, 99);
                        ok &= tq_compare(a, b, mode, &e, T);
                        tq_free(&e);
                    } else {
                        tq_data e = tq_make(T, m, o, 98);
                        ok &= tq_compare(a, b, mode, &e, T);
                        tq_free(&e);
                    }
                    ++cases;
                    good += ok;
                    if (!ok && cases - good <= 5)
                        printf("    wrong: kind %d method %d mode %d bad value %d (result %s, done %zu)\n", kind, method, mode,
                               what, ccn_result_string(r), done);
                    ccn_destroy(a);
                    ccn_destroy(b);
                    free(yb);
                    tq_free(&d);
                }
    CHECK(good == cases);
    CHECK(cases == TU_N_KINDS * 2 * (1 + 2 + 4));
}

/* A failure only the step reveals: with refuse_nonfinite and a step size that blows the readout
   up, the per-step call returns CCN_ERR_DIVERGED at some step j after running it; the sequence
   call stops there too, done == j, its net the per-step net's (the step run, not its update). */
static void test_sequence_stops_where_the_update_diverges(void) {
    int mode;
    for (mode = TQ_SUPERVISED; mode <= TQ_TD; ++mode) {
        int o = mode == TQ_TD ? 1 : 2;
        const size_t T = 50;
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 4, 3, o);
        tq_data d = tq_make(T, 3, o, 21);
        ccn_net *a, *b;
        ccn_real y[2], *yb = tu_reals(T * (size_t)o);
        ccn_result r = CCN_OK;
        size_t t, j = T, done = 99;
        c.step_size = 1e30;
        c.refuse_nonfinite = 1;
        if (mode == TQ_TD) {
            c.learner = CCN_TD;
            c.td_lambda = 0.5;
            for (t = 0; t < T; ++t) d.cumulant[t] = 1, d.gamma[t] = 1;
        }
        a = tu_create(&c);
        b = tu_create(&c);
        for (t = 0; t < T && j == T; ++t) {
            const ccn_real *x = d.x + t * 3;
            r = mode == TQ_SUPERVISED ? ccn_learn_step(a, x, d.target + t * (size_t)o, y)
                                      : ccn_td_step(a, x, d.cumulant[t], d.gamma[t], y);
            if (r != CCN_OK) j = t;
        }
        CHECK(j < T && r == CCN_ERR_DIVERGED);
        r = mode == TQ_SUPERVISED ? ccn_learn_steps(b, T, d.x, d.target, yb, &done)
                                  : ccn_td_steps(b, T, d.x, d.cumulant, d.gamma, yb, &done);
        CHECK(r == CCN_ERR_DIVERGED && done == j);
        CHECK(tq_same_bits(a, b));
        ccn_destroy(a);
        ccn_destroy(b);
        free(yb);
        tq_free(&d);
    }
}
