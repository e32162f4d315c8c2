/* The proof that the mathematics is right: exact RTRL against an independent BPTT (ref_bptt.h,
   its own forward pass) and central finite differences; ColoR against exact RTRL. The every_flag
   tests run a grid of every configuration flag that changes the forward pass or the gradient
   (kind x feedforward x feature depth x links, stages, normalisation, outputs).

   Tolerances, with what each test measures on x86-64 (gcc and clang, -O2):
                                         double bound  measured   float bound  measured
     RTRL / ColoR vs BPTT (relative)     1e-9          1.1e-15    1e-5         4e-7
     ColoR vs RTRL, no links (relative)  1e-12         5e-17      1e-6         1.2e-8
     vs central differences (relative)   1e-8          3e-9       1e-5         1e-6
     outputs vs the reference (abs.)     1e-12         ~1e-16     1e-5         ~1e-7
   Double bounds are the (differences are limited by their own truncation and
   cancellation, not by the gradient). In float the library computes in float while the reference
   stays in double: float's epsilon (6e-8) compounded over 20-50 recurrent steps and sums of
   ~100 terms gives the measured ~3e-7 (the normalised nets' worst: their inputs divided by
   standard deviations down to 0.2); the bounds leave a margin of 10-100x for other compilers and
   flags, no more, so a real error (anything above round-off) still fails. */
#include "util.h"

#if TU_DOUBLE
#define TOL_EXACT 1e-9
#define TOL_COLOR 1e-12
#define TOL_FD 1e-8
#define TOL_FORWARD 1e-12
#else
#define TOL_EXACT 1e-5
#define TOL_COLOR 1e-6
#define TOL_FD 1e-5
#define TOL_FORWARD 1e-5
#endif

/* One architecture of the grid, a net with random parameters, and its reference. */
static ccn_net *tg_net(int kind, int method, int layers, double links, uint64_t seed) {
    ccn_config c = tu_config(kind, method, layers, links, 5, 4, 2);
    ccn_net *net;
    c.seed = seed;
    net = tu_create(&c);
    tu_randomize(net, seed * 7 + 1, 0.7);
    return net;
}

static void test_rtrl_equals_bptt(void) {
    int ki, layers, li, T = 20;
    double worst = 0;
    TU_FOR_KINDS(ki)
        for (layers = 0; layers <= 2; ++layers)
            for (li = 0; li < 3; ++li) {
                double links = li == 0 ? 0.0 : li == 1 ? 1.0 : 3.5;
                ccn_net *net = tg_net(tu_kind(ki), CCN_RTRL, layers, links, (uint64_t)(100 + ki * 9 + layers * 3 + li));
                tu_ref ref = tu_ref_of(net);
                size_t p = ccn_param_count(net);
                tu_seq s = tu_sequence(T, 4, 2, (uint64_t)T);
                double *g = tu_doubles(p), *gr = tu_doubles(p), err;
                tu_library_gradient(net, &s, g);
                ref_bptt(&ref.net, ref.theta, T, s.x, s.target, gr);
                err = tu_rel_err(g, gr, p);
                if (err > worst) worst = err;
                if (!(err <= TOL_EXACT))
                    printf("    %s layers=%d links=%g T=%d: relative error %.3g\n", tu_kind_name(tu_kind(ki)),
                           layers, links, T, err);
                CHECK_LE(err, TOL_EXACT);
                CHECK(tu_norm(gr, p) > 1e-3); /* a gradient that is there to compare */
                free(g);
                free(gr);
                tu_seq_free(&s);
                tu_ref_free(&ref);
                ccn_destroy(net);
                T = T + 7 > 50 ? 20 : T + 7; /* sequences of 20..48 steps across the grid */
            }
    printf("    worst relative error against BPTT: %.3g\n", worst);
}

/* The library's forward pass against the reference's: the outputs agree to round-off. */
static void test_forward_equals_reference(void) {
    int ki, layers;
    double worst_all = 0;
    TU_FOR_KINDS(ki)
        for (layers = 0; layers <= 2; ++layers) {
            ccn_net *net = tg_net(tu_kind(ki), CCN_FORWARD, layers, 3.0, (uint64_t)(7 + ki + 3 * layers));
            tu_ref ref = tu_ref_of(net);
            tu_seq s = tu_sequence(30, 4, 2, 99);
            double *yr = tu_doubles(60), worst = 0;
            ccn_real x[4], y[2];
            int t, j;
            ref_forward(&ref.net, ref.theta, 30, s.x, s.target, yr);
            for (t = 0; t < 30; ++t) {
                for (j = 0; j < 4; ++j) x[j] = (ccn_real)s.x[t * 4 + j];
                ccn_step(net, x, y);
                for (j = 0; j < 2; ++j) {
                    double d = fabs((double)y[j] - yr[t * 2 + j]);
                    if (d > worst) worst = d;
                }
            }
            if (worst > worst_all) worst_all = worst;
            CHECK_LE(worst, TOL_FORWARD);
            free(yr);
            tu_seq_free(&s);
            tu_ref_free(&ref);
            ccn_destroy(net);
        }
    printf("    worst output difference: %.3g\n", worst_all);
}

/* Central differences of the reference's loss (in double whatever the build) on a sample of
   parameters, against the library's exact RTRL gradient; in double also differences of the
   library's own forward pass. */
