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
    at = TS_HEAD + 4 * (size_t)ccn_get_config(net)->n_columns;
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
        if (rs == 8) { /* the build's own size: each branch copies into a real of the file's size */
            double d;
            memcpy(&d, &bits, sizeof d);
            v = (ccn_real)d;
        } else {
            float fl;
            uint32_t b32 = (uint32_t)bits;
            memcpy(&fl, &b32, sizeof fl);
            v = (ccn_real)fl;
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
   normalised and whose moments saturate, targets and readout weights near the top of the real's
   range, so that dL/dh, the error times a weight, or TD's prediction, overflows and the
   direction itself is not finite). Without the guard the parameters fill with non-finite
   values. With
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
                c.td_lambda = li == CCN_TD ? 0.9 : 0.0;
                c.step_size = 1e30;
                free_net = tu_create(&c);
                c.refuse_nonfinite = 1;
                guarded = tu_create(&c);
                p = ccn_param_count(guarded);
                if (oi != CCN_SGD) { /* TD: weights that make the prediction overflow, and so delta */
                    double w = li == CCN_TD ? (TU_DOUBLE ? 1e308 : 3e38) : big;
                    size_t k;
                    for (k = ccn_readout_offset(guarded); k < p; ++k)
                        ccn_params(guarded)[k] = ccn_params(free_net)[k] = (ccn_real)w;
                }
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

/* ---- bounds on the update, saturated moments, trace growth (issue 14) ---------------------- */

#include "file_v1.h"

/* RMSProp's and Adam's rules at the edge of the real's range: directions of 1e30 (in double
   also 1e200, past where a square overflows) up to the largest finite real, moments from 0 to
   the largest finite real, betas from 0 to the largest below 1: every moment they write is
   finite, and every parameter where the moments start within U and U^2 (Adam's step multiplies
   them by c1 and c2); where v starts at most U^2 the step is at most alpha / sqrt(1 - beta), as the
   exact rule's; repeated at the edge, v and m stay within a few ulps of U^2 and U; and for
   ordinary directions the bits are those of the rules without saturation. */
static void test_moments_saturate(void) {
    const ccn_real top = TU_DOUBLE ? (ccn_real)1.7976931348623157e308 : (ccn_real)3.40282346638528859812e38f;
    const ccn_real U = CCN__U_MAX, V = CCN__U_MAX * CCN__U_MAX;
    const ccn_real us[6] = {CCN_R(1e30), CCN_R(-1e30), TU_DOUBLE ? (ccn_real)1e200 : CCN_R(1e38), top, -top, U};
    const ccn_real vs[5] = {0, 1, V, top / 2, top};
    ccn_real betas[6] = {CCN_R(0.9999), CCN_R(0.999), CCN_R(0.9), CCN_R(0.3), 0, 0};
    const ccn_real alpha = CCN_R(1e-3), eps = CCN_R(1e-8), th0 = CCN_R(0.5);
    int i, j, k, bad = 0, slow = 0, wrong_bits = 0;
    ccn_real worst_v = 0, worst_m = 0;
    betas[5] = 1 - (TU_DOUBLE ? (ccn_real)1.1102230246251565e-16 : CCN_R(5.9604644775390625e-8)); /* 1 - 2^-53, 1 - 2^-24 */
    for (i = 0; i < 6; ++i)
        for (j = 0; j < 5; ++j)
            for (k = 0; k < 6; ++k) {
                ccn_real beta = betas[k], v = vs[j], m = vs[j] > top / 4 ? top : vs[j], t;
                t = ccn__rmsprop(th0, &v, us[i], alpha, beta, eps);
                bad += !(t - t == 0) || !(v - v == 0);
                if (vs[j] <= V && !((double)CCN__FABS(t - th0) <= (double)alpha / sqrt(1.0 - (double)beta) * 1.001 + 1e-6))
                    ++slow;
                v = vs[j];
                t = ccn__adam(th0, &m, &v, us[i], alpha, CCN_R(0.9), beta, CCN_R(1) / (CCN_R(1) - CCN_R(0.9)),
                              CCN_R(1) / (CCN_R(1) - beta), eps);
                /* moments past U and V, which no run makes, may overflow m c1 and v c2 in the step */
                bad += (vs[j] <= V && !(t - t == 0)) || !(v - v == 0) || !(m - m == 0);
            }
    for (k = 0; k < 6; ++k) { /* repeated at the edge, alternating signs */
        ccn_real v = 0, v2 = 0, m = 0;
        for (i = 0; i < 2000; ++i) {
            ccn_real u = i % 2 ? top : -top, th = th0;
            ccn__rmsprop(th, &v, u, alpha, betas[k], eps);
            ccn__adam(th, &m, &v2, u, alpha, betas[k], betas[k], 1, 1, eps);
            bad += !(v - v == 0) || !(v2 - v2 == 0) || !(m - m == 0);
            if ((double)v / (double)V > (double)worst_v) worst_v = (ccn_real)((double)v / (double)V);
            if ((double)v2 / (double)V > (double)worst_v) worst_v = (ccn_real)((double)v2 / (double)V);
            if ((double)CCN__FABS(m) / (double)U > (double)worst_m) worst_m = (ccn_real)((double)CCN__FABS(m) / (double)U);
        }
    }
    for (i = 0; i < 200; ++i) { /* ordinary directions: the rules' bits without saturation */
        ccn_real u = (ccn_real)((i % 13) - 6) * (ccn_real)pow(10.0, (double)(i % 17) - 8.0), beta = betas[i % 5];
        ccn_real v = CCN_R(0.25) + (ccn_real)(i % 7), m = CCN_R(0.125) * (ccn_real)(i % 5) - CCN_R(0.25);
        ccn_real v1 = v, m1 = m, vo, mo, to, t;
        t = ccn__rmsprop(th0, &v1, u, alpha, beta, eps);
        vo = beta * v + (CCN_R(1) - beta) * u * u;
        to = th0 + alpha * u / (CCN__SQRT(vo) + eps);
        wrong_bits += memcmp(&t, &to, sizeof t) != 0 || memcmp(&v1, &vo, sizeof v) != 0;
        v1 = v;
        t = ccn__adam(th0, &m1, &v1, u, alpha, CCN_R(0.9), beta, CCN_R(1.5), CCN_R(3), eps);
        mo = CCN_R(0.9) * m + (CCN_R(1) - CCN_R(0.9)) * u;
        vo = beta * v + (CCN_R(1) - beta) * u * u;
        to = th0 + alpha * (mo * CCN_R(1.5)) / (CCN__SQRT(vo * CCN_R(3)) + eps);
        wrong_bits += memcmp(&t, &to, sizeof t) != 0 || memcmp(&v1, &vo, sizeof v) != 0 || memcmp(&m1, &mo, sizeof m) != 0;
    }
    printf("    %d non-finite, %d steps past alpha / sqrt(1 - beta), %d with other bits; repeated at the edge: "
           "v <= %.9g U^2, |m| <= %.9g U\n", bad, slow, wrong_bits, (double)worst_v, (double)worst_m);
    CHECK(bad == 0 && slow == 0 && wrong_bits == 0);
    CHECK((double)worst_v <= 1.000001 && (double)worst_m <= 1.000001);
}

