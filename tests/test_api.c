/* The public API's guard rails: learning once per step, NULL arguments (also built with
   -DNDEBUG: tests/api_ndebug.c), a refused configuration naming its field, non-finite
   gradients, the path helpers' errors, and what ccn_copy and ccn_load leave out. Every refusal
   is checked to change nothing: the net saves to the same bytes before and after. */
#include "util.h"

/* The net's saved bytes: everything a net keeps between calls. */
static unsigned char *ta_snapshot(const ccn_net *net, size_t *size) {
    size_t n = ccn_saved_size(net);
    unsigned char *b = (unsigned char *)malloc(n ? n : 1);
    *size = 0;
    if (b && ccn_save_to_memory(net, b, n, size) != CCN_OK) *size = 0;
    return b;
}
/* 1 when the net still saves to exactly the bytes of snap */
static int ta_unchanged(const ccn_net *net, const unsigned char *snap, size_t size) {
    size_t now_size;
    unsigned char *now = ta_snapshot(net, &now_size);
    int same = size > 0 && now_size == size && memcmp(now, snap, size) == 0;
    free(now);
    return same;
}

/* A path in the test folder (CCN_TEST_DIR, else the current one). */
static void ta_path(char *out, size_t cap, const char *name) {
    const char *dir = getenv("CCN_TEST_DIR");
    snprintf(out, cap, "%s/%s", dir ? dir : ".", name);
}

/* ---- learning needs a step, and learns from it once -------------------------------------- */

