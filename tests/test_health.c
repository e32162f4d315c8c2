/* Numeric health: ccn_nonfinite_count, the refuse_nonfinite guard under forced divergence,
   NaN and infinite inputs; and threads: two nets stepped at once give their sequential bits. */
#include "util.h"
#include <pthread.h>

/* The non-finite reals of a saved file (its reals region, the scalars included), counted by the
   test itself: what ccn_nonfinite_count must agree with. */
static size_t tn_file_nonfinite(const ccn_net *net) {
    size_t size = ccn_saved_size(net), at, k, bad = 0;
    unsigned char *f = (unsigned char *)malloc(size);
    const size_t rs = sizeof(ccn_real);
    CHECK(ccn_save_to_memory(net, f, size, NULL) == CCN_OK);
    at = 260 + 4 * (size_t)ccn_get_config(net)->n_columns;
    for (k = 0; k < (size_t)ccn_get_config(net)->n_columns; ++k) { /* links: 12 bytes each */
        int count;
        ccn_links(net, (int)k, &count);
        at += 12 * (size_t)count;
    }
    for (k = at + 5 * rs; k + 4 < size; k += rs) { /* the 5 scalars are finite here */
        ccn_real v;
        uint64_t bits = 0;
        size_t b;
        for (b = 0; b < rs; ++b) bits |= (uint64_t)f[k + b] << (8 * b); /* the file is little-endian */
        if (rs == 8) {
            memcpy(&v, &bits, rs);
        } else {
            uint32_t b32 = (uint32_t)bits;
            memcpy(&v, &b32, rs);
        }
        bad += !(v - v == 0);
    }
    free(f);
    return bad;
}

/* ccn_nonfinite_count sees a NaN or an infinity in the parameters, and what a step spreads from
   them into the state, traces and outputs, and agrees with a count over the saved file. */
static void test_nonfinite_count(void) {
    int mi;
    for (mi = CCN_COLOR; mi <= CCN_FORWARD; ++mi) {
        ccn_config c = tu_config(CCN_LSTM, mi, 1, 1.0, 4, 3, 1);
        ccn_net *net;
        ccn_real x[3] = {CCN_R(0.5), CCN_R(-1), CCN_R(0.25)}, y;
        size_t after;
        c.learner = mi == CCN_FORWARD ? CCN_SUPERVISED : CCN_TD;
        c.optimizer = CCN_ADAM;
        c.input_norm_rate = 0.9;
        c.feature_norm_rate = 0.9;
        net = tu_create(&c);
        tu_randomize(net, 5, 0.5);
        CHECK(ccn_step(net, x, &y) == CCN_OK);
        CHECK(ccn_nonfinite_count(net) == 0 && tn_file_nonfinite(net) == 0);
        {
            ccn_column_info ci;
            ccn_column_info_get(net, 0, &ci);
            ccn_params(net)[ci.gate_offset + ci.gate_stride - 1] = (ccn_real)NAN; /* column 0's first bias */
        }
        CHECK(ccn_nonfinite_count(net) == 1 && tn_file_nonfinite(net) == 1);
        ccn_params(net)[ccn_readout_offset(net)] = (ccn_real)INFINITY;
        CHECK(ccn_nonfinite_count(net) == 2 && tn_file_nonfinite(net) == 2);
        CHECK(ccn_step(net, x, &y) == CCN_OK); /* the NaN spreads: documented, no UB (sanitizers) */
        after = ccn_nonfinite_count(net);
        CHECK(after > 2 && after == tn_file_nonfinite(net));
        CHECK(y != y);
        if (mi != CCN_FORWARD) { /* a NaN output cannot be learned from: refused, nothing changes */
            ccn_real target = 0;
            CHECK(ccn_learn(net, &target) == CCN_ERR_NOT_FINITE);
        }
        ccn_destroy(net);
    }
}

/* NaN or infinite inputs, targets, cumulants and dL/dy are refused with CCN_ERR_NOT_FINITE and
   change nothing at all: the saved file is the same before and after. */