/* How far a parameter's change may be from the rule's, computed in double: a few units of the
   rule's own rounding, and the rounding of the parameter it is added to. */
static double th_tolerance(double want, ccn_real th) {
    return (TU_DOUBLE ? 1e-9 : 1e-4) * fabs(want) + (TU_DOUBLE ? 2.3e-16 : 1.2e-7) * fabs((double)th) + 1e-300;
}

/* Before and after one learning call: the parameters, and the change of each. */
static double th_change(const ccn_real *before, const ccn_net *net, size_t k) {
    return (double)ccn_params((ccn_net *)(uintptr_t)net)[k] - (double)before[k];
}

/* clip_norm: the direction u is scaled to length clip_norm when longer, before the optimiser.
   Supervised SGD through ccn_learn_step (u = -gradient, taken from a copy of the net); TD with
   RMSProp (u = delta E, E and delta read after the step): every parameter (and v) moves as the
   rule along the clipped u says; some steps are clipped, some not. A clip_norm above every
   norm gives the bits of the net without it. */
static void test_clip_norm(void) {
    int li, clipped = 0, unclipped = 0, t;
    double worst = 0;
    for (li = CCN_SUPERVISED; li <= CCN_TD; ++li) {
        ccn_config c = tu_config(CCN_GATED, CCN_COLOR, 0, 0.0, 4, 3, 1);
        ccn_net *net;
        size_t p, k;
        ccn_real *before, *vbefore, *g;
        c.learner = li;
        c.td_lambda = li == CCN_TD ? 0.8 : 0.0;
        c.optimizer = li == CCN_TD ? CCN_RMSPROP : CCN_SGD;
        c.step_size = li == CCN_TD ? 0.01 : 0.1;
        c.clip_norm = li == CCN_TD ? 0.3 : 0.5;
        net = tu_create(&c);
        tu_randomize(net, 3, 0.8);
        p = ccn_param_count(net);
        before = tu_reals(p);
        vbefore = tu_reals(p);
        g = tu_reals(p);
        for (t = 0; t < 60; ++t) {
            ccn_real x[3], y, target = (ccn_real)(t % 3) - 1, u;
            double norm = 0, r, dn = 0;
            const ccn_real *m1, *v1;
            x[0] = (ccn_real)(t % 5) * CCN_R(0.5) - 1;
            x[1] = (ccn_real)(t % 2);
            x[2] = CCN_R(0.3);
            memcpy(before, ccn_params(net), p * sizeof(ccn_real));
            ccn_optimizer_state(net, &m1, &v1);
            if (v1) memcpy(vbefore, v1, p * sizeof(ccn_real));
            if (li == CCN_SUPERVISED) {
                ccn_net *twin;
                ccn_real e;
                CHECK(ccn_copy(net, NULL, &twin) == CCN_OK);
                CHECK(ccn_step(twin, x, &y) == CCN_OK);
                e = y - target;
                memset(g, 0, p * sizeof(ccn_real));
                CHECK(ccn_accumulate_gradient(twin, &e, g) == CCN_OK);
                ccn_destroy(twin);
                for (k = 0; k < p; ++k) g[k] = -g[k]; /* u */
                CHECK(ccn_learn_step(net, x, &target, &y) == CCN_OK);
            } else {
                CHECK(ccn_td_step(net, x, target, CCN_R(0.9), &y) == CCN_OK);
                if (t == 0) continue;
                for (k = 0; k < p; ++k) g[k] = ccn_td_error(net) * ccn_eligibility(net)[k];
            }
            for (k = 0; k < p; ++k) norm += (double)g[k] * (double)g[k];
            norm = sqrt(norm);
            r = norm > c.clip_norm ? c.clip_norm / norm : 1.0;
            if (r < 1) ++clipped;
            else ++unclipped;
            for (k = 0; k < p; ++k) {
                double want, d = th_change(before, net, k);
                u = (ccn_real)((double)g[k] * r);
                if (li == CCN_SUPERVISED) {
                    want = c.step_size * (double)u;
                } else {
                    double v = 0.9999 * (double)vbefore[k] + 0.0001 * (double)u * (double)u; /* beta 0.9999 */
                    const ccn_real *m2, *v2;
                    ccn_optimizer_state(net, &m2, &v2);
                    dn = fabs((double)v2[k] - v) / (v > 1e-30 ? v : 1e-30);
                    if (dn > worst) worst = dn;
                    want = c.step_size * (double)u / (sqrt(v) + 1e-8);
                }
                dn = fabs(d - want) / th_tolerance(want, before[k]);
                if (dn > worst) worst = dn;
            }
        }
        free(before);
        free(vbefore);
        free(g);
        ccn_destroy(net);
    }
    printf("    %d updates clipped, %d not; worst difference from the rule along the clipped u: %.2g of the tolerance\n",
           clipped, unclipped, worst);
    CHECK(clipped > 10 && unclipped > 10);
    CHECK(worst < 1);
    { /* never reached: the bits of the net without it (ccn_learn_step's two calls are its one) */
        ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 3, 2, 1);
        ccn_net *a, *b;
        c.optimizer = CCN_ADAM;
        c.step_size = 0.01;
        a = tu_create(&c);
        c.clip_norm = 1e30;
        b = tu_create(&c);
        for (t = 0; t < 50; ++t) {
            ccn_real x[2], target = (ccn_real)(t % 4 == 1), ya, yb;
            x[0] = (ccn_real)(t % 3) - 1;
            x[1] = CCN_R(0.5);
            CHECK(ccn_learn_step(a, x, &target, &ya) == CCN_OK && ccn_learn_step(b, x, &target, &yb) == CCN_OK);
            CHECK(memcmp(&ya, &yb, sizeof ya) == 0);
        }
        CHECK(memcmp(ccn_params(a), ccn_params(b), ccn_param_count(a) * sizeof(ccn_real)) == 0);
        ccn_destroy(a);
        ccn_destroy(b);
    }
}

