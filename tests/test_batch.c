/* Batches (ccn_batch_*) against the same nets stepped alone: every net of a batch gets the
   results, outputs and saved bytes of its own per-net calls, for every kind, method, learner and
   optimiser, with nets that differ in seed, step size, optimiser settings, links and bounds,
   stages that change inside the run (and at different steps for different nets), mixed
   floating-point modes and a parallel-for; each net saved and loaded alone; the refusals. The
   batch's group of cells (ccn.h section 11), which only AVX-512 builds use by default, is
   turned on (ccn__test_group) for half of the runs, so every build checks its bits too. */
#include "util.h"

/* A batch of `count` nets from cfgs and the same nets alone, stepped T times on the rows of d
   (step t, net i: row t * count + i); at step 40 net 1 (and its twin) takes one step alone, at
   step 70 net 3 (and its twin) is moved to its next stage when it has one. 1 when every
   result, output and saved byte agrees. */
static int tb_compare(const ccn_config *cfgs, int count, int mode, const tq_data *d, size_t T,
                      void (*prepare)(ccn_net *, int)) {
    ccn_batch *b = NULL;
    ccn_net *alone[16];
    int m = cfgs[0].n_inputs, o = cfgs[0].n_outputs, i, same = 1;
    size_t t, rows = (size_t)count;
    ccn_real *yb = tu_reals(rows * (size_t)o), *ya = tu_reals((size_t)o), extra[16];
    if (ccn_batch_create(cfgs, count, NULL, &b) != CCN_OK || ccn_batch_count(b) != count) return 0;
    for (i = 0; i < count; ++i) {
        alone[i] = tu_create(&cfgs[i]);
        tu_randomize(alone[i], 500 + (uint64_t)i, 0.5);
        tu_randomize(ccn_batch_net(b, i), 500 + (uint64_t)i, 0.5);
        if (prepare) {
            prepare(alone[i], i);
            prepare(ccn_batch_net(b, i), i);
        }
    }
    for (i = 0; i < m; ++i) extra[i] = (ccn_real)(0.25 * i - 0.5);
    for (t = 0; t < T && same; ++t) {
        const ccn_real *x = d->x + t * rows * (size_t)m, *target = d->target + t * rows * (size_t)o;
        const ccn_real *cum = d->cumulant + t * rows, *gam = d->gamma + t * rows;
        ccn_result rb = mode == TQ_FORWARD      ? ccn_batch_step(b, x, yb)
                        : mode == TQ_SUPERVISED ? ccn_batch_learn_step(b, x, target, yb)
                                                : ccn_batch_td_step(b, x, cum, gam, yb);
        ccn_result first = CCN_OK;
        for (i = 0; i < count; ++i) {
            const ccn_real *xi = x + (size_t)i * (size_t)m;
            ccn_result ra = mode == TQ_FORWARD ? ccn_step(alone[i], xi, ya)
                            : mode == TQ_SUPERVISED ? ccn_learn_step(alone[i], xi, target + (size_t)i * (size_t)o, ya)
                                                    : ccn_td_step(alone[i], xi, cum[i], gam[i], ya);
            if (first == CCN_OK) first = ra;
            if (ra != ccn_batch_result(b, i) || memcmp(ya, yb + (size_t)i * (size_t)o, (size_t)o * sizeof(ccn_real)) != 0)
                same = 0;
        }
        if (rb != first) same = 0;
        if (t == 40 && count > 1) { /* net 1 steps alone once: its stages now change a step earlier */
            ccn_result r1 = mode == TQ_TD ? ccn_td_step(alone[1], extra, 0, CCN_R(0.5), NULL) : ccn_step(alone[1], extra, NULL);
            ccn_result r2 = mode == TQ_TD ? ccn_td_step(ccn_batch_net(b, 1), extra, 0, CCN_R(0.5), NULL)
                                          : ccn_step(ccn_batch_net(b, 1), extra, NULL);
            if (r1 != r2) same = 0;
        }
        if (t == 70 && count > 3 && ccn_next_stage(alone[3]) == CCN_OK && ccn_next_stage(ccn_batch_net(b, 3)) != CCN_OK)
            same = 0;
    }
    for (i = 0; i < count; ++i) {
        if (!tq_same_bits(alone[i], ccn_batch_net(b, i)) || ccn_nonfinite_count(alone[i]) != 0) same = 0;
        ccn_destroy(alone[i]);
    }
    ccn_batch_destroy(b);
    free(yb);
    free(ya);
    return same;
}

