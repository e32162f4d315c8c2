/* tbptt.h - a dense LSTM trained with truncated back-propagation through time (T-BPTT): the
   baseline that Javed, Shah, Sutton & White 2023 (arXiv 2302.05326) compare columnar and
   constructive networks against. Written for comparisons; it is not part of ccn.h.

   Header-only, every function static. It uses ccn.h's ccn_real, ccn_rng and ccn_result (the
   including program compiles ccn.h's implementation itself) and libc/libm.

       #define CCN_IMPLEMENTATION       (in the one file that compiles ccn.h)
       #include "ccn.h"
       #include "tbptt.h"

   THE NETWORK (H units, m inputs; gates i, f, o, g; one bias per gate)
       z_t = [ x~_t ; h_{t-1} ; 1 ]                       (K = m + H + 1 entries)
       i, f, o = sigma(W_q z_t),  g = tanh(W_g z_t)       (every unit reads all of z_t)
       c_t = f c_{t-1} + i g,     h_t = o tanh(c_t),      yhat_t = w . h_t + b
   x~ is x by default, as in the authors' baseline. As an option (input_norm_rate r < 1) it is x
   normalised online exactly as ccn.h does it: x~ = (x - mu)/sqrt(v) with the statistics from
   before the step, then mu <- r mu + (1-r) x, v <- max(r v + (1-r)(x - mu)^2, floor) with the
   updated mu; mu = 0, v = 1 at the start. On trace patterning the option costs T-BPTT about
   2x in error (see below).

   PARAMETER LAYOUT (one flat vector of 4HK + H + 1 reals)
       W: 4H rows of K, row q*H + j = gate q (0 i, 1 f, 2 o, 3 g) of unit j:
          [ weights on x~ (m) ; weights on h_{t-1} (H) ; bias ]
       then the readout w (H), then b.
   Initialisation: W U(-sqrt(1/H), sqrt(1/H)) from a ccn_rng seeded with cfg.seed, drawn in
   layout order; the readout 0 (as the authors' code).

   THE GRADIENT
   Each step keeps, in a ring of T slots, what the backward pass needs: z_t (which holds the
   true predecessor h_{t-1}), the gates, c_{t-1} and tanh(c_t). The gradient of yhat_t goes back
   through the T most recent steps t, t-1, ..., t-T+1, with (h, c)_{t-T} taken as a constant:
   exactly T steps, and the oldest of them sees its true predecessor (the authors' buffer is one
   step short and uses the newest state there instead). With fewer than T steps since creation
   or tbptt_reset_state it is the full BPTT gradient from the zero initial state. It uses the
   current parameters and the activations stored when each step ran, so while learning it is
   the usual online T-BPTT approximation; with the parameters held fixed it is exact.

   LEARNING (mirrors ccn_td_step and ccn_learn, in the same order)
     tbptt_td_step(x_{t+1}, c_{t+1}, gamma_{t+1}):
       E <- gamma_t lambda E + d yhat_t/d theta   (gamma_t from the previous call; skipped on the first)
       forward x_{t+1};  delta = c_{t+1} + gamma_{t+1} yhat_{t+1} - yhat_t  (from the second call on)
       theta <- theta + alpha opt(delta E)
     tbptt_learn(target) after tbptt_step: theta <- theta + alpha opt(-(yhat - target) d yhat/d theta)
   opt is CCN_SGD (u) or CCN_RMSPROP (v <- beta v + (1-beta) u^2, u / (sqrt(v) + eps), v starting
   at 1, beta 0.9999, eps 1e-8): the authors' rule, as ccn.h's.

   AGAINST THE AUTHORS' BASELINE (their lstm_bptt.cpp with DenseLSTMRmsProp, as their
   trace-patterning driver runs it), read side by side. The same: the network with one bias per
   gate; W, U and the gate biases from U(-sqrt(1/H), sqrt(1/H)), the readout weights from 0; the
   inputs as they are (the default here) and no normalisation of the readout; the zero initial
   state; the TD(lambda) order (E <- gamma lambda E + d yhat_t/d theta, forward, delta, update);
   RMSProp on delta E with v from 1, beta 0.9999, eps 1e-8, the readout's step not scaled; float
   arithmetic (unless CCN_DOUBLE; their sigmoid goes through a double exp, a difference of
   rounding). Where this code differs, and what each difference does:
     - The window. Theirs keeps T states, so once it is full the oldest step of the window reads
       the newest (h, c) as its predecessor; this one keeps T + 1 and gives it the true one.
     - A readout bias b, learned like the rest; theirs has none.
     - The initial draws: the same distribution from another generator (ccn_rng, not mt19937)
       in another order (rows [x ; h ; bias] per gate, gates i f o g; theirs all W, then all U,
       then the biases, gates i f g o), so one seed gives another net in each: not a different
       method, but no seed reproduces one of their runs.
     - Before T steps, theirs also back-propagates through the empty (zero) slots of its ring;
       every term there is 0, so the gradient is the same.
   Measured on trace patterning (T = 15, H = 4, alpha 0.001, ISI 14..26), MSRE averaged over
   steps 2M..4M, mean +- sd over seeds 1-10, each difference put back in turn by a patched copy
   of this file (the patches are not kept):
       this code                                             0.0051 +- 0.0023
       no readout bias                                       0.0047 +- 0.0015
       their one-step-short window                           0.0072 +- 0.0045
   No measurable difference from the bias (paired by seed: ratio 0.96, worse on 4 seeds of 10).
   Their window may cost a little (ratio 1.33, worse on 8 of 10) but that is within the spread
   of seeds (paired t 1.4): not established at 10 seeds x 4M steps. Normalising the inputs
   (input_norm_rate 0.99999, floor 0.01, as the ccn.h learners there) does matter: 0.0090 +-
   0.0026 against 0.0042 +- 0.0021 on seeds 1-5, about 2x, as in their own code (0.0039 as
   shipped, 0.0108 given this normaliser, measured side by side over 5 seeds).

   COST PER STEP (multiply-adds), for matching compute against a ccn net
     tbptt_cost(m, H, T) = (1+T) (4H(H+m) + 4H + H): the 2023 authors' model (their
       parameter_calculation.py), one forward and T backward steps each priced as a forward.
     tbptt_macs(m, H, T): the multiplies this code does with a full window: forward 4HK + 4H
       (gates, cell, readout), the readout's gradient 2H, then per step back 4HK (dW += delta z)
       + 16H (gate derivatives) + 4H^2 (dh_{t-1} = W_h^T delta; not on the oldest step): about
       1 + T (1 + H/K) forwards: 1.35-1.42x the model for the 2023 pairs (m = 12). Neither
       counts the nonlinearities, the learner and the optimiser (a few per parameter, as in
       ccn.h).

   MEMORY: one allocation at creation (TBPTT_MALLOC / TBPTT_FREE, default malloc/free), none per
   step: 4 reals per parameter (theta, eligibility, RMSProp v, gradient) + T (m + 7H + 1) for the
   window + O(m + H). */
