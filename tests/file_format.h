/* The tests' own reading of FILE FORMAT in ccn.h (test_save.c, fuzz_load.c): the documented
   offsets, an independent bit-by-bit CRC-32, little-endian fields, a reader over memory. */
#ifndef CCN_TEST_FILE_FORMAT_H
#define CCN_TEST_FILE_FORMAT_H
#include <stdint.h>
#include <string.h>

#define TS_HEAD 276 /* magic .. the first CRC */
enum {
    TS_VERSION = 8, TS_REAL_SIZE = 12, TS_LENGTH = 16, TS_N_INPUTS = 24, TS_N_OUTPUTS = 28, TS_N_COLUMNS = 32,
    TS_KIND = 36, TS_METHOD = 40, TS_FEATURE_LAYERS = 44, TS_FEATURE_WIDTH = 48, TS_LINKS = 56,
    TS_COLUMNS_PER_STAGE = 64, TS_STEPS_PER_STAGE = 68, TS_LEARNER = 76, TS_TD_LAMBDA = 80, TS_OPTIMIZER = 88,
    TS_STEP_SIZE = 92, TS_SEED = 168, TS_N_WORKERS = 176, TS_REFUSE = 180, TS_N_LINK = 184, TS_PARAMS = 192,
    TS_STAGE = 200, TS_TD_STARTED = 204, TS_STEPS = 208, TS_OPT_STEPS = 216, TS_RNG = 224, TS_CLIP_NORM = 256,
    TS_OBGD_KAPPA = 264, TS_CRC1 = 272
};

/* CRC-32 (IEEE 802.3) bit by bit, independent of the library's table */
static uint32_t ts_crc32(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    size_t k;
    int b;
    for (k = 0; k < n; ++k) {
        c ^= p[k];
        for (b = 0; b < 8; ++b) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}
static uint64_t ts_get(const unsigned char *b, int bytes) {
    uint64_t v = 0;
    int k;
    for (k = 0; k < bytes; ++k) v |= (uint64_t)b[k] << (8 * k);
    return v;
}
static void ts_put(unsigned char *b, uint64_t v, int bytes) {
    int k;
    for (k = 0; k < bytes; ++k) b[k] = (unsigned char)(v >> (8 * k));
}
/* Recomputes both checksums in place: a file whose contents are wrong but whose checksums agree. */
static void ts_fix_crcs(unsigned char *f, size_t size) {
    ts_put(f + TS_CRC1, ts_crc32(f, TS_CRC1), 4);
    ts_put(f + size - 4, ts_crc32(f, size - 4), 4);
}

typedef struct ts_source {
    const unsigned char *data;
    size_t size, at;
} ts_source;
static size_t ts_read(void *user, void *data, size_t size) {
    ts_source *s = (ts_source *)user;
    size_t n = size < s->size - s->at ? size : s->size - s->at;
    memcpy(data, s->data + s->at, n);
    s->at += n;
    return n;
}
#endif
