/*
 * ref_bptt.h -- independent, deliberately plain reference implementation of
 * the columnar recurrent network (forward pass, loss, and full
 * backpropagation through time), in double precision.
 *
 * It is written from the mathematical specification only and is used by the
 * test suite as ground truth for gradients.  Speed is irrelevant; clarity is
 * the point.  Header-only; every function is static.  Valid C99 and C++11.
 *
 * The network
 * -----------
 *   m inputs x(t), n columns, o outputs, kind in {0 tanh, 1 gated, 2 lstm, 3 gru}.
 *   Column i has scalar state h_i (lstm: also cell c_i); h = c = 0 before t=0.
 *
 *   features (per column, L = feature_layers, W = feature_width):
 *     L = 0: phi_i = x                                   (m entries)
 *     L = 1: phi_i = relu(W1_i x + b1_i)                 (W entries)
 *     L = 2: phi_i = relu(W2_i relu(W1_i x + b1_i) + b2_i)
 *     relu'(0) = 0.
 *
 *   input of column i:  z_i(t) = [ phi_i(t) ; cascade ; links ]
 *     cascade: h_j(t) for every j with stage[j] < stage[i], increasing j
 *     links  : in list order; type 0 -> h_j(t-1), type 1 -> phi_j(t)[k]
 *
 *   gates (pre-activation a_q = w_q . z + u_q h_prev + b_q):
 *     tanh : h = tanh(a)
 *     gated: f = sig(a_f), g = tanh(a_g), h = f h_prev + (1-f) g
 *     lstm : i,f,o = sig(a_.), g = tanh(a_g), c = f c_prev + i g, h = o tanh(c)
 *     gru  : r,s = sig(a_.), g = tanh(a_g) whose recurrent input is reset:
 *            a_g = w_g . z + u_g (r h_prev) + b_g;  h = (1-s) h_prev + s g
 *   feedforward: h_prev = c_prev = 0 for the column's own state (its u_q
 *     are never read and get no gradient); state links still read h_j(t-1).
 *
 *   readout: y_r(t) = sum_i W_out[r*n+i] hn_i(t) + b_out[r],  hn = h, or with
 *            feature normalisation hn_i = (h_i - fmu_i) / sqrt(fvar_i)
 *   loss   : sum_t sum_r 0.5 (y_r(t) - target_r(t))^2
 *
 *   input normalisation (input_norm_rate in (0, 1)): column i reads x and
 *   its cascade as (v - mu) / sqrt(var) (features too are computed from the
 *   normalised x), with mu, var in z order ([x ; cascade]) taken from
 *     frozen_mu[i], frozen_var[i] when given (m + |cascade_i| entries,
 *                                 constant: a frozen stage), else
 *     the live statistics (m + n entries: x, then h_0 .. h_{n-1}), which
 *                                 after the readout of step t absorb x(t)
 *                                 and h(t) (rate r, floor norm_var_floor):
 *         mu <- r mu + (1-r) v;  var <- max(r var + (1-r)(v - mu)^2, floor)
 *   The readout's fmu, fvar absorb h(t) the same way (feature_norm_rate).
 *   Every statistic is read from before the step, and the gradient treats
 *   all of them as constants: it is the derivative of the loss with the
 *   statistics fixed to the values the run gave them.  ref_statistics
 *   writes those values; set given_stats to them and ref_forward is that
 *   function of theta (what finite differences must differentiate).
 *
 * Parameter vector theta (no padding):
 *   for each column i: [W1 (W*m, row-major), b1 (W)] if L>=1,
 *                      [W2 (W*W, row-major), b2 (W)] if L==2,
 *                      then per gate q (kind's order: f g | i f o g | r s g):
 *                      w_q (|z_i|), u_q, b_q
 *   then W_out (o*n, row-major), b_out (o).
 *
 * Invalid networks (bad kind/sizes, decreasing stages, bad links, feature
 * links with L == 0, state links to the column itself, a normalisation rate
 * outside [0, 1] or a floor not > 0 with it on) are rejected:
 * ref_param_count returns -1, the other functions return NaN without touching
 * grad / y_out.  T == 0 gives 0 and a zero gradient.
 */
#ifndef REF_BPTT_H
#define REF_BPTT_H

#include <stdlib.h>
#include <string.h>
#include <math.h>

#if defined(__GNUC__)
#define REF_STATIC static __attribute__((unused))
#else
#define REF_STATIC static
#endif

typedef struct ref_link { int type; int column; int feature; } ref_link;  /* type 0 state, 1 feature */

/* The reference's kinds (its own numbering, not ccn.h's). */
enum { REF_TANH = 0, REF_GATED = 1, REF_LSTM = 2, REF_GRU = 3 };