/* The bounds' norms do not depend on how a parallel-for splits the columns: TD with clip_norm
   and ObGD, supervised RTRL with clip_norm, 40 columns in chunks through ccn_set_parallel, give
   the bits of the single-threaded net. */
static void test_bounds_parallel_bit_identical(void) {
    int li;
    for (li = CCN_SUPERVISED; li <= CCN_TD; ++li) {
        ccn_config c = tu_config(CCN_TANH, li == CCN_TD ? CCN_COLOR : CCN_RTRL, 0, 0.0, 40, 3, 1);
        ccn_net *a, *b;
        tu_runner run;
        int t;
        c.learner = li;
        c.td_lambda = li == CCN_TD ? 0.9 : 0.0;
        c.step_size = 0.05;
        c.clip_norm = 0.01;
        c.obgd_kappa = li == CCN_TD ? 2.0 : 0.0;
        c.n_workers = 4;
        a = tu_create(&c);
        b = tu_create(&c);
        tu_randomize(a, 6, 0.5);
        tu_randomize(b, 6, 0.5);
        run.workers = 4;
        run.calls = run.tasks = 0;
        ccn_set_parallel(b, tu_backwards, &run);
        for (t = 0; t < 30; ++t) {
            ccn_real x[3], target = (ccn_real)(t % 3) - 1, ya, yb;
            x[0] = (ccn_real)(t % 5) * CCN_R(0.5) - 1;
            x[1] = (ccn_real)(t % 2);
            x[2] = CCN_R(0.3);
            if (li == CCN_TD) {
                CHECK(ccn_td_step(a, x, target, CCN_R(0.9), &ya) == CCN_OK && ccn_td_step(b, x, target, CCN_R(0.9), &yb) == CCN_OK);
            } else {
                CHECK(ccn_learn_step(a, x, &target, &ya) == CCN_OK && ccn_learn_step(b, x, &target, &yb) == CCN_OK);
            }
        }
        CHECK(run.tasks > run.calls); /* it did split */
        CHECK(memcmp(ccn_params(a), ccn_params(b), ccn_param_count(a) * sizeof(ccn_real)) == 0);
        ccn_destroy(a);
        ccn_destroy(b);
    }
}

