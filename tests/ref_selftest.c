/*
 * ref_selftest.c -- standalone check of ref_bptt.h (not part of the suite).
 *
 *   gcc -std=c99 -O2 -Wall -Wextra -Wpedantic -Wshadow -Wconversion \
 *       -Wdouble-promotion -Werror tests/ref_selftest.c -lm && ./a.out
 *
 * 1. Hand-written forward passes (hard-coded parameter offsets) for small
 *    networks, compared with ref_forward: checks the layout, z ordering
 *    (own ; cascade ; links), gate orders and cell equations.
 *    Plus conventions: NULL stage/n_links, stage relabelling, T = 0.
 * 2. ref_bptt vs. 7-point central finite differences of ref_forward's loss for
 *    every kind (tanh, gated, lstm, gru) x feature_layers {0,1,2} x links {none, state, feature, both}
 *    x stages {1, 3}, T = 30.
 * 3. ref_bptt_weighted vs. finite differences of sum_t,r w[t,r] y_r(t), and
 *    vs. ref_bptt with w = y - target.
 * 4. The configuration flags: a hand-written forward pass with feedforward
 *    columns, input normalisation (a frozen and a live stage) and feature
 *    normalisation, statistics recurrences included; then ref_bptt vs. finite
 *    differences for every kind x feature_layers with feedforward, with both
 *    normalisers (statistics replayed as constants through given_stats), and
 *    with all three, links of both types, 3 stages, 3 outputs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include "ref_bptt.h"

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static double urand(void) /* uniform in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static int failures = 0;

enum { NKINDS = REF_GRU + 1 };   /* every kind: REF_TANH .. REF_GRU */

static void check(int ok, const char *what)
{
    if (!ok) { printf("FAIL: %s\n", what); ++failures; }
}

/* ---------------------------------------------------------------- */
/* 1. hand-written forward passes                                    */
/* ---------------------------------------------------------------- */

static double sig(double a) { return 1.0 / (1.0 + exp(-a)); }
static double relu(double a) { return a > 0.0 ? a : 0.0; }

static double dot(const double *w, const double *z, int n)
{
    double s = 0.0;
    int k;
    for (k = 0; k < n; ++k) s += w[k] * z[k];
    return s;
}

/* 2-layer features, m = 2, W = 2, parameters at p */
static void feat2(const double *p, const double *x, double *phi)
{
    double r1[2];
    int k;
    for (k = 0; k < 2; ++k) r1[k] = relu(p[k * 2 + 0] * x[0] + p[k * 2 + 1] * x[1] + p[4 + k]);
    for (k = 0; k < 2; ++k) phi[k] = relu(p[6 + k * 2 + 0] * r1[0] + p[6 + k * 2 + 1] * r1[1] + p[10 + k]);
}

/* 1-layer features, m = 2, W = 3, parameters at p */
static void feat1(const double *p, const double *x, double *phi)
{
    int k;
    for (k = 0; k < 3; ++k) phi[k] = relu(p[k * 2 + 0] * x[0] + p[k * 2 + 1] * x[1] + p[6 + k]);
}

/* lstm cell, gate blocks of size zs + 2 at p, order i f o g */
static void lstm_cell(const double *p, int zs, const double *z, double *h, double *c)
{
    const int B = zs + 2;
    double ig = sig(dot(p + 0 * B, z, zs) + p[0 * B + zs] * *h + p[0 * B + zs + 1]);
    double fg = sig(dot(p + 1 * B, z, zs) + p[1 * B + zs] * *h + p[1 * B + zs + 1]);
    double og = sig(dot(p + 2 * B, z, zs) + p[2 * B + zs] * *h + p[2 * B + zs + 1]);
    double gg = tanh(dot(p + 3 * B, z, zs) + p[3 * B + zs] * *h + p[3 * B + zs + 1]);
    *c = fg * *c + ig * gg;
    *h = og * tanh(*c);
}

/* gated cell, order f g */
/* tanh cell: h = tanh(w.z + u hp + b) */
static double tanh_cell(const double *p, int zs, const double *z, double hp)
{
    return tanh(dot(p, z, zs) + p[zs] * hp + p[zs + 1]);
}

static double gated_cell(const double *p, int zs, const double *z, double hp)
{
    const int B = zs + 2;
    double fg = sig(dot(p + 0 * B, z, zs) + p[0 * B + zs] * hp + p[0 * B + zs + 1]);
    double gg = tanh(dot(p + 1 * B, z, zs) + p[1 * B + zs] * hp + p[1 * B + zs + 1]);
    return fg * hp + (1.0 - fg) * gg;
}

/* gru cell, order r s g; the candidate reads the reset state r hp */
static double gru_cell(const double *p, int zs, const double *z, double hp)
{
    const int B = zs + 2;
    double rg = sig(dot(p + 0 * B, z, zs) + p[0 * B + zs] * hp + p[0 * B + zs + 1]);
    double sg = sig(dot(p + 1 * B, z, zs) + p[1 * B + zs] * hp + p[1 * B + zs + 1]);
    double gg = tanh(dot(p + 2 * B, z, zs) + p[2 * B + zs] * (rg * hp) + p[2 * B + zs + 1]);
    return (1.0 - sg) * hp + sg * gg;
}

/* B and F: the net m=2, n=3, o=2, L=1, W=3, stages {0,0,1}, column 1 links [feature (2,0),
   state 0], of a kind with `gates` gates a column, by hand over T steps:
     features: 6+3 = 9
     col 0: |z| = 3+0+0 = 3 -> 9 + gates*5          col 1: |z| = 3+0+2 = 5 -> 9 + gates*7
     col 2: |z| = 3+2+0 = 5 -> 9 + gates*7          then W_out (2x3), b_out (2)
   (gated, 2 gates: 0, 19, 42, W_out 65, 73 in all; gru, 3 gates: 0, 24, 54, W_out 84, 92) */