typedef struct ref_net {
    int kind;            /* REF_TANH 0, REF_GATED 1, REF_LSTM 2, REF_GRU 3 */
    int n_inputs, n_outputs, n_columns;
    int feature_layers;  /* 0, 1, 2 */
    int feature_width;   /* W, used when feature_layers > 0 */
    const int *stage;    /* n_columns entries, or NULL = all stage 0 */
    const int *n_links;  /* n_columns entries, or NULL = no links */
    const ref_link *const *links; /* links[i] points at n_links[i] entries (may be NULL when n_links[i] == 0) */
    /* Zero below is the plain network (every flag off). */
    int feedforward;          /* 1: a column's own h_prev, c_prev are 0 */
    double input_norm_rate;   /* r in (0, 1): input and cascade normalisation on; 0 or 1: off */
    double feature_norm_rate; /* r in (0, 1): the readout's feature normalisation on; 0 or 1: off */
    double norm_var_floor;    /* > 0 when either is on */
    const double *in_mu0, *in_var0; /* live input statistics at t = 0, m + n entries each (NULL: 0, 1) */
    const double *f_mu0, *f_var0;   /* readout feature statistics at t = 0, n each (NULL: 0, 1) */
    const double *const *frozen_mu, *const *frozen_var; /* NULL, or n entries: non-NULL ones (m + |cascade_i|) are column i's constant statistics */
    const double *given_stats; /* NULL: the statistics follow the run; else T x ref_stats_size(net), as ref_statistics writes them */
} ref_net;

/* ------------------------------------------------------------------------ */
/* small helpers                                                             */
/* ------------------------------------------------------------------------ */

REF_STATIC double ref_sigmoid(double a) { return 1.0 / (1.0 + exp(-a)); }
REF_STATIC double ref_relu(double a) { return a > 0.0 ? a : 0.0; }
REF_STATIC double ref_relu_deriv(double a) { return a > 0.0 ? 1.0 : 0.0; }  /* relu'(0) = 0 */

REF_STATIC double ref_nan(void) { return (double)NAN; }   /* NAN is a float constant */

REF_STATIC int ref_num_gates(int kind) { return kind == REF_TANH ? 1 : kind == REF_GATED ? 2 : kind == REF_GRU ? 3 : 4; }

REF_STATIC int ref_stage_of(const ref_net *net, int i) { return net->stage ? net->stage[i] : 0; }
REF_STATIC int ref_links_of(const ref_net *net, int i) { return net->n_links ? net->n_links[i] : 0; }
REF_STATIC const ref_link *ref_link_at(const ref_net *net, int i, int k) { return &net->links[i][k]; }
REF_STATIC int ref_rate_on(double r) { return r > 0.0 && r < 1.0; }
REF_STATIC int ref_in_norm(const ref_net *net) { return ref_rate_on(net->input_norm_rate); }
REF_STATIC int ref_feat_norm(const ref_net *net) { return ref_rate_on(net->feature_norm_rate); }

/* The statistics of one step: live input means and variances (m + n each), then the readout's
   feature means and variances (n each); entries of a normaliser that is off are 0 and 1. */
REF_STATIC long ref_stats_size(const ref_net *net) { return 2L * (net->n_inputs + net->n_columns) + 2L * net->n_columns; }

/* Size of the column's own feature segment. */
REF_STATIC int ref_own_size(const ref_net *net)
{
    return net->feature_layers >= 1 ? net->feature_width : net->n_inputs;
}

/* Number of cascade entries of column i: columns j with stage[j] < stage[i]. */
REF_STATIC int ref_cascade_size(const ref_net *net, int i)
{
    int j, count = 0;
    for (j = 0; j < net->n_columns; ++j)
        if (ref_stage_of(net, j) < ref_stage_of(net, i)) ++count;
    return count;
}

/* |z_i| */
REF_STATIC int ref_z_size(const ref_net *net, int i)
{
    return ref_own_size(net) + ref_cascade_size(net, i) + ref_links_of(net, i);
}

/* Number of feature-layer parameters of one column. */
REF_STATIC long ref_feature_param_count(const ref_net *net)
{
    long W = net->feature_width, m = net->n_inputs, count = 0;
    if (net->feature_layers >= 1) count += W * m + W;
    if (net->feature_layers == 2) count += W * W + W;
    return count;
}

/* Number of parameters of column i's block (features + gates). */
REF_STATIC long ref_column_param_count(const ref_net *net, int i)
{
    return ref_feature_param_count(net)
         + (long)ref_num_gates(net->kind) * ((long)ref_z_size(net, i) + 2);
}

