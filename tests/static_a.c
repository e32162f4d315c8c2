/* The CCN_STATIC leg: two translation units each include the implementation privately and link
   into one program without clashes; both copies compute the same bits. This copy also routes
   its allocations through CCN_MALLOC/CCN_FREE to count them. */
#include <stdlib.h>
#include <string.h>
static long sa_mallocs, sa_frees;
static void *sa_malloc(size_t size) { ++sa_mallocs; return malloc(size); }
static void sa_free(void *p) { ++sa_frees; free(p); }
#define CCN_MALLOC(sz, user) ((void)(user), sa_malloc(sz))
#define CCN_FREE(p, user) ((void)(user), sa_free(p))
#define CCN_STATIC
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include "harness.h"
#include "static_train.h"

int static_b_run(int kind, int method, int steps, ccn_real *params_out, size_t *count_out);

static void test_two_static_copies_agree(void) {
    int kind, method;
    for (kind = CCN_TANH; kind <= CCN_GRU; ++kind)
        for (method = CCN_COLOR; method <= CCN_RTRL; ++method) {
            ccn_real mine[512], theirs[512];
            size_t count = 0, their_count = 0;
            CHECK(static_train(kind, method, 1, NULL, &count) == 1 && count <= 512);
            sa_mallocs = sa_frees = 0;
            CHECK(static_train(kind, method, 200, mine, &count) == 1);
            CHECK(sa_mallocs == 1 && sa_frees == 1); /* one block; stepping and learning never allocate */
            CHECK(static_b_run(kind, method, 200, theirs, &their_count) == 1);
            CHECK(count == their_count);
            CHECK(memcmp(theirs, mine, count * sizeof(ccn_real)) == 0);
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