static void hand_check_cascade(const char *name, int kind, int gates, int T,
                               double (*cell)(const double *, int, const double *, double)) {
    static const int stage[3] = {0, 0, 1};
    static const int nl[3] = {0, 2, 0};
    static const ref_link l1[2] = {{1, 2, 0}, {0, 0, 0}};
    const ref_link *links[3];
    const int c1 = 9 + gates * 5, c2 = c1 + 9 + gates * 7, wo = c2 + 9 + gates * 7, np = wo + 8;
    ref_net net;
    double theta[92], x[5 * 2], target[5 * 2], y[5 * 2], yh[5 * 2];
    double h[3] = {0, 0, 0}, loss = 0.0, loss_ref, maxd = 0.0;
    char what[64];
    int k, t, r;
    links[0] = NULL; links[1] = l1; links[2] = NULL;
    memset(&net, 0, sizeof net);
    net.kind = kind; net.n_inputs = 2; net.n_outputs = 2; net.n_columns = 3;
    net.feature_layers = 1; net.feature_width = 3;
    net.stage = stage; net.n_links = nl; net.links = links;
    snprintf(what, sizeof what, "param count %s", name);
    check(np <= 92 && T <= 5 && ref_param_count(&net) == np, what);
    for (k = 0; k < np; ++k) theta[k] = 0.8 * urand();
    for (k = 0; k < 2 * T; ++k) { x[k] = urand(); target[k] = urand(); }
    for (t = 0; t < T; ++t) {
        double phi0[3], phi1[3], phi2[3], z[5], hprev[3];
        memcpy(hprev, h, sizeof h);
        feat1(theta + 0, x + 2 * t, phi0);
        feat1(theta + c1, x + 2 * t, phi1);
        feat1(theta + c2, x + 2 * t, phi2);
        z[0] = phi0[0]; z[1] = phi0[1]; z[2] = phi0[2];
        h[0] = cell(theta + 0 + 9, 3, z, hprev[0]);
        z[0] = phi1[0]; z[1] = phi1[1]; z[2] = phi1[2]; z[3] = phi2[0]; z[4] = hprev[0];
        h[1] = cell(theta + c1 + 9, 5, z, hprev[1]);
        z[0] = phi2[0]; z[1] = phi2[1]; z[2] = phi2[2]; z[3] = h[0]; z[4] = h[1];
        h[2] = cell(theta + c2 + 9, 5, z, hprev[2]);
        for (r = 0; r < 2; ++r) {
            yh[2 * t + r] = theta[wo + 3 * r + 0] * h[0] + theta[wo + 3 * r + 1] * h[1]
                          + theta[wo + 3 * r + 2] * h[2] + theta[wo + 6 + r];
            loss += 0.5 * (yh[2 * t + r] - target[2 * t + r]) * (yh[2 * t + r] - target[2 * t + r]);
        }
    }
    loss_ref = ref_forward(&net, theta, T, x, target, y);
    for (k = 0; k < 2 * T; ++k) if (fabs(y[k] - yh[k]) > maxd) maxd = fabs(y[k] - yh[k]);
    printf("hand check %s (%s, L=1, cascade, feature+state links): |dy| = %.3g, |dloss| = %.3g\n",
           name, kind == REF_GRU ? "gru" : "gated", maxd, fabs(loss - loss_ref));
    snprintf(what, sizeof what, "hand check %s", name);
    check(maxd < 1e-14 && fabs(loss - loss_ref) < 1e-14, what);
}


/* C and G: the net m=2, n=2, o=1, L=0, stages {0,1}, column 0 links [state 1] (h_1(t-1)),
   column 1 reads the cascade h_0(t), of a kind with `gates` gates a column, by hand over 5
   steps; with ff (feedforward) the own previous states are 0, so only the link remembers:
     col 0: |z| = 2+0+1 = 3 -> gates*5     col 1: |z| = 2+1 = 3 -> gates*5     W_out (2), b_out
   (tanh: 0, 5, W_out 10, 13 in all; gru: 0, 15, W_out 30, 33) */
static void hand_check_pair(const char *name, int kind, int gates, int ff,
                            double (*cell)(const double *, int, const double *, double)) {
    static const int stage[2] = {0, 1};
    static const int nl[2] = {1, 0};
    static const ref_link l0[1] = {{0, 1, 0}};
    const ref_link *links[2];
    const int c1 = gates * 5, wo = 2 * c1, np = wo + 3;
    ref_net net;
    double theta[33], x[5 * 2], target[5], y[5], yh[5];
    double h[2] = {0, 0}, loss = 0.0, loss_ref, maxd = 0.0;
    char what[64];
    int k, t;
    links[0] = l0; links[1] = NULL;
    memset(&net, 0, sizeof net);
    net.kind = kind; net.n_inputs = 2; net.n_outputs = 1; net.n_columns = 2;
    net.stage = stage; net.n_links = nl; net.links = links; net.feedforward = ff;
    snprintf(what, sizeof what, "param count %s", name);
    check(np <= 33 && ref_param_count(&net) == np, what);
    for (k = 0; k < np; ++k) theta[k] = 0.8 * urand();
    for (k = 0; k < 10; ++k) x[k] = urand();
    for (k = 0; k < 5; ++k) target[k] = urand();
    for (t = 0; t < 5; ++t) {
        double z[3];
        z[0] = x[2 * t]; z[1] = x[2 * t + 1]; z[2] = h[1];   /* h_1(t-1) */
        h[0] = cell(theta + 0, 3, z, ff ? 0.0 : h[0]);
        z[2] = h[0];                                          /* h_0(t) */
        h[1] = cell(theta + c1, 3, z, ff ? 0.0 : h[1]);
        yh[t] = theta[wo] * h[0] + theta[wo + 1] * h[1] + theta[wo + 2];
        loss += 0.5 * (yh[t] - target[t]) * (yh[t] - target[t]);
    }
    loss_ref = ref_forward(&net, theta, 5, x, target, y);
    for (k = 0; k < 5; ++k) if (fabs(y[k] - yh[k]) > maxd) maxd = fabs(y[k] - yh[k]);
    printf("hand check %s (%s, L=0,%s cascade, state link): |dy| = %.3g, |dloss| = %.3g\n", name,
           kind == REF_GRU ? "gru" : "tanh", ff ? " feedforward," : "", maxd, fabs(loss - loss_ref));
    snprintf(what, sizeof what, "hand check %s", name);
    check(maxd < 1e-14 && fabs(loss - loss_ref) < 1e-14, what);
}

