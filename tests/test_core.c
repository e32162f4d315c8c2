/* Configuration, memory, layout, determinism and the state API. */
#include <float.h>
#include "util.h"

static void test_version(void) {
    CHECK(ccn_version() == CCN_VERSION_NUMBER);
    CHECK(strcmp(ccn_result_string(CCN_OK), "ok") == 0);
    CHECK(strlen(ccn_result_string(CCN_ERR_BAD_LINKS)) > 10);
    CHECK(ccn_result_string(CCN_ERR_NO_GRADIENT) != NULL);
}

/* Each bad configuration returns its documented error, leaves *out NULL, allocates nothing. */
static void test_bad_configurations(void) {
    struct {
        const char *what;
        ccn_result want;
        int field;
        double value;
    } cases[] = {
        {"n_inputs 0", CCN_ERR_BAD_SIZE, 0, 0},      {"n_inputs -3", CCN_ERR_BAD_SIZE, 0, -3},
        {"n_columns 0", CCN_ERR_BAD_SIZE, 1, 0},     {"n_columns -1", CCN_ERR_BAD_SIZE, 1, -1},
        {"n_outputs -2", CCN_ERR_BAD_SIZE, 2, -2},   {"feature_width -1", CCN_ERR_BAD_SIZE, 3, -1},
        {"n_inputs huge", CCN_ERR_TOO_LARGE, 0, (double)CCN_MAX_DIM + 1},
        {"kind 7", CCN_ERR_BAD_KIND, 4, 7},          {"kind -1", CCN_ERR_BAD_KIND, 4, -1},
        {"kind 5 (after the last)", CCN_ERR_BAD_KIND, 4, 5},
        {"method 9", CCN_ERR_BAD_METHOD, 5, 9},      {"layers 3", CCN_ERR_BAD_FEATURES, 6, 3},
        {"layers -1", CCN_ERR_BAD_FEATURES, 6, -1},  {"links -1", CCN_ERR_BAD_LINKS, 7, -1},
        {"links NaN", CCN_ERR_BAD_LINKS, 7, (double)NAN},    {"links inf", CCN_ERR_BAD_LINKS, 7, (double)INFINITY},
        {"links > candidates", CCN_ERR_BAD_LINKS, 7, 100},
        {"step NaN", CCN_ERR_BAD_STEP_SIZE, 8, (double)NAN}, {"step -0.1", CCN_ERR_BAD_STEP_SIZE, 8, -0.1},
        {"step inf", CCN_ERR_BAD_STEP_SIZE, 8, (double)INFINITY},
        {"init NaN", CCN_ERR_BAD_INIT_SCALE, 9, (double)NAN},
        {"init inf", CCN_ERR_BAD_INIT_SCALE, 9, (double)INFINITY},
        {"init -1", CCN_ERR_BAD_INIT_SCALE, 9, -1},
        {"init 1e31 (not a float)", CCN_ERR_BAD_INIT_SCALE, 9, 1e31},
        {"step 1e31 (not a float)", CCN_ERR_BAD_STEP_SIZE, 8, 1e31},
        {"n_columns huge", CCN_ERR_TOO_LARGE, 1, (double)CCN_MAX_DIM + 1},
        {"n_outputs huge", CCN_ERR_TOO_LARGE, 2, (double)CCN_MAX_DIM + 1},
        {"feature_width huge", CCN_ERR_TOO_LARGE, 3, (double)CCN_MAX_DIM + 1},
        {"links = candidates + 0.001", CCN_ERR_BAD_LINKS, 7, 3.001},
        {"n_workers -1", CCN_ERR_BAD_WORKERS, 10, -1},
        {"n_workers 1025", CCN_ERR_BAD_WORKERS, 10, 1025},
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; ++k) {
        ccn_config c = tu_config(CCN_LSTM, CCN_COLOR, 0, 0.0, 4, 3, 1);
        tu_alloc_stats st;
        ccn_allocator a = tu_allocator(&st);
        ccn_net *net = (ccn_net *)&st; /* must come back NULL */
        ccn_result r;
        size_t bytes = 7;
        int v = fabs(cases[k].value) < 1e9 ? (int)cases[k].value : 0; /* NaN and inf only go to double fields */
        switch (cases[k].field) {
        case 0: c.n_inputs = v; break;
        case 1: c.n_columns = v; break;
        case 2: c.n_outputs = v; break;
        case 3: c.feature_width = v; c.feature_layers = 1; break;
        case 4: c.kind = v; break;
        case 5: c.method = v; break;
        case 6: c.feature_layers = v; break;
        case 7: c.links = cases[k].value; break;
        case 8: c.step_size = cases[k].value; break;
        case 10: c.n_workers = v; break;
        default: c.init_scale = cases[k].value; break;
        }
        r = ccn_create(&c, &a, &net);
        if (r != cases[k].want) printf("    %s: got %s\n", cases[k].what, ccn_result_string(r));
        CHECK(r == cases[k].want);
        CHECK(net == NULL);
        CHECK(st.allocs == 0);
        CHECK(ccn_memory_size(&c, &bytes) == cases[k].want);
    }
    { /* links at exactly the candidates: every candidate taken; with feature links too */
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 3.0, 4, 3, 1);
        ccn_net *net;
        int i, count;
        CHECK(ccn_create(&c, NULL, &net) == CCN_OK);
        for (i = 0; i < 4; ++i) CHECK(ccn_links(net, i, &count) && count == 3);
        ccn_destroy(net);
        c.feature_layers = 1;
        c.feature_width = 3;
        c.links = 3.0 * 4.0;
        CHECK(ccn_create(&c, NULL, &net) == CCN_OK);
        for (i = 0; i < 4; ++i) CHECK(ccn_links(net, i, &count) && count == 12);
        ccn_destroy(net);
        c.links = 12.001;
        CHECK(ccn_create(&c, NULL, &net) == CCN_ERR_BAD_LINKS && net == NULL);
    }
    { /* more link candidates than CCN_MAX_LINK_DRAWS: refused before any drawing */
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 2, 1.0, 100000, 1, 1);
        ccn_net *net;
        size_t bytes;
        c.feature_width = 1000;
        CHECK(ccn_memory_size(&c, &bytes) == CCN_ERR_TOO_LARGE);
        CHECK(ccn_create(&c, NULL, &net) == CCN_ERR_TOO_LARGE && net == NULL);
    }
    { /* links with a single column */
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.5, 1, 3, 1);
        ccn_net *net;
        CHECK(ccn_create(&c, NULL, &net) == CCN_ERR_BAD_LINKS && net == NULL);
    }
    { /* sizes whose product overflows: every dimension allowed, their product is not */
        ccn_config c = tu_config(CCN_LSTM, CCN_RTRL, 2, 0.0, CCN_MAX_DIM, CCN_MAX_DIM, CCN_MAX_DIM);
        ccn_net *net;
        size_t bytes;
        c.feature_width = CCN_MAX_DIM;
        CHECK(ccn_create(&c, NULL, &net) == CCN_ERR_TOO_LARGE && net == NULL);
        CHECK(ccn_memory_size(&c, &bytes) == CCN_ERR_TOO_LARGE);
    }
    { /* NULL arguments */
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1);
        ccn_net *net;
        size_t bytes;
        ccn_allocator half;
        CHECK(ccn_create(NULL, NULL, &net) == CCN_ERR_NULL_ARGUMENT && net == NULL);
        CHECK(ccn_create(&c, NULL, NULL) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_memory_size(&c, NULL) == CCN_ERR_NULL_ARGUMENT);
        CHECK(ccn_memory_size(NULL, &bytes) == CCN_ERR_NULL_ARGUMENT);
        memset(&half, 0, sizeof half);
        half.alloc = tu_alloc;
        CHECK(ccn_create(&c, &half, &net) == CCN_ERR_NULL_ARGUMENT && net == NULL);
        ccn_destroy(NULL);
    }
}