/* T steps of count rows each */
static tq_data tb_data(size_t T, int count, int m, int o, uint64_t seed) { return tq_make(T * (size_t)count, m, o, seed); }

static tu_runner tb_runner = {2, 0, 0};
static void tb_modes(ccn_net *net, int i) { /* two floating-point modes in one batch */
    if (i % 2 == 0) ccn_set_flush_subnormals(net, 1); /* CCN_ERR_UNSUPPORTED where there is none */
}
static void tb_parallel(ccn_net *net, int i) {
    if (i == 2) ccn_set_parallel(net, tu_backwards, &tb_runner);
}

/* Every kind x method x optimiser x learner x four variants, five nets a batch, each net its
   own seed (so its own links), step size and stream:
     0  three stages, normalisers, a scaled readout step, flushed subnormals on nets 0, 2, 4
     1  td_lambda and the optimiser's settings differ per net; refuse_nonfinite on net 1
     2  feature layers; clip_norm on nets 0 and 3
     3  36 columns in two stages, links, a parallel-for on net 2 (12 columns, three stages, with
        exact RTRL); obgd_kappa on net 1 (TD with SGD) */
static void test_batch_is_nets_alone(void) {
    int ki, method, opt, variant, mode, total = 0, same = 0;
    TU_FOR_KINDS(ki)
    for (method = CCN_COLOR; method <= CCN_FORWARD; ++method)
        for (opt = CCN_SGD; opt <= CCN_ADAM; ++opt)
            for (variant = 0; variant < 4; ++variant)
                for (mode = TQ_FORWARD; mode <= TQ_TD; ++mode) {
                    enum { COUNT = 5 };
                    ccn_config c[COUNT];
                    int i, o = mode == TQ_TD ? 1 : 2, m = variant == 0 ? 10 : 3, n = variant == 3 ? 36 : 8;
                    size_t T = 120;
                    tq_data d;
                    if (method == CCN_FORWARD && (mode != TQ_FORWARD || opt != CCN_SGD)) continue;
                    if (method == CCN_RTRL && variant == 3) n = 12; /* RTRL is O(n^2 p) */
                    for (i = 0; i < COUNT; ++i) {
                        c[i] = tu_config(tu_kind(ki), method, variant == 2 ? 1 : 0, variant == 3 ? 1.0 : 0.0, n, m, o);
                        c[i].seed = 1000 + (uint64_t)(i * 7 + variant);
                        c[i].columns_per_stage = variant == 3 ? (method == CCN_RTRL ? 4 : 18) : 3;
                        c[i].steps_per_stage = 30;
                        c[i].n_workers = variant == 3 ? 2 : 0;
                        if (method == CCN_FORWARD) continue;
                        c[i].optimizer = opt;
                        /* small enough that no net diverges: a NaN's sign and payload may differ
                           between builds and paths (ccn.h, RANDOMNESS) */
                        c[i].step_size = (opt == CCN_SGD && mode != TQ_TD ? 0.05 : 0.01) * (1.0 + 0.5 * i);
                        if (mode == TQ_TD) {
                            c[i].learner = CCN_TD;
                            c[i].td_lambda = variant == 1 ? 0.5 + 0.1 * i : 0.9;
                        }
                        if (variant == 1 && opt == CCN_RMSPROP) c[i].rms_beta = 0.99 - 0.01 * i;
                        if (variant == 1 && opt == CCN_ADAM) c[i].adam_beta1 = 0.8 + 0.02 * i;
                        c[i].refuse_nonfinite = variant == 1 && i == 1;
                        c[i].clip_norm = variant == 2 && i % 3 == 0 ? 0.5 : 0.0;
                        c[i].obgd_kappa = variant == 3 && i == 1 && mode == TQ_TD && opt == CCN_SGD ? 2.0 : 0.0;
                        if (variant == 0) {
                            c[i].input_norm_rate = 0.99;
                            c[i].feature_norm_rate = 0.99;
                            c[i].scale_readout_step = 1;
                        }
                    }
                    if (method == CCN_FORWARD) {
                        for (i = 0; i < COUNT; ++i) c[i].learner = 0;
                    } else if (mode == TQ_FORWARD)
                        continue; /* the learning nets' forward steps are in the learners' runs */
                    if (mode == TQ_TD && method == CCN_FORWARD) continue;
                    d = tb_data(T, COUNT, m, o, (uint64_t)(ki * 1000 + method * 100 + opt * 10 + variant));
                    ++total;
                    ccn__test_group = total % 2;
                    if (tb_compare(c, COUNT, mode, &d, T, variant == 0 ? tb_modes : variant == 3 ? tb_parallel : NULL) || TU_EXCESS_PRECISION) ++same;
                    else if (total - same <= 5)
                        printf("    differs: %s method %d optimizer %d variant %d mode %d\n", tu_kind_name(tu_kind(ki)),
                               method, opt, variant, mode);
                    tq_free(&d);
                }
    ccn__test_group = 0;
    CHECK(same == total);
    CHECK(tb_runner.tasks > tb_runner.calls);
    printf("    %d of %d batches of 5 nets: every net's results, outputs and saved bytes as alone\n", same, total);
}

