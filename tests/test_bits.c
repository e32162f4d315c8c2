/* The same bits on every platform (RANDOMNESS in ccn.h): 44 small nets, between them every kind,
   gradient method, learner, optimiser and learning call, stages (scheduled and by hand), links,
   feature layers, feedforward columns and both normalisers, and the shapes that AVX builds
   sum eight columns at a time, each run 300 steps on inputs and targets made with exact
   arithmetic. Every output of every step and, at the end, the parameters, states, cells,
   optimiser moments, eligibility and normalisation statistics go through FNV-1a (each real's
   bits, least significant byte first, so that the hash is the same on either byte order). The
   hashes must be the ones recorded below, bit for bit, in every build that keeps the promise:
   float and double, C and C++, with and without AVX, 32-bit x86 with SSE, other processors. A
   build that evaluates in excess precision (CCN_ALLOW_EXCESS_PRECISION) or contracts runs the
   nets but says it skips the comparison.
   Re-recording: CCN_BITS_RECORD=1 ./suite label bits prints this build's table in C, to paste
   over bt_recorded_float or bt_recorded_double (run a float and a CCN_DOUBLE build, on x86-64).
   Only for a change of bits that is intended, and the commit that re-records says so and why;
   the later restructurings of the library must leave these hashes as they are. Net 43 (a GRU)
   was appended with the kind, its hash recorded then; a new net is appended the same way. */
#include "util.h"

#define BT_NETS 44
#define BT_STEPS 300

/* Recorded on x86-64 (gcc 12, -O2 -ffp-contract=off) at the commit that added this test. */
static const uint64_t bt_recorded_float[BT_NETS] = {
    0xc7e294c1e9df8063ull, 0xad26b68ee094db4bull, 0x596ee67ba159d2feull, 0x78deea600eadedaeull,
    0x79fd70ba095e8600ull, 0xecd3a47ac53c583eull, 0xdc04ae9d2e7fb063ull, 0xf7009ba976405f5dull,
    0xfd3aaafd306fdbc6ull, 0x7f7be6fc8e6ad8efull, 0x686d3fa1c0ddcb6aull, 0x17617a5093b972bfull,
    0x3a9c61675f8f282dull, 0x3f329ae552904e29ull, 0xd3610457b9127173ull, 0xe6276c1795bc922cull,
    0x12fdca7ed56a3eaeull, 0x679f4e3cb40ef99eull, 0x97984a43ef0c992bull, 0x4ed2a397840825e7ull,
    0x1983974d3a9ba2b7ull, 0x326f8e0e631ce638ull, 0x28e5380d0eb32b78ull, 0x886b3c0dc66508a1ull,
    0x8da5560d38239088ull, 0xcb7b4324b3aa9365ull, 0xf52b4f4719c18469ull, 0xfc2e4ecca6d0afadull,
    0xc0d77c9e492ffc5full, 0x20ce10365fc5d7d8ull, 0x846bcafbdf1a2fa3ull, 0xdfe98497584f8cbaull,
    0x579e9ef5b86f1423ull, 0xcc33972fec23fa94ull, 0x94e82eabe9c208b0ull, 0xecb958cf0e47cdf8ull,
    0xcde9dea972c5b0e6ull, 0x9ff6e50ba910fb12ull, 0x801e7e82efcf4d55ull, 0xd1e841a9be68df3bull,
    0x3c8caf8800e6b083ull, 0x02f2fa10bd0467fcull, 0xcfcf14afb627e714ull, 0xfaabfc40dc3d5f00ull
};
static const uint64_t bt_recorded_double[BT_NETS] = {
    0xb07b6eca91835b6eull, 0x9a161956c4aaa80bull, 0xd4c4610cc58eefc6ull, 0x2c3c8ab0e3246835ull,
    0xdc84e207a4255db8ull, 0xd3b161ab87e990eaull, 0x0b809c46109fe9baull, 0xd740fc47f508bc2eull,
    0x622a5c9698173d23ull, 0x314532f48ae00c9full, 0xf1a4af981fcf8bdbull, 0x7cb33ecc4e6247daull,
    0xbe90be86d804d161ull, 0x91a26f47202a2b1cull, 0xacb79417f700128full, 0xd2c200ac7087aea0ull,
    0x208a73c22c9f9434ull, 0x39f88234c38c2418ull, 0x677eb159c2b3eaadull, 0x90cf39785474221full,
    0x1f5713d79d5e3a2bull, 0x99c3e422d6035580ull, 0x08adc9ba4a39d80cull, 0x86638b3bbe82c1fbull,
    0x44a6dd9ae7e009c5ull, 0x0f7a4697746603ccull, 0x4f2feb3459b37d1aull, 0xfa61c5336cd7c7bbull,
    0xf99f7da71fb1d61cull, 0x8e6eee5deed32bc6ull, 0x7285975bfd692fdbull, 0x969cf04b066d5c3aull,
    0x963f3d40ecd958c0ull, 0x4ca2c4dcafcab6ccull, 0x8bddd0162ec99f97ull, 0xb0a1c66930c65dd4ull,
    0x30ec2938c1b63967ull, 0xaa1c4788b039ff18ull, 0xb7d2fd61879f42b4ull, 0x4934e49db3f532f9ull,
    0xe8dd9f472ef11f35ull, 0xaf55a9d6bafa6b7aull, 0x96f478fcc7987545ull, 0xcbdd9a69d0c27ce3ull
};