/* One allocation per net, exactly ccn_memory_size() bytes; failure is reported and leaks
   nothing; destroy frees it all. */
static void test_allocation(void) {
    int ki, mi;
    TU_FOR_KINDS(ki)
        for (mi = 1; mi <= 3; ++mi) {
            ccn_config c = tu_config(tu_kind(ki), mi, ki % 3, 1.5, 6, 5, 2);
            tu_alloc_stats st;
            ccn_allocator a = tu_allocator(&st);
            ccn_net *net = NULL;
            size_t bytes = 0;
            CHECK(ccn_memory_size(&c, &bytes) == CCN_OK);
            CHECK(ccn_create(&c, &a, &net) == CCN_OK && net != NULL);
            CHECK(st.allocs == 1 && st.live_bytes == (long)bytes);
            ccn_destroy(net);
            CHECK(st.frees == 1 && st.live_bytes == 0);
            a = tu_allocator(&st);
            st.fail_at = 1;
            net = (ccn_net *)&st;
            CHECK(ccn_create(&c, &a, &net) == CCN_ERR_OUT_OF_MEMORY && net == NULL);
            CHECK(st.live_bytes == 0 && st.frees == 0);
        }
}

/* The layout the header documents: blocks in column order, gates of |z| + 2, readout last;
   ccn_param_owner agrees with it. For lstm (4 gates) and gru (3 gates, no cell). */
static void test_layout(void) {
    int kind;
    for (kind = CCN_LSTM; kind <= CCN_GRU; ++kind) {
        ccn_config c = tu_config(kind, CCN_COLOR, 2, 2.0, 7, 5, 3);
        ccn_net *net = tu_create(&c);
        size_t off = 0, k, G = kind == CCN_LSTM ? 4 : 3;
        int i, total_links = 0;
        CHECK((ccn_cell(net) != NULL) == (kind == CCN_LSTM));
        for (i = 0; i < 7; ++i) {
            ccn_column_info ci;
            int nl;
            const ccn_link *lk = ccn_links(net, i, &nl);
            ccn_column_info_get(net, i, &ci);
            CHECK(ci.param_offset == off);
            CHECK(ci.feature_count == (size_t)(3 * 6 + 3 * 4));
            CHECK(ci.n_gates == (int)G && ci.own_len == 3 && ci.n_links == nl && ci.z_len == 3 + nl);
            CHECK(ci.gate_stride == (size_t)ci.z_len + 2);
            CHECK(ci.param_count == ci.feature_count + G * ci.gate_stride);
            for (k = ci.param_offset; k < ci.param_offset + ci.param_count; ++k) CHECK(ccn_param_owner(net, k) == i);
            for (k = 0; k < (size_t)nl; ++k) {
                CHECK(lk[k].column != i && lk[k].column >= 0 && lk[k].column < 7);
                CHECK(lk[k].type == CCN_LINK_STATE ? lk[k].feature == 0 : (lk[k].feature >= 0 && lk[k].feature < 3));
            }
            off += ci.param_count;
            total_links += nl;
        }
        CHECK(ccn_readout_offset(net) == off);
        CHECK(ccn_param_count(net) == off + 3 * 8);
        CHECK(ccn_param_owner(net, off) == -1 && ccn_param_owner(net, off + 100) == -1);
        CHECK(total_links > 0);
        ccn_destroy(net);
    }
}

/* Links are Bernoulli per candidate with the configured mean: over many columns the average
   count is within a few standard errors of `links`. */
static void test_link_density(void) {
    const double want[3] = {0.25, 2.0, 10.0};
    int li;
    for (li = 0; li < 3; ++li) {
        ccn_config c = tu_config(CCN_TANH, CCN_FORWARD, 1, want[li], 400, 2, 1);
        ccn_net *net = tu_create(&c);
        double mean = 0, cand = 399.0 * 4.0, pr = want[li] / cand;
        int i, nl;
        for (i = 0; i < 400; ++i) {
            ccn_links(net, i, &nl);
            mean += nl / 400.0;
        }
        CHECK_NEAR(mean, want[li], 5.0 * sqrt(cand * pr * (1 - pr) / 400.0));
        ccn_destroy(net);
    }
}

/* Sizes against a created net, over many configurations (every kind and method, 0-2 feature
   layers, one stage or several with a short last one, no links, some, every candidate): the
   test's own replay of the link draws (one uniform per candidate: for each other column of the
   stage its state, then its features) gives each column's links; the test's own formula for a
   block (features, then G gates of own + cascade + links + 2) gives every ccn_column_info field,
   the readout offset and ccn_param_count; the one allocation is ccn_memory_size() bytes; and the
   net saved and loaded again allocates as much and lays its blocks out the same. Also runs under
   NDEBUG (tests/api_ndebug.c): creation that counted and drew differently would fail here. */
