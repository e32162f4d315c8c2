/* Threads on one net (THREADS in ccn.h): the calls that take a const ccn_net* run together on
   one net (ccn_save, ccn_copy's source, the accessors, ccn_nonfinite_count), and ccn_set_parallel
   spreads steps over a pool of real threads. make tsan runs these, with two_threads_bit_identical
   (test_health.c), under ThreadSanitizer: a const call that wrote to the net would be reported
   there as a data race. Checks are made on the main thread only (the harness counts failures in
   a plain static). */
#include "util.h"
#include "fixture_run.h"
#include <pthread.h>

#define TR_THREADS 4 /* threads on one net at once */
#define TR_ROUNDS 12 /* calls each makes */

/* FNV-1a over bytes: one number for everything the accessors show. */
static uint64_t tr_hash(uint64_t h, const void *data, size_t size) {
    const unsigned char *b = (const unsigned char *)data;
    size_t k;
    for (k = 0; k < size; ++k) h = (h ^ b[k]) * 0x100000001B3u;
    return h;
}

/* What every const accessor returns for net, hashed (the arrays' contents, not their addresses). */
static uint64_t tr_accessors(const ccn_net *net) {
    const ccn_config *c = ccn_get_config(net);
    const size_t p = ccn_param_count(net), n = (size_t)c->n_columns;
    const ccn_real *a, *b;
    uint64_t h = 0xCBF29CE484222325u, u[6];
    int i, count;
    ccn_column_info info;
    h = tr_hash(h, c, sizeof *c);
    u[0] = p;
    u[1] = ccn_readout_offset(net);
    u[2] = ccn_step_count(net);
    u[3] = (uint64_t)ccn_stage(net) << 32 | (uint64_t)ccn_stage_count(net);
    u[4] = (uint64_t)ccn_active_columns(net) << 32 | (uint64_t)(uint32_t)ccn_param_owner(net, p / 2);
    u[5] = ccn_saved_size(net);
    h = tr_hash(h, u, sizeof u);
    h = tr_hash(h, ccn_state(net), n * sizeof(ccn_real));
    if (ccn_cell(net)) h = tr_hash(h, ccn_cell(net), n * sizeof(ccn_real));
    h = tr_hash(h, ccn_output(net), (size_t)c->n_outputs * sizeof(ccn_real));
    if (ccn_eligibility(net)) h = tr_hash(h, ccn_eligibility(net), p * sizeof(ccn_real));
    {
        ccn_real e = ccn_td_error(net);
        h = tr_hash(h, &e, sizeof e);
    }
    ccn_optimizer_state(net, &a, &b);
    if (a) h = tr_hash(h, a, p * sizeof(ccn_real));
    if (b) h = tr_hash(h, b, p * sizeof(ccn_real));
    for (i = 0; i < ccn_stage_count(net); ++i) {
        ccn_input_stats(net, i, &a, &b, &count);
        if (a) h = tr_hash(tr_hash(h, a, (size_t)count * sizeof(ccn_real)), b, (size_t)count * sizeof(ccn_real));
    }
    ccn_feature_stats(net, &a, &b);
    if (a) h = tr_hash(tr_hash(h, a, n * sizeof(ccn_real)), b, n * sizeof(ccn_real));
    for (i = 0; i < c->n_columns; ++i) {
        const ccn_link *l = ccn_links(net, i, &count);
        h = tr_hash(h, l, (size_t)count * sizeof *l);
        memset(&info, 0, sizeof info); /* its padding too */
        ccn_column_info_get(net, i, &info);
        h = tr_hash(h, &info, sizeof info);
    }
    return h;
}

/* A growable sink for ccn_save_as. */
typedef struct tr_sink {
    unsigned char *data;
    size_t size, cap;
} tr_sink;
static size_t tr_write(void *user, const void *data, size_t size) {
    tr_sink *s = (tr_sink *)user;
    if (s->size + size > s->cap) {
        s->cap = 2 * (s->size + size);
        s->data = (unsigned char *)realloc(s->data, s->cap);
    }
    memcpy(s->data + s->size, data, size);
    s->size += size;
    return size;
}