static void test_rtrl_finite_differences(void) {
    int ki, layers;
    const int T = 25;
    double worst = 0, worst_own = 0;
    TU_FOR_KINDS(ki)
        for (layers = 0; layers <= 2; layers += 2) {
            ccn_net *net = tg_net(tu_kind(ki), CCN_RTRL, layers, 2.0, (uint64_t)(31 + ki + layers));
            tu_ref ref = tu_ref_of(net);
            size_t p = ccn_param_count(net), k, n_sample = 0, stride = p / 60 + 1;
            tu_seq s = tu_sequence(T, 4, 2, 5);
            double *g = tu_doubles(p), *fd = tu_doubles(p), *gs = tu_doubles(p), h = 1e-5;
            tu_library_gradient(net, &s, g);
            for (k = (size_t)ki % stride; k < p; k += stride) {
                double keep = ref.theta[k], lp, lm;
                ref.theta[k] = keep + h;
                lp = ref_forward(&ref.net, ref.theta, T, s.x, s.target, NULL);
                ref.theta[k] = keep - h;
                lm = ref_forward(&ref.net, ref.theta, T, s.x, s.target, NULL);
                ref.theta[k] = keep;
                fd[n_sample] = (lp - lm) / (2 * h);
                gs[n_sample] = g[k];
                ++n_sample;
            }
            CHECK(n_sample >= 40);
            if (tu_rel_err(gs, fd, n_sample) > worst) worst = tu_rel_err(gs, fd, n_sample);
            CHECK_LE(tu_rel_err(gs, fd, n_sample), TOL_FD);
#if TU_DOUBLE
            { /* the library's own forward: a loss through ccn_step alone */
                ccn_real *th = ccn_params(net);
                n_sample = 0;
                for (k = 1; k < p; k += 3 * stride) {
                    double l[2];
                    int sign;
                    ccn_real keep = th[k];
                    for (sign = 0; sign < 2; ++sign) {
                        ccn_real x[4], y[2];
                        int t, j;
                        th[k] = keep + (sign ? -h : h);
                        ccn_reset_state(net);
                        l[sign] = 0;
                        for (t = 0; t < T; ++t) {
                            for (j = 0; j < 4; ++j) x[j] = s.x[t * 4 + j];
                            ccn_step(net, x, y);
                            for (j = 0; j < 2; ++j) l[sign] += 0.5 * (y[j] - s.target[t * 2 + j]) * (y[j] - s.target[t * 2 + j]);
                        }
                    }
                    th[k] = keep;
                    fd[n_sample] = (l[0] - l[1]) / (2 * h);
                    gs[n_sample] = g[k];
                    ++n_sample;
                }
                if (tu_rel_err(gs, fd, n_sample) > worst_own) worst_own = tu_rel_err(gs, fd, n_sample);
                CHECK_LE(tu_rel_err(gs, fd, n_sample), TOL_FD);
            }
#endif
            free(g);
            free(fd);
            free(gs);
            tu_seq_free(&s);
            tu_ref_free(&ref);
            ccn_destroy(net);
        }
    printf("    worst relative error against differences of the reference's loss: %.3g", worst);
    if (TU_DOUBLE) printf(", of the library's own loss: %.3g", worst_own);
    printf("\n");
}

/* Central difference of the library's own loss, sum over T steps of 1/2 |y - target|^2 on the
   sequence s (4 inputs, o outputs), in parameter k of net, moved by +-h: the net is run from a
   reset state each time and its parameter put back. Double builds only: in float the
   differences cannot resolve what the checks ask. */
#if TU_DOUBLE
static double tg_library_difference(ccn_net *net, const tu_seq *s, int T, int o, size_t k, double h) {
    ccn_real *th = ccn_params(net), keep = th[k], x[4], y[3];
    double l[2];
    int sign, t, j;
    for (sign = 0; sign < 2; ++sign) {
        th[k] = keep + (sign ? -h : h);
        ccn_reset_state(net);
        l[sign] = 0;
        for (t = 0; t < T; ++t) {
            for (j = 0; j < 4; ++j) x[j] = s->x[t * 4 + j];
            ccn_step(net, x, y);
            for (j = 0; j < o; ++j) l[sign] += 0.5 * (y[j] - s->target[t * o + j]) * (y[j] - s->target[t * o + j]);
        }
    }
    th[k] = keep;
    return (l[0] - l[1]) / (2 * h);
}
#endif

/* The GRU's exact RTRL gradient against central differences of the library's own loss (ccn_step
   alone, run again from a reset state for each parameter moved by +-h), for every learning
   parameter, feature depth 0, 1 and 2, links (state and feature links) or none, feedforward or
   not, one stage or the second of two (the first frozen: its parameters constants): in double,
   where differences resolve 1e-8 (in float they cannot; the float build checks the GRU
   through color_equals_rtrl_without_links and the other kind loops). */
static void test_gru_finite_differences(void) {
#if TU_DOUBLE
    int layers, li, ff, st;
    const int T = 25;
    double worst = 0, h = 1e-5;
    for (layers = 0; layers <= 2; ++layers)
        for (li = 0; li < 2; ++li)
            for (ff = 0; ff < 2; ++ff)
                for (st = 0; st < 2; ++st) {
                    ccn_config c = tu_config(CCN_GRU, CCN_RTRL, layers, li ? 2.0 : 0.0, 5, 4, 2);
                    ccn_net *net;
                    size_t p, k, p0, n_sample = 0;
                    tu_seq s = tu_sequence(T, 4, 2, (uint64_t)(11 + layers + 3 * li));
                    double *g, *fd, *gs, err;
                    c.feedforward = ff;
                    c.seed = (uint64_t)(60 + layers * 4 + li * 2 + ff);
                    if (st) c.columns_per_stage = 3;
                    net = tu_create(&c);
                    tu_randomize(net, c.seed * 5 + 1, 0.9);
                    if (st) CHECK(ccn_next_stage(net) == CCN_OK);
                    p = ccn_param_count(net);
                    p0 = 0;
                    if (st) {
                        ccn_column_info ci;
                        ccn_column_info_get(net, 3, &ci);
                        p0 = ci.param_offset;
                    }
                    g = tu_doubles(p);
                    fd = tu_doubles(p);
                    gs = tu_doubles(p);
                    tu_library_gradient(net, &s, g);
                    for (k = p0; k < p; ++k) {
                        fd[n_sample] = tg_library_difference(net, &s, T, 2, k, h);
                        gs[n_sample] = g[k];
                        ++n_sample;
                    }
                    err = tu_rel_err(gs, fd, n_sample);
                    if (err > worst) worst = err;
                    if (!(err <= TOL_FD))
                        printf("    gru layers=%d links=%d feedforward=%d stages=%d: relative error %.3g\n", layers, li, ff,
                               st + 1, err);
                    CHECK_LE(err, TOL_FD);
                    CHECK(tu_norm(fd, n_sample) > 1e-3);
                    free(g);
                    free(fd);
                    free(gs);
                    tu_seq_free(&s);
                    ccn_destroy(net);
                }
    printf("    worst relative error against differences of the library's loss: %.3g\n", worst);
#else
    printf("    differences need the double build\n");
#endif
}

