/* Columnar-constructive networks: stages and cascades, freezing, normalisation, TD(lambda), the
   optimisers. Tolerances as in test_gradients.c (the same measured round-off). */
#include "util.h"

#if TU_DOUBLE
#define TC_TOL_EXACT 1e-9
#define TC_TOL_COLOR 1e-12
#else
#define TC_TOL_EXACT 1e-5
#define TC_TOL_COLOR 1e-6
#endif

static ccn_config tc_ccn(int kind, int method, int layers) {
    ccn_config c = tu_config(kind, method, layers, 0.0, 7, 3, 2);
    c.columns_per_stage = 3; /* stages of 3, 3 and 1 columns */
    return c;
}

/* The learning stage's parameters and the readout of the active columns: where the library's
   gradient lives. */
static int tc_learning(ccn_net *net, size_t k) {
    ccn_column_info ci;
    int owner = ccn_param_owner(net, k);
    if (owner < 0) return 1;
    ccn_column_info_get(net, owner, &ci);
    return ci.stage == ccn_stage(net);
}

/* In a staged net, the learning stage's ColoR gradient equals exact RTRL, and both equal the
   independent BPTT (whose net is the active columns, cascades included); frozen parameters get
   exactly nothing. Checked in every stage, every kind, feature depth 0 and 1. */
static void test_ccn_gradients_exact(void) {
    int ki, layers, stage;
    double worst_color = 0, worst_bptt = 0;
    for (ki = 0; ki < 3; ++ki)
        for (layers = 0; layers <= 1; ++layers)
            for (stage = 0; stage < 3; ++stage) {
                ccn_config c = tc_ccn(CCN_TANH + ki, CCN_COLOR, layers);
                ccn_net *a = tu_create(&c), *b;
                size_t p = ccn_param_count(a), *map, k, q;
                tu_seq s = tu_sequence(30, 3, 2, (uint64_t)(stage + 1));
                double *ga = tu_doubles(p), *gb = tu_doubles(p), *gr, *la, *lr;
                tu_ref ref;
                int st, n_learn = 0;
                c.method = CCN_RTRL;
                b = tu_create(&c);
                for (st = 0; st < stage; ++st) {
                    CHECK(ccn_next_stage(a) == CCN_OK);
                    CHECK(ccn_next_stage(b) == CCN_OK);
                }
                tu_randomize(a, (uint64_t)(9 + stage), 0.7);
                tu_randomize(b, (uint64_t)(9 + stage), 0.7);
                tu_library_gradient(a, &s, ga);
                tu_library_gradient(b, &s, gb);
                ref = tu_ref_of_active(a, &map);
                q = (size_t)ref_param_count(&ref.net);
                gr = tu_doubles(q);
                la = tu_doubles(q);
                lr = tu_doubles(q);
                ref_bptt(&ref.net, ref.theta, 30, s.x, s.target, gr);
                for (k = 0; k < q; ++k)
                    if (tc_learning(a, map[k])) {
                        la[n_learn] = ga[map[k]];
                        lr[n_learn] = gr[k];
                        ++n_learn;
                    }
                for (k = 0; k < p; ++k)
                    if (!tc_learning(a, k)) CHECK(ga[k] == 0.0 && gb[k] == 0.0);
                if (tu_rel_err(ga, gb, p) > worst_color) worst_color = tu_rel_err(ga, gb, p);
                if (tu_rel_err(la, lr, (size_t)n_learn) > worst_bptt) worst_bptt = tu_rel_err(la, lr, (size_t)n_learn);
                CHECK_LE(tu_rel_err(ga, gb, p), TC_TOL_COLOR);
                CHECK_LE(tu_rel_err(la, lr, (size_t)n_learn), TC_TOL_EXACT);
                CHECK(tu_norm(lr, (size_t)n_learn) > 1e-3);
                free(ga);
                free(gb);
                free(gr);
                free(la);
                free(lr);
                free(map);
                tu_seq_free(&s);
                tu_ref_free(&ref);
                ccn_destroy(a);
                ccn_destroy(b);
            }
    printf("    worst relative error: ColoR vs RTRL %.3g, vs BPTT %.3g\n", worst_color, worst_bptt);
}

/* With the input and readout normalisers on, ColoR still equals exact RTRL (both treat the
   statistics as constants). */
