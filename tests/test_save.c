/* Saving and loading: bit-identical continuation, the documented byte layout, the other
   precision's files, every real setting at its extremes through a file (in both real sizes and
   across builds), every kind of bad file, and allocation failures in create, load and copy.
   The CRC-32 and the offsets below are the test's own, taken from FILE FORMAT in ccn.h. */
#include "util.h"
#include "fixture_run.h"
#include <float.h>

#include "file_format.h"

static double ts_f64(const unsigned char *b) {
    uint64_t u = ts_get(b, 8);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* Where a file's reals start: after the head, the link counts and the links. */
static size_t ts_reals_at(const unsigned char *f) {
    return TS_HEAD + 4 * (size_t)ts_get(f + TS_N_COLUMNS, 4) + 12 * (size_t)ts_get(f + TS_N_LINK, 8);
}

/* The real at b in a file of real size rs, as a double. */
static double ts_real(const unsigned char *b, int rs) {
    if (rs == 4) {
        uint32_t u = (uint32_t)ts_get(b, 4);
        float f;
        memcpy(&f, &u, 4);
        return (double)f;
    }
    return ts_f64(b);
}
static unsigned char *ts_save(const ccn_net *net, size_t *size) {
    size_t s = ccn_saved_size(net), w = 0;
    unsigned char *buf = (unsigned char *)malloc(s + 64);
    CHECK(s > TS_HEAD && ccn_save_to_memory(net, buf, s, &w) == CCN_OK && w == s);
    *size = s;
    return buf;
}

/* A growable sink and a source for the callback API. */
typedef struct ts_sink {
    unsigned char *data;
    size_t size, cap, fail_after; /* fail_after: take no byte past this many (0: never fail) */
} ts_sink;
static size_t ts_write(void *user, const void *data, size_t size) {
    ts_sink *s = (ts_sink *)user;
    if (s->fail_after && s->size + size > s->fail_after) return 0;
    if (s->size + size > s->cap) {
        s->cap = 2 * (s->size + size);
        s->data = (unsigned char *)realloc(s->data, s->cap);
    }
    memcpy(s->data + s->size, data, size);
    s->size += size;
    return size;
}
static ccn_result ts_load_stream(const unsigned char *data, size_t size, const ccn_allocator *a, ccn_net **out) {
    ts_source src;
    src.data = data;
    src.size = size;
    src.at = 0;
    return ccn_load(ts_read, &src, a, out);
}

/* A path in the build folder (tests/run.sh sets CCN_TEST_DIR), else the current one. */
static void ts_path(char *out, size_t cap, const char *name) {
    const char *dir = getenv("CCN_TEST_DIR");
    snprintf(out, cap, "%s/%s", dir ? dir : ".", name);
}

/* ---- bit-identical continuation ------------------------------------------------------------ */

/* Step t of the protocol a test net learns by: supervised (step, the gradient buffer
   accumulated, learn) or TD(lambda); a CCN_FORWARD net only steps. */
static void ts_protocol(ccn_net *net, int t, ccn_real *y) {
    const ccn_config *c = ccn_get_config(net);
    ccn_real x[4], target[2] = {0, 0}, e[2] = {0, 0};
    int j;
    for (j = 0; j < c->n_inputs; ++j) x[j] = (ccn_real)((t * (j + 3)) % 7) * CCN_R(0.25) - CCN_R(0.75);
    if (c->method == CCN_FORWARD) {
        CHECK(ccn_step(net, x, y) == CCN_OK);
    } else if (c->learner == CCN_TD) {
        CHECK(ccn_td_step(net, x, (ccn_real)(t % 5 == 4), t % 9 == 8 ? CCN_R(0) : CCN_R(0.9), y) == CCN_OK);
    } else {
        CHECK(ccn_step(net, x, y) == CCN_OK);
        for (j = 0; j < c->n_outputs; ++j) {
            target[j] = (ccn_real)((t + j) % 3) * CCN_R(0.5) - CCN_R(0.5);
            e[j] = y[j] - target[j];
        }
        CHECK(ccn_accumulate_gradient(net, e, NULL) == CCN_OK);
        CHECK(ccn_learn(net, target) == CCN_OK);
    }
}

/* Every kind x method x learner x optimiser (stages and both normalisers on in half of them,
   feature layers and links in some): N steps, save; M more steps; load the file (from memory,
   a callback stream or a path, in turn) and run the same M steps: every output and, through the
   saved files, every parameter, trace, moment, statistic, state and counter is bit-identical. */
static void test_save_load_continues_bit_identically(void) {
    int ki, mi, li, oi, k = 0, staged = 0;
    TU_FOR_KINDS(ki)
        for (mi = CCN_COLOR; mi <= CCN_FORWARD; ++mi)
            for (li = CCN_SUPERVISED; li <= CCN_TD; ++li)
                for (oi = CCN_SGD; oi <= CCN_ADAM; ++oi, ++k) {
                    enum { N = 11, M = 9 };
                    ccn_config c = tu_config(tu_kind(ki), mi, (ki + oi) % 3, oi == CCN_RMSPROP ? 1.0 : 0.0, 5, 3,
                                             li == CCN_TD ? 1 : 2);
                    ccn_net *a, *b = NULL;
                    ccn_real ya[M * 2], yb[M * 2];
                    unsigned char *f1, *f2, *f3;
                    size_t s1, s2, s3;
                    tu_alloc_stats st;
                    ccn_allocator al = tu_allocator(&st);
                    ccn_result r;
                    char path[512];
                    int t, stage_at_save;
                    c.learner = li;
                    c.td_lambda = li == CCN_TD ? 0.7 : 0.0;
                    c.optimizer = oi;
                    c.step_size = 0.02;
                    if ((ki + li + oi) % 2) {
                        c.columns_per_stage = 2;
                        c.steps_per_stage = 7; /* stages start at steps 7 and 14: before and after the save */
                        c.input_norm_rate = 0.9;
                        c.feature_norm_rate = 0.95;
                        ++staged;
                    }
                    if (mi != CCN_FORWARD && k % 4 == 1) c.clip_norm = 0.05; /* clipping most updates */
                    if (mi != CCN_FORWARD && li == CCN_TD && oi == CCN_SGD) c.obgd_kappa = 20.0;
                    a = tu_create(&c);
                    memset(ya, 0, sizeof ya);
                    memset(yb, 0, sizeof yb);
                    for (t = 0; t < N; ++t) ts_protocol(a, t, ya); /* N odd: RTRL's buffers are swapped */
                    f1 = ts_save(a, &s1);
                    stage_at_save = ccn_stage(a);
                    ts_path(path, sizeof path, "continuation.ccn");
                    if (k % 3 == 2) CHECK(ccn_save_file(a, path) == CCN_OK);
                    for (t = N; t < N + M; ++t) ts_protocol(a, t, ya + (t - N) * c.n_outputs);
                    f2 = ts_save(a, &s2);
                    switch (k % 3) {
                    case 0: r = ccn_load_from_memory(f1, s1, &al, &b); break;
                    case 1: r = ts_load_stream(f1, s1, &al, &b); break;
                    default:
                        r = ccn_load_file(path, &al, &b);
                        remove(path);
                        break;
                    }
                    CHECK(r == CCN_OK && b != NULL && st.allocs == 1);
                    if (r != CCN_OK) {
                        printf("    case %d: %s\n", k, ccn_result_string(r));
                        ccn_destroy(a);
                        free(f1);
                        free(f2);
                        continue;
                    }
                    CHECK(ccn_step_count(b) == N && ccn_stage(b) == stage_at_save);
                    for (t = N; t < N + M; ++t) ts_protocol(b, t, yb + (t - N) * c.n_outputs);
                    f3 = ts_save(b, &s3);
                    CHECK(memcmp(ya, yb, sizeof ya) == 0);
                    CHECK(s2 == s3 && memcmp(f2, f3, s2) == 0);
                    if (s2 == s3 && memcmp(f2, f3, s2) != 0) {
                        size_t q = 0;
                        while (f2[q] == f3[q]) ++q;
                        printf("    case %d (kind %d method %d learner %d optimizer %d): files differ from byte %lu of %lu\n", k, ki, mi, li, oi, (unsigned long)q, (unsigned long)s2);
                    }
                    CHECK(memcmp(ccn_params(a), ccn_params(b), ccn_param_count(a) * sizeof(ccn_real)) == 0);
                    CHECK(ccn_stage(a) == ccn_stage(b) && ccn_step_count(b) == N + M);
                    ccn_destroy(b);
                    CHECK(st.live_bytes == 0 && st.frees == 1);
                    ccn_destroy(a);
                    free(f1);
                    free(f2);
                    free(f3);
                }
    CHECK(k == 72 && staged > 28); /* 4 kinds x 3 methods x 2 learners x 3 optimisers */
}

/* The file holds what FILE FORMAT says, where it says: header fields, configuration, counters,
   the CRC-32s, the links, and the reals in the documented order (read back through the API). */
static void test_file_format_is_as_documented(void) {
    ccn_net *net = tf_fixture_net();
    const int rs = (int)sizeof(ccn_real);
    size_t size, at, p, k, n = 5, m = 3, snap = 3 + 6;
    unsigned char *f;
    const ccn_real *first, *second, *mu, *var;
    int i, j, count, n_links = 0;
    if (!net) {
        CHECK(net != NULL);
        return;
    }
    f = ts_save(net, &size);
    p = ccn_param_count(net);
    CHECK(memcmp(f, "\x89" "CCN\r\n\x1a\n", 8) == 0);
    CHECK(ts_get(f + TS_VERSION, 4) == 2 && ts_get(f + TS_REAL_SIZE, 4) == (uint64_t)rs);
    CHECK(ts_get(f + TS_LENGTH, 8) == size);
    CHECK(ts_get(f + TS_N_INPUTS, 4) == 3 && ts_get(f + TS_N_OUTPUTS, 4) == 1 && ts_get(f + TS_N_COLUMNS, 4) == 5);
    CHECK(ts_get(f + TS_KIND, 4) == CCN_LSTM && ts_get(f + TS_METHOD, 4) == CCN_COLOR);
    CHECK(ts_get(f + TS_FEATURE_LAYERS, 4) == 1 && ts_get(f + TS_FEATURE_WIDTH, 4) == 2);
    CHECK(ts_f64(f + TS_LINKS) == 1.0 && ts_get(f + TS_COLUMNS_PER_STAGE, 4) == 3);
    CHECK(ts_get(f + TS_STEPS_PER_STAGE, 8) == 15 && ts_get(f + TS_LEARNER, 4) == CCN_TD);
    /* (double): where FLT_EVAL_METHOD is 2 a constant has long double's precision */
    CHECK(ts_f64(f + TS_TD_LAMBDA) == (double)0.8 && ts_get(f + TS_OPTIMIZER, 4) == CCN_ADAM);
    CHECK(ts_f64(f + TS_STEP_SIZE) == (double)0.01 && ts_get(f + TS_SEED, 8) == 77);
    CHECK(ts_get(f + TS_N_WORKERS, 4) == 1 && ts_get(f + TS_REFUSE, 4) == 0);
    CHECK(ts_get(f + TS_PARAMS, 8) == p && ts_get(f + TS_STAGE, 4) == 1 && ts_get(f + TS_TD_STARTED, 4) == 5);
    /* flags: TD has a previous prediction (1), no step left to learn from (2 clear), a step taken (4) */
    CHECK(ts_get(f + TS_STEPS, 8) == TF_STEPS && ts_get(f + TS_OPT_STEPS, 8) == TF_STEPS - 1);
    CHECK(ts_get(f + TS_RNG, 8) != 0);
    CHECK(ts_f64(f + TS_CLIP_NORM) == 0.0 && ts_f64(f + TS_OBGD_KAPPA) == 0.0);
    CHECK(ts_get(f + TS_CRC1, 4) == ts_crc32(f, TS_CRC1));
    CHECK(ts_get(f + size - 4, 4) == ts_crc32(f, size - 4));
    at = TS_HEAD;
    for (i = 0; i < 5; ++i, at += 4) {
        ccn_links(net, i, &count);
        CHECK(ts_get(f + at, 4) == (uint64_t)count);
        n_links += count;
    }
    CHECK(n_links > 0 && ts_get(f + TS_N_LINK, 8) == (uint64_t)n_links);
    for (i = 0; i < 5; ++i) {
        const ccn_link *lk = ccn_links(net, i, &count);
        for (j = 0; j < count; ++j, at += 12)
            CHECK(ts_get(f + at, 4) == (uint64_t)lk[j].type && ts_get(f + at + 4, 4) == (uint64_t)lk[j].column &&
                  ts_get(f + at + 8, 4) == (uint64_t)lk[j].feature);
    }
    CHECK(at == ts_reals_at(f));
#define TS_EXPECT(ptr, cnt)                                                                           \
    do {                                                                                              \
        int same_ = 1;                                                                                \
        for (k = 0; k < (size_t)(cnt); ++k, at += (size_t)rs)                                        \
            if (!(ptr) || ts_real(f + at, rs) != (double)(ptr)[k]) same_ = 0;                        \
        CHECK(same_);                                                                                 \
    } while (0)
    CHECK(ts_real(f + at, rs) == (double)(ccn_real)0.01); /* alpha */
    at += (size_t)rs;
    CHECK(ts_real(f + at, rs) > 0 && ts_real(f + at, rs) < 1 && ts_real(f + at + (size_t)rs, rs) > 0); /* beta^t */
    at += 2 * (size_t)rs;
    CHECK(ts_real(f + at, rs) == (double)CCN_R(0.875)); /* gamma of the last step */
    at += (size_t)rs;
    CHECK(ts_real(f + at, rs) == (double)ccn_td_error(net));
    at += (size_t)rs;
    ccn_optimizer_state(net, &first, &second);
    TS_EXPECT(ccn_params(net), p);
    TS_EXPECT(ccn_grad(net), p);
    at += 2 * p * (size_t)rs; /* the two ColoR traces (no accessor) */
    TS_EXPECT(ccn_eligibility(net), p);
    TS_EXPECT(first, p);
    TS_EXPECT(second, p);
    TS_EXPECT(ccn_state(net), n);
    TS_EXPECT(ccn_cell(net), n);
    at += 2 * n * (size_t)rs; /* the readout's features and their scales */
    TS_EXPECT(ccn_output(net), 1);
    ccn_input_stats(net, 1, &mu, &var, &count); /* stage 1 learns: the live statistics */
    CHECK(count == 6);
    TS_EXPECT(mu, m + 3);
    at += (n - 3) * (size_t)rs;
    TS_EXPECT(var, m + 3);
    at += (n - 3) * (size_t)rs;
    ccn_input_stats(net, 0, &mu, &var, &count); /* stage 0 froze: its copy comes first */
    TS_EXPECT(mu, m);
    at += (snap - m) * (size_t)rs;
    TS_EXPECT(var, m);
    at += (snap - m) * (size_t)rs;
    ccn_feature_stats(net, &mu, &var);
    TS_EXPECT(mu, n);
    TS_EXPECT(var, n);
#undef TS_EXPECT
    CHECK(at + 4 == size);
    CHECK(ccn_saved_size(net) == size);
    free(f);
    ccn_destroy(net);
}

/* ---- the other precision ------------------------------------------------------------------- */

/* Two files of the same net in different real sizes: equal but for the real size, the length
   and the checksums, and each real of `a` is the conversion of the same real of `b` (exact when
   widening, round to nearest when narrowing, an infinity beyond FLT_MAX). */
static int ts_converted(const unsigned char *a, size_t sa, const unsigned char *b, size_t sb) {
    int ra = (int)ts_get(a + TS_REAL_SIZE, 4), rb = (int)ts_get(b + TS_REAL_SIZE, 4), ok = 1;
    size_t at_a = ts_reals_at(a), at_b = ts_reals_at(b), k, count;
    ok &= memcmp(a, b, TS_REAL_SIZE) == 0 && memcmp(a + TS_N_INPUTS, b + TS_N_INPUTS, TS_CRC1 - TS_N_INPUTS) == 0;
    ok &= at_a == at_b && memcmp(a + TS_HEAD, b + TS_HEAD, at_a - TS_HEAD) == 0;
    count = (sa - 4 - at_a) / (size_t)ra;
    ok &= count == (sb - 4 - at_b) / (size_t)rb;
    for (k = 0; ok && k < count; ++k) {
        double va = ts_real(a + at_a + k * (size_t)ra, ra), vb = ts_real(b + at_b + k * (size_t)rb, rb);
        double want = ra != 4 ? vb : vb > (double)FLT_MAX ? HUGE_VAL : vb < -(double)FLT_MAX ? -HUGE_VAL : (double)(float)vb;
        if (!(va == want || (va != va && vb != vb))) ok = 0;
    }
    return ok;
}

static unsigned char *ts_read_file(const char *path, size_t *size) {
    FILE *fp = fopen(path, "rb");
    unsigned char *data;
    long len;
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    data = (unsigned char *)malloc((size_t)len + 1);
    *size = fread(data, 1, (size_t)len, fp);
    fclose(fp);
    return data;
}

/* Saved in the other real size by this build (ccn_save_as) and loaded back: a float net through
   a double file is unchanged and continues bit for bit; a double net through a float file gets
   each real rounded to the nearest float. Then the files the other precision's build wrote
   (tests/fixture.c, run by tests/run.sh): the net loads, holds exactly the converted reals, has
   the configuration, links and counters of this build's own run, and continues close to it. */
static void test_other_precision(void) {
    const int rs = (int)sizeof(ccn_real), other = 12 - rs;
    ccn_net *net = tf_fixture_net(), *back = NULL, *fix[2] = {NULL, NULL};
    ts_sink sink;
    unsigned char *own, *round, *ff;
    size_t s_own, s_round, s_ff, k;
    int which;
    if (!net) {
        CHECK(net != NULL);
        return;
    }
    own = ts_save(net, &s_own);
    memset(&sink, 0, sizeof sink);
    CHECK(ccn_save_as(net, other, ts_write, &sink) == CCN_OK);
    CHECK(ts_get(sink.data + TS_REAL_SIZE, 4) == (uint64_t)other && ts_get(sink.data + TS_LENGTH, 8) == sink.size);
    CHECK(ts_converted(sink.data, sink.size, own, s_own));
    CHECK(ccn_load_from_memory(sink.data, sink.size, NULL, &back) == CCN_OK);
    round = ts_save(back, &s_round);
    CHECK(ts_converted(round, s_round, sink.data, sink.size));
    if (rs == 4) { /* widening and back: nothing changed, so the run continues bit for bit */
        ccn_real ya[20], yb[20];
        CHECK(s_round == s_own && memcmp(round, own, s_own) == 0);
        CHECK(tf_run(net, TF_STEPS, TF_STEPS + 20, ya) && tf_run(back, TF_STEPS, TF_STEPS + 20, yb));
        CHECK(memcmp(ya, yb, sizeof ya) == 0);
    } else { /* narrowed: every real the nearest float */
        int all = 1;
        for (k = 0; k < ccn_param_count(net); ++k)
            if (ccn_params(back)[k] != (ccn_real)(float)ccn_params(net)[k]) all = 0;
        CHECK(all);
    }
    free(round);
    free(own);
    ccn_destroy(back);
    free(sink.data);
    ccn_destroy(net);

    for (which = 0; which < 2; ++which) { /* the fixtures: 4 then 8 */
        char path[512], name[32];
        ccn_net *mine = tf_fixture_net();
        ccn_real ya[30], yb[30];
        double worst = 0;
        int t;
        snprintf(name, sizeof name, "fixture-%d.ccn", 4 + 4 * which);
        ts_path(path, sizeof path, name);
        ff = ts_read_file(path, &s_ff);
        if (!ff) printf("    %s is missing: run the suite through tests/run.sh, which writes it\n", path);
        CHECK(ff != NULL);
        if (!ff || !mine) {
            ccn_destroy(mine);
            continue;
        }
        CHECK(ccn_load_from_memory(ff, s_ff, NULL, &fix[which]) == CCN_OK);
        if (!fix[which]) {
            free(ff);
            ccn_destroy(mine);
            continue;
        }
        own = ts_save(fix[which], &s_own);
        CHECK(ts_converted(own, s_own, ff, s_ff)); /* exactly the other build's reals, converted */
        /* this precision's own file: this run, bit for bit (where the bits are promised: an
           x86-64 build wrote it) */
        if (4 + 4 * which == rs && !TU_EXCESS_PRECISION) {
            unsigned char *again = ts_save(mine, &s_round);
            CHECK(s_round == s_own && memcmp(again, own, s_own) == 0);
            free(again);
        } else { /* configuration, links, counters, generator: as this build's own run */
            unsigned char *again = ts_save(mine, &s_round);
            CHECK(memcmp(again + TS_N_INPUTS, own + TS_N_INPUTS, TS_CRC1 - TS_N_INPUTS) == 0);
            CHECK(memcmp(again + TS_HEAD, own + TS_HEAD, ts_reals_at(own) - TS_HEAD) == 0);
            free(again);
        }
        CHECK(tf_run(mine, TF_STEPS, TF_STEPS + 30, ya) && tf_run(fix[which], TF_STEPS, TF_STEPS + 30, yb));
        for (t = 0; t < 30; ++t)
            if (fabs((double)ya[t] - (double)yb[t]) > worst) worst = fabs((double)ya[t] - (double)yb[t]);
        if (4 + 4 * which != rs || TU_EXCESS_PRECISION)
            printf("    %s: continues within %.2g of this build's run\n", name, worst);
        CHECK_LE(worst, 4 + 4 * which == rs && !TU_EXCESS_PRECISION ? 0.0 : 1e-5);
        free(own);
        free(ff);
        ccn_destroy(mine);
        ccn_destroy(fix[which]);
    }
}

/* ---- every value the library accepts round-trips --------------------------------------------- */

#define TS_MORE 6 /* steps after a load */

/* Where each double setting of tb_settings lies in a file (FILE FORMAT), 0 for the run-time ones. */
static size_t ts_setting_at(const tb_setting *s) {
    static const struct {
        size_t field, at;
    } map[] = {{offsetof(ccn_config, links), 56},          {offsetof(ccn_config, td_lambda), 80},
               {offsetof(ccn_config, step_size), 92},      {offsetof(ccn_config, rms_beta), 100},
               {offsetof(ccn_config, adam_beta1), 108},    {offsetof(ccn_config, adam_beta2), 116},
               {offsetof(ccn_config, opt_epsilon), 124},   {offsetof(ccn_config, input_norm_rate), 136},
               {offsetof(ccn_config, feature_norm_rate), 144}, {offsetof(ccn_config, norm_var_floor), 152},
               {offsetof(ccn_config, init_scale), 160}};
    size_t k;
    if (s->where != TB_CONFIG) return 0;
    for (k = 0; k < sizeof map / sizeof map[0]; ++k)
        if (map[k].field == s->offset) return map[k].at;
    return 0;
}

/* Writes v into a file in this build's real size. */
static void ts_put_real(unsigned char *b, ccn_real v) {
#ifdef CCN_DOUBLE
    uint64_t u;
#else
    uint32_t u;
#endif
    memcpy(&u, &v, sizeof u);
    ts_put(b, u, (int)sizeof u);
}

/* Just past the accepted range: below (which = 0) and above (1). */
static double ts_past(const tb_setting *s, int which) {
    if (s->where == TB_GAMMA) return which ? (double)tb_next_real(1, 2) : -(double)tb_next_real(0, 1);
    if (which) return nextafter(s->hi, HUGE_VAL);
    return s->lo > 0 ? nextafter(s->lo, 0) : -TB_DENORM_MIN;
}

/* A net loaded from `file` (any real size, made by this build or the other) continues bit for
   bit: saved in this build's size its reals are the file's, converted; that file loads, and
   the two nets give the same results, outputs and files for TS_MORE steps. With want_y (the
   net that was saved, in this precision, run on), the loaded net's outputs are those too.
   Returns the number of failures, each printed after `what`. */
static int ts_bounds_continue(ccn_net *net, const unsigned char *file, size_t size, double gamma,
                              const ccn_real *want_y, const char *what) {
    ccn_net *again = NULL;
    unsigned char *own, *f1, *f2;
    size_t s_own, s1, s2;
    ccn_result ra[TS_MORE], rb[TS_MORE];
    ccn_real ya[TS_MORE], yb[TS_MORE];
    int bad = 0;
    own = ts_save(net, &s_own);
    if (!ts_converted(own, s_own, file, size)) {
        printf("    %s: the loaded net's reals are not the file's\n", what);
        ++bad;
    }
    if (ccn_load_from_memory(own, s_own, NULL, &again) != CCN_OK) {
        printf("    %s: the loaded net's own file does not load\n", what);
        free(own);
        return bad + 1;
    }
    memset(ya, 0, sizeof ya);
    memset(yb, 0, sizeof yb);
    tb_run(net, TB_STEPS, TB_STEPS + TS_MORE, gamma, ra, ya);
    tb_run(again, TB_STEPS, TB_STEPS + TS_MORE, gamma, rb, yb);
    f1 = ts_save(net, &s1);
    f2 = ts_save(again, &s2);
    if (memcmp(ra, rb, sizeof ra) != 0 || memcmp(ya, yb, sizeof ya) != 0 || s1 != s2 || memcmp(f1, f2, s1) != 0) {
        printf("    %s: a reload does not continue bit for bit\n", what);
        ++bad;
    }
    if (want_y && memcmp(ya, want_y, sizeof ya) != 0) {
        printf("    %s: the loaded net does not continue as the saved one\n", what);
        ++bad;
    }
    ccn_destroy(again);
    free(own);
    free(f1);
    free(f2);
    return bad;
}

/* Every real setting (tb_settings: the ccn_config doubles, ccn_set_step_size, TD's gamma; with
   them the file's alpha, Adam's beta powers and gamma) at 0, -0, its smallest positive accepted
   value and its largest: the net is created, runs, and its file in this build's real size loads
   and continues bit for bit as the net itself; its file in the other size (ccn_save_as) loads
   and continues bit for bit as a reload of it (from a float build: as the net itself). */
static void test_settings_bounds_round_trip(void) {
    const int rs = (int)sizeof(ccn_real), other = 12 - rs;
    int k, bad = 0;
    for (k = 0; k < TB_CASES; ++k) {
        const tb_setting *s;
        double value, gamma;
        ccn_result why, r, ra[TS_MORE], rb[TS_MORE];
        ccn_net *a = tb_case_net(k, &s, &value, &gamma, &why), *b = NULL;
        ccn_real ya[TS_MORE], yb[TS_MORE];
        unsigned char *f1, *f2, *f3;
        size_t s1, s2, s3;
        ts_sink sink;
        char what[160];
        snprintf(what, sizeof what, "%s = %.17g", s->name, value);
        if (!a) {
            printf("    %s: refused (%s)\n", what, ccn_result_string(why));
            ++bad;
            continue;
        }
        memset(&sink, 0, sizeof sink);
        memset(ya, 0, sizeof ya);
        memset(yb, 0, sizeof yb);
        f1 = ts_save(a, &s1);
        CHECK(ccn_save_as(a, other, ts_write, &sink) == CCN_OK);
        tb_run(a, TB_STEPS, TB_STEPS + TS_MORE, gamma, ra, ya);
        f2 = ts_save(a, &s2);
        if ((r = ccn_load_from_memory(f1, s1, NULL, &b)) != CCN_OK) {
            printf("    %s: its %d-byte file does not load: %s\n", what, rs, ccn_result_string(r));
            ++bad;
        } else {
            tb_run(b, TB_STEPS, TB_STEPS + TS_MORE, gamma, rb, yb);
            f3 = ts_save(b, &s3);
            if (memcmp(ra, rb, sizeof ra) != 0 || memcmp(ya, yb, sizeof ya) != 0 || s2 != s3 || memcmp(f2, f3, s2) != 0) {
                printf("    %s: its %d-byte file does not continue bit for bit\n", what, rs);
                ++bad;
            }
            free(f3);
            ccn_destroy(b);
            b = NULL;
        }
        if ((r = ccn_load_from_memory(sink.data, sink.size, NULL, &b)) != CCN_OK) {
            printf("    %s: its %d-byte file (ccn_save_as) does not load: %s\n", what, other, ccn_result_string(r));
            ++bad;
        } else {
            char w2[200];
            snprintf(w2, sizeof w2, "%s, its %d-byte file (ccn_save_as)", what, other);
            bad += ts_bounds_continue(b, sink.data, sink.size, gamma, rs == 4 ? ya : NULL, w2);
            ccn_destroy(b);
        }
        free(f1);
        free(f2);
        free(sink.data);
        ccn_destroy(a);
    }
    CHECK(bad == 0);
}

/* The other build's bounds files (tests/fixture.c, run by tests/run.sh: every case of
   test_settings_bounds_round_trip saved in that build's real size and in this one's, one
   after another): each net loads, is the case this build makes (configuration, links, counters
   and generator), and continues bit for bit as a reload of it. */
static void test_settings_bounds_other_build(void) {
    const int rs = (int)sizeof(ccn_real), other = 12 - rs;
    int which, bad = 0;
    for (which = 0; which < 2; ++which) {
        char path[512], name[64];
        unsigned char *data;
        size_t size;
        ts_source src;
        int k;
        if (which == 0) snprintf(name, sizeof name, "bounds-%d.ccn", other);
        else snprintf(name, sizeof name, "bounds-%d-as-%d.ccn", other, rs);
        ts_path(path, sizeof path, name);
        data = ts_read_file(path, &size);
        if (!data) printf("    %s is missing: run the suite through tests/run.sh, which writes it\n", path);
        CHECK(data != NULL);
        if (!data) continue;
        src.data = data;
        src.size = size;
        src.at = 0;
        for (k = 0; k < TB_CASES && src.at + TS_HEAD <= size; ++k) {
            const tb_setting *s;
            double value, gamma;
            ccn_result why, r;
            size_t at = src.at, len = (size_t)ts_get(data + at + TS_LENGTH, 8);
            ccn_net *net = NULL, *mine = tb_case_net(k, &s, &value, &gamma, &why);
            char what[200];
            snprintf(what, sizeof what, "%s = %.17g, %s", s->name, value, name);
            if ((r = ccn_load(ts_read, &src, NULL, &net)) != CCN_OK) {
                printf("    %s: does not load: %s\n", what, ccn_result_string(r));
                ++bad;
            } else if (!mine) {
                ++bad;
            } else {
                unsigned char *f;
                size_t fs;
                f = ts_save(mine, &fs);
                if (memcmp(f + TS_N_INPUTS, data + at + TS_N_INPUTS, TS_CRC1 - TS_N_INPUTS) != 0 ||
                    memcmp(f + TS_HEAD, data + at + TS_HEAD, ts_reals_at(f) - TS_HEAD) != 0) {
                    printf("    %s: not the net this build makes\n", what);
                    ++bad;
                }
                bad += ts_bounds_continue(net, data + at, len, gamma, NULL, what);
                free(f);
            }
            ccn_destroy(net);
            ccn_destroy(mine);
            src.at = at + len; /* the next file, whatever this one did */
        }
        CHECK(k == TB_CASES && src.at == size);
        free(data);
    }
    CHECK(bad == 0);
}

/* Just past each setting's range: ccn_create (and ccn_config_resolve) refuse it with the
   setting's error, and so does the loader, given a file that says it (checksums fixed);
   ccn_set_step_size and ccn_td_step refuse theirs and change nothing. In the file's scalars,
   the next real past what a net can hold (alpha: 1e30 as a float or as a double, whichever is
   larger; gamma: [0, 1]) is CCN_ERR_BAD_FILE, and that largest alpha itself loads. */
static void test_settings_past_bounds(void) {
    const int rs = (int)sizeof(ccn_real);
    int i, which, bad = 0;
    for (i = 0; i < TB_SETTINGS; ++i) {
        const tb_setting *s = &tb_settings[i];
        for (which = 0; which < 2; ++which) {
            double past = ts_past(s, which);
            ccn_config c = tb_case_config(s, past), resolved;
            ccn_net *net = (ccn_net *)&resolved, *loaded = NULL;
            ccn_result r;
            if (s->where == TB_CONFIG) {
                size_t size, at = ts_setting_at(s);
                unsigned char *f;
                ccn_net *ok;
                ccn_config good = tb_case_config(s, s->hi);
                uint64_t u;
                r = ccn_create(&c, NULL, &net);
                if (r != s->refused || net != NULL || ccn_config_resolve(&c, &resolved) != s->refused) {
                    printf("    ccn_create with %s = %.17g: %s\n", s->name, past, ccn_result_string(r));
                    ++bad;
                }
                ok = tu_create(&good);
                f = ts_save(ok, &size);
                memcpy(&u, &past, 8);
                CHECK(at != 0 && ts_f64(f + at) == s->hi);
                ts_put(f + at, u, 8);
                ts_fix_crcs(f, size);
                if ((r = ccn_load_from_memory(f, size, NULL, &loaded)) != s->refused || loaded != NULL) {
                    printf("    a file with %s = %.17g: %s\n", s->name, past, ccn_result_string(r));
                    ++bad;
                }
                ccn_destroy(loaded);
                ccn_destroy(ok);
                free(f);
            } else {
                unsigned char *before, *after;
                size_t sb, sa;
                ccn_real x[2] = {CCN_R(0.5), CCN_R(-0.25)}, y = 0;
                net = tu_create(&c);
                tb_run(net, 0, 3, -1.0, NULL, NULL);
                before = ts_save(net, &sb);
                r = s->where == TB_SET_STEP ? ccn_set_step_size(net, past) : ccn_td_step(net, x, 0, (ccn_real)past, &y);
                after = ts_save(net, &sa);
                if (r != s->refused || sa != sb || memcmp(before, after, sb) != 0) {
                    printf("    %s %.17g: %s%s\n", s->name, past, ccn_result_string(r),
                           memcmp(before, after, sb) ? ", and the net changed" : "");
                    ++bad;
                }
                free(before);
                free(after);
                ccn_destroy(net);
            }
        }
    }
    { /* the file's scalars, each written into a saved file (checksums fixed) */
        ccn_config c = tb_config(CCN_ADAM);
        ccn_net *net = tu_create(&c), *loaded;
        const double alpha_max = (double)(float)1e30 > 1e30 ? (double)(float)1e30 : 1e30;
        const ccn_real held = (ccn_real)alpha_max, tiny = tb_next_real(0, 1);
        struct {
            const char *what;
            int index; /* alpha 0, gamma 3 */
            ccn_real value;
            ccn_result want;
        } cases[] = {
            {"alpha, the largest a net holds", 0, held, CCN_OK},
            {"alpha, the next real", 0, tb_next_real(held, (ccn_real)HUGE_VAL), CCN_ERR_BAD_FILE},
            {"alpha -0", 0, -CCN_R(0.0), CCN_OK},
            {"alpha, the negative real nearest 0", 0, -tiny, CCN_ERR_BAD_FILE},
            {"gamma 1", 3, CCN_R(1.0), CCN_OK},
            {"gamma, the next real past 1", 3, tb_next_real(1, 2), CCN_ERR_BAD_FILE},
            {"gamma, the negative real nearest 0", 3, -tiny, CCN_ERR_BAD_FILE},
        };
        size_t size, at;
        unsigned char *f;
        int nc = (int)(sizeof cases / sizeof cases[0]);
        tb_run(net, 0, 3, -1.0, NULL, NULL);
        CHECK(ccn_set_step_size(net, nan("")) == CCN_ERR_BAD_STEP_SIZE);
        f = ts_save(net, &size);
        at = ts_reals_at(f);
        for (i = 0; i < nc; ++i) {
            ccn_result r;
            ccn_real v = cases[i].value;
            unsigned char *g = (unsigned char *)malloc(size);
            memcpy(g, f, size);
            ts_put_real(g + at + (size_t)(cases[i].index * rs), v);
            ts_fix_crcs(g, size);
            loaded = NULL;
            if ((r = ccn_load_from_memory(g, size, NULL, &loaded)) != cases[i].want || (r == CCN_OK) != (loaded != NULL)) {
                printf("    a file with %s (%.9g): %s\n", cases[i].what, (double)v, ccn_result_string(r));
                ++bad;
            }
            ccn_destroy(loaded);
            free(g);
        }
        free(f);
        ccn_destroy(net);
    }
    CHECK(bad == 0);
}

/* ---- bad files ------------------------------------------------------------------------------ */

/* A small net with every section (the fixture), saved. */
static unsigned char *ts_small_file(size_t *size) {
    ccn_net *net = tf_fixture_net();
    unsigned char *f;
    if (!net) return NULL;
    f = ts_save(net, size);
    ccn_destroy(net);
    return f;
}

/* Loads data through memory and a stream with a counting allocator: both must give `want`,
   leave *out NULL and leak nothing; the memory loader must not have allocated at all when
   no_alloc. Returns the number of mismatches. */
static int ts_expect2(const unsigned char *data, size_t size, ccn_result want, ccn_result stream_want, int no_alloc) {
    tu_alloc_stats st;
    ccn_allocator a = tu_allocator(&st);
    ccn_net *net = (ccn_net *)&st;
    ccn_result r = ccn_load_from_memory(data, size, &a, &net);
    int bad = 0;
    if (r == CCN_OK) ccn_destroy(net); /* a mismatch below, unless CCN_OK was wanted */
    if (r != want || net != NULL || st.live_bytes != 0 || (no_alloc && st.allocs != 0)) ++bad;
    if (r != want && bad == 1) printf("    memory load of %lu bytes: %s, expected %s\n", (unsigned long)size,
                                      ccn_result_string(r), ccn_result_string(want));
    if (stream_want != CCN_OK || want == CCN_OK) { /* CCN_OK: the stream is not asked */
        ccn_net *net2 = (ccn_net *)&st;
        a = tu_allocator(&st);
        r = ts_load_stream(data, size, &a, &net2);
        if (r == CCN_OK) ccn_destroy(net2);
        if (r != stream_want || net2 != NULL || st.live_bytes != 0 || st.allocs != st.frees) ++bad;
        if (r != stream_want) printf("    stream load of %lu bytes: %s, expected %s\n", (unsigned long)size,
                                     ccn_result_string(r), ccn_result_string(stream_want));
    }
    return bad;
}
/* The same error from memory and from a stream (which does not look past the file's end, so
   trailing data is not its business). */
static int ts_expect(const unsigned char *data, size_t size, ccn_result want, int no_alloc) {
    return ts_expect2(data, size, want, want == CCN_ERR_TRAILING_DATA ? CCN_OK : want, no_alloc);
}

/* The smallest net with every section of a file: lstm columns (two traces) with a feature
   layer and links, two stages, TD(lambda), Adam, both normalisers; 7 steps into its run. */
static unsigned char *ts_tiny_file(size_t *size) {
    ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 1, 1.0, 3, 1, 1);
    ccn_net *net;
    unsigned char *f;
    int t;
    c.feature_width = 1;
    c.columns_per_stage = 2;
    c.steps_per_stage = 4;
    c.learner = CCN_TD;
    c.td_lambda = 0.8;
    c.optimizer = CCN_ADAM;
    c.step_size = 0.01;
    c.input_norm_rate = 0.9;
    c.feature_norm_rate = 0.9;
    net = tu_create(&c);
    for (t = 0; t < 7; ++t) ts_protocol(net, t, NULL);
    f = ts_save(net, size);
    ccn_destroy(net);
    return f;
}

