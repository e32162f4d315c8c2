/* examples/tbptt.h, the T-BPTT dense-LSTM baseline: its gradient against an independent BPTT
   written here (its own forward and backward pass, in double), against central differences,
   and its window cut at exactly T steps with the true predecessor state; its TD(lambda) order,
   its input normaliser against ccn.h's, determinism, bad input, one allocation per net.

   The window: the gradient of yhat_t goes back through the T steps t, t-1, ..., t-T+1, the
   state (h, c) of step t-T a constant (the step before the window is its true predecessor). A
   window one step longer or shorter, or the authors' predecessor (the newest state), differs from
   it by 1.6e-3 (relative) or more in test_tbptt_window_is_exactly_T, far above round-off.

   Tolerances, with what each test measures on x86-64 (gcc 12 and clang, -O2 -ffp-contract=off):
                                             double bound  measured   float bound  measured
     full window vs reference BPTT (rel.)    1e-9          3.5e-16    2e-5         3.0e-7
     window T vs reference cut at t-T (rel.) 1e-9          5.0e-16    2e-5         3.4e-7
     vs central differences (relative)       1e-8          1.3e-10    6e-6         1.3e-7
     TD step vs the protocol by hand (rel.)  1e-12         2.5e-17    1e-6         2.0e-8
   In float the net computes in float and the reference in double; the float bounds are about 50x
   what was measured, so that anything above round-off fails. The differences are taken on the
   reference's forward pass in double (and, in double builds, on the net's own forward pass:
   1.3e-10); their own truncation error sets the double figure. */
#include "util.h"

/* Every allocation of tbptt.h goes through these: the test counts them and can make one fail. */
static long tt_allocs, tt_frees;
static int tt_fail_next;
static void *tt_malloc(size_t size) {
    ++tt_allocs;
    if (tt_fail_next) {
        tt_fail_next = 0;
        return NULL;
    }
    return malloc(size);
}
static void tt_free(void *p) {
    ++tt_frees;
    free(p);
}
#define TBPTT_MALLOC(size) tt_malloc(size)
#define TBPTT_FREE(ptr) tt_free(ptr)
#include "../examples/tbptt.h"

#if TU_DOUBLE
#define TT_TOL_EXACT 1e-9
#define TT_TOL_FD 1e-8
#define TT_TOL_TD 1e-12
#else
#define TT_TOL_EXACT 2e-5
#define TT_TOL_FD 6e-6
#define TT_TOL_TD 1e-6
#endif

/* ---- the reference: the same network in double, its own code ------------------------------ */
typedef struct tt_ref {
    int m, H, K, S;         /* inputs, units, row length, steps                               */
    const double *theta;    /* tbptt.h's layout: row (q*H + j) = [x~ (m) ; h (H) ; bias]      */
    double *xn;             /* S x m normalised inputs                                        */
    double *a;              /* S x 4 x H gate values after their nonlinearity, a[s][q][j]     */
    double *h, *c;          /* (S + 1) x H: index 0 is the zero initial state                 */
    double *y;              /* S: y[s - 1] is yhat of step s                                  */
} tt_ref;

static double tt_sigma(double v) { return 1.0 / (1.0 + exp(-v)); }