static void hand_checks(void)
{
    /* A: lstm, m=2, n=3, o=1, L=2, W=2, stages {0,1,1}
     *    column 0 links: [state 2]
     *    column 2 links: [state 1, feature (0,1)]
     *  per column features: 4+2+4+2 = 12
     *  col 0: |z| = 2+0+1 = 3 -> 4*5 = 20 -> 32   (params   0.. 31)
     *  col 1: |z| = 2+1+0 = 3 -> 4*5 = 20 -> 32   (params  32.. 63)
     *  col 2: |z| = 2+1+2 = 5 -> 4*7 = 28 -> 40   (params  64..103)
     *  W_out 104..106, b_out 107 -> 108 */
    {
        static const int stage[3] = {0, 1, 1};
        static const int nl[3] = {1, 0, 2};
        static const ref_link l0[1] = {{0, 2, 0}};
        static const ref_link l2[2] = {{0, 1, 0}, {1, 0, 1}};
        const ref_link *links[3];
        ref_net net;
        double theta[108], x[3 * 2], target[3], y[3], yh[3];
        double h[3] = {0, 0, 0}, c[3] = {0, 0, 0}, loss = 0.0, loss_ref, maxd = 0.0;
        int k, t;
        links[0] = l0; links[1] = NULL; links[2] = l2;
        memset(&net, 0, sizeof net);
        net.kind = 2; net.n_inputs = 2; net.n_outputs = 1; net.n_columns = 3;
        net.feature_layers = 2; net.feature_width = 2;
        net.stage = stage; net.n_links = nl; net.links = links;
        check(ref_param_count(&net) == 108, "param count A");
        for (k = 0; k < 108; ++k) theta[k] = 0.8 * urand();
        for (k = 0; k < 6; ++k) x[k] = urand();
        for (k = 0; k < 3; ++k) target[k] = urand();
        for (t = 0; t < 3; ++t) {
            double phi0[2], phi1[2], phi2[2], z[5], hprev[3];
            memcpy(hprev, h, sizeof h);
            feat2(theta + 0, x + 2 * t, phi0);
            feat2(theta + 32, x + 2 * t, phi1);
            feat2(theta + 64, x + 2 * t, phi2);
            /* col 0: [phi0 ; h2(t-1)] */
            z[0] = phi0[0]; z[1] = phi0[1]; z[2] = hprev[2];
            lstm_cell(theta + 0 + 12, 3, z, &h[0], &c[0]);
            /* col 1: [phi1 ; h0(t)] */
            z[0] = phi1[0]; z[1] = phi1[1]; z[2] = h[0];
            lstm_cell(theta + 32 + 12, 3, z, &h[1], &c[1]);
            /* col 2: [phi2 ; h0(t) ; h1(t-1), phi0[1]] */
            z[0] = phi2[0]; z[1] = phi2[1]; z[2] = h[0]; z[3] = hprev[1]; z[4] = phi0[1];
            lstm_cell(theta + 64 + 12, 5, z, &h[2], &c[2]);
            yh[t] = theta[104] * h[0] + theta[105] * h[1] + theta[106] * h[2] + theta[107];
            loss += 0.5 * (yh[t] - target[t]) * (yh[t] - target[t]);
        }
        loss_ref = ref_forward(&net, theta, 3, x, target, y);
        for (t = 0; t < 3; ++t) if (fabs(y[t] - yh[t]) > maxd) maxd = fabs(y[t] - yh[t]);
        printf("hand check A (lstm, L=2, cascade, state+feature links): |dy| = %.3g, |dloss| = %.3g\n",
               maxd, fabs(loss - loss_ref));
        check(maxd < 1e-14 && fabs(loss - loss_ref) < 1e-14, "hand check A");
    }

    hand_check_cascade("B", REF_GATED, 2, 4, gated_cell);

    hand_check_pair("C", REF_TANH, 1, 0, tanh_cell);

    /* D: gated, m=2, n=3, o=1, L=0, stages {0,1,1}, feedforward, input normalisation (column 0
     *    frozen statistics, columns 1 and 2 the live ones), feature normalisation; column 2
     *    links [state 1]
     *  col 0: |z| = 2 -> 2*4 = 8 (0..7); col 1: |z| = 3 -> 2*5 = 10 (8..17);
     *  col 2: |z| = 2+1+1 = 4 -> 2*6 = 12 (18..29); W_out 30..32, b_out 33 */
    {
        static const int stage[3] = {0, 1, 1};
        static const int nl[3] = {0, 0, 1};
        static const ref_link l2[1] = {{0, 1, 0}};
        static const double fmu0[2] = {0.3, -0.2}, fvar0[2] = {0.5, 2.0};
        const ref_link *links[3];
        const double *frozen_mu[3], *frozen_var[3];
        ref_net net;
        const double r = 0.9, rf = 0.8, fl = 0.05;
        double theta[34], x[6 * 2], target[6], y[6], yh[6];
        double mu[5] = {0.1, -0.3, 0.2, 0.0, 0.0}, var[5] = {1.5, 0.04, 0.7, 1.0, 1.0};   /* live: x, h0, h1, h2 */
        double fmu[3] = {0.1, 0.0, -0.1}, fvar[3] = {0.3, 1.2, 0.9};
        double h[3] = {0, 0, 0}, loss = 0.0, loss_ref, maxd = 0.0;
        int k, t, j;
        links[0] = NULL; links[1] = NULL; links[2] = l2;
        frozen_mu[0] = fmu0; frozen_var[0] = fvar0; frozen_mu[1] = NULL; frozen_var[1] = NULL;
        frozen_mu[2] = NULL; frozen_var[2] = NULL;
        memset(&net, 0, sizeof net);
        net.kind = 1; net.n_inputs = 2; net.n_outputs = 1; net.n_columns = 3;
        net.stage = stage; net.n_links = nl; net.links = links;
        net.feedforward = 1; net.input_norm_rate = r; net.feature_norm_rate = rf; net.norm_var_floor = fl;
        net.in_mu0 = mu; net.in_var0 = var; net.f_mu0 = fmu; net.f_var0 = fvar;
        net.frozen_mu = frozen_mu; net.frozen_var = frozen_var;
        check(ref_param_count(&net) == 34, "param count D");
        for (k = 0; k < 34; ++k) theta[k] = 0.8 * urand();
        for (k = 0; k < 12; ++k) x[k] = urand();
        for (k = 0; k < 6; ++k) target[k] = urand();
        loss_ref = ref_forward(&net, theta, 6, x, target, y);   /* before the hand pass moves mu, var */
        for (t = 0; t < 6; ++t) {
            const double *xt = x + 2 * t;
            double z[4], hprev1 = h[1], hn;
            /* col 0: frozen statistics, own state 0 */
            z[0] = (xt[0] - fmu0[0]) / sqrt(fvar0[0]); z[1] = (xt[1] - fmu0[1]) / sqrt(fvar0[1]);
            h[0] = gated_cell(theta + 0, 2, z, 0.0);
            /* col 1: live statistics, [x~ ; h0~] */
            z[0] = (xt[0] - mu[0]) / sqrt(var[0]); z[1] = (xt[1] - mu[1]) / sqrt(var[1]);
            z[2] = (h[0] - mu[2]) / sqrt(var[2]);
            h[1] = gated_cell(theta + 8, 3, z, 0.0);
            /* col 2: [x~ ; h0~ ; h1(t-1)] */
            z[3] = hprev1;
            h[2] = gated_cell(theta + 18, 4, z, 0.0);
            yh[t] = theta[33];
            for (j = 0; j < 3; ++j) {
                hn = (h[j] - fmu[j]) / sqrt(fvar[j]);
                yh[t] += theta[30 + j] * hn;
            }
            loss += 0.5 * (yh[t] - target[t]) * (yh[t] - target[t]);
            for (j = 0; j < 5; ++j) {   /* live statistics absorb x and h */
                double v = j < 2 ? xt[j] : h[j - 2], d, nv;
                mu[j] = r * mu[j] + (1.0 - r) * v;
                d = v - mu[j];
                nv = r * var[j] + (1.0 - r) * d * d;
                var[j] = nv > fl ? nv : fl;
            }
            for (j = 0; j < 3; ++j) {
                double d, nv;
                fmu[j] = rf * fmu[j] + (1.0 - rf) * h[j];
                d = h[j] - fmu[j];
                nv = rf * fvar[j] + (1.0 - rf) * d * d;
                fvar[j] = nv > fl ? nv : fl;
            }
        }
        for (k = 0; k < 6; ++k) if (fabs(y[k] - yh[k]) > maxd) maxd = fabs(y[k] - yh[k]);
        printf("hand check D (gated, feedforward, frozen + live input normalisation, feature normalisation): |dy| = %.3g, |dloss| = %.3g\n",
               maxd, fabs(loss - loss_ref));
        check(maxd < 1e-14 && fabs(loss - loss_ref) < 1e-14, "hand check D");
    }

    /* E: lstm, the same net as A with feedforward: h_prev = c_prev = 0 for the own state, state
     *    links still read h_j(t-1) */
    {
        static const int stage[3] = {0, 1, 1};
        static const int nl[3] = {1, 0, 2};
        static const ref_link l0[1] = {{0, 2, 0}};
        static const ref_link l2[2] = {{0, 1, 0}, {1, 0, 1}};
        const ref_link *links[3];
        ref_net net;
        double theta[108], x[4 * 2], target[4], y[4], yh[4];
        double h[3] = {0, 0, 0}, loss = 0.0, loss_ref, maxd = 0.0;
        int k, t;
        links[0] = l0; links[1] = NULL; links[2] = l2;
        memset(&net, 0, sizeof net);
        net.kind = 2; net.n_inputs = 2; net.n_outputs = 1; net.n_columns = 3;
        net.feature_layers = 2; net.feature_width = 2; net.feedforward = 1;
        net.stage = stage; net.n_links = nl; net.links = links;
        check(ref_param_count(&net) == 108, "param count E");
        for (k = 0; k < 108; ++k) theta[k] = 0.8 * urand();
        for (k = 0; k < 8; ++k) x[k] = urand();
        for (k = 0; k < 4; ++k) target[k] = urand();
        for (t = 0; t < 4; ++t) {
            double phi0[2], phi1[2], phi2[2], z[5], hprev[3], hh, cc;
            memcpy(hprev, h, sizeof h);
            feat2(theta + 0, x + 2 * t, phi0);
            feat2(theta + 32, x + 2 * t, phi1);
            feat2(theta + 64, x + 2 * t, phi2);
            z[0] = phi0[0]; z[1] = phi0[1]; z[2] = hprev[2];
            hh = 0.0; cc = 0.0; lstm_cell(theta + 0 + 12, 3, z, &hh, &cc); h[0] = hh;
            z[0] = phi1[0]; z[1] = phi1[1]; z[2] = h[0];
            hh = 0.0; cc = 0.0; lstm_cell(theta + 32 + 12, 3, z, &hh, &cc); h[1] = hh;
            z[0] = phi2[0]; z[1] = phi2[1]; z[2] = h[0]; z[3] = hprev[1]; z[4] = phi0[1];
            hh = 0.0; cc = 0.0; lstm_cell(theta + 64 + 12, 5, z, &hh, &cc); h[2] = hh;
            yh[t] = theta[104] * h[0] + theta[105] * h[1] + theta[106] * h[2] + theta[107];
            loss += 0.5 * (yh[t] - target[t]) * (yh[t] - target[t]);
        }
        loss_ref = ref_forward(&net, theta, 4, x, target, y);
        for (t = 0; t < 4; ++t) if (fabs(y[t] - yh[t]) > maxd) maxd = fabs(y[t] - yh[t]);
        printf("hand check E (lstm, L=2, feedforward, cascade, state+feature links): |dy| = %.3g, |dloss| = %.3g\n",
               maxd, fabs(loss - loss_ref));
        check(maxd < 1e-14 && fabs(loss - loss_ref) < 1e-14, "hand check E");
    }

    hand_check_cascade("F", REF_GRU, 3, 5, gru_cell);

    hand_check_pair("G", REF_GRU, 3, 1, gru_cell);

    /* invalid descriptions are rejected */
    {
        static const int bad_stage[2] = {1, 0};
        static const int nl[2] = {1, 0};
        static const ref_link self_link[1] = {{0, 0, 0}};
        static const ref_link feat_link[1] = {{1, 1, 0}};
        const ref_link *links[2];
        ref_net net;
        memset(&net, 0, sizeof net);
        net.kind = 0; net.n_inputs = 2; net.n_outputs = 1; net.n_columns = 2;
        net.stage = bad_stage;
        check(ref_param_count(&net) == -1, "decreasing stages rejected");
        net.stage = NULL; net.n_links = nl; net.links = links;
        links[0] = self_link; links[1] = NULL;
        check(ref_param_count(&net) == -1, "self state link rejected");
        links[0] = feat_link;
        check(ref_param_count(&net) == -1, "feature link with L=0 rejected");
        net.feature_layers = 1; net.feature_width = 3;
        check(ref_param_count(&net) > 0, "feature link with L=1 accepted");
        net.input_norm_rate = 0.9;
        check(ref_param_count(&net) == -1, "normalisation without a variance floor rejected");
        net.norm_var_floor = 0.01; net.input_norm_rate = 1.5;
        check(ref_param_count(&net) == -1, "normalisation rate above 1 rejected");
        net.input_norm_rate = 0.9; net.feedforward = 2;
        check(ref_param_count(&net) == -1, "feedforward other than 0 or 1 rejected");
        net.feedforward = 0; net.kind = REF_GRU + 1;
        check(ref_param_count(&net) == -1, "unknown kind rejected");
        net.kind = REF_GRU;
        check(ref_param_count(&net) > 0, "gru accepted");
    }
}