/* Returns 1 if the network description is valid, 0 otherwise. */
REF_STATIC int ref_net_valid(const ref_net *net)
{
    int i, k;
    if (!net) return 0;
    if (net->kind < REF_TANH || net->kind > REF_GRU) return 0;
    if (net->n_inputs < 1 || net->n_outputs < 1 || net->n_columns < 1) return 0;
    if (net->feature_layers < 0 || net->feature_layers > 2) return 0;
    if (net->feature_layers > 0 && net->feature_width < 1) return 0;
    for (i = 1; i < net->n_columns; ++i)
        if (ref_stage_of(net, i) < ref_stage_of(net, i - 1)) return 0;
    if (net->feedforward != 0 && net->feedforward != 1) return 0;
    if (!(net->input_norm_rate >= 0.0 && net->input_norm_rate <= 1.0)) return 0;
    if (!(net->feature_norm_rate >= 0.0 && net->feature_norm_rate <= 1.0)) return 0;
    if ((ref_in_norm(net) || ref_feat_norm(net)) && !(net->norm_var_floor > 0.0)) return 0;
    for (i = 0; i < net->n_columns; ++i) {
        int nl = ref_links_of(net, i);
        if (nl < 0) return 0;
        if (nl > 0 && (!net->links || !net->links[i])) return 0;
        for (k = 0; k < nl; ++k) {
            const ref_link *lk = ref_link_at(net, i, k);
            if (lk->column < 0 || lk->column >= net->n_columns) return 0;
            if (lk->type == 0) {
                if (lk->column == i) return 0;
            } else if (lk->type == 1) {
                if (net->feature_layers < 1) return 0;
                if (lk->feature < 0 || lk->feature >= net->feature_width) return 0;
            } else {
                return 0;
            }
        }
    }
    return 1;
}

REF_STATIC long ref_param_count(const ref_net *net)
{
    long total = 0;
    int i;
    if (!ref_net_valid(net)) return -1;
    for (i = 0; i < net->n_columns; ++i) total += ref_column_param_count(net, i);
    total += (long)net->n_outputs * net->n_columns + net->n_outputs;
    return total;
}

REF_STATIC void *ref_alloc(long n_doubles)
{
    size_t bytes = (size_t)(n_doubles > 0 ? n_doubles : 1) * sizeof(double);
    void *p = calloc(1, bytes);
    if (!p) abort();
    return p;
}

/* ------------------------------------------------------------------------ */
/* The tape: everything the forward pass computes, for all T steps.          */
/*                                                                           */
/* Per step t and column i, a record (offsets relative to the record start): */
/*   xn   [m]      the column's input x(t), normalised as the column reads it */
/*   a1   [W]      first feature layer pre-activation    (L >= 1)            */
/*   a2   [W]      second feature layer pre-activation   (L == 2)            */
/*   phi  [own]    features phi_i(t)                                         */
/*   z    [|z_i|]  column input                                              */
/*   act  [G]      gate activations (after sigmoid / tanh), kind's order     */
/*   st   [4]      h(t), c(t), h(t-1), c(t-1) (the last two as read: 0 when  */
/*                 feedforward)                                              */
/* Each step additionally stores y(t) [o] after the column records, then the */
/* statistics the step read [ref_stats_size].                                */
/* ------------------------------------------------------------------------ */

typedef struct ref_tape {
    int T;
    long step_size;     /* doubles per step */
    long *col_rec;      /* record offset of column i within a step */
    long *col_param;    /* parameter offset of column i's block */
    long out_param;     /* parameter offset of W_out */
    long y_off;         /* offset of y within a step */
    long stats_off;     /* offset of the step's statistics within a step */
    long rec_xn, rec_a1, rec_a2, rec_phi, rec_z; /* offsets within a column record (same for every column) */
    double *data;       /* T * step_size */
} ref_tape;

/* Offsets within column i's record that depend on |z_i|. */
REF_STATIC long ref_rec_act(const ref_tape *tp, const ref_net *net, int i) { return tp->rec_z + ref_z_size(net, i); }
REF_STATIC long ref_rec_st(const ref_tape *tp, const ref_net *net, int i) { return ref_rec_act(tp, net, i) + ref_num_gates(net->kind); }

REF_STATIC double *ref_rec(const ref_tape *tp, int t, int i) { return tp->data + (long)t * tp->step_size + tp->col_rec[i]; }
REF_STATIC double *ref_rec_y(const ref_tape *tp, int t) { return tp->data + (long)t * tp->step_size + tp->y_off; }
REF_STATIC double *ref_rec_stats(const ref_tape *tp, int t) { return tp->data + (long)t * tp->step_size + tp->stats_off; }

/* The normalisation statistics column i reads at step t (z order: [x ; cascade]). */
REF_STATIC void ref_col_stats(const ref_net *net, const ref_tape *tp, int t, int i, const double **mu, const double **var)
{
    if (net->frozen_mu && net->frozen_mu[i]) {
        *mu = net->frozen_mu[i];
        *var = net->frozen_var[i];
    } else {
        *mu = ref_rec_stats(tp, t);
        *var = *mu + net->n_inputs + net->n_columns;
    }
}