#ifndef TBPTT_H_INCLUDED
#define TBPTT_H_INCLUDED

#include "../ccn.h"
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(TBPTT_MALLOC) != defined(TBPTT_FREE)
#error "tbptt.h: define both TBPTT_MALLOC and TBPTT_FREE, or neither"
#endif
#ifndef TBPTT_MALLOC
#include <stdlib.h>
#define TBPTT_MALLOC(size) malloc(size)
#define TBPTT_FREE(ptr) free(ptr)
#endif

#if defined(__GNUC__) || defined(__clang__)
#define TBPTT_DEF static __attribute__((unused))
#define TBPTT__RESTRICT __restrict__
#else
#define TBPTT_DEF static
#define TBPTT__RESTRICT
#endif

#ifdef CCN_DOUBLE
#define TBPTT__EXP(x) exp(x)
#define TBPTT__TANH(x) tanh(x)
#define TBPTT__SQRT(x) sqrt(x)
#else
#define TBPTT__EXP(x) expf(x)
#define TBPTT__TANH(x) tanhf(x)
#define TBPTT__SQRT(x) sqrtf(x)
#endif

#define TBPTT_MAX_DIM (1 << 20) /* largest n_inputs, n_hidden and window */

/* Zero-initialise, then set what you need; zero means the default shown. */
typedef struct tbptt_config {
    int n_inputs;          /* m > 0                                                    */
    int n_hidden;          /* H > 0                                                    */
    int window;            /* T >= 1: steps the gradient goes back through             */
    double td_lambda;      /* lambda in [0, 1] (tbptt_td_step)                         */
    int optimizer;         /* 0 -> CCN_SGD; or CCN_RMSPROP                             */
    double step_size;      /* alpha >= 0; 0 means no learning                          */
    double rms_beta;       /* 0 -> 0.9999                                              */
    double opt_epsilon;    /* 0 -> 1e-8                                                */
    double input_norm_rate; /* r in (0, 1]; 0 -> 1 (off)                               */
    double norm_var_floor; /* 0 -> 0.01                                                */
    uint64_t seed;
} tbptt_config;

