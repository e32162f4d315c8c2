/* gradient_alignment.c - how close is ColoR's gradient to the exact one? (the 2021 test-bed)

   The synthetic test-bed of Javed, White & Sutton 2021 (arXiv 2103.05787). Per seed, a fresh
   net reads one 50-step sequence of 50 inputs, each Bernoulli(0.5), from h(0) = 0, against
   targets drawn i.i.d. U(-50, 50), loss 1/2 (y - y*)^2 per step. The net: 20 gated columns, each
   with two private ReLU feature layers of width 5 and, on average, `links` foreign inputs (other
   columns' previous states or features), swept over 0 ... 50 with 30 seeds per level.

   Per seed it compares the ColoR gradient summed over the sequence, g^, with the exact one, g
   (exact RTRL: a CCN_RTRL net with the very same parameters), over the column parameters (the
   readout's gradient is exact in both and is left out):
       cosine similarity   g^.g / (|g^| |g|)
       sign agreement      fraction of entries with sign(g^) = sign(g), among |g^ g| > 1e-10
       relative error      |g^ - g| / |g|
   prints their mean +- std per link level, and plots them (an SVG). With 0 links ColoR is
   exact: cosine 1, sign agreement 1, relative error at round-off (~1e-16 in double, ~1e-7 in
   float, the library's default). It also checks g itself against central differences of the
   whole sequence's loss, on a sample of parameters of the first --fd-seeds seeds per level.

   --meta: the meta-learning variant. The columns are feed-forward tanh, h_i = tanh(w_i.z_i + b_i)
   (the authors' ColumnFF, and the simplest unit whose only memory is through links), and their
   parameters theta are meta-parameters, learned through an inner online LMS readout that this
   file implements (the library's readout is not used):
       y_t = w(t).h(t),  delta_t = y*_t - y_t,  w(t+1) = w(t) + a_in delta_t h(t)
   The meta-gradient is d/dtheta sum_t 1/2 delta_t^2, w(t) being a function of theta. ColoR
   keeps, per parameter of column i, a trace TW ~ dw_i/dtheta of its own column only; the exact
   meta-gradient carries dw_j/dtheta for every column j, with the exact dh_k/dtheta of an RTRL
   net, and the finite-difference check unrolls the whole inner learning. ColoR is biased here
   even with 0 links (see run()). The readout starts at w ~ N(0, 0.1^2) in both modes (the
   authors' code); a_in = 0.01, not in the authors' code: |h|^2 is ~1 here, so a_in |h|^2 ~ 0.01
   keeps LMS stable, and with targets of size ~30 w still moves by ~2 over the sequence
   (|w(0)| ~ 0.4), so the inner learning matters.

   Differences from the 2021 code: their gated unit is h = sigma(.) h' + tanh(.), and their
   links may also drop a column's own state; CCN_GATED is h = f h' + (1 - f) g and always reads
   its own state. Their `sparsity` s gives about W s foreign entries; here `links` counts them.

   Seed s of a level (s = S, S+1, ..., S+N-1 for --seed S --seeds N) is the same net and sequence
   at every level but for its links, so --seed s --seeds 1 reruns one of them.

   Result lines (--json, the examples' format in cli.h): this example's result is not a time
   series, so a line is one (link level, seed): one net on one sequence. "metric" is
   "relative_error" (|g^ - g| / |g|, lower is better, as every metric of the examples), "window"
   and "steps" the sequence's length, "curve" its single value, and after "us_per_step" come
   "cosine", "sign_agreement", "links_drawn" and, on the seeds with the finite-difference check,
   "fd_exact_error" and "fd_color_error" (|fd - g| / |fd| and |fd - g^| / |fd|). "settings"
   holds the link level and every flag that changes the nets or the sequence.

   The default run takes ~5 s (recurrent) and ~7 s (--meta) of one x86-64 core. --steps N caps
   the work for quick runs (fewer seeds; see --help): --steps 3000 takes ~0.4 s.

   Build: cc -O2 -std=c99 gradient_alignment.c -lm         (add -DCCN_DOUBLE for double)
   Run:   ./gradient_alignment [--meta] [--help] */
#define _POSIX_C_SOURCE 200809L /* isatty */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "cli.h"
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FD_STEP: the finite-difference step, relative to max(1, |theta|). In double, cbrt(epsilon), the
   usual choice for central differences; in float the states' own round-off dominates, and 1e-3
   did best on this test-bed (the float check is good to ~1e-2 at best). */