static void test_ccn_normalised_color_equals_rtrl(void) {
    int ki;
    for (ki = 0; ki < 4; ++ki) { /* every kind */
        ccn_config c = tc_ccn(CCN_TANH + ki, CCN_COLOR, 1);
        ccn_net *a, *b;
        tu_seq warm = tu_sequence(200, 3, 2, 4), s = tu_sequence(25, 3, 2, 5);
        double *ga, *gb, *dummy;
        size_t p;
        c.input_norm_rate = 0.95;
        c.feature_norm_rate = 0.9;
        a = tu_create(&c);
        c.method = CCN_RTRL;
        b = tu_create(&c);
        p = ccn_param_count(a);
        ga = tu_doubles(p);
        gb = tu_doubles(p);
        dummy = tu_doubles(p);
        tu_randomize(a, 3, 0.6);
        tu_randomize(b, 3, 0.6);
        CHECK(ccn_next_stage(a) == CCN_OK && ccn_next_stage(b) == CCN_OK);
        tu_library_gradient(a, &warm, dummy); /* statistics away from their start */
        tu_library_gradient(b, &warm, dummy);
        tu_library_gradient(a, &s, ga);
        tu_library_gradient(b, &s, gb);
        CHECK_LE(tu_rel_err(ga, gb, p), TC_TOL_COLOR);
        CHECK(tu_norm(gb, p) > 1e-3);
        free(ga);
        free(gb);
        free(dummy);
        tu_seq_free(&warm);
        tu_seq_free(&s);
        ccn_destroy(a);
        ccn_destroy(b);
    }
}

/* Stages start on schedule (every S steps), the last one smaller when d does not divide F, and
   not past the last; ccn_next_stage says so. */
static void test_stage_schedule(void) {
    ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 5, 2, 1);
    ccn_net *net;
    ccn_real x[2] = {CCN_R(0.5), CCN_R(-0.5)};
    int t;
    ccn_column_info ci;
    c.columns_per_stage = 2;
    c.steps_per_stage = 10;
    net = tu_create(&c);
    CHECK(ccn_stage_count(net) == 3 && ccn_stage(net) == 0 && ccn_active_columns(net) == 2);
    ccn_column_info_get(net, 4, &ci);
    CHECK(ci.stage == 2 && ci.cascade_len == 4 && ci.z_len == 2 + 4);
    for (t = 0; t < 10; ++t) ccn_step(net, x, NULL);
    CHECK(ccn_stage(net) == 0);
    ccn_step(net, x, NULL); /* step 10 opens stage 1 */
    CHECK(ccn_stage(net) == 1 && ccn_active_columns(net) == 4);
    CHECK(ccn_state(net)[2] != 0 && ccn_state(net)[4] == 0);
    for (t = 0; t < 30; ++t) ccn_step(net, x, NULL);
    CHECK(ccn_stage(net) == 2 && ccn_active_columns(net) == 5);
    CHECK(ccn_next_stage(net) == CCN_ERR_NO_MORE_STAGES && ccn_stage(net) == 2);
    ccn_destroy(net);
}

/* After a stage switch the earlier stages' parameters and statistics never change again, while
   their states keep changing and feeding the later stages and the readout, whose weights on
   them keep learning. */