typedef struct tbptt_net {
    tbptt_config cfg;      /* resolved                                                 */
    int m, H, T, K;        /* inputs, units, window, K = m + H + 1                     */
    size_t p, slot;        /* parameters; reals per window slot (K + 6H)               */
    int in_norm;
    int filled, head;      /* steps in the window (<= T); slot of the newest step      */
    uint64_t steps;
    int td_started;
    ccn_real y, alpha, td_gamma, td_delta;
    ccn_real *theta, *elig, *opt_v, *grad;   /* p each                               */
    ccn_real *h, *c;                         /* H each: the current state            */
    ccn_real *mu, *var;                      /* m each: input statistics             */
    ccn_real *win;                           /* T slots: z (K), gates (4H), c_{t-1} (H),
                                                tanh c_t (H)                          */
    ccn_real *dh, *dc, *delta;               /* backward scratch: H, H, 4H           */
} tbptt_net;

/* Applies the defaults to *cfg into *out and checks it: CCN_OK, CCN_ERR_NULL_ARGUMENT,
   CCN_ERR_BAD_SIZE, CCN_ERR_TOO_LARGE, CCN_ERR_BAD_LEARNER (lambda), CCN_ERR_BAD_OPTIMIZER,
   CCN_ERR_BAD_STEP_SIZE or CCN_ERR_BAD_NORMALIZATION. */
TBPTT_DEF ccn_result tbptt_config_resolve(const tbptt_config *cfg, tbptt_config *out) {
    tbptt_config r;
    if (!cfg || !out) return CCN_ERR_NULL_ARGUMENT;
    r = *cfg;
    if (r.optimizer == 0) r.optimizer = CCN_SGD;
    if (r.rms_beta == 0.0) r.rms_beta = 0.9999;
    if (r.opt_epsilon == 0.0) r.opt_epsilon = 1e-8;
    if (r.input_norm_rate == 0.0) r.input_norm_rate = 1.0;
    if (r.norm_var_floor == 0.0) r.norm_var_floor = 0.01;
    if (r.n_inputs <= 0 || r.n_hidden <= 0 || r.window <= 0) return CCN_ERR_BAD_SIZE;
    if (r.n_inputs > TBPTT_MAX_DIM || r.n_hidden > TBPTT_MAX_DIM || r.window > TBPTT_MAX_DIM)
        return CCN_ERR_TOO_LARGE;
    if (!(r.td_lambda >= 0.0 && r.td_lambda <= 1.0)) return CCN_ERR_BAD_LEARNER;
    if ((r.optimizer != CCN_SGD && r.optimizer != CCN_RMSPROP) || !(r.rms_beta >= 0.0 && r.rms_beta < 1.0) ||
        !(r.opt_epsilon >= 1e-30 && r.opt_epsilon <= 1e30))
        return CCN_ERR_BAD_OPTIMIZER;
    if (!(r.step_size >= 0.0 && r.step_size <= 1e30)) return CCN_ERR_BAD_STEP_SIZE;
    if (!(r.input_norm_rate >= 1e-30 && r.input_norm_rate <= 1.0) ||
        !(r.norm_var_floor >= 1e-30 && r.norm_var_floor <= 1e30))
        return CCN_ERR_BAD_NORMALIZATION;
    *out = r;
    return CCN_OK;
}

