/* Shared test helpers: nets with random parameters, sequences, allocators that count or fail,
   and the bridge from a ccn_net to the independent reference in ref_bptt.h. */
#ifndef CCN_TEST_UTIL_H
#define CCN_TEST_UTIL_H
/* ccn.h's switch to its generic paths (ccn__test_generic), for generic_equals_fast_paths */
#ifndef CCN__TEST_GENERIC
#define CCN__TEST_GENERIC
#endif
#include "../ccn.h"
#include "harness.h"
#include "ref_bptt.h"

#ifdef CCN_DOUBLE
#define TU_DOUBLE 1
#else
#define TU_DOUBLE 0
#endif

/* 1 where this build evaluates ccn_real in more precision than its own (FLT_EVAL_METHOD 2 on
   x87, 1 for float, -1): built only with CCN_ALLOW_EXCESS_PRECISION, results are correct to
   rounding but not the bits of other platforms, nor always of the paths said to give the same
   bits, and the tests that expect those bits say so and skip them. */
#include <float.h>
#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD == 0 || (TU_DOUBLE && FLT_EVAL_METHOD == 1)
#define TU_EXCESS_PRECISION 0
#else
#define TU_EXCESS_PRECISION 1
#endif

/* ---- allocators --------------------------------------------------------------------------- */
typedef struct tu_alloc_stats {
    long allocs, frees, live_bytes, fail_at; /* fail_at: 1-based index of the allocation to fail, 0 none */
} tu_alloc_stats;

static void *tu_alloc(size_t size, void *user) {
    tu_alloc_stats *s = (tu_alloc_stats *)user;
    ++s->allocs;
    if (s->fail_at && s->allocs == s->fail_at) return NULL;
    s->live_bytes += (long)size;
    return malloc(size);
}
static void tu_free(void *p, size_t size, void *user) {
    tu_alloc_stats *s = (tu_alloc_stats *)user;
    ++s->frees;
    s->live_bytes -= (long)size;
    free(p);
}
static ccn_allocator tu_allocator(tu_alloc_stats *s) {
    ccn_allocator a;
    memset(s, 0, sizeof *s);
    a.alloc = tu_alloc;
    a.free = tu_free;
    a.user = s;
    return a;
}

/* ---- numbers ------------------------------------------------------------------------------ */
static double tu_norm_diff(const double *a, const double *b, size_t n) {
    double s = 0;
    size_t k;
    for (k = 0; k < n; ++k) s += (a[k] - b[k]) * (a[k] - b[k]);
    return sqrt(s);
}
static double tu_norm(const double *a, size_t n) {
    double s = 0;
    size_t k;
    for (k = 0; k < n; ++k) s += a[k] * a[k];
    return sqrt(s);
}
static double tu_rel_err(const double *a, const double *ref, size_t n) {
    double d = tu_norm(ref, n);
    return tu_norm_diff(a, ref, n) / (d > 0 ? d : 1.0);
}
static double tu_cosine(const double *a, const double *b, size_t n) {
    double s = 0;
    size_t k;
    for (k = 0; k < n; ++k) s += a[k] * b[k];
    return s / (tu_norm(a, n) * tu_norm(b, n));
}
static size_t tu_count_nonfinite(const ccn_real *v, size_t n) {
    size_t k, bad = 0;
    for (k = 0; k < n; ++k) bad += !(v[k] - v[k] == 0);
    return bad;
}
static double *tu_doubles(size_t n) { return (double *)calloc(n ? n : 1, sizeof(double)); }
static ccn_real *tu_reals(size_t n) { return (ccn_real *)calloc(n ? n : 1, sizeof(ccn_real)); }

/* ---- nets --------------------------------------------------------------------------------- */
static ccn_config tu_config(int kind, int method, int layers, double links, int n, int m, int o) {
    ccn_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.method = method;
    c.feature_layers = layers;
    c.feature_width = layers ? 3 : 0; /* a width without layers is refused */
    c.links = links;
    c.n_columns = n;
    c.n_inputs = m;
    c.n_outputs = o;
    c.seed = 12345;
    return c;
}