static void test_frozen_stages_stay_frozen(void) {
    ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 6, 4, 1);
    ccn_net *net;
    ccn_rng rng;
    ccn_real *frozen = NULL, *frozen_mu = NULL, w_before = 0, h_first = 0;
    const ccn_real *mu, *var;
    ccn_column_info c2;
    size_t frozen_len = 0, ro;
    int t, j, count, h_changed = 0;
    c.columns_per_stage = 2;
    c.steps_per_stage = 100;
    c.learner = CCN_TD;
    c.td_lambda = 0.9;
    c.optimizer = CCN_RMSPROP;
    c.step_size = 0.01;
    c.input_norm_rate = 0.99;
    c.feature_norm_rate = 0.99;
    net = tu_create(&c);
    ro = ccn_readout_offset(net);
    ccn_column_info_get(net, 2, &c2);
    ccn_rng_seed(&rng, 5);
    for (t = 0; t < 300; ++t) {
        ccn_real x[4], cumulant = (ccn_real)(t % 7 == 0);
        for (j = 0; j < 4; ++j) x[j] = (ccn_real)(ccn_rng_uniform(&rng) < 0.3);
        CHECK(ccn_td_step(net, x, cumulant, CCN_R(0.9), NULL) == CCN_OK);
        if (t == 100) { /* stage 1 started at step 100: stage 0 is frozen from here on */
            CHECK(ccn_stage(net) == 1);
            frozen_len = c2.param_offset;
            frozen = tu_reals(frozen_len);
            memcpy(frozen, ccn_params(net), frozen_len * sizeof(ccn_real));
            ccn_input_stats(net, 0, &mu, &var, &count);
            CHECK(count == 4);
            frozen_mu = tu_reals(8);
            memcpy(frozen_mu, mu, 4 * sizeof(ccn_real));
            memcpy(frozen_mu + 4, var, 4 * sizeof(ccn_real));
            w_before = ccn_params(net)[ro];
            h_first = ccn_state(net)[0];
        }
        if (t > 100) {
            CHECK(memcmp(frozen, ccn_params(net), frozen_len * sizeof(ccn_real)) == 0);
            ccn_input_stats(net, 0, &mu, &var, &count);
            CHECK(memcmp(frozen_mu, mu, 4 * sizeof(ccn_real)) == 0 && memcmp(frozen_mu + 4, var, 4 * sizeof(ccn_real)) == 0);
            if (ccn_state(net)[0] != h_first) h_changed = 1;
        }
    }
    CHECK(ccn_stage(net) == 2);
    CHECK(h_changed);                         /* stage 0 still runs forward */
    CHECK(ccn_params(net)[ro] != w_before);   /* its readout weight still learns */
    { /* a frozen column still feeds the next stage: column 2's cascade weight on h_0 matters */
        ccn_config cc = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 4, 4, 1);
        ccn_net *small;
        ccn_real x[4] = {1, 0, 1, 0}, h0, h2;
        ccn_column_info ci;
        cc.columns_per_stage = 2;
        small = tu_create(&cc);
        CHECK(ccn_next_stage(small) == CCN_OK);
        ccn_column_info_get(small, 2, &ci);
        ccn_step(small, x, NULL);
        h0 = ccn_state(small)[0];
        h2 = ccn_state(small)[2];
        ccn_reset_state(small);
        ccn_params(small)[ci.gate_offset + (size_t)ci.own_len] += CCN_R(2); /* w_i on h_0 */
        ccn_step(small, x, NULL);
        CHECK(ccn_state(small)[0] == h0 && h0 != 0);
        CHECK(ccn_state(small)[2] != h2);
        ccn_destroy(small);
    }
    free(frozen);
    free(frozen_mu);
    ccn_destroy(net);
}

/* TD(lambda) with the weights held fixed (step size 0): the sum of the online updates
   delta_t E_t over each episode equals the forward view, sum_t (G^lambda_t - yhat_t) grad yhat_t,
   with the lambda-return computed offline from the cumulants and predictions; gamma = 0 at the
   boundary isolates the two episodes. Both trace kernels (gated, lstm), with and without
   feature layers (ColoR's E rides on the gate blocks' traces, features' own run included), and runs of
   every shape the kernels treat apart: under 8 (2 inputs; the feature runs), exactly 8 (6
   inputs: both windows the same), 9 to 15 (9 inputs and links), 16 and over (20 inputs).
   Worst relative error measured: 4.5e-7 in float, 1.5e-15 in double. */