/* ObGD (obgd_kappa, TD with SGD): every parameter moves by alpha' delta E, alpha' = alpha /
   max(1, alpha kappa max(|delta|, 1) |E|_1), the bound of Elsayed, Vasan and Mahmood (2024), taken
   from E and delta as the call leaves them; some steps bounded, some not. */
static void test_obgd(void) {
    ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 4, 3, 1);
    ccn_net *net;
    size_t p, k;
    ccn_real *before;
    int t, bounded = 0, free_steps = 0;
    double worst = 0;
    c.learner = CCN_TD;
    c.td_lambda = 0.9;
    c.step_size = 0.05;
    c.obgd_kappa = 2.0;
    net = tu_create(&c);
    tu_randomize(net, 4, 0.8);
    p = ccn_param_count(net);
    before = tu_reals(p);
    for (t = 0; t < 80; ++t) {
        ccn_real x[3], y;
        double l1 = 0, delta, M, a;
        x[0] = (ccn_real)(t % 5) * CCN_R(0.5) - 1;
        x[1] = (ccn_real)(t % 2);
        x[2] = t < 40 ? CCN_R(0.1) : CCN_R(3); /* the second half with larger traces */
        memcpy(before, ccn_params(net), p * sizeof(ccn_real));
        CHECK(ccn_td_step(net, x, (ccn_real)(t % 4 == 0), t % 20 == 19 ? CCN_R(0) : CCN_R(0.9), &y) == CCN_OK);
        if (t == 0) continue;
        delta = (double)ccn_td_error(net);
        for (k = 0; k < p; ++k) l1 += fabs((double)ccn_eligibility(net)[k]);
        M = c.step_size * c.obgd_kappa * (fabs(delta) > 1 ? fabs(delta) : 1) * l1;
        a = M > 1 ? c.step_size / M : c.step_size;
        if (M > 1) ++bounded;
        else ++free_steps;
        for (k = 0; k < p; ++k) {
            double want = a * delta * (double)ccn_eligibility(net)[k], d = th_change(before, net, k);
            double e = fabs(d - want) / th_tolerance(want, before[k]);
            if (e > worst) worst = e;
        }
    }
    printf("    %d steps bounded, %d not; worst difference from ObGD's step: %.2g of the tolerance\n", bounded, free_steps, worst);
    CHECK(bounded > 5 && free_steps > 5);
    CHECK(worst < 1);
    free(before);
    ccn_destroy(net);
}

