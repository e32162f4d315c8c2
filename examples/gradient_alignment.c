/* gradient_alignment.c - how close is ColoR's gradient to the exact one? (the 2021 test-bed)

   The synthetic test-bed of Javed, White & Sutton 2021 (arXiv 2103.05787): a fresh net per seed
   reads 50 inputs, each Bernoulli(0.5), for one 50-step sequence from h(0) = 0, against targets
   drawn i.i.d. U(-50, 50), loss 1/2 (y - y*)^2 per step. The net is 20 gated columns, each with
   two private ReLU feature layers of width 5, and, on average, `links` foreign inputs (other
   columns' previous states or features). Per seed and link level it compares the ColoR gradient
   summed over the sequence (g^) with the exact one (g: exact RTRL on a net with the very same
   parameters), over the column parameters (the readout's gradient is the same in both and is
   left out):
       cosine similarity   g^.g / (|g^| |g|)
       sign agreement      fraction of entries with sign(g^) = sign(g), among |g^ g| > 1e-10
       relative error      |g^ - g| / |g|
   and prints their mean +- std over the seeds per link level, writes them as an SVG, and checks
   exact RTRL against central finite differences of the whole sequence's loss on a sample of
   parameters (the first --fd-seeds seeds of every level). With 0 links ColoR is exact: cosine 1,
   sign agreement 1, relative error at round-off (~1e-16 in double, ~1e-7 in float).

   --meta: the meta-learning variant. Feed-forward tanh columns h_i = tanh(w_i.z_i + b_i) (the
   authors' ColumnFF; their only memory is through links) are the meta-parameters theta, learned
   through an inner online LMS readout w(t+1) = w(t) + a_in delta_t h(t), delta_t = y*_t - w.h,
   that this file implements (the library's readout is not used). The meta-gradient is
   d/dtheta sum_t 1/2 delta_t^2 with w(t) a function of theta. ColoR keeps, per parameter of
   column i, TW ~ dw_i/dtheta (own column only); the exact one carries dw_j/dtheta for every j,
   with the exact dh_k/dtheta of an RTRL net, and is checked against finite differences of the
   whole unrolled inner-learning loss.

   The readout starts at w ~ N(0, 0.1^2) (the authors' code) in both modes; --meta's inner step
   is a_in = 0.01 (|h|^2 is ~5 here, so a_in |h|^2 ~ 0.05: LMS is stable; the authors' value is
   not in their code).

   Differences from the 2021 code: their gated unit is h = sigma(.) h' + tanh(.) and their links
   may also drop a column's own state; CCN_GATED is h = f h' + (1 - f) g and always reads the own
   state. Their `sparsity` s gives about W s foreign entries; here `links` counts them directly.

   Precision: ccn_real is float unless built with -DCCN_DOUBLE; the program prints which.

   Build: cc -O2 -std=c99 gradient_alignment.c -lm         (add -DCCN_DOUBLE for double)
   Run:   ./gradient_alignment [--meta] --help */
#define _POSIX_C_SOURCE 200809L /* isatty, fileno */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "plot.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef CCN_DOUBLE
#define PRECISION "double (CCN_DOUBLE)"
#define REAL_EPS DBL_EPSILON
#else
#define PRECISION "float"
#define REAL_EPS FLT_EPSILON
#endif

#define N_INPUTS 50
#define MAX_LEVELS 64

typedef struct options {
    int meta, seeds, columns, length, fd_seeds, fd_params, n_levels;
    double levels[MAX_LEVELS], inner_step;
    long steps; /* cap on seeds x levels x length, 0: none */
    unsigned long long seed;
    const char *out;
} options;

/* One run's sequence, and what the run measured. */
typedef struct sequence { ccn_real *x; double *target; int length; } sequence;
typedef struct metrics { double cosine, sign, rel, links_drawn, fd_exact, fd_color; } metrics;

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

/* ---- the loss of one sequence, for finite differences (a forward-only net) ---------------- */