/* Conventions: NULL stage / n_links; stage values only matter through their
 * order; T == 0; the gradient is overwritten, not accumulated. */
static void misc_checks(void)
{
    enum { M = 2, N = 4, O = 2, T = 7 };
    static const int zero_stage[N] = {0, 0, 0, 0};
    static const int zero_links[N] = {0, 0, 0, 0};
    static const int st_a[N] = {0, 1, 1, 2};
    static const int st_b[N] = {-3, 5, 5, 40};
    ref_net a, b;
    double theta[400], x[T * M], target[T * O], g1[400], g2[400], la, lb;
    long p, k;
    int kind;
    for (kind = 0; kind < NKINDS; ++kind) {
        memset(&a, 0, sizeof a);
        a.kind = kind; a.n_inputs = M; a.n_outputs = O; a.n_columns = N;
        a.feature_layers = 2; a.feature_width = 3;
        b = a;
        b.stage = zero_stage; b.n_links = zero_links;   /* links stays NULL: allowed, all counts 0 */
        p = ref_param_count(&a);
        check(p > 0 && p <= 400 && p == ref_param_count(&b), "param count NULL vs explicit zeros");
        for (k = 0; k < p; ++k) theta[k] = 0.7 * urand();
        for (k = 0; k < T * M; ++k) x[k] = urand();
        for (k = 0; k < T * O; ++k) target[k] = urand();
        la = ref_bptt(&a, theta, T, x, target, g1);
        lb = ref_bptt(&b, theta, T, x, target, g2);
        check(la == lb && memcmp(g1, g2, (size_t)p * sizeof(double)) == 0, "NULL stage/links == zeros");

        a.stage = st_a; b.stage = st_b; b.n_links = NULL;
        p = ref_param_count(&a);
        check(p > 0 && p <= 400 && p == ref_param_count(&b), "param count stage relabelling");
        for (k = 0; k < p; ++k) theta[k] = 0.7 * urand();
        la = ref_bptt(&a, theta, T, x, target, g1);
        for (k = 0; k < p; ++k) g2[k] = 1e300;
        lb = ref_bptt(&b, theta, T, x, target, g2);
        check(la == lb && memcmp(g1, g2, (size_t)p * sizeof(double)) == 0, "stage values only matter by order");

        for (k = 0; k < p; ++k) g2[k] = 1.0;
        check(ref_bptt(&a, theta, 0, x, target, g2) == 0.0, "T = 0 loss");
        for (k = 0; k < p; ++k) check(g2[k] == 0.0, "T = 0 gradient");
        check(ref_forward(&a, theta, 0, x, target, NULL) == 0.0, "T = 0 forward");
    }
    printf("misc checks (NULL stage/links, stage relabelling, T = 0) done\n");
}

