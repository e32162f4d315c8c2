/* The CCN_STATIC leg: two translation units each include the implementation privately and link
   into one program without clashes; both copies compute the same bits. */
#include <stdlib.h>
static long sa_mallocs, sa_frees; /* every allocation of this file's copy goes through these */
static void *sa_malloc(size_t size) { ++sa_mallocs; return malloc(size); }
static void sa_free(void *p) { ++sa_frees; free(p); }
#define CCN_MALLOC(sz, user) ((void)(user), sa_malloc(sz))
#define CCN_FREE(p, user) ((void)(user), sa_free(p))
#define CCN_STATIC
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "harness.h"

int static_b_run(int kind, int steps, ccn_real *params_out, unsigned long *count_out);

static void test_two_static_copies_agree(void) {
    int kind;
    for (kind = CCN_TANH; kind <= CCN_LSTM; ++kind) {
        ccn_config c;
        ccn_net *net;
        ccn_real x[2], target, theirs[512];
        unsigned long count = 0;
        int t;
        memset(&c, 0, sizeof c);
        c.n_inputs = 2;
        c.n_columns = 3;
        c.kind = kind;
        c.feature_layers = 1;
        c.step_size = 0.05;
        c.seed = 42;
        sa_mallocs = sa_frees = 0;
        CHECK(ccn_create(&c, NULL, &net) == CCN_OK);
        CHECK(sa_mallocs == 1); /* one block per net, through CCN_MALLOC */
        for (t = 0; t < 200; ++t) {
            x[0] = (ccn_real)(t % 3) - CCN_R(1);
            x[1] = (ccn_real)(t % 5) * CCN_R(0.25);
            target = x[0] * CCN_R(0.5);
            ccn_step(net, x, NULL);
            ccn_learn(net, &target);
        }
        CHECK(sa_mallocs == 1 && sa_frees == 0); /* stepping and learning never allocate */
        CHECK(ccn_param_count(net) <= 512);
        CHECK(static_b_run(kind, 200, theirs, &count) == 1);
        CHECK(count == (unsigned long)ccn_param_count(net));
        CHECK(memcmp(theirs, ccn_params(net), ccn_param_count(net) * sizeof(ccn_real)) == 0);
        ccn_destroy(net);
        CHECK(sa_frees == 1);
    }
}

static void test_static_version(void) { CHECK(ccn_version() == CCN_VERSION_NUMBER); }

int main(int argc, char **argv) {
    static const th_case cases[] = {
        {"two_static_copies_agree", test_two_static_copies_agree},
        {"static_version", test_static_version},
    };
    return th_run(cases, 2, argc > 1 ? argv[1] : "static", NULL) ? 1 : 0;
}