static void test_td_lambda_forward_view(void) {
    const int T = 60, boundary = 35; /* x_35 starts episode 2: gamma_35 = 0 */
    const double lambda = 0.8;
    static const int widths[4] = {2, 6, 9, 20};
    int cfg;
    for (cfg = 0; cfg < 32; ++cfg) {
        int mi = cfg & 1, kind = cfg & 2 ? CCN_LSTM : CCN_GATED, layers = (cfg >> 2) & 1, m = widths[cfg >> 3];
        ccn_config c = tu_config(kind, mi ? CCN_RTRL : CCN_COLOR, layers, m == 9 ? 2.0 : 0.0, 3, m, 1);
        ccn_net *net;
        size_t p, k;
        double *grads, *yhat, *cum, *gam, *online[2], *offline[2], G = 0;
        ccn_real *theta0;
        tu_seq s = tu_sequence(T + 1, m, 1, 8);
        int t, j;
        c.learner = CCN_TD;
        c.td_lambda = lambda;
        c.input_norm_rate = 0.9;
        net = tu_create(&c);
        tu_randomize(net, 2, 0.8);
        CHECK(ccn_set_step_size(net, 0.0) == CCN_OK);
        p = ccn_param_count(net);
        theta0 = tu_reals(p);
        memcpy(theta0, ccn_params(net), p * sizeof(ccn_real));
        grads = tu_doubles(p * (size_t)(T + 1));
        yhat = tu_doubles((size_t)T + 1);
        cum = tu_doubles((size_t)T + 1);
        gam = tu_doubles((size_t)T + 1);
        for (j = 0; j < 2; ++j) {
            online[j] = tu_doubles(p);
            offline[j] = tu_doubles(p);
        }
        for (t = 0; t <= T; ++t) {
            ccn_real x[20], y, one = 1, *g = tu_reals(p);
            cum[t] = s.target[t];
            gam[t] = t == boundary ? 0.0 : 0.9;
            for (j = 0; j < m; ++j) x[j] = (ccn_real)s.x[t * m + j];
            CHECK(ccn_td_step(net, x, (ccn_real)cum[t], (ccn_real)gam[t], &y) == CCN_OK);
            yhat[t] = (double)y;
            if (t > 0) { /* the update of transition t-1 -> t: delta_{t-1} E_{t-1} */
                const ccn_real *E = ccn_eligibility(net);
                double delta = (double)ccn_td_error(net);
                for (k = 0; k < p; ++k) online[t - 1 < boundary ? 0 : 1][k] += delta * (double)E[k];
            }
            CHECK(ccn_accumulate_gradient(net, &one, g) == CCN_OK); /* grad yhat_t */
            for (k = 0; k < p; ++k) grads[(size_t)t * p + k] = (double)g[k];
            free(g);
        }
        /* forward view: G_t = c_{t+1} + gamma_{t+1} ((1 - lambda) yhat_{t+1} + lambda G_{t+1}), G_T = yhat_T */
        G = yhat[T];
        for (t = T - 1; t >= 0; --t) {
            G = cum[t + 1] + gam[t + 1] * ((1 - lambda) * yhat[t + 1] + lambda * G);
            for (k = 0; k < p; ++k) offline[t < boundary ? 0 : 1][k] += (G - yhat[t]) * grads[(size_t)t * p + k];
        }
        for (j = 0; j < 2; ++j) {
            CHECK_LE(tu_rel_err(online[j], offline[j], p), TU_DOUBLE ? 1e-12 : 1e-5);
            CHECK(tu_norm(offline[j], p) > 1e-3);
        }
        CHECK(memcmp(theta0, ccn_params(net), p * sizeof(ccn_real)) == 0); /* held fixed */
        for (j = 0; j < 2; ++j) {
            free(online[j]);
            free(offline[j]);
        }
        free(grads);
        free(yhat);
        free(cum);
        free(gam);
        free(theta0);
        tu_seq_free(&s);
        ccn_destroy(net);
    }
}

/* The normalisers follow their recurrences exactly (the test replays them in the same
   precision), the forward pass uses the statistics from before the step, a frozen stage keeps
   its copy; a rate of 1 gives the plain network bit for bit. */