static void test_learn_once_per_step(void) {
    int mi;
    for (mi = CCN_COLOR; mi <= CCN_RTRL; ++mi) {
        ccn_config c = tu_config(CCN_GATED, mi, 0, 0.0, 3, 2, 1);
        ccn_net *net, *back = NULL;
        ccn_real x[2] = {CCN_R(0.5), CCN_R(-1)}, target = CCN_R(1), e = CCN_R(0.5), nan = (ccn_real)NAN;
        ccn_real dl_dh[3] = {1, 1, 1}, *g;
        unsigned char *snap, *f;
        size_t size, fsize, p, ro;
        c.step_size = 0.5;
        net = tu_create(&c);
        p = ccn_param_count(net);
        ro = ccn_readout_offset(net);
        g = tu_reals(p);
        /* before any step: nothing to learn from, nothing changes (the readout bias stays 0) */
        snap = ta_snapshot(net, &size);
        CHECK(ccn_learn(net, &target) == CCN_ERR_NO_STEP);
        CHECK(ccn_learn_with_error(net, &e) == CCN_ERR_NO_STEP);
        CHECK(ccn_accumulate_gradient(net, &e, g) == CCN_ERR_NO_STEP);
        CHECK(ccn_accumulate_state_gradient(net, dl_dh, g) == CCN_ERR_NO_STEP);
        CHECK(ccn_params(net)[ro + 3] == 0 && tu_count_nonfinite(g, p) == 0 && g[ro + 3] == 0);
        CHECK(ta_unchanged(net, snap, size));
        free(snap);
        /* one update per step; the gradient calls may repeat */
        CHECK(ccn_step(net, x, NULL) == CCN_OK);
        CHECK(ccn_accumulate_gradient(net, &e, g) == CCN_OK && ccn_accumulate_gradient(net, &e, g) == CCN_OK);
        CHECK(g[ro + 3] == 2 * e);
        CHECK(ccn_learn(net, &target) == CCN_OK);
        CHECK(ccn_params(net)[ro + 3] != 0);
        snap = ta_snapshot(net, &size);
        CHECK(ccn_learn(net, &target) == CCN_ERR_NO_STEP);
        CHECK(ccn_learn_with_error(net, &e) == CCN_ERR_NO_STEP);
        CHECK(ta_unchanged(net, snap, size));
        CHECK(ccn_accumulate_gradient(net, &e, g) == CCN_OK); /* the traces are still there */
        CHECK(ccn_accumulate_state_gradient(net, dl_dh, g) == CCN_OK);
        free(snap);
        /* a refusal for another reason leaves the step to learn from: a retry works */
        CHECK(ccn_step(net, x, NULL) == CCN_OK);
        snap = ta_snapshot(net, &size);
        CHECK(ccn_learn(net, &nan) == CCN_ERR_NOT_FINITE);
        CHECK(ccn_learn_with_error(net, &nan) == CCN_ERR_NOT_FINITE);
        CHECK(ta_unchanged(net, snap, size));
        free(snap);
        CHECK(ccn_learn_with_error(net, &e) == CCN_OK);
        CHECK(ccn_learn(net, &target) == CCN_ERR_NO_STEP);
        /* the step not yet learned from survives a save and a load, bit for bit */
        CHECK(ccn_step(net, x, NULL) == CCN_OK);
        f = ta_snapshot(net, &fsize);
        CHECK(ccn_load_from_memory(f, fsize, NULL, &back) == CCN_OK);
        if (back) {
            unsigned char *a, *b;
            size_t as, bs;
            CHECK(ccn_learn(net, &target) == CCN_OK && ccn_learn(back, &target) == CCN_OK);
            CHECK(ccn_learn(back, &target) == CCN_ERR_NO_STEP);
            a = ta_snapshot(net, &as);
            b = ta_snapshot(back, &bs);
            CHECK(as == bs && memcmp(a, b, as) == 0);
            free(a);
            free(b);
            ccn_destroy(back);
            back = NULL;
        }
        free(f);
        /* ... and so does its absence */
        f = ta_snapshot(net, &fsize);
        CHECK(ccn_load_from_memory(f, fsize, NULL, &back) == CCN_OK);
        if (back) {
            CHECK(ccn_learn(back, &target) == CCN_ERR_NO_STEP);
            CHECK(ccn_accumulate_gradient(back, &e, g) == CCN_OK);
            ccn_destroy(back);
            back = NULL;
        }
        free(f);
        /* after a reset, nothing until the next step */
        ccn_reset_state(net);
        snap = ta_snapshot(net, &size);
        CHECK(ccn_learn(net, &target) == CCN_ERR_NO_STEP);
        CHECK(ccn_accumulate_gradient(net, &e, g) == CCN_ERR_NO_STEP);
        CHECK(ccn_accumulate_state_gradient(net, dl_dh, g) == CCN_ERR_NO_STEP);
        CHECK(ta_unchanged(net, snap, size));
        free(snap);
        f = ta_snapshot(net, &fsize); /* a loaded fresh or reset net has no step either */
        CHECK(ccn_load_from_memory(f, fsize, NULL, &back) == CCN_OK);
        if (back) {
            CHECK(ccn_accumulate_gradient(back, &e, g) == CCN_ERR_NO_STEP);
            ccn_destroy(back);
        }
        free(f);
        free(g);
        ccn_destroy(net);
    }
    { /* a DIVERGED refusal leaves the step too: a smaller step size can retry it */
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1);
        ccn_net *net;
        ccn_real x[2] = {1, 1}, huge = -(ccn_real)(TU_DOUBLE ? 1e300 : 1e30), target = CCN_R(0.5);
        unsigned char *snap;
        size_t size;
        c.step_size = 1e30;
        c.refuse_nonfinite = 1;
        net = tu_create(&c);
        CHECK(ccn_step(net, x, NULL) == CCN_OK);
        snap = ta_snapshot(net, &size);
        CHECK(ccn_learn(net, &huge) == CCN_ERR_DIVERGED);
        CHECK(ta_unchanged(net, snap, size));
        CHECK(ccn_set_step_size(net, 0.1) == CCN_OK);
        CHECK(ccn_learn(net, &target) == CCN_OK);
        free(snap);
        ccn_destroy(net);
    }
    { /* ccn_td_step learns from its own step; ccn_learn after it has nothing left */
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1);
        ccn_net *net;
        ccn_real x[2] = {1, 1}, target = CCN_R(0.5);
        c.learner = CCN_TD;
        c.td_lambda = 0.5;
        c.step_size = 0.1;
        net = tu_create(&c);
        CHECK(ccn_learn(net, &target) == CCN_ERR_NO_STEP);
        CHECK(ccn_td_step(net, x, 1, CCN_R(0.9), NULL) == CCN_OK);
        CHECK(ccn_learn(net, &target) == CCN_ERR_NO_STEP);
        CHECK(ccn_td_step(net, x, 1, CCN_R(0.9), NULL) == CCN_OK);
        CHECK(ccn_learn(net, &target) == CCN_ERR_NO_STEP);
        CHECK(ccn_step(net, x, NULL) == CCN_OK && ccn_learn(net, &target) == CCN_OK);
        ccn_destroy(net);
    }
    { /* ccn_learn_step: a refused target leaves its step, as ccn_step then a refused ccn_learn */
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1);
        ccn_net *net;
        ccn_real x[2] = {1, 1}, target = CCN_R(0.5), nan = (ccn_real)NAN;
        c.step_size = 0.1;
        net = tu_create(&c);
        CHECK(ccn_learn_step(net, x, &target, NULL) == CCN_OK);
        CHECK(ccn_learn(net, &target) == CCN_ERR_NO_STEP);
        CHECK(ccn_learn_step(net, x, &nan, NULL) == CCN_ERR_NOT_FINITE);
        CHECK(ccn_learn(net, &target) == CCN_OK);
        ccn_destroy(net);
    }
}

/* ---- a NaN or infinite dL/dy or dL/dh is refused by the gradient calls ---------------------- */