/* ---------------------------------------------------------------- */
/* 2./3. finite differences                                          */
/* ---------------------------------------------------------------- */

static unsigned char *g_fd_kink = NULL;   /* per component: 1 if a relu kink was near (non-central FD) */

typedef struct errs { double rel, abs_err, rel_smooth, rel_kink; } errs;

static void compare(const double *g, const double *fd, long p, errs *e)
{
    long k;
    memset(e, 0, sizeof *e);
    for (k = 0; k < p; ++k) {
        double d = fabs(g[k] - fd[k]);
        /* per-component relative error; components smaller than 1e-3 are
         * measured against 1e-3 (their FD round-off, ~1e-11 absolute, would
         * otherwise dominate) */
        double rel = d / fmax(fmax(fabs(g[k]), fabs(fd[k])), 1e-3);
        if (fd[k] != fd[k]) continue;   /* skipped: kink too close */
        if (d > e->abs_err) e->abs_err = d;
        if (rel > e->rel) e->rel = rel;
        if (g_fd_kink[k]) { if (rel > e->rel_kink) e->rel_kink = rel; }
        else if (rel > e->rel_smooth) e->rel_smooth = rel;
    }
}

static double fd_eval(const ref_net *net, double *theta, int T, const double *x, const double *target,
                      const double *w, double *y)
{
    long k, n;
    double F = 0.0;
    if (!w) return ref_forward(net, theta, T, x, target, NULL);
    ref_forward(net, theta, T, x, target, y);
    n = (long)T * net->n_outputs;
    for (k = 0; k < n; ++k) F += w[k] * y[k];
    return F;
}

/* Sign pattern of all relu pre-activations (a > 0) over the sequence, read
 * from the reference's forward tape.  A finite difference is only valid if
 * this pattern is the same at every evaluation point (no kink crossed). */