static void test_normalisation_statistics(void) {
    ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1);
    ccn_net *net;
    const ccn_real r = CCN_R(0.9), rf = CCN_R(0.8), fl = CCN_R(0.05);
    ccn_real mu[4] = {0, 0, 0, 0}, var[4] = {1, 1, 1, 1}, fmu[2] = {0, 0}, fvar[2] = {1, 1};
    const ccn_real *m_lib, *v_lib, *fm_lib, *fv_lib;
    ccn_rng rng;
    int t, j, count;
    c.columns_per_stage = 1;
    c.input_norm_rate = 0.9;
    c.feature_norm_rate = 0.8;
    c.norm_var_floor = 0.05;
    net = tu_create(&c);
    tu_randomize(net, 1, 0.9);
    ccn_rng_seed(&rng, 3);
    for (t = 0; t < 40; ++t) {
        ccn_real x[2], y, h0_expect, vals[4];
        const ccn_real *th = ccn_params(net);
        ccn_column_info ci;
        if (t == 20) {
            CHECK(ccn_next_stage(net) == CCN_OK);
        }
        for (j = 0; j < 2; ++j) x[j] = (ccn_real)(3.0 * ccn_rng_uniform(&rng) + (double)j);
        /* column 0 (stage 0, no cascade): h0 = tanh(w . x~ + u h0' + b) with the old statistics */
        ccn_column_info_get(net, 0, &ci);
        {
            const ccn_real *smu = t < 20 ? mu : m_lib, *svar = t < 20 ? var : v_lib; /* frozen copy after 20 */
            ccn_real a = th[ci.gate_offset + 2] * ccn_state(net)[0] + th[ci.gate_offset + 3];
            for (j = 0; j < 2; ++j) a += th[ci.gate_offset + (size_t)j] * ((x[j] - smu[j]) / (ccn_real)sqrt((double)svar[j]));
            h0_expect = (ccn_real)tanh((double)a);
        }
        ccn_step(net, x, &y);
        CHECK_NEAR(ccn_state(net)[0], h0_expect, TU_DOUBLE ? 1e-15 : 1e-6);
        /* replay the live recurrences: inputs, then the active columns' states */
        vals[0] = x[0];
        vals[1] = x[1];
        vals[2] = ccn_state(net)[0];
        vals[3] = ccn_state(net)[1];
        for (j = 0; j < (t < 20 ? 3 : 4); ++j) {
            ccn_real d, nv;
            mu[j] = r * mu[j] + (CCN_R(1) - r) * vals[j];
            d = vals[j] - mu[j];
            nv = r * var[j] + (CCN_R(1) - r) * d * d;
            var[j] = nv > fl ? nv : fl;
        }
        for (j = 0; j < (t < 20 ? 1 : 2); ++j) {
            ccn_real d, nv;
            fmu[j] = rf * fmu[j] + (CCN_R(1) - rf) * vals[2 + j];
            d = vals[2 + j] - fmu[j];
            nv = rf * fvar[j] + (CCN_R(1) - rf) * d * d;
            fvar[j] = nv > fl ? nv : fl;
        }
        ccn_input_stats(net, ccn_stage(net), &m_lib, &v_lib, &count);
        CHECK(count == 2 + ccn_stage(net));
        for (j = 0; j < 3; ++j) CHECK(m_lib[j] == mu[j] && v_lib[j] == var[j]);
        ccn_feature_stats(net, &fm_lib, &fv_lib);
        CHECK(fm_lib[0] == fmu[0] && fv_lib[0] == fvar[0] && fm_lib[1] == fmu[1] && fv_lib[1] == fvar[1]);
        if (t >= 20) ccn_input_stats(net, 0, &m_lib, &v_lib, &count); /* stage 0's frozen copy */
        CHECK(ccn_stage(net) == (t >= 20));
    }
    ccn_destroy(net);
    { /* a rate of 1 is the plain network, bit for bit */
        ccn_config a = tu_config(CCN_LSTM, CCN_COLOR, 1, 1.0, 4, 3, 1), b;
        ccn_net *na, *nb;
        ccn_real ya[50], yb[50];
        a.columns_per_stage = 2;
        a.steps_per_stage = 20;
        b = a;
        b.input_norm_rate = 1.0;
        b.feature_norm_rate = 1.0;
        na = tu_create(&a);
        nb = tu_create(&b);
        for (t = 0; t < 50; ++t) {
            ccn_real x[3] = {(ccn_real)(t % 3), CCN_R(0.5), (ccn_real)(t % 7) * CCN_R(0.1)}, target = CCN_R(0.3);
            ccn_step(na, x, &ya[t]);
            ccn_step(nb, x, &yb[t]);
            ccn_learn(na, &target);
            ccn_learn(nb, &target);
        }
        CHECK(memcmp(ya, yb, sizeof ya) == 0);
        CHECK(memcmp(ccn_params(na), ccn_params(nb), ccn_param_count(na) * sizeof(ccn_real)) == 0);
        ccn_destroy(na);
        ccn_destroy(nb);
    }
}