/* Truncated at every byte offset: CCN_ERR_TRUNCATED (the memory loader finds it before
   allocating). Every single-bit flip: the magic's bytes give CCN_ERR_BAD_MAGIC, the version's
   CCN_ERR_BAD_VERSION, every other bit CCN_ERR_CHECKSUM; nothing leaks. (ASan and valgrind run
   this too: nothing is read out of bounds.) */
static void test_truncated_and_flipped_files(void) {
    size_t size, k;
    unsigned char *f = ts_tiny_file(&size), *g;
    int bit, bad_trunc = 0, bad_flip = 0, flips = 0;
    if (!f) {
        CHECK(f != NULL);
        return;
    }
    g = (unsigned char *)malloc(size);
    for (k = 0; k < size; ++k) {
        memcpy(g, f, k); /* only k bytes exist */
        bad_trunc += ts_expect(g, k, CCN_ERR_TRUNCATED, 1);
    }
    memcpy(g, f, size);
    for (k = 0; k < size; ++k)
        for (bit = 0; bit < 8; ++bit, ++flips) {
            ccn_result want = k < 8 ? CCN_ERR_BAD_MAGIC : k < 12 ? CCN_ERR_BAD_VERSION : CCN_ERR_CHECKSUM;
            g[k] ^= (unsigned char)(1u << bit);
            bad_flip += ts_expect(g, size, want, k < TS_HEAD);
            g[k] ^= (unsigned char)(1u << bit);
        }
    printf("    %lu-byte file: %lu truncations, %d bit flips\n", (unsigned long)size, (unsigned long)size, flips);
    CHECK(bad_trunc == 0);
    CHECK(bad_flip == 0);
    { /* and the untouched file loads */
        ccn_net *net = NULL;
        CHECK(ccn_load_from_memory(g, size, NULL, &net) == CCN_OK && net != NULL);
        ccn_destroy(net);
    }
    free(g);
    free(f);
}