static long relu_pattern(const ref_net *net, const double *theta, int T, const double *x, unsigned char *pat)
{
    ref_tape tp;
    long cnt = 0;
    int t, i, k, W = net->feature_width;
    if (net->feature_layers == 0) return 0;
    ref_tape_init(&tp, net, T);
    ref_run_forward(net, theta, T, x, &tp);
    for (t = 0; t < T; ++t)
        for (i = 0; i < net->n_columns; ++i) {
            const double *rec = ref_rec(&tp, t, i);
            for (k = 0; k < W; ++k) pat[cnt++] = rec[tp.rec_a1 + k] > 0.0;
            if (net->feature_layers == 2)
                for (k = 0; k < W; ++k) pat[cnt++] = rec[tp.rec_a2 + k] > 0.0;
        }
    ref_tape_free(&tp);
    return cnt;
}

static int g_fd_onesided = 0, g_fd_shrunk = 0, g_fd_skipped = 0;

/* Evaluates the objective at theta[k] = save + s*h for s in steps[0..ns-1] and
 * reports whether the relu pattern stayed equal to pat0 at all points. */
static int fd_points(const ref_net *net, double *theta, long k, double h, const double *steps, int ns, int T,
                     const double *x, const double *target, const double *w, double *y,
                     const unsigned char *pat0, unsigned char *pat, long np, double *f)
{
    double save = theta[k];
    int s, smooth = 1;
    for (s = 0; s < ns; ++s) {
        theta[k] = save + steps[s] * h;
        f[s] = fd_eval(net, theta, T, x, target, w, y);
        if (np > 0) {
            relu_pattern(net, theta, T, x, pat);
            if (memcmp(pat, pat0, (size_t)np) != 0) smooth = 0;
        }
    }
    theta[k] = save;
    return smooth;
}

/* Finite difference of the loss (w == NULL) or of sum w*y, per component:
 *   7-point central   (45(f(h)-f(-h)) - 9(f(2h)-f(-2h)) + (f(3h)-f(-3h))) / 60h,  O(h^6)
 * with h = 1e-3.  If a relu kink lies inside the stencil, a one-sided
 * 5-point formula on the kink-free side is used instead,
 *   (-25 f(0) + 48 f(h) - 36 f(2h) + 16 f(3h) - 3 f(4h)) / 12h,       O(h^4)
 * and if neither side is kink-free h is halved (down to 1e-7; after that
 * the component is skipped, marked NaN). */
static void finite_diff(const ref_net *net, double *theta, int T, const double *x, const double *target,
                        const double *w, double *fd)
{
    static const double central[6] = {1.0, -1.0, 2.0, -2.0, 3.0, -3.0};
    static const double fwd[4] = {1.0, 2.0, 3.0, 4.0};
    static const double bwd[4] = {-1.0, -2.0, -3.0, -4.0};
    long k, p = ref_param_count(net), np;
    size_t patsize = (size_t)T * (size_t)net->n_columns * (size_t)(2 * net->feature_width + 1);
    unsigned char *pat0 = (unsigned char *)malloc(patsize), *pat = (unsigned char *)malloc(patsize);
    double *y = (double *)malloc((size_t)T * (size_t)net->n_outputs * sizeof(double));
    double f0 = 0.0;
    np = relu_pattern(net, theta, T, x, pat0);
    for (k = 0; k < p; ++k) {
        double h, f[6];
        fd[k] = ref_nan();
        for (h = 1e-3; h >= 1e-7; h *= 0.5) {
            if (fd_points(net, theta, k, h, central, 6, T, x, target, w, y, pat0, pat, np, f)) {
                fd[k] = (45.0 * (f[0] - f[1]) - 9.0 * (f[2] - f[3]) + (f[4] - f[5])) / (60.0 * h);
                break;
            }
            f0 = fd_eval(net, theta, T, x, target, w, y);
            if (fd_points(net, theta, k, h, fwd, 4, T, x, target, w, y, pat0, pat, np, f)) {
                fd[k] = (-25.0 * f0 + 48.0 * f[0] - 36.0 * f[1] + 16.0 * f[2] - 3.0 * f[3]) / (12.0 * h);
                break;
            }
            if (fd_points(net, theta, k, h, bwd, 4, T, x, target, w, y, pat0, pat, np, f)) {
                fd[k] = -(-25.0 * f0 + 48.0 * f[0] - 36.0 * f[1] + 16.0 * f[2] - 3.0 * f[3]) / (12.0 * h);
                break;
            }
        }
        g_fd_kink[k] = 1;
        if (fd[k] != fd[k]) ++g_fd_skipped;
        else if (h < 1e-3) ++g_fd_shrunk;
        else if (np > 0 && !fd_points(net, theta, k, h, central, 6, T, x, target, w, y, pat0, pat, np, f)) ++g_fd_onesided;
        else g_fd_kink[k] = 0;
    }
    free(y); free(pat0); free(pat);
}

static void merge(errs *acc, const errs *e)
{
    if (e->rel > acc->rel) acc->rel = e->rel;
    if (e->abs_err > acc->abs_err) acc->abs_err = e->abs_err;
    if (e->rel_smooth > acc->rel_smooth) acc->rel_smooth = e->rel_smooth;
    if (e->rel_kink > acc->rel_kink) acc->rel_kink = e->rel_kink;
}

static const char *kind_name[NKINDS] = {"tanh ", "gated", "lstm ", "gru  "};
static const char *link_name[4] = {"none   ", "state  ", "feature", "both   "};

/* 4. The flags: feedforward, input normalisation (stages 0 and 1 frozen, stage 2 live) and
 * feature normalisation, alone and together, for every kind and feature depth, links of both
 * types (state only without feature layers), 3 stages, 3 outputs. With a normaliser on, the
 * statistics the run reads are recorded (ref_statistics) and replayed as constants
 * (given_stats), so the finite differences are of the function whose gradient ref_bptt
 * computes; the replay must change neither the loss nor the gradient. Returns the worst
 * max-rel over the components. */