/* The new settings are checked like the others, and the divergence message names the moments. */
static void test_bound_settings(void) {
    ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1), r;
    const char *field = NULL;
    const double bad[4] = {-1.0, (double)NAN, (double)INFINITY, 1e31};
    int k;
    for (k = 0; k < 4; ++k) {
        c.clip_norm = bad[k];
        CHECK(ccn_config_resolve(&c, &r) == CCN_ERR_BAD_OPTIMIZER);
        c.clip_norm = 0;
        c.learner = CCN_TD;
        c.obgd_kappa = bad[k];
        CHECK(ccn_config_resolve(&c, &r) == CCN_ERR_BAD_OPTIMIZER);
        c.obgd_kappa = 0;
        c.learner = 0;
    }
    c.clip_norm = 1e30;
    CHECK(ccn_config_resolve(&c, &r) == CCN_OK && r.clip_norm == 1e30 && r.obgd_kappa == 0);
    c.obgd_kappa = 2; /* ObGD is TD's, with SGD: elsewhere the setting would go unused */
    CHECK(ccn_config_resolve(&c, &r) == CCN_ERR_UNUSED_SETTING);
    c.learner = CCN_TD;
    CHECK(ccn_config_resolve(&c, &r) == CCN_OK);
    c.optimizer = CCN_RMSPROP;
    CHECK(ccn_config_check(&c, &field) == CCN_ERR_UNUSED_SETTING && field && !strcmp(field, "obgd_kappa"));
    c.optimizer = CCN_SGD;
    c.obgd_kappa = -1;
    CHECK(ccn_config_check(&c, &field) == CCN_ERR_BAD_OPTIMIZER && field && !strcmp(field, "obgd_kappa"));
    c.obgd_kappa = 0;
    c.clip_norm = -1;
    CHECK(ccn_config_check(&c, &field) == CCN_ERR_BAD_OPTIMIZER && field && !strcmp(field, "clip_norm"));
    CHECK(strstr(ccn_result_string(CCN_ERR_DIVERGED), "a parameter or an optimiser moment") != NULL);
}

/* A beta accepted in a double must stay below 1 as a float too: Adam's bias correction
   1 / (1 - beta^t) is infinite at 1 (every parameter NaN after one update), RMSProp's v never
   moves. So every build takes the betas in [0, 1 - 2^-24], and a file keeps its meaning in the
   other precision. */
static void test_betas_below_one_as_floats(void) {
    static const double too_close[3] = {1 - 1e-11, 0.99999999999999989, 0.99999994039535533};
    int k, which;
    for (which = 0; which < 3; ++which)
        for (k = 0; k < 3; ++k) {
            ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 1, 1, 1), r;
            const char *field = NULL;
            c.optimizer = which == 0 ? CCN_RMSPROP : CCN_ADAM;
            if (which == 0) c.rms_beta = too_close[k];
            else if (which == 1) c.adam_beta1 = too_close[k];
            else c.adam_beta2 = too_close[k];
            CHECK(ccn_config_check(&c, &field) == CCN_ERR_BAD_OPTIMIZER && field != NULL);
            CHECK(ccn_config_resolve(&c, &r) == CCN_ERR_BAD_OPTIMIZER);
        }
    { /* the largest accepted: an Adam net with both betas at it stays finite */
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 1, 1, 1);
        ccn_net *net;
        int t;
        c.optimizer = CCN_ADAM;
        c.step_size = 0.01;
        c.adam_beta1 = c.adam_beta2 = 0.99999994039535522;
        net = tu_create(&c);
        for (t = 0; t < 20; ++t) {
            ccn_real x = (ccn_real)(t % 3), target = CCN_R(0.5);
            CHECK(ccn_learn_step(net, &x, &target, NULL) == CCN_OK);
        }
        CHECK(ccn_nonfinite_count(net) == 0);
        ccn_destroy(net);
    }
}

/* ccn_trace_max: the largest |dh_i/dtheta| the net keeps, as the state gradient with a one-hot
   dL/dh reads them (ColoR's traces, exact RTRL's sensitivities); a NaN in them, NaN; 0 without
   traces. */
static void test_trace_max(void) {
    int mi;
    for (mi = CCN_COLOR; mi <= CCN_FORWARD; ++mi) {
        ccn_config c = tu_config(CCN_GATED, mi, 0, mi == CCN_RTRL ? 1.0 : 0.0, 4, 3, 1);
        ccn_net *net = tu_create(&c);
        size_t p = ccn_param_count(net), k;
        ccn_real *g = tu_reals(p), dh[4], most = 0, x[3] = {CCN_R(0.5), CCN_R(-2), CCN_R(1)}, y;
        int i, t;
        tu_randomize(net, 9, 1.5);
        for (t = 0; t < 20; ++t) {
            x[0] = (ccn_real)(t % 3) - 1;
            CHECK(ccn_step(net, x, &y) == CCN_OK);
        }
        if (mi != CCN_FORWARD)
            for (i = 0; i < 4; ++i) {
                memset(g, 0, p * sizeof(ccn_real));
                memset(dh, 0, sizeof dh);
                dh[i] = 1;
                CHECK(ccn_accumulate_state_gradient(net, dh, g) == CCN_OK);
                for (k = 0; k < p; ++k)
                    if (CCN__FABS(g[k]) > most) most = CCN__FABS(g[k]);
            }
        CHECK(ccn_trace_max(net) == most && (mi == CCN_FORWARD || most > 0));
        if (mi != CCN_FORWARD) {
            ccn_params(net)[1] = (ccn_real)NAN;
            CHECK(ccn_step(net, x, &y) == CCN_OK);
            most = ccn_trace_max(net);
            CHECK(most != most);
        }
        free(g);
        ccn_destroy(net);
    }
}