/* Runs S steps on x (S x m), normalising with rate r (1: off) and floor fl as ccn.h does. */
static tt_ref tt_ref_run(int m, int H, const double *theta, int S, const double *x, double r, double fl) {
    tt_ref R;
    int s, j, q, k;
    double *mu = tu_doubles((size_t)m), *var = tu_doubles((size_t)m);
    R.m = m;
    R.H = H;
    R.K = m + H + 1;
    R.S = S;
    R.theta = theta;
    R.xn = tu_doubles((size_t)(S * m));
    R.a = tu_doubles((size_t)(S * 4 * H));
    R.h = tu_doubles((size_t)((S + 1) * H));
    R.c = tu_doubles((size_t)((S + 1) * H));
    R.y = tu_doubles((size_t)S);
    for (k = 0; k < m; ++k) var[k] = 1;
    for (s = 1; s <= S; ++s) {
        const double *xs = x + (s - 1) * m;
        double *xn = R.xn + (s - 1) * m, *hp = R.h + (s - 1) * H, *cp = R.c + (s - 1) * H;
        double *a = R.a + (s - 1) * 4 * H, *hs = R.h + s * H, *cs = R.c + s * H, y;
        for (k = 0; k < m; ++k) {
            xn[k] = r < 1 ? (xs[k] - mu[k]) / sqrt(var[k]) : xs[k];
            if (r < 1) {
                double d, nv;
                mu[k] = r * mu[k] + (1 - r) * xs[k];
                d = xs[k] - mu[k];
                nv = r * var[k] + (1 - r) * d * d;
                var[k] = nv > fl ? nv : fl;
            }
        }
        for (q = 0; q < 4; ++q)
            for (j = 0; j < H; ++j) {
                const double *row = theta + (q * H + j) * R.K;
                double v = row[m + H];
                for (k = 0; k < m; ++k) v += row[k] * xn[k];
                for (k = 0; k < H; ++k) v += row[m + k] * hp[k];
                a[q * H + j] = q == 3 ? tanh(v) : tt_sigma(v);
            }
        y = theta[4 * H * R.K + H];
        for (j = 0; j < H; ++j) {
            cs[j] = a[H + j] * cp[j] + a[j] * a[3 * H + j];
            hs[j] = a[2 * H + j] * tanh(cs[j]);
            y += theta[4 * H * R.K + j] * hs[j];
        }
        R.y[s - 1] = y;
    }
    free(mu);
    free(var);
    return R;
}

static void tt_ref_free(tt_ref *R) {
    free(R->xn);
    free(R->a);
    free(R->h);
    free(R->c);
    free(R->y);
}

/* g = d yhat_t / d theta by BPTT through steps t, t-1, ..., cut+1, the state (h, c) at step
   `cut` a constant (cut 0: the full gradient). With `newest` set, the oldest step reads (h, c) of
   step t as its predecessor in the backward pass: the authors' one-step-short buffer. */
static void tt_ref_grad(const tt_ref *R, int t, int cut, int newest, double *g) {
    int m = R->m, H = R->H, K = R->K, s, j, q, k;
    size_t p = (size_t)(4 * H * K + H + 1);
    double *dh = tu_doubles((size_t)H), *dc = tu_doubles((size_t)H), *da = tu_doubles((size_t)(4 * H));
    memset(g, 0, p * sizeof(double));
    for (j = 0; j < H; ++j) {
        g[4 * H * K + j] = R->h[t * H + j];
        dh[j] = R->theta[4 * H * K + j];
    }
    g[4 * H * K + H] = 1;
    for (s = t; s > cut; --s) {
        const double *a = R->a + (s - 1) * 4 * H, *xn = R->xn + (s - 1) * m;
        const double *hp = R->h + (s - 1) * H, *cp = R->c + (s - 1) * H, *cs = R->c + s * H;
        if (newest && s == cut + 1) {
            hp = R->h + t * H;
            cp = R->c + t * H;
        }
        for (j = 0; j < H; ++j) {
            double i = a[j], f = a[H + j], o = a[2 * H + j], gg = a[3 * H + j], th = tanh(cs[j]);
            double dcs = dc[j] + dh[j] * o * (1 - th * th);
            da[j] = dcs * gg * i * (1 - i);
            da[H + j] = dcs * cp[j] * f * (1 - f);
            da[2 * H + j] = dh[j] * th * o * (1 - o);
            da[3 * H + j] = dcs * i * (1 - gg * gg);
            dc[j] = dcs * f;
        }
        for (j = 0; j < H; ++j) dh[j] = 0;
        for (q = 0; q < 4; ++q)
            for (j = 0; j < H; ++j) {
                double d = da[q * H + j], *row = g + (q * H + j) * K;
                const double *w = R->theta + (q * H + j) * K;
                for (k = 0; k < m; ++k) row[k] += d * xn[k];
                for (k = 0; k < H; ++k) {
                    row[m + k] += d * hp[k];
                    dh[k] += d * w[m + k];
                }
                row[m + H] += d;
            }
    }
    free(dh);
    free(dc);
    free(da);
}