/* a*b + c in size_t, 0 on overflow */
TBPTT_DEF int tbptt__mul_add(size_t a, size_t b, size_t c, size_t *out) {
    if (a != 0 && b > ((size_t)-1 - c) / a) return 0;
    *out = a * b + c;
    return 1;
}

/* Offsets in reals of the block's arrays, each rounded up to 16 reals; 0 on overflow. */
TBPTT_DEF int tbptt__layout(const tbptt_config *c, size_t off[12], size_t *total) {
    size_t m = (size_t)c->n_inputs, H = (size_t)c->n_hidden, T = (size_t)c->window, K = m + H + 1;
    size_t p, slot, len[11], at = 0;
    int k;
    if (!tbptt__mul_add(4 * H, K, H + 1, &p) || !tbptt__mul_add(T, K + 6 * H, 0, &slot)) return 0;
    len[0] = len[1] = len[2] = len[3] = p;         /* theta, elig, opt_v, grad */
    len[4] = len[5] = H;                           /* h, c */
    len[6] = len[7] = m;                           /* mu, var */
    len[8] = slot;                                 /* win */
    len[9] = 2 * H;                                /* dh, dc */
    len[10] = 4 * H;                               /* delta */
    for (k = 0; k < 11; ++k) {
        off[k] = at;
        if (!tbptt__mul_add(1, at, len[k], &at) || !tbptt__mul_add(1, at, 15, &at)) return 0;
        at &= ~(size_t)15;
    }
    off[11] = at;
    *total = at;
    return 1;
}

/* Creates a net in one allocation. On error *out is NULL (CCN_ERR_OUT_OF_MEMORY if the
   allocation failed; else the error of tbptt_config_resolve). */
TBPTT_DEF ccn_result tbptt_create(const tbptt_config *cfg, tbptt_net **out) {
    tbptt_config c;
    tbptt_net *net;
    ccn_result r;
    ccn_rng rng;
    size_t off[12], reals, head = (sizeof(tbptt_net) + 127) & ~(size_t)127, bytes, k, nw;
    unsigned char *block;
    ccn_real *base;
    double scale;
    if (!out) return CCN_ERR_NULL_ARGUMENT;
    *out = NULL;
    if ((r = tbptt_config_resolve(cfg, &c)) != CCN_OK) return r;
    if (!tbptt__layout(&c, off, &reals) || !tbptt__mul_add(reals, sizeof(ccn_real), head, &bytes))
        return CCN_ERR_TOO_LARGE;
    block = (unsigned char *)TBPTT_MALLOC(bytes);
    if (!block) return CCN_ERR_OUT_OF_MEMORY;
    memset(block, 0, bytes);
    net = (tbptt_net *)(void *)block;
    base = (ccn_real *)(void *)(block + head);
    net->cfg = c;
    net->m = c.n_inputs;
    net->H = c.n_hidden;
    net->T = c.window;
    net->K = net->m + net->H + 1;
    net->p = 4 * (size_t)net->H * (size_t)net->K + (size_t)net->H + 1;
    net->slot = (size_t)net->K + 6 * (size_t)net->H;
    net->in_norm = c.input_norm_rate < 1.0;
    net->alpha = (ccn_real)c.step_size;
    net->head = net->T - 1;
    net->theta = base + off[0];
    net->elig = base + off[1];
    net->opt_v = base + off[2];
    net->grad = base + off[3];
    net->h = base + off[4];
    net->c = base + off[5];
    net->mu = base + off[6];
    net->var = base + off[7];
    net->win = base + off[8];
    net->dh = base + off[9];
    net->dc = net->dh + net->H;
    net->delta = base + off[10];
    ccn_rng_seed(&rng, c.seed);
    scale = sqrt(1.0 / (double)net->H);
    nw = 4 * (size_t)net->H * (size_t)net->K;
    for (k = 0; k < nw; ++k) net->theta[k] = (ccn_real)((2.0 * ccn_rng_uniform(&rng) - 1.0) * scale);
    for (k = 0; k < net->p; ++k) net->opt_v[k] = 1;
    for (k = 0; k < (size_t)net->m; ++k) net->var[k] = 1;
    *out = net;
    return CCN_OK;
}