typedef struct bt_hash {
    uint64_t h;
    size_t nonfinite;
} bt_hash;

static void bt_bytes(bt_hash *s, uint64_t bits, int bytes) {
    int k;
    for (k = 0; k < bytes; ++k) {
        s->h ^= (bits >> (8 * k)) & 0xFFu;
        s->h *= 0x100000001B3ull; /* FNV-1a 64 */
    }
}
static void bt_reals(bt_hash *s, const ccn_real *v, size_t n) {
    size_t k;
    for (k = 0; v && k < n; ++k) {
        uint64_t bits = 0;
        if (TU_DOUBLE) {
            memcpy(&bits, &v[k], sizeof v[k]);
        } else {
            uint32_t b32;
            memcpy(&b32, &v[k], sizeof b32);
            bits = b32;
        }
        bt_bytes(s, bits, (int)sizeof v[k]);
        s->nonfinite += !(v[k] - v[k] == 0);
    }
    bt_bytes(s, (uint64_t)n, 8); /* an absent array differs from an empty one's neighbours */
}

/* A real in [-1, 1) with 10 bits: (k - 512) / 512, exact in any precision. */
static ccn_real bt_input(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (ccn_real)((int)(z & 1023u) - 512) * CCN_R(0.001953125);
}

/* Net i's configuration: the first 36 are every kind x method (ColoR, RTRL) x learner x
   optimiser, with the other choices spread over them; then forward-only nets and the shapes
   (7 to 13 inputs, no links) that go eight columns at a time with AVX. *call: how it learns. */
static ccn_config bt_config(int i, int *call) {
    ccn_config c;
    memset(&c, 0, sizeof c);
    c.n_inputs = 4;
    c.n_columns = 6;
    c.seed = 1000u + (uint64_t)i;
    c.kind = CCN_TANH + i % 3;
    *call = i % 4; /* 0, 3: ccn_learn_step; 1: ccn_step, ccn_learn; 2: ccn_learn_with_error */
    if (i < 36) {
        int a = i / 3;
        c.method = a % 2 ? CCN_RTRL : CCN_COLOR;
        c.learner = (a / 2) % 2 ? CCN_TD : CCN_SUPERVISED;
        c.optimizer = CCN_SGD + a / 4;
        c.feature_layers = (a + i) % 3;
        c.feature_width = 3;
        c.links = (i / 2) % 2 ? 1.5 : 0.0;
        if ((i / 4) % 2 || i % 7 == 0) c.columns_per_stage = 3; /* two stages */
        if (c.columns_per_stage && i % 2) c.steps_per_stage = 100; /* else ccn_next_stage at 150 */
        c.feedforward = i % 5 == 4;
        if (i % 5 != 2) c.input_norm_rate = 0.99;
        if (i % 4 >= 2) c.feature_norm_rate = 0.995;
        c.scale_readout_step = i % 5 == 1;
        c.refuse_nonfinite = i % 6 == 5;
    } else if (i == 43) { /* appended with the GRU, its one net (the others' bits unchanged) */
        c.kind = CCN_GRU;
        c.method = CCN_COLOR;
        c.optimizer = CCN_ADAM;
        c.feature_layers = 1;
        c.feature_width = 3;
        c.links = 1.5;
        c.columns_per_stage = 3;
        c.steps_per_stage = 100;
        c.input_norm_rate = 0.99;
        c.feature_norm_rate = 0.995;
        *call = 0;
    } else if (i < 39) {
        c.method = CCN_FORWARD;
        c.feature_layers = 2;
        c.feature_width = 3;
        c.links = 1.0;
        c.input_norm_rate = 0.99;
        c.feature_norm_rate = 0.99;
    } else {
        c.n_inputs = 10;
        c.n_columns = 16;
        c.method = CCN_COLOR;
        *call = 0;
        if (i == 42) { /* stage 0's columns read 10 inputs, stage 1's 18 */
            c.columns_per_stage = 8;
            c.steps_per_stage = 150;
            c.optimizer = CCN_RMSPROP;
            c.input_norm_rate = 0.99;
            *call = 1;
        }
    }
    c.n_outputs = c.learner == CCN_TD ? 1 : 2;
    c.td_lambda = c.learner == CCN_TD ? 0.9 : 0.0;
    c.step_size = c.optimizer == CCN_SGD || c.optimizer == 0 ? 0.01 : 0.001;
    if (!c.feature_layers) c.feature_width = 0; /* settings the others leave unused are refused */
    return c;
}