/* Without links, ColoR is exact: it equals RTRL for every kind and feature depth. */
static void test_color_equals_rtrl_without_links(void) {
    int ki, layers;
    double worst = 0;
    TU_FOR_KINDS(ki)
        for (layers = 0; layers <= 2; ++layers) {
            ccn_net *a = tg_net(tu_kind(ki), CCN_COLOR, layers, 0.0, (uint64_t)(50 + ki * 3 + layers));
            ccn_net *b = tg_net(tu_kind(ki), CCN_RTRL, layers, 0.0, (uint64_t)(50 + ki * 3 + layers));
            size_t p = ccn_param_count(a);
            tu_seq s = tu_sequence(40, 4, 2, 17);
            double *ga = tu_doubles(p), *gb = tu_doubles(p), err;
            CHECK(p == ccn_param_count(b));
            tu_library_gradient(a, &s, ga);
            tu_library_gradient(b, &s, gb);
            err = tu_rel_err(ga, gb, p);
            if (err > worst) worst = err;
            CHECK_LE(err, TOL_COLOR);
            free(ga);
            free(gb);
            tu_seq_free(&s);
            ccn_destroy(a);
            ccn_destroy(b);
        }
    printf("    worst relative error ColoR vs RTRL: %.3g\n", worst);
}

/* With links ColoR has no exact reference, but its trace has two paths for one-trace kinds:
   without E the tail (links, h', 1) goes entry by entry from registers, with TD's E the run
   goes whole through the z buffer. Both must give the same traces, bit for bit: a net stepped
   by ccn_step and its twin stepped by ccn_td_step at step size 0 accumulate the same gradient
   at every step (1 and 2 links a column, one stage and two). */
static void test_color_tail_paths_agree(void) {
    int ki, li, st, t, j;
    TU_FOR_KINDS(ki)
    if (tu_kind(ki) != CCN_LSTM) /* the kinds with one trace */
        for (li = 0; li < 2; ++li)
            for (st = 0; st < 2; ++st) {
                ccn_config c = tu_config(tu_kind(ki), CCN_COLOR, 0, li ? 2.0 : 1.0, 6, 5, 1);
                ccn_net *a, *b;
                tu_seq s = tu_sequence(40, 5, 1, (uint64_t)(300 + ki * 4 + li * 2 + st));
                ccn_real x[5], y[1], yb[1], e[1], *ga, *gb;
                size_t p;
                if (st) c.columns_per_stage = 3, c.steps_per_stage = 15;
                c.seed = (uint64_t)(2000 + ki * 4 + li * 2 + st);
                a = tu_create(&c);
                c.learner = CCN_TD;
                c.td_lambda = 0.9;
                b = tu_create(&c);
                tu_randomize(a, 7, 0.8);
                tu_randomize(b, 7, 0.8);
                p = ccn_param_count(a);
                ga = tu_reals(p);
                gb = tu_reals(p);
                for (t = 0; t < s.T; ++t) {
                    for (j = 0; j < 5; ++j) x[j] = (ccn_real)s.x[t * 5 + j];
                    CHECK(ccn_step(a, x, y) == CCN_OK);
                    CHECK(ccn_td_step(b, x, (ccn_real)(t % 3 == 0), CCN_R(0.9), yb) == CCN_OK);
                    e[0] = y[0] - (ccn_real)s.target[t];
                    CHECK(ccn_accumulate_gradient(a, e, ga) == CCN_OK);
                    CHECK(ccn_accumulate_gradient(b, e, gb) == CCN_OK);
                    CHECK(memcmp(ga, gb, p * sizeof(ccn_real)) == 0);
                }
                free(ga);
                free(gb);
                tu_seq_free(&s);
                ccn_destroy(a);
                ccn_destroy(b);
            }
}

/* With links ColoR is biased: cosine to the exact gradient below 1, falling as links grow
   (means over fixed seeds; gated columns with two feature layers, as in the 2021 test-bed). */
static void test_color_biased_with_links(void) {
    const double levels[4] = {0.0, 1.0, 4.0, 16.0};
    double mean[4];
    int li, seed;
    for (li = 0; li < 4; ++li) {
        mean[li] = 0;
        for (seed = 0; seed < 6; ++seed) {
            ccn_config c = tu_config(CCN_GATED, CCN_COLOR, 2, levels[li], 8, 6, 1);
            ccn_net *a, *b;
            size_t p;
            tu_seq s = tu_sequence(30, 6, 1, (uint64_t)(200 + seed));
            double *ga, *gb;
            c.seed = (uint64_t)(1000 + seed);
            a = tu_create(&c);
            c.method = CCN_RTRL;
            b = tu_create(&c);
            tu_randomize(a, (uint64_t)seed, 0.8);
            tu_randomize(b, (uint64_t)seed, 0.8);
            p = ccn_param_count(a);
            ga = tu_doubles(p);
            gb = tu_doubles(p);
            tu_library_gradient(a, &s, ga);
            tu_library_gradient(b, &s, gb);
            mean[li] += tu_cosine(ga, gb, p) / 6.0;
            free(ga);
            free(gb);
            tu_seq_free(&s);
            ccn_destroy(a);
            ccn_destroy(b);
        }
    }
    printf("    mean cosine(ColoR, exact) at links 0, 1, 4, 16: %.6f %.6f %.6f %.6f\n", mean[0], mean[1],
           mean[2], mean[3]);
    CHECK_NEAR(mean[0], 1.0, TU_DOUBLE ? 1e-12 : 1e-5);
    CHECK(mean[1] < 1.0 - 1e-4);
    CHECK(mean[2] < mean[1]);
    CHECK(mean[3] < mean[2]);
}