static void test_sizes_agree_with_layout(void) {
    static const int shapes[][2] = {{1, 1}, {5, 5}, {7, 3}, {8, 2}, {6, 4}}; /* n_columns, columns_per_stage */
    int configs = 0, linked = 0, refused = 0, kind, method, layers, sh, li;
    for (kind = CCN_TANH; kind <= CCN_LSTM; ++kind)
        for (method = CCN_COLOR; method <= CCN_FORWARD; ++method)
            for (layers = 0; layers <= 2; ++layers)
                for (sh = 0; sh < 5; ++sh)
                    for (li = 0; li < 3; ++li) {
                        int n = shapes[sh][0], cps = shapes[sh][1], m = 2 + (sh + li) % 3, o = 1 + (li == 1);
                        int W = layers ? 2 + (sh + kind) % 3 : 0, own = W ? W : m;
                        int G = kind == CCN_TANH ? 1 : kind == CCN_GATED ? 2 : 4, i, j, f;
                        double cand = (double)(cps - 1) * (1.0 + W);
                        size_t fc = layers ? (size_t)(W * (m + 1) + (layers == 2 ? W * (W + 1) : 0)) : 0;
                        size_t bytes = 0, off = 0, saved;
                        ccn_config c = tu_config(kind, method, layers, li == 0 ? 0.0 : li == 1 ? 0.4 * cand : cand, n, m, o);
                        tu_alloc_stats st, st2;
                        ccn_allocator a = tu_allocator(&st), a2 = tu_allocator(&st2);
                        ccn_net *net = NULL, *back = NULL;
                        unsigned char *file;
                        ccn_rng rng;
                        int bad = 0;
                        if (cand == 0 && li > 0) continue; /* one column per stage: no candidates */
                        c.feature_width = W;
                        c.columns_per_stage = cps;
                        c.seed = (uint64_t)(1000 * configs + 7);
                        c.optimizer = CCN_SGD + configs % 3;
                        c.input_norm_rate = configs % 2 ? 0.5 : 0.0;
                        ++configs;
                        CHECK(ccn_memory_size(&c, &bytes) == CCN_OK);
                        CHECK(ccn_create(&c, &a, &net) == CCN_OK && net != NULL);
                        if (!net) {
                            refused += 1;
                            CHECK(st.live_bytes == 0);
                            continue;
                        }
                        CHECK(st.allocs == 1 && st.live_bytes == (long)bytes);
                        ccn_rng_seed(&rng, c.seed);
                        for (i = 0; i < n; ++i) {
                            int first = i / cps * cps, last = first + cps < n ? first + cps : n, nl, at = 0, z;
                            const ccn_link *lk = ccn_links(net, i, &nl);
                            ccn_column_info ci;
                            for (j = first; j < last; ++j) {
                                if (j == i) continue;
                                for (f = -1; f < W; ++f)
                                    if (c.links > 0 && ccn_rng_uniform(&rng) < c.links / cand) {
                                        if (at >= nl || lk[at].column != j ||
                                            lk[at].type != (f < 0 ? CCN_LINK_STATE : CCN_LINK_FEATURE) ||
                                            lk[at].feature != (f < 0 ? 0 : f))
                                            bad = 1;
                                        ++at;
                                    }
                            }
                            if (at != nl) bad = 1;
                            linked += nl;
                            z = own + first + nl;
                            ccn_column_info_get(net, i, &ci);
                            if (ci.param_offset != off || ci.feature_offset != off || ci.feature_count != fc ||
                                ci.gate_offset != off + fc || ci.gate_stride != (size_t)z + 2 || ci.n_gates != G ||
                                ci.z_len != z || ci.own_len != own || ci.cascade_len != first || ci.n_links != nl ||
                                ci.stage != i / cps || ci.param_count != fc + (size_t)G * ((size_t)z + 2))
                                bad = 1;
                            off += fc + (size_t)G * ((size_t)z + 2);
                        }
                        if (bad) printf("    kind %d method %d layers %d n %d cps %d links %g: links or layout differ\n",
                                        kind, method, layers, n, cps, c.links);
                        CHECK(!bad);
                        CHECK(ccn_readout_offset(net) == off);
                        CHECK(ccn_param_count(net) == off + (size_t)o * (size_t)(n + 1));
                        saved = ccn_saved_size(net);
                        file = (unsigned char *)malloc(saved);
                        CHECK(file && ccn_save_to_memory(net, file, saved, &saved) == CCN_OK);
                        CHECK(ccn_load_from_memory(file, saved, &a2, &back) == CCN_OK && back != NULL);
                        if (back) {
                            CHECK(st2.allocs == 1 && st2.live_bytes == (long)bytes);
                            CHECK(ccn_param_count(back) == ccn_param_count(net));
                            for (i = 0; i < n; ++i) {
                                ccn_column_info x, y;
                                ccn_column_info_get(net, i, &x);
                                ccn_column_info_get(back, i, &y);
                                CHECK(memcmp(&x, &y, sizeof x) == 0);
                            }
                        }
                        free(file);
                        ccn_destroy(back);
                        ccn_destroy(net);
                        CHECK(st.live_bytes == 0 && st2.live_bytes == 0);
                    }
    printf("    %d configurations, %d links in all, %d refused\n", configs, linked, refused);
    CHECK(configs > 300 && linked > 1000 && refused == 0);
}

/* ccn__link_plan, drawing into an array sized for one link fewer than its draws take, for as
   many, and for one more: only the right size succeeds, and nothing is written past the array's
   end. So were creation's counting and drawing passes ever to disagree, ccn_create would refuse
   the net rather than overrun it, in every build: this test also runs under NDEBUG
   (tests/api_ndebug.c), where no assert is left. */
static void test_link_plan_stops_at_its_count(void) {
    ccn_config c = tu_config(CCN_GATED, CCN_COLOR, 1, 2.0, 6, 3, 1);
    ccn_net *net = tu_create(&c), d;
    ccn_link buf[64];
    int offs[7], trial, k;
    size_t N = net->n_links;
    uint64_t total = 0;
    ccn_rng rng;
    ccn_rng_seed(&rng, c.seed);
    CHECK(ccn__link_plan(net, &rng, NULL, NULL, &total) && total == N); /* the counting pass */
    CHECK(N > 2 && N + 2 < 64);
    for (trial = -1; trial <= 1; ++trial) {
        int ok, past = 0;
        d = *net;
        d.n_links = (size_t)((int)N + trial);
        for (k = 0; k < 64; ++k) buf[k].type = buf[k].column = buf[k].feature = -7;
        ccn_rng_seed(&rng, c.seed);
        ok = ccn__link_plan(&d, &rng, buf, offs, &total);
        for (k = (int)d.n_links; k < 64; ++k) past |= buf[k].type != -7 || buf[k].column != -7 || buf[k].feature != -7;
        if (ok != (trial == 0) || past)
            printf("    room for %d of %d links: plan %d, wrote past the end %d\n", (int)d.n_links, (int)N, ok, past);
        CHECK(ok == (trial == 0));
        CHECK(!past);
        if (trial == 0)
            CHECK(memcmp(buf, net->links, N * sizeof(ccn_link)) == 0 && memcmp(offs, net->link_off, sizeof offs) == 0);
    }
    ccn_destroy(net);
}

static void tc_run(ccn_net *net, int T, uint64_t seed, ccn_real *ys) {
    ccn_rng rng;
    const ccn_config *c = ccn_get_config(net);
    ccn_real x[8], target[2];
    int t, j;
    ccn_rng_seed(&rng, seed);
    for (t = 0; t < T; ++t) {
        for (j = 0; j < c->n_inputs; ++j) x[j] = (ccn_real)(ccn_rng_uniform(&rng) - 0.5);
        for (j = 0; j < c->n_outputs; ++j) target[j] = (ccn_real)ccn_rng_uniform(&rng);
        ccn_step(net, x, ys + t * c->n_outputs);
        ccn_learn(net, target);
    }
}

/* The same seed and inputs give the same bits, outputs and parameters; another seed differs. */
static void test_determinism(void) {
    int ki, mi;
    TU_FOR_KINDS(ki)
        for (mi = 1; mi <= 2; ++mi) {
            ccn_config c = tu_config(tu_kind(ki), mi, 2, 1.0, 5, 8, 2);
            ccn_net *a, *b, *d;
            ccn_real ya[200], yb[200], yd[200];
            c.step_size = 0.01;
            a = tu_create(&c);
            b = tu_create(&c);
            c.seed += 1;
            d = tu_create(&c);
            tc_run(a, 100, 9, ya);
            tc_run(b, 100, 9, yb);
            tc_run(d, 100, 9, yd);
            CHECK(memcmp(ya, yb, sizeof ya) == 0);
            CHECK(memcmp(ccn_params(a), ccn_params(b), ccn_param_count(a) * sizeof(ccn_real)) == 0);
            CHECK(ccn_param_count(a) != ccn_param_count(d) ||
                  memcmp(ccn_params(a), ccn_params(d), ccn_param_count(a) * sizeof(ccn_real)) != 0);
            CHECK(memcmp(ya, yd, sizeof ya) != 0);
            ccn_destroy(a);
            ccn_destroy(b);
            ccn_destroy(d);
        }
}

/* The generator is xoshiro256** seeded by splitmix64: fixed values pin it on every platform. */
static void test_rng_reference_values(void) {
    ccn_rng r;
    uint64_t first;
    double u;
    int k;
    ccn_rng_seed(&r, 0);
    first = ccn_rng_next(&r);
    ccn_rng_seed(&r, 0);
    CHECK(ccn_rng_next(&r) == first);
    CHECK(first == 0x99EC5F36CB75F2B4ull);
    for (k = 0; k < 1000; ++k) {
        u = ccn_rng_uniform(&r);
        CHECK(u >= 0.0 && u < 1.0);
    }
}

