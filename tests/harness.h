/* A tiny test harness: TEST functions registered in a table, CHECK macros that count failures.
   A test passes when none of its checks failed. The last line printed is "N passed, N failed". */
#ifndef CCN_TEST_HARNESS_H
#define CCN_TEST_HARNESS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

static int th_check_failures; /* failures in the running test */

static void th_fail(const char *file, int line, const char *what) {
    ++th_check_failures;
    if (th_check_failures <= 5) printf("    %s:%d: check failed: %s\n", file, line, what);
}

#define CHECK(c)                                                                                    \
    do {                                                                                            \
        if (!(c)) th_fail(__FILE__, __LINE__, #c);                                                  \
    } while (0)
/* |a - b| <= tol, printing both values when it fails */
#define CHECK_NEAR(a, b, tol)                                                                       \
    do {                                                                                            \
        double th_a_ = (double)(a), th_b_ = (double)(b), th_t_ = (double)(tol);                     \
        if (!(fabs(th_a_ - th_b_) <= th_t_)) {                                                      \
            char th_msg_[256];                                                                      \
            snprintf(th_msg_, sizeof th_msg_, "%s = %.17g vs %s = %.17g (tolerance %.3g)", #a,       \
                     th_a_, #b, th_b_, th_t_);                                                      \
            th_fail(__FILE__, __LINE__, th_msg_);                                                   \
        }                                                                                           \
    } while (0)
/* a <= bound, printing the value when it fails */
#define CHECK_LE(a, bound)                                                                          \
    do {                                                                                            \
        double th_a_ = (double)(a), th_b_ = (double)(bound);                                       \
        if (!(th_a_ <= th_b_)) {                                                                    \
            char th_msg_[256];                                                                      \
            snprintf(th_msg_, sizeof th_msg_, "%s = %.6g > %.6g", #a, th_a_, th_b_);                \
            th_fail(__FILE__, __LINE__, th_msg_);                                                   \
        }                                                                                           \
    } while (0)

typedef struct th_case {
    const char *name;
    void (*fn)(void);
} th_case;

/* Whether name is selected by filter's comma-separated parts: it contains one of the parts
   (or there are only "-" parts) and none of the "-" parts (NULL: every name is). */
static int th_selected(const char *name, const char *filter) {
    int in = 0, any_in = 0;
    while (filter) {
        const char *end = strchr(filter, ','), *part = filter + (*filter == '-');
        size_t len = (end ? (size_t)(end - part) : strlen(part)), k, found = 0;
        for (k = 0; !found && k + len <= strlen(name); ++k) found = strncmp(name + k, part, len) == 0;
        if (*filter == '-') {
            if (found) return 0;
        } else {
            any_in = 1;
            in |= found != 0;
        }
        filter = end ? end + 1 : NULL;
    }
    return in || !any_in;
}

/* Runs the cases th_selected picks (filter NULL: all). Returns the number that failed. */
static int th_run(const th_case *cases, int count, const char *label, const char *filter) {
    int passed = 0, failed = 0, k;
    for (k = 0; k < count; ++k) {
        if (filter && !th_selected(cases[k].name, filter)) continue;
        th_check_failures = 0;
        cases[k].fn();
        if (th_check_failures) {
            ++failed;
            printf("FAIL %s: %s\n", label, cases[k].name);
        } else {
            ++passed;
            printf("ok   %s: %s\n", label, cases[k].name);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed;
}
#endif