static void test_gradient_calls_refuse_nonfinite(void) {
    int mi, bad;
    for (mi = CCN_COLOR; mi <= CCN_RTRL; ++mi)
        for (bad = 0; bad < 2; ++bad) {
            ccn_config c = tu_config(CCN_LSTM, mi, 0, 0.0, 3, 2, 2);
            ccn_net *net = tu_create(&c);
            ccn_real x[2] = {CCN_R(0.5), CCN_R(-1)}, v = bad ? (ccn_real)INFINITY : (ccn_real)NAN;
            ccn_real dl_dy[2] = {1, 1}, dl_dh[3] = {1, 1, 1}, *g;
            unsigned char *snap;
            size_t size, p = ccn_param_count(net), k;
            int zero = 1;
            tu_randomize(net, 4, 0.5);
            g = tu_reals(p);
            CHECK(ccn_step(net, x, NULL) == CCN_OK);
            snap = ta_snapshot(net, &size);
            dl_dy[1] = v;
            dl_dh[2] = v;
            CHECK(ccn_accumulate_gradient(net, dl_dy, g) == CCN_ERR_NOT_FINITE);
            CHECK(ccn_accumulate_gradient(net, dl_dy, NULL) == CCN_ERR_NOT_FINITE);
            CHECK(ccn_accumulate_state_gradient(net, dl_dh, g) == CCN_ERR_NOT_FINITE);
            CHECK(ccn_accumulate_state_gradient(net, dl_dh, NULL) == CCN_ERR_NOT_FINITE);
            for (k = 0; k < p; ++k) zero &= g[k] == 0;
            CHECK(zero);
            CHECK(ta_unchanged(net, snap, size)); /* ccn_grad() included */
            dl_dy[1] = 1;
            dl_dh[2] = 1;
            { /* a non-finite output (a readout weight set to it): learning refuses, as ccn_learn does */
                ccn_real *th = ccn_params(net), keep = th[ccn_readout_offset(net)];
                unsigned char *snap2;
                size_t size2;
                th[ccn_readout_offset(net)] = v;
                CHECK(ccn_step(net, x, NULL) == CCN_OK);
                snap2 = ta_snapshot(net, &size2);
                CHECK(ccn_learn_with_error(net, dl_dy) == CCN_ERR_NOT_FINITE);
                CHECK(ta_unchanged(net, snap2, size2));
                free(snap2);
                th[ccn_readout_offset(net)] = keep;
            }
            CHECK(ccn_accumulate_gradient(net, dl_dy, g) == CCN_OK && ccn_accumulate_state_gradient(net, dl_dh, g) == CCN_OK);
            CHECK(tu_count_nonfinite(g, p) == 0);
            free(snap);
            free(g);
            ccn_destroy(net);
        }
}

/* ---- NULL: every public call, each pointer argument, in any build ------------------------- */

static size_t ta_sink(void *user, const void *data, size_t size) {
    (void)user;
    (void)data;
    return size;
}
static size_t ta_source(void *user, void *data, size_t size) {
    (void)user;
    (void)data;
    (void)size;
    return 0;
}
static void ta_parallel(void *user, int n_tasks, ccn_task_fn task, void *ctx) {
    int t;
    (void)user;
    for (t = 0; t < n_tasks; ++t) task(ctx, t, 0);
}