/* One net's files and figures as a single thread sees them: what every thread must see too. */
typedef struct tr_expect {
    unsigned char *own, *other; /* saved in this build's real size and in the other one */
    size_t own_size, other_size, nonfinite;
    uint64_t accessors;
} tr_expect;

static void tr_expect_of(const ccn_net *net, tr_expect *e) {
    tr_sink s;
    memset(&s, 0, sizeof s);
    e->own_size = ccn_saved_size(net);
    e->own = (unsigned char *)malloc(e->own_size);
    CHECK(ccn_save_to_memory(net, e->own, e->own_size, NULL) == CCN_OK);
    CHECK(ccn_save_as(net, 12 - (int)sizeof(ccn_real), tr_write, &s) == CCN_OK);
    e->other = s.data;
    e->other_size = s.size;
    e->nonfinite = ccn_nonfinite_count(net);
    e->accessors = tr_accessors(net);
}

/* A thread on the shared const net: TR_ROUNDS rounds of `what` (0: save in both sizes; 1:
   accessors, ccn_nonfinite_count, and a copy that must save as the net does), counting every
   result that differs from the single-threaded one. */
typedef struct tr_reader {
    const ccn_net *net;
    const tr_expect *want;
    pthread_barrier_t *start;
    int what, differ, calls;
} tr_reader;

static void *tr_read(void *arg) {
    tr_reader *r = (tr_reader *)arg;
    const tr_expect *w = r->want;
    unsigned char *buf = (unsigned char *)malloc(w->own_size);
    int k;
    pthread_barrier_wait(r->start);
    for (k = 0; k < TR_ROUNDS; ++k, ++r->calls) {
        if (r->what == 0) {
            tr_sink s;
            size_t written = 0;
            memset(&s, 0, sizeof s);
            if (ccn_save_to_memory(r->net, buf, w->own_size, &written) != CCN_OK || written != w->own_size ||
                memcmp(buf, w->own, w->own_size) != 0)
                ++r->differ;
            if (ccn_save_as(r->net, 12 - (int)sizeof(ccn_real), tr_write, &s) != CCN_OK || s.size != w->other_size ||
                memcmp(s.data, w->other, s.size) != 0)
                ++r->differ;
            free(s.data);
        } else {
            ccn_net *copy = NULL;
            if (tr_accessors(r->net) != w->accessors) ++r->differ;
            if (ccn_nonfinite_count(r->net) != w->nonfinite) ++r->differ;
            if (ccn_copy(r->net, NULL, &copy) != CCN_OK || ccn_save_to_memory(copy, buf, w->own_size, NULL) != CCN_OK ||
                memcmp(buf, w->own, w->own_size) != 0)
                ++r->differ;
            ccn_destroy(copy);
        }
    }
    free(buf);
    return NULL;
}

/* TR_THREADS threads at once on net, each doing `what`; returns the results that differed. */
static int tr_together(const ccn_net *net, const tr_expect *want, int what) {
    pthread_t tid[TR_THREADS];
    tr_reader r[TR_THREADS];
    pthread_barrier_t start;
    int k, started = 0, differ = 0, calls = 0;
    CHECK(pthread_barrier_init(&start, NULL, TR_THREADS) == 0);
    for (k = 0; k < TR_THREADS; ++k) {
        r[k].net = net;
        r[k].want = want;
        r[k].start = &start;
        r[k].what = what;
        r[k].differ = r[k].calls = 0;
        if (pthread_create(&tid[k], NULL, tr_read, &r[k]) != 0) break;
        ++started;
    }
    CHECK(started == TR_THREADS); /* else the ones started wait at the barrier for ever */
    if (started < TR_THREADS) exit(2);
    for (k = 0; k < started; ++k) {
        pthread_join(tid[k], NULL);
        differ += r[k].differ;
        calls += r[k].calls;
    }
    pthread_barrier_destroy(&start);
    CHECK(calls == TR_THREADS * TR_ROUNDS);
    return differ;
}

/* The fixture net (every array a file holds is non-trivial: lstm, feature layer, links, two
   stages, TD(lambda), Adam, both normalisers), and a net whose RTRL buffers are swapped. */