/* RMSProp and Adam against their formulas, worked in double from the gradient of a twin net:
   RMSProp v = beta v + (1 - beta) g^2 from v = 1, theta -= alpha g / (sqrt(v) + eps);
   Adam m, v from 0, theta -= alpha m^ / (sqrt(v^) + eps), m^ = m / (1 - b1^t), v^ = v / (1 - b2^t);
   the readout's step divided by the active columns when asked. */
static void test_optimizer_formulas(void) {
    int opt;
    for (opt = CCN_RMSPROP; opt <= CCN_ADAM; ++opt) {
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1);
        ccn_net *net, *twin;
        size_t p, k;
        double *m, *v, worst = 0;
        const double alpha = 0.05, beta = 0.99, b1 = 0.8, b2 = 0.95, eps = 1e-3;
        int t;
        c.optimizer = opt;
        c.step_size = alpha;
        if (opt == CCN_RMSPROP) c.rms_beta = beta; /* each optimiser's own: the other's is refused */
        else c.adam_beta1 = b1, c.adam_beta2 = b2;
        c.opt_epsilon = eps;
        c.scale_readout_step = 1;
        net = tu_create(&c);
        twin = tu_create(&c);
        tu_randomize(net, 6, 0.8);
        p = ccn_param_count(net);
        m = tu_doubles(p);
        v = tu_doubles(p);
        for (k = 0; k < p; ++k) v[k] = opt == CCN_RMSPROP ? 1.0 : 0.0;
        for (t = 1; t <= 3; ++t) {
            ccn_real x[2] = {CCN_R(0.7), (ccn_real)t * CCN_R(-0.4)}, e = CCN_R(1.5), *g = tu_reals(p);
            ccn_real *before = tu_reals(p);
            memcpy(ccn_params(twin), ccn_params(net), p * sizeof(ccn_real));
            memcpy(before, ccn_params(net), p * sizeof(ccn_real));
            ccn_step(net, x, NULL);
            ccn_step(twin, x, NULL);
            CHECK(ccn_accumulate_gradient(twin, &e, g) == CCN_OK);
            CHECK(ccn_learn_with_error(net, &e) == CCN_OK);
            for (k = 0; k < p; ++k) {
                double gk = (double)g[k], a = k >= ccn_readout_offset(net) ? alpha / 2 : alpha, want, d;
                if (opt == CCN_RMSPROP) {
                    v[k] = beta * v[k] + (1 - beta) * gk * gk;
                    want = (double)before[k] - a * gk / (sqrt(v[k]) + eps);
                } else {
                    m[k] = b1 * m[k] + (1 - b1) * -gk;
                    v[k] = b2 * v[k] + (1 - b2) * gk * gk;
                    want = (double)before[k] + a * (m[k] / (1 - pow(b1, t))) / (sqrt(v[k] / (1 - pow(b2, t))) + eps);
                }
                d = fabs((double)ccn_params(net)[k] - want);
                if (d > worst) worst = d;
            }
            free(g);
            free(before);
        }
        CHECK_LE(worst, TU_DOUBLE ? 1e-14 : 1e-6);
        { /* and the state the library keeps is the formula's */
            const ccn_real *fm, *sv;
            ccn_optimizer_state(net, &fm, &sv);
            CHECK((fm != NULL) == (opt == CCN_ADAM) && sv != NULL);
            CHECK_NEAR(sv[0], v[0], TU_DOUBLE ? 1e-15 : 1e-6);
        }
        free(m);
        free(v);
        ccn_destroy(net);
        ccn_destroy(twin);
    }
    { /* hand-checked: RMSProp's first step from v = 1 on a readout bias with dL/dy = 2:
         v = 0.99 + 0.01 * 4 = 1.03, theta = -0.05 * 2 / (1.0148892 + 0.001) = -0.0984359 */
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 1, 1, 1);
        ccn_net *net;
        ccn_real x[1] = {1}, e = 2;
        c.optimizer = CCN_RMSPROP;
        c.step_size = 0.05;
        c.rms_beta = 0.99;
        c.opt_epsilon = 0.001;
        net = tu_create(&c);
        ccn_step(net, x, NULL);
        ccn_learn_with_error(net, &e);
        CHECK_NEAR(ccn_params(net)[ccn_readout_offset(net) + 1], -0.0984359, 1e-7);
        ccn_destroy(net);
    }
}