/* The fields version 2 added sit where FILE FORMAT says, after the generator, under the first CRC. */
static void test_file_format_version2_fields(void) {
    ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1);
    ccn_net *net;
    unsigned char *f;
    size_t size;
    c.learner = CCN_TD;
    c.clip_norm = 0.375;
    c.obgd_kappa = 2.5;
    net = tu_create(&c);
    f = ts_save(net, &size);
    CHECK(ts_get(f + TS_VERSION, 4) == 2 && ts_f64(f + TS_CLIP_NORM) == 0.375 && ts_f64(f + TS_OBGD_KAPPA) == 2.5);
    CHECK(ts_get(f + TS_CRC1, 4) == ts_crc32(f, TS_CRC1));
    free(f);
    ccn_destroy(net);
}

/* Hand-made bad files, each with checksums that agree, so that the loader must look inside:
   wrong magic, future version, absurd sizes, contradictions, trailing bytes. Each returns its
   specific error and leaks nothing; those decided from the header allocate nothing. */
static void test_bad_file_contents(void) {
    size_t size;
    unsigned char *f = ts_small_file(&size), *g;
    const size_t reals = f ? ts_reals_at(f) : 0;
    struct {
        const char *what;
        size_t at;
        int bytes;
        uint64_t value;
        ccn_result want, stream; /* stream: what a stream loader says, when it differs */
    } cases[] = {
        {"magic", 1, 1, 'X', CCN_ERR_BAD_MAGIC, CCN_OK},
        {"future version", TS_VERSION, 4, 3, CCN_ERR_BAD_VERSION, CCN_OK},
        {"version 0", TS_VERSION, 4, 0, CCN_ERR_BAD_VERSION, CCN_OK},
        {"real size 5", TS_REAL_SIZE, 4, 5, CCN_ERR_BAD_FILE, CCN_OK},
        {"length beyond the data", TS_LENGTH, 8, (uint64_t)1 << 40, CCN_ERR_TRUNCATED, CCN_ERR_BAD_FILE},
        {"length short of the data", TS_LENGTH, 8, 300, CCN_ERR_TRAILING_DATA, CCN_ERR_BAD_FILE},
        {"n_columns above CCN_MAX_DIM", TS_N_COLUMNS, 4, (1u << 24) + 1, CCN_ERR_TOO_LARGE, CCN_OK},
        {"n_columns negative", TS_N_COLUMNS, 4, 0xFFFFFFFFu, CCN_ERR_BAD_SIZE, CCN_OK},
        {"n_inputs above CCN_MAX_DIM", TS_N_INPUTS, 4, 0x7FFFFFFFu, CCN_ERR_TOO_LARGE, CCN_OK},
        {"feature width 2^24 (blocks larger than the parameters)", TS_FEATURE_WIDTH, 4, 1u << 24, CCN_ERR_BAD_FILE, CCN_OK},
        /* with a 32-bit size_t the count does not fit: a size that overflows (FILE FORMAT) */
        {"parameter count 2^63 - 1", TS_PARAMS, 8, ~(uint64_t)0 >> 1,
         sizeof(size_t) < 8 ? CCN_ERR_TOO_LARGE : CCN_ERR_BAD_FILE, CCN_OK},
        {"link count above INT_MAX", TS_N_LINK, 8, (uint64_t)1 << 40, CCN_ERR_TOO_LARGE, CCN_OK},
        {"parameter count one more", TS_PARAMS, 8, 0, CCN_ERR_BAD_FILE, CCN_OK}, /* value set below */
        {"kind 9", TS_KIND, 4, 9, CCN_ERR_BAD_KIND, CCN_OK},
        {"n_outputs 0 (not a resolved configuration)", TS_N_OUTPUTS, 4, 0, CCN_ERR_BAD_FILE, CCN_OK},
        {"stage 2 of 2", TS_STAGE, 4, 2, CCN_ERR_BAD_FILE, CCN_OK},
        {"flags: an unknown bit", TS_TD_STARTED, 4, 8 | 5, CCN_ERR_BAD_FILE, CCN_OK},
        {"method changed (other arrays)", TS_METHOD, 4, CCN_RTRL, CCN_ERR_BAD_FILE, CCN_OK},
        {"a link count one more", TS_HEAD, 4, 0, CCN_ERR_BAD_FILE, CCN_OK},          /* value set below */
        {"a link to another stage", 0, 4, 4, CCN_ERR_BAD_FILE, CCN_OK},              /* where set below */
        {"a link to itself", 0, 4, 0, CCN_ERR_BAD_FILE, CCN_OK},                     /* where set below */
        {"a link of type 2", 0, 4, 2, CCN_ERR_BAD_FILE, CCN_OK},                     /* where set below */
        {"alpha NaN", 0, 4, 0, CCN_ERR_BAD_FILE, CCN_OK},                            /* set below */
        {"flags: negative", TS_TD_STARTED, 4, 0xFFFFFFFFu, CCN_ERR_BAD_FILE, CCN_OK},
    };
    int nc = (int)(sizeof cases / sizeof cases[0]), i, bad = 0;
    if (!f) {
        CHECK(f != NULL);
        return;
    }
    cases[12].value = ts_get(f + TS_PARAMS, 8) + 1;
    cases[18].value = ts_get(f + TS_HEAD, 4) + 1;
    { /* the first link: column 0 of stage 0 (columns 0..2) links within 0..2 */
        size_t first = TS_HEAD + 4 * 5;
        int c0 = 0;
        while (ts_get(f + TS_HEAD + 4 * (size_t)c0, 4) == 0) ++c0; /* the first column with a link */
        CHECK(c0 < 3);
        cases[19].at = first + 4;
        cases[20].at = first + 4;
        cases[20].value = (uint64_t)c0;
        cases[21].at = first;
    }
    cases[22].at = reals;
    cases[22].bytes = (int)sizeof(ccn_real);
    cases[22].value = sizeof(ccn_real) == 4 ? 0x7FC00000u : 0x7FF8000000000000u;
    g = (unsigned char *)malloc(size + 8);
    for (i = 0; i < nc; ++i) {
        int header = cases[i].at < TS_HEAD;
        memcpy(g, f, size);
        ts_put(g + cases[i].at, cases[i].value, cases[i].bytes);
        if (cases[i].at >= 12) ts_fix_crcs(g, size);
        if (ts_expect2(g, size, cases[i].want, cases[i].stream ? cases[i].stream : cases[i].want, header)) {
            printf("    %s\n", cases[i].what);
            ++bad;
        }
    }
    CHECK(bad == 0);
    { /* every dimension within CCN_MAX_DIM, their products past any size_t */
        memcpy(g, f, size);
        ts_put(g + TS_N_INPUTS, 1u << 24, 4);
        ts_put(g + TS_N_COLUMNS, 1u << 24, 4);
        ts_put(g + TS_FEATURE_WIDTH, 1u << 24, 4);
        ts_put(g + TS_FEATURE_LAYERS, 2, 4);
        ts_put(g + TS_METHOD, CCN_RTRL, 4);
        ts_put(g + TS_PARAMS, (uint64_t)1 << 62, 8);
        ts_fix_crcs(g, size);
        CHECK(ts_expect(g, size, CCN_ERR_TOO_LARGE, 1) == 0);
    }
    /* trailing bytes: one, and a whole second file */
    memcpy(g, f, size);
    g[size] = 0;
    CHECK(ts_expect(g, size + 1, CCN_ERR_TRAILING_DATA, 1) == 0);
    {
        unsigned char *two = (unsigned char *)malloc(2 * size);
        ts_source src;
        ccn_net *a = NULL, *b = NULL;
        memcpy(two, f, size);
        memcpy(two + size, f, size);
        CHECK(ts_expect(two, 2 * size, CCN_ERR_TRAILING_DATA, 1) == 0);
        src.data = two; /* a stream may hold one file after another */
        src.size = 2 * size;
        src.at = 0;
        CHECK(ccn_load(ts_read, &src, NULL, &a) == CCN_OK && src.at == size);
        CHECK(ccn_load(ts_read, &src, NULL, &b) == CCN_OK && src.at == 2 * size);
        ccn_destroy(b);
        CHECK(ccn_load(ts_read, &src, NULL, &b) == CCN_ERR_TRUNCATED && b == NULL);
        ccn_destroy(a);
        free(two);
    }
    { /* a path with trailing bytes, a missing path, other short and foreign inputs */
        char path[512];
        FILE *fp;
        tu_alloc_stats st;
        ccn_allocator al = tu_allocator(&st);
        ccn_net *net = (ccn_net *)&st;
        ts_path(path, sizeof path, "trailing.ccn");
        fp = fopen(path, "wb");
        CHECK(fp != NULL);
        if (fp) {
            fwrite(f, 1, size, fp);
            fputc(0, fp);
            fclose(fp);
        }
        CHECK(ccn_load_file(path, &al, &net) == CCN_ERR_TRAILING_DATA && net == NULL && st.live_bytes == 0);
        remove(path);
        ts_path(path, sizeof path, "no/such/dir/x.ccn");
        CHECK(ccn_load_file(path, NULL, &net) == CCN_ERR_OPEN && net == NULL);
        CHECK(ts_expect(f, 0, CCN_ERR_TRUNCATED, 1) == 0);
        CHECK(ts_expect((const unsigned char *)"GIF89a and more bytes", 21, CCN_ERR_BAD_MAGIC, 1) == 0);
        CHECK(ts_expect((const unsigned char *)"x", 1, CCN_ERR_BAD_MAGIC, 1) == 0);
        CHECK(ccn_load_from_memory(NULL, 10, NULL, &net) == CCN_ERR_NULL_ARGUMENT && net == NULL);
        CHECK(ccn_load(NULL, NULL, NULL, &net) == CCN_ERR_NULL_ARGUMENT && net == NULL);
        CHECK(ccn_load_from_memory(f, size, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
    }
    free(g);
    free(f);
}

/* A NaN keeps its bits through a load and a save in the same precision, a signalling one too
   (found by make fuzz: a float-to-double-to-float round trip had quietened it). */
static void test_nan_payloads_round_trip(void) {
    size_t size, at, again_size;
    unsigned char *f = ts_tiny_file(&size), *again;
    const int rs = (int)sizeof(ccn_real);
    const uint64_t nans[3] = {rs == 4 ? 0x7FB4BD32u : 0x7FF4000000BD3201u, rs == 4 ? 0xFFC00001u : 0xFFF8000000000001u,
                              rs == 4 ? 0x7F800001u : 0x7FF0000000000001u};
    ccn_net *net = NULL;
    int i;
    if (!f) {
        CHECK(f != NULL);
        return;
    }
    at = ts_reals_at(f) + 5 * (size_t)rs; /* the first parameter, then two more */
    for (i = 0; i < 3; ++i) ts_put(f + at + (size_t)(7 * i * rs), nans[i], rs);
    ts_fix_crcs(f, size);
    CHECK(ccn_load_from_memory(f, size, NULL, &net) == CCN_OK);
    if (net) {
        again = ts_save(net, &again_size);
        CHECK(again_size == size && memcmp(again, f, size) == 0);
        CHECK(ccn_nonfinite_count(net) == 3);
        free(again);
        ccn_destroy(net);
    }
    free(f);
}

/* Saving: a write callback that stops taking bytes at any point gives CCN_ERR_IO; a buffer one
   byte short gives CCN_ERR_BUFFER_TOO_SMALL; bad arguments are refused. */
static void test_save_errors(void) {
    ccn_net *net = tf_fixture_net();
    size_t size, k, w = 7;
    unsigned char *f;
    int bad = 0;
    char path[512];
    if (!net) {
        CHECK(net != NULL);
        return;
    }
    f = ts_save(net, &size);
    for (k = 1; k < size; ++k) {
        ts_sink sink;
        memset(&sink, 0, sizeof sink);
        sink.fail_after = k;
        if (ccn_save(net, ts_write, &sink) != CCN_ERR_IO) ++bad;
        free(sink.data);
    }
    CHECK(bad == 0);
    CHECK(ccn_save_to_memory(net, f, size - 1, &w) == CCN_ERR_BUFFER_TOO_SMALL && w == 0);
    CHECK(ccn_save_as(net, 2, ts_write, NULL) == CCN_ERR_BAD_REAL_SIZE);
    CHECK(ccn_save(net, NULL, NULL) == CCN_ERR_NULL_ARGUMENT && ccn_save(NULL, ts_write, NULL) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_save_to_memory(net, NULL, 100, NULL) == CCN_ERR_NULL_ARGUMENT);
    ts_path(path, sizeof path, "no/such/dir/x.ccn");
    CHECK(ccn_save_file(net, path) == CCN_ERR_OPEN);
    CHECK(ccn_save_file(net, NULL) == CCN_ERR_NULL_ARGUMENT);
    free(f);
    ccn_destroy(net);
}

/* ---- allocation failures -------------------------------------------------------------------- */

/* For every k up to the allocations a successful create, load or copy makes, an allocator that
   fails the k-th: CCN_ERR_OUT_OF_MEMORY, *out NULL, nothing leaked (counted); then the call
   succeeds with no failure. Each makes exactly one allocation. */
static void test_allocation_failures(void) {
    int ci;
    for (ci = 0; ci < 4; ++ci) {
        ccn_config c = ci == 3 ? tf_fixture_config() : tu_config(CCN_TANH + ci, ci == 1 ? CCN_RTRL : CCN_COLOR, ci, 1.0, 4, 3, 1);
        ccn_net *src = tu_create(&c);
        unsigned char *f;
        size_t size;
        int op, k;
        f = ts_save(src, &size);
        for (op = 0; op < 3; ++op) {
            long needed = 0;
            for (k = 1; k <= 8; ++k) {
                tu_alloc_stats st;
                ccn_allocator a = tu_allocator(&st);
                ccn_net *net = (ccn_net *)&st;
                ccn_result r;
                st.fail_at = k;
                r = op == 0 ? ccn_create(&c, &a, &net) : op == 1 ? ccn_load_from_memory(f, size, &a, &net) : ccn_copy(src, &a, &net);
                if (r == CCN_OK) {
                    needed = st.allocs;
                    CHECK(net != NULL);
                    ccn_destroy(net);
                    CHECK(st.live_bytes == 0);
                    break;
                }
                CHECK(r == CCN_ERR_OUT_OF_MEMORY && net == NULL && st.live_bytes == 0 && st.frees == 0);
            }
            CHECK(needed == 1 && k == 2); /* failed at 1, then succeeded with one allocation */
        }
        free(f);
        ccn_destroy(src);
    }
}