/* The gradient of a caller-given dL/dy (not a squared error): ColoR and RTRL against the
   reference's BPTT of the linear functional sum_t dLdy_t . y_t. */
static void test_gradient_of_given_dl_dy(void) {
    int ki, mi;
    double worst = 0;
    TU_FOR_KINDS(ki)
        for (mi = 0; mi < 2; ++mi) {
            int method = mi ? CCN_RTRL : CCN_COLOR;
            ccn_net *net = tg_net(tu_kind(ki), method, 1, mi ? 2.0 : 0.0, (uint64_t)(70 + ki));
            tu_ref ref = tu_ref_of(net);
            size_t p = ccn_param_count(net), k;
            tu_seq s = tu_sequence(30, 4, 2, 3);
            double *g = tu_doubles(p), *gr = tu_doubles(p);
            ccn_real *acc = tu_reals(p), x[4], y[2], e[2];
            int t, j;
            for (t = 0; t < 30; ++t) {
                for (j = 0; j < 4; ++j) x[j] = (ccn_real)s.x[t * 4 + j];
                ccn_step(net, x, y);
                for (j = 0; j < 2; ++j) e[j] = (ccn_real)s.target[t * 2 + j]; /* dL/dy given */
                ccn_accumulate_gradient(net, e, acc);
            }
            for (k = 0; k < p; ++k) g[k] = (double)acc[k];
            ref_bptt_weighted(&ref.net, ref.theta, 30, s.x, s.target, gr);
            if (tu_rel_err(g, gr, p) > worst) worst = tu_rel_err(g, gr, p);
            CHECK_LE(tu_rel_err(g, gr, p), TOL_EXACT);
            free(g);
            free(gr);
            free(acc);
            tu_seq_free(&s);
            tu_ref_free(&ref);
            ccn_destroy(net);
        }
    printf("    worst relative error against BPTT of sum_t dLdy_t . y_t: %.3g\n", worst);
}

/* learn_with_error is SGD on exactly the accumulated gradient. */
static void test_learn_applies_the_gradient(void) {
    int ki, mi;
    TU_FOR_KINDS(ki)
        for (mi = 0; mi < 2; ++mi) {
            ccn_config c = tu_config(tu_kind(ki), mi ? CCN_RTRL : CCN_COLOR, 1, 0.0, 4, 3, 2);
            ccn_net *a, *b;
            ccn_real x[3] = {CCN_R(0.3), CCN_R(-0.5), CCN_R(0.9)}, e[2] = {CCN_R(0.7), CCN_R(-1.1)};
            size_t p, k;
            double worst = 0;
            c.step_size = 0.05;
            a = tu_create(&c);
            b = tu_create(&c);
            tu_randomize(a, 4, 0.5);
            tu_randomize(b, 4, 0.5);
            p = ccn_param_count(a);
            for (k = 0; k < 3; ++k) {
                ccn_step(a, x, NULL);
                ccn_step(b, x, NULL);
            }
            ccn_zero_grad(b);
            CHECK(ccn_accumulate_gradient(b, e, NULL) == CCN_OK);
            CHECK(ccn_learn_with_error(a, e) == CCN_OK);
            for (k = 0; k < p; ++k) {
                double want = (double)ccn_params(b)[k] - 0.05 * (double)ccn_grad(b)[k];
                double d = fabs((double)ccn_params(a)[k] - want);
                if (d > worst) worst = d;
            }
            CHECK_LE(worst, TU_DOUBLE ? 1e-15 : 1e-6);
            ccn_destroy(a);
            ccn_destroy(b);
        }
}

/* The state gradient: a one-hot dL/dh gives one state's sensitivity dh_i/dtheta, which for
   ColoR without links and for exact RTRL agree, and which summed with W_out weights plus the
   readout's own terms is the output gradient. */
static void test_state_gradient(void) {
    int ki;
    TU_FOR_KINDS(ki) {
        ccn_net *a = tg_net(tu_kind(ki), CCN_COLOR, 1, 0.0, 5), *b = tg_net(tu_kind(ki), CCN_RTRL, 1, 0.0, 5);
        size_t p = ccn_param_count(a), ro = ccn_readout_offset(a), k;
        tu_seq s = tu_sequence(15, 4, 2, 1);
        double *ga = tu_doubles(p), *gb = tu_doubles(p), *sum = tu_doubles(p), *full = tu_doubles(p);
        ccn_real *g = tu_reals(p), dl_dh[5], e[2] = {CCN_R(0.5), CCN_R(-2)};
        int i, t, j;
        for (t = 0; t < 15; ++t) {
            ccn_real x[4];
            for (j = 0; j < 4; ++j) x[j] = (ccn_real)s.x[t * 4 + j];
            ccn_step(a, x, NULL);
            ccn_step(b, x, NULL);
        }
        for (i = 0; i < 5; ++i) {
            for (j = 0; j < 5; ++j) dl_dh[j] = (ccn_real)(i == j);
            memset(g, 0, p * sizeof(ccn_real));
            CHECK(ccn_accumulate_state_gradient(a, dl_dh, g) == CCN_OK);
            for (k = 0; k < p; ++k) ga[k] = (double)g[k];
            memset(g, 0, p * sizeof(ccn_real));
            CHECK(ccn_accumulate_state_gradient(b, dl_dh, g) == CCN_OK);
            for (k = 0; k < p; ++k) gb[k] = (double)g[k];
            CHECK_LE(tu_rel_err(ga, gb, p), TOL_COLOR);
            for (k = ro; k < p; ++k) CHECK(ga[k] == 0.0);
            for (k = 0; k < p; ++k) /* sum_r e_r W_out[r][i] dh_i/dtheta */
                sum[k] += ((double)e[0] * (double)ccn_params(a)[ro + (size_t)i] + (double)e[1] * (double)ccn_params(a)[ro + 5 + (size_t)i]) * ga[k];
        }
        memset(g, 0, p * sizeof(ccn_real));
        CHECK(ccn_accumulate_gradient(a, e, g) == CCN_OK);
        for (k = 0; k < ro; ++k) full[k] = (double)g[k];
        for (k = ro; k < p; ++k) sum[k] = 0;
        CHECK_LE(tu_rel_err(sum, full, p), TOL_COLOR * 10);
        free(ga);
        free(gb);
        free(sum);
        free(full);
        free(g);
        tu_seq_free(&s);
        ccn_destroy(a);
        ccn_destroy(b);
    }
}