static ccn_net *tr_net(int which) {
    if (which == 0) return tf_fixture_net();
    {
        ccn_config c = tu_config(CCN_GATED, CCN_RTRL, 1, 1.0, 4, 3, 1);
        ccn_net *net;
        tn_job job;
        c.optimizer = CCN_RMSPROP;
        c.step_size = 0.01;
        c.input_norm_rate = 0.99;
        net = tu_create(&c);
        job.net = net;
        job.steps = 7;
        job.y = tu_reals(7);
        tn_run(&job);
        free(job.y);
        return net;
    }
}

/* One net saved by TR_THREADS threads at once, each TR_ROUNDS times in either real size: every
   file is the single-threaded save's, byte for byte, and the net is unchanged. */
static void test_threads_save_one_net(void) {
    int which;
    for (which = 0; which < 2; ++which) {
        ccn_net *net = tr_net(which);
        tr_expect want, after;
        if (!net) {
            CHECK(net != NULL);
            continue;
        }
        tr_expect_of(net, &want);
        CHECK(tr_together(net, &want, 0) == 0);
        tr_expect_of(net, &after);
        CHECK(after.own_size == want.own_size && memcmp(after.own, want.own, want.own_size) == 0);
        free(want.own);
        free(want.other);
        free(after.own);
        free(after.other);
        ccn_destroy(net);
    }
}

/* TR_THREADS threads at once reading one net through every const call but saving: the
   accessors, ccn_nonfinite_count, and ccn_copy (whose copy saves as the net does). */
static void test_threads_read_one_net(void) {
    int which;
    for (which = 0; which < 2; ++which) {
        ccn_net *net = tr_net(which);
        tr_expect want;
        if (!net) {
            CHECK(net != NULL);
            continue;
        }
        if (which == 0) ccn_params(net)[3] = (ccn_real)HUGE_VAL; /* a count that is not 0 */
        tr_expect_of(net, &want);
        CHECK(which == 0 ? want.nonfinite == 1 : want.nonfinite == 0);
        CHECK(tr_together(net, &want, 1) == 0);
        CHECK(tr_accessors(net) == want.accessors);
        free(want.own);
        free(want.other);
        ccn_destroy(net);
    }
}

/* ---- a pool of threads for ccn_set_parallel ------------------------------------------------- */

#define TR_WORKERS 3

/* Worker thread w runs tasks w, w + TR_WORKERS, ... of each job with worker number w, so no
   two tasks running at once share a worker's scratch. A job starts when the generation moves
   on, under the lock, and the caller waits on `done` until every worker has finished it. */
typedef struct tr_worker {
    struct tr_pool *pool;
    int id;
    long tasks; /* run by this worker, all jobs */
} tr_worker;
typedef struct tr_pool {
    pthread_mutex_t lock;
    pthread_cond_t go, done;
    pthread_t tid[TR_WORKERS];
    tr_worker worker[TR_WORKERS];
    unsigned long generation;
    int pending, quit, started;
    int n_tasks; /* the job */
    ccn_task_fn task;
    void *ctx;
    long calls;
} tr_pool;

static void *tr_worker_main(void *arg) {
    tr_worker *w = (tr_worker *)arg;
    tr_pool *p = w->pool;
    unsigned long seen = 0;
    for (;;) {
        int n_tasks, t;
        long ran = 0;
        ccn_task_fn task;
        void *ctx;
        pthread_mutex_lock(&p->lock);
        while (p->generation == seen && !p->quit) pthread_cond_wait(&p->go, &p->lock);
        if (p->quit) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        seen = p->generation;
        n_tasks = p->n_tasks;
        task = p->task;
        ctx = p->ctx;
        pthread_mutex_unlock(&p->lock);
        for (t = w->id; t < n_tasks; t += TR_WORKERS, ++ran) task(ctx, t, w->id);
        pthread_mutex_lock(&p->lock);
        w->tasks += ran;
        if (--p->pending == 0) pthread_cond_signal(&p->done);
        pthread_mutex_unlock(&p->lock);
    }
}