/* ---- helpers ------------------------------------------------------------------------------ */
static tbptt_net *tt_net(int m, int H, int T, double rate, uint64_t seed) {
    tbptt_config c;
    tbptt_net *net = NULL;
    ccn_result r;
    memset(&c, 0, sizeof c);
    c.n_inputs = m;
    c.n_hidden = H;
    c.window = T;
    c.input_norm_rate = rate;
    c.norm_var_floor = 0.05;
    c.seed = seed;
    r = tbptt_create(&c, &net);
    if (r != CCN_OK) {
        printf("    tbptt_create: %s\n", ccn_result_string(r));
        exit(2);
    }
    return net;
}

/* Parameters U(-scale, scale), the readout U(-1, 1) (its default 0 would hide the rest). */
static double *tt_randomize(tbptt_net *net, uint64_t seed, double scale) {
    ccn_rng rng;
    size_t p = tbptt_param_count(net), ro = p - (size_t)net->H - 1, k;
    double *theta = tu_doubles(p);
    ccn_rng_seed(&rng, seed);
    for (k = 0; k < p; ++k) {
        tbptt_params(net)[k] = (ccn_real)((2.0 * ccn_rng_uniform(&rng) - 1.0) * (k >= ro ? 1.0 : scale));
        theta[k] = (double)tbptt_params(net)[k];
    }
    return theta;
}

static double *tt_inputs(int S, int m, uint64_t seed) {
    ccn_rng rng;
    double *x = tu_doubles((size_t)(S * m));
    int k;
    ccn_rng_seed(&rng, seed);
    for (k = 0; k < S * m; ++k) x[k] = 2.0 * ccn_rng_uniform(&rng) - 1.0 + (k % m == 0 ? 1.5 : 0.0);
    return x;
}

static void tt_feed(tbptt_net *net, const double *x) {
    ccn_real xr[16];
    int k;
    for (k = 0; k < net->m; ++k) xr[k] = (ccn_real)x[k];
    tbptt_step(net, xr, NULL);
}

static void tt_library_grad(tbptt_net *net, double *g) {
    size_t p = tbptt_param_count(net), k;
    ccn_real *gr = tu_reals(p);
    tbptt_gradient(net, gr);
    for (k = 0; k < p; ++k) g[k] = (double)gr[k];
    free(gr);
}

/* ---- (a) a window at least as long as the sequence is full BPTT ---------------------------- */
static void test_tbptt_full_window_equals_bptt(void) {
    static const int cases[4][5] = {/* m, H, steps, window, normalise */
                                    {3, 4, 25, 25, 0},
                                    {5, 3, 20, 40, 1},
                                    {1, 6, 30, 30, 1},
                                    {4, 1, 15, 100, 0}};
    double worst = 0;
    int ci;
    for (ci = 0; ci < 4; ++ci) {
        int m = cases[ci][0], H = cases[ci][1], S = cases[ci][2], T = cases[ci][3], t;
        double rate = cases[ci][4] ? 0.9 : 1.0;
        tbptt_net *net = tt_net(m, H, T, ci == 0 ? 0.0 : rate, (uint64_t)(40 + ci)); /* 0: the default */
        size_t p = tbptt_param_count(net);
        double *theta = tt_randomize(net, (uint64_t)(7 + ci), 0.8), *x = tt_inputs(S, m, (uint64_t)(3 + ci));
        double *g = tu_doubles(p), *gr = tu_doubles(p);
        tt_ref R = tt_ref_run(m, H, theta, S, x, rate, 0.05);
        CHECK(p == (size_t)(4 * H * (m + H + 1) + H + 1));
        for (t = 1; t <= S; ++t) { /* the gradient after every step, the window filling up */
            double err;
            tt_feed(net, x + (t - 1) * m);
            CHECK_NEAR(tbptt_output(net), R.y[t - 1], TU_DOUBLE ? 1e-12 : 1e-5);
            tt_library_grad(net, g);
            tt_ref_grad(&R, t, 0, 0, gr);
            err = tu_rel_err(g, gr, p);
            if (err > worst) worst = err;
            CHECK_LE(err, TT_TOL_EXACT);
        }
        CHECK(tu_norm(gr, p) > 1e-2);
        free(theta);
        free(x);
        free(g);
        free(gr);
        tt_ref_free(&R);
        tbptt_destroy(net);
    }
    printf("    worst relative error against full BPTT: %.3g\n", worst);
}