/* The readout's scale 1 / sqrt(fvar_i) at step t (1 without feature normalisation), and hn_i. */
REF_STATIC double ref_fscale(const ref_net *net, const ref_tape *tp, int t, int i)
{
    long live = 2L * (net->n_inputs + net->n_columns);
    if (!ref_feat_norm(net)) return 1.0;
    return 1.0 / sqrt(ref_rec_stats(tp, t)[live + net->n_columns + i]);
}
REF_STATIC double ref_hn(const ref_net *net, const ref_tape *tp, int t, int i)
{
    long live = 2L * (net->n_inputs + net->n_columns);
    double h = ref_rec(tp, t, i)[ref_rec_st(tp, net, i)];
    if (!ref_feat_norm(net)) return h;
    return (h - ref_rec_stats(tp, t)[live + i]) * ref_fscale(net, tp, t, i);
}

REF_STATIC void ref_tape_init(ref_tape *tp, const ref_net *net, int T)
{
    int i;
    long W = net->feature_width, off = 0, poff = 0;
    int n = net->n_columns;
    tp->T = T;
    tp->col_rec = (long *)malloc((size_t)n * sizeof(long));
    tp->col_param = (long *)malloc((size_t)n * sizeof(long));
    if (!tp->col_rec || !tp->col_param) abort();
    tp->rec_xn = 0;
    tp->rec_a1 = tp->rec_xn + net->n_inputs;
    tp->rec_a2 = tp->rec_a1 + (net->feature_layers >= 1 ? W : 0);
    tp->rec_phi = tp->rec_a2 + (net->feature_layers == 2 ? W : 0);
    tp->rec_z = tp->rec_phi + ref_own_size(net);
    for (i = 0; i < n; ++i) {
        tp->col_rec[i] = off;
        off += ref_rec_st(tp, net, i) + 4;
        tp->col_param[i] = poff;
        poff += ref_column_param_count(net, i);
    }
    tp->y_off = off;
    tp->stats_off = off + net->n_outputs;
    tp->step_size = tp->stats_off + ref_stats_size(net);
    tp->out_param = poff;
    tp->data = (double *)ref_alloc((long)T * tp->step_size);
}

REF_STATIC void ref_tape_free(ref_tape *tp)
{
    free(tp->col_rec);
    free(tp->col_param);
    free(tp->data);
    tp->col_rec = NULL; tp->col_param = NULL; tp->data = NULL;
}

/* mu <- r mu + (1-r) v;  var <- max(r var + (1-r)(v - mu)^2, floor), with the new mu */
REF_STATIC void ref_absorb(double *mu, double *var, double v, double r, double floor_)
{
    double d, nv;
    *mu = r * *mu + (1.0 - r) * v;
    d = v - *mu;
    nv = r * *var + (1.0 - r) * d * d;
    *var = nv > floor_ ? nv : floor_;
}

/* The statistics step t reads: given, or the initial ones at t = 0, else step t-1's absorbing
   x(t-1) and h(t-1). Entries of a normaliser that is off stay 0 and 1. */
REF_STATIC void ref_step_stats(const ref_net *net, ref_tape *tp, int t, const double *x)
{
    int m = net->n_inputs, n = net->n_columns, j;
    long S = ref_stats_size(net), live = m + n;
    double *st = ref_rec_stats(tp, t), *mu = st, *var = st + live, *fmu = st + 2 * live, *fvar = fmu + n;
    if (net->given_stats) {
        memcpy(st, net->given_stats + (long)t * S, (size_t)S * sizeof(double));
        return;
    }
    if (t == 0) {
        for (j = 0; j < live; ++j) {
            mu[j] = ref_in_norm(net) && net->in_mu0 ? net->in_mu0[j] : 0.0;
            var[j] = ref_in_norm(net) && net->in_var0 ? net->in_var0[j] : 1.0;
        }
        for (j = 0; j < n; ++j) {
            fmu[j] = ref_feat_norm(net) && net->f_mu0 ? net->f_mu0[j] : 0.0;
            fvar[j] = ref_feat_norm(net) && net->f_var0 ? net->f_var0[j] : 1.0;
        }
        return;
    }
    memcpy(st, ref_rec_stats(tp, t - 1), (size_t)S * sizeof(double));
    if (ref_in_norm(net)) {
        for (j = 0; j < m; ++j) ref_absorb(&mu[j], &var[j], x[(long)(t - 1) * m + j], net->input_norm_rate, net->norm_var_floor);
        for (j = 0; j < n; ++j)
            ref_absorb(&mu[m + j], &var[m + j], ref_rec(tp, t - 1, j)[ref_rec_st(tp, net, j)], net->input_norm_rate,
                       net->norm_var_floor);
    }
    if (ref_feat_norm(net))
        for (j = 0; j < n; ++j)
            ref_absorb(&fmu[j], &fvar[j], ref_rec(tp, t - 1, j)[ref_rec_st(tp, net, j)], net->feature_norm_rate,
                       net->norm_var_floor);
}