/* reset_state zeroes state and traces but keeps the parameters (and the step count, which
   schedules stages): a run after a reset repeats the first run exactly (no learning between). */
static void test_reset_state(void) {
    int ki;
    for (ki = 0; ki < 2 * TU_N_KINDS; ++ki) {
        ccn_config c = tu_config(tu_kind(ki % TU_N_KINDS), ki < TU_N_KINDS ? CCN_COLOR : CCN_RTRL, 1, 1.0, 3, 2, 1);
        ccn_net *net = tu_create(&c);
        ccn_real x[2] = {CCN_R(0.5), CCN_R(-0.25)}, y1[10], y2[10], e[1] = {CCN_R(1)};
        ccn_real *g1 = tu_reals(ccn_param_count(net)), *g2 = tu_reals(ccn_param_count(net));
        int t;
        tu_randomize(net, 3, 0.5);
        for (t = 0; t < 10; ++t) ccn_step(net, x, &y1[t]);
        ccn_accumulate_gradient(net, e, g1);
        ccn_reset_state(net);
        CHECK(ccn_step_count(net) == 10 && ccn_state(net)[0] == 0 && ccn_output(net)[0] == 0);
        for (t = 0; t < 10; ++t) ccn_step(net, x, &y2[t]);
        ccn_accumulate_gradient(net, e, g2);
        CHECK(memcmp(y1, y2, sizeof y1) == 0);
        CHECK(memcmp(g1, g2, ccn_param_count(net) * sizeof(ccn_real)) == 0);
        CHECK(ccn_step_count(net) == 20);
        CHECK((ccn_cell(net) != NULL) == (c.kind == CCN_LSTM));
        free(g1);
        free(g2);
        ccn_destroy(net);
    }
}

/* CCN_FORWARD keeps no traces: its block is smaller and learning calls say so. */
static void test_forward_only(void) {
    ccn_config c = tu_config(CCN_LSTM, CCN_FORWARD, 0, 0.0, 4, 3, 1);
    size_t fwd = 0, color = 0;
    ccn_net *net;
    ccn_real x[3] = {1, 2, 3}, e[1] = {1};
    CHECK(ccn_memory_size(&c, &fwd) == CCN_OK);
    c.method = CCN_COLOR;
    CHECK(ccn_memory_size(&c, &color) == CCN_OK);
    CHECK(fwd < color);
    c.method = CCN_FORWARD;
    net = tu_create(&c);
    ccn_step(net, x, NULL);
    CHECK(ccn_learn_with_error(net, e) == CCN_ERR_NO_GRADIENT);
    CHECK(ccn_accumulate_gradient(net, e, NULL) == CCN_ERR_NO_GRADIENT);
    CHECK(ccn_learn(net, e) == CCN_ERR_NO_GRADIENT);
    ccn_destroy(net);
}

/* The defaults a zeroed configuration resolves to. */
static void test_config_defaults(void) {
    ccn_config c, r;
    memset(&c, 0, sizeof c);
    c.n_inputs = 3;
    c.n_columns = 2;
    CHECK(ccn_config_resolve(&c, &r) == CCN_OK);
    CHECK(r.n_outputs == 1 && r.kind == CCN_TANH && r.method == CCN_COLOR && r.feature_layers == 0);
    CHECK(r.feature_width == 0 && r.links == 0.0 && r.step_size == 0.0 && r.init_scale == 0.0 && r.seed == 0);
    CHECK(r.columns_per_stage == 2 && r.steps_per_stage == 0 && r.learner == CCN_SUPERVISED && r.td_lambda == 0.0);
    /* (double): where FLT_EVAL_METHOD is 2 a constant has long double's precision */
    CHECK(r.optimizer == CCN_SGD && r.rms_beta == (double)0.9999 && r.adam_beta1 == (double)0.9 &&
          r.adam_beta2 == (double)0.999);
    CHECK(r.opt_epsilon == (double)1e-8 && r.input_norm_rate == 1.0 && r.feature_norm_rate == 1.0 &&
          r.norm_var_floor == (double)0.01);
    CHECK(r.scale_readout_step == 0 && r.feedforward == 0);
    c.feature_layers = 2;
    CHECK(ccn_config_resolve(&c, &r) == CCN_OK && r.feature_width == 5);
    c.feature_layers = 0;
    c.feature_width = 5; /* the default, spelled out: allowed without feature layers */
    CHECK(ccn_config_resolve(&c, &r) == CCN_OK && r.feature_width == 0);
    c.feature_width = -4; /* anything else would go unused: refused */
    CHECK(ccn_config_resolve(&c, &r) == CCN_ERR_UNUSED_SETTING);
}

/* The documented initialisation, replayed from the generator: links first (one uniform draw per
   candidate, in order), then every column parameter U(-k, k) in layout order with k = 1/sqrt of
   the fan-in (m + 1 for W1, W + 1 for W2, |z| + 2 for a gate), the readout 0. */
static void test_initialisation_replayed(void) {
    int li;
    for (li = 0; li < 2; ++li) {
        ccn_config c = tu_config(CCN_GATED, CCN_COLOR, 2, li ? 2.0 : 0.0, 5, 4, 2);
        ccn_net *net;
        ccn_rng rng;
        size_t k, p;
        int i, j, f, worst_link = 0;
        double cand = 4.0 * 4.0, prob = c.links / cand;
        c.seed = 2024;
        net = tu_create(&c);
        p = ccn_param_count(net);
        ccn_rng_seed(&rng, 2024);
        for (i = 0; i < 5; ++i) { /* the links, drawn the same way */
            int count, at = 0;
            const ccn_link *lk = ccn_links(net, i, &count);
            for (j = 0; j < 5; ++j) {
                if (j == i) continue;
                for (f = -1; f < 3; ++f)
                    if (li && ccn_rng_uniform(&rng) < prob) {
                        if (at >= count || lk[at].column != j || lk[at].type != (f < 0 ? CCN_LINK_STATE : CCN_LINK_FEATURE) ||
                            (f >= 0 && lk[at].feature != f))
                            worst_link = 1;
                        ++at;
                    }
            }
            CHECK(at == count);
        }
        CHECK(!worst_link);
        for (i = 0; i < 5; ++i) {
            ccn_column_info ci;
            double scale;
            ccn_column_info_get(net, i, &ci);
            for (k = ci.param_offset; k < ci.param_offset + ci.param_count; ++k) {
                size_t local = k - ci.param_offset;
                scale = local < 3 * 5 ? 1 / sqrt(5.0) : local < ci.feature_count ? 1 / sqrt(4.0) : 1 / sqrt((double)ci.gate_stride);
                CHECK(ccn_params(net)[k] == (ccn_real)((2.0 * ccn_rng_uniform(&rng) - 1.0) * scale));
            }
        }
        for (k = ccn_readout_offset(net); k < p; ++k) CHECK(ccn_params(net)[k] == 0);
        ccn_destroy(net);
    }
    { /* another seed, other links */
        ccn_config a = tu_config(CCN_TANH, CCN_FORWARD, 0, 2.0, 8, 2, 1), b = a;
        ccn_net *na, *nb;
        int i, differ = 0;
        b.seed = a.seed + 1;
        na = tu_create(&a);
        nb = tu_create(&b);
        for (i = 0; i < 8; ++i) {
            int ca, cb;
            const ccn_link *la = ccn_links(na, i, &ca), *lb = ccn_links(nb, i, &cb);
            if (ca != cb || memcmp(la, lb, (size_t)ca * sizeof(ccn_link)) != 0) differ = 1;
        }
        CHECK(differ);
        ccn_destroy(na);
        ccn_destroy(nb);
    }
}

