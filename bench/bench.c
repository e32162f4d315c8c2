/* bench.c - what one learning step costs, in ns per parameter per step.

   Every case builds a net, warms it up, then times batches of steps (median of several runs of
   at least --min-time seconds each; the fastest run is reported too, since the machine may be
   shared), and prints one JSON object per line on stdout and a table
   on stderr. Cases that compare methods run side by side in one process, so ratios between
   them are meaningful on a shared machine. A memory-floor kernel (read and write k float arrays
   in place, the pattern of a ColoR step) runs at each size, so every case reports how far it is
   from the bandwidth floor it meets.

   usage: bench [--quick] [--case NAME] [--list] [--svg PATH] [--min-time S]
   Build: make bench (-O3 -march=native, C11 for timespec_get). */
#define _POSIX_C_SOURCE 200809L /* pthreads: part of the C library on this platform */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "../examples/plot.h"
#include "../examples/trace_env.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define SPLIT 100 /* a learner of the bench's own: supervised, through two calls per step */
#define BENCH_TRACE 101 /* another: TD on the trace-patterning stream (the cases with per_stage) */

typedef struct bench_case {
    const char *name;
    int kind, method, learner; /* CCN_SUPERVISED (SGD, ccn_learn_step), SPLIT (SGD, ccn_step then
                                  ccn_learn) or CCN_TD (+ RMSProp, ccn_td_step) */
    int columns, inputs;
    double links;              /* RTRL cases: dense links */
    int quick;                 /* part of --quick */
    const char *group;         /* for the figure: series name */
    int threads;               /* > 1: the step spread over this many threads */
    int ftz;                   /* run with ccn_set_flush_subnormals (x86-64)                   */
    int per_stage;             /* > 0: a trace-patterning net (examples/trace_env.h's
                                  trace_ccn_config, init_scale 0.1 as examples/trace_patterning.c
                                  makes it), stages of this many columns, timed in its last
                                  stage on the task's own input stream */
    int learners;              /* > 1: that many trace-patterning nets (seeds 1.., step sizes
                                  1e-4 x (1 + i % 4), each its own stream), stepped */
    int alone;                 /* one after another with ccn_td_step (1) or as a ccn_batch (0) */
} bench_case;

/* A small pool for ccn_set_parallel: the calling thread is worker 0; the others spin on a
   generation counter (a step's phases are microseconds long: sleeping at a barrier would cost
   more than the work). Worker w runs tasks w, w + n, w + 2n, ...: the same columns every phase
   and every step, so each core keeps its columns in its own cache. */
typedef struct thread_pool {
    int n;
    pthread_t tid[8];
    atomic_int gen, pending, quit;
    int n_tasks;
    ccn_task_fn task;
    void *ctx;
} thread_pool;

static void pool_work(thread_pool *p, int worker) {
    int t;
    for (t = worker; t < p->n_tasks; t += p->n) p->task(p->ctx, t, worker);
}

typedef struct pool_arg {
    thread_pool *p;
    int worker;
} pool_arg;

static void *pool_thread(void *arg) {
    pool_arg *a = (pool_arg *)arg;
    int seen = 0;
    for (;;) {
        while (atomic_load(&a->p->gen) == seen) {
        }
        seen = atomic_load(&a->p->gen);
        if (atomic_load(&a->p->quit)) return NULL;
        pool_work(a->p, a->worker);
        atomic_fetch_sub(&a->p->pending, 1);
    }
}

static void pool_parallel_for(void *user, int n_tasks, ccn_task_fn task, void *ctx) {
    thread_pool *p = (thread_pool *)user;
    p->task = task;
    p->ctx = ctx;
    p->n_tasks = n_tasks;
    atomic_store(&p->pending, p->n - 1);
    atomic_fetch_add(&p->gen, 1); /* publishes the job */
    pool_work(p, 0);
    while (atomic_load(&p->pending) > 0) {
    }
}

static pool_arg pool_args[8];

static void pool_open(thread_pool *p, int n) {
    int i;
    p->n = n;
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->quit, 0);
    for (i = 1; i < n; ++i) {
        pool_args[i].p = p;
        pool_args[i].worker = i;
        pthread_create(&p->tid[i], NULL, pool_thread, &pool_args[i]);
    }
}