/* ---- (b) central differences of yhat_t ------------------------------------------------------ */
static void test_tbptt_finite_differences(void) {
    const int m = 3, H = 4, S = 20;
    tbptt_net *net = tt_net(m, H, S, 1.0, 5);
    size_t p = tbptt_param_count(net), k;
    double *theta = tt_randomize(net, 11, 0.8), *x = tt_inputs(S, m, 12);
    double *g = tu_doubles(p), *fd = tu_doubles(p), *fd_own = tu_doubles(p), h = 1e-5, err, err_own;
    int t;
    for (t = 0; t < S; ++t) tt_feed(net, x + t * m);
    tt_library_grad(net, g);
    for (k = 0; k < p; ++k) { /* the reference's forward pass, in double whatever the build */
        double keep = theta[k], yp, ym;
        tt_ref R;
        theta[k] = keep + h;
        R = tt_ref_run(m, H, theta, S, x, 1.0, 0.05);
        yp = R.y[S - 1];
        tt_ref_free(&R);
        theta[k] = keep - h;
        R = tt_ref_run(m, H, theta, S, x, 1.0, 0.05);
        ym = R.y[S - 1];
        tt_ref_free(&R);
        theta[k] = keep;
        fd[k] = (yp - ym) / (2 * h);
    }
    err = tu_rel_err(g, fd, p);
    printf("    relative error against central differences: %.3g\n", err);
    CHECK_LE(err, TT_TOL_FD);
    if (TU_DOUBLE) { /* and of the net's own forward pass */
        for (k = 0; k < p; ++k) {
            ccn_real keep = tbptt_params(net)[k];
            double yp, ym;
            tbptt_params(net)[k] = (ccn_real)(theta[k] + h);
            tbptt_reset_state(net);
            for (t = 0; t < S; ++t) tt_feed(net, x + t * m);
            yp = (double)tbptt_output(net);
            tbptt_params(net)[k] = (ccn_real)(theta[k] - h);
            tbptt_reset_state(net);
            for (t = 0; t < S; ++t) tt_feed(net, x + t * m);
            ym = (double)tbptt_output(net);
            tbptt_params(net)[k] = keep;
            fd_own[k] = (yp - ym) / (2 * h);
        }
        err_own = tu_rel_err(g, fd_own, p);
        printf("    relative error against central differences of its own forward: %.3g\n", err_own);
        CHECK_LE(err_own, TT_TOL_FD);
    }
    free(theta);
    free(x);
    free(g);
    free(fd);
    free(fd_own);
    tbptt_destroy(net);
}