TBPTT_DEF void tbptt_destroy(tbptt_net *net) {
    if (net) TBPTT_FREE(net);
}

TBPTT_DEF size_t tbptt_param_count(const tbptt_net *net) { return net->p; }
TBPTT_DEF ccn_real *tbptt_params(tbptt_net *net) { return net->theta; }          /* mutable */
TBPTT_DEF const ccn_real *tbptt_eligibility(const tbptt_net *net) { return net->elig; }
TBPTT_DEF const ccn_real *tbptt_state(const tbptt_net *net) { return net->h; }   /* h, H    */
TBPTT_DEF const ccn_real *tbptt_cell(const tbptt_net *net) { return net->c; }    /* c, H    */
TBPTT_DEF ccn_real tbptt_output(const tbptt_net *net) { return net->y; }         /* yhat_t  */
TBPTT_DEF ccn_real tbptt_td_error(const tbptt_net *net) { return net->td_delta; }
TBPTT_DEF uint64_t tbptt_step_count(const tbptt_net *net) { return net->steps; }
/* Input statistics (m each), the same recurrences as ccn_input_stats; NULL when off. */
TBPTT_DEF void tbptt_input_stats(const tbptt_net *net, const ccn_real **mean, const ccn_real **var) {
    *mean = net->in_norm ? net->mu : NULL;
    *var = net->in_norm ? net->var : NULL;
}

/* The 2023 authors' cost model and this code's own count: see COST at the top. */
TBPTT_DEF double tbptt_cost(int m, int H, int T) {
    double h = (double)H;
    return (1.0 + (double)T) * (4.0 * h * (h + (double)m) + 4.0 * h + h);
}
TBPTT_DEF double tbptt_macs(int m, int H, int T) {
    double h = (double)H, K = (double)m + h + 1.0;
    return 4.0 * h * K + 4.0 * h + 2.0 * h + (double)T * (4.0 * h * K + 16.0 * h) + (double)(T - 1) * 4.0 * h * h;
}

/* Zeroes h, c, the window and the eligibility; parameters, optimiser and statistics stay. */
TBPTT_DEF void tbptt_reset_state(tbptt_net *net) {
    memset(net->h, 0, (size_t)net->H * sizeof(ccn_real));
    memset(net->c, 0, (size_t)net->H * sizeof(ccn_real));
    memset(net->elig, 0, net->p * sizeof(ccn_real));
    net->filled = 0;
    net->head = net->T - 1;
    net->y = 0;
    net->td_started = 0;
    net->td_delta = 0;
}

TBPTT_DEF ccn_real tbptt__dot(const ccn_real *TBPTT__RESTRICT a, const ccn_real *TBPTT__RESTRICT b, int n) {
    ccn_real s = 0;
    int k;
    for (k = 0; k < n; ++k) s += a[k] * b[k];
    return s;
}

TBPTT_DEF void tbptt__axpy(ccn_real *TBPTT__RESTRICT y, const ccn_real *TBPTT__RESTRICT x, ccn_real a, int n) {
    int k;
    for (k = 0; k < n; ++k) y[k] += a * x[k];
}

/* One forward step on x (m): fills the next window slot and h, c, y. Writes yhat to *y unless
   NULL. Learns nothing. */