/* ---- the bits of the default path ------------------------------------------------------------ */

static uint64_t tp_fnv(uint64_t h, const void *data, size_t n) {
    const unsigned char *b = (const unsigned char *)data;
    size_t k;
    for (k = 0; k < n; ++k) h = (h ^ b[k]) * 0x100000001B3ull;
    return h;
}
/* Configuration i of the pinned runs: every optimiser with both learners and both methods. */
static ccn_config tp_config(int i) {
    ccn_config c;
    memset(&c, 0, sizeof c);
    c.n_inputs = 3;
    c.n_columns = 5;
    c.kind = CCN_TANH + i % 3;
    c.method = i % 4 == 3 ? CCN_RTRL : CCN_COLOR;
    c.learner = i % 2 ? CCN_TD : CCN_SUPERVISED;
    c.td_lambda = c.learner == CCN_TD ? 0.8 : 0.0;
    c.optimizer = CCN_SGD + i / 2 % 3;
    c.step_size = 0.01;
    c.links = i % 5 == 4 ? 1.0 : 0.0;
    c.feature_layers = i % 6 == 5 ? 1 : 0;
    c.feature_width = c.feature_layers ? 2 : 0;
    c.seed = 1000u + (uint64_t)i;
    return c;
}
/* 300 steps (ccn_learn_step or ccn_td_step): the hash of every output, then of the parameters
   and the optimiser's moments. */
static uint64_t tp_run(int i) {
    ccn_config c = tp_config(i);
    ccn_net *net;
    uint64_t h = 0xCBF29CE484222325ull;
    const ccn_real *m, *v;
    int t, j;
    if (ccn_create(&c, NULL, &net) != CCN_OK) return 0;
    for (t = 0; t < 300; ++t) {
        ccn_real x[3], y = 0, target = (ccn_real)((t * 7) % 5) * CCN_R(0.25) - CCN_R(0.5);
        for (j = 0; j < 3; ++j) x[j] = (ccn_real)((t * (j + 2)) % 9) * CCN_R(0.2) - CCN_R(0.8);
        if (c.learner == CCN_TD) ccn_td_step(net, x, target, t % 50 == 49 ? CCN_R(0) : CCN_R(0.9), &y);
        else ccn_learn_step(net, x, &target, &y);
        h = tp_fnv(h, &y, sizeof y);
    }
    h = tp_fnv(h, ccn_params(net), ccn_param_count(net) * sizeof(ccn_real));
    ccn_optimizer_state(net, &m, &v);
    if (m) h = tp_fnv(h, m, ccn_param_count(net) * sizeof(ccn_real));
    if (v) h = tp_fnv(h, v, ccn_param_count(net) * sizeof(ccn_real));
    ccn_destroy(net);
    return h;
}

/* Nets without the bounds keep the bits they had before them (v0.4.0, commit a4a665d, whose
   ccn.h printed these hashes for tp_run): outputs, parameters and moments of SGD, RMSProp and
   Adam, supervised and TD, ColoR and exact RTRL, with links and feature layers in some. */
static void test_default_bits_pinned(void) {
#ifdef CCN_DOUBLE
    static const uint64_t want[12] = {
        0x61276BD35EB964F0ull, 0xD9AF8E4B1243B02Eull, 0xC39BE018F73E72A3ull, 0x8B589ADC7C76BBB6ull,
        0x7B05FB9F1E3F6DF3ull, 0x89F080F58EF1545Full, 0x6170C6C63C207D5Bull, 0x4B132A994BDE3151ull,
        0x5ECBF3E464E80A94ull, 0xDC4DB23C7E80FAB7ull, 0x13AE27E9F18420EFull, 0xCF9617DA751B0185ull};
#else
    static const uint64_t want[12] = {
        0x269BE2F5D0233FACull, 0xDCF1B6BA3505DAD7ull, 0x85D0F725AAE2E706ull, 0xBFFADA3B0796D202ull,
        0xBD7B2E4472A624AFull, 0xD4CBDBCC9DAD6288ull, 0x0BD5B1E1001AB68Dull, 0x8D7A93069A5A79C5ull,
        0x6434A06829B46DFCull, 0x6449EF7F99479B47ull, 0xC1E83C956B71D6C0ull, 0x6C4683927F9D3090ull};
#endif
    int i, differ = 0;
    if (tu_contracts()) {
        printf("    this build contracts a * b + c: other bits by design; not compared\n");
        return;
    }
    for (i = 0; i < 12; ++i)
        if (tp_run(i) != want[i]) {
            printf("    configuration %d: other bits than v0.4.0's\n", i);
            ++differ;
        }
    CHECK(differ == 0);
}

/* ---- version-1 files -------------------------------------------------------------------------- */

