/* libFuzzer target: ccn_load_from_memory on arbitrary bytes (make fuzz).
   Each input is loaded twice: as it is (most mutations die at a checksum, which must be
   reported cleanly), and with both CRC-32s recomputed, so that the fuzzer reaches the checks
   behind them. Whatever the loader accepts must save back to exactly the same bytes and must
   step, learn and count its non-finite values without fault; a stream load must agree with the
   memory load; nothing may leak (a counting allocator, plus LeakSanitizer). */
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "file_format.h"

typedef struct fz_alloc {
    long live;
} fz_alloc;
/* Refuses blocks over 256 MiB: a stream load allocates what a consistent header asks for before
   it finds the data short (documented), and the fuzzer can solve for such headers. */
static void *fz_malloc(size_t size, void *user) {
    if (size > ((size_t)1 << 28)) return NULL;
    ((fz_alloc *)user)->live += 1;
    return malloc(size);
}
static void fz_free(void *p, size_t size, void *user) {
    (void)size;
    ((fz_alloc *)user)->live -= 1;
    free(p);
}

#define FZ_REQUIRE(c)                                                                               \
    do {                                                                                            \
        if (!(c)) {                                                                                 \
            fprintf(stderr, "fuzz_load: %s (line %d)\n", #c, __LINE__);                             \
            abort();                                                                                \
        }                                                                                           \
    } while (0)

static void fz_one(const unsigned char *data, size_t size) {
    fz_alloc counter = {0};
    ccn_allocator a;
    ccn_net *net = NULL, *net2 = NULL;
    ccn_result r, r2;
    ts_source src;
    a.alloc = fz_malloc;
    a.free = fz_free;
    a.user = &counter;
    r = ccn_load_from_memory(data, size, &a, &net);
    FZ_REQUIRE((r == CCN_OK) == (net != NULL));
    FZ_REQUIRE(r == CCN_OK ? counter.live == 1 : counter.live == 0);
    src.data = data;
    src.size = size;
    src.at = 0;
    r2 = ccn_load(ts_read, &src, &a, &net2);
    /* a stream does not know the size: where memory stops at a short or long buffer before
       looking further, the stream reads on and may meet another problem (or, with trailing
       data, none) */
    FZ_REQUIRE(r2 == r || r == CCN_ERR_TRAILING_DATA || (r == CCN_ERR_TRUNCATED && r2 != CCN_OK));
    if (net2) ccn_destroy(net2);
    if (net) {
        size_t bytes = ccn_saved_size(net), written = 0;
        unsigned char *again = (unsigned char *)malloc(bytes ? bytes : 1);
        const ccn_config *c = ccn_get_config(net);
        ccn_real *x = (ccn_real *)calloc((size_t)c->n_inputs, sizeof(ccn_real));
        ccn_real *t = (ccn_real *)calloc((size_t)c->n_outputs, sizeof(ccn_real));
        int k;
        FZ_REQUIRE(ccn_save_to_memory(net, again, bytes, &written) == CCN_OK && written == bytes);
        if (ts_get(data + 12, 4) == sizeof(ccn_real)) /* the same precision: the very same bytes */
            FZ_REQUIRE(bytes == size && memcmp(again, data, size) == 0);
        (void)ccn_nonfinite_count(net);
        for (k = 0; k < 3; ++k) {
            x[0] = (ccn_real)k;
            if (c->learner == CCN_TD && c->method != CCN_FORWARD) {
                (void)ccn_td_step(net, x, 1, CCN_R(0.5), NULL);
            } else {
                (void)ccn_step(net, x, NULL);
                (void)ccn_learn(net, t);
                (void)ccn_learn_step(net, x, t, NULL);
            }
        }
        (void)ccn_nonfinite_count(net);
        free(x);
        free(t);
        free(again);
        ccn_destroy(net);
    }
    FZ_REQUIRE(counter.live == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fz_one(data, size);
    if (size >= 264) { /* the same bytes with checksums that agree */
        unsigned char *fixed = (unsigned char *)malloc(size);
        memcpy(fixed, data, size);
        ts_fix_crcs(fixed, size);
        fz_one(fixed, size);
        free(fixed);
    }
    return 0;
}