static double flag_checks(void)
{
    enum { M = 3, N = 5, O = 3, WF = 4, T = 20, MAXL = 2 };
    static const int stage[N] = {0, 0, 1, 2, 2};
    static const char *set_name[3] = {"feedforward          ", "input+feature norm   ", "feedforward+both norm"};
    double worst_all = 0.0;
    int kind, L, set;
    printf("\nflags: ref_bptt vs 7-point central FD of ref_forward (statistics replayed), m=%d n=%d o=%d W=%d T=%d, stages {0,0,1,2,2}\n",
           M, N, O, WF, T);
    printf("kind   L flags                  params  rel smooth  rel kink   max-abs\n");
    for (kind = 0; kind < NKINDS; ++kind)
        for (L = 0; L <= 2; ++L)
            for (set = 0; set < 3; ++set) {
                int nl[N], i, k;
                ref_link lbuf[N][MAXL];
                const ref_link *links[N];
                double fmu_buf[N][M + N], fvar_buf[N][M + N], mu0[M + N], var0[M + N], fmu0[N], fvar0[N];
                const double *frozen_mu[N], *frozen_var[N];
                ref_net net;
                long p, q, S = 2L * (M + N) + 2L * N;
                double *theta, *x, *target, *grad, *g2, *fd, *stats, l1, l2;
                errs e;

                memset(&net, 0, sizeof net);
                net.kind = kind; net.n_inputs = M; net.n_outputs = O; net.n_columns = N;
                net.feature_layers = L; net.feature_width = WF; net.stage = stage;
                for (i = 0; i < N; ++i) {   /* columns 0, 2 and 3 with links; state links within the stage */
                    nl[i] = 0;
                    links[i] = lbuf[i];
                    if (i == 1 || i == 4) continue;
                    for (k = 0; k < MAXL; ++k) {
                        int type = L == 0 ? 0 : k % 2;
                        lbuf[i][nl[i]].type = type;
                        lbuf[i][nl[i]].column = type == 0 ? (i == 0 ? 1 : i == 3 ? 4 : 0) : (i + k) % N;
                        lbuf[i][nl[i]].feature = (i + k) % WF;
                        ++nl[i];
                    }
                }
                net.n_links = nl;
                net.links = links;
                net.feedforward = set != 1;
                if (set >= 1) {
                    net.input_norm_rate = 0.9;
                    net.feature_norm_rate = 0.8;
                    net.norm_var_floor = 0.05;
                    for (i = 0; i < N; ++i) {
                        frozen_mu[i] = stage[i] < 2 ? fmu_buf[i] : NULL;
                        frozen_var[i] = stage[i] < 2 ? fvar_buf[i] : NULL;
                        for (k = 0; k < M + N; ++k) {
                            fmu_buf[i][k] = 0.5 * urand();
                            fvar_buf[i][k] = 1.15 + 0.85 * urand();
                        }
                    }
                    for (k = 0; k < M + N; ++k) { mu0[k] = 0.5 * urand(); var0[k] = 1.15 + 0.85 * urand(); }
                    for (k = 0; k < N; ++k) { fmu0[k] = 0.3 * urand(); fvar0[k] = 0.6 + 0.4 * urand(); }
                    net.in_mu0 = mu0; net.in_var0 = var0; net.f_mu0 = fmu0; net.f_var0 = fvar0;
                    net.frozen_mu = frozen_mu; net.frozen_var = frozen_var;
                }

                p = ref_param_count(&net);
                if (p <= 0) { printf("invalid test net\n"); failures++; return 1.0; }
                theta = (double *)malloc((size_t)p * sizeof(double));
                grad = (double *)malloc((size_t)p * sizeof(double));
                g2 = (double *)malloc((size_t)p * sizeof(double));
                fd = (double *)malloc((size_t)p * sizeof(double));
                g_fd_kink = (unsigned char *)malloc((size_t)p);
                x = (double *)malloc((size_t)(T * M) * sizeof(double));
                target = (double *)malloc((size_t)(T * O) * sizeof(double));
                stats = (double *)malloc((size_t)(T * S) * sizeof(double));
                for (q = 0; q < p; ++q) theta[q] = 0.5 * 1.7320508075688772 * urand();
                for (k = 0; k < T * M; ++k) x[k] = urand();
                for (k = 0; k < T * O; ++k) target[k] = urand();

                l1 = ref_bptt(&net, theta, T, x, target, grad);
                check(ref_statistics(&net, theta, T, x, stats) == 0, "ref_statistics");
                net.given_stats = stats;
                l2 = ref_bptt(&net, theta, T, x, target, g2);
                check(l1 == l2 && memcmp(grad, g2, (size_t)p * sizeof(double)) == 0,
                      "replayed statistics give the same loss and gradient");
                if (set >= 1) {   /* the statistics moved: the replay is not of constant ones */
                    int moved = 0;
                    for (k = 0; k < S; ++k) moved |= stats[(long)(T - 1) * S + k] != stats[k];
                    check(moved, "the live statistics follow the run");
                }
                finite_diff(&net, theta, T, x, target, NULL, fd);
                compare(grad, fd, p, &e);
                printf("%s  %d %s  %5ld   %.2e   %.2e   %.2e\n", kind_name[kind], L, set_name[set], p,
                       e.rel_smooth, e.rel_kink, e.abs_err);
                check(e.rel < 1e-6, "gradient accuracy with the flags");
                if (e.rel > worst_all) worst_all = e.rel;
                free(theta); free(grad); free(g2); free(fd); free(x); free(target); free(stats);
                free(g_fd_kink); g_fd_kink = NULL;
            }
    printf("flags: worst max-rel %.2e\n", worst_all);
    return worst_all;
}