/* ---- kinds ------------------------------------------------------------------------------ */
/* The column kinds the tests run, in one place: tu_kind(0 .. TU_N_KINDS - 1). */
enum { TU_N_KINDS = 4 };
static int tu_kind(int ki) {
    static const int kinds[TU_N_KINDS] = {CCN_TANH, CCN_GATED, CCN_LSTM, CCN_GRU};
    return kinds[ki];
}
static const char *tu_kind_name(int kind) {
    return kind == CCN_TANH ? "tanh" : kind == CCN_GATED ? "gated" : kind == CCN_LSTM ? "lstm" : kind == CCN_GRU ? "gru" : "?";
}
/* TU_FOR_KINDS(ki) statement: the statement for each kind index ki. */
#define TU_FOR_KINDS(ki) for ((ki) = 0; (ki) < TU_N_KINDS; ++(ki))
/* The reference's number for a library kind (ref_bptt.h numbers its kinds its own way). */
static int tu_ref_kind(int kind) {
    return kind == CCN_TANH ? REF_TANH : kind == CCN_GATED ? REF_GATED : kind == CCN_LSTM ? REF_LSTM : kind == CCN_GRU ? REF_GRU : -1;
}

/* Whether this build contracts a * b + c into one rounding (-ffp-contract=fast with FMA): with
   a = 1 + h, a * a rounds 1 + 2h + h^2 to 1 + 2h, so a * a - (1 + 2h) is 0 unless fused. */
static int tu_contracts(void) {
    volatile ccn_real h = TU_DOUBLE ? (ccn_real)7.450580596923828125e-9 : (ccn_real)2.44140625e-4; /* 2^-27, 2^-12 */
    ccn_real a = 1 + h, c = -(1 + 2 * h);
    return a * a + c != 0;
}

/* Every parameter U(-scale, scale), the readout U(-1, 1): the default readout of 0 would hide
   every column gradient. */
static void tu_randomize(ccn_net *net, uint64_t seed, double scale) {
    ccn_rng rng;
    size_t k, p = ccn_param_count(net), ro = ccn_readout_offset(net);
    ccn_real *th = ccn_params(net);
    ccn_rng_seed(&rng, seed);
    for (k = 0; k < p; ++k)
        th[k] = (ccn_real)((2.0 * ccn_rng_uniform(&rng) - 1.0) * (k >= ro ? 1.0 : scale));
}

static ccn_net *tu_create(const ccn_config *c) {
    ccn_net *net = NULL;
    ccn_result r = ccn_create(c, NULL, &net);
    if (r != CCN_OK) {
        const char *field = NULL;
        ccn_config_check(c, &field);
        printf("    ccn_create: %s (%s)\n", ccn_result_string(r), field ? field : "no single field");
        exit(2);
    }
    return net;
}

/* A parallel-for that runs the tasks backwards with the workers in rotation: a step spread this
   way must give exactly the bits of the single-threaded step. (Real threads: bench/.) */
typedef struct tu_runner {
    int workers, calls, tasks;
} tu_runner;

static void tu_backwards(void *user, int n_tasks, ccn_task_fn task, void *ctx) {
    tu_runner *r = (tu_runner *)user;
    int t;
    ++r->calls;
    r->tasks += n_tasks;
    for (t = n_tasks - 1; t >= 0; --t) task(ctx, t, t % r->workers);
}

/* A sequence: x U(-1, 1) (T x m), targets U(-1, 1) (T x o). */
typedef struct tu_seq {
    int T, m, o;
    double *x, *target;
} tu_seq;
static tu_seq tu_sequence(int T, int m, int o, uint64_t seed) {
    tu_seq s;
    ccn_rng rng;
    int k;
    s.T = T;
    s.m = m;
    s.o = o;
    s.x = tu_doubles((size_t)(T * m));
    s.target = tu_doubles((size_t)(T * o));
    ccn_rng_seed(&rng, seed);
    for (k = 0; k < T * m; ++k) s.x[k] = 2.0 * ccn_rng_uniform(&rng) - 1.0;
    for (k = 0; k < T * o; ++k) s.target[k] = 2.0 * ccn_rng_uniform(&rng) - 1.0;
    return s;
}
static void tu_seq_free(tu_seq *s) {
    free(s->x);
    free(s->target);
}

/* Runs the sequence from a reset state, summing the library's gradient of
   L = sum_t 1/2 |y_t - target_t|^2 into g (double, p entries). */