/* ---- every configuration flag against the reference ---------------------------------------- */

/* The reference of a library net's active columns with every flag the gradient sees: the
   feedforward flag, the normalisation rates and floor, the live statistics as they are now (the
   run starts from them) and each frozen stage's copy. Free with tg_ref_free. */
typedef struct tg_ref {
    tu_ref r;
    size_t *map; /* reference parameter -> library parameter */
    double *live_mu, *live_var, *f_mu, *f_var, *frozen;
    const double **frozen_mu, **frozen_var;
} tg_ref;

static tg_ref tg_ref_of(ccn_net *lib) {
    tg_ref g;
    const ccn_config *c = ccn_get_config(lib);
    int m = c->n_inputs, na = ccn_active_columns(lib), cur = ccn_stage(lib), i, j, count;
    const ccn_real *mu, *var;
    memset(&g, 0, sizeof g);
    g.r = tu_ref_of_active(lib, &g.map);
    g.r.net.feedforward = c->feedforward;
    g.r.net.input_norm_rate = c->input_norm_rate;
    g.r.net.feature_norm_rate = c->feature_norm_rate;
    g.r.net.norm_var_floor = c->norm_var_floor;
    if (c->input_norm_rate < 1.0) {
        g.live_mu = tu_doubles((size_t)(m + na));
        g.live_var = tu_doubles((size_t)(m + na));
        ccn_input_stats(lib, cur, &mu, &var, &count);
        for (j = 0; j < m + na; ++j) { /* entries no active column reads: the starting 0 and 1 */
            g.live_mu[j] = j < count ? (double)mu[j] : 0.0;
            g.live_var[j] = j < count ? (double)var[j] : 1.0;
        }
        g.r.net.in_mu0 = g.live_mu;
        g.r.net.in_var0 = g.live_var;
        g.frozen_mu = (const double **)calloc((size_t)na, sizeof(double *));
        g.frozen_var = (const double **)calloc((size_t)na, sizeof(double *));
        g.frozen = tu_doubles((size_t)(2 * na * (m + na)));
        for (i = 0; i < na; ++i) {
            ccn_column_info ci;
            double *f = g.frozen + (size_t)(2 * i * (m + na));
            ccn_column_info_get(lib, i, &ci);
            if (ci.stage >= cur) continue;
            ccn_input_stats(lib, ci.stage, &mu, &var, &count);
            for (j = 0; j < count; ++j) {
                f[j] = (double)mu[j];
                f[m + na + j] = (double)var[j];
            }
            g.frozen_mu[i] = f;
            g.frozen_var[i] = f + m + na;
        }
        g.r.net.frozen_mu = g.frozen_mu;
        g.r.net.frozen_var = g.frozen_var;
    }
    if (c->feature_norm_rate < 1.0) {
        ccn_feature_stats(lib, &mu, &var);
        g.f_mu = tu_doubles((size_t)na);
        g.f_var = tu_doubles((size_t)na);
        for (j = 0; j < na; ++j) {
            g.f_mu[j] = (double)mu[j];
            g.f_var[j] = (double)var[j];
        }
        g.r.net.f_mu0 = g.f_mu;
        g.r.net.f_var0 = g.f_var;
    }
    return g;
}

static void tg_ref_free(tg_ref *g) {
    tu_ref_free(&g->r);
    free(g->map);
    free(g->live_mu);
    free(g->live_var);
    free(g->f_mu);
    free(g->f_var);
    free(g->frozen);
    free((void *)g->frozen_mu);
    free((void *)g->frozen_var);
}

/* Configuration idx of the flag grid (18 a kind): kind x feedforward x feature depth x variant,
   the variants
     0  one stage, links (none or 1.5 a column, alternating), 2 outputs, no normalisation
     1  one stage, no links, input and feature normalisation, 1 output
     2  stages of 2 columns (2, 2, 1), the run in stage 1 or 2 (the earlier ones frozen, their
        statistics too), links 0.9 or 1.5 a column, input and feature normalisation, 3 outputs
   Five columns, four inputs. The pair of nets (ColoR and RTRL) is set up identically: random
   parameters, then with normalisation a warm-up of steps (without learning) that moves the
   statistics away from their start, the stages advanced in between.
   The first 54 are the three first kinds interleaved (kind idx % 3, then feedforward, depth and
   variant from idx / 3), as the grid was before a fourth kind: the same nets, seeds included
   (a new order would draw new nets, and a finite difference of a new net can straddle a relu
   kink: h = 1e-5 has no guard against one). Each later kind appends a block of 18 in the same
   order. */