/* ---- (c) a window of T steps is the gradient with the graph cut T steps back ---------------- */
static void test_tbptt_window_is_exactly_T(void) {
    static const int windows[4] = {1, 3, 7, 12};
    const int m = 3, H = 4, S = 30;
    double worst = 0, nearest_other = 1e300;
    int wi;
    for (wi = 0; wi < 4; ++wi) {
        int T = windows[wi], t;
        tbptt_net *net = tt_net(m, H, T, 0.95, (uint64_t)(60 + wi));
        size_t p = tbptt_param_count(net);
        double *theta = tt_randomize(net, (uint64_t)(61 + wi), 0.6), *x = tt_inputs(S, m, (uint64_t)(62 + wi));
        double *g = tu_doubles(p), *gr = tu_doubles(p), *go = tu_doubles(p);
        tt_ref R;
        int j;
        for (j = 0; j < H; ++j) { /* forget gates open (f ~ 0.95): the gradient reaches far back */
            size_t fb = (size_t)((H + j) * (m + H + 1) + m + H);
            theta[fb] = 3.0;
            tbptt_params(net)[fb] = CCN_R(3.0);
        }
        R = tt_ref_run(m, H, theta, S, x, 0.95, 0.05);
        for (t = 1; t <= S; ++t) {
            int cut = t - T > 0 ? t - T : 0;
            double err;
            tt_feed(net, x + (t - 1) * m);
            tt_library_grad(net, g);
            tt_ref_grad(&R, t, cut, 0, gr);
            err = tu_rel_err(g, gr, p);
            if (err > worst) worst = err;
            CHECK_LE(err, TT_TOL_EXACT);
            if (t > T + 1) { /* a window one step longer or shorter, or the authors' predecessor */
                double d;
                tt_ref_grad(&R, t, cut - 1, 0, go);
                d = tu_rel_err(g, go, p);
                if (d < nearest_other) nearest_other = d;
                CHECK(d > 1e-4);
                if (T > 1) {
                    tt_ref_grad(&R, t, cut + 1, 0, go);
                    d = tu_rel_err(g, go, p);
                    if (d < nearest_other) nearest_other = d;
                    CHECK(d > 1e-4);
                }
                tt_ref_grad(&R, t, cut, 1, go);
                d = tu_rel_err(g, go, p);
                if (d < nearest_other) nearest_other = d;
                CHECK(d > 1e-4);
            }
        }
        free(theta);
        free(x);
        free(g);
        free(gr);
        free(go);
        tt_ref_free(&R);
        tbptt_destroy(net);
    }
    printf("    worst relative error against the cut reference: %.3g; the nearest wrong window differs "
           "by %.3g\n", worst, nearest_other);
}

/* ---- TD(lambda) and supervised learning follow their protocol ------------------------------ */
/* A twin net (same seed) driven by hand with tbptt_step and tbptt_gradient ends where
   tbptt_td_step takes the first, for SGD and RMSProp, gamma changing and hitting 0. */