/* Runs net i and hashes what it did. */
static bt_hash bt_run(int i) {
    int call, t, j;
    ccn_config c = bt_config(i, &call);
    ccn_net *net = tu_create(&c);
    uint64_t seq = 77u * (uint64_t)i;
    bt_hash s;
    const ccn_real *a, *b;
    int count, k;
    s.h = 0xCBF29CE484222325ull;
    s.nonfinite = 0;
    for (t = 0; t < BT_STEPS; ++t) {
        ccn_real x[10], target[2], y[2], dl[2];
        ccn_result r = CCN_OK;
        for (j = 0; j < c.n_inputs; ++j) x[j] = bt_input(&seq);
        for (j = 0; j < c.n_outputs; ++j) target[j] = bt_input(&seq);
        if (c.columns_per_stage && !c.steps_per_stage && t == 150) CHECK(ccn_next_stage(net) == CCN_OK);
        if (c.method == CCN_FORWARD) {
            r = ccn_step(net, x, y);
        } else if (c.learner == CCN_TD) {
            ccn_real gamma = t % 50 == 49 ? CCN_R(0) : CCN_R(0.9);
            r = ccn_td_step(net, x, target[0] > CCN_R(0.5) ? CCN_R(1) : CCN_R(0), gamma, y);
            bt_reals(&s, y, 1);
            y[0] = ccn_td_error(net);
        } else if (call == 0 || call == 3) {
            r = ccn_learn_step(net, x, target, y);
        } else {
            r = ccn_step(net, x, y);
            if (r == CCN_OK && call == 1) r = ccn_learn(net, target);
            if (r == CCN_OK && call == 2) {
                for (j = 0; j < c.n_outputs; ++j) dl[j] = (y[j] - target[j]) * CCN_R(0.5);
                r = ccn_learn_with_error(net, dl);
            }
        }
        CHECK(r == CCN_OK);
        bt_reals(&s, y, (size_t)(c.learner == CCN_TD ? 1 : c.n_outputs));
    }
    bt_reals(&s, ccn_params(net), ccn_param_count(net));
    bt_reals(&s, ccn_state(net), (size_t)c.n_columns);
    bt_reals(&s, ccn_cell(net), (size_t)c.n_columns);
    ccn_optimizer_state(net, &a, &b);
    bt_reals(&s, a, ccn_param_count(net));
    bt_reals(&s, b, ccn_param_count(net));
    bt_reals(&s, ccn_eligibility(net), ccn_param_count(net));
    for (k = 0; k < ccn_stage_count(net); ++k) {
        ccn_input_stats(net, k, &a, &b, &count);
        bt_reals(&s, a, (size_t)count);
        bt_reals(&s, b, (size_t)count);
    }
    ccn_feature_stats(net, &a, &b);
    bt_reals(&s, a, (size_t)c.n_columns);
    bt_reals(&s, b, (size_t)c.n_columns);
    ccn_destroy(net);
    return s;
}

static void test_same_bits_everywhere(void) {
    const uint64_t *want = TU_DOUBLE ? bt_recorded_double : bt_recorded_float;
    const char *record = getenv("CCN_BITS_RECORD");
    int compare = !TU_EXCESS_PRECISION && !tu_contracts(), i, same = 0, shown = 0;
    uint64_t got[BT_NETS];
    for (i = 0; i < BT_NETS; ++i) {
        bt_hash s = bt_run(i);
        got[i] = s.h;
        CHECK(s.nonfinite == 0); /* NaN bits are not promised: a net here must not diverge */
        if (got[i] == want[i]) {
            ++same;
        } else if (compare && shown++ < 5) {
            int call;
            ccn_config given = bt_config(i, &call), c;
            ccn_config_resolve(&given, &c);
            printf("    net %d (kind %d method %d learner %d optimizer %d layers %d links %g stages of %d): "
                   "hash %016llx, recorded %016llx\n", i, c.kind, c.method, c.learner, c.optimizer, c.feature_layers,
                   c.links, c.columns_per_stage, (unsigned long long)got[i], (unsigned long long)want[i]);
        }
    }
    if (record && *record) {
        printf("static const uint64_t bt_recorded_%s[BT_NETS] = {\n", TU_DOUBLE ? "double" : "float");
        for (i = 0; i < BT_NETS; ++i)
            printf("%s0x%016llxull%s", i % 4 ? " " : "    ", (unsigned long long)got[i],
                   i == BT_NETS - 1 ? "\n};\n" : i % 4 == 3 ? ",\n" : ",");
    }
    if (!compare) {
        printf("    skipped: this build evaluates in excess precision (FLT_EVAL_METHOD %d) or contracts, so its "
               "bits are not promised (%d of %d nets have the recorded ones)\n", (int)FLT_EVAL_METHOD, same, BT_NETS);
        return;
    }
    printf("    %d of %d nets: the recorded bits\n", same, BT_NETS);
    CHECK(same == BT_NETS);
}