/* The version-1 file's net (tests/file_v1.h): 2 inputs, 2 lstm columns, TD(lambda) with RMSProp. */
static ccn_config tp_v1_config(void) {
    ccn_config c;
    memset(&c, 0, sizeof c);
    c.n_inputs = 2;
    c.n_columns = 2;
    c.kind = CCN_LSTM;
    c.learner = CCN_TD;
    c.td_lambda = 0.9;
    c.optimizer = CCN_RMSPROP;
    c.step_size = 0.05;
    c.seed = 5;
    return c;
}
static void tp_v1_steps(ccn_net *net, int t0, int t1, ccn_real *y) {
    int t;
    for (t = t0; t < t1; ++t) {
        ccn_real x[2];
        x[0] = (ccn_real)(t % 3) * CCN_R(0.5) - CCN_R(0.5);
        x[1] = (ccn_real)(t % 4 == 1);
        CHECK(ccn_td_step(net, x, (ccn_real)(t % 5 == 2), CCN_R(0.9), y + (t - t0)) == CCN_OK);
    }
}

/* A file written by v0.4.0 (format version 1, without the bounds' fields) loads, with the bounds
   off, and continues bit for bit as the same net created and stepped here: the same outputs and
   the same saved bytes (now version 2). The other precision's version-1 file loads too. */
static void test_version1_file_loads(void) {
    const unsigned char *own = TU_DOUBLE ? tp_v1_d : tp_v1_f, *other = TU_DOUBLE ? tp_v1_f : tp_v1_d;
    size_t own_size = TU_DOUBLE ? sizeof tp_v1_d : sizeof tp_v1_f, other_size = TU_DOUBLE ? sizeof tp_v1_f : sizeof tp_v1_d;
    ccn_config c = tp_v1_config();
    ccn_net *loaded = NULL, *fresh, *converted = NULL;
    ccn_real y0[7], ya[9], yb[9];
    unsigned char *fa, *fb;
    size_t sa, sb;
    ccn_result r;
    CHECK(own[8] == 1 && other[8] == 1); /* version 1 */
    r = ccn_load_from_memory(own, own_size, NULL, &loaded);
    if (r != CCN_OK) printf("    the version-1 file: %s\n", ccn_result_string(r));
    CHECK(r == CCN_OK && loaded != NULL);
    CHECK(ccn_load_from_memory(other, other_size, NULL, &converted) == CCN_OK && converted != NULL);
    ccn_destroy(converted);
    if (!loaded) return;
    CHECK(ccn_get_config(loaded)->clip_norm == 0 && ccn_get_config(loaded)->obgd_kappa == 0);
    fresh = tu_create(&c);
    tp_v1_steps(fresh, 0, 7, y0);
    tp_v1_steps(fresh, 7, 16, ya);
    tp_v1_steps(loaded, 7, 16, yb);
    CHECK(memcmp(ya, yb, sizeof ya) == 0);
    fa = (unsigned char *)malloc(ccn_saved_size(fresh));
    fb = (unsigned char *)malloc(ccn_saved_size(loaded));
    CHECK(ccn_save_to_memory(fresh, fa, ccn_saved_size(fresh), &sa) == CCN_OK);
    CHECK(ccn_save_to_memory(loaded, fb, ccn_saved_size(loaded), &sb) == CCN_OK);
    CHECK(sa == sb && memcmp(fa, fb, sa) == 0 && fa[8] == 2 && sa == own_size + 16);
    free(fa);
    free(fb);
    ccn_destroy(fresh);
    ccn_destroy(loaded);
}

/* A version-1 file may hold settings v0.4.0 ignored and ccn_create now refuses as unused: they
   had no effect, so the loader sets them to what an unset field resolves to, and the net loads.
   Version 1 kept no flag of what was learned from: a net that has stepped may take gradients,
   and learns again from its next step. In the float build, the loaded net continues bit for bit
   as the same net created without those settings. */