/* ccn_copy: the copy continues exactly as the original would, and the two are independent. */
static void test_copy(void) {
    int mi, ki;
    for (mi = 1; mi <= 3; ++mi)
        TU_FOR_KINDS(ki) {
            ccn_config c = tu_config(tu_kind(ki), mi, 1, 1.0, 4, 3, 1);
            ccn_net *a, *b;
            ccn_real ya[20], yb[20], hb;
            tu_alloc_stats st;
            ccn_allocator al = tu_allocator(&st);
            int t;
            c.step_size = 0.05;
            c.optimizer = CCN_ADAM;
            c.input_norm_rate = 0.9;
            c.columns_per_stage = 2;
            a = tu_create(&c);
            tu_randomize(a, 7, 0.5);
            for (t = 0; t < 7; ++t) { /* an odd number of steps leaves RTRL's buffers swapped */
                ccn_real x[3] = {(ccn_real)t, CCN_R(0.5), CCN_R(-1)}, target = CCN_R(0.2);
                ccn_step(a, x, NULL);
                if (mi != CCN_FORWARD) ccn_learn(a, &target);
            }
            st.fail_at = 1;
            b = (ccn_net *)&st;
            CHECK(ccn_copy(a, &al, &b) == CCN_ERR_OUT_OF_MEMORY && b == NULL && st.live_bytes == 0);
            st.fail_at = 0;
            CHECK(ccn_copy(a, &al, &b) == CCN_OK && st.allocs == 2);
            hb = ccn_state(b)[0];
            for (t = 0; t < 20; ++t) {
                ccn_real x[3] = {CCN_R(0.1) * (ccn_real)t, CCN_R(-0.5), CCN_R(1)}, target = CCN_R(-0.3);
                ccn_step(a, x, &ya[t]);
                if (mi != CCN_FORWARD) ccn_learn(a, &target);
            }
            CHECK(ccn_state(b)[0] == hb); /* stepping a left b alone */
            for (t = 0; t < 20; ++t) {
                ccn_real x[3] = {CCN_R(0.1) * (ccn_real)t, CCN_R(-0.5), CCN_R(1)}, target = CCN_R(-0.3);
                ccn_step(b, x, &yb[t]);
                if (mi != CCN_FORWARD) ccn_learn(b, &target);
            }
            CHECK(memcmp(ya, yb, sizeof ya) == 0);
            CHECK(memcmp(ccn_params(a), ccn_params(b), ccn_param_count(a) * sizeof(ccn_real)) == 0);
            ccn_destroy(b);
            CHECK(st.live_bytes == 0);
            ccn_destroy(a);
        }
}

/* Learning never touches the caller's gradient buffer (ccn_grad), with either method. */
static void test_learning_keeps_the_gradient_buffer(void) {
    int mi;
    for (mi = CCN_COLOR; mi <= CCN_RTRL; ++mi) {
        ccn_config c = tu_config(CCN_LSTM, mi, 1, 0.0, 3, 2, 1);
        ccn_net *net;
        ccn_real x[2] = {1, -1}, e = 1, *keep;
        size_t p;
        c.step_size = 0.1;
        net = tu_create(&c);
        tu_randomize(net, 1, 0.5);
        p = ccn_param_count(net);
        keep = tu_reals(p);
        ccn_step(net, x, NULL);
        CHECK(ccn_accumulate_gradient(net, &e, NULL) == CCN_OK);
        memcpy(keep, ccn_grad(net), p * sizeof(ccn_real));
        CHECK(ccn_learn_with_error(net, &e) == CCN_OK);
        CHECK(memcmp(keep, ccn_grad(net), p * sizeof(ccn_real)) == 0);
        free(keep);
        ccn_destroy(net);
    }
}

/* The accessors: the output is y, out-of-range columns give nothing. */
static void test_accessors(void) {
    ccn_config c = tu_config(CCN_LSTM, CCN_FORWARD, 0, 0.0, 3, 2, 2);
    ccn_net *net = tu_create(&c);
    ccn_real x[2] = {1, 2}, y[2];
    ccn_column_info ci;
    int count = 7;
    tu_randomize(net, 2, 0.5);
    ccn_step(net, x, y);
    CHECK(ccn_output(net)[0] == y[0] && ccn_output(net)[1] == y[1] && y[0] != y[1]);
    ccn_column_info_get(net, 3, &ci);
    CHECK(ci.param_count == 0 && ci.z_len == 0);
    ccn_column_info_get(net, -1, &ci);
    CHECK(ci.param_count == 0);
    CHECK(ccn_links(net, 3, &count) == NULL && count == 0);
    CHECK(ccn_links(net, 0, &count) != NULL && count == 0);
    CHECK(ccn_grad(net) == NULL && ccn_eligibility(net) == NULL);
    ccn_destroy(net);
}

/* The library's own exp, tanh and sigmoid (pure IEEE arithmetic, the same bits everywhere)
   against libm, over the whole range the cells use: within a few ulp. */
static void test_math_accuracy(void) {
    double worst_exp = 0, worst_tanh = 0, worst_sig = 0, a;
    const double ulp = TU_DOUBLE ? 2.220446049250313e-16 : 1.1920929e-07;
    for (a = -80; a <= 80; a += 0.00137) {
        ccn_real x = (ccn_real)a;
        double xe = (double)x, e;
        e = fabs((double)ccn__exp(x) - exp(xe)) / exp(xe);
        if (e > worst_exp) worst_exp = e;
        e = fabs((double)ccn__tanh(x) - tanh(xe)) / fabs(tanh(xe) != 0 ? tanh(xe) : 1.0);
        if (e > worst_tanh) worst_tanh = e;
        e = fabs((double)ccn__sigmoid(x) - 1 / (1 + exp(-xe))) / (1 / (1 + exp(-xe)));
        if (e > worst_sig) worst_sig = e;
    }
    printf("    worst relative error: exp %.2g, tanh %.2g, sigmoid %.2g (%.2g per ulp)\n", worst_exp, worst_tanh, worst_sig, ulp);
    CHECK_LE(worst_exp, 2 * ulp);
    CHECK_LE(worst_tanh, 3 * ulp);
    CHECK_LE(worst_sig, 3 * ulp);
    CHECK(ccn__exp(CCN_R(0)) == CCN_R(1) && ccn__tanh(CCN_R(0)) == CCN_R(0) && ccn__sigmoid(CCN_R(0)) == CCN_R(0.5));
    CHECK(ccn__tanh(CCN_R(1000)) == CCN_R(1) && ccn__tanh(CCN_R(-1000)) == CCN_R(-1));
    CHECK(ccn__sigmoid(CCN_R(-1000)) >= 0 && ccn__sigmoid(CCN_R(-1000)) < CCN_R(1e-30) && ccn__sigmoid(CCN_R(1000)) == CCN_R(1));
}

/* The pre-activations of every kind over chunks of a stage, at the fan-ins around z's lengths 9
   to 15 (with a cascade in later stages), feedforward or not, with links and without: where
   the build targets AVX, stages without links go eight columns at once (ccn__preact_x8), and
   they must have the bits of the column-by-column loop that every build has (ccn__preact_z);
   every path must be the sum to round-off. The buffer holds NaN after the
   stage's inputs: h', 1 and the links' values come from the net (the loop with links writes
   them there before it reads them). */
