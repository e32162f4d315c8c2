/* Second translation unit of the CCN_STATIC leg: its own private copy of the implementation,
   built without <stdio.h> (CCN_NO_STDIO: no path helpers). */
#define CCN_NO_STDIO
#define CCN_STATIC
#define CCN_IMPLEMENTATION
#include "../ccn.h"
#include <string.h>
#include "static_train.h"

int static_b_run(int kind, int method, int steps, ccn_real *params_out, size_t *count_out);

int static_b_run(int kind, int method, int steps, ccn_real *params_out, size_t *count_out) {
    return static_train(kind, method, steps, params_out, count_out);
}