/* A batch of one net, and the trace-patterning shape (7 lstm columns on 12 inputs, TD and
   RMSProp, normalised; CCN 20:4 in stages) in a batch of 16, as the bench and the examples
   run them. */
static void test_batch_of_one_and_of_sixteen(void) {
    ccn_config c[16];
    int i, shape;
    for (shape = 0; shape < 6; ++shape) { /* each shape with the group of cells off and on */
        int count = shape % 3 == 0 ? 1 : 16;
        tq_data d = tb_data(200, count, 12, 1, (uint64_t)(40 + shape));
        for (i = 0; i < count; ++i) {
            c[i] = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, shape % 3 == 2 ? 20 : 7, 12, 1);
            c[i].learner = CCN_TD;
            c[i].td_lambda = 0.99;
            c[i].optimizer = CCN_RMSPROP;
            c[i].step_size = 0.0001 * (1 + i % 4);
            c[i].input_norm_rate = 0.99999;
            c[i].feature_norm_rate = 0.99999;
            c[i].seed = (uint64_t)i;
            if (shape % 3 == 2) {
                c[i].columns_per_stage = 4;
                c[i].steps_per_stage = 40;
            }
        }
        ccn__test_group = shape >= 3;
        CHECK(tb_compare(c, count, TQ_TD, &d, 200, NULL));
        ccn__test_group = 0;
        tq_free(&d);
    }
}

/* Each net of a batch saved alone loads into a lone net and into another batch's place, and
   all three go on with the same bits. */