TBPTT_DEF void tbptt_step(tbptt_net *net, const ccn_real *x, ccn_real *y) {
    int m = net->m, H = net->H, K = net->K, j, r;
    int slot = net->head + 1 == net->T ? 0 : net->head + 1;
    ccn_real *z = net->win + (size_t)slot * net->slot, *gate = z + K, *cprev = gate + 4 * H, *tc = cprev + H;
    const ccn_real *W = net->theta, *wout = net->theta + 4 * (size_t)H * (size_t)K;
    if (net->in_norm) {
        ccn_real rate = (ccn_real)net->cfg.input_norm_rate, q = CCN_R(1) - rate;
        ccn_real fl = (ccn_real)net->cfg.norm_var_floor;
        for (j = 0; j < m; ++j) z[j] = (x[j] - net->mu[j]) / TBPTT__SQRT(net->var[j]);
        for (j = 0; j < m; ++j) { /* the statistics absorb x, after their use (as ccn.h) */
            ccn_real d, nv;
            net->mu[j] = rate * net->mu[j] + q * x[j];
            d = x[j] - net->mu[j];
            nv = rate * net->var[j] + q * d * d;
            net->var[j] = nv > fl ? nv : fl;
        }
    } else {
        memcpy(z, x, (size_t)m * sizeof(ccn_real));
    }
    memcpy(z + m, net->h, (size_t)H * sizeof(ccn_real));
    z[m + H] = 1;
    for (r = 0; r < 4 * H; ++r) gate[r] = tbptt__dot(W + (size_t)r * (size_t)K, z, K);
    for (r = 0; r < 3 * H; ++r) gate[r] = CCN_R(1) / (CCN_R(1) + TBPTT__EXP(-gate[r]));
    for (r = 3 * H; r < 4 * H; ++r) gate[r] = TBPTT__TANH(gate[r]);
    memcpy(cprev, net->c, (size_t)H * sizeof(ccn_real));
    for (j = 0; j < H; ++j) {
        net->c[j] = gate[H + j] * cprev[j] + gate[j] * gate[3 * H + j];
        tc[j] = TBPTT__TANH(net->c[j]);
        net->h[j] = gate[2 * H + j] * tc[j];
    }
    net->y = tbptt__dot(wout, net->h, H) + wout[H];
    net->head = slot;
    if (net->filled < net->T) ++net->filled;
    ++net->steps;
    if (y) *y = net->y;
}

/* out[k] += coef * d yhat_t / d theta_k through the window (see THE GRADIENT). */
TBPTT_DEF void tbptt__backward(tbptt_net *net, ccn_real coef, ccn_real *out) {
    int m = net->m, H = net->H, K = net->K, j, r, n, slot = net->head;
    const ccn_real *W = net->theta, *wout = net->theta + 4 * (size_t)H * (size_t)K;
    ccn_real *dh = net->dh, *dc = net->dc, *delta = net->delta, *oro = out + 4 * (size_t)H * (size_t)K;
    if (net->filled == 0) return;
    for (j = 0; j < H; ++j) {
        oro[j] += coef * net->h[j];
        dh[j] = coef * wout[j];
        dc[j] = 0;
    }
    oro[H] += coef;
    for (n = 0; n < net->filled; ++n) {
        const ccn_real *z = net->win + (size_t)slot * net->slot, *gate = z + K, *cprev = gate + 4 * H, *tc = cprev + H;
        for (j = 0; j < H; ++j) {
            ccn_real i = gate[j], f = gate[H + j], o = gate[2 * H + j], g = gate[3 * H + j];
            ccn_real dcj = dc[j] + dh[j] * o * (CCN_R(1) - tc[j] * tc[j]);
            delta[j] = dcj * g * i * (CCN_R(1) - i);
            delta[H + j] = dcj * cprev[j] * f * (CCN_R(1) - f);
            delta[2 * H + j] = dh[j] * tc[j] * o * (CCN_R(1) - o);
            delta[3 * H + j] = dcj * i * (CCN_R(1) - g * g);
            dc[j] = dcj * f;
        }
        for (r = 0; r < 4 * H; ++r) tbptt__axpy(out + (size_t)r * (size_t)K, z, delta[r], K);
        if (n + 1 == net->filled) break; /* (h, c) before the window are constants */
        memset(dh, 0, (size_t)H * sizeof(ccn_real));
        for (r = 0; r < 4 * H; ++r) tbptt__axpy(dh, W + (size_t)r * (size_t)K + m, delta[r], H);
        slot = slot == 0 ? net->T - 1 : slot - 1;
    }
}

/* grad (param_count entries) = d yhat_t / d theta for the latest step, through the window, at
   the current parameters (all zeros before the first step). */