static void pool_close(thread_pool *p) {
    int i;
    atomic_store(&p->quit, 1);
    atomic_fetch_add(&p->gen, 1);
    for (i = 1; i < p->n; ++i) pthread_join(p->tid[i], NULL);
}

typedef struct bench_result {
    double ns_step, ns_param, floor_ns_param;
    double best_ns_param; /* the fastest of the 5 runs: what the step costs when the machine is quiet */
    size_t params, bytes;
    long steps;
} bench_result;

/* Inputs: a fixed pool of Bernoulli(0.2) vectors, cycled (the environment costs nothing); the
   trace-patterning cases cycle TRACE_POOL steps of the task's own stream (its inputs and its
   cumulant), drawn once before the timing. */
#define POOL 64
#define TRACE_POOL 4096

static ccn_real trace_cumulant[TRACE_POOL]; /* the trace-patterning cases' cumulants */

/* One learning step of the case's kind on input x. */
static void one_step(ccn_net *net, int learner, const ccn_real *x, long t) {
    static const ccn_real target[1] = {CCN_R(0.5)}; /* static: gcc -O3 cannot see a local through ccn_learn's loop */
    ccn_real y;
    if (learner == BENCH_TRACE) ccn_td_step(net, x, trace_cumulant[t % TRACE_POOL], CCN_R(TRACE_GAMMA), &y);
    else if (learner == CCN_TD) ccn_td_step(net, x, (ccn_real)(t % 17 == 0), CCN_R(0.9), &y);
    else if (learner == SPLIT) {
        ccn_step(net, x, &y);
        ccn_learn(net, target);
    } else
        ccn_learn_step(net, x, target, &y);
}

/* What a case times: one net's learning steps on pool (m inputs a step), or a batch's steps
   (alone: its nets one after another by their own calls) on xs, cums and gams (TRACE_POOL steps
   of the batch's rows). */
typedef struct stepper {
    ccn_net *net;
    int learner, m;
    const ccn_real *pool;
    ccn_batch *b;
    int alone;
    const ccn_real *xs, *cums, *gams;
} stepper;

/* Steps 0 .. steps - 1 of what s times. */
static void run_steps(const stepper *s, long steps) {
    long t;
    int i;
    if (!s->b) {
        const long pool_len = s->learner == BENCH_TRACE ? TRACE_POOL : POOL;
        for (t = 0; t < steps; ++t) one_step(s->net, s->learner, s->pool + (t % pool_len) * s->m, t);
        return;
    }
    for (t = 0; t < steps; ++t) {
        int count = ccn_batch_count(s->b);
        size_t row = (size_t)(t % TRACE_POOL) * (size_t)count;
        if (!s->alone) ccn_batch_td_step(s->b, s->xs + row * TRACE_INPUTS, s->cums + row, s->gams + row, NULL);
        else
            for (i = 0; i < count; ++i)
                ccn_td_step(ccn_batch_net(s->b, i), s->xs + (row + (size_t)i) * TRACE_INPUTS, s->cums[row + (size_t)i],
                            s->gams[row + (size_t)i], NULL);
    }
}

/* The median of 5 timed runs, in ns per step; *fastest gets the fastest run. */
static double time_steps(const stepper *s, double min_time, long *steps_out, double *fastest) {
    long steps = 16;
    double runs[5];
    int rep;
    run_steps(s, s->b || s->learner == BENCH_TRACE ? TRACE_POOL : POOL); /* warm-up */
    for (;;) { /* grow the run until it takes min_time */
        double t0 = now_s(), dt;
        run_steps(s, steps);
        dt = now_s() - t0;
        if (dt >= min_time || steps > (1L << 40)) break;
        steps = dt > min_time / 8 ? (long)((double)steps * min_time / dt * 1.1) + 1 : steps * 8;
    }
    for (rep = 0; rep < 5; ++rep) {
        double t0 = now_s();
        run_steps(s, steps);
        runs[rep] = (now_s() - t0) / (double)steps;
    }
    for (rep = 1; rep < 5; ++rep) { /* sorted: the median is runs[2], the fastest runs[0] */
        double v = runs[rep];
        int k = rep;
        for (; k > 0 && runs[k - 1] > v; --k) runs[k] = runs[k - 1];
        runs[k] = v;
    }
    *fastest = runs[0] * 1e9;
    *steps_out = steps * 6;
    return runs[2] * 1e9;
}