static void test_batch_nets_save_and_load_alone(void) {
    ccn_config c[3];
    ccn_batch *b, *b2;
    ccn_net *loaded;
    tq_data d = tb_data(80, 3, 4, 1, 9);
    unsigned char *file;
    size_t size, t;
    ccn_real y[3], y2[3], ya;
    int i, ok = 1;
    for (i = 0; i < 3; ++i) {
        c[i] = tu_config(CCN_GRU, CCN_COLOR, 0, 0.0, 6, 4, 1);
        c[i].learner = CCN_TD;
        c[i].td_lambda = 0.8;
        c[i].optimizer = CCN_ADAM;
        c[i].step_size = 0.01;
        c[i].columns_per_stage = 2;
        c[i].steps_per_stage = 30;
        c[i].seed = 70 + (uint64_t)i;
    }
    CHECK(ccn_batch_create(c, 3, NULL, &b) == CCN_OK && ccn_batch_create(c, 3, NULL, &b2) == CCN_OK);
    for (i = 0; i < 3; ++i) tu_randomize(ccn_batch_net(b, i), 3 + (uint64_t)i, 0.5);
    for (t = 0; t < 40; ++t) CHECK(ccn_batch_td_step(b, d.x + t * 12, d.cumulant + t * 3, d.gamma + t * 3, y) == CCN_OK);
    size = ccn_saved_size(ccn_batch_net(b, 1));
    file = (unsigned char *)malloc(size);
    CHECK(ccn_save_to_memory(ccn_batch_net(b, 1), file, size, NULL) == CCN_OK);
    CHECK(ccn_load_from_memory(file, size, NULL, &loaded) == CCN_OK);
    CHECK(ccn_batch_set(b2, 1, loaded) == CCN_OK && tq_same_bits(ccn_batch_net(b2, 1), ccn_batch_net(b, 1)));
    for (i = 0; i < 3; ++i)
        if (i != 1) CHECK(ccn_batch_set(b2, i, ccn_batch_net(b, i)) == CCN_OK);
    for (t = 40; t < 80; ++t) { /* across a stage change */
        CHECK(ccn_batch_td_step(b, d.x + t * 12, d.cumulant + t * 3, d.gamma + t * 3, y) == CCN_OK);
        CHECK(ccn_batch_td_step(b2, d.x + t * 12, d.cumulant + t * 3, d.gamma + t * 3, y2) == CCN_OK);
        CHECK(ccn_td_step(loaded, d.x + t * 12 + 4, d.cumulant[t * 3 + 1], d.gamma[t * 3 + 1], &ya) == CCN_OK);
        ok &= memcmp(y, y2, sizeof y) == 0 && memcmp(&ya, &y[1], sizeof ya) == 0;
    }
    CHECK(ok);
    CHECK(ccn_stage(loaded) == 2);
    for (i = 0; i < 3; ++i) CHECK(tq_same_bits(ccn_batch_net(b, i), ccn_batch_net(b2, i)));
    CHECK(tq_same_bits(loaded, ccn_batch_net(b, 1)));
    ccn_destroy(loaded);
    ccn_batch_destroy(b);
    ccn_batch_destroy(b2);
    free(file);
    tq_free(&d);
}

/* What a batch refuses, and that a refused call changes no net; a net whose update diverges
   (refuse_nonfinite) is refused alone while the others learn. */