#define TG_GRID (18 * TU_N_KINDS)
static int tg_grid_ki(int idx) { return idx < 54 ? idx % 3 : 3 + (idx - 54) / 18; }
static int tg_grid_pos(int idx) { return idx < 54 ? idx / 3 : (idx - 54) % 18; } /* ff + 2 (depth + 3 variant) */
static int tg_grid_variant(int idx) { return tg_grid_pos(idx) / 6; }
/* 0 or 1, alternating across the grid: links or not in variant 0 (a), the stage the run is in,
   1 or 2, in variant 2 (b) */
static int tg_grid_alt_a(int idx) { return idx < 54 ? idx / 2 % 2 : (tg_grid_pos(idx) + tg_grid_pos(idx) / 2) % 2; }
static int tg_grid_alt_b(int idx) { return idx < 54 ? idx % 2 : tg_grid_pos(idx) / 2 % 2; }
static ccn_config tg_grid_config(int idx, int method) {
    int kind = tu_kind(tg_grid_ki(idx)), ff = tg_grid_pos(idx) % 2, layers = tg_grid_pos(idx) / 2 % 3;
    int variant = tg_grid_variant(idx);
    ccn_config c = tu_config(kind, method, layers, 0.0, 5, 4, variant == 0 ? 2 : variant == 1 ? 1 : 3);
    c.feedforward = ff;
    c.seed = (uint64_t)(4000 + idx);
    if (variant == 0) c.links = tg_grid_alt_a(idx) ? 1.5 : 0.0;
    if (variant >= 1) {
        c.input_norm_rate = 0.9;
        c.feature_norm_rate = 0.8;
        c.norm_var_floor = 0.05;
    }
    if (variant == 2) {
        c.columns_per_stage = 2;
        c.links = layers ? 1.5 : 0.9; /* without features a column of 2 has 1 candidate */
    }
    return c;
}

static ccn_net *tg_grid_net(int idx, int method) {
    ccn_config c = tg_grid_config(idx, method);
    ccn_net *net = tu_create(&c);
    tu_randomize(net, (uint64_t)(77 + idx), 0.7);
    if (c.input_norm_rate < 1.0) {
        int stages = c.columns_per_stage ? 1 + tg_grid_alt_b(idx) : 0, st, t, j;
        tu_seq warm = tu_sequence(20 * (stages + 1), 4, 1, (uint64_t)(500 + idx));
        ccn_real x[4];
        for (st = 0, t = 0; st <= stages; ++st) {
            if (st) CHECK(ccn_next_stage(net) == CCN_OK);
            for (; t < 20 * (st + 1); ++t) {
                for (j = 0; j < 4; ++j) x[j] = (ccn_real)(1.5 * warm.x[t * 4 + j] + 0.4);
                CHECK(ccn_step(net, x, NULL) == CCN_OK);
            }
        }
        tu_seq_free(&warm);
    }
    return net;
}

/* Whether ColoR is exact on this net: no learning column reads another (no links in the
   learning stage; frozen stages' columns are constants whatever they read). */
static int tg_color_exact(ccn_net *net) {
    int i, count;
    for (i = 0; i < ccn_active_columns(net); ++i) {
        ccn_column_info ci;
        ccn_column_info_get(net, i, &ci);
        ccn_links(net, i, &count);
        if (ci.stage == ccn_stage(net) && count > 0) return 0;
    }
    return 1;
}

static int tg_learning(ccn_net *net, size_t k) {
    ccn_column_info ci;
    int owner = ccn_param_owner(net, k);
    if (owner < 0) return 1;
    ccn_column_info_get(net, owner, &ci);
    return ci.stage == ccn_stage(net);
}

static const char *tg_grid_name(int idx, char *buf, size_t size) {
    static const char *variant[3] = {"one stage", "normalised", "staged+normalised"};
    ccn_config c = tg_grid_config(idx, CCN_RTRL);
    snprintf(buf, size, "%s%s layers=%d %s links=%g outputs=%d", tu_kind_name(c.kind), c.feedforward ? " feedforward" : "",
             c.feature_layers, variant[tg_grid_variant(idx)], c.links, c.n_outputs);
    return buf;
}

/* Every flag that changes the forward pass or the gradient (kind, feedforward, feature layers 0
   to 2, links of both types, stages with frozen earlier ones, input and feature normalisation,
   1 to 3 outputs): the outputs equal the reference's; exact RTRL equals the reference's BPTT;
   where ColoR is exact (no links in the learning stage), ColoR equals it too and equals RTRL;
   frozen parameters get exactly 0. */