#ifdef CCN_DOUBLE
#define PRECISION "double"
#define PRECISION_NOTE "double (built with -DCCN_DOUBLE)"
#define FD_STEP 6e-6
#else
#define PRECISION "float"
#define PRECISION_NOTE "float (the library's default; build with -DCCN_DOUBLE for double)"
#define FD_STEP 1e-3
#endif

#define N_INPUTS 50
#define WIDTH 5 /* of each column's two ReLU feature layers */
#define MAX_LEVELS 64

typedef struct options {
    int meta, seeds, columns, length, fd_seeds, fd_params, n_levels, json;
    double levels[MAX_LEVELS], inner_step;
    double steps; /* --steps, 0: no cap */
    uint64_t seed;
    const char *svg;
} options;

/* One run's sequence, and what the run measured. */
typedef struct sequence { ccn_real *x; double *target; int length; } sequence;
typedef struct metrics {
    double cosine, sign, rel, links_drawn;
    double fd_exact, fd_color; /* |fd - g| / |fd| over the checked sample, -1 if none      */
    int fd_kept, fd_kinks;     /* entries compared; entries left out (a kink in the step)   */
} metrics;

static double normal(ccn_rng *r) { /* Box-Muller */
    double u1 = 1.0 - ccn_rng_uniform(r), u2 = ccn_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void draw_sequence(sequence *s, ccn_rng *r) {
    int t, k;
    for (t = 0; t < s->length; ++t) {
        for (k = 0; k < N_INPUTS; ++k) s->x[t * N_INPUTS + k] = ccn_rng_uniform(r) < 0.5 ? CCN_R(1) : CCN_R(0);
        s->target[t] = ccn_rng_uniform(r) * 100.0 - 50.0;
    }
}

static void compare(const double *g_hat, const double *g, size_t n, metrics *m) {
    double dot = 0, a = 0, b = 0, d = 0;
    size_t k, counted = 0, agree = 0;
    for (k = 0; k < n; ++k) {
        dot += g_hat[k] * g[k];
        a += g_hat[k] * g_hat[k];
        b += g[k] * g[k];
        d += (g_hat[k] - g[k]) * (g_hat[k] - g[k]);
        if (fabs(g_hat[k] * g[k]) > 1e-10) {
            ++counted;
            agree += (g_hat[k] > 0) == (g[k] > 0);
        }
    }
    m->cosine = a > 0 && b > 0 ? dot / sqrt(a * b) : 0.0;
    m->sign = counted ? (double)agree / (double)counted : 1.0;
    m->rel = b > 0 ? sqrt(d / b) : 0.0;
}

/* |a - b| / |a| over the sampled entries idx. */
static double sample_rel(const double *a, const double *b, const size_t *idx, int count) {
    double num = 0, den = 0;
    int k;
    for (k = 0; k < count; ++k) {
        num += (a[k] - b[idx[k]]) * (a[k] - b[idx[k]]);
        den += a[k] * a[k];
    }
    return den > 0 ? sqrt(num / den) : 0.0;
}

/* ---- finite differences of the whole sequence's loss (a forward-only net) ------------------- */

typedef struct probe {
    ccn_net *fwd;        /* CCN_FORWARD, with the parameters under test                      */
    const sequence *seq;
    const double *w0;    /* meta: the inner learner's w(0); NULL: the library's readout    */
    double inner_step;
    double *w, *y_up, *y_down; /* scratch: n, length, length                              */
} probe;

/* The predictions y_t over the sequence: the library's readout, or (meta) the inner LMS
   learner started from w0 and unrolled, w(t+1) = w(t) + a_in (y*_t - y_t) h(t). */
static void predictions(const probe *pr, double *y) {
    int n = ccn_get_config(pr->fwd)->n_columns, t, i;
    if (pr->w0) memcpy(pr->w, pr->w0, (size_t)n * sizeof(double));
    ccn_reset_state(pr->fwd);
    for (t = 0; t < pr->seq->length; ++t) {
        ccn_real out;
        ccn_step(pr->fwd, pr->seq->x + t * N_INPUTS, &out);
        y[t] = (double)out;
        if (pr->w0) {
            const ccn_real *h = ccn_state(pr->fwd);
            double delta;
            for (y[t] = 0, i = 0; i < n; ++i) y[t] += pr->w[i] * (double)h[i];
            delta = pr->seq->target[t] - y[t];
            for (i = 0; i < n; ++i) pr->w[i] += pr->inner_step * delta * (double)h[i];
        }
    }
}

/* (L(theta_k + h) - L(theta_k - h)) / 2h for L = sum_t 1/2 (y*_t - y_t)^2, taken as
   sum_t (y-_t - y+_t)(y*_t - (y+_t + y-_t)/2): the loss (~2e4 here) never enters a subtraction,
   only the predictions (~1) do, which keeps the round-off ~100 times smaller. */
static double central_difference(const probe *pr, size_t k, double h) {
    ccn_real *theta = ccn_params(pr->fwd), keep = theta[k], up, down;
    double diff = 0;
    int t;
    theta[k] = up = (ccn_real)((double)keep + h);
    predictions(pr, pr->y_up);
    theta[k] = down = (ccn_real)((double)keep - h);
    predictions(pr, pr->y_down);
    theta[k] = keep;
    for (t = 0; t < pr->seq->length; ++t)
        diff += (pr->y_down[t] - pr->y_up[t]) * (pr->seq->target[t] - 0.5 * (pr->y_up[t] + pr->y_down[t]));
    return diff / ((double)up - (double)down); /* the step actually stored */
}

/* Estimates the gradient at up to `count` parameters drawn uniformly among those whose exact
   gradient g is non-zero; idx and fd get the kept ones, *kinks the number left out. A ReLU
   feature makes the loss piecewise smooth: when a kink lies within the step, the central
   difference is wrong whatever the gradient, so each entry is estimated with steps h and h/2
   and left out when the two disagree (a wrong gradient would still agree with itself). */
static int finite_differences(const probe *pr, const double *g, size_t P, ccn_rng *r, size_t *idx,
                              double *fd, double *wide, int count, int *kinks) {
#ifdef CCN_DOUBLE
    const double tol = 1e-4;
#else
    const double tol = 0.1; /* in float, round-off alone is ~1e-2 of these gradients */
#endif
    const ccn_real *theta = ccn_params(pr->fwd);
    size_t k, have = 0;
    int c, kept = 0;
    double scale = 0;
    for (k = 0; k < P; ++k) /* reservoir sampling */
        if (g[k] != 0.0) {
            if (have < (size_t)count) idx[have] = k;
            else {
                size_t at = (size_t)(ccn_rng_uniform(r) * (double)(have + 1));
                if (at < (size_t)count) idx[at] = k;
            }
            ++have;
        }
    if (have < (size_t)count) count = (int)have;
    for (c = 0; c < count; ++c) {
        double h = FD_STEP * fmax(1.0, fabs((double)theta[idx[c]]));
        wide[c] = central_difference(pr, idx[c], h);
        fd[c] = central_difference(pr, idx[c], h / 2);
        scale += fd[c] * fd[c] / count;
    }
    scale = sqrt(scale); /* the sample's rms: the scale of "disagree" for tiny entries */
    for (c = 0; c < count; ++c) {
        if (fabs(wide[c] - fd[c]) > tol * (fabs(fd[c]) + scale)) continue;
        idx[kept] = idx[c];
        fd[kept++] = fd[c];
    }
    *kinks = count - kept;
    return kept;
}

/* ---- one run: a fresh net (seed), one sequence, both gradients ------------------------------ */

static ccn_config net_config(const options *o, double links, uint64_t seed, int method) {
    ccn_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.n_inputs = N_INPUTS;
    cfg.n_outputs = 1;
    cfg.n_columns = o->columns;
    cfg.kind = o->meta ? CCN_TANH : CCN_GATED;
    cfg.feedforward = o->meta; /* meta: h_i = tanh(w_i.z_i + b_i), the authors' ColumnFF */
    cfg.feature_layers = 2;
    cfg.feature_width = WIDTH;
    cfg.links = links;
    cfg.method = method;
    cfg.seed = seed;
    return cfg;
}

static int run(const options *o, double links, int s, metrics *m) {
    int n = o->columns, T = o->length, i, t, ok = 0;
    uint64_t seed = o->seed + (uint64_t)s;
    ccn_config cfg = net_config(o, links, seed, CCN_COLOR);
    ccn_net *color = NULL, *exact = NULL, *fwd = NULL;
    size_t p, P, k;
    sequence seq;
    ccn_rng rng;
    double *w0 = (double *)calloc((size_t)n, sizeof(double)), *w = (double *)calloc((size_t)n, sizeof(double));
    double *g_hat = NULL, *g = NULL, *TW = NULL, *D = NULL, *v = NULL, *fd = NULL, *wide = NULL;
    double *y_up = (double *)malloc((size_t)T * sizeof(double));
    double *y_down = (double *)malloc((size_t)T * sizeof(double));
    ccn_real *a = NULL, *b = NULL, *J = NULL, *dl_dh = NULL;
    size_t *idx = NULL;

    seq.length = T;
    seq.x = (ccn_real *)malloc((size_t)T * N_INPUTS * sizeof(ccn_real));
    seq.target = (double *)malloc((size_t)T * sizeof(double));
    if (ccn_create(&cfg, NULL, &color) != CCN_OK) goto done;
    cfg.method = CCN_RTRL; /* same configuration and seed: the same links and parameters */
    if (ccn_create(&cfg, NULL, &exact) != CCN_OK) goto done;
    cfg.method = CCN_FORWARD;
    if (ccn_create(&cfg, NULL, &fwd) != CCN_OK) goto done;
    p = ccn_param_count(color);
    P = ccn_readout_offset(color); /* the column parameters come first */
    g_hat = (double *)calloc(P, sizeof(double));
    g = (double *)calloc(P, sizeof(double));
    a = (ccn_real *)calloc(p, sizeof(ccn_real));
    b = (ccn_real *)calloc(p, sizeof(ccn_real));
    idx = (size_t *)calloc((size_t)o->fd_params + 1, sizeof(size_t));
    fd = (double *)calloc((size_t)o->fd_params + 1, sizeof(double));
    wide = (double *)calloc((size_t)o->fd_params + 1, sizeof(double));
    if (!seq.x || !seq.target || !w0 || !w || !g_hat || !g || !a || !b || !idx || !fd || !wide || !y_up ||
        !y_down)
        goto done;

    ccn_rng_seed(&rng, seed ^ 0xDA7A5EEDull);
    for (i = 0; i < n; ++i) w0[i] = 0.1 * normal(&rng);
    draw_sequence(&seq, &rng);
    for (m->links_drawn = 0, i = 0; i < n; ++i) {
        int count;
        ccn_links(color, i, &count);
        m->links_drawn += (double)count / n;
    }

    if (!o->meta) {
        /* Recurrent state: the library's readout, W_out = w0, no bias. */
        for (i = 0; i < n; ++i) ccn_params(color)[P + (size_t)i] = (ccn_real)w0[i];
        memcpy(ccn_params(exact), ccn_params(color), p * sizeof(ccn_real));
        for (t = 0; t < T; ++t) {
            ccn_real y1, y2, e1, e2;
            ccn_step(color, seq.x + t * N_INPUTS, &y1);
            ccn_step(exact, seq.x + t * N_INPUTS, &y2);
            e1 = y1 - (ccn_real)seq.target[t]; /* dL/dy = y - y* */
            e2 = y2 - (ccn_real)seq.target[t];
            ccn_accumulate_gradient(color, &e1, a); /* summed over the sequence */
            ccn_accumulate_gradient(exact, &e2, b);
        }
        for (k = 0; k < P; ++k) {
            g_hat[k] = (double)a[k];
            g[k] = (double)b[k];
        }
    } else {
        /* Meta-learning: the inner LMS readout w is ours. Per step, with d = y* - w.h:
             exact  v = sum_k (w_k dh_k/dtheta + h_k dw_k/dtheta),   dL/dtheta = -d v,
                    dw_j/dtheta += a_in (d dh_j/dtheta - h_j v)          for every column j
             ColoR  the same with only j = k = i, the parameter's own column, e = dh_i/dtheta:
                    own = w_i e + h_i TW,  dL/dtheta ~ -d own,  TW += a_in (d e - h_i own)
           This stays biased with no links at all: theta changes h_i, hence the shared error d,
           hence every other readout weight w_j (through h_j d), and w_j h_j feeds back into
           every later d; TW keeps only w_i. Exact RTRL of the states alone is not enough: the
           inner learner makes w a recurrent state that couples every column. */
        const double alpha = o->inner_step;
        TW = (double *)calloc(P, sizeof(double));
        D = (double *)calloc((size_t)n * P, sizeof(double));
        v = (double *)calloc(P, sizeof(double));
        J = (ccn_real *)calloc((size_t)n * p, sizeof(ccn_real));
        dl_dh = (ccn_real *)calloc((size_t)n, sizeof(ccn_real));
        if (!TW || !D || !v || !J || !dl_dh) goto done;
        memcpy(w, w0, (size_t)n * sizeof(double));
        memcpy(ccn_params(exact), ccn_params(color), p * sizeof(ccn_real));
        for (t = 0; t < T; ++t) {
            const ccn_real *h;
            double y = 0, d;
            int j;
            ccn_step(color, seq.x + t * N_INPUTS, NULL);
            ccn_step(exact, seq.x + t * N_INPUTS, NULL);
            h = ccn_state(color);
            for (i = 0; i < n; ++i) y += w[i] * (double)h[i];
            d = seq.target[t] - y;
            /* ColoR: dL/dh = 1 for every column puts each column's own trace e = dh_i/dtheta in
               its own block (a ColoR trace never reaches another column's parameters). */
            for (i = 0; i < n; ++i) dl_dh[i] = 1;
            memset(a, 0, p * sizeof(ccn_real));
            ccn_accumulate_state_gradient(color, dl_dh, a);
            for (i = 0; i < n; ++i) {
                ccn_column_info ci;
                ccn_column_info_get(color, i, &ci);
                for (k = ci.param_offset; k < ci.param_offset + ci.param_count; ++k) {
                    double e = (double)a[k], own = w[i] * e + (double)h[i] * TW[k];
                    g_hat[k] -= d * own;
                    TW[k] += alpha * (d * e - (double)h[i] * own);
                }
            }
            /* Exact: dh_j/dtheta for every column j (a one-hot dL/dh on the RTRL net). */
            for (i = 0; i < n; ++i) dl_dh[i] = 0;
            memset(J, 0, (size_t)n * p * sizeof(ccn_real));
            for (j = 0; j < n; ++j) {
                dl_dh[j] = 1;
                ccn_accumulate_state_gradient(exact, dl_dh, J + (size_t)j * p);
                dl_dh[j] = 0;
            }
            memset(v, 0, P * sizeof(double));
            for (j = 0; j < n; ++j) {
                const ccn_real *Jj = J + (size_t)j * p;
                const double *Dj = D + (size_t)j * P;
                for (k = 0; k < P; ++k) v[k] += w[j] * (double)Jj[k] + (double)h[j] * Dj[k];
            }
            for (k = 0; k < P; ++k) g[k] -= d * v[k];
            for (j = 0; j < n; ++j) {
                const ccn_real *Jj = J + (size_t)j * p;
                double *Dj = D + (size_t)j * P;
                for (k = 0; k < P; ++k) Dj[k] += alpha * (d * (double)Jj[k] - (double)h[j] * v[k]);
            }
            for (i = 0; i < n; ++i) w[i] += alpha * d * (double)h[i]; /* the inner step */
        }
    }
    compare(g_hat, g, P, m);

    m->fd_exact = m->fd_color = -1; /* not checked */
    m->fd_kept = m->fd_kinks = 0;
    if (s < o->fd_seeds && o->fd_params > 0) {
        probe pr;
        pr.fwd = fwd, pr.seq = &seq, pr.w0 = o->meta ? w0 : NULL, pr.inner_step = o->inner_step;
        pr.w = w, pr.y_up = y_up, pr.y_down = y_down;
        memcpy(ccn_params(fwd), ccn_params(color), p * sizeof(ccn_real));
        m->fd_kept = finite_differences(&pr, g, P, &rng, idx, fd, wide, o->fd_params, &m->fd_kinks);
        if (m->fd_kept > 0) {
            m->fd_exact = sample_rel(fd, g, idx, m->fd_kept);
            m->fd_color = sample_rel(fd, g_hat, idx, m->fd_kept);
        }
    }
    ok = 1;
done:
    ccn_destroy(color);
    ccn_destroy(exact);
    ccn_destroy(fwd);
    free(seq.x), free(seq.target), free(w0), free(g_hat), free(g), free(a), free(b), free(idx), free(fd);
    free(wide), free(y_up), free(y_down);
    free(w), free(TW), free(D), free(v), free(J), free(dl_dh);
    return ok;
}

/* ---- the sweep, the table, the figure ------------------------------------------------------- */

static void mean_std(const double *v, int count, double *mean, double *sd) {
    double s = 0, q = 0;
    int k;
    for (k = 0; k < count; ++k) s += v[k];
    *mean = s / count;
    for (k = 0; k < count; ++k) q += (v[k] - *mean) * (v[k] - *mean);
    *sd = count > 1 ? sqrt(q / (count - 1)) : 0.0;
}

static const char usage_text[] =
    "[options]\n"
    "Compares the ColoR gradient with the exact one (exact RTRL) on the 2021 test-bed, per\n"
    "expected links per column; prints mean +- std over seeds of cosine similarity, sign\n"
    "agreement and relative error, checks exact RTRL against finite differences, and writes an\n"
    "SVG; with --json, one result line per (link level, seed) instead of the tables.\n"
    "  --meta          the meta-gradient through an inner LMS readout (feed-forward tanh)\n"
    "  --seeds N       fresh nets per link level (30)\n"
    "  --columns N     columns (20); --length N: steps per sequence (50)\n"
    "  --links LIST    expected links per column (0,0.25,0.5,1,2,3,5,10,20,50; the\n"
    "                  default list stops at the (columns - 1) x 6 candidates)\n"
    "  --inner-step A  --meta: the inner LMS step size (0.01)\n"
    "  --fd-seeds N    finite-difference check on the first N seeds of each level (2)\n"
    "  --fd-params N   parameters sampled per check (16)\n"
    "  --seed S        first seed (1); the runs of a level use seeds S .. S+N-1\n"
    "  --svg PATH      the figure (gradient_alignment.svg, gradient_alignment_meta.svg;\n"
    "                  \"\" for none)\n"
    "  --json          stdout: one JSON result line per link level and seed\n"
    "  --steps N       cap the work at about 2N simulated steps: seeds x levels x length\n"
    "                  x 2 nets <= N, and the finite-difference check (4 runs of the\n"
    "                  sequence per parameter) on one seed, <= N; fewer seeds and\n"
    "                  parameters (at least one) are used to fit (default: no cap)\n"
    "  --window N      accepted for a uniform command line with the other examples; this\n"
    "                  program has no moving window, so it is ignored\n";

/* min(want, max(1, room)): what a --steps cap leaves of a count */
static int fit(long room, int want) { return room < want ? (room > 1 ? (int)room : 1) : want; }

static void parse_levels(cli *c, options *o) {
    const char *v = cli_value(c), *p = v;
    char *end;
    o->n_levels = 0;
    for (;;) {
        double x = strtod(p, &end);
        if (end == p || !(x >= 0 && x <= 1e6)) cli_bad(c, "'%s' is not a list of link counts in [0, 1e6]", v);
        if (o->n_levels == MAX_LEVELS) cli_bad(c, "'%s' has more than %d levels", v, MAX_LEVELS);
        o->levels[o->n_levels++] = x;
        if (*end == '\0') return;
        if (*end != ',') cli_bad(c, "'%s' is not a comma-separated list", v);
        p = end + 1;
    }
}

static void write_result(const options *o, double links, uint64_t seed, const metrics *m, double seconds) {
    cli_json j;
    double rel = m->rel;
    cli_result_begin(&j, "gradient_alignment", "color", (double)seed, o->length);
    cli_json_int(&j, "meta", o->meta);
    cli_json_real(&j, "links", links);
    cli_json_int(&j, "columns", o->columns);
    cli_json_int(&j, "length", o->length);
    if (o->meta) cli_json_real(&j, "inner_step", o->inner_step);
    cli_result_end(&j, "relative_error", o->length, &rel, 1, seconds / o->length * 1e6);
    cli_json_real(&j, "cosine", m->cosine);
    cli_json_real(&j, "sign_agreement", m->sign);
    cli_json_real(&j, "links_drawn", m->links_drawn);
    if (m->fd_exact >= 0) {
        cli_json_real(&j, "fd_exact_error", m->fd_exact);
        cli_json_real(&j, "fd_color_error", m->fd_color);
    }
    cli_json_end(&j);
}

int main(int argc, char **argv) {
    static const double default_levels[] = {0, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 50};
    options o;
    int L, s, fewest, user_levels = 0;
    double *cos_m, *cos_s, *sgn_m, *sgn_s, *rel_m, *rel_s, *xs, *fd_e, *fd_c, *buf, worst_fd = 0, fewest_rel = 0;
    int *fd_kept, *fd_kinks, fd_total = 0;
    double start = cli_seconds();
    cli cl;

    memset(&o, 0, sizeof o);
    o.seeds = 30;
    o.columns = 20;
    o.length = 50;
    o.fd_seeds = 2;
    o.fd_params = 16;
    o.inner_step = 0.01;
    o.seed = 1;
    o.n_levels = (int)(sizeof default_levels / sizeof default_levels[0]);
    memcpy(o.levels, default_levels, sizeof default_levels);
    cli_init(&cl, "gradient_alignment", usage_text, argc, argv);
    while (cli_next(&cl)) {
        if (cli_is(&cl, "--meta")) o.meta = 1;
        else if (cli_is(&cl, "--json")) o.json = 1;
        else if (cli_is(&cl, "--seeds")) o.seeds = cli_int(&cl, 1, 1000000);
        else if (cli_is(&cl, "--columns")) o.columns = cli_int(&cl, 1, 100000);
        else if (cli_is(&cl, "--length")) o.length = cli_int(&cl, 1, 100000);
        else if (cli_is(&cl, "--fd-seeds")) o.fd_seeds = cli_int(&cl, 0, 1000000);
        else if (cli_is(&cl, "--fd-params")) o.fd_params = cli_int(&cl, 0, 100000);
        else if (cli_is(&cl, "--inner-step")) o.inner_step = cli_real(&cl, 0, 0.999999);
        else if (cli_is(&cl, "--seed")) o.seed = (uint64_t)cli_count(&cl, 0, CLI_MAX_COUNT);
        else if (cli_is(&cl, "--steps")) o.steps = cli_count(&cl, 1, CLI_MAX_COUNT);
        else if (cli_is(&cl, "--window")) (void)cli_count(&cl, 1, CLI_MAX_COUNT);
        else if (cli_is(&cl, "--svg")) o.svg = cli_value(&cl);
        else if (cli_is(&cl, "--links")) {
            parse_levels(&cl, &o);
            user_levels = 1;
        } else cli_unknown(&cl);
    }
    if (o.steps > 0) { /* a cap on the steps the nets simulate (see --help) */
        double per_seed = 2.0 * o.n_levels * o.length, per_param = 4.0 * o.n_levels * o.length;
        o.seeds = fit((long)(o.steps / per_seed), o.seeds);
        o.fd_seeds = fit(1, o.fd_seeds);
        o.fd_params = fit((long)(o.steps / per_param), o.fd_params);
    }
    if (!user_levels) /* the default sweep stops at what the columns offer: (n-1)(1+W) candidates */
        while (o.n_levels > 1 && o.levels[o.n_levels - 1] > (o.columns - 1) * (1.0 + WIDTH)) --o.n_levels;
    for (fewest = 0, L = 1; L < o.n_levels; ++L)
        if (o.levels[L] < o.levels[fewest]) fewest = L;
    if (!o.svg) o.svg = o.meta ? "gradient_alignment_meta.svg" : "gradient_alignment.svg";
    cli_output(&cl, o.svg);
    for (L = 0; L < o.n_levels; ++L) { /* every level must be a valid net before any work */
        ccn_config cfg = net_config(&o, o.levels[L], 0, CCN_COLOR), resolved;
        ccn_result r = ccn_config_resolve(&cfg, &resolved);
        if (r != CCN_OK) {
            cl.flag = "--links";
            cli_bad(&cl, "%g links: %s", o.levels[L], ccn_result_string(r));
        }
    }

    if (!o.json) {
        printf("gradient_alignment: ColoR vs exact RTRL, %s\n",
               o.meta ? "meta-gradient through an inner LMS readout" : "recurrent state");
        printf("precision: %s\n", PRECISION_NOTE);
        printf("%d %s columns (two ReLU feature layers of width %d), %d Bernoulli inputs, %d-step sequence,\n"
               "targets U(-50, 50), readout w(0) ~ N(0, 0.1^2)",
               o.columns, o.meta ? "feed-forward tanh" : "gated", WIDTH, N_INPUTS, o.length);
        if (o.meta) printf(", inner LMS step a_in = %g,\n", o.inner_step);
        else printf("; ");
        printf("%d seeds per level, mean +- std over seeds\n", o.seeds);
        printf("(links: expected foreign inputs per column; drawn: the mean number the nets actually got)\n");
        printf("\n  links  drawn   cosine               sign agreement       relative error\n");
    }

    cos_m = (double *)calloc((size_t)o.n_levels * 9 + (size_t)o.seeds * 3, sizeof(double));
    fd_kept = (int *)calloc((size_t)o.n_levels * 2, sizeof(int));
    if (!cos_m || !fd_kept) return 1;
    cos_s = cos_m + o.n_levels, sgn_m = cos_s + o.n_levels, sgn_s = sgn_m + o.n_levels;
    rel_m = sgn_s + o.n_levels, rel_s = rel_m + o.n_levels, xs = rel_s + o.n_levels;
    fd_e = xs + o.n_levels, fd_c = fd_e + o.n_levels, buf = fd_c + o.n_levels;
    fd_kinks = fd_kept + o.n_levels;
    for (L = 0; L < o.n_levels; ++L) {
        double *c = buf, *sg = buf + o.seeds, *re = buf + 2 * o.seeds, drawn = 0, worst = 0;
        for (s = 0; s < o.seeds; ++s) {
            metrics m;
            double t0 = cli_seconds();
            memset(&m, 0, sizeof m); /* run() fills it; gcc cannot always see that through its early return */
            cli_progress(&cl, "links %g: seed %d/%d", o.levels[L], s + 1, o.seeds);
            if (!run(&o, o.levels[L], s, &m)) {
                fprintf(stderr, "gradient_alignment: out of memory\n");
                free(cos_m), free(fd_kept);
                return 1;
            }
            if (o.json) write_result(&o, o.levels[L], o.seed + (uint64_t)s, &m, cli_seconds() - t0);
            c[s] = m.cosine, sg[s] = m.sign, re[s] = m.rel, drawn += m.links_drawn / o.seeds;
            worst = fmax(worst, m.rel);
            if (m.fd_exact >= 0) {
                fd_e[L] = fmax(fd_e[L], m.fd_exact);
                fd_c[L] = fmax(fd_c[L], m.fd_color);
            }
            fd_kept[L] += m.fd_kept;
            fd_kinks[L] += m.fd_kinks;
        }
        cli_progress_done(&cl);
        mean_std(c, o.seeds, &cos_m[L], &cos_s[L]);
        mean_std(sg, o.seeds, &sgn_m[L], &sgn_s[L]);
        mean_std(re, o.seeds, &rel_m[L], &rel_s[L]);
        xs[L] = 1.0 + o.levels[L];
        if (L == fewest) fewest_rel = worst;
        worst_fd = fmax(worst_fd, fd_e[L]);
        fd_total += fd_kept[L];
        if (!o.json)
            printf("%7g  %5.2f   %.6f +- %.6f   %.6f +- %.6f   %.3e +- %.1e\n", o.levels[L], drawn, cos_m[L],
                   cos_s[L], sgn_m[L], sgn_s[L], rel_m[L], rel_s[L]);
    }
    if (!o.json && o.fd_seeds > 0 && o.fd_params > 0) {
        printf("\nexact %sgradient vs central finite differences of the sequence's loss (first %d seed(s)\n"
               "per level, up to %d parameters each; entries with a ReLU kink inside the step left out):\n"
               "  links  compared  left out   |fd - exact|/|fd|   |fd - ColoR|/|fd|   (worst over seeds)\n",
               o.meta ? "meta-" : "", o.fd_seeds < o.seeds ? o.fd_seeds : o.seeds, o.fd_params);
        for (L = 0; L < o.n_levels; ++L)
            printf("%7g  %8d  %8d   %17.2e   %17.2e\n", o.levels[L], fd_kept[L], fd_kinks[L], fd_e[L], fd_c[L]);
    }

    if (*o.svg) {
        char title[160];
        plot_series series[3];
        plot pl;
        int i;
        memset(&pl, 0, sizeof pl);
        snprintf(title, sizeof title, "ColoR vs exact %sgradient (%d %s columns, %d seeds, %s)",
                 o.meta ? "meta-" : "", o.columns, o.meta ? "tanh FF" : "gated", o.seeds, PRECISION);
        pl.title = title;
        pl.xlabel = "1 + expected links per column (log scale)";
        pl.ylabel = "mean over seeds, bars: +-1 std";
        pl.logx = 1; /* 1 + links: 0 links at the left edge, 0.25 ... 50 spread out */
        series[0].name = "cosine", series[0].y = cos_m, series[0].err = cos_s;
        series[1].name = "sign agreement", series[1].y = sgn_m, series[1].err = sgn_s;
        series[2].name = "relative error", series[2].y = rel_m, series[2].err = rel_s;
        for (i = 0; i < 3; ++i) series[i].x = xs, series[i].n = o.n_levels;
        errno = 0;
        if (plot_svg(o.svg, &pl, series, 3) != 0) cli_cannot_write(&cl, o.svg);
        if (!o.json) printf("\nfigure: %s\n", o.svg);
    }
    if (!o.json) {
        printf("time: %.1f s (processor time)\n", cli_seconds() - start);
        printf("worst relative error of ColoR's %sgradient at %g links: %.3g (%d seeds; %s)\n",
               o.meta ? "meta-" : "", o.levels[fewest], fewest_rel, o.seeds, PRECISION);
        if (fd_total > 0)
            printf("exact vs finite differences: worst %.2g over %d entries\n", worst_fd, fd_total);
    }
    free(cos_m);
    free(fd_kept);
    return 0;
}