static void test_preact_across_columns(void) {
    static const int kinds[3] = {CCN_TANH, CCN_GATED, CCN_LSTM};
    static const int ranges[4][2] = {{0, 10}, {0, 8}, {3, 10}, {1, 2}}; /* within a stage of 10 */
    static const ccn__preact_fn loop[2][3] = {{ccn__preact_1, ccn__preact_2, ccn__preact_4},
                                              {ccn__preact_1_links, ccn__preact_2_links, ccn__preact_4_links}};
    double worst = 0;
    int k, m, ff, li, st, r, i, q, j, differ = 0, compared = 0;
#ifdef CCN__X8
    printf("    eight columns at once: in this build (AVX, float)\n");
#else
    printf("    eight columns at once: not in this build (it needs AVX and float): the loop alone\n");
#endif
    for (k = 0; k < 3; ++k)
        for (m = 5; m <= 15; ++m)
            for (ff = 0; ff < 2; ++ff)
                for (li = 0; li < 2; ++li) {
                    ccn_config c = tu_config(kinds[k], CCN_COLOR, 0, li ? 0.5 : 0.0, 30, m, 1);
                    ccn_net *net;
                    ccn_rng rng;
                    c.feedforward = ff;
                    c.columns_per_stage = 10;
                    c.seed = (uint64_t)(700 + k * 100 + m * 4 + ff * 2 + li);
                    net = tu_create(&c);
                    tu_randomize(net, (uint64_t)(40 + m), 1.0);
                    ccn_rng_seed(&rng, (uint64_t)(90 + k * 20 + m));
                    for (i = 0; i < net->n; ++i) net->h_prev[i] = (ccn_real)(2 * ccn_rng_uniform(&rng) - 1);
                    for (st = 0; st < 3; ++st)
                        for (r = 0; r < 4; ++r) {
                            int c0 = 10 * st, a = c0 + ranges[r][0], b = c0 + ranges[r][1], P = m + c0, G = net->G;
                            size_t all = (size_t)(G * net->n);
                            ccn_real *buf = net->zbuf, *pre = tu_reals(all), *u = tu_reals(all);
                            for (j = 0; j < P; ++j) buf[j] = (ccn_real)(4 * ccn_rng_uniform(&rng) - 2);
                            for (j = P; j < net->zlen[b - 1] + 2; ++j) buf[j] = (ccn_real)NAN;
                            int links = net->link_off[c0 + 10] > net->link_off[c0];
                            ccn__preact(net, a, b, buf, c0, links);
                            memcpy(pre, net->pre, all * sizeof(ccn_real));
                            memcpy(u, net->u, all * sizeof(ccn_real));
                            if (!links && ccn__short_z(P))
                                ccn__preact_z(net, a, b, buf, c0);
                            else
                                loop[links][G == 1 ? 0 : G == 2 ? 1 : 2](net, a, b, buf, c0);
                            for (q = 0; q < G; ++q)
                                for (i = a; i < b; ++i) {
                                    size_t at = (size_t)(q * net->n + i);
                                    int len = net->zlen[i] + 2, nl = net->link_off[i + 1] - net->link_off[i];
                                    const ccn_real *w = net->theta + net->col_off[i] + (size_t)(q * len);
                                    double sum = 0, mag = 0, zj;
                                    for (j = 0; j < len; ++j) {
                                        zj = j < P ? (double)buf[j]
                                             : j < P + nl ? (double)ccn__link_value(net, net->links + net->link_off[i] + j - P)
                                             : j == P + nl ? (ff ? 0.0 : (double)net->h_prev[i]) : 1.0;
                                        sum += (double)w[j] * zj;
                                        mag += fabs((double)w[j] * zj);
                                    }
                                    differ += memcmp(&pre[at], &net->pre[at], sizeof(ccn_real)) != 0 ||
                                              memcmp(&u[at], &net->u[at], sizeof(ccn_real)) != 0;
                                    ++compared;
                                    if (fabs((double)pre[at] - sum) / mag > worst) worst = fabs((double)pre[at] - sum) / mag;
                                    CHECK((double)u[at] == (ff ? 0.0 : (double)w[len - 2]));
                                }
                            free(pre);
                            free(u);
                        }
                    ccn_destroy(net);
                }
    printf("    %d pre-activations, %d with other bits than the loop's; worst error %.2g of the sum of |w z|\n", compared,
           differ, worst);
    if (tu_contracts()) /* a build with contraction: each path has its own bits (ccn.h, RANDOMNESS) */
        printf("    this build contracts a * b + c into one rounding: the paths' bits are not compared\n");
    else
        CHECK(differ == 0);
    CHECK_LE(worst, 16 * (TU_DOUBLE ? 2.220446049250313e-16 : 1.1920929e-07));
}

/* The kinds' descriptions (ccn.h, Column kinds): each public value from CCN_TANH to CCN_GRU has
   one, with its own value, 1 to 4 gates, 1 or 2 states, and recurrent inputs read from a gate
   summed before the one that reads it (the pre-activations run in gate order); the values
   around them have none, and ccn_create refuses them. */
static void test_kinds_are_described(void) {
    int k, q, described = 0;
    for (k = -2; k <= 20; ++k) {
        const ccn__kind *K = ccn__kind_of(k);
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 2, 2, 1);
        ccn_net *net = NULL;
        c.kind = k;
        CHECK((K != NULL) == (k >= CCN_TANH && k <= CCN_GRU));
        CHECK(ccn_create(&c, NULL, &net) == (K || k == 0 ? CCN_OK : CCN_ERR_BAD_KIND));
        ccn_destroy(net);
        if (!K) continue;
        ++described;
        CHECK(K->kind == k && K->gates >= 1 && K->gates <= 4 && (K->states == 1 || K->states == 2) && K->cells);
        for (q = 0; q < K->gates; ++q) CHECK(K->rho[q] >= -1 && K->rho[q] < q);
        CHECK(ccn__kind_plain(K) == (k != CCN_GRU));
    }
    CHECK(described == 4);
    CHECK(strstr(ccn_result_string(CCN_ERR_BAD_KIND), "CCN_GRU") != NULL);
}

/* Every fast path is a specialisation of the generic one (ccn.h, sections 3 and 4): the same
   nets stepped with ccn__test_generic = 1 (every column through ccn__preact_generic and
   ccn__color_generic) and = 0 (the measured loops: constant gate counts and feature depth, the
   regs tail, the two-window runs, ccn__trace1_x8 and ccn__preact_x8 where the build has AVX)
   must have the same outputs at every step and the same saved bytes (parameters, traces,
   eligibility, moments, state) at the end, for every kind, feature depth 0, 1, 2, links or
   none, fan-ins that give runs under 8, of 8 to 15 (small fan-in) and longer, feedforward or
   not, two stages, and every ride: none (ccn_step, ccn_learn), SGD's and RMSProp's
   (ccn_learn_step), TD's eligibility (ccn_td_step, SGD and RMSProp). */