/* The bandwidth floor: k float arrays of `count` elements each, each read and written in place
   once per "step" (x = x * s + t), in ns per element of one array. */
static void floor_pass(float *CCN__RESTRICT x, size_t count) {
    size_t i;
    for (i = 0; i < count; ++i) x[i] = x[i] * 0.999f + 0.001f;
}

static double memory_floor(size_t count, int k, double min_time) {
    float *a = (float *)malloc(count * (size_t)k * sizeof(float));
    long reps = 1, r;
    double dt = 0, best = 1e300;
    size_t i;
    int j, rep;
    if (!a) return 0;
    for (i = 0; i < count * (size_t)k; ++i) a[i] = (float)(i % 7) * 0.125f;
    for (;;) {
        double t0 = now_s();
        for (r = 0; r < reps; ++r)
            for (j = 0; j < k; ++j) floor_pass(a + (size_t)j * count, count);
        dt = now_s() - t0;
        if (dt >= min_time / 2) break;
        reps *= 4;
    }
    for (rep = 0; rep < 3; ++rep) {
        double t0 = now_s();
        for (r = 0; r < reps; ++r)
            for (j = 0; j < k; ++j) floor_pass(a + (size_t)j * count, count);
        dt = (now_s() - t0) / (double)reps / (double)count * 1e9;
        if (dt < best) best = dt;
    }
    { /* keep the work observable */
        volatile float sink = a[count / 2];
        (void)sink;
    }
    free(a);
    return best / (double)k;
}

/* Arrays a step reads and writes per parameter: params, traces (2 for lstm), eligibility and
   RMSProp for TD. */
static int arrays_per_param(const bench_case *c) {
    if (c->method == CCN_FORWARD) return 1;
    if (c->method == CCN_RTRL) return 0;
    return 2 + (c->kind == CCN_LSTM) + (c->learner == CCN_TD || c->learner == BENCH_TRACE ? 2 : 0);
}

/* A trace-patterning case's net moved to its last stage; the parameters of its frozen stages
   (only read by a step). */
static size_t trace_last_stage(ccn_net *net, const bench_case *c) {
    int i, stages = (c->columns + c->per_stage - 1) / c->per_stage;
    size_t frozen = 0;
    for (i = 1; i < stages; ++i) ccn_next_stage(net);
    for (i = 0; i < c->columns; ++i) {
        ccn_column_info info;
        ccn_column_info_get(net, i, &info);
        if (info.stage + 1 < stages) frozen += info.param_count;
    }
    return frozen;
}

/* The floor in ns per parameter of one net, for `nets` nets of `params` parameters each, of which
   `frozen` only read: the learning ones' arrays read and written in place, the frozen ones
   read (one array). */
static double case_floor(const bench_case *c, size_t params, size_t frozen, size_t nets, double min_time) {
    int k = arrays_per_param(c);
    double f = k ? memory_floor((params - frozen) * nets, k, min_time) * k * (double)(params - frozen) / (double)params : 0;
    if (frozen) f += memory_floor(frozen * nets, 1, min_time) * (double)frozen / (double)params;
    return f;
}

static int run_case(const bench_case *c, double min_time, bench_result *res);

/* A case of c->learners trace-patterning nets in their last stage, each on its own stream; its
   figures are per net (ns per step of one net, per parameter of one net; the floor: the arrays
   of all the nets, which the step goes through once). */