static void test_tbptt_td_step_protocol(void) {
    int opt;
    double worst = 0;
    for (opt = 0; opt < 2; ++opt) {
        tbptt_config c;
        tbptt_net *a, *b;
        size_t p, k;
        ccn_real *g, *E, *v, previous = 0, gamma_prev = 0, x[3], beta = CCN_R(0.9999);
        ccn_rng rng;
        int t, started = 0;
        double err;
        memset(&c, 0, sizeof c);
        c.n_inputs = 3;
        c.n_hidden = 4;
        c.window = 5;
        c.td_lambda = 0.8;
        c.optimizer = opt ? CCN_RMSPROP : CCN_SGD;
        c.step_size = 0.05;
        c.seed = 9;
        CHECK(tbptt_create(&c, &a) == CCN_OK && tbptt_create(&c, &b) == CCN_OK);
        p = tbptt_param_count(a);
        g = tu_reals(p);
        E = tu_reals(p);
        v = tu_reals(p);
        for (k = 0; k < p; ++k) v[k] = 1;
        ccn_rng_seed(&rng, 77);
        for (t = 0; t < 40; ++t) {
            ccn_real cumulant = (ccn_real)(ccn_rng_uniform(&rng) < 0.2), ya, yb;
            ccn_real gamma = (ccn_real)(t % 13 == 12 ? 0.0 : 0.9);
            for (k = 0; k < 3; ++k) x[k] = (ccn_real)(2.0 * ccn_rng_uniform(&rng) - 1.0);
            CHECK(tbptt_td_step(a, x, cumulant, gamma, &ya) == CCN_OK);
            if (started) { /* by hand */
                tbptt_gradient(b, g);
                for (k = 0; k < p; ++k) E[k] = gamma_prev * (ccn_real)0.8 * E[k] + g[k];
            }
            tbptt_step(b, x, &yb);
            if (started) {
                ccn_real delta = cumulant + gamma * yb - previous, *th = tbptt_params(b);
                CHECK_NEAR(tbptt_td_error(a), delta, TU_DOUBLE ? 1e-12 : 1e-5);
                for (k = 0; k < p; ++k) {
                    ccn_real u = delta * E[k];
                    if (opt) {
                        v[k] = beta * v[k] + (CCN_R(1) - beta) * u * u;
                        th[k] += (ccn_real)0.05 * u / ((ccn_real)sqrt((double)v[k]) + (ccn_real)1e-8);
                    } else {
                        th[k] += (ccn_real)0.05 * u;
                    }
                }
            }
            CHECK_NEAR(ya, yb, TU_DOUBLE ? 1e-12 : 1e-5);
            previous = yb;
            gamma_prev = gamma;
            started = 1;
        }
        {
            double *da = tu_doubles(p), *db = tu_doubles(p), *ea = tu_doubles(p), *eb = tu_doubles(p);
            for (k = 0; k < p; ++k) {
                da[k] = (double)tbptt_params(a)[k];
                db[k] = (double)tbptt_params(b)[k];
                ea[k] = (double)tbptt_eligibility(a)[k];
                eb[k] = (double)E[k];
            }
            err = tu_rel_err(da, db, p);
            if (tu_rel_err(ea, eb, p) > err) err = tu_rel_err(ea, eb, p);
            if (err > worst) worst = err;
            CHECK_LE(err, TT_TOL_TD);
            CHECK(tu_norm(ea, p) > 0);
            free(da);
            free(db);
            free(ea);
            free(eb);
        }
        { /* it learned something: the readout moved off 0 */
            double s = 0;
            for (k = p - 5; k < p; ++k) s += fabs((double)tbptt_params(a)[k]);
            CHECK(s > 1e-3);
        }
        free(g);
        free(E);
        free(v);
        tbptt_destroy(a);
        tbptt_destroy(b);
    }
    printf("    worst relative difference from the protocol by hand: %.3g\n", worst);
    { /* supervised: tbptt_learn is one SGD step along -(y - target) d yhat/d theta */
        tbptt_net *a = tt_net(2, 3, 4, 1.0, 21), *b = tt_net(2, 3, 4, 1.0, 21);
        size_t p = tbptt_param_count(a), k;
        ccn_real *g = tu_reals(p), x[2] = {CCN_R(0.3), CCN_R(-0.7)}, y;
        double maxd = 0;
        CHECK(tbptt_set_step_size(a, 0.1) == CCN_OK && tbptt_set_step_size(b, 0.1) == CCN_OK);
        for (k = 0; k < 6; ++k) {
            tbptt_step(a, x, &y);
            tbptt_step(b, x, NULL);
        }
        for (k = p - 4; k < p; ++k) tbptt_params(a)[k] = tbptt_params(b)[k] = CCN_R(0.5);
        tbptt_gradient(b, g);
        CHECK(tbptt_learn(a, CCN_R(2.0)) == CCN_OK);
        for (k = 0; k < p; ++k) {
            ccn_real want = tbptt_params(b)[k] + CCN_R(0.1) * (-(tbptt_output(b) - CCN_R(2.0)) * g[k]);
            double d = fabs((double)(tbptt_params(a)[k] - want));
            if (d > maxd) maxd = d;
        }
        CHECK_LE(maxd, TU_DOUBLE ? 1e-14 : 1e-6);
        free(g);
        tbptt_destroy(a);
        tbptt_destroy(b);
    }
}