/* Recurrent mode: sum_t 1/2 (y_t - y*_t)^2 through the library's readout. Meta mode: the same
   loss with the readout w replaced by the inner LMS learner, started from w0 and unrolled. */
static double sequence_loss(ccn_net *fwd, const sequence *s, const double *w0, double inner_step, double *w) {
    int n = ccn_get_config(fwd)->n_columns, t, i;
    double loss = 0;
    if (w0) memcpy(w, w0, (size_t)n * sizeof(double));
    ccn_reset_state(fwd);
    for (t = 0; t < s->length; ++t) {
        ccn_real y;
        double delta;
        ccn_step(fwd, s->x + t * N_INPUTS, &y);
        if (w0) {
            const ccn_real *h = ccn_state(fwd);
            double out = 0;
            for (i = 0; i < n; ++i) out += w[i] * (double)h[i];
            delta = s->target[t] - out;
            for (i = 0; i < n; ++i) w[i] += inner_step * delta * (double)h[i];
        } else {
            delta = s->target[t] - (double)y;
        }
        loss += 0.5 * delta * delta;
    }
    return loss;
}

/* Central differences of the loss for `count` parameters sampled among those whose exact
   gradient is non-zero (idx gets them, fd the estimates). The step is cbrt(eps) max(1, |theta|),
   measured as the difference actually stored. */
static int finite_differences(ccn_net *fwd, const sequence *s, const double *w0, double inner_step, double *w,
                              const double *g, size_t P, ccn_rng *r, size_t *idx, double *fd, int count) {
    ccn_real *theta = ccn_params(fwd);
    size_t k, have = 0;
    int c;
    for (k = 0; k < P; ++k) /* a uniform (reservoir) sample of the non-zero entries */
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
        ccn_real keep = theta[idx[c]], hi, lo;
        double h = cbrt(REAL_EPS) * fmax(1.0, fabs((double)keep)), up, down;
        theta[idx[c]] = hi = (ccn_real)((double)keep + h);
        up = sequence_loss(fwd, s, w0, inner_step, w);
        theta[idx[c]] = lo = (ccn_real)((double)keep - h);
        down = sequence_loss(fwd, s, w0, inner_step, w);
        theta[idx[c]] = keep;
        fd[c] = (up - down) / ((double)hi - (double)lo);
    }
    return count;
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
    cfg.feature_width = 5;
    cfg.links = links;
    cfg.method = method;
    cfg.seed = seed;
    return cfg;
}