static void test_nonfinite_inputs(void) {
    int li;
    for (li = CCN_SUPERVISED; li <= CCN_TD; ++li) {
        ccn_config c = tu_config(CCN_GATED, CCN_COLOR, 0, 0.0, 4, 2, 1);
        ccn_net *net;
        ccn_real x[2] = {CCN_R(0.5), CCN_R(-0.5)}, y = 0, bad[4], e;
        size_t size;
        unsigned char *before, *after;
        int k;
        c.learner = li;
        c.input_norm_rate = 0.9; /* statistics that a NaN would poison for good */
        c.step_size = 0.1;
        net = tu_create(&c);
        bad[0] = (ccn_real)NAN;
        bad[1] = (ccn_real)INFINITY;
        bad[2] = -(ccn_real)INFINITY;
        bad[3] = (ccn_real)-NAN;
        for (k = 0; k < 3; ++k)
            if (li == CCN_TD) CHECK(ccn_td_step(net, x, 1, CCN_R(0.9), &y) == CCN_OK);
            else CHECK(ccn_step(net, x, &y) == CCN_OK);
        size = ccn_saved_size(net);
        before = (unsigned char *)malloc(size);
        after = (unsigned char *)malloc(size);
        CHECK(ccn_save_to_memory(net, before, size, NULL) == CCN_OK);
        for (k = 0; k < 8; ++k) {
            ccn_real xb[2];
            xb[0] = x[0];
            xb[1] = x[1];
            xb[k % 2] = bad[k / 2];
            CHECK(ccn_step(net, xb, &y) == CCN_ERR_NOT_FINITE);
            if (li == CCN_TD) {
                CHECK(ccn_td_step(net, xb, 0, CCN_R(0.9), &y) == CCN_ERR_NOT_FINITE);
                CHECK(ccn_td_step(net, x, bad[k / 2], CCN_R(0.9), &y) == CCN_ERR_NOT_FINITE);
            } else {
                e = bad[k / 2];
                CHECK(ccn_learn(net, &e) == CCN_ERR_NOT_FINITE);
                CHECK(ccn_learn_with_error(net, &e) == CCN_ERR_NOT_FINITE);
            }
        }
        CHECK(ccn_save_to_memory(net, after, size, NULL) == CCN_OK);
        CHECK(memcmp(before, after, size) == 0);
        CHECK(ccn_step_count(net) == 3 && ccn_nonfinite_count(net) == 0);
        free(before);
        free(after);
        ccn_destroy(net);
    }
}

/* Forced divergence: the largest step size (and, for RMSProp and Adam, whose steps are
   normalised, targets near the top of the real's range, so that the squared gradient
   overflows). Without the guard the parameters fill with non-finite values. With
   refuse_nonfinite every refused update returns CCN_ERR_DIVERGED and changes neither the
   parameters nor the optimiser (checked bit for bit), and no parameter ever stops being
   finite. Every optimiser, both gradient methods, both learners. */
static void test_divergence_guard(void) {
    int oi, mi, li;
    for (oi = CCN_SGD; oi <= CCN_ADAM; ++oi)
        for (mi = CCN_COLOR; mi <= CCN_RTRL; ++mi)
            for (li = CCN_SUPERVISED; li <= CCN_TD; ++li) {
                ccn_config c = tu_config(CCN_TANH, mi, 0, 0.0, 3, 2, 1);
                ccn_net *guarded, *free_net;
                double big = oi == CCN_SGD ? 1.0 : (TU_DOUBLE ? 1e300 : 1e37);
                int t, refused = 0, finite_always = 1, unchanged = 1, other_errors = 0;
                size_t p;
                ccn_real *keep;
                c.optimizer = oi;
                c.learner = li;
                c.td_lambda = 0.9;
                c.step_size = 1e30;
                free_net = tu_create(&c);
                c.refuse_nonfinite = 1;
                guarded = tu_create(&c);
                p = ccn_param_count(guarded);
                keep = tu_reals(3 * p);
                for (t = 0; t < 200; ++t) {
                    ccn_real x[2], target = (ccn_real)(t % 2 ? big : -big), y;
                    const ccn_real *m, *v;
                    ccn_result r;
                    x[0] = (ccn_real)(t % 3) - CCN_R(1);
                    x[1] = CCN_R(0.5);
                    ccn_optimizer_state(guarded, &m, &v);
                    if (li == CCN_TD) {
                        ccn_td_step(free_net, x, target, CCN_R(0.9), &y);
                    } else {
                        ccn_step(free_net, x, &y);
                        ccn_learn(free_net, &target);
                        CHECK(ccn_step(guarded, x, &y) == CCN_OK);
                    }
                    memcpy(keep, ccn_params(guarded), p * sizeof(ccn_real));
                    if (m) memcpy(keep + p, m, p * sizeof(ccn_real));
                    if (v) memcpy(keep + 2 * p, v, p * sizeof(ccn_real));
                    r = li == CCN_TD ? ccn_td_step(guarded, x, target, CCN_R(0.9), &y) : ccn_learn(guarded, &target);
                    if (r == CCN_ERR_DIVERGED) {
                        ++refused;
                        if (memcmp(keep, ccn_params(guarded), p * sizeof(ccn_real)) != 0 ||
                            (m && memcmp(keep + p, m, p * sizeof(ccn_real)) != 0) ||
                            (v && memcmp(keep + 2 * p, v, p * sizeof(ccn_real)) != 0))
                            unchanged = 0;
                    } else if (r != CCN_OK && r != CCN_ERR_NOT_FINITE) {
                        ++other_errors;
                    }
                    if (tu_count_nonfinite(ccn_params(guarded), p)) finite_always = 0;
                }
                if (!refused || (!TU_EXCESS_PRECISION && !tu_count_nonfinite(ccn_params(free_net), p)))
                    printf("    optimizer %d method %d learner %d: %d refused, unguarded %lu non-finite\n", oi, mi, li,
                           refused, (unsigned long)tu_count_nonfinite(ccn_params(free_net), p));
                CHECK(refused > 0 && unchanged && finite_always && other_errors == 0);
                /* it did diverge; in excess precision the squares need not overflow */
                CHECK(tu_count_nonfinite(ccn_params(free_net), p) > 0 || TU_EXCESS_PRECISION);
                CHECK(ccn_nonfinite_count(free_net) > 0 || TU_EXCESS_PRECISION);
                free(keep);
                ccn_destroy(guarded);
                ccn_destroy(free_net);
            }
    if (TU_EXCESS_PRECISION)
        printf("    excess precision (FLT_EVAL_METHOD %d): whether the unguarded nets diverge is not checked\n",
               (int)FLT_EVAL_METHOD);
}