static void test_every_flag_equals_bptt(void) {
    int idx, n_nets = 0, n_color = 0, T = 25;
    double worst_rtrl = 0, worst_color = 0, worst_cr = 0, worst_y = 0;
    char name[128];
    for (idx = 0; idx < TG_GRID; ++idx) {
        ccn_net *a, *b;
        tg_ref ref;
        size_t p, q, k, n_learn = 0;
        int o, t, j, exact;
        tu_seq s;
        double *ga, *gb, *gr, *yr, *la, *lb, *lr, err, dy = 0;
        ccn_real *acc, x[4], y[3], e[3];
        ++n_nets;
        a = tg_grid_net(idx, CCN_RTRL);
        b = tg_grid_net(idx, CCN_COLOR);
        ref = tg_ref_of(a);
        p = ccn_param_count(a);
        q = (size_t)ref_param_count(&ref.r.net);
        o = ccn_get_config(a)->n_outputs;
        s = tu_sequence(T, 4, o, (uint64_t)(900 + idx));
        ga = tu_doubles(p);
        gb = tu_doubles(p);
        gr = tu_doubles(q);
        yr = tu_doubles((size_t)(T * o));
        la = tu_doubles(q);
        lb = tu_doubles(q);
        lr = tu_doubles(q);
        acc = tu_reals(p);
        exact = tg_color_exact(b);
        ccn_reset_state(a); /* tu_library_gradient, keeping the outputs */
        for (t = 0; t < T; ++t) {
            for (j = 0; j < 4; ++j) x[j] = (ccn_real)s.x[t * 4 + j];
            CHECK(ccn_step(a, x, y) == CCN_OK);
            for (j = 0; j < o; ++j) {
                e[j] = y[j] - (ccn_real)s.target[t * o + j];
                yr[t * o + j] = (double)y[j];
            }
            CHECK(ccn_accumulate_gradient(a, e, acc) == CCN_OK);
        }
        for (k = 0; k < p; ++k) ga[k] = (double)acc[k];
        tu_library_gradient(b, &s, gb);
        ref_bptt(&ref.r.net, ref.r.theta, T, s.x, s.target, gr);
        { /* the outputs */
            double *yref = tu_doubles((size_t)(T * o));
            ref_forward(&ref.r.net, ref.r.theta, T, s.x, s.target, yref);
            for (k = 0; k < (size_t)(T * o); ++k)
                if (fabs(yr[k] - yref[k]) > dy) dy = fabs(yr[k] - yref[k]);
            if (dy > worst_y) worst_y = dy;
            CHECK_LE(dy, TOL_FORWARD);
            free(yref);
        }
        for (k = 0; k < q; ++k)
            if (tg_learning(a, ref.map[k])) {
                la[n_learn] = ga[ref.map[k]];
                lb[n_learn] = gb[ref.map[k]];
                lr[n_learn] = gr[k];
                ++n_learn;
            }
        for (k = 0; k < p; ++k)
            if (!tg_learning(a, k)) CHECK(ga[k] == 0.0 && gb[k] == 0.0);
        err = tu_rel_err(la, lr, n_learn);
        if (err > worst_rtrl) worst_rtrl = err;
        if (!(err <= TOL_EXACT)) printf("    %s: RTRL vs BPTT %.3g\n", tg_grid_name(idx, name, sizeof name), err);
        CHECK_LE(err, TOL_EXACT);
        CHECK(tu_norm(lr, n_learn) > 1e-3);
        if (exact) {
            double ec = tu_rel_err(lb, lr, n_learn), ecr = tu_rel_err(gb, ga, p);
            ++n_color;
            if (ec > worst_color) worst_color = ec;
            if (ecr > worst_cr) worst_cr = ecr;
            if (!(ec <= TOL_EXACT && ecr <= TOL_COLOR))
                printf("    %s: ColoR vs BPTT %.3g, vs RTRL %.3g\n", tg_grid_name(idx, name, sizeof name), ec, ecr);
            CHECK_LE(ec, TOL_EXACT);
            CHECK_LE(ecr, TOL_COLOR);
        }
        free(ga);
        free(gb);
        free(gr);
        free(yr);
        free(acc);
        free(la);
        free(lb);
        free(lr);
        tu_seq_free(&s);
        tg_ref_free(&ref);
        ccn_destroy(a);
        ccn_destroy(b);
        T = T + 4 > 40 ? 25 : T + 4;
    }
    CHECK(n_nets == TG_GRID && n_color >= n_nets / 2);
    printf("    %d nets: worst output difference %.3g; worst relative error RTRL vs BPTT %.3g; where ColoR is exact (%d nets): ColoR vs BPTT %.3g, vs RTRL %.3g\n",
           n_nets, worst_y, worst_rtrl, n_color, worst_color, worst_cr);
}

/* The same grid against central differences of the loss (on a sample of the learning
   parameters): of the reference's loss, its statistics replayed as the constants the gradient
   takes them to be; and in double, where nothing is normalised (the statistics would move with
   the parameters), of the library's own loss through ccn_step alone. Both RTRL and ColoR where
   ColoR is exact. */
static void test_every_flag_finite_differences(void) {
    int idx, mi, T = 20;
    double worst = 0, worst_own = 0, h = 1e-5;
    char name[128];
    for (idx = 0; idx < TG_GRID; ++idx)
        for (mi = 0; mi < 2; ++mi) {
            ccn_net *net = tg_grid_net(idx, mi ? CCN_COLOR : CCN_RTRL);
            const ccn_config *c = ccn_get_config(net);
            tg_ref ref;
            size_t p = ccn_param_count(net), q, k, i, n_sample = 0, n_learn = 0, stride, *learn;
            int o = c->n_outputs;
            tu_seq s = tu_sequence(T, 4, o, (uint64_t)(1300 + idx));
            double *g, *fd, *gs, *stats, err;
            if (mi && !tg_color_exact(net)) {
                tu_seq_free(&s);
                ccn_destroy(net);
                continue;
            }
            ref = tg_ref_of(net);
            q = (size_t)ref_param_count(&ref.r.net);
            learn = (size_t *)calloc(q, sizeof(size_t));
            for (k = 0; k < q; ++k)
                if (tg_learning(net, ref.map[k])) learn[n_learn++] = k;
            stride = n_learn / 40 + 1;
            g = tu_doubles(p);
            fd = tu_doubles(q);
            gs = tu_doubles(q);
            stats = tu_doubles((size_t)(T * ref_stats_size(&ref.r.net)));
            CHECK(ref_statistics(&ref.r.net, ref.r.theta, T, s.x, stats) == 0);
            ref.r.net.given_stats = stats;
            tu_library_gradient(net, &s, g);
            for (i = (size_t)idx % stride; i < n_learn; i += stride) {
                double keep, lp, lm;
                k = learn[i];
                keep = ref.r.theta[k];
                ref.r.theta[k] = keep + h;
                lp = ref_forward(&ref.r.net, ref.r.theta, T, s.x, s.target, NULL);
                ref.r.theta[k] = keep - h;
                lm = ref_forward(&ref.r.net, ref.r.theta, T, s.x, s.target, NULL);
                ref.r.theta[k] = keep;
                fd[n_sample] = (lp - lm) / (2 * h);
                gs[n_sample] = g[ref.map[k]];
                ++n_sample;
            }
            CHECK(n_sample >= 20);
            err = tu_rel_err(gs, fd, n_sample);
            if (err > worst) worst = err;
            if (!(err <= TOL_FD))
                printf("    %s %s: vs differences of the reference %.3g\n", tg_grid_name(idx, name, sizeof name),
                       mi ? "ColoR" : "RTRL", err);
            CHECK_LE(err, TOL_FD);
#if TU_DOUBLE
            if (c->input_norm_rate == 1.0 && c->feature_norm_rate == 1.0) {
                n_sample = 0;
                for (k = (size_t)idx % stride; k < p; k += stride) {
                    fd[n_sample] = tg_library_difference(net, &s, T, o, k, h);
                    gs[n_sample] = g[k];
                    ++n_sample;
                }
                err = tu_rel_err(gs, fd, n_sample);
                if (err > worst_own) worst_own = err;
                if (!(err <= TOL_FD))
                    printf("    %s %s: vs differences of the library's loss %.3g\n", tg_grid_name(idx, name, sizeof name),
                           mi ? "ColoR" : "RTRL", err);
                CHECK_LE(err, TOL_FD);
            }
#endif
            free(g);
            free(fd);
            free(gs);
            free(stats);
            free(learn);
            tu_seq_free(&s);
            tg_ref_free(&ref);
            ccn_destroy(net);
        }
    printf("    worst relative error against differences of the reference's loss: %.3g", worst);
    if (TU_DOUBLE) printf(", of the library's own loss: %.3g", worst_own);
    printf("\n");
}