int main(void)
{
    enum { M = 3, N = 5, O = 2, WF = 4, T = 30, MAXL = 3 };
    errs worst[NKINDS][3], wworst[NKINDS][3], all, wall;   /* [kind][L]: bptt and weighted */
    int kind, L, lk, ns;

    hand_checks();
    misc_checks();

    memset(worst, 0, sizeof worst);
    memset(wworst, 0, sizeof wworst);
    memset(&all, 0, sizeof all);
    memset(&wall, 0, sizeof wall);
    printf("\nref_bptt vs 7-point central FD (h=1e-3; one-sided 5-point near relu kinks) of ref_forward, m=%d n=%d o=%d W=%d T=%d\n", M, N, O, WF, T);
    printf("max-rel = max_k |g_k - fd_k| / max(|g_k|, |fd_k|, 1e-3), split into components with a smooth\n"
           "central stencil and components next to a relu kink (one-sided / reduced-h FD)\n\n");
    printf("                             ---------- ref_bptt ----------   -- ref_bptt_weighted --\n");
    printf("kind   L links   stages params  rel smooth  rel kink   max-abs    rel smooth  rel kink   |bptt-weighted(y-target)|\n");
    for (kind = 0; kind < NKINDS; ++kind)
        for (L = 0; L <= 2; ++L)
            for (lk = 0; lk < 4; ++lk)
                for (ns = 1; ns <= 3; ns += 2) {
                    int stage[N], nl[N], i, k;
                    ref_link lbuf[N][MAXL];
                    const ref_link *links[N];
                    ref_net net;
                    long p, q;
                    double *theta, *x, *target, *grad, *fd, *gw, *w, *y;
                    double loss, loss2, consist = 0.0;
                    errs e, ew;

                    if (L == 0 && (lk == 2 || lk == 3)) continue;   /* feature links need L >= 1 */

                    memset(&net, 0, sizeof net);
                    net.kind = kind; net.n_inputs = M; net.n_outputs = O; net.n_columns = N;
                    net.feature_layers = L; net.feature_width = WF;
                    /* stages: 1 -> all 0; 3 -> {0,0,1,2,2} */
                    for (i = 0; i < N; ++i) stage[i] = ns == 1 ? 0 : (i < 2 ? 0 : (i < 3 ? 1 : 2));
                    net.stage = stage;
                    for (i = 0; i < N; ++i) {
                        nl[i] = 0;
                        links[i] = lbuf[i];
                        if (lk == 0 || (i % 2 == 1 && lk != 3)) continue;   /* some columns without links */
                        for (k = 0; k < MAXL; ++k) {
                            int type = lk == 1 ? 0 : (lk == 2 ? 1 : (k % 2));
                            int j = (i + 1 + k * 2) % N;
                            if (type == 0 && j == i) j = (j + 1) % N;
                            lbuf[i][nl[i]].type = type;
                            lbuf[i][nl[i]].column = type == 0 ? j : (i + k) % N;   /* feature links may be to itself */
                            lbuf[i][nl[i]].feature = (i + 3 * k) % WF;
                            ++nl[i];
                        }
                    }
                    net.n_links = nl;
                    net.links = links;

                    p = ref_param_count(&net);
                    if (p <= 0) { printf("invalid test net\n"); return 1; }
                    theta = (double *)malloc((size_t)p * sizeof(double));
                    grad = (double *)malloc((size_t)p * sizeof(double));
                    gw = (double *)malloc((size_t)p * sizeof(double));
                    fd = (double *)malloc((size_t)p * sizeof(double));
                    g_fd_kink = (unsigned char *)malloc((size_t)p);
                    x = (double *)malloc((size_t)(T * M) * sizeof(double));
                    target = (double *)malloc((size_t)(T * O) * sizeof(double));
                    w = (double *)malloc((size_t)(T * O) * sizeof(double));
                    y = (double *)malloc((size_t)(T * O) * sizeof(double));
                    for (q = 0; q < p; ++q) theta[q] = 0.5 * 1.7320508075688772 * urand();   /* std 0.5 */
                    for (k = 0; k < T * M; ++k) x[k] = urand();
                    for (k = 0; k < T * O; ++k) { target[k] = urand(); w[k] = urand(); }

                    /* loss gradient */
                    for (q = 0; q < p; ++q) grad[q] = 12345.0;   /* must be overwritten */
                    loss = ref_bptt(&net, theta, T, x, target, grad);
                    loss2 = ref_forward(&net, theta, T, x, target, y);
                    check(loss == loss2, "ref_bptt and ref_forward give the same loss");
                    finite_diff(&net, theta, T, x, target, NULL, fd);
                    compare(grad, fd, p, &e);

                    /* weighted functional */
                    {
                        double F = ref_bptt_weighted(&net, theta, T, x, w, gw), F2 = 0.0;
                        for (k = 0; k < T * O; ++k) F2 += w[k] * y[k];
                        check(fabs(F - F2) <= 1e-12 * (1.0 + fabs(F2)), "ref_bptt_weighted value");
                    }
                    finite_diff(&net, theta, T, x, target, w, fd);
                    compare(gw, fd, p, &ew);

                    /* weighted with w = y - target must reproduce ref_bptt */
                    for (k = 0; k < T * O; ++k) w[k] = y[k] - target[k];
                    ref_bptt_weighted(&net, theta, T, x, w, gw);
                    for (q = 0; q < p; ++q) if (fabs(gw[q] - grad[q]) > consist) consist = fabs(gw[q] - grad[q]);

                    printf("%s  %d %s   %d   %5ld   %.2e   %.2e   %.2e   %.2e   %.2e   %.1e\n",
                           kind_name[kind], L, link_name[lk], ns, p, e.rel_smooth, e.rel_kink, e.abs_err,
                           ew.rel_smooth, ew.rel_kink, consist);
                    check(e.rel < 1e-6 && ew.rel < 1e-6 && consist < 1e-12, "gradient accuracy");
                    merge(&worst[kind][L], &e);
                    merge(&wworst[kind][L], &ew);
                    merge(&all, &e);
                    merge(&wall, &ew);

                    free(theta); free(grad); free(gw); free(fd); free(x); free(target); free(w); free(y);
                    free(g_fd_kink); g_fd_kink = NULL;
                }

    printf("\nworst max-rel per group (smooth components | next to a relu kink):\n");
    printf("kind   L    ref_bptt               ref_bptt_weighted\n");
    for (kind = 0; kind < NKINDS; ++kind)
        for (L = 0; L <= 2; ++L)
            printf("%s  %d    %.2e | %.2e    %.2e | %.2e\n", kind_name[kind], L,
                   worst[kind][L].rel_smooth, worst[kind][L].rel_kink,
                   wworst[kind][L].rel_smooth, wworst[kind][L].rel_kink);
    printf("overall %.2e | %.2e    %.2e | %.2e\n", all.rel_smooth, all.rel_kink, wall.rel_smooth, wall.rel_kink);
    flag_checks();
    printf("FD components near a relu kink: %d one-sided, %d with reduced h, %d skipped\n",
           g_fd_onesided, g_fd_shrunk, g_fd_skipped);
    printf("%s (%d failures)\n", failures ? "FAILED" : "OK", failures);
    return failures ? 1 : 0;
}