/* ---- threads -------------------------------------------------------------------------------- */

typedef struct tn_job {
    ccn_net *net;
    int steps;
    ccn_real *y;
} tn_job;

static void *tn_run(void *arg) {
    tn_job *j = (tn_job *)arg;
    const ccn_config *c = ccn_get_config(j->net);
    int t, k;
    for (t = 0; t < j->steps; ++t) {
        ccn_real x[4], target = (ccn_real)(t % 7 == 3);
        for (k = 0; k < c->n_inputs; ++k) x[k] = (ccn_real)((t + k) % 5) * CCN_R(0.25) - CCN_R(0.5);
        if (c->learner == CCN_TD) {
            ccn_td_step(j->net, x, target, CCN_R(0.9), j->y + t);
        } else {
            ccn_step(j->net, x, j->y + t);
            ccn_learn(j->net, &target);
        }
    }
    return NULL;
}

/* Two nets stepped at the same time in two threads produce exactly the outputs and the saved
   bits they produce one after the other (nets share nothing: THREADS in ccn.h). */
static void test_two_threads_bit_identical(void) {
    enum { T = 3000 };
    ccn_config ca = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 12, 4, 1), cb = tu_config(CCN_GATED, CCN_RTRL, 1, 1.0, 4, 3, 1);
    ccn_net *seq[2], *par[2];
    tn_job jobs[2];
    pthread_t tid[2];
    ccn_real *y = tu_reals(4 * T);
    int k, started = 0;
    ca.learner = CCN_TD;
    ca.td_lambda = 0.9;
    ca.optimizer = CCN_RMSPROP;
    ca.step_size = 0.01;
    ca.columns_per_stage = 4;
    ca.steps_per_stage = 1000;
    ca.input_norm_rate = 0.999;
    cb.optimizer = CCN_ADAM;
    cb.step_size = 0.01;
    for (k = 0; k < 2; ++k) { /* one after the other */
        seq[k] = tu_create(k ? &cb : &ca);
        jobs[k].net = seq[k];
        jobs[k].steps = T;
        jobs[k].y = y + k * T;
        tn_run(&jobs[k]);
    }
    for (k = 0; k < 2; ++k) { /* at the same time */
        par[k] = tu_create(k ? &cb : &ca);
        jobs[k].net = par[k];
        jobs[k].y = y + (2 + k) * T;
        if (pthread_create(&tid[k], NULL, tn_run, &jobs[k]) == 0) ++started;
    }
    for (k = 0; k < started; ++k) pthread_join(tid[k], NULL);
    CHECK(started == 2);
    for (k = 0; k < 2; ++k) {
        size_t s = ccn_saved_size(seq[k]);
        unsigned char *a = (unsigned char *)malloc(s), *b = (unsigned char *)malloc(s);
        CHECK(memcmp(y + k * T, y + (2 + k) * T, T * sizeof(ccn_real)) == 0);
        CHECK(ccn_save_to_memory(seq[k], a, s, NULL) == CCN_OK && ccn_save_to_memory(par[k], b, s, NULL) == CCN_OK);
        CHECK(memcmp(a, b, s) == 0);
        CHECK(ccn_step_count(par[k]) == T);
        free(a);
        free(b);
        ccn_destroy(seq[k]);
        ccn_destroy(par[k]);
    }
    free(y);
}