/* Bad stage, learner, optimiser and normalisation settings are configuration errors; a bad
   gamma or a non-finite cumulant or target is refused and changes nothing. */
static void test_ccn_bad_input(void) {
    struct {
        const char *what;
        ccn_result want;
    } expect[] = {
        {"d > F", CCN_ERR_BAD_STAGES}, {"d < 0", CCN_ERR_BAD_STAGES}, {"S < 0", CCN_ERR_BAD_STAGES},
        {"lambda 1.5", CCN_ERR_BAD_LEARNER}, {"lambda NaN", CCN_ERR_BAD_LEARNER},
        {"learner 5", CCN_ERR_BAD_LEARNER}, {"TD with 2 outputs", CCN_ERR_BAD_LEARNER},
        {"optimizer 9", CCN_ERR_BAD_OPTIMIZER}, {"rms_beta 1", CCN_ERR_BAD_OPTIMIZER},
        {"adam_beta2 -0.5", CCN_ERR_BAD_OPTIMIZER}, {"epsilon -1", CCN_ERR_BAD_OPTIMIZER},
        {"norm rate 1.5", CCN_ERR_BAD_NORMALIZATION}, {"norm rate -0.1", CCN_ERR_BAD_NORMALIZATION},
        {"floor NaN", CCN_ERR_BAD_NORMALIZATION}, {"links with d = 1", CCN_ERR_BAD_LINKS},
        {"feedforward 2", CCN_ERR_BAD_FLAG},
    };
    int k;
    for (k = 0; k < (int)(sizeof expect / sizeof expect[0]); ++k) {
        ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 4, 2, 1);
        ccn_net *net = NULL;
        tu_alloc_stats st;
        ccn_allocator a = tu_allocator(&st);
        ccn_result r;
        c.learner = CCN_TD;
        switch (k) {
        case 0: c.columns_per_stage = 5; break;
        case 1: c.columns_per_stage = -1; break;
        case 2: c.steps_per_stage = -3; break;
        case 3: c.td_lambda = 1.5; break;
        case 4: c.td_lambda = (double)NAN; break;
        case 5: c.learner = 5; break;
        case 6: c.n_outputs = 2; break;
        case 7: c.optimizer = 9; break;
        case 8: c.rms_beta = 1.0; break;
        case 9: c.adam_beta2 = -0.5; break;
        case 10: c.opt_epsilon = -1; break;
        case 11: c.input_norm_rate = 1.5; break;
        case 12: c.feature_norm_rate = -0.1; break;
        case 13: c.norm_var_floor = (double)NAN; break;
        case 14: c.columns_per_stage = 1; c.links = 0.5; break;
        default: c.feedforward = 2; break;
        }
        r = ccn_create(&c, &a, &net);
        if (r != expect[k].want) printf("    %s: got %s\n", expect[k].what, ccn_result_string(r));
        CHECK(r == expect[k].want && net == NULL && st.allocs == 0);
    }
    { /* refused steps change nothing */
        ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 4, 2, 1);
        ccn_net *net, *sup;
        ccn_real x[2] = {1, 0}, y0, target = (ccn_real)NAN;
        size_t p;
        ccn_real *before;
        c.learner = CCN_TD;
        c.td_lambda = 0.5;
        net = tu_create(&c);
        p = ccn_param_count(net);
        before = tu_reals(p);
        CHECK(ccn_td_step(net, x, 1, CCN_R(0.9), &y0) == CCN_OK);
        CHECK(ccn_td_step(net, x, 1, CCN_R(0.9), &y0) == CCN_OK);
        memcpy(before, ccn_params(net), p * sizeof(ccn_real));
        CHECK(ccn_td_step(net, x, (ccn_real)NAN, CCN_R(0.9), NULL) == CCN_ERR_NOT_FINITE);
        CHECK(ccn_td_step(net, x, (ccn_real)INFINITY, CCN_R(0.9), NULL) == CCN_ERR_NOT_FINITE);
        CHECK(ccn_td_step(net, x, 1, CCN_R(1.5), NULL) == CCN_ERR_BAD_GAMMA);
        CHECK(ccn_td_step(net, x, 1, CCN_R(-0.1), NULL) == CCN_ERR_BAD_GAMMA);
        CHECK(ccn_td_step(net, x, 1, (ccn_real)NAN, NULL) == CCN_ERR_BAD_GAMMA);
        CHECK(ccn_step_count(net) == 2 && ccn_output(net)[0] == y0);
        CHECK(memcmp(before, ccn_params(net), p * sizeof(ccn_real)) == 0);
        CHECK(ccn_learn(net, &target) == CCN_ERR_NO_STEP); /* ccn_td_step learned from its step */
        CHECK(memcmp(before, ccn_params(net), p * sizeof(ccn_real)) == 0);
        CHECK(ccn_set_step_size(net, -1.0) == CCN_ERR_BAD_STEP_SIZE);
        CHECK(ccn_set_step_size(net, (double)NAN) == CCN_ERR_BAD_STEP_SIZE);
        c.learner = CCN_SUPERVISED;
        c.td_lambda = 0; /* a lambda without CCN_TD is refused at creation */
        sup = tu_create(&c);
        CHECK(ccn_td_step(sup, x, 1, CCN_R(0.5), NULL) == CCN_ERR_BAD_LEARNER);
        CHECK(ccn_eligibility(sup) == NULL);
        free(before);
        ccn_destroy(net);
        ccn_destroy(sup);
    }
}