static void test_null_arguments(void) {
    ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 3, 2, 1), r;
    ccn_net *net, *td, *out = (ccn_net *)&c;
    ccn_real x[2] = {1, -1}, y = 7, e = 1, dl_dh[3] = {1, 1, 1}, pred = 7, *g;
    const ccn_real *m = x, *v = x;
    const char *field = "x";
    unsigned char *snap, *tdsnap, buf[64];
    size_t size, tdsize, bytes = 7, w = 7;
    ccn_column_info ci;
    ccn_rng rng;
    int count = 7;
    char path[512];
    c.step_size = 0.1;
    c.input_norm_rate = 0.9;
    c.feature_norm_rate = 0.9;
    net = tu_create(&c);
    c.learner = CCN_TD;
    c.td_lambda = 0.5;
    td = tu_create(&c);
    c.learner = CCN_SUPERVISED;
    c.td_lambda = 0;
    g = tu_reals(ccn_param_count(net));
    CHECK(ccn_step(net, x, NULL) == CCN_OK); /* a step to learn from: NULL is what is refused */
    CHECK(ccn_td_step(td, x, 0, CCN_R(0.5), NULL) == CCN_OK);
    snap = ta_snapshot(net, &size);
    tdsnap = ta_snapshot(td, &tdsize);

    /* configuration and lifetime */
    CHECK(ccn_config_resolve(NULL, &r) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_config_resolve(&c, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_config_check(NULL, &field) == CCN_ERR_NULL_ARGUMENT && field == NULL);
    CHECK(ccn_config_check(&c, NULL) == CCN_OK);
    CHECK(ccn_memory_size(NULL, &bytes) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_memory_size(&c, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_create(NULL, NULL, &out) == CCN_ERR_NULL_ARGUMENT && out == NULL);
    CHECK(ccn_create(&c, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
    ccn_destroy(NULL);
    out = net;
    CHECK(ccn_copy(NULL, NULL, &out) == CCN_ERR_NULL_ARGUMENT && out == NULL);
    CHECK(ccn_copy(net, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_get_config(NULL) == NULL);

    /* stepping and learning: refused, nothing changed */
    CHECK(ccn_step(NULL, x, &y) == CCN_ERR_NULL_ARGUMENT && y == 7);
    CHECK(ccn_step(net, NULL, &y) == CCN_ERR_NULL_ARGUMENT && y == 7);
    ccn_reset_state(NULL);
    CHECK(ccn_accumulate_gradient(NULL, &e, g) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_accumulate_gradient(net, NULL, g) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_accumulate_state_gradient(NULL, dl_dh, g) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_accumulate_state_gradient(net, NULL, g) == CCN_ERR_NULL_ARGUMENT);
    CHECK(tu_count_nonfinite(g, ccn_param_count(net)) == 0 && g[0] == 0);
    CHECK(ccn_learn_with_error(NULL, &e) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_learn_with_error(net, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_learn(NULL, &e) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_learn(net, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_learn_step(NULL, x, &e, &y) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_learn_step(net, NULL, &e, &y) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_learn_step(net, x, NULL, &y) == CCN_ERR_NULL_ARGUMENT && y == 7);
    CHECK(ccn_td_step(NULL, x, 0, CCN_R(0.5), &pred) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_td_step(td, NULL, 0, CCN_R(0.5), &pred) == CCN_ERR_NULL_ARGUMENT && pred == 7);
    CHECK(ccn_td_error(NULL) == 0 && ccn_eligibility(NULL) == NULL);
    w = 7; /* the sequence calls: done (optional) is 0 after a refusal */
    CHECK(ccn_steps(NULL, 1, x, &y, &w) == CCN_ERR_NULL_ARGUMENT && w == 0 && y == 7);
    CHECK(ccn_steps(net, 1, NULL, &y, &w) == CCN_ERR_NULL_ARGUMENT && y == 7);
    CHECK(ccn_steps(net, 0, NULL, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_learn_steps(NULL, 1, x, &e, &y, &w) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_learn_steps(net, 1, NULL, &e, &y, &w) == CCN_ERR_NULL_ARGUMENT);
    w = 7;
    CHECK(ccn_learn_steps(net, 1, x, NULL, &y, &w) == CCN_ERR_NULL_ARGUMENT && y == 7 && w == 0);
    CHECK(ccn_td_steps(NULL, 1, x, &e, &e, &pred, &w) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_td_steps(td, 1, NULL, &e, &e, &pred, &w) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_td_steps(td, 1, x, NULL, &e, &pred, &w) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_td_steps(td, 1, x, &e, NULL, &pred, &w) == CCN_ERR_NULL_ARGUMENT && pred == 7);
    { /* batches: every pointer (tests/test_batch.c has the rest) */
        ccn_batch *bt = (ccn_batch *)&c;
        ccn_allocator bad_alloc;
        memset(&bad_alloc, 0, sizeof bad_alloc); /* no functions: refused as ccn_create refuses it */
        CHECK(ccn_batch_create(NULL, 1, NULL, &bt) == CCN_ERR_NULL_ARGUMENT && bt == NULL);
        CHECK(ccn_batch_create(&c, 1, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_create(&c, 1, &bad_alloc, &bt) == CCN_ERR_NULL_ARGUMENT && bt == NULL);
        CHECK(ccn_batch_create(&c, 1, NULL, &bt) == CCN_OK);
        CHECK(ccn_batch_step(NULL, x, &y) == CCN_ERR_NULL_ARGUMENT && ccn_batch_step(bt, NULL, &y) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_learn_step(NULL, x, &e, &y) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_learn_step(bt, NULL, &e, &y) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_learn_step(bt, x, NULL, &y) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_td_step(NULL, x, &e, &e, &pred) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_td_step(bt, NULL, &e, &e, &pred) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_td_step(bt, x, NULL, &e, &pred) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_td_step(bt, x, &e, NULL, &pred) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_set(NULL, 0, net) == CCN_ERR_NULL_ARGUMENT && ccn_batch_set(bt, 0, NULL) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_batch_net(NULL, 0) == NULL && ccn_batch_count(NULL) == 0);
        CHECK(ccn_batch_result(NULL, 0) == CCN_ERR_NULL_ARGUMENT);
        ccn_batch_destroy(bt);
        ccn_batch_destroy(NULL);
    }
    ccn_set_parallel(NULL, ta_parallel, NULL);
    CHECK(ccn_set_flush_subnormals(NULL, 0) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_set_flush_subnormals(net, 2) == CCN_ERR_BAD_FLAG && ccn_set_flush_subnormals(net, -1) == CCN_ERR_BAD_FLAG);
    CHECK(ccn_set_step_size(NULL, 0.1) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_next_stage(NULL) == CCN_ERR_NULL_ARGUMENT);

    /* accessors: 0 and NULL; a NULL out-pointer is not written */
    CHECK(ccn_stage(NULL) == 0 && ccn_stage_count(NULL) == 0 && ccn_active_columns(NULL) == 0);
    CHECK(ccn_param_count(NULL) == 0 && ccn_params(NULL) == NULL && ccn_grad(NULL) == NULL);
    ccn_zero_grad(NULL);
    CHECK(ccn_readout_offset(NULL) == 0);
    memset(&ci, 0xFF, sizeof ci);
    ccn_column_info_get(NULL, 0, &ci);
    CHECK(ci.param_count == 0 && ci.z_len == 0 && ci.n_gates == 0);
    ccn_column_info_get(net, 0, NULL);
    CHECK(ccn_param_owner(NULL, 0) == -1);
    CHECK(ccn_links(NULL, 0, &count) == NULL && count == 0);
    CHECK(ccn_links(net, 0, NULL) != NULL);
    CHECK(ccn_state(NULL) == NULL && ccn_cell(NULL) == NULL && ccn_output(NULL) == NULL);
    CHECK(ccn_step_count(NULL) == 0);
    count = 7;
    ccn_input_stats(NULL, 0, &m, &v, &count);
    CHECK(m == NULL && v == NULL && count == 0);
    ccn_input_stats(net, 0, NULL, NULL, NULL);
    ccn_input_stats(net, 0, &m, NULL, NULL);
    CHECK(m != NULL);
    m = v = x;
    ccn_feature_stats(NULL, &m, &v);
    CHECK(m == NULL && v == NULL);
    ccn_feature_stats(net, NULL, NULL);
    m = v = x;
    ccn_optimizer_state(NULL, &m, &v);
    CHECK(m == NULL && v == NULL);
    ccn_optimizer_state(net, NULL, NULL);
    CHECK(ccn_nonfinite_count(NULL) == 0);
    CHECK(ccn_trace_max(NULL) == 0);

    /* saving and loading */
    CHECK(ccn_saved_size(NULL) == 0);
    CHECK(ccn_save(NULL, ta_sink, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_save(net, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_save_as(NULL, 4, ta_sink, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_save_as(net, 4, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
    out = net;
    CHECK(ccn_load(NULL, NULL, NULL, &out) == CCN_ERR_NULL_ARGUMENT && out == NULL);
    CHECK(ccn_load(ta_source, NULL, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_save_to_memory(NULL, buf, sizeof buf, &w) == CCN_ERR_NULL_ARGUMENT && w == 0);
    w = 7;
    CHECK(ccn_save_to_memory(net, NULL, sizeof buf, &w) == CCN_ERR_NULL_ARGUMENT && w == 0);
    out = net;
    CHECK(ccn_load_from_memory(NULL, 100, NULL, &out) == CCN_ERR_NULL_ARGUMENT && out == NULL);
    CHECK(ccn_load_from_memory(snap, size, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
#ifndef CCN_NO_STDIO
    CHECK(ccn_save_file(NULL, "unused.ccn") == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_save_file(net, NULL) == CCN_ERR_NULL_ARGUMENT);
    out = net;
    CHECK(ccn_load_file(NULL, NULL, &out) == CCN_ERR_NULL_ARGUMENT && out == NULL);
    ta_path(path, sizeof path, "unused.ccn");
    CHECK(ccn_load_file(path, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
#endif
    (void)path;

    /* the generator */
    ccn_rng_seed(NULL, 1);
    CHECK(ccn_rng_next(NULL) == 0 && ccn_rng_uniform(NULL) == 0.0);
    ccn_rng_seed(&rng, 1);
    CHECK(ccn_rng_next(&rng) != 0);

    CHECK(ta_unchanged(net, snap, size));
    CHECK(ta_unchanged(td, tdsnap, tdsize));
    CHECK(ccn_learn(net, &e) == CCN_OK); /* the step was left to learn from */
    free(snap);
    free(tdsnap);
    free(g);
    ccn_destroy(net);
    ccn_destroy(td);
}

/* ---- a refused configuration names its field ---------------------------------------------- */

/* A configuration in which every field is used: each refusal below is about one field alone. */
static ccn_config ta_full_config(void) {
    ccn_config c;
    memset(&c, 0, sizeof c);
    c.n_inputs = 3;
    c.n_outputs = 1;
    c.n_columns = 4;
    c.kind = CCN_LSTM;
    c.method = CCN_COLOR;
    c.feature_layers = 1;
    c.feature_width = 3;
    c.feedforward = 0;
    c.links = 1.0;
    c.columns_per_stage = 2;
    c.steps_per_stage = 10;
    c.learner = CCN_TD;
    c.td_lambda = 0.5;
    c.optimizer = CCN_ADAM;
    c.step_size = 0.01;
    c.adam_beta1 = 0.8;
    c.adam_beta2 = 0.99;
    c.opt_epsilon = 1e-6;
    c.scale_readout_step = 1;
    c.input_norm_rate = 0.9;
    c.feature_norm_rate = 0.9;
    c.norm_var_floor = 0.05;
    c.init_scale = 0.2;
    c.seed = 3;
    c.n_workers = 2;
    c.refuse_nonfinite = 1;
    return c;
}

static void test_config_check_names_the_field(void) {
    static const struct {
        const char *field;
        ccn_result want;
        int which;
    } cases[] = {
        {"n_inputs", CCN_ERR_BAD_SIZE, 0},           {"n_inputs", CCN_ERR_TOO_LARGE, 1},
        {"n_outputs", CCN_ERR_BAD_SIZE, 2},          {"n_outputs", CCN_ERR_TOO_LARGE, 3},
        {"n_outputs", CCN_ERR_BAD_LEARNER, 4},       {"n_columns", CCN_ERR_BAD_SIZE, 5},
        {"n_columns", CCN_ERR_TOO_LARGE, 6},         {"kind", CCN_ERR_BAD_KIND, 7},
        {"method", CCN_ERR_BAD_METHOD, 8},           {"feature_layers", CCN_ERR_BAD_FEATURES, 9},
        {"feature_width", CCN_ERR_BAD_SIZE, 10},     {"feature_width", CCN_ERR_TOO_LARGE, 11},
        {"feature_width", CCN_ERR_UNUSED_SETTING, 12}, {"feedforward", CCN_ERR_BAD_FLAG, 13},
        {"links", CCN_ERR_BAD_LINKS, 14},            {"links", CCN_ERR_BAD_LINKS, 15},
        {"columns_per_stage", CCN_ERR_BAD_STAGES, 16}, {"steps_per_stage", CCN_ERR_BAD_STAGES, 17},
        {"steps_per_stage", CCN_ERR_UNUSED_SETTING, 18}, {"learner", CCN_ERR_BAD_LEARNER, 19},
        {"td_lambda", CCN_ERR_BAD_LEARNER, 20},      {"td_lambda", CCN_ERR_UNUSED_SETTING, 21},
        {"optimizer", CCN_ERR_BAD_OPTIMIZER, 22},    {"step_size", CCN_ERR_BAD_STEP_SIZE, 23},
        {"rms_beta", CCN_ERR_BAD_OPTIMIZER, 24},     {"rms_beta", CCN_ERR_UNUSED_SETTING, 25},
        {"adam_beta1", CCN_ERR_BAD_OPTIMIZER, 26},   {"adam_beta1", CCN_ERR_UNUSED_SETTING, 27},
        {"adam_beta2", CCN_ERR_BAD_OPTIMIZER, 28},   {"adam_beta2", CCN_ERR_UNUSED_SETTING, 29},
        {"opt_epsilon", CCN_ERR_BAD_OPTIMIZER, 30},  {"opt_epsilon", CCN_ERR_UNUSED_SETTING, 31},
        {"scale_readout_step", CCN_ERR_BAD_FLAG, 32}, {"input_norm_rate", CCN_ERR_BAD_NORMALIZATION, 33},
        {"feature_norm_rate", CCN_ERR_BAD_NORMALIZATION, 34}, {"norm_var_floor", CCN_ERR_BAD_NORMALIZATION, 35},
        {"norm_var_floor", CCN_ERR_UNUSED_SETTING, 36}, {"init_scale", CCN_ERR_BAD_INIT_SCALE, 37},
        {"n_workers", CCN_ERR_BAD_WORKERS, 38},      {"refuse_nonfinite", CCN_ERR_BAD_FLAG, 39},
        {"clip_norm", CCN_ERR_BAD_OPTIMIZER, 40},    {"obgd_kappa", CCN_ERR_BAD_OPTIMIZER, 41},
        {"obgd_kappa", CCN_ERR_UNUSED_SETTING, 42},  {"links", CCN_ERR_TOO_LARGE, 43},
    };
    /* every field of ccn_config that has a value to refuse (seed takes any) */
    static const char *const fields[] = {
        "n_inputs", "n_outputs", "n_columns", "kind", "method", "feature_layers", "feature_width", "feedforward",
        "links", "columns_per_stage", "steps_per_stage", "learner", "td_lambda", "optimizer", "step_size",
        "rms_beta", "adam_beta1", "adam_beta2", "opt_epsilon", "scale_readout_step", "input_norm_rate",
        "feature_norm_rate", "norm_var_floor", "init_scale", "n_workers", "refuse_nonfinite", "clip_norm",
        "obgd_kappa"};
    ccn_config c = ta_full_config(), resolved;
    const char *field = "x";
    size_t k, j, bytes;
    ccn_net *net;
    CHECK(ccn_config_check(&c, &field) == CCN_OK && field == NULL);
    for (j = 0; j < sizeof fields / sizeof fields[0]; ++j) {
        int seen = 0;
        for (k = 0; k < sizeof cases / sizeof cases[0]; ++k) seen |= strcmp(cases[k].field, fields[j]) == 0;
        if (!seen) printf("    no refusal of %s is tested\n", fields[j]);
        CHECK(seen);
    }
    for (k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        ccn_result got;
        c = ta_full_config();
        switch (cases[k].which) {
        case 0: c.n_inputs = 0; break;
        case 1: c.n_inputs = CCN_MAX_DIM + 1; break;
        case 2: c.n_outputs = -1; break;
        case 3: c.n_outputs = CCN_MAX_DIM + 1; break;
        case 4: c.n_outputs = 2; break; /* CCN_TD predicts one value */
        case 5: c.n_columns = -4; break;
        case 6: c.n_columns = CCN_MAX_DIM + 1; break;
        case 7: c.kind = 9; break;
        case 8: c.method = 9; break;
        case 9: c.feature_layers = 3; break;
        case 10: c.feature_width = -1; break;
        case 11: c.feature_width = CCN_MAX_DIM + 1; break;
        case 12: c.feature_layers = 0, c.links = 0.5; break; /* width 3 without layers */
        case 13: c.feedforward = 2; break;
        case 14: c.links = -1; break;
        case 15: c.links = 4.001; break; /* a stage of 2 offers 1 x (1 + 3) candidates */
        case 16: c.columns_per_stage = 5; break;
        case 17: c.steps_per_stage = -1; break;
        case 18: c.columns_per_stage = 4, c.links = 2; break; /* one stage: no schedule */
        case 19: c.learner = 3; break;
        case 20: c.td_lambda = 1.5; break;
        case 21: c.learner = CCN_SUPERVISED; break;
        case 22: c.optimizer = 4; break;
        case 23: c.step_size = -1; break;
        case 24: c.rms_beta = 1; break;
        case 25: c.rms_beta = 0.99; break; /* with Adam */
        case 26: c.adam_beta1 = 1; break;
        case 27: c.optimizer = CCN_RMSPROP, c.adam_beta2 = 0; break;
        case 28: c.adam_beta2 = -0.5; break;
        case 29: c.optimizer = CCN_RMSPROP, c.adam_beta1 = 0; break;
        case 30: c.opt_epsilon = -1; break;
        case 31: c.optimizer = CCN_SGD, c.adam_beta1 = c.adam_beta2 = 0; break;
        case 32: c.scale_readout_step = 2; break;
        case 33: c.input_norm_rate = 1.5; break;
        case 34: c.feature_norm_rate = -0.5; break;
        case 35: c.norm_var_floor = -1; break;
        case 36: c.input_norm_rate = c.feature_norm_rate = 1; break; /* no normaliser */
        case 37: c.init_scale = -1; break;
        case 38: c.n_workers = -1; break;
        case 39: c.refuse_nonfinite = 2; break;
        case 40: c.clip_norm = -1; break;
        case 41: c.obgd_kappa = (double)NAN; break;
        case 42: c.obgd_kappa = 2; break; /* ObGD is TD with SGD; this net has Adam */
        default: c.n_columns = c.columns_per_stage = CCN_MAX_DIM; break; /* 2^48 link draws */
        }
        field = NULL;
        got = ccn_config_check(&c, &field);
        if (got != cases[k].want || !field || strcmp(field, cases[k].field) != 0)
            printf("    case %d: %s (%s), expected %s (%s)\n", cases[k].which, ccn_result_string(got),
                   field ? field : "no field", ccn_result_string(cases[k].want), cases[k].field);
        CHECK(got == cases[k].want && field && strcmp(field, cases[k].field) == 0);
        CHECK(ccn_config_resolve(&c, &resolved) == cases[k].want);
        CHECK(ccn_memory_size(&c, &bytes) == cases[k].want);
        net = (ccn_net *)&c;
        CHECK(ccn_create(&c, NULL, &net) == cases[k].want && net == NULL);
    }
    { /* an unused field at 0 or at its default is allowed: the defaults spelled out */
        ccn_config d;
        memset(&d, 0, sizeof d);
        d.n_inputs = 2;
        d.n_columns = 3;
        d.feature_width = 5;
        d.rms_beta = 0.9999;
        d.adam_beta1 = 0.9;
        d.adam_beta2 = 0.999;
        d.opt_epsilon = 1e-8;
        d.norm_var_floor = 0.01;
        d.td_lambda = 0;
        CHECK(ccn_config_check(&d, &field) == CCN_OK && field == NULL);
    }
    { /* sizes that overflow only together: no single field to name */
        ccn_config d = tu_config(CCN_LSTM, CCN_RTRL, 2, 0.0, CCN_MAX_DIM, CCN_MAX_DIM, CCN_MAX_DIM);
        d.feature_width = CCN_MAX_DIM;
        field = "x";
        CHECK(ccn_config_check(&d, &field) == CCN_ERR_TOO_LARGE && field == NULL);
    }
    /* ccn_td_step on a supervised net says what is wrong: the learner */
    c = ta_full_config();
    c.learner = CCN_SUPERVISED;
    c.td_lambda = 0;
    net = tu_create(&c);
    {
        ccn_real x[3] = {1, 2, 3};
        CHECK(ccn_td_step(net, x, 1, CCN_R(0.5), NULL) == CCN_ERR_BAD_LEARNER);
        CHECK(strstr(ccn_result_string(CCN_ERR_BAD_LEARNER), "ccn_td_step needs") != NULL);
    }
    ccn_destroy(net);
}

/* Every code has its own text; the new ones say what they are about. */
static void test_result_strings(void) {
    int k, j, distinct = 1;
    for (k = CCN_OK; k <= CCN_ERR_BAD_BATCH; ++k)
        for (j = CCN_OK; j < k; ++j)
            distinct &= strcmp(ccn_result_string((ccn_result)k), ccn_result_string((ccn_result)j)) != 0;
    CHECK(distinct);
    CHECK(strcmp(ccn_result_string((ccn_result)(CCN_ERR_BAD_BATCH + 1)), "unknown ccn_result") == 0);
    CHECK(strstr(ccn_result_string(CCN_ERR_NO_STEP), "ccn_step first") != NULL);
    CHECK(strstr(ccn_result_string(CCN_ERR_BAD_REAL_SIZE), "real_size") != NULL);
    CHECK(strstr(ccn_result_string(CCN_ERR_BAD_FLAG), "feedforward") != NULL);
    CHECK(strstr(ccn_result_string(CCN_ERR_OPEN), "opened") != NULL);
}

/* ---- the path helpers: a file that cannot be opened is not a failed write ------------------ */

typedef struct ta_short {
    size_t left; /* bytes the callback still takes */
} ta_short;
static size_t ta_short_write(void *user, const void *data, size_t size) {
    ta_short *s = (ta_short *)user;
    size_t n = size < s->left ? size : s->left;
    (void)data;
    s->left -= n;
    return n;
}

static void test_path_errors(void) {
    ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1);
    ccn_net *net = tu_create(&c), *back = (ccn_net *)&c;
    ta_short sink;
    unsigned char *snap;
    size_t size;
    snap = ta_snapshot(net, &size);
    sink.left = 100;
    CHECK(ccn_save(net, ta_short_write, &sink) == CCN_ERR_IO);
    CHECK(ccn_save_as(net, 3, ta_short_write, &sink) == CCN_ERR_BAD_REAL_SIZE);
    CHECK(strstr(ccn_result_string(CCN_ERR_BAD_REAL_SIZE), "n_inputs") == NULL);
#ifndef CCN_NO_STDIO
    {
        char path[512];
        ta_path(path, sizeof path, "no/such/dir/x.ccn");
        CHECK(ccn_save_file(net, path) == CCN_ERR_OPEN);
        CHECK(ccn_load_file(path, NULL, &back) == CCN_ERR_OPEN && back == NULL);
        ta_path(path, sizeof path, ".");
        CHECK(ccn_load_file(path, NULL, &back) == CCN_ERR_IO && back == NULL); /* a directory: reading fails */
        {
            FILE *full = fopen("/dev/full", "wb"); /* opens, and every write fails (Linux) */
            if (full) {
                fclose(full);
                CHECK(ccn_save_file(net, "/dev/full") == CCN_ERR_IO);
            }
        }
    }
#endif
    CHECK(ta_unchanged(net, snap, size));
    free(snap);
    ccn_destroy(net);
}

/* ---- what a copy and a loaded net leave out: the caller's parallel-for and flush setting --- */

static void test_copy_and_load_leave_the_callers_settings(void) {
    ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 64, 2, 1);
    ccn_net *a, *b = NULL, *l = NULL;
    tu_runner runner;
    ccn_real x[2] = {1, -1}, ya, yb, yl;
    unsigned char *f;
    size_t fsize;
    int t, same = 1, flush_set;
    c.n_workers = 2;
    a = tu_create(&c);
    tu_randomize(a, 5, 0.5);
    runner.workers = 2;
    runner.calls = runner.tasks = 0;
    ccn_set_parallel(a, tu_backwards, &runner);
    flush_set = ccn_set_flush_subnormals(a, 1) == CCN_OK; /* CCN_ERR_UNSUPPORTED off x86-64 */
    CHECK(ccn_step(a, x, NULL) == CCN_OK && runner.calls > 0);
    CHECK(a->flush == flush_set && a->parallel != NULL);
    CHECK(ccn_copy(a, NULL, &b) == CCN_OK);
    f = ta_snapshot(a, &fsize);
    CHECK(ccn_load_from_memory(f, fsize, NULL, &l) == CCN_OK);
    if (b && l) {
        int calls = runner.calls;
        CHECK(b->parallel == NULL && b->parallel_user == NULL && b->flush == 0);
        CHECK(l->parallel == NULL && l->flush == 0);
        ccn_set_flush_subnormals(a, 0); /* the same arithmetic, for the comparison below */
        for (t = 0; t < 5; ++t) {
            calls = runner.calls;
            CHECK(ccn_step(b, x, &yb) == CCN_OK && ccn_step(l, x, &yl) == CCN_OK);
            CHECK(runner.calls == calls); /* neither calls the original's parallel-for */
            CHECK(ccn_step(a, x, &ya) == CCN_OK && runner.calls > calls);
            same &= ya == yb && yb == yl;
        }
        CHECK(same);
    }
    free(f);
    ccn_destroy(a);
    ccn_destroy(b);
    ccn_destroy(l);
}