static int run_batch_case(const bench_case *c, double min_time, bench_result *res) {
    enum { MAX_LEARNERS = 64 };
    ccn_config cfg[MAX_LEARNERS];
    ccn_batch *b;
    ccn_real *xs, *cums, *gams;
    int i, B = c->learners;
    size_t frozen = 0, t;
    if (B > MAX_LEARNERS) return 0;
    for (i = 0; i < B; ++i) {
        trace_ccn_config(&cfg[i], c->columns, c->per_stage, 0, 1e-4 * (1 + i % 4), (uint64_t)(1 + i));
        cfg[i].init_scale = 0.1;
    }
    if (ccn_batch_create(cfg, B, NULL, &b) != CCN_OK) return 0;
    for (i = 0; i < B; ++i) frozen = trace_last_stage(ccn_batch_net(b, i), c);
    xs = (ccn_real *)malloc(sizeof(ccn_real) * TRACE_POOL * (size_t)B * TRACE_INPUTS);
    cums = (ccn_real *)malloc(sizeof(ccn_real) * TRACE_POOL * (size_t)B);
    gams = (ccn_real *)malloc(sizeof(ccn_real) * TRACE_POOL * (size_t)B);
    if (!xs || !cums || !gams) return 0;
    for (i = 0; i < B; ++i) {
        trace_env env;
        trace_init(&env, (uint64_t)(1 + i), 14, 26);
        for (t = 0; t < TRACE_POOL; ++t) {
            size_t row = t * (size_t)B + (size_t)i;
            cums[row] = trace_step(&env, xs + row * TRACE_INPUTS);
            gams[row] = CCN_R(TRACE_GAMMA);
        }
    }
    res->params = ccn_param_count(ccn_batch_net(b, 0));
    ccn_memory_size(&cfg[0], &res->bytes);
    {
        stepper st;
        memset(&st, 0, sizeof st);
        st.b = b, st.alone = c->alone, st.xs = xs, st.cums = cums, st.gams = gams;
        res->ns_step = time_steps(&st, min_time, &res->steps, &res->best_ns_param) / B;
    }
    res->ns_param = res->ns_step / (double)res->params;
    res->best_ns_param /= (double)B * (double)res->params;
    res->floor_ns_param = case_floor(c, res->params, frozen, (size_t)B, min_time);
    free(xs);
    free(cums);
    free(gams);
    ccn_batch_destroy(b);
    return 1;
}

static int run_case(const bench_case *c, double min_time, bench_result *res) {
    ccn_config cfg;
    ccn_net *net;
    ccn_real *pool;
    ccn_rng rng;
    int i;
    size_t frozen = 0; /* parameters of the frozen stages: only read by the step */
    stepper st;
    if (c->learners > 1) return run_batch_case(c, min_time, res);
    memset(&cfg, 0, sizeof cfg);
    if (c->per_stage > 0) {
        trace_ccn_config(&cfg, c->columns, c->per_stage, 0, 0.001, 1);
        cfg.init_scale = 0.1;
        if (ccn_create(&cfg, NULL, &net) != CCN_OK) return 0;
        frozen = trace_last_stage(net, c);
        pool = (ccn_real *)malloc(sizeof(ccn_real) * TRACE_POOL * TRACE_INPUTS);
        if (!pool) return 0;
        {
            trace_env env;
            trace_init(&env, 1, 14, 26);
            for (i = 0; i < TRACE_POOL; ++i) trace_cumulant[i] = trace_step(&env, pool + (size_t)i * TRACE_INPUTS);
        }
    } else {
        cfg.n_inputs = c->inputs;
        cfg.n_columns = c->columns;
        cfg.kind = c->kind;
        cfg.method = c->method;
        cfg.links = c->links;
        cfg.learner = c->learner == SPLIT ? CCN_SUPERVISED : c->learner;
        cfg.td_lambda = c->learner == CCN_TD ? 0.99 : 0.0; /* refused without CCN_TD */
        cfg.step_size = 1e-4;
        if (c->learner == CCN_TD) {
            cfg.optimizer = CCN_RMSPROP;
            cfg.scale_readout_step = 1;
            cfg.input_norm_rate = 0.99999;
            cfg.feature_norm_rate = 0.99999;
            cfg.norm_var_floor = 0.001;
        }
        cfg.seed = 1;
        cfg.n_workers = c->threads > 1 ? c->threads : 1;
        if (ccn_create(&cfg, NULL, &net) != CCN_OK) return 0;
        if (c->ftz && ccn_set_flush_subnormals(net, 1) != CCN_OK) { /* not x86-64: the case is skipped */
            ccn_destroy(net);
            return 0;
        }
        pool = (ccn_real *)malloc(sizeof(ccn_real) * POOL * (size_t)c->inputs);
        if (!pool) return 0;
        ccn_rng_seed(&rng, 7);
        for (i = 0; i < POOL * c->inputs; ++i) pool[i] = (ccn_real)(ccn_rng_uniform(&rng) < 0.2);
    }
    res->params = ccn_param_count(net);
    ccn_memory_size(&cfg, &res->bytes);
    memset(&st, 0, sizeof st);
    st.net = net, st.learner = c->learner, st.pool = pool, st.m = c->inputs;
    if (c->threads > 1) {
        thread_pool tp;
        pool_open(&tp, c->threads);
        ccn_set_parallel(net, pool_parallel_for, &tp);
        res->ns_step = time_steps(&st, min_time, &res->steps, &res->best_ns_param);
        ccn_set_parallel(net, NULL, NULL);
        pool_close(&tp);
    } else
        res->ns_step = time_steps(&st, min_time, &res->steps, &res->best_ns_param);
    res->ns_param = res->ns_step / (double)res->params;
    res->best_ns_param /= (double)res->params;
    res->floor_ns_param = case_floor(c, res->params, frozen, 1, min_time);
    free(pool);
    ccn_destroy(net);
    return 1;
}