/* ---- the input normaliser (an option) is ccn.h's, bit for bit; off by default ------------- */
static void test_tbptt_normalisation_matches_ccn(void) {
    ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 2, 4, 1);
    ccn_net *cn;
    tbptt_net *tn = tt_net(4, 3, 5, 0.97, 1);
    const ccn_real *mu_c, *var_c, *mu_t, *var_t;
    double *x = tt_inputs(200, 4, 8);
    int t, k, count, same = 1;
    c.input_norm_rate = 0.97;
    c.norm_var_floor = 0.05;
    cn = tu_create(&c);
    for (t = 0; t < 200; ++t) {
        ccn_real xr[4];
        for (k = 0; k < 4; ++k) xr[k] = (ccn_real)(x[t * 4 + k] * (k == 2 ? 0.01 : 3.0)); /* one hits the floor */
        ccn_step(cn, xr, NULL);
        tbptt_step(tn, xr, NULL);
        ccn_input_stats(cn, 0, &mu_c, &var_c, &count);
        tbptt_input_stats(tn, &mu_t, &var_t);
        CHECK(count >= 4 && mu_t && var_t);
        for (k = 0; k < 4; ++k) same &= mu_c[k] == mu_t[k] && var_c[k] == var_t[k];
    }
    CHECK(same);
    CHECK(var_t[2] == (ccn_real)0.05); /* the floor */
    tbptt_destroy(tn);
    tn = tt_net(1, 1, 1, 1.0, 0); /* rate 1: off */
    tbptt_input_stats(tn, &mu_t, &var_t);
    CHECK(mu_t == NULL && var_t == NULL);
    tbptt_destroy(tn);
    tn = tt_net(3, 2, 4, 0.0, 0); /* the default: off, as the authors' baseline */
    tbptt_input_stats(tn, &mu_t, &var_t);
    CHECK(mu_t == NULL && var_t == NULL);
    tbptt_destroy(tn);
    free(x);
    ccn_destroy(cn);
}

/* ---- determinism, initialisation ----------------------------------------------------------- */
static void test_tbptt_determinism(void) {
    tbptt_config c;
    tbptt_net *n[3];
    ccn_real x[2], y[3];
    size_t p, k;
    int t, i, same = 1, bound = 1;
    memset(&c, 0, sizeof c);
    c.n_inputs = 2;
    c.n_hidden = 5;
    c.window = 6;
    c.td_lambda = 0.9;
    c.optimizer = CCN_RMSPROP;
    c.step_size = 0.01;
    c.input_norm_rate = 0.999;
    for (i = 0; i < 3; ++i) {
        c.seed = i < 2 ? 0 : 1; /* seed 0 is an ordinary seed */
        CHECK(tbptt_create(&c, &n[i]) == CCN_OK);
    }
    p = tbptt_param_count(n[0]);
    for (k = 0; k < p; ++k) {
        double v = (double)tbptt_params(n[0])[k];
        if (k < p - 6) bound &= fabs(v) <= sqrt(1.0 / 5.0) && v != 0;
        else bound &= v == 0; /* the readout starts at 0 */
    }
    CHECK(bound);
    for (t = 0; t < 300; ++t) {
        x[0] = (ccn_real)(t % 17 == 0);
        x[1] = (ccn_real)sin(0.3 * t);
        for (i = 0; i < 3; ++i) tbptt_td_step(n[i], x, (ccn_real)(t % 17 == 5), CCN_R(0.9), &y[i]);
        same &= y[0] == y[1];
    }
    CHECK(same);
    CHECK(memcmp(tbptt_params(n[0]), tbptt_params(n[1]), p * sizeof(ccn_real)) == 0);
    CHECK(memcmp(tbptt_params(n[0]), tbptt_params(n[2]), p * sizeof(ccn_real)) != 0);
    CHECK(tbptt_step_count(n[0]) == 300);
    for (i = 0; i < 3; ++i) tbptt_destroy(n[i]);
}