static void tp_v1_unused_steps(ccn_net *net, int t0, int t1, ccn_real *y) {
    int t;
    for (t = t0; t < t1; ++t) {
        ccn_real x[2], target = (ccn_real)(t == 1);
        x[0] = (ccn_real)t * CCN_R(0.5) - CCN_R(0.5);
        x[1] = (ccn_real)(t % 2);
        CHECK(ccn_learn_step(net, x, &target, y + (t - t0)) == CCN_OK);
    }
}
static void test_version1_unused_settings(void) {
    ccn_config c;
    ccn_net *loaded = NULL, *fresh;
    ccn_real y0[3], ya[6], yb[6], one = 1;
    ccn_result r = ccn_load_from_memory(tp_v1_unused_f, sizeof tp_v1_unused_f, NULL, &loaded);
    if (r != CCN_OK) printf("    the version-1 file with unused settings: %s\n", ccn_result_string(r));
    CHECK(r == CCN_OK && loaded != NULL);
    if (!loaded) return;
    CHECK(ccn_get_config(loaded)->td_lambda == 0 && ccn_get_config(loaded)->rms_beta == 0.9999 &&
          ccn_get_config(loaded)->steps_per_stage == 0);
    CHECK(ccn_accumulate_gradient(loaded, &one, NULL) == CCN_OK); /* it has stepped */
    CHECK(ccn_learn(loaded, &one) == CCN_ERR_NO_STEP);            /* but learns from its next step */
    memset(&c, 0, sizeof c);
    c.n_inputs = 2;
    c.n_columns = 2;
    c.kind = CCN_GATED;
    c.step_size = 0.05;
    c.seed = 9;
    fresh = tu_create(&c);
    tp_v1_unused_steps(fresh, 0, 3, y0);
    tp_v1_unused_steps(fresh, 3, 9, ya);
    tp_v1_unused_steps(loaded, 3, 9, yb);
    if (!TU_DOUBLE) CHECK(memcmp(ya, yb, sizeof ya) == 0);
    ccn_destroy(fresh);
    ccn_destroy(loaded);
}

/* ---- the report's case: a noisy sine, the target its input 10 steps back ---------------------- */

/* 16 gated columns, Adam at 0.001, 200,000 steps of x(t) = sin(2 pi t / 40) + uniform noise of
   standard deviation 0.01, target x(t - 10). Without a bound the traces grow by many orders of
   magnitude (RTRL's exploding gradients: the recurrent weights take |dh/dh'| above 1) and
   Adam's second moment with them (in float, before the moments saturated, it became infinite
   here); with clip_norm = 1 the moments stay small. Both stay finite and learn: their error
   over the last 50,000 steps is a small fraction of the zero predictor's. */
static void ts_sine_run(double clip, double *trace_max, double *v_max, double *ratio, size_t *nonfinite) {
    ccn_config c;
    ccn_net *net;
    ccn_rng rng;
    double hist[11] = {0}, se = 0, sz = 0;
    long t;
    memset(&c, 0, sizeof c);
    c.n_inputs = 1;
    c.n_columns = 16;
    c.kind = CCN_GATED;
    c.optimizer = CCN_ADAM;
    c.step_size = 0.001;
    c.seed = 1;
    c.clip_norm = clip;
    net = tu_create(&c);
    ccn_rng_seed(&rng, 7);
    *trace_max = *v_max = 0;
    for (t = 0; t < 200000; ++t) {
        double xv = sin(6.283185307179586 * (double)(t % 40) / 40.0) + 0.01 * 1.7320508075688772 * (2 * ccn_rng_uniform(&rng) - 1);
        ccn_real x = (ccn_real)xv, target, y;
        memmove(hist + 1, hist, 10 * sizeof hist[0]);
        hist[0] = xv;
        target = (ccn_real)hist[10];
        CHECK(ccn_learn_step(net, &x, &target, &y) == CCN_OK);
        if (t >= 150000) {
            se += ((double)y - (double)target) * ((double)y - (double)target);
            sz += (double)target * (double)target;
        }
        if (t % 500 == 0) {
            const ccn_real *m, *v;
            size_t k;
            double tm = (double)ccn_trace_max(net);
            if (!(tm <= *trace_max)) *trace_max = tm;
            ccn_optimizer_state(net, &m, &v);
            for (k = 0; k < ccn_param_count(net); ++k)
                if (!((double)v[k] <= *v_max)) *v_max = (double)v[k];
        }
    }
    *ratio = se / sz;
    *nonfinite = ccn_nonfinite_count(net);
    ccn_destroy(net);
}

static void test_sine_overflow_bounded(void) {
    double tm0, vm0, r0, tm1, vm1, r1;
    size_t nf0, nf1;
    ts_sine_run(0, &tm0, &vm0, &r0, &nf0);
    ts_sine_run(1, &tm1, &vm1, &r1, &nf1);
    printf("    no bound:      largest trace %.3g, second moment %.3g, %lu non-finite, error %.4f of the zero predictor's\n",
           tm0, vm0, (unsigned long)nf0, r0);
    printf("    clip_norm = 1: largest trace %.3g, second moment %.3g, %lu non-finite, error %.4f of the zero predictor's\n",
           tm1, vm1, (unsigned long)nf1, r1);
    CHECK(tm0 > 1e15 && vm0 > 1e20 && nf0 == 0); /* the explosion, finite */
    CHECK(vm1 < 10 && nf1 == 0 && r1 < 0.05);  /* bounded, and learning */
    CHECK(r0 < 0.05);
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