static const char *kind_name(int k) {
    return k == CCN_TANH ? "tanh" : k == CCN_GATED ? "gated" : k == CCN_LSTM ? "lstm" : "gru";
}
static const char *method_name(int m) { return m == CCN_COLOR ? "color" : m == CCN_RTRL ? "rtrl" : "forward"; }

#define CASE(name, kind, method, learner, cols, ins, links, quick, group) \
    { name, kind, method, learner, cols, ins, links, quick, group, 1, 0, 0, 1, 0 }
#define CASE2(name, kind, method, learner, cols, ins, quick, group) \
    { name, kind, method, learner, cols, ins, 0, quick, group, 2, 0, 0, 1, 0 }
#define CASE_FTZ(name, kind, learner, cols, ins, quick) \
    { name, kind, CCN_COLOR, learner, cols, ins, 0, quick, "subnormals flushed", 1, 1, 0, 1, 0 }
#define CASE_TRACE(name, cols, per_stage) \
    { name, CCN_LSTM, CCN_COLOR, BENCH_TRACE, cols, TRACE_INPUTS, 0, 1, "trace patterning, last stage", 1, 0, per_stage, 1, 0 }
#define CASE_BATCH(name, cols, per_stage, learners, alone, group) \
    { name, CCN_LSTM, CCN_COLOR, BENCH_TRACE, cols, TRACE_INPUTS, 0, 1, group, 1, 0, per_stage, learners, alone }