/* Runs the forward pass for T steps from zero state, filling the tape. */
REF_STATIC void ref_run_forward(const ref_net *net, const double *theta, int T, const double *x, ref_tape *tp)
{
    int n = net->n_columns, m = net->n_inputs, o = net->n_outputs;
    int L = net->feature_layers, W = net->feature_width;
    int own = ref_own_size(net), G = ref_num_gates(net->kind), norm = ref_in_norm(net);
    int t, i, j, k, l, q, r;

    for (t = 0; t < T; ++t) {
        const double *xt = x + (long)t * m;

        ref_step_stats(net, tp, t, x);

        /* 1. each column's input x, normalised as it reads it, and its features */
        for (i = 0; i < n; ++i) {
            double *rec = ref_rec(tp, t, i);
            double *xn = rec + tp->rec_xn, *a1 = rec + tp->rec_a1, *a2 = rec + tp->rec_a2, *phi = rec + tp->rec_phi;
            const double *P = theta + tp->col_param[i];
            const double *mu, *var;
            ref_col_stats(net, tp, t, i, &mu, &var);
            for (l = 0; l < m; ++l) xn[l] = norm ? (xt[l] - mu[l]) / sqrt(var[l]) : xt[l];
            if (L == 0) {
                for (l = 0; l < m; ++l) phi[l] = xn[l];
            } else {
                const double *W1 = P, *b1 = P + (long)W * m;
                for (k = 0; k < W; ++k) {
                    double s = b1[k];
                    for (l = 0; l < m; ++l) s += W1[(long)k * m + l] * xn[l];
                    a1[k] = s;
                }
                if (L == 1) {
                    for (k = 0; k < W; ++k) phi[k] = ref_relu(a1[k]);
                } else {
                    const double *W2 = b1 + W, *b2 = W2 + (long)W * W;
                    for (k = 0; k < W; ++k) {
                        double s = b2[k];
                        for (l = 0; l < W; ++l) s += W2[(long)k * W + l] * ref_relu(a1[l]);
                        a2[k] = s;
                        phi[k] = ref_relu(s);
                    }
                }
            }
        }

        /* 2. columns in column order */
        for (i = 0; i < n; ++i) {
            double *rec = ref_rec(tp, t, i);
            double *phi = rec + tp->rec_phi, *z = rec + tp->rec_z;
            double *act = rec + ref_rec_act(tp, net, i), *st = rec + ref_rec_st(tp, net, i);
            int zs = ref_z_size(net, i), nl = ref_links_of(net, i), pos = 0, cpos = 0;
            const double *gates = theta + tp->col_param[i] + ref_feature_param_count(net);
            const double *mu, *var;
            double hp, cp, pre[4];
            ref_col_stats(net, tp, t, i, &mu, &var);

            /* previous state of this column (none when feedforward) */
            if (t > 0 && !net->feedforward) {
                const double *stp = ref_rec(tp, t - 1, i) + ref_rec_st(tp, net, i);
                hp = stp[0]; cp = stp[1];
            } else {
                hp = 0.0; cp = 0.0;
            }

            /* z = [ own ; cascade ; links ] */
            for (k = 0; k < own; ++k) z[pos++] = phi[k];
            for (j = 0; j < n; ++j)
                if (ref_stage_of(net, j) < ref_stage_of(net, i)) {
                    double hj = ref_rec(tp, t, j)[ref_rec_st(tp, net, j) + 0];   /* h_j(t) */
                    z[pos++] = norm ? (hj - mu[m + cpos]) / sqrt(var[m + cpos]) : hj;
                    ++cpos;
                }
            for (k = 0; k < nl; ++k) {
                const ref_link *lk = ref_link_at(net, i, k);
                if (lk->type == 0)
                    z[pos++] = t > 0 ? ref_rec(tp, t - 1, lk->column)[ref_rec_st(tp, net, lk->column) + 0] : 0.0;
                else
                    z[pos++] = ref_rec(tp, t, lk->column)[tp->rec_phi + lk->feature];
            }

            /* gate pre-activations */
            for (q = 0; q < G; ++q) {
                const double *w = gates + (long)q * (zs + 2);
                double s = w[zs + 1];                     /* b_q */
                double hin = hp;                          /* the gate's recurrent input */
                if (net->kind == REF_GRU && q == 2) hin = ref_sigmoid(pre[0]) * hp;   /* r h_prev */
                for (k = 0; k < zs; ++k) s += w[k] * z[k];
                s += w[zs] * hin;                         /* u_q h_prev (gru g: u_g r h_prev) */
                pre[q] = s;
            }

            /* cell */
            st[2] = hp; st[3] = cp;
            if (net->kind == REF_TANH) {
                act[0] = tanh(pre[0]);
                st[0] = act[0];
                st[1] = 0.0;
            } else if (net->kind == REF_GATED) {
                act[0] = ref_sigmoid(pre[0]);             /* f */
                act[1] = tanh(pre[1]);                    /* g */
                st[0] = act[0] * hp + (1.0 - act[0]) * act[1];
                st[1] = 0.0;
            } else if (net->kind == REF_GRU) {
                act[0] = ref_sigmoid(pre[0]);             /* r */
                act[1] = ref_sigmoid(pre[1]);             /* s */
                act[2] = tanh(pre[2]);                    /* g */
                st[0] = (1.0 - act[1]) * hp + act[1] * act[2];
                st[1] = 0.0;
            } else {
                act[0] = ref_sigmoid(pre[0]);             /* i */
                act[1] = ref_sigmoid(pre[1]);             /* f */
                act[2] = ref_sigmoid(pre[2]);             /* o */
                act[3] = tanh(pre[3]);                    /* g */
                st[1] = act[1] * cp + act[0] * act[3];
                st[0] = act[2] * tanh(st[1]);
            }
        }

        /* 3. readout */
        {
            const double *Wout = theta + tp->out_param, *bout = Wout + (long)o * n;
            double *y = ref_rec_y(tp, t);
            for (r = 0; r < o; ++r) {
                double s = bout[r];
                for (i = 0; i < n; ++i) s += Wout[(long)r * n + i] * ref_hn(net, tp, t, i);
                y[r] = s;
            }
        }
    }
}