static void tu_library_gradient(ccn_net *net, const tu_seq *s, double *g) {
    size_t p = ccn_param_count(net), k;
    ccn_real *x = tu_reals((size_t)s->m), *y = tu_reals((size_t)s->o), *e = tu_reals((size_t)s->o);
    ccn_real *acc = tu_reals(p);
    int t, j;
    ccn_reset_state(net);
    for (t = 0; t < s->T; ++t) {
        for (j = 0; j < s->m; ++j) x[j] = (ccn_real)s->x[t * s->m + j];
        ccn_step(net, x, y);
        for (j = 0; j < s->o; ++j) e[j] = y[j] - (ccn_real)s->target[t * s->o + j];
        CHECK(ccn_accumulate_gradient(net, e, acc) == CCN_OK);
    }
    for (k = 0; k < p; ++k) g[k] = (double)acc[k];
    free(x);
    free(y);
    free(e);
    free(acc);
}

/* The reference's description of a library net. Links are copied; free with tu_ref_free. */
typedef struct tu_ref {
    ref_net net;
    int *n_links;
    ref_link **links;
    double *theta;
    int n_lib; /* the library's columns (the link lists allocated) */
} tu_ref;
static tu_ref tu_ref_of(ccn_net *lib) {
    tu_ref r;
    const ccn_config *c = ccn_get_config(lib);
    size_t p = ccn_param_count(lib), k;
    int i, j;
    memset(&r, 0, sizeof r);
    r.net.kind = tu_ref_kind(c->kind);
    r.net.n_inputs = c->n_inputs;
    r.net.n_outputs = c->n_outputs;
    r.net.n_columns = c->n_columns;
    r.net.feature_layers = c->feature_layers;
    r.net.feature_width = c->feature_width;
    r.n_lib = c->n_columns;
    { /* stages, from the column layout */
        int *stage = (int *)calloc((size_t)c->n_columns, sizeof(int));
        ccn_column_info ci;
        for (i = 0; i < c->n_columns; ++i) {
            ccn_column_info_get(lib, i, &ci);
            stage[i] = ci.stage;
        }
        r.net.stage = stage;
    }
    r.n_links = (int *)calloc((size_t)c->n_columns, sizeof(int));
    r.links = (ref_link **)calloc((size_t)c->n_columns, sizeof(ref_link *));
    for (i = 0; i < c->n_columns; ++i) {
        int count;
        const ccn_link *lk = ccn_links(lib, i, &count);
        r.n_links[i] = count;
        r.links[i] = (ref_link *)calloc((size_t)(count ? count : 1), sizeof(ref_link));
        for (j = 0; j < count; ++j) {
            r.links[i][j].type = lk[j].type == CCN_LINK_STATE ? 0 : 1;
            r.links[i][j].column = lk[j].column;
            r.links[i][j].feature = lk[j].feature;
        }
    }
    r.net.n_links = r.n_links;
    r.net.links = (const ref_link *const *)r.links;
    r.theta = tu_doubles(p);
    for (k = 0; k < p; ++k) r.theta[k] = (double)ccn_params(lib)[k];
    CHECK((size_t)ref_param_count(&r.net) == p);
    return r;
}
/* The reference of a staged net's active columns only (columns of stages not yet started do
   not run). *map gets, for each reference parameter, its index in the library's vector. */
static tu_ref tu_ref_of_active(ccn_net *lib, size_t **map) {
    tu_ref r = tu_ref_of(lib);
    const ccn_config *c = ccn_get_config(lib);
    int n = c->n_columns, na = ccn_active_columns(lib), o = c->n_outputs, i, j;
    size_t ro = ccn_readout_offset(lib), pa, k;
    ccn_column_info ci;
    ccn_column_info_get(lib, na - 1, &ci);
    pa = ci.param_offset + ci.param_count; /* the active columns' parameters */
    r.net.n_columns = na;
    *map = (size_t *)calloc(pa + (size_t)(o * (na + 1)), sizeof(size_t));
    for (k = 0; k < pa; ++k) (*map)[k] = k;
    for (j = 0; j < o; ++j) {
        for (i = 0; i < na; ++i) (*map)[pa + (size_t)(j * na + i)] = ro + (size_t)(j * n + i);
        (*map)[pa + (size_t)(o * na + j)] = ro + (size_t)(o * n + j);
    }
    for (k = 0; k < pa + (size_t)(o * (na + 1)); ++k) r.theta[k] = (double)ccn_params(lib)[(*map)[k]];
    CHECK((size_t)ref_param_count(&r.net) == pa + (size_t)(o * (na + 1)));
    return r;
}

static void tu_ref_free(tu_ref *r) {
    int i;
    free((void *)r->net.stage);
    for (i = 0; i < r->n_lib; ++i) free(r->links[i]);
    free(r->links);
    free(r->n_links);
    free(r->theta);
}
#endif