static void test_batch_refusals(void) {
    ccn_config c[3], bad;
    ccn_batch *b = NULL;
    ccn_net *before[3], *other;
    ccn_real x[3 * 4], target[3], cum[3] = {0, 1, 0}, gam[3] = {CCN_R(0.9), CCN_R(0.9), CCN_R(0.9)}, y[3];
    tu_alloc_stats stats;
    ccn_allocator counted = tu_allocator(&stats);
    int i, f;
    for (i = 0; i < 3; ++i) {
        c[i] = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 4, 4, 1);
        c[i].learner = CCN_TD;
        c[i].td_lambda = 0.5;
        c[i].seed = (uint64_t)i;
        c[i].step_size = 0.1;
    }
    for (i = 0; i < 12; ++i) x[i] = (ccn_real)(0.1 * i);
    for (i = 0; i < 3; ++i) target[i] = 1;
    /* shapes: each field that fixes a step's shape, changed in the third net */
    for (f = 0; f < 11; ++f) {
        bad = c[2];
        switch (f) {
        case 0: bad.n_inputs = 5; break;
        case 1: bad.n_outputs = 2, bad.learner = CCN_SUPERVISED, bad.td_lambda = 0; break;
        case 2: bad.n_columns = 5; break;
        case 3: bad.kind = CCN_GATED; break;
        case 4: bad.method = CCN_RTRL; break;
        case 5: bad.feature_layers = 1, bad.feature_width = 3; break;
        case 6: bad.feedforward = 1; break;
        case 7: bad.columns_per_stage = 2; break;
        case 8: bad.columns_per_stage = 2, bad.steps_per_stage = 10; break;
        case 9: bad.learner = CCN_SUPERVISED, bad.td_lambda = 0; break;
        default: bad.feature_layers = 1, bad.feature_width = 4; break;
        }
        {
            ccn_config cs[3];
            cs[0] = c[0], cs[1] = c[1], cs[2] = bad;
            if (f == 10) cs[0].feature_layers = cs[1].feature_layers = 1, cs[0].feature_width = cs[1].feature_width = 3;
            CHECK(ccn_batch_create(cs, 3, NULL, &b) == CCN_ERR_BAD_BATCH && b == NULL);
        }
    }
    CHECK(ccn_batch_create(c, 0, NULL, &b) == CCN_ERR_BAD_BATCH && b == NULL);
    CHECK(ccn_batch_create(c, -1, NULL, &b) == CCN_ERR_BAD_BATCH);
    bad = c[1];
    bad.step_size = -1;
    {
        ccn_config cs[2];
        cs[0] = c[0], cs[1] = bad;
        CHECK(ccn_batch_create(cs, 2, NULL, &b) == CCN_ERR_BAD_STEP_SIZE && b == NULL);
    }
    /* every allocation failing in turn: the error, nothing leaked */
    for (f = 0; f < 4; ++f) { /* the batch's block, then its three nets */
        memset(&stats, 0, sizeof stats);
        stats.fail_at = f + 1;
        CHECK(ccn_batch_create(c, 3, &counted, &b) == CCN_ERR_OUT_OF_MEMORY && b == NULL);
        CHECK(stats.live_bytes == 0);
    }
    memset(&stats, 0, sizeof stats);
    CHECK(ccn_batch_create(c, 3, &counted, &b) == CCN_OK && stats.allocs - stats.frees == 4);
    CHECK(ccn_batch_result(b, 0) == CCN_OK && ccn_batch_result(b, 3) == CCN_ERR_BAD_BATCH &&
          ccn_batch_result(b, -1) == CCN_ERR_BAD_BATCH && ccn_batch_net(b, 3) == NULL && ccn_batch_net(b, -1) == NULL);
    CHECK(ccn_batch_td_step(b, x, cum, gam, y) == CCN_OK);
    for (i = 0; i < 3; ++i) CHECK(ccn_copy(ccn_batch_net(b, i), NULL, &before[i]) == CCN_OK);
    /* refused on a row's arguments: that error for every net, no net changed */
    x[9] = (ccn_real)NAN;
    CHECK(ccn_batch_td_step(b, x, cum, gam, y) == CCN_ERR_NOT_FINITE);
    CHECK(ccn_batch_step(b, x, y) == CCN_ERR_NOT_FINITE && ccn_batch_result(b, 0) == CCN_ERR_NOT_FINITE);
    x[9] = 0;
    gam[2] = CCN_R(1.5);
    CHECK(ccn_batch_td_step(b, x, cum, gam, y) == CCN_ERR_BAD_GAMMA && ccn_batch_result(b, 1) == CCN_ERR_BAD_GAMMA);
    gam[2] = CCN_R(0.9);
    cum[1] = (ccn_real)INFINITY;
    CHECK(ccn_batch_td_step(b, x, cum, gam, y) == CCN_ERR_NOT_FINITE);
    cum[1] = 1;
    for (i = 0; i < 3; ++i) CHECK(tq_same_bits(before[i], ccn_batch_net(b, i)));
    /* a learn step on TD nets: as ccn_learn_step on each (its supervised update) */
    {
        ccn_result r = ccn_batch_learn_step(b, x, target, y);
        for (i = 0; i < 3; ++i) {
            ccn_real ya;
            CHECK(ccn_learn_step(before[i], x + 4 * i, target + i, &ya) == ccn_batch_result(b, i) && ya == y[i]);
            CHECK(tq_same_bits(before[i], ccn_batch_net(b, i)));
        }
        CHECK(r == ccn_batch_result(b, 0));
    }
    /* learning on forward-only nets: refused before any net steps (as ccn_learn_steps does) */
    {
        ccn_config fw[2];
        ccn_batch *bf = NULL;
        ccn_net *fw0 = NULL;
        fw[0] = tu_config(CCN_GATED, CCN_FORWARD, 0, 0.0, 3, 4, 1);
        fw[1] = fw[0];
        fw[1].seed = 9;
        CHECK(ccn_batch_create(fw, 2, NULL, &bf) == CCN_OK && ccn_copy(ccn_batch_net(bf, 0), NULL, &fw0) == CCN_OK);
        CHECK(ccn_batch_learn_step(bf, x, target, y) == CCN_ERR_NO_GRADIENT && ccn_batch_result(bf, 1) == CCN_ERR_NO_GRADIENT);
        CHECK(ccn_batch_td_step(bf, x, cum, gam, y) == CCN_ERR_NO_GRADIENT);
        CHECK(ccn_step_count(ccn_batch_net(bf, 1)) == 0 && tq_same_bits(fw0, ccn_batch_net(bf, 0)));
        ccn_destroy(fw0);
        ccn_batch_destroy(bf);
    }
    CHECK(ccn_batch_td_step(NULL, x, cum, gam, y) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_batch_td_step(b, x, NULL, gam, y) == CCN_ERR_NULL_ARGUMENT && ccn_batch_result(b, 2) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_batch_td_step(b, x, cum, NULL, y) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_batch_step(b, NULL, y) == CCN_ERR_NULL_ARGUMENT && ccn_batch_learn_step(b, x, NULL, y) == CCN_ERR_NULL_ARGUMENT);
    for (i = 0; i < 3; ++i) CHECK(tq_same_bits(before[i], ccn_batch_net(b, i)));
    /* ccn_batch_set: index and shape */
    bad = c[0];
    bad.n_columns = 5;
    other = tu_create(&bad);
    CHECK(ccn_batch_set(b, 0, other) == CCN_ERR_BAD_BATCH && ccn_batch_set(b, 3, before[0]) == CCN_ERR_BAD_BATCH);
    CHECK(ccn_batch_set(b, -1, before[0]) == CCN_ERR_BAD_BATCH && ccn_batch_set(b, 0, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(tq_same_bits(before[0], ccn_batch_net(b, 0)) && stats.allocs - stats.frees == 7);
    CHECK(ccn_batch_set(b, 0, before[1]) == CCN_OK && stats.allocs - stats.frees == 7 && tq_same_bits(before[1], ccn_batch_net(b, 0)));
    ccn_destroy(other);
    ccn_batch_destroy(b);
    for (i = 0; i < 3; ++i) ccn_destroy(before[i]); /* copies from the batch's allocator */
    CHECK(stats.live_bytes == 0 && stats.allocs == stats.frees);
    /* divergence: net 1 refuses its update, the others learn; the first error is returned */
    for (i = 0; i < 3; ++i) c[i].refuse_nonfinite = 1;
    c[1].step_size = 1e30;
    c[1].optimizer = CCN_SGD;
    CHECK(ccn_batch_create(c, 3, NULL, &b) == CCN_OK);
    for (i = 0; i < 3; ++i) tu_randomize(ccn_batch_net(b, i), 8, 1.0);
    for (i = 0; i < 3; ++i) CHECK(ccn_copy(ccn_batch_net(b, i), NULL, &before[i]) == CCN_OK);
    {
        ccn_result seen = CCN_OK;
        int t, agree = 1;
        for (t = 0; t < 20; ++t) {
            ccn_result r = ccn_batch_td_step(b, x, cum, gam, y);
            for (i = 0; i < 3; ++i) {
                ccn_real ya;
                ccn_result ra = ccn_td_step(before[i], x + 4 * i, cum[i], gam[i], &ya);
                agree &= ra == ccn_batch_result(b, i) && ya == y[i];
            }
            if (ccn_batch_result(b, 1) == CCN_ERR_DIVERGED) {
                seen = r;
                CHECK(ccn_batch_result(b, 0) == CCN_OK && ccn_batch_result(b, 2) == CCN_OK);
            }
        }
        CHECK(agree && seen == CCN_ERR_DIVERGED);
    }
    for (i = 0; i < 3; ++i) {
        CHECK(tq_same_bits(before[i], ccn_batch_net(b, i)));
        ccn_destroy(before[i]);
    }
    ccn_batch_destroy(b);
    ccn_batch_destroy(NULL);
    CHECK(ccn_batch_count(NULL) == 0 && ccn_batch_net(NULL, 0) == NULL && ccn_batch_result(NULL, 0) == CCN_ERR_NULL_ARGUMENT);
}

/* Each net's cells run in its own floating-point mode. lstm columns whose only nonzero
   parameters are their gate biases (a_i far below 0, a_g small) make c = i g subnormal inside
   the cell: kept with subnormals kept, 0 with them flushed; a batch of nets in both modes gives
   each its own (where the library sets the mode). */
static void test_batch_keeps_each_nets_mode(void) {
    ccn_config c[4];
    ccn_batch *b;
    ccn_net *alone[4];
    ccn_real x[4 * 2] = {0}, bias[4];
    int i, col, same = 1, kept = 0, flushed = 0;
    bias[0] = (ccn_real)(TU_DOUBLE ? -700.0 : -80.0), bias[1] = 0, bias[2] = 0, bias[3] = CCN_R(1e-6); /* i f o g */
    for (i = 0; i < 4; ++i) {
        c[i] = tu_config(CCN_LSTM, CCN_FORWARD, 0, 0.0, 3, 2, 1);
        c[i].seed = (uint64_t)i;
    }
    CHECK(ccn_batch_create(c, 4, NULL, &b) == CCN_OK);
    for (i = 0; i < 4; ++i) {
        ccn_net *pair[2];
        int k, q;
        alone[i] = tu_create(&c[i]);
        pair[0] = alone[i], pair[1] = ccn_batch_net(b, i);
        for (k = 0; k < 2; ++k) {
            memset(ccn_params(pair[k]), 0, ccn_param_count(pair[k]) * sizeof(ccn_real));
            for (col = 0; col < 3; ++col) {
                ccn_column_info info;
                ccn_column_info_get(pair[k], col, &info);
                for (q = 0; q < 4; ++q) ccn_params(pair[k])[info.gate_offset + (size_t)(q + 1) * info.gate_stride - 1] = bias[q];
            }
            if (i == 1 || i == 2) ccn_set_flush_subnormals(pair[k], 1);
        }
    }
    ccn__test_group = 1; /* the group, where this build would not use it */
    CHECK(ccn_batch_step(b, x, NULL) == CCN_OK);
    ccn__test_group = 0;
    for (i = 0; i < 4; ++i) {
        CHECK(ccn_step(alone[i], x, NULL) == CCN_OK);
        same &= memcmp(ccn_cell(alone[i]), ccn_cell(ccn_batch_net(b, i)), 3 * sizeof(ccn_real)) == 0;
        kept += ccn_cell(alone[i])[0] != 0 && ccn_cell(alone[i])[0] < (ccn_real)(TU_DOUBLE ? 2.2e-308 : 1.2e-38);
        flushed += ccn_cell(alone[i])[0] == 0;
        ccn_destroy(alone[i]);
    }
    CHECK(same);
    CHECK(kept + flushed == 4 && kept >= 2); /* flushed == 2 where the library sets the mode */
    printf("    %d nets kept a subnormal cell, %d flushed it, each as alone\n", kept, flushed);
    ccn_batch_destroy(b);
}