static const bench_case cases[] = {
    /* P1: tanh / gated, ColoR, SGD, 64+ inputs, cache-resident */
    CASE("tanh_sgd_100x64", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 100, 64, 0, 1, "color tanh sgd"),
    /* next to it, the same net with subnormals flushed to zero (ccn_set_flush_subnormals, off by
       default): with sparse inputs, the traces of silent inputs decay through that range */
    CASE_FTZ("tanh_sgd_100x64_ftz", CCN_TANH, CCN_SUPERVISED, 100, 64, 0),
    CASE("tanh_sgd_100x128", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 100, 128, 0, 1, "color tanh sgd"),
    CASE_FTZ("tanh_sgd_100x128_ftz", CCN_TANH, CCN_SUPERVISED, 100, 128, 1),
    CASE("tanh_sgd_100x128_2calls", CCN_TANH, CCN_COLOR, SPLIT, 100, 128, 0, 1, "color tanh sgd, 2 calls"),
    CASE("tanh_sgd_100x1024", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 100, 1024, 0, 0, "color tanh sgd"),
    CASE("gated_sgd_100x128", CCN_GATED, CCN_COLOR, CCN_SUPERVISED, 100, 128, 0, 1, "color gated sgd"),
    CASE("gated_sgd_100x275", CCN_GATED, CCN_COLOR, CCN_SUPERVISED, 100, 275, 0, 0, "color gated sgd"),
    /* the GRU, on the generic loops (no specialised ones), next to gated on its own */
    CASE("gru_sgd_100x128", CCN_GRU, CCN_COLOR, CCN_SUPERVISED, 100, 128, 0, 0, "color gru sgd"),
    /* P2: lstm, ColoR, TD(lambda) + RMSProp */
    CASE("lstm_td_100x64", CCN_LSTM, CCN_COLOR, CCN_TD, 100, 64, 0, 0, "color lstm td"),
    CASE("lstm_td_100x128", CCN_LSTM, CCN_COLOR, CCN_TD, 100, 128, 0, 1, "color lstm td"),
    CASE_FTZ("lstm_td_100x128_ftz", CCN_LSTM, CCN_TD, 100, 128, 1),
    CASE("lstm_td_100x275", CCN_LSTM, CCN_COLOR, CCN_TD, 100, 275, 0, 0, "color lstm td"),
    /* P3: small fan-in */
    CASE("tanh_sgd_1000x12", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 1000, 12, 0, 1, "color, 12 inputs"),
    CASE_FTZ("tanh_sgd_1000x12_ftz", CCN_TANH, CCN_SUPERVISED, 1000, 12, 1),
    CASE("lstm_td_1000x12", CCN_LSTM, CCN_COLOR, CCN_TD, 1000, 12, 0, 1, "color, 12 inputs"),
    CASE_FTZ("lstm_td_1000x12_ftz", CCN_LSTM, CCN_TD, 1000, 12, 1),
    /* S1, S2: the trace-patterning nets of examples/trace_patterning.c (lstm, TD(lambda) +
       RMSProp, inputs and features normalised), in their last stage, on the task's stream */
    CASE_TRACE("trace_columnar_7x12", 7, 7),
    CASE_TRACE("trace_ccn_20x12_last_stage", 20, 4),
    CASE_TRACE("trace_constructive_10x12_last_stage", 10, 1),
    /* S3: 16 such nets as one ccn_batch, next to the same 16 stepped one after another */
    CASE_BATCH("trace_columnar_7x12_batch16", 7, 7, 16, 0, "trace patterning, batch of 16"),
    CASE_BATCH("trace_columnar_7x12_16alone", 7, 7, 16, 1, "trace patterning, 16 one after another"),
    CASE_BATCH("trace_ccn_20x12_last_stage_batch16", 20, 4, 16, 0, "trace patterning, batch of 16"),
    CASE_BATCH("trace_ccn_20x12_last_stage_16alone", 20, 4, 16, 1, "trace patterning, 16 one after another"),
    CASE_BATCH("trace_constructive_10x12_last_stage_batch16", 10, 1, 16, 0, "trace patterning, batch of 16"),
    CASE_BATCH("trace_constructive_10x12_last_stage_16alone", 10, 1, 16, 1, "trace patterning, 16 one after another"),
    /* P4: the Atari case */
    CASE("atari_lstm_td_6x275", CCN_LSTM, CCN_COLOR, CCN_TD, 6, 275, 0, 1, "color lstm td"),
    CASE_FTZ("atari_lstm_td_6x275_ftz", CCN_LSTM, CCN_TD, 6, 275, 1),
    /* P7: scaling at fixed fan-in, 10 to 10,000 columns */
    CASE("tanh_sgd_10x128", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 10, 128, 0, 0, "color tanh sgd"),
    CASE("tanh_sgd_1000x128", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 1000, 128, 0, 0, "color tanh sgd"),
    CASE("tanh_sgd_10000x128", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 10000, 128, 0, 0, "color tanh sgd"),
    CASE("lstm_td_10x128", CCN_LSTM, CCN_COLOR, CCN_TD, 10, 128, 0, 0, "color lstm td"),
    CASE("lstm_td_1000x128", CCN_LSTM, CCN_COLOR, CCN_TD, 1000, 128, 0, 1, "color lstm td"),
    /* P5: DRAM-resident (>= 200 MB of state) */
    CASE("lstm_td_8000x256_dram", CCN_LSTM, CCN_COLOR, CCN_TD, 8000, 256, 0, 0, "color lstm td"),
    CASE("tanh_sgd_40000x1024_dram", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 40000, 1024, 0, 0, "color tanh sgd"),
    CASE("tanh_sgd_40000x1024_dram_2calls", CCN_TANH, CCN_COLOR, SPLIT, 40000, 1024, 0, 0, "color tanh sgd, 2 calls"),
    /* P6: exact RTRL with dense links next to ColoR on the same nets */
    CASE("rtrl_tanh_8_dense", CCN_TANH, CCN_RTRL, CCN_SUPERVISED, 8, 16, 7, 1, "rtrl tanh sgd"),
    CASE("color_tanh_8_dense", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 8, 16, 7, 1, "color tanh sgd (links)"),
    CASE("rtrl_tanh_16_dense", CCN_TANH, CCN_RTRL, CCN_SUPERVISED, 16, 16, 15, 0, "rtrl tanh sgd"),
    CASE("color_tanh_16_dense", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 16, 16, 15, 0, "color tanh sgd (links)"),
    CASE("rtrl_tanh_32_dense", CCN_TANH, CCN_RTRL, CCN_SUPERVISED, 32, 16, 31, 1, "rtrl tanh sgd"),
    CASE("color_tanh_32_dense", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 32, 16, 31, 1, "color tanh sgd (links)"),
    CASE("rtrl_tanh_64_dense", CCN_TANH, CCN_RTRL, CCN_SUPERVISED, 64, 16, 63, 0, "rtrl tanh sgd"),
    CASE("color_tanh_64_dense", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 64, 16, 63, 0, "color tanh sgd (links)"),
    /* two threads through ccn_set_parallel, next to the same nets on one */
    CASE2("lstm_td_1000x128_2threads", CCN_LSTM, CCN_COLOR, CCN_TD, 1000, 128, 1, "color lstm td, 2 threads"),
    CASE2("lstm_td_8000x256_dram_2threads", CCN_LSTM, CCN_COLOR, CCN_TD, 8000, 256, 0, "color lstm td, 2 threads"),
    CASE2("tanh_sgd_40000x1024_dram_2threads", CCN_TANH, CCN_COLOR, CCN_SUPERVISED, 40000, 1024, 0, "color tanh sgd, 2 threads"),
    /* inference */
    CASE("lstm_forward_100x128", CCN_LSTM, CCN_FORWARD, CCN_SUPERVISED, 100, 128, 0, 1, "forward lstm"),
    CASE("lstm_forward_1000x128", CCN_LSTM, CCN_FORWARD, CCN_SUPERVISED, 1000, 128, 0, 0, "forward lstm"),
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static int usage(const char *prog, FILE *out) {
    fprintf(out, "usage: %s [--quick] [--case NAME] [--list] [--svg PATH] [--min-time SECONDS]\n", prog);
    return out == stderr ? 2 : 0;
}

int main(int argc, char **argv) {
    int quick = 0, i, ran = 0, k;
    const char *only = NULL, *svg = "build/bench.svg";
    double min_time = 0.2;
    bench_result res[N_CASES];
    int done[N_CASES];
    (void)trace_return; /* trace_env.h's metric: the bench times the learners only */
    for (i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--list")) {
            for (k = 0; k < N_CASES; ++k) printf("%s\n", cases[k].name);
            return 0;
        } else if (!strcmp(argv[i], "--case") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--svg") && i + 1 < argc) svg = argv[++i];
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--help")) return usage(argv[0], stdout);
        else return usage(argv[0], stderr);
    }
    if (quick) min_time = min_time < 0.05 ? min_time : 0.05;
    fprintf(stderr, "%-34s %10s %12s %10s %10s %10s %8s\n", "case", "params", "ns/step", "ns/param", "fastest", "floor",
            "x floor");
    for (k = 0; k < N_CASES; ++k) {
        const bench_case *c = &cases[k];
        done[k] = 0;
        if (only ? strcmp(only, c->name) != 0 : (quick && !c->quick)) continue;
        if (!run_case(c, min_time, &res[k])) {
            fprintf(stderr, "%-34s could not be created\n", c->name);
            continue;
        }
        done[k] = 1;
        ++ran;
        printf("{\"case\": \"%s\", \"kind\": \"%s\", \"method\": \"%s\", \"learner\": \"%s\", \"columns\": %d, "
               "\"inputs\": %d, \"api\": \"%s\", \"threads\": %d, \"subnormals_flushed\": %d, ",
               c->name, kind_name(c->kind), method_name(c->method), c->learner == CCN_TD || c->learner == BENCH_TRACE ? "td" : "sgd", c->columns,
               c->inputs, c->learners > 1 && !c->alone ? "ccn_batch_td_step" : c->learner == CCN_TD || c->learner == BENCH_TRACE ? "ccn_td_step" : c->learner == SPLIT ? "ccn_step+ccn_learn" : "ccn_learn_step",
               c->threads, c->ftz);
        if (c->learners > 1) /* the batch rows: their figures are per net (ns per step of one net) */
            printf("\"learners\": %d, \"ns_per_learner_step\": %.1f, ", c->learners, res[k].ns_step);
        printf("\"params\": %zu, \"bytes\": %zu, \"steps\": %ld, \"ns_per_step\": %.1f, "
               "\"ns_per_param_step\": %.4f, \"best_ns_per_param_step\": %.4f, \"floor_ns_per_param_step\": %.4f}\n",
               res[k].params, res[k].bytes, res[k].steps, c->learners > 1 ? res[k].ns_step * c->learners : res[k].ns_step,
               res[k].ns_param, res[k].best_ns_param, res[k].floor_ns_param);
        fflush(stdout);
        fprintf(stderr, "%-34s %10zu %12.1f %10.4f %10.4f %10.4f %8.2f\n", c->name, res[k].params, res[k].ns_step,
                res[k].ns_param, res[k].best_ns_param, res[k].floor_ns_param, res[k].floor_ns_param > 0 ? res[k].ns_param / res[k].floor_ns_param : 0.0);
    }
    if (ran > 1 && svg[0]) { /* ns/param/step against params, one line per method group */
        const char *groups[16];
        plot_series s[16];
        double xs[16][N_CASES], ys[16][N_CASES];
        int ng = 0, g;
        plot p;
        for (k = 0; k < N_CASES; ++k) {
            if (!done[k] || cases[k].ftz) continue; /* the figure: IEEE runs only */
            for (g = 0; g < ng && strcmp(groups[g], cases[k].group); ++g) {
            }
            if (g == ng) {
                if (ng == 16) continue;
                groups[ng] = cases[k].group;
                s[ng].name = cases[k].group;
                s[ng].n = 0;
                s[ng].err = NULL;
                ++ng;
            }
            xs[g][s[g].n] = (double)res[k].params;
            ys[g][s[g].n] = res[k].ns_param;
            ++s[g].n;
        }
        for (g = 0; g < ng; ++g) { /* sort each series by size */
            int a, b;
            for (a = 0; a < s[g].n; ++a)
                for (b = a + 1; b < s[g].n; ++b)
                    if (xs[g][b] < xs[g][a]) {
                        double tx = xs[g][a], ty = ys[g][a];
                        xs[g][a] = xs[g][b];
                        ys[g][a] = ys[g][b];
                        xs[g][b] = tx;
                        ys[g][b] = ty;
                    }
            s[g].x = xs[g];
            s[g].y = ys[g];
        }
        memset(&p, 0, sizeof p);
        p.title = "ccn.h: cost of one learning step";
        p.xlabel = "parameters";
        p.ylabel = "ns per parameter per step";
        p.logx = p.logy = 1;
        p.has_ref = 1;
        p.ref_y = 9.0;
        p.ref_label = "the 2023 authors' C++ (9-13 ns)";
        if (plot_svg(svg, &p, s, ng) == 0) fprintf(stderr, "wrote %s\n", svg);
    }
    return ran ? 0 : 1;
}