/* A CCN net (lstm columns, stages of 2, TD(lambda), RMSProp, normalisation) learns to predict a
   cumulant that arrives 12 steps after a one-step cue, far below what the same net reaches with
   its recurrence removed (feedforward columns, no cascade), which can only predict the mean
   between cue and cumulant. Error: mean squared error against the true discounted return over
   the last 20,000 of 100,000 steps. */
static double tc_trace_conditioning(int feedforward) {
    const long steps = 100000, T = steps + 64;
    const double gamma = 0.9;
    const int isi = 12;
    ccn_real *X = tu_reals((size_t)T * 4);
    double *cum = tu_doubles((size_t)T), *ret = tu_doubles((size_t)T), err = 0;
    long t, next_cue = 5, counted = 0;
    ccn_rng rng;
    ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 8, 4, 1);
    ccn_net *net;
    int j;
    ccn_rng_seed(&rng, 1);
    for (t = 0; t < T; ++t) {
        for (j = 2; j < 4; ++j) X[t * 4 + j] = (ccn_real)(ccn_rng_uniform(&rng) < 0.1); /* distractors */
        if (t == next_cue) {
            X[t * 4] = 1;
            if (t + isi < T) {
                X[(t + isi) * 4 + 1] = 1;
                cum[t + isi] = 1;
            }
            next_cue = t + isi + 10 + (long)(ccn_rng_uniform(&rng) * 11);
        }
    }
    for (t = T - 2; t >= 0; --t) ret[t] = cum[t + 1] + gamma * ret[t + 1];
    c.columns_per_stage = feedforward ? 8 : 2;
    c.steps_per_stage = feedforward ? 0 : 20000;
    c.feedforward = feedforward;
    c.learner = CCN_TD;
    c.td_lambda = 0.9;
    c.optimizer = CCN_RMSPROP;
    c.step_size = 0.01;
    c.scale_readout_step = 1;
    c.input_norm_rate = 0.999;
    c.feature_norm_rate = 0.999;
    c.seed = 3;
    net = tu_create(&c);
    for (t = 0; t < steps; ++t) {
        ccn_real y;
        CHECK(ccn_td_step(net, X + t * 4, (ccn_real)cum[t], (ccn_real)gamma, &y) == CCN_OK);
        if (t >= steps - 20000) {
            err += ((double)y - ret[t]) * ((double)y - ret[t]);
            ++counted;
        }
    }
    CHECK(ccn_stage(net) == (feedforward ? 0 : 3));
    free(X);
    free(cum);
    free(ret);
    ccn_destroy(net);
    return err / (double)counted;
}

static void test_ccn_td_learns_memory(void) {
    double ccn = tc_trace_conditioning(0), memoryless = tc_trace_conditioning(1);
    printf("    return error: CCN %.5f, same net without recurrence %.5f\n", ccn, memoryless);
    CHECK_LE(ccn, 0.25 * memoryless);
}