static void test_generic_equals_fast_paths(void) {
    static const int ms[3] = {3, 10, 20};
    int kind, layers, li, mi, ride, ff, t, j, nets = 0, differ = 0;
    for (kind = CCN_TANH; kind <= CCN_GRU; ++kind)
        for (layers = 0; layers <= 2; ++layers)
            for (li = 0; li < 2; ++li)
                for (mi = 0; mi < 3; ++mi)
                    for (ride = 0; ride < 5; ++ride)
                        for (ff = 0; ff < 2; ++ff) {
                            ccn_config c = tu_config(kind, CCN_COLOR, layers, li ? 1.5 : 0.0, 8, ms[mi], 1);
                            ccn_net *net[2];
                            ccn_real x[20];
                            size_t size[2] = {0, 0};
                            void *saved[2];
                            int v, same = 1;
                            ccn_rng rng;
                            c.feedforward = ff;
                            c.columns_per_stage = 4;
                            c.steps_per_stage = 6;
                            c.step_size = 0.05;
                            c.seed = (uint64_t)(kind * 1000 + layers * 100 + li * 50 + mi * 10 + ride * 2 + ff);
                            if (ride == 1 || ride == 4) {
                                c.optimizer = CCN_RMSPROP;
                                c.step_size = 0.01;
                            }
                            if (ride >= 3) {
                                c.learner = CCN_TD;
                                c.td_lambda = 0.8;
                            }
                            for (v = 0; v < 2; ++v) {
                                net[v] = tu_create(&c);
                                tu_randomize(net[v], c.seed + 3, 0.8);
                            }
                            ccn_rng_seed(&rng, c.seed);
                            for (t = 0; t < 14; ++t) {
                                ccn_real y[2], target = (ccn_real)(ccn_rng_uniform(&rng) - 0.5);
                                for (j = 0; j < c.n_inputs; ++j) x[j] = (ccn_real)(2 * ccn_rng_uniform(&rng) - 1);
                                for (v = 0; v < 2; ++v) {
                                    ccn__test_generic = v;
                                    if (ride >= 3) CHECK(ccn_td_step(net[v], x, target, CCN_R(0.9), &y[v]) == CCN_OK);
                                    else if (ride == 2) {
                                        CHECK(ccn_step(net[v], x, &y[v]) == CCN_OK);
                                        CHECK(ccn_learn(net[v], &target) == CCN_OK);
                                    } else CHECK(ccn_learn_step(net[v], x, &target, &y[v]) == CCN_OK);
                                }
                                ccn__test_generic = 0;
                                same &= memcmp(&y[0], &y[1], sizeof y[0]) == 0;
                            }
                            for (v = 0; v < 2; ++v) {
                                size[v] = ccn_saved_size(net[v]);
                                saved[v] = malloc(size[v]);
                                CHECK(ccn_save_to_memory(net[v], saved[v], size[v], NULL) == CCN_OK);
                            }
                            same &= size[0] == size[1] && memcmp(saved[0], saved[1], size[0]) == 0;
                            if (!same && differ < 5)
                                printf("    kind %d layers %d links %d m %d ride %d feedforward %d: other bits\n", kind,
                                       layers, li, ms[mi], ride, ff);
                            differ += !same;
                            ++nets;
                            for (v = 0; v < 2; ++v) {
                                free(saved[v]);
                                ccn_destroy(net[v]);
                            }
                        }
    printf("    %d nets, %d with other bits on the fast paths than on the generic ones\n", nets, differ);
    if (tu_contracts()) /* each path has its own bits under contraction (ccn.h, RANDOMNESS) */
        printf("    this build contracts a * b + c into one rounding: the paths' bits are not compared\n");
    else
        CHECK(differ == 0);
}

static void test_parallel_step_is_bit_identical(void) {
    int ki;
    TU_FOR_KINDS(ki) {
        ccn_config c = tu_config(tu_kind(ki), CCN_COLOR, tu_kind(ki) >= CCN_LSTM ? 1 : 0, 0.0, 100, 5, 1);
        ccn_net *a, *b;
        tu_runner r;
        ccn_real ya, yb;
        int t, same = 1;
        c.n_workers = 3;
        c.learner = CCN_TD;
        c.td_lambda = 0.9;
        c.optimizer = CCN_RMSPROP;
        c.step_size = 0.01;
        c.columns_per_stage = 60;
        c.steps_per_stage = 30;
        c.input_norm_rate = 0.99;
        a = tu_create(&c);
        b = tu_create(&c);
        r.workers = 3;
        r.calls = r.tasks = 0;
        ccn_set_parallel(b, tu_backwards, &r);
        for (t = 0; t < 60; ++t) {
            ccn_real x[5] = {(ccn_real)(t % 3), CCN_R(0.5), (ccn_real)(t % 5) * CCN_R(0.2), CCN_R(-1), CCN_R(0.25)};
            ccn_td_step(a, x, (ccn_real)(t % 7 == 0), CCN_R(0.9), &ya);
            ccn_td_step(b, x, (ccn_real)(t % 7 == 0), CCN_R(0.9), &yb);
            if (ya != yb) same = 0;
        }
        CHECK(same && ccn_stage(a) == 1);
        CHECK(r.calls > 0 && r.tasks > r.calls); /* it did split the work */
        CHECK(memcmp(ccn_params(a), ccn_params(b), ccn_param_count(a) * sizeof(ccn_real)) == 0);
        ccn_destroy(a);
        ccn_destroy(b);
    }
}

/* ccn_set_flush_subnormals. The inputs fall silent after the first step, so the traces of the
   input weights decay geometrically (step size 0: nothing else moves): the IEEE net's pass
   through the subnormal range, the flushed net's go from normal straight to 0. The outputs are
   the same bits, and so is every trace but where the IEEE one is subnormal (the flushed one is
   then 0) or, in lstm, where it took in a subnormal from the other trace (it then differs by
   less than a few of the smallest normal numbers). The caller's floating-point mode is the same
   after every call, with the exception flags raised before and during it; a parallel-for is
   called in the flush mode, and its tasks, here each started in the IEEE mode as on a thread of
   their own, set the mode themselves: the same bits as the single-threaded flushed net. Each of
   the seven calls that compute runs in the mode (tc_each_call_flushes). */
#define TC_MIN (sizeof(ccn_real) == sizeof(float) ? (ccn_real)FLT_MIN : (ccn_real)DBL_MIN)

#ifdef CCN__HAS_FLUSH
static int tc_subnormal(ccn_real v) { return v != 0 && (v < 0 ? -v : v) < TC_MIN; }

typedef struct tc_mode_runner {
    int workers, restored;
} tc_mode_runner;

static void tc_ieee_tasks(void *user, int n_tasks, ccn_task_fn task, void *ctx) {
    tc_mode_runner *r = (tc_mode_runner *)user;
    unsigned calling = _mm_getcsr(), ieee = calling & ~0x8040u & ~0x3Fu; /* and no exception flags */
    int t;
    if ((calling & 0x8040u) != 0x8040u) r->restored = 0; /* the call runs in both modes */
    for (t = 0; t < n_tasks; ++t) {
        _mm_setcsr(ieee);
        task(ctx, t, t % r->workers);
        if ((_mm_getcsr() & ~0x3Fu) != ieee) r->restored = 0; /* the control bits */
    }
    _mm_setcsr(calling); /* the calling thread's mode, as a pool of other threads would leave it */
}

/* Whether this processor honours the flush modes (an emulator such as valgrind may not). */
static int tc_flush_honoured(void) {
    volatile ccn_real tiny = TC_MIN, half = CCN_R(0.5);
    ccn_real r;
    unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | 0x8040u);
    r = tiny * half;
    _mm_setcsr(csr);
    return r == 0;
}