TBPTT_DEF void tbptt_gradient(tbptt_net *net, ccn_real *grad) {
    memset(grad, 0, net->p * sizeof(ccn_real));
    tbptt__backward(net, CCN_R(1), grad);
}

/* theta += alpha opt(coef * src) over every parameter. */
TBPTT_DEF void tbptt__apply(tbptt_net *net, const ccn_real *TBPTT__RESTRICT src, ccn_real coef) {
    ccn_real *TBPTT__RESTRICT th = net->theta, alpha = net->alpha;
    size_t k, p = net->p;
    if (net->cfg.optimizer == CCN_SGD) {
        for (k = 0; k < p; ++k) th[k] += alpha * (coef * src[k]);
    } else {
        ccn_real *TBPTT__RESTRICT v = net->opt_v;
        ccn_real beta = (ccn_real)net->cfg.rms_beta, eps = (ccn_real)net->cfg.opt_epsilon;
        for (k = 0; k < p; ++k) {
            ccn_real u = coef * src[k];
            v[k] = beta * v[k] + (CCN_R(1) - beta) * u * u;
            th[k] += alpha * u / (TBPTT__SQRT(v[k]) + eps);
        }
    }
}

/* Supervised: one optimiser step on 1/2 (yhat_t - target)^2 for the latest tbptt_step.
   CCN_ERR_NOT_FINITE (nothing changes) if target is NaN or infinite. */
TBPTT_DEF ccn_result tbptt_learn(tbptt_net *net, ccn_real target) {
    ccn_real e;
    if (!net) return CCN_ERR_NULL_ARGUMENT;
    e = net->y - target;
    if (!(e - e == 0)) return CCN_ERR_NOT_FINITE;
    memset(net->grad, 0, net->p * sizeof(ccn_real));
    tbptt__backward(net, e, net->grad);
    tbptt__apply(net, net->grad, CCN_R(-1));
    return CCN_OK;
}

/* TD(lambda), as ccn_td_step: feeds x_{t+1} with its cumulant and discount, writes the new
   prediction (before this call's update) to *prediction unless NULL. A NaN or infinite
   cumulant (CCN_ERR_NOT_FINITE), a gamma outside [0, 1] (CCN_ERR_BAD_GAMMA) or a NULL net or x
   (CCN_ERR_NULL_ARGUMENT) changes nothing. */
TBPTT_DEF ccn_result tbptt_td_step(tbptt_net *net, const ccn_real *x, ccn_real cumulant, ccn_real gamma,
                                   ccn_real *prediction) {
    ccn_real previous;
    if (!net || !x) return CCN_ERR_NULL_ARGUMENT;
    previous = net->y;
    if (!(cumulant - cumulant == 0)) return CCN_ERR_NOT_FINITE;
    if (!(gamma >= 0 && gamma <= 1)) return CCN_ERR_BAD_GAMMA;
    if (net->td_started) { /* E <- gamma_t lambda E + d yhat_t / d theta */
        ccn_real decay = net->td_gamma * (ccn_real)net->cfg.td_lambda;
        size_t k;
        for (k = 0; k < net->p; ++k) net->elig[k] *= decay;
        tbptt__backward(net, CCN_R(1), net->elig);
    }
    tbptt_step(net, x, NULL);
    if (net->td_started) {
        net->td_delta = cumulant + gamma * net->y - previous;
        tbptt__apply(net, net->elig, net->td_delta);
    }
    net->td_gamma = gamma;
    net->td_started = 1;
    if (prediction) *prediction = net->y;
    return CCN_OK;
}

/* Changes alpha from now on. CCN_ERR_BAD_STEP_SIZE if negative, NaN or above 1e30. */
TBPTT_DEF ccn_result tbptt_set_step_size(tbptt_net *net, double step_size) {
    if (!(step_size >= 0.0 && step_size <= 1e30)) return CCN_ERR_BAD_STEP_SIZE;
    net->alpha = (ccn_real)step_size;
    return CCN_OK;
}

#endif /* TBPTT_H_INCLUDED */