static int run(const options *o, double links, int s, metrics *m) {
    int n = o->columns, T = o->length, i, t, ok = 0;
    uint64_t seed = (uint64_t)o->seed * 1000003u + (uint64_t)s;
    ccn_config cfg = net_config(o, links, seed, CCN_COLOR);
    ccn_net *color = NULL, *exact = NULL, *fwd = NULL;
    size_t p, P, k;
    sequence seq;
    ccn_rng rng;
    double *w0 = (double *)calloc((size_t)n, sizeof(double)), *w = (double *)calloc((size_t)n, sizeof(double));
    double *g_hat = NULL, *g = NULL, *TW = NULL, *D = NULL, *v = NULL, *fd = NULL;
    ccn_real *a = NULL, *b = NULL, *J = NULL, *onehot = NULL;
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
    if (!seq.x || !seq.target || !w0 || !w || !g_hat || !g || !a || !b || !idx || !fd) goto done;

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
             ColoR  the same with only j = k = i, the parameter's own column:
                    a = w_i e + h_i TW,  dL/dtheta ~ -d a,  TW += a_in (d e - h_i a)
           This stays biased with no links at all: theta changes h_i, hence the shared error d,
           hence every other readout weight w_j (through h_j d), and w_j h_j feeds back into
           every later d; TW keeps only w_i. Exact RTRL of the states alone is not enough: the
           inner learner makes w a recurrent state that couples every column. */
        const double alpha = o->inner_step;
        TW = (double *)calloc(P, sizeof(double));
        D = (double *)calloc((size_t)n * P, sizeof(double));
        v = (double *)calloc(P, sizeof(double));
        J = (ccn_real *)calloc((size_t)n * p, sizeof(ccn_real));
        onehot = (ccn_real *)calloc((size_t)n, sizeof(ccn_real));
        if (!TW || !D || !v || !J || !onehot) goto done;
        memcpy(w, w0, (size_t)n * sizeof(double));
        memcpy(ccn_params(exact), ccn_params(color), p * sizeof(ccn_real));
        for (i = 0; i < n; ++i) onehot[i] = 1;
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
            for (i = 0; i < n; ++i) onehot[i] = 1;
            memset(a, 0, p * sizeof(ccn_real));
            ccn_accumulate_state_gradient(color, onehot, a);
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
            for (i = 0; i < n; ++i) onehot[i] = 0;
            memset(J, 0, (size_t)n * p * sizeof(ccn_real));
            for (j = 0; j < n; ++j) {
                onehot[j] = 1;
                ccn_accumulate_state_gradient(exact, onehot, J + (size_t)j * p);
                onehot[j] = 0;
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
    if (s < o->fd_seeds && o->fd_params > 0) {
        int count;
        memcpy(ccn_params(fwd), ccn_params(color), p * sizeof(ccn_real));
        count = finite_differences(fwd, &seq, o->meta ? w0 : NULL, o->inner_step, w, g, P, &rng, idx,
                                   fd, o->fd_params);
        if (count > 0) {
            m->fd_exact = sample_rel(fd, g, idx, count);
            m->fd_color = sample_rel(fd, g_hat, idx, count);
        }
    }
    ok = 1;
done:
    ccn_destroy(color);
    ccn_destroy(exact);
    ccn_destroy(fwd);
    free(seq.x), free(seq.target), free(w0), free(g_hat), free(g), free(a), free(b), free(idx), free(fd);
    free(w), free(TW), free(D), free(v), free(J), free(onehot);
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

static int usage(const char *prog, FILE *out) {
    fprintf(out,
            "usage: %s [--meta] [--seeds N] [--columns N] [--length N] [--links L1,L2,...]\n"
            "          [--inner-step A] [--fd-seeds N] [--fd-params N] [--seed S] [--out FILE]\n"
            "          [--steps N] [--window N]\n"
            "Compares the ColoR gradient with the exact one (exact RTRL) on the 2021 test-bed, per\n"
            "expected links per column; prints mean +- std over seeds of cosine similarity, sign\n"
            "agreement and relative error, checks exact RTRL against finite differences, writes an\n"
            "SVG, and ends with final_error=<worst relative error of ColoR at the fewest links>.\n"
            "  --meta          the meta-gradient through an inner LMS readout (feed-forward tanh)\n"
            "  --seeds N       fresh nets per link level (30)\n"
            "  --columns N     columns (20); --length N: steps per sequence (50)\n"
            "  --links LIST    expected links per column (0,0.25,0.5,1,2,3,5,10,20)\n"
            "  --inner-step A  --meta: the inner LMS step size (0.01)\n"
            "  --fd-seeds N    finite-difference check on the first N seeds of each level (2)\n"
            "  --fd-params N   parameters sampled per check (16)\n"
            "  --seed S        base seed (1); run s uses seed S*1000003+s\n"
            "  --out FILE      the figure (gradient_alignment.svg, gradient_alignment_meta.svg)\n"
            "  --steps N       cap on the work: seeds x levels x length <= N; fewer seeds (at\n"
            "                  least one) are run to fit (default: no cap)\n"
            "  --window N      accepted for a uniform command line with the other examples; this\n"
            "                  program has no moving window, so it is ignored\n",
            prog);
    return out == stderr ? 2 : 0;
}

static int parse_levels(const char *v, options *o) {
    char *end;
    o->n_levels = 0;
    for (;;) {
        double x = strtod(v, &end);
        if (end == v || !(x >= 0) || o->n_levels == MAX_LEVELS) return 0;
        o->levels[o->n_levels++] = x;
        if (*end == '\0') return 1;
        if (*end != ',') return 0;
        v = end + 1;
    }
}

int main(int argc, char **argv) {
    static const double default_levels[] = {0, 0.25, 0.5, 1, 2, 3, 5, 10, 20};
    options o;
    int i, L, s, fewest, tty = isatty(fileno(stderr));
    double *cos_m, *cos_s, *sgn_m, *sgn_s, *rel_m, *rel_s, *xs, *buf, worst_fd = 0, zero_rel = 0;
    clock_t start = clock();

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
    for (i = 1; i < argc; ++i) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(argv[0], stdout);
        if (!strcmp(a, "--meta")) { o.meta = 1; continue; }
        if (!v) return usage(argv[0], stderr);
        if (!strcmp(a, "--seeds")) o.seeds = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--columns")) o.columns = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--length")) o.length = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--fd-seeds")) o.fd_seeds = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--fd-params")) o.fd_params = (int)strtol(v, &end, 10);
        else if (!strcmp(a, "--inner-step")) o.inner_step = strtod(v, &end);
        else if (!strcmp(a, "--seed")) o.seed = strtoull(v, &end, 10);
        else if (!strcmp(a, "--steps")) o.steps = strtol(v, &end, 10);
        else if (!strcmp(a, "--window")) (void)strtol(v, &end, 10);
        else if (!strcmp(a, "--out")) { o.out = v; end = (char *)v + strlen(v); }
        else if (!strcmp(a, "--links")) end = parse_levels(v, &o) ? (char *)v + strlen(v) : (char *)v;
        else return usage(argv[0], stderr);
        if (!end || *end || end == v) return usage(argv[0], stderr);
        ++i;
    }
    if (o.seeds <= 0 || o.columns <= 0 || o.length <= 0 || o.length > 100000 ||
        o.fd_seeds < 0 || o.fd_params < 0 || o.fd_params > 100000 || o.steps < 0 ||
        !(o.inner_step >= 0 && o.inner_step < 1))
        return usage(argv[0], stderr);
    if (o.steps > 0) {
        long fit = o.steps / ((long)o.n_levels * o.length);
        if (fit < o.seeds) o.seeds = fit > 1 ? (int)fit : 1;
    }
    for (fewest = 0, L = 1; L < o.n_levels; ++L)
        if (o.levels[L] < o.levels[fewest]) fewest = L;
    if (!o.out) o.out = o.meta ? "gradient_alignment_meta.svg" : "gradient_alignment.svg";
    for (L = 0; L < o.n_levels; ++L) { /* every level must be a valid net before any work */
        ccn_config cfg = net_config(&o, o.levels[L], 0, CCN_COLOR), resolved;
        ccn_result r = ccn_config_resolve(&cfg, &resolved);
        if (r != CCN_OK) {
            fprintf(stderr, "links %g: %s\n", o.levels[L], ccn_result_string(r));
            return 2;
        }
    }

    printf("%s: ColoR vs exact RTRL, %s\n", argv[0], o.meta ? "meta-gradient through an inner LMS readout" : "recurrent state");
    printf("precision: %s\n", PRECISION);
    printf("%d %s columns (two ReLU feature layers of width 5), %d Bernoulli inputs, %d-step sequence,\n"
           "targets U(-50, 50), readout w(0) ~ N(0, 0.1^2)%s; %d seeds per level\n",
           o.columns, o.meta ? "feed-forward tanh" : "gated", N_INPUTS, o.length,
           o.meta ? ", inner LMS step" : "", o.seeds);
    if (o.meta) printf("inner LMS step a_in = %g\n", o.inner_step);
    printf("\n  links  drawn   cosine               sign agreement       relative error\n");

    cos_m = (double *)calloc((size_t)o.n_levels * 7 + (size_t)o.seeds * 3, sizeof(double));
    if (!cos_m) return 1;
    cos_s = cos_m + o.n_levels, sgn_m = cos_s + o.n_levels, sgn_s = sgn_m + o.n_levels;
    rel_m = sgn_s + o.n_levels, rel_s = rel_m + o.n_levels, xs = rel_s + o.n_levels;
    buf = xs + o.n_levels;
    for (L = 0; L < o.n_levels; ++L) {
        double *c = buf, *sg = buf + o.seeds, *re = buf + 2 * o.seeds, drawn = 0, fe = 0, fc = 0, worst = 0;
        int checked = 0;
        for (s = 0; s < o.seeds; ++s) {
            metrics m;
            if (tty) fprintf(stderr, "\rlinks %g: seed %d/%d ", o.levels[L], s + 1, o.seeds);
            if (!run(&o, o.levels[L], s, &m)) {
                fprintf(stderr, "out of memory\n");
                return 1;
            }
            c[s] = m.cosine, sg[s] = m.sign, re[s] = m.rel, drawn += m.links_drawn / o.seeds;
            if (m.rel > worst) worst = m.rel;
            if (m.fd_exact >= 0) {
                fe = fmax(fe, m.fd_exact);
                fc = fmax(fc, m.fd_color);
                ++checked;
            }
        }
        if (tty) fprintf(stderr, "\r%40s\r", "");
        mean_std(c, o.seeds, &cos_m[L], &cos_s[L]);
        mean_std(sg, o.seeds, &sgn_m[L], &sgn_s[L]);
        mean_std(re, o.seeds, &rel_m[L], &rel_s[L]);
        xs[L] = 1.0 + o.levels[L];
        if (L == fewest) zero_rel = worst;
        printf("%7g  %5.2f   %.6f +- %.6f   %.6f +- %.6f   %.3e +- %.1e\n", o.levels[L], drawn, cos_m[L],
               cos_s[L], sgn_m[L], sgn_s[L], rel_m[L], rel_s[L]);
        if (checked) {
            printf("         finite differences, %d seed(s) x %d parameters: |fd - exact|/|fd| <= %.1e,"
                   " |fd - ColoR|/|fd| <= %.1e\n",
                   checked, o.fd_params, fe, fc);
            worst_fd = fmax(worst_fd, fe);
        }
    }

    {
        char title[160];
        plot_series series[3];
        plot pl;
        memset(&pl, 0, sizeof pl);
        snprintf(title, sizeof title, "ColoR vs exact %sgradient: %d columns, %d seeds (%s)",
                 o.meta ? "meta-" : "", o.columns, o.seeds, o.meta ? "feed-forward tanh" : "gated");
        pl.title = title;
        pl.xlabel = "1 + expected links per column (log scale)";
        pl.ylabel = "mean over seeds, bars: +-1 std";
        pl.logx = 1; /* 1 + links puts 0 links at the left edge and spreads 0.25 ... 20 evenly */
        series[0].name = "cosine", series[0].y = cos_m, series[0].err = cos_s;
        series[1].name = "sign agreement", series[1].y = sgn_m, series[1].err = sgn_s;
        series[2].name = "relative error", series[2].y = rel_m, series[2].err = rel_s;
        for (i = 0; i < 3; ++i) series[i].x = xs, series[i].n = o.n_levels;
        if (plot_svg(o.out, &pl, series, 3) != 0) {
            fprintf(stderr, "cannot write %s\n", o.out);
            return 1;
        }
        printf("\nwrote %s\n", o.out);
    }
    fprintf(stderr, "time: %.1f s\n", (double)(clock() - start) / CLOCKS_PER_SEC);
    printf("final_error=%.3g (worst relative error of ColoR's %sgradient at %g links, %d seeds; %s)",
           zero_rel, o.meta ? "meta-" : "", o.levels[fewest], o.seeds, PRECISION);
    if (o.fd_seeds > 0 && o.fd_params > 0) printf(" fd_error=%.2g (exact vs finite differences)", worst_fd);
    printf("\n");
    free(cos_m);
    return 0;
}