static const ccn_real tc_x[3] = {CCN_R(1), CCN_R(-1), CCN_R(0.5)};

static size_t tc_count_subnormals(const ccn_real *v, size_t n) {
    size_t k, count = 0;
    for (k = 0; v && k < n; ++k) count += (size_t)tc_subnormal(v[k]);
    return count;
}

/* Each call that computes runs in the mode: handed a subnormal (an input, dL/dy, dL/dh, a
   target or a cumulant) on a net whose readout is still 0 (so y = 0), the IEEE net writes
   subnormals into its traces, parameters or gradient where the flushed net writes 0. */
static void tc_each_call_flushes(void) {
    const ccn_real tiny = TC_MIN / 4;
    int call;
    for (call = 0; call < 7; ++call) {
        ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 4, 3, 1);
        ccn_net *nets[2];
        size_t counts[2];
        int k;
        c.step_size = 0.5;
        if (call == 6) {
            c.learner = CCN_TD;
            c.td_lambda = 0.5;
        }
        for (k = 0; k < 2; ++k) {
            ccn_net *net = nets[k] = tu_create(&c);
            ccn_real x[3] = {tiny, CCN_R(0), CCN_R(0)}, dl[4] = {tiny, tiny, tiny, tiny}, grad[64];
            size_t p = ccn_param_count(net);
            memset(grad, 0, sizeof grad);
            CHECK(p <= 64);
            if (k) ccn_set_flush_subnormals(net, 1);
            switch (call) {
            case 0: ccn_step(net, x, NULL); break;                         /* the trace of x[0]     */
            case 1: ccn_step(net, tc_x, NULL), ccn_learn_with_error(net, dl); break; /* the readout */
            case 2: ccn_step(net, tc_x, NULL), ccn_learn(net, &tiny); break;
            case 3: ccn_learn_step(net, tc_x, &tiny, NULL); break;
            case 4: ccn_step(net, tc_x, NULL), ccn_accumulate_gradient(net, dl, grad); break;
            case 5: ccn_step(net, tc_x, NULL), ccn_accumulate_state_gradient(net, dl, grad); break;
            default:
                ccn_td_step(net, tc_x, CCN_R(0), CCN_R(0), NULL);
                ccn_td_step(net, tc_x, tiny, CCN_R(0), NULL); /* delta = the cumulant */
                break;
            }
            counts[k] = tc_count_subnormals(net->eh, p) + tc_count_subnormals(ccn_params(net), p) +
                        tc_count_subnormals(grad, p);
        }
        if (!(counts[0] > 0 && counts[1] == 0)) printf("    call %d: %zu subnormals IEEE, %zu flushed\n", call, counts[0], counts[1]);
        CHECK(counts[0] > 0 && counts[1] == 0);
        ccn_destroy(nets[0]);
        ccn_destroy(nets[1]);
    }
}
#endif

static void test_flush_subnormals(void) {
    ccn_config c = tu_config(CCN_TANH, CCN_COLOR, 0, 0.0, 40, 3, 1);
    ccn_net *probe = tu_create(&c);
    CHECK(ccn_set_flush_subnormals(NULL, 1) == CCN_ERR_NULL_ARGUMENT);
    CHECK(ccn_set_flush_subnormals(probe, 0) == CCN_OK);
#ifndef CCN__HAS_FLUSH
    CHECK(ccn_set_flush_subnormals(probe, 1) == CCN_ERR_UNSUPPORTED && probe->flush == 0);
    printf("    not x86-64 with SSE arithmetic: the mode is unsupported, as documented\n");
    ccn_destroy(probe);
#else
    {
        int kind, honoured = tc_flush_honoured();
        unsigned original = _mm_getcsr(), caller = original & ~0x8040u & ~0x3Fu;
        if (!honoured) printf("    this processor ignores the flush modes (an emulator?): their effects are not checked\n");
        ccn_destroy(probe);
        _mm_setcsr(caller);
        for (kind = CCN_TANH; kind <= CCN_GRU; ++kind) {
            ccn_net *ieee, *flushed, *threaded;
            tc_mode_runner r;
            ccn_real target = CCN_R(0.5), y1, y2, y3;
            int t, last = 4000, ieee_subnormals = 0, flushed_subnormals = 0, same = 1, mode_kept = 1;
            size_t k, p;
            c = tu_config(kind, CCN_COLOR, 0, 0.0, 40, 3, 1);
            c.n_workers = 3;
            c.init_scale = 0.01; /* traces shrink at least 50-fold a step once the inputs are 0 */
            c.step_size = 0;
            ieee = tu_create(&c);
            flushed = tu_create(&c);
            threaded = tu_create(&c);
            CHECK(ccn_set_flush_subnormals(flushed, 1) == CCN_OK && ccn_set_flush_subnormals(threaded, 1) == CCN_OK);
            r.workers = 3;
            r.restored = 1;
            ccn_set_parallel(threaded, tc_ieee_tasks, &r);
            p = ccn_param_count(ieee);
            for (t = 0; t < last; ++t) { /* until 20 steps after the first IEEE subnormal */
                ccn_real x[3] = {CCN_R(1), CCN_R(-1), CCN_R(0.5)};
                if (t > 0) x[0] = x[1] = x[2] = 0;
                ccn_learn_step(ieee, x, &target, &y1);
                ccn_learn_step(flushed, x, &target, &y2);
                if ((_mm_getcsr() & ~0x3Fu) != caller) mode_kept = 0;
                ccn_step(threaded, x, &y3);
                ccn_learn(threaded, &target);
                if ((_mm_getcsr() & ~0x3Fu) != caller) mode_kept = 0;
                if (y1 != y2 || y2 != y3) same = 0;
                for (k = 0; k < p; ++k) {
                    ccn_real a = ieee->eh[k], b = flushed->eh[k];
                    if (tc_subnormal(a) && !ieee_subnormals++ && t + 20 < last) last = t + 20;
                    flushed_subnormals += tc_subnormal(b);
                    if (!(a == b || (tc_subnormal(a) && b == 0) || (kind == CCN_LSTM && fabs((double)a - (double)b) <= 4.0 * (double)TC_MIN)))
                        same = 0;
                    if (memcmp(&b, &threaded->eh[k], sizeof b)) same = 0;
                }
            }
            CHECK(ieee_subnormals > 0);                 /* the IEEE traces did pass through the range */
            CHECK(flushed_subnormals == 0 || !honoured); /* the flushed ones never did */
            CHECK(same || !honoured);
            CHECK(mode_kept && (r.restored || !honoured));
            CHECK(memcmp(ccn_params(ieee), ccn_params(flushed), p * sizeof(ccn_real)) == 0);
            CHECK(ccn_set_flush_subnormals(flushed, 0) == CCN_OK && flushed->flush == 0);
            ccn_destroy(ieee);
            ccn_destroy(flushed);
            ccn_destroy(threaded);
        }
        if (honoured) {
            tc_each_call_flushes();
            /* the exception flags: one raised before a call (invalid) and one the call raises
               (inexact, from its first rounding) are both up after it */
            probe = tu_create(&c);
            ccn_set_flush_subnormals(probe, 1);
            _mm_setcsr(caller | 0x1u);
            ccn_step(probe, tc_x, NULL);
            CHECK((_mm_getcsr() & 0x21u) == 0x21u && (_mm_getcsr() & 0x8040u) == 0);
            ccn_destroy(probe);
        }
        _mm_setcsr(original);
    }
#endif
}