/* A feedforward net's output y_t is a function of x_t alone (no state links, no normalisation,
   whose statistics remember), so its gradient at t must not depend on x_0 .. x_{t-1}: two nets
   with the same parameters, run through different histories (13 and 6 steps) and then the same
   x_t, give equal gradients of y_t (a fixed dL/dy) and equal state gradients, every kind, ColoR
   and RTRL, without feature layers and with two (and a frozen stage feeding the learning one).
   Equal exactly, not to round-off: the old traces enter only as 0 * e(t-1), which is 0 for a
   finite trace, and every other operand of step t is the same in both nets, so IEEE arithmetic
   gives the same values (compared with ==: a zero's sign may differ, 0 * e taking e's sign).
   The same nets made recurrent must differ, or the test could not see a history. */
static void test_feedforward_gradient_forgets_history(void) {
    int ki, mi, v, ff;
    TU_FOR_KINDS(ki)
        for (mi = 0; mi < 2; ++mi)
            for (v = 0; v < 2; ++v)
                for (ff = 1; ff >= 0; --ff) {
                    ccn_config c = tu_config(tu_kind(ki), mi ? CCN_RTRL : CCN_COLOR, v ? 2 : 0, 0.0, 5, 4, 2);
                    ccn_net *net[2];
                    tu_seq hist[2], now = tu_sequence(1, 4, 2, 31);
                    ccn_real *g[2], x[4], dl_dy[2] = {CCN_R(0.8), CCN_R(-1.3)}, dl_dh[5], y[2][2];
                    size_t p, k, differ = 0, nonzero = 0;
                    int n, t, j, len[2] = {13, 6};
                    c.feedforward = ff;
                    if (v) c.columns_per_stage = 3;
                    hist[0] = tu_sequence(len[0], 4, 2, (uint64_t)(40 + ki));
                    hist[1] = tu_sequence(len[1], 4, 2, (uint64_t)(60 + ki));
                    for (n = 0; n < 2; ++n) {
                        net[n] = tu_create(&c);
                        tu_randomize(net[n], (uint64_t)(8 + ki), 0.8);
                        if (v) CHECK(ccn_next_stage(net[n]) == CCN_OK);
                        for (t = 0; t < len[n]; ++t) {
                            for (j = 0; j < 4; ++j) x[j] = (ccn_real)(2.0 * hist[n].x[t * 4 + j]);
                            CHECK(ccn_step(net[n], x, NULL) == CCN_OK);
                        }
                        for (j = 0; j < 4; ++j) x[j] = (ccn_real)now.x[j];
                        CHECK(ccn_step(net[n], x, y[n]) == CCN_OK);
                    }
                    p = ccn_param_count(net[0]);
                    for (j = 0; j < 5; ++j) dl_dh[j] = (ccn_real)(0.3 * j - 0.7);
                    for (n = 0; n < 2; ++n) {
                        g[n] = tu_reals(2 * p);
                        CHECK(ccn_accumulate_gradient(net[n], dl_dy, g[n]) == CCN_OK);
                        CHECK(ccn_accumulate_state_gradient(net[n], dl_dh, g[n] + p) == CCN_OK);
                    }
                    for (k = 0; k < 2 * p; ++k) {
                        differ += !(g[0][k] == g[1][k]);
                        nonzero += g[0][k] != 0 && k < ccn_readout_offset(net[0]);
                    }
                    CHECK(nonzero > 10);
                    if (ff) {
                        CHECK(y[0][0] == y[1][0] && y[0][1] == y[1][1]);
                        if (differ)
                            printf("    %s %s layers=%d: %lu of %lu gradient entries depend on the history\n",
                                   tu_kind_name(tu_kind(ki)), mi ? "RTRL" : "ColoR", c.feature_layers,
                                   (unsigned long)differ, (unsigned long)(2 * p));
                        CHECK(differ == 0);
                    } else {
                        CHECK(differ > 0);
                    }
                    for (n = 0; n < 2; ++n) {
                        free(g[n]);
                        tu_seq_free(&hist[n]);
                        ccn_destroy(net[n]);
                    }
                    tu_seq_free(&now);
                }
}