/* The ccn_parallel_fn: hands the job to every worker and returns when all have run their part. */
static void tr_parallel_for(void *user, int n_tasks, ccn_task_fn task, void *ctx) {
    tr_pool *p = (tr_pool *)user;
    pthread_mutex_lock(&p->lock);
    p->n_tasks = n_tasks;
    p->task = task;
    p->ctx = ctx;
    p->pending = TR_WORKERS;
    ++p->generation;
    ++p->calls;
    pthread_cond_broadcast(&p->go);
    while (p->pending) pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

static int tr_pool_start(tr_pool *p) {
    int k;
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    for (k = 0; k < TR_WORKERS; ++k) {
        p->worker[k].pool = p;
        p->worker[k].id = k;
        if (pthread_create(&p->tid[k], NULL, tr_worker_main, &p->worker[k]) != 0) break;
        ++p->started;
    }
    return p->started == TR_WORKERS;
}

static void tr_pool_stop(tr_pool *p) {
    int k;
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->lock);
    for (k = 0; k < p->started; ++k) pthread_join(p->tid[k], NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
}

/* ccn_set_parallel with TR_WORKERS threads (n_workers 3) against the same net single-threaded:
   every kind, TD(lambda) with RMSProp and stages (as parallel_step_is_bit_identical), and
   ccn_learn_step with Adam, a feature layer, both normalisers and, where the library can,
   flushed subnormals (each task sets the mode on its own thread). The outputs and the saved
   files are the same bits, and every worker ran tasks. */
static void test_threads_pool_step_is_bit_identical(void) {
    tr_pool pool;
    int ki, li, k;
    long calls = 0;
    if (!tr_pool_start(&pool)) {
        CHECK(pool.started == TR_WORKERS);
        tr_pool_stop(&pool);
        return;
    }
    for (ki = 0; ki < 4; ++ki) /* every kind */
        for (li = 0; li < 2; ++li) {
            ccn_config c = tu_config(CCN_TANH + ki, CCN_COLOR, li ? 1 : (ki == 2), 0.0, 100, 5, 1);
            ccn_net *a, *b;
            size_t s;
            unsigned char *fa, *fb;
            int t, same = 1;
            c.n_workers = TR_WORKERS;
            if (li == 0) {
                c.learner = CCN_TD;
                c.td_lambda = 0.9;
                c.optimizer = CCN_RMSPROP;
                c.columns_per_stage = 60;
                c.steps_per_stage = 30;
                c.input_norm_rate = 0.99;
            } else {
                c.optimizer = CCN_ADAM;
                c.input_norm_rate = 0.99;
                c.feature_norm_rate = 0.99;
            }
            c.step_size = 0.01;
            a = tu_create(&c);
            b = tu_create(&c);
            ccn_set_parallel(b, tr_parallel_for, &pool);
            if (li == 1 && ccn_set_flush_subnormals(a, 1) == CCN_OK) CHECK(ccn_set_flush_subnormals(b, 1) == CCN_OK);
            for (t = 0; t < 60; ++t) {
                ccn_real x[5] = {(ccn_real)(t % 3), CCN_R(0.5), (ccn_real)(t % 5) * CCN_R(0.2), CCN_R(-1), CCN_R(0.25)};
                ccn_real ya = 0, yb = 0, target = (ccn_real)(t % 7 == 0);
                if (li == 0) {
                    CHECK(ccn_td_step(a, x, target, CCN_R(0.9), &ya) == CCN_OK);
                    CHECK(ccn_td_step(b, x, target, CCN_R(0.9), &yb) == CCN_OK);
                } else {
                    CHECK(ccn_learn_step(a, x, &target, &ya) == CCN_OK);
                    CHECK(ccn_learn_step(b, x, &target, &yb) == CCN_OK);
                }
                if (memcmp(&ya, &yb, sizeof ya) != 0) same = 0;
            }
            CHECK(same && ccn_stage(a) == (li == 0));
            s = ccn_saved_size(a);
            fa = (unsigned char *)malloc(s);
            fb = (unsigned char *)malloc(s);
            CHECK(ccn_save_to_memory(a, fa, s, NULL) == CCN_OK && ccn_save_to_memory(b, fb, s, NULL) == CCN_OK);
            CHECK(memcmp(fa, fb, s) == 0);
            CHECK(pool.calls > calls); /* the steps did go through the pool */
            calls = pool.calls;
            free(fa);
            free(fb);
            ccn_destroy(a);
            ccn_destroy(b);
        }
    tr_pool_stop(&pool);
    for (k = 0; k < TR_WORKERS; ++k) CHECK(pool.worker[k].tasks > 0);
}