/* Backward pass over a filled tape.  dy is T*o: dObjective/dy_r(t).
 * grad (ref_param_count entries) is overwritten with dObjective/dtheta;
 * the statistics are constants. */
REF_STATIC void ref_run_backward(const ref_net *net, const double *theta, int T, const double *x,
                                 const ref_tape *tp, const double *dy, double *grad)
{
    int n = net->n_columns, m = net->n_inputs, o = net->n_outputs;
    int L = net->feature_layers, W = net->feature_width;
    int own = ref_own_size(net), G = ref_num_gates(net->kind), norm = ref_in_norm(net);
    int t, i, j, k, l, q, r, zmax = 0;
    long p = ref_param_count(net);
    const double *Wout = theta + tp->out_param;
    double *gWout = grad + tp->out_param, *gbout = gWout + (long)o * n;

    /* adjoints */
    double *dh_next = (double *)ref_alloc(n);   /* dObj/dh_i(t) from step t+1 */
    double *dc_next = (double *)ref_alloc(n);   /* dObj/dc_i(t) from step t+1 */
    double *dh_cur = (double *)ref_alloc(n);    /* dObj/dh_i(t), total */
    double *dc_cur = (double *)ref_alloc(n);
    double *dh_prev = (double *)ref_alloc(n);   /* accumulates dObj/dh_i(t-1) */
    double *dc_prev = (double *)ref_alloc(n);
    double *dphi = (double *)ref_alloc((long)n * own);  /* dObj/dphi_i(t)[k] */
    double *dz, *dr1;
    (void)x;

    for (i = 0; i < n; ++i) if (ref_z_size(net, i) > zmax) zmax = ref_z_size(net, i);
    dz = (double *)ref_alloc(zmax);
    dr1 = (double *)ref_alloc(W > 0 ? W : 1);

    for (k = 0; k < p; ++k) grad[k] = 0.0;

    for (t = T - 1; t >= 0; --t) {
        const double *dyt = dy + (long)t * o;

        /* readout: y = W_out hn + b, hn_i = (h_i - fmu_i) * fscale_i */
        for (i = 0; i < n; ++i) {
            double hni = ref_hn(net, tp, t, i), dhn = 0.0;
            dh_cur[i] = dh_next[i];
            dc_cur[i] = dc_next[i];
            for (r = 0; r < o; ++r) {
                dhn += dyt[r] * Wout[(long)r * n + i];
                gWout[(long)r * n + i] += dyt[r] * hni;
            }
            dh_cur[i] += dhn * ref_fscale(net, tp, t, i);
        }
        for (r = 0; r < o; ++r) gbout[r] += dyt[r];

        for (i = 0; i < n; ++i) { dh_prev[i] = 0.0; dc_prev[i] = 0.0; }
        for (k = 0; k < n * own; ++k) dphi[k] = 0.0;

        /* columns in reverse order: every reader of h_i(t) (cascade) has a
         * larger index and has already added its contribution to dh_cur[i]. */
        for (i = n - 1; i >= 0; --i) {
            const double *rec = ref_rec(tp, t, i);
            const double *z = rec + tp->rec_z;
            const double *act = rec + ref_rec_act(tp, net, i), *st = rec + ref_rec_st(tp, net, i);
            int zs = ref_z_size(net, i), nl = ref_links_of(net, i), pos, cpos = 0;
            long goff = tp->col_param[i] + ref_feature_param_count(net);
            const double *gates = theta + goff;
            const double *mu, *var;
            double *ggates = grad + goff;
            double dh = dh_cur[i], hp = st[2], cp = st[3];
            double da[4], dhp = 0.0, dcp = 0.0;
            ref_col_stats(net, tp, t, i, &mu, &var);

            if (net->kind == REF_TANH) {
                double h = act[0];
                da[0] = dh * (1.0 - h * h);
            } else if (net->kind == REF_GATED) {
                double f = act[0], g = act[1];
                double df = dh * (hp - g), dg = dh * (1.0 - f);
                dhp += dh * f;
                da[0] = df * f * (1.0 - f);
                da[1] = dg * (1.0 - g * g);
            } else if (net->kind == REF_GRU) {
                /* h = (1-s) hp + s g, g = tanh(a_g), a_g = w_g.z + u_g (r hp) + b_g:
                 * dh/ds = g - hp, dh/dg = s, dh/dhp = 1 - s directly; through a_g,
                 * d a_g/d r = u_g hp and d a_g/d hp = u_g r (the r, s gates' own u_q hp
                 * terms are added to dhp below, as for every kind). */
                double rg = act[0], s = act[1], g = act[2];
                double ug = gates[2L * (zs + 2) + zs];
                double ds = dh * (g - hp), dag = dh * s * (1.0 - g * g);
                double dr = dag * ug * hp;
                dhp += dh * (1.0 - s) + dag * ug * rg;
                da[0] = dr * rg * (1.0 - rg);
                da[1] = ds * s * (1.0 - s);
                da[2] = dag;
            } else {
                double ig = act[0], f = act[1], og = act[2], g = act[3];
                double tc = tanh(st[1]);
                double dog = dh * tc;
                double dc = dc_cur[i] + dh * og * (1.0 - tc * tc);
                double dig = dc * g, df = dc * cp, dg = dc * ig;
                dcp += dc * f;
                da[0] = dig * ig * (1.0 - ig);
                da[1] = df * f * (1.0 - f);
                da[2] = dog * og * (1.0 - og);
                da[3] = dg * (1.0 - g * g);
            }

            for (k = 0; k < zs; ++k) dz[k] = 0.0;
            for (q = 0; q < G; ++q) {
                const double *w = gates + (long)q * (zs + 2);
                double *gw = ggates + (long)q * (zs + 2);
                int reset = net->kind == REF_GRU && q == 2;   /* gru's g reads r hp (its dhp is above) */
                for (k = 0; k < zs; ++k) {
                    gw[k] += da[q] * z[k];
                    dz[k] += da[q] * w[k];
                }
                gw[zs] += da[q] * (reset ? act[0] * hp : hp);
                gw[zs + 1] += da[q];
                if (!reset) dhp += da[q] * w[zs];
            }
            if (!net->feedforward) {   /* feedforward: h_prev, c_prev are the constant 0 */
                dh_prev[i] += dhp;
                dc_prev[i] += dcp;
            }

            /* distribute dz over z = [ own ; cascade ; links ] */
            pos = 0;
            for (k = 0; k < own; ++k) dphi[(long)i * own + k] += dz[pos++];  /* (ignored when L == 0) */
            for (j = 0; j < n; ++j)
                if (ref_stage_of(net, j) < ref_stage_of(net, i)) {
                    dh_cur[j] += dz[pos++] / (norm ? sqrt(var[m + cpos]) : 1.0);
                    ++cpos;
                }
            for (k = 0; k < nl; ++k) {
                const ref_link *lk = ref_link_at(net, i, k);
                if (lk->type == 0)
                    dh_prev[lk->column] += dz[pos++];
                else
                    dphi[(long)lk->column * own + lk->feature] += dz[pos++];
            }
        }

        /* feature layers (all readers of phi_i(t) have been processed) */
        if (L >= 1) {
            for (i = 0; i < n; ++i) {
                const double *rec = ref_rec(tp, t, i);
                const double *xn = rec + tp->rec_xn, *a1 = rec + tp->rec_a1, *a2 = rec + tp->rec_a2;
                const double *P = theta + tp->col_param[i];
                double *gP = grad + tp->col_param[i];
                double *gW1 = gP, *gb1 = gP + (long)W * m;
                const double *dp = dphi + (long)i * own;
                /* dr1 = dObj/d relu(a1) */
                if (L == 1) {
                    for (k = 0; k < W; ++k) dr1[k] = dp[k];
                } else {
                    const double *W2 = P + (long)W * m + W;
                    double *gW2 = gb1 + W, *gb2 = gW2 + (long)W * W;
                    for (l = 0; l < W; ++l) dr1[l] = 0.0;
                    for (k = 0; k < W; ++k) {
                        double da2 = dp[k] * ref_relu_deriv(a2[k]);
                        for (l = 0; l < W; ++l) {
                            gW2[(long)k * W + l] += da2 * ref_relu(a1[l]);
                            dr1[l] += da2 * W2[(long)k * W + l];
                        }
                        gb2[k] += da2;
                    }
                }
                for (k = 0; k < W; ++k) {
                    double da1 = dr1[k] * ref_relu_deriv(a1[k]);
                    for (l = 0; l < m; ++l) gW1[(long)k * m + l] += da1 * xn[l];
                    gb1[k] += da1;
                }
            }
        }

        for (i = 0; i < n; ++i) { dh_next[i] = dh_prev[i]; dc_next[i] = dc_prev[i]; }
    }

    free(dh_next); free(dc_next); free(dh_cur); free(dc_cur);
    free(dh_prev); free(dc_prev); free(dphi); free(dz); free(dr1);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                                */
/* ------------------------------------------------------------------------ */

/* Runs T steps from zero state; x is T*m (x[t*m + l]); target T*o.
 * Returns the loss.  y_out (T*o) may be NULL. */
REF_STATIC double ref_forward(const ref_net *net, const double *theta, int T, const double *x,
                              const double *target, double *y_out)
{
    ref_tape tp;
    double loss = 0.0;
    int t, r, o;
    if (!ref_net_valid(net) || T < 0) return ref_nan();
    o = net->n_outputs;
    ref_tape_init(&tp, net, T);
    ref_run_forward(net, theta, T, x, &tp);
    for (t = 0; t < T; ++t) {
        const double *y = ref_rec_y(&tp, t);
        for (r = 0; r < o; ++r) {
            double e = y[r] - target[(long)t * o + r];
            loss += 0.5 * e * e;
            if (y_out) y_out[(long)t * o + r] = y[r];
        }
    }
    ref_tape_free(&tp);
    return loss;
}

/* Same forward, then full backpropagation through time; writes dL/dtheta
 * (ref_param_count entries, overwritten) to grad.  Returns the loss. */
REF_STATIC double ref_bptt(const ref_net *net, const double *theta, int T, const double *x,
                           const double *target, double *grad)
{
    ref_tape tp;
    double loss = 0.0, *dy;
    int t, r, o;
    if (!ref_net_valid(net) || T < 0) return ref_nan();
    o = net->n_outputs;
    ref_tape_init(&tp, net, T);
    ref_run_forward(net, theta, T, x, &tp);
    dy = (double *)ref_alloc((long)T * o);
    for (t = 0; t < T; ++t) {
        const double *y = ref_rec_y(&tp, t);
        for (r = 0; r < o; ++r) {
            double e = y[r] - target[(long)t * o + r];
            loss += 0.5 * e * e;
            dy[(long)t * o + r] = e;      /* dL/dy_r(t) */
        }
    }
    ref_run_backward(net, theta, T, x, &tp, dy, grad);
    free(dy);
    ref_tape_free(&tp);
    return loss;
}

/* Gradient of the linear functional F = sum_t sum_r dLdy[t*o + r] * y_r(t)
 * with respect to theta (written to grad, overwritten).  Returns F. */
REF_STATIC double ref_bptt_weighted(const ref_net *net, const double *theta, int T, const double *x,
                                    const double *dLdy, double *grad)
{
    ref_tape tp;
    double F = 0.0;
    int t, r, o;
    if (!ref_net_valid(net) || T < 0) return ref_nan();
    o = net->n_outputs;
    ref_tape_init(&tp, net, T);
    ref_run_forward(net, theta, T, x, &tp);
    for (t = 0; t < T; ++t) {
        const double *y = ref_rec_y(&tp, t);
        for (r = 0; r < o; ++r) F += dLdy[(long)t * o + r] * y[r];
    }
    ref_run_backward(net, theta, T, x, &tp, dLdy, grad);
    ref_tape_free(&tp);
    return F;
}

/* The statistics each of the T steps reads (T x ref_stats_size(net), as the tape keeps them):
 * with given_stats set to them, ref_forward is the loss as a function of theta alone, with the
 * statistics the constants the gradient takes them to be.  Returns 0, or -1 if invalid. */
REF_STATIC int ref_statistics(const ref_net *net, const double *theta, int T, const double *x, double *stats)
{
    ref_tape tp;
    long S;
    int t;
    if (!ref_net_valid(net) || T < 0) return -1;
    S = ref_stats_size(net);
    ref_tape_init(&tp, net, T);
    ref_run_forward(net, theta, T, x, &tp);
    for (t = 0; t < T; ++t) memcpy(stats + (long)t * S, ref_rec_stats(&tp, t), (size_t)S * sizeof(double));
    ref_tape_free(&tp);
    return 0;
}

#endif /* REF_BPTT_H */