/* ---- bad input, allocation, the cost model ------------------------------------------------- */
static void test_tbptt_bad_input_and_allocation(void) {
    tbptt_config c, ok;
    tbptt_net *net = NULL;
    ccn_real x[2] = {1, 2}, y;
    long before;
    size_t p;
    ccn_real *copy;
    int t;
    memset(&ok, 0, sizeof ok);
    ok.n_inputs = 2;
    ok.n_hidden = 3;
    ok.window = 4;
    c = ok; c.n_inputs = 0;
    CHECK(tbptt_create(&c, &net) == CCN_ERR_BAD_SIZE && net == NULL);
    c = ok; c.window = 0;
    CHECK(tbptt_create(&c, &net) == CCN_ERR_BAD_SIZE && net == NULL);
    c = ok; c.n_hidden = TBPTT_MAX_DIM + 1;
    CHECK(tbptt_create(&c, &net) == CCN_ERR_TOO_LARGE && net == NULL);
    c = ok; c.td_lambda = 1.5;
    CHECK(tbptt_create(&c, &net) == CCN_ERR_BAD_LEARNER && net == NULL);
    c = ok; c.optimizer = CCN_ADAM;
    CHECK(tbptt_create(&c, &net) == CCN_ERR_BAD_OPTIMIZER && net == NULL);
    c = ok; c.step_size = -1;
    CHECK(tbptt_create(&c, &net) == CCN_ERR_BAD_STEP_SIZE && net == NULL);
    c = ok; c.step_size = (double)NAN;
    CHECK(tbptt_create(&c, &net) == CCN_ERR_BAD_STEP_SIZE && net == NULL);
    c = ok; c.input_norm_rate = 1.5;
    CHECK(tbptt_create(&c, &net) == CCN_ERR_BAD_NORMALIZATION && net == NULL);
    CHECK(tbptt_create(NULL, &net) == CCN_ERR_NULL_ARGUMENT && net == NULL);
    tt_fail_next = 1;
    CHECK(tbptt_create(&ok, &net) == CCN_ERR_OUT_OF_MEMORY && net == NULL);

    before = tt_allocs;
    ok.step_size = 0.1;
    ok.optimizer = CCN_RMSPROP;
    CHECK(tbptt_create(&ok, &net) == CCN_OK);
    CHECK(tt_allocs == before + 1); /* one block */
    for (t = 0; t < 100; ++t) CHECK(tbptt_td_step(net, x, CCN_R(1), CCN_R(0.5), &y) == CCN_OK);
    for (t = 0; t < 10; ++t) {
        tbptt_step(net, x, &y);
        CHECK(tbptt_learn(net, CCN_R(1)) == CCN_OK);
    }
    CHECK(tt_allocs == before + 1); /* and none per step */
    p = tbptt_param_count(net);
    copy = tu_reals(p);
    memcpy(copy, tbptt_params(net), p * sizeof(ccn_real));
    CHECK(tbptt_td_step(net, x, (ccn_real)NAN, CCN_R(0.5), &y) == CCN_ERR_NOT_FINITE);
    CHECK(tbptt_td_step(net, x, CCN_R(1), CCN_R(1.5), &y) == CCN_ERR_BAD_GAMMA);
    CHECK(tbptt_td_step(net, x, CCN_R(1), (ccn_real)NAN, &y) == CCN_ERR_BAD_GAMMA);
    CHECK(tbptt_learn(net, (ccn_real)INFINITY) == CCN_ERR_NOT_FINITE);
    CHECK(tbptt_td_step(net, NULL, CCN_R(1), CCN_R(0.5), &y) == CCN_ERR_NULL_ARGUMENT);
    CHECK(tbptt_set_step_size(net, -1.0) == CCN_ERR_BAD_STEP_SIZE);
    CHECK(memcmp(copy, tbptt_params(net), p * sizeof(ccn_real)) == 0);
    before = tt_frees;
    tbptt_destroy(net);
    tbptt_destroy(NULL);
    CHECK(tt_frees == before + 1);
    free(copy);
    /* the 2023 cost model for m = 12: 13:2 and 3:10 of the paper's pairs */
    CHECK(tbptt_cost(12, 2, 13) == 14.0 * (4 * 2 * 14 + 8 + 2));
    CHECK(tbptt_cost(12, 10, 3) == 4.0 * (4 * 10 * 22 + 40 + 10));
    CHECK(tbptt_macs(3, 4, 1) == (4.0 * 4 * 8 + 16) + 8 + (4.0 * 4 * 8 + 16 * 4)); /* no W_h^T delta */
    CHECK(tbptt_macs(3, 4, 2) == tbptt_macs(3, 4, 1) + 4.0 * 4 * 8 + 16 * 4 + 4 * 4 * 4);
}
